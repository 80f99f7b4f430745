package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// The reader decodes records with a small hand-written JSON scanner: encoding/json alone takes
// more than the 300 ms budget for opening 100,000 records on this class of machine. Writing
// stays with encoding/json, and FuzzRead checks that the two agree.

type scanner struct {
	b      []byte
	i      int
	err    error
	depth  int
	intern map[string]string // repeated values (hosts, prefixes, flags, operators) share one string
}

const maxDepth = 64

func (s *scanner) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, args...))
	}
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) bool {
	if s.err != nil {
		return false
	}
	if s.peek() != c {
		s.fail("expected %q", c)
		return false
	}
	s.i++
	return true
}

// object calls field for every member of an object; field must consume the value.
// It accepts null as an empty object when nullable.
func (s *scanner) object(nullable bool, field func(name []byte)) (present bool) {
	if s.err != nil {
		return false
	}
	if nullable && s.literal("null") {
		return false
	}
	if !s.expect('{') {
		return false
	}
	s.depth++
	defer func() { s.depth-- }()
	if s.depth > maxDepth {
		s.fail("nested too deep")
		return false
	}
	if s.peek() == '}' {
		s.i++
		return true
	}
	for s.err == nil {
		name := s.stringBytes()
		if !s.expect(':') {
			return false
		}
		field(name)
		if s.err != nil {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			s.fail("expected ',' or '}'")
		}
	}
	return false
}

// array calls elem for every element of an array (or of nothing for null).
func (s *scanner) array(elem func()) {
	if s.err != nil || s.literal("null") {
		return
	}
	if !s.expect('[') {
		return
	}
	s.depth++
	defer func() { s.depth-- }()
	if s.depth > maxDepth {
		s.fail("nested too deep")
		return
	}
	if s.peek() == ']' {
		s.i++
		return
	}
	for s.err == nil {
		elem()
		if s.err != nil {
			return
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		default:
			s.fail("expected ',' or ']'")
		}
	}
}

// literal consumes word (true, false, null) when it is next.
func (s *scanner) literal(word string) bool {
	s.ws()
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// stringBytes reads a string; the result may alias the input when it has no escapes.
func (s *scanner) stringBytes() []byte {
	if !s.expect('"') {
		return nil
	}
	start := s.i
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if !escaped {
				if !utf8.Valid(raw) {
					// encoding/json replaces invalid UTF-8; do the same through it.
					return s.slowString(s.b[start-1 : s.i])
				}
				return raw
			}
			return s.slowString(s.b[start-1 : s.i])
		case c == '\\':
			escaped = true
			s.i += 2
			continue
		case c < 0x20:
			s.fail("control character in string")
			return nil
		}
		s.i++
	}
	s.fail("unterminated string")
	return nil
}

func (s *scanner) slowString(quoted []byte) []byte {
	var v string
	if err := json.Unmarshal(quoted, &v); err != nil {
		s.fail("string: %v", err)
		return nil
	}
	return []byte(v)
}

func (s *scanner) str() string {
	b := s.stringBytes()
	if s.intern == nil || len(b) > 64 {
		return string(b)
	}
	if v, ok := s.intern[string(b)]; ok {
		return v
	}
	v := string(b)
	if len(s.intern) < 10000 {
		s.intern[v] = v
	}
	return v
}

func (s *scanner) boolean() bool {
	if s.err != nil {
		return false
	}
	if s.literal("true") {
		return true
	}
	if !s.literal("false") {
		s.fail("expected true or false")
	}
	return false
}

// number reads a JSON number that must be an integer.
func (s *scanner) integer() int {
	if s.err != nil {
		return 0
	}
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || (s.b[digits] == '0' && s.i-digits > 1) {
		s.fail("expected an integer")
		return 0
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.fail("expected an integer")
		return 0
	}
	n, err := strconv.Atoi(string(s.b[start:s.i]))
	if err != nil {
		s.fail("integer: %v", err)
	}
	return n
}

func (s *scanner) timestamp() time.Time {
	b := s.stringBytes()
	if s.err != nil {
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalText(b); err != nil {
		s.fail("time %q: %v", b, err)
	}
	return t
}

// skip consumes any JSON value.
func (s *scanner) skip() {
	switch s.peek() {
	case '{':
		s.object(false, func([]byte) { s.skip() })
	case '[':
		s.array(s.skip)
	case '"':
		s.stringBytes()
	case 't', 'f':
		s.boolean()
	case 'n':
		if !s.literal("null") {
			s.fail("expected null")
		}
	default:
		s.number()
	}
}

// number consumes any JSON number.
func (s *scanner) number() {
	s.ws()
	start := s.i
	for s.i < len(s.b) && bytesIn(s.b[s.i], "+-0123456789.eE") {
		s.i++
	}
	if _, err := strconv.ParseFloat(string(s.b[start:s.i]), 64); err != nil || !json.Valid(s.b[start:s.i]) {
		s.fail("expected a value")
	}
}

func bytesIn(c byte, set string) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

var errTrailing = errors.New("data after the record")

func decodeRecordJSON(line []byte, rec *record, intern map[string]string) error {
	s := &scanner{b: line, intern: intern}
	s.object(false, func(name []byte) {
		switch string(name) {
		case "v":
			rec.V = s.integer()
		case "type":
			rec.Type = s.str()
		case "change":
			c := &Change{}
			if s.object(true, func(n []byte) { changeField(s, n, c) }) {
				rec.Change = c
			}
		case "id":
			rec.ID = s.str()
		case "outcomes":
			s.array(func() {
				var h HostOutcome
				s.object(false, func(n []byte) { outcomeField(s, n, &h) })
				rec.Outcomes = append(rec.Outcomes, h)
			})
		case "replay":
			e := &ReplayEvent{}
			if s.object(true, func(n []byte) { replayField(s, n, e) }) {
				rec.Replay = e
			}
		default:
			s.skip()
		}
	})
	if s.err != nil {
		return s.err
	}
	if s.peek() != 0 {
		return errTrailing
	}
	return nil
}

func changeField(s *scanner, name []byte, c *Change) {
	switch string(name) {
	case "id":
		c.ID = s.str()
	case "time":
		c.Time = s.timestamp()
	case "operator":
		c.Operator = s.str()
	case "reason":
		c.Reason = s.str()
	case "prefix":
		c.Prefix = s.str()
	case "project":
		c.Project = s.str()
	case "environment":
		c.Environment = s.str()
	case "flag":
		c.Flag = s.str()
	case "before":
		c.Before = s.boolean()
	case "after":
		c.After = s.boolean()
	case "baseVersion":
		if !s.literal("null") {
			v := s.integer()
			c.BaseVersion = &v
		}
	case "source":
		c.Source = s.str()
	default:
		s.skip()
	}
}

func outcomeField(s *scanner, name []byte, h *HostOutcome) {
	switch string(name) {
	case "host":
		h.Host = s.str()
	case "outcome":
		h.Outcome = s.str()
	case "oldOn":
		h.OldOn = s.boolean()
	case "oldVersion":
		h.OldVersion = s.integer()
	case "newVersion":
		h.NewVersion = s.integer()
	case "error":
		h.Error = s.str()
	default:
		s.skip()
	}
}

func replayField(s *scanner, name []byte, e *ReplayEvent) {
	switch string(name) {
	case "time":
		e.Time = s.timestamp()
	case "kind":
		e.Kind = ReplayKind(s.str())
	case "changeIds":
		s.array(func() { e.ChangeIDs = append(e.ChangeIDs, s.str()) })
	case "prefix":
		e.Prefix = s.str()
	case "flag":
		e.Flag = s.str()
	case "desired":
		e.Desired = s.boolean()
	case "ldVersion":
		e.LDVersion = s.integer()
	case "ldOn":
		if !s.literal("null") {
			on := s.boolean()
			e.LDOn = &on
		}
	case "ldModified":
		e.LDModified = s.timestamp()
	case "forced":
		e.Forced = s.boolean()
	case "error":
		e.Error = s.str()
	case "by":
		e.By = s.str()
	case "why":
		e.Why = s.str()
	default:
		s.skip()
	}
}
