package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func goodRecords(t testing.TB) [][]byte {
	t0 := time.Date(2026, 11, 24, 3, 0, 0, 123456789, time.UTC)
	on := true
	recs := []record{
		{Type: typeIntent, Change: &Change{ID: "id1", Time: t0, Operator: "ann", Reason: "kill \"checkout\" \u00e9\n", Prefix: "ld:p:e",
			Project: "p", Environment: "e", Flag: "f", Before: true, After: false, BaseVersion: intp(-3)}},
		{Type: typeOutcome, ID: "id1", Outcomes: []HostOutcome{{Host: "a:6379", Outcome: "failed", Error: "dial tcp: refused"}}},
		{Type: typeReplay, Replay: &ReplayEvent{Time: t0, Kind: ReplayConflict, ChangeIDs: []string{"id1", "id2"}, Prefix: "ld:p:e",
			Flag: "f", LDVersion: 12, LDOn: &on, LDModified: t0, Forced: true, By: "bob", Why: "x"}},
	}
	var out [][]byte
	for _, r := range recs {
		b, err := encodeRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// The reader (go-json) reads exactly what encoding/json wrote, and refuses what is not a record.
func TestDecoderAgreesWithEncodingJSON(t *testing.T) {
	for _, line := range goodRecords(t) {
		got, err := decodeRecord(bytes.TrimSuffix(line, []byte("\n")))
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		var want record
		if err := json.Unmarshal(line, &want); err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !bytes.Equal(g, w) {
			t.Fatalf("decoded\n%s\nwant\n%s", g, w)
		}
	}
	for _, bad := range []string{`{"v":1,"type":"intent","change":{"id":"x"}}x`, `{"v":1.5,"type":"replay"}`, `{"v":1,"type":"intent","change":{"id":"x","time":"yesterday"}}`,
		`{"v":1,"type":"intent","change":{"id":"x"},}`, `{"v":01,"type":"intent","change":{"id":"x"}}`, "{\"v\":1,\"type\":\"intent\",\"change\":{\"id\":\"x\t\"}}",
		`{"v":1,"type":"outcome"}`, `[]`, `{"v":1,"type":"intent","change":{"id":"x"}`} {
		if _, err := decodeRecord([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// FuzzRead: the reader never panics, accepts only valid JSON, keeps every well-formed record
// before a bad line, and reports a bad line with its number.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"",
		"\n",
		`{"v":1,"type":"intent","change":{"id":"x","pre`,
		`{"v":1,"type":"replay","replay":{"kind":"applied","changeIds":["a"]}}` + "\n",
		`{"v":1,"type":"replay","replay":{"kind":"applied","changeIds":["a"]}}`,
		"garbage\n" + `{"v":1,"type":"outcome","id":"x","outcomes":[]}` + "\n",
		`{"v":1,"type":"outcome","id":"x","outcomes":[{"host":"\ud800","oldVersion":1e3}]}` + "\n",
		`{"v":1,"type":"intent","change":{"id":"x","baseVersion":null,"zz":[{"a":[1,2,{"b":null}]}]}}` + "\n",
		`{"v":1,"type":"intent","change":{"id":"x","baseVersion":99999999999999999999}}` + "\n",
		strings.Repeat("[", 100) + "\n",
		"\x00\x00\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		good := goodRecords(t)
		file := append(bytes.Join(good, nil), data...)
		var got []record
		p, err := parseRecords(file, "journal.jsonl", 1, func(r record) { got = append(got, r) })
		if len(got) < len(good) {
			t.Fatalf("kept %d records, want at least the %d good ones before the fuzzed part (err %v)", len(got), len(good), err)
		}
		for i := range good {
			b, _ := encodeRecord(got[i])
			if !bytes.Equal(b, good[i]) {
				t.Fatalf("record %d became %s, want %s", i, b, good[i])
			}
		}
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line <= len(good) || le.File != "journal.jsonl" {
				t.Fatalf("error %v does not name a line after the good ones", err)
			}
		}
		if p.consumed > int64(len(file)) {
			t.Fatalf("consumed %d of %d bytes", p.consumed, len(file))
		}
		// Lines the reader accepted are valid JSON, and round-trip.
		for _, line := range bytes.Split(file[len(bytes.Join(good, nil)):p.consumed], []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			r, err := decodeRecord(line)
			if err != nil {
				t.Fatalf("consumed line %q does not decode: %v", line, err)
			}
			if !json.Valid(line) {
				t.Fatalf("accepted invalid JSON %q", line)
			}
			var std record
			if err := json.Unmarshal(line, &std); err != nil {
				t.Fatalf("accepted %q, which encoding/json refuses: %v", line, err)
			}
			if b, b2 := mustEncode(t, r), mustEncode(t, std); !bytes.Equal(b, b2) {
				t.Fatalf("%q read as %s, encoding/json reads %s", line, b, b2)
			}
			b, _ := encodeRecord(r)
			r2, err := decodeRecord(bytes.TrimSuffix(b, []byte("\n")))
			if err != nil {
				t.Fatalf("re-encoded %s does not decode: %v", b, err)
			}
			if b2, _ := encodeRecord(r2); !bytes.Equal(b, b2) {
				t.Fatalf("round trip %s became %s", b, b2)
			}
		}
		// Open on the same bytes agrees: it fails only with the same line error.
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, journalFile), file, 0o600); err != nil {
			t.Fatal(err)
		}
		j, oerr := Open(dir)
		if (oerr == nil) != (err == nil) {
			t.Fatalf("Open error %v, parse error %v", oerr, err)
		}
		if j != nil {
			entries, events, _ := j.Log()
			if len(entries) == 0 || len(events) == 0 {
				t.Fatalf("good records lost: %d entries %d events", len(entries), len(events))
			}
			j.Close()
		}
	})
}

func mustEncode(t *testing.T, r record) []byte {
	b, err := encodeRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var safeKey = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// FuzzImport: the relayCommander importer never panics, accepts only the exact form with safe
// keys, and keeps the good queue files around a bad one.
func FuzzImport(f *testing.F) {
	for _, s := range []string{
		"rc update-ld-api -p shop -e prod -f checkout -s off",
		"rc update-ld-api -p shop -e prod -f checkout -s on\n",
		"rc update-ld-api -p shop -e prod -f checkout -s on\n\n",
		"rc update-ld-api -p shop -e prod -f checkout -s on; rm -rf ~",
		"rc update-ld-api -p shop -e prod -f `id` -s on",
		"rc update-ld-api -p shop -e prod -f a -s maybe",
		"rc update-redis -p shop -e prod -f a -s on",
		"rc  update-ld-api -p shop -e prod -f a -s on",
		"",
		"\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		project, env, flag, on, reason := parseQueueLine([]byte(content))
		if reason == "" {
			state := map[bool]string{true: "on", false: "off"}[on]
			if rebuilt := fmt.Sprintf("rc update-ld-api -p %s -e %s -f %s -s %s", project, env, flag, state); rebuilt != strings.TrimSuffix(content, "\n") {
				t.Fatalf("accepted %q as %q", content, rebuilt)
			}
			for _, k := range []string{project, env, flag} {
				if !safeKey.MatchString(k) {
					t.Fatalf("accepted unsafe key %q", k)
				}
			}
		}
		root := t.TempDir()
		todo := filepath.Join(root, "toDo")
		os.Mkdir(todo, 0o700)
		for name, c := range map[string]string{
			"a.txt": "rc update-ld-api -p shop -e prod -f before -s on",
			"b.txt": content,
			"c.txt": "rc update-ld-api -p shop -e prod -f after -s off",
		} {
			if err := os.WriteFile(filepath.Join(todo, name), []byte(c), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		changes, problems, err := ReadRelayCommanderQueue(root)
		if err != nil {
			t.Fatal(err)
		}
		flags := map[string]bool{}
		for _, c := range changes {
			flags[c.Flag] = true
		}
		if !flags["before"] || !flags["after"] {
			t.Fatalf("good queue files lost: %+v %+v", changes, problems)
		}
		if (reason == "") == (len(problems) > 0) {
			t.Fatalf("problems %+v for a file whose own reason is %q", problems, reason)
		}
	})
}
