package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"

	gojson "github.com/goccy/go-json"
)

// schemaVersion is written in every record. A reader refuses records of a newer schema rather
// than misread them.
const schemaVersion = 1

// Record type tags.
const (
	typeIntent  = "intent"
	typeOutcome = "outcome"
	typeReplay  = "replay"
)

// record is one line of the journal file.
type record struct {
	V        int           `json:"v"`
	Type     string        `json:"type"`
	Change   *Change       `json:"change,omitempty"`   // intent
	ID       string        `json:"id,omitempty"`       // outcome: the change it completes
	Outcomes []HostOutcome `json:"outcomes,omitempty"` // outcome
	Replay   *ReplayEvent  `json:"replay,omitempty"`   // replay
}

// encodeRecord renders a record as one line, newline included.
func encodeRecord(r record) ([]byte, error) {
	r.V = schemaVersion
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// decodeRecord parses one line (without its newline) and checks that it is a usable record.
func decodeRecord(line []byte) (record, error) { return decodeRecordInterned(line, nil) }

// decodeRecordInterned is decodeRecord sharing repeated strings through intern (nil: none).
// Reading uses github.com/goccy/go-json: encoding/json takes more than the 300 ms budget for
// opening 100,000 records; writing stays with encoding/json, and FuzzRead checks they agree.
func decodeRecordInterned(line []byte, intern map[string]string) (record, error) {
	var r record
	if err := gojson.UnmarshalOf(line, &r); err != nil {
		return record{}, err
	}
	if r.V < 1 || r.V > schemaVersion {
		return r, fmt.Errorf("schema version %d not supported (this build reads 1 to %d)", r.V, schemaVersion)
	}
	switch r.Type {
	case typeIntent:
		if r.Change == nil || r.Change.ID == "" {
			return r, errors.New("intent record without a change id")
		}
	case typeOutcome:
		if r.ID == "" {
			return r, errors.New("outcome record without a change id")
		}
	case typeReplay:
		if r.Replay == nil || r.Replay.Kind == "" {
			return r, errors.New("replay record without a kind")
		}
	default:
		return r, fmt.Errorf("unknown record type %q", r.Type)
	}
	if intern != nil {
		r.intern(intern)
	}
	return r, nil
}

// intern makes the values repeated across records (operators, prefixes, flags, hosts) share one
// string each: a long journal is kept in memory.
func (r *record) intern(m map[string]string) {
	in := func(s *string) {
		if v, ok := m[*s]; ok {
			*s = v
		} else if len(m) < 10000 {
			m[*s] = *s
		}
	}
	if c := r.Change; c != nil {
		for _, s := range []*string{&c.Operator, &c.Reason, &c.Prefix, &c.Project, &c.Environment, &c.Flag, &c.Source} {
			in(s)
		}
	}
	for i := range r.Outcomes {
		o := &r.Outcomes[i]
		in(&o.Host)
		in(&o.Outcome)
	}
	if e := r.Replay; e != nil {
		for _, s := range []*string{(*string)(&e.Kind), &e.Prefix, &e.Flag, &e.By, &e.Why} {
			in(s)
		}
	}
}

// LineError is a malformed line in the middle of a journal file.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("journal %s line %d is malformed: %v; nothing was changed and no record after it was dropped: "+
		"look at that line, repair or remove it by hand (keep a copy of the file), then start again", e.File, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// parsed is what one pass over journal bytes found.
type parsed struct {
	records  int    // records passed to emit
	consumed int64  // bytes of complete lines read (the torn tail is not consumed)
	lines    int    // complete lines read
	torn     []byte // an unparsable last line without newline, ignored
}

// parseRecords reads complete lines of data, passing each record to emit. firstLine numbers the first line for errors.
// A last line without newline is kept when it parses (only the newline was lost) and returned
// as torn otherwise. On a malformed complete line it stops there, every record before it
// emitted, with a *LineError.
func parseRecords(data []byte, file string, firstLine int, emit func(record)) (parsed, error) {
	var p parsed
	intern := map[string]string{}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			// Last line without newline: a complete record whose newline was cut is kept,
			// anything else is a torn write.
			if len(bytes.TrimSpace(data)) == 0 {
				p.consumed += int64(len(data))
				return p, nil
			}
			r, err := decodeRecordInterned(data, intern)
			if err != nil {
				p.torn = data
				return p, nil
			}
			emit(r)
			p.records++
			p.consumed += int64(len(data))
			p.lines++
			return p, nil
		}
		line := data[:i]
		data = data[i+1:]
		lineNo := firstLine + p.lines
		if len(bytes.TrimSpace(line)) > 0 {
			r, err := decodeRecordInterned(line, intern)
			if err != nil {
				return p, &LineError{File: file, Line: lineNo, Err: err}
			}
			emit(r)
			p.records++
		}
		p.consumed += int64(i + 1)
		p.lines++
	}
	return p, nil
}

// parallelMin is the size above which a read is split across the CPUs: opening a long
// journal is dominated by decoding.
const parallelMin = 1 << 20

// parseRecordsParallel is parseRecords over chunks decoded concurrently and emitted in order.
func parseRecordsParallel(data []byte, file string, firstLine int, emit func(record)) (parsed, error) {
	n := min(runtime.GOMAXPROCS(0), 8)
	if n < 2 || len(data) < parallelMin {
		return parseRecords(data, file, firstLine, emit)
	}
	// Cut at newlines; every chunk but the last ends with one.
	var chunks [][]byte
	rest := data
	for i := n; i > 1 && len(rest) > 0; i-- {
		cut := len(rest) / i
		nl := bytes.IndexByte(rest[cut:], '\n')
		if nl < 0 {
			break
		}
		chunks = append(chunks, rest[:cut+nl+1])
		rest = rest[cut+nl+1:]
	}
	chunks = append(chunks, rest)
	type result struct {
		recs []record
		p    parsed
		err  error
	}
	results := make([]result, len(chunks))
	var wg sync.WaitGroup
	line := firstLine
	for i, c := range chunks {
		first := line
		line += bytes.Count(c, []byte{'\n'})
		wg.Go(func() {
			r := &results[i]
			r.recs = make([]record, 0, len(c)/200)
			r.p, r.err = parseRecords(c, file, first, func(rec record) { r.recs = append(r.recs, rec) })
		})
	}
	wg.Wait()
	var total parsed
	for _, r := range results {
		for _, rec := range r.recs {
			emit(rec)
		}
		total.records += r.p.records
		total.consumed += r.p.consumed
		total.lines += r.p.lines
		total.torn = r.p.torn
		if r.err != nil {
			return total, r.err
		}
	}
	return total, nil
}
