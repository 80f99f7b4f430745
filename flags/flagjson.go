package flags

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A small strict JSON scanner over a flag's stored text. Reading 20,000 flags must cost about
// as much as fetching them, so it decodes only the top-level fields we show and validates the
// rest without building anything. Toggling uses the same scanner to find the byte spans of
// "on" and "version" and splices new values in, so every other byte stays exactly as stored.

const maxDepth = 512

type scanner struct {
	s     string
	i     int
	depth int
}

func (sc *scanner) errf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", sc.i, fmt.Sprintf(format, args...))
}

// plain marks the bytes a string may hold without a closer look: not '"', '\\' or a
// control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (sc *scanner) ws() {
	// Stored flags are compact JSON: usually there is nothing to skip.
	if sc.i < len(sc.s) && sc.s[sc.i] > ' ' {
		return
	}
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *scanner) unexpected(what string) error {
	if sc.i >= len(sc.s) {
		return sc.errf("JSON ends early, want %s", what)
	}
	return sc.errf("want %s, found %q", what, sc.s[sc.i:min(sc.i+12, len(sc.s))])
}

// value skips one JSON value, validating it.
func (sc *scanner) value() error {
	i, want := skipValue(sc.s, sc.i, sc.depth)
	sc.i = i
	if want != "" {
		return sc.unexpected(want)
	}
	return nil
}

func (sc *scanner) number() error {
	i, want := skipNumber(sc.s, sc.i)
	sc.i = i
	if want != "" {
		return sc.unexpected(want)
	}
	return nil
}

// str validates the string at sc.i and returns its raw contents (between the quotes) and
// whether it holds escapes.
func (sc *scanner) str() (raw string, escaped bool, err error) {
	if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
		return "", false, sc.unexpected("a string")
	}
	start := sc.i + 1
	end, escaped, want := skipString(sc.s, sc.i)
	sc.i = end
	if want != "" {
		return "", false, sc.unexpected(want)
	}
	return sc.s[start : end-1], escaped, nil
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special reports whether any byte of v is '"', '\\' or a control character (the classic
// "has zero byte" and "has byte less than" word tricks; a false alarm only costs a closer
// look byte by byte).
func special(v uint64) bool { return specialBits(v) != 0 }

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// unquote turns a string's raw contents into its value.
func unquote(raw string, escaped bool) (string, error) {
	if !escaped {
		return raw, nil
	}
	var out string
	err := json.Unmarshal([]byte(`"`+raw+`"`), &out)
	return out, err
}

// object validates the object at sc.i, calling member (when not nil) with each member's
// name and the span [start,end) of its value. member returns true when it consumed the
// value itself (sc.i then points past it).
func (sc *scanner) object(member func(name string, start int) (bool, error)) error {
	s := sc.s
	if sc.i >= len(s) || s[sc.i] != '{' {
		return sc.unexpected("'{'")
	}
	if sc.depth >= maxDepth {
		return sc.errf("nested too deeply")
	}
	sc.depth++
	defer func() { sc.depth-- }()
	i := skipWS(s, sc.i+1)
	if i < len(s) && s[i] == '}' {
		sc.i = i + 1
		return nil
	}
	for {
		if i >= len(s) || s[i] != '"' {
			sc.i = i
			return sc.unexpected("a member name")
		}
		end, escaped, want := skipString(s, i)
		if want != "" {
			sc.i = end
			return sc.unexpected(want)
		}
		raw := s[i+1 : end-1]
		i = skipWS(s, end)
		if i >= len(s) || s[i] != ':' {
			sc.i = i
			return sc.unexpected("':'")
		}
		i = skipWS(s, i+1)
		done := false
		if member != nil {
			name, err := unquote(raw, escaped)
			if err != nil {
				sc.i = i
				return sc.errf("member name: %v", err)
			}
			sc.i = i
			if done, err = member(name, i); err != nil {
				return err
			}
			i = sc.i
		}
		if !done {
			if i, want = skipValue(s, i, sc.depth); want != "" {
				sc.i = i
				return sc.unexpected(want)
			}
		}
		i = skipWS(s, i)
		if i < len(s) && s[i] == ',' {
			i = skipWS(s, i+1)
			continue
		}
		if i < len(s) && s[i] == '}' {
			sc.i = i + 1
			return nil
		}
		sc.i = i
		return sc.unexpected("',' or '}'")
	}
}

// array validates the array at sc.i, calling elem (when not nil) at each element, which
// must consume it; it returns the element count.
func (sc *scanner) array(elem func() error) (int, error) {
	if sc.i >= len(sc.s) || sc.s[sc.i] != '[' {
		return 0, sc.unexpected("'['")
	}
	if sc.depth++; sc.depth > maxDepth {
		return 0, sc.errf("nested too deeply")
	}
	defer func() { sc.depth-- }()
	sc.i++
	sc.ws()
	if sc.i < len(sc.s) && sc.s[sc.i] == ']' {
		sc.i++
		return 0, nil
	}
	n := 0
	for {
		sc.ws()
		var err error
		if elem != nil {
			err = elem()
		} else {
			err = sc.value()
		}
		if err != nil {
			return n, err
		}
		n++
		sc.ws()
		if sc.i >= len(sc.s) {
			return n, sc.unexpected("',' or ']'")
		}
		switch sc.s[sc.i] {
		case ',':
			sc.i++
		case ']':
			sc.i++
			return n, nil
		default:
			return n, sc.unexpected("',' or ']'")
		}
	}
}

// end checks that only whitespace follows the top-level value.
func (sc *scanner) end() error {
	sc.ws()
	if sc.i != len(sc.s) {
		return sc.errf("unexpected %q after the top-level value", sc.s[sc.i])
	}
	return nil
}

// integer reads a JSON number that must be a whole number fitting an int.
func (sc *scanner) integer(field string) (int, error) {
	start := sc.i
	if err := sc.number(); err != nil {
		return 0, fmt.Errorf("%q: %w", field, err)
	}
	n, err := strconv.Atoi(sc.s[start:sc.i])
	if err != nil {
		return 0, fmt.Errorf("%q is %s, not a whole number", field, sc.s[start:sc.i])
	}
	return n, nil
}

// boolean reads true or false; anything else is an error naming the field.
func (sc *scanner) boolean(field string) (bool, error) {
	switch {
	case strings.HasPrefix(sc.s[sc.i:], "true"):
		sc.i += 4
		return true, nil
	case strings.HasPrefix(sc.s[sc.i:], "false"):
		sc.i += 5
		return false, nil
	}
	start := sc.i
	if err := sc.value(); err != nil {
		return false, fmt.Errorf("%q: %w", field, err)
	}
	return false, fmt.Errorf("%q is %s, not a JSON boolean", field, sc.s[start:sc.i])
}

func (sc *scanner) isNull() bool {
	if strings.HasPrefix(sc.s[sc.i:], "null") {
		sc.i += 4
		return true
	}
	return false
}

// flagState is what the screen needs of one stored flag.
type flagState struct {
	on            bool
	version       int
	deleted       bool
	offVariation  *int
	variations    int
	prerequisites []string

	// What tells a flag as Relay stores it from any other JSON (see relayShape).
	key        string
	hasKey     bool
	varsArray  bool // "variations" is an array (not absent, not null)
	hasVersion bool
}

// parseFlag reads the fields we show from a flag's stored JSON and validates the rest.
func parseFlag(raw string) (flagState, error) {
	if f, ok := parseFlagFast(raw); ok {
		return f, nil
	}
	return parseFlagScanner(raw)
}

// parseFlagScanner is parseFlag for every input, and the reasons for what it refuses.
func parseFlagScanner(raw string) (flagState, error) {
	var f flagState
	sc := &scanner{s: raw}
	sc.ws()
	err := sc.object(func(name string, _ int) (bool, error) {
		var err error
		switch name {
		case "on":
			f.on, err = sc.boolean(name)
		case "version":
			f.version, err = sc.integer(name)
			f.hasVersion = true
		case "key":
			raw, escaped, serr := sc.str()
			if serr != nil {
				return true, fmt.Errorf("%q: %w", name, serr)
			}
			f.key, err = unquote(raw, escaped)
			f.hasKey = true
		case "deleted":
			if !sc.isNull() {
				f.deleted, err = sc.boolean(name)
			}
		case "offVariation":
			if sc.isNull() {
				f.offVariation = nil
				return true, nil
			}
			var v int
			if v, err = sc.integer(name); err == nil {
				f.offVariation = &v
			}
		case "variations":
			if sc.isNull() {
				f.variations = 0
				return true, nil
			}
			f.variations, err = sc.array(nil)
			f.varsArray = true
		case "prerequisites":
			f.prerequisites = f.prerequisites[:0]
			if sc.isNull() {
				return true, nil
			}
			_, err = sc.array(func() error {
				return sc.object(func(name string, _ int) (bool, error) {
					if name != "key" {
						return false, nil
					}
					raw, escaped, err := sc.str()
					if err != nil {
						return true, fmt.Errorf("prerequisite key: %w", err)
					}
					k, err := unquote(raw, escaped)
					if err != nil {
						return true, fmt.Errorf("prerequisite key: %w", err)
					}
					f.prerequisites = append(f.prerequisites, k)
					return true, nil
				})
			})
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil {
		err = sc.end()
	}
	if err != nil {
		return flagState{}, err
	}
	if len(f.prerequisites) == 0 {
		f.prerequisites = nil
	}
	return f, nil
}

// SetOnAndVersion returns a flag's stored JSON with "on" and "version" replaced and every
// other byte as stored (same fields, same order, same spelling; a missing field is appended):
// what a toggle writes, and what a Relay full sync would write.
func SetOnAndVersion(raw string, on bool, version int) (string, error) {
	type span struct{ start, end int }
	var onSpans, verSpans []span
	sc := &scanner{s: raw}
	sc.ws()
	err := sc.object(func(name string, start int) (bool, error) {
		switch name {
		case "on":
			if _, err := sc.boolean(name); err != nil {
				return true, err
			}
			onSpans = append(onSpans, span{start, sc.i})
			return true, nil
		case "version":
			if _, err := sc.integer(name); err != nil {
				return true, err
			}
			verSpans = append(verSpans, span{start, sc.i})
			return true, nil
		}
		return false, nil
	})
	if err == nil {
		err = sc.end()
	}
	if err != nil {
		return "", err
	}
	onText, verText := strconv.FormatBool(on), strconv.Itoa(version)
	// Splice from the end so earlier offsets stay valid.
	type edit struct {
		span
		text string
	}
	var edits []edit
	for _, s := range onSpans {
		edits = append(edits, edit{s, onText})
	}
	for _, s := range verSpans {
		edits = append(edits, edit{s, verText})
	}
	var missing []string
	if len(onSpans) == 0 {
		missing = append(missing, `"on":`+onText)
	}
	if len(verSpans) == 0 {
		missing = append(missing, `"version":`+verText)
	}
	if len(missing) > 0 {
		// Before the closing brace of the top-level object.
		closing := strings.LastIndexByte(raw, '}')
		add := strings.Join(missing, ",")
		if strings.TrimSpace(raw[strings.IndexByte(raw, '{')+1:closing]) != "" {
			add = "," + add
		}
		edits = append(edits, edit{span{closing, closing}, add})
	}
	// Sort by start descending (few edits: insertion sort).
	for i := 1; i < len(edits); i++ {
		for j := i; j > 0 && edits[j].start > edits[j-1].start; j-- {
			edits[j], edits[j-1] = edits[j-1], edits[j]
		}
	}
	out := raw
	for _, e := range edits {
		out = out[:e.start] + e.text + out[e.end:]
	}
	return out, nil
}
