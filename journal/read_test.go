package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func appendRaw(t *testing.T, dir, s string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, journalFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// beginN records n changes in dir and returns their ids.
func beginN(t *testing.T, dir string, n int) []string {
	t.Helper()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var ids []string
	for range n {
		c, err := j.Begin(Change{Operator: "ann", Prefix: "P", Flag: "f", After: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func TestTornLastLine(t *testing.T) {
	dir := t.TempDir()
	ids := beginN(t, dir, 3)
	appendRaw(t, dir, `{"v":1,"type":"intent","change":{"id":"x","pre`)

	j, err := Open(dir)
	if err != nil {
		t.Fatalf("a torn last line must not stop Open: %v", err)
	}
	defer j.Close()
	w := j.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "line 4") || !strings.Contains(w[0], "torn") {
		t.Fatalf("warnings %q, want one naming the torn line 4", w)
	}
	entries, _, err := j.Log()
	if err != nil || len(entries) != 3 || entries[2].ID != ids[2] {
		t.Fatalf("entries %+v %v, want the 3 earlier records", entries, err)
	}
	// The next append saves the fragment aside and starts on a clean line.
	c, err := j.Begin(Change{Prefix: "P", Flag: "f"})
	if err != nil {
		t.Fatal(err)
	}
	torn, _ := filepath.Glob(filepath.Join(dir, "torn-*.txt"))
	if len(torn) != 1 {
		t.Fatalf("torn fragment files %v, want 1", torn)
	}
	if b, _ := os.ReadFile(torn[0]); !strings.HasPrefix(string(b), `{"v":1,"type":"intent","change":{"id":"x"`) {
		t.Fatalf("torn fragment %q", b)
	}
	j2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	entries, _, _ = j2.Log()
	if len(j2.Warnings()) != 0 || len(entries) != 4 || entries[3].ID != c.ID {
		t.Fatalf("after repair: warnings %q, %d entries", j2.Warnings(), len(entries))
	}
}

func TestRecordMissingOnlyItsNewline(t *testing.T) {
	dir := t.TempDir()
	beginN(t, dir, 1)
	line, _ := encodeRecord(record{Type: typeReplay, Replay: &ReplayEvent{Kind: ReplayFailed, ChangeIDs: []string{"z"}}})
	appendRaw(t, dir, strings.TrimSuffix(string(line), "\n"))
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, ev, _ := j.Log(); len(ev) != 1 || len(j.Warnings()) != 0 {
		t.Fatalf("events %+v warnings %q: a complete record without newline is kept", ev, j.Warnings())
	}
	if _, err := j.Begin(Change{Prefix: "P", Flag: "g"}); err != nil {
		t.Fatal(err)
	}
	j2, err := Open(dir)
	if err != nil {
		t.Fatalf("reopen after append: %v", err)
	}
	defer j2.Close()
	if e, ev, _ := j2.Log(); len(e) != 2 || len(ev) != 1 {
		t.Fatalf("entries %d events %d, want 2 and 1", len(e), len(ev))
	}
	if e, _, _ := j.Log(); len(e) != 2 {
		t.Fatalf("the appending journal sees %d entries, want 2", len(e))
	}
}

func TestMalformedMiddleLine(t *testing.T) {
	dir := t.TempDir()
	beginN(t, dir, 2)
	appendRaw(t, dir, "{\"v\":1,\"type\":\"intent\",\"change\":{\"id\":\"x\"}} trailing\n")
	line, _ := encodeRecord(record{Type: typeIntent, Change: &Change{ID: "later", Prefix: "P", Flag: "f"}})
	appendRaw(t, dir, string(line))

	_, err := Open(dir)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || le.File != filepath.Join(dir, journalFile) {
		t.Fatalf("Open error %v, want a LineError for line 3 of %s", err, filepath.Join(dir, journalFile))
	}
	if !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), journalFile) {
		t.Fatalf("message %q does not name the file and line", err)
	}
	// Nothing was changed: the file still holds every line.
	b, _ := os.ReadFile(filepath.Join(dir, journalFile))
	if n := strings.Count(string(b), "\n"); n != 4 {
		t.Fatalf("file has %d lines after a failed Open, want 4", n)
	}
}

func TestOtherSchemaVersionRefused(t *testing.T) {
	dir := t.TempDir()
	beginN(t, dir, 1)
	appendRaw(t, dir, `{"v":2,"type":"intent","change":{"id":"x"}}`+"\n")
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "schema version 2") {
		t.Fatalf("Open error %v, want a refusal of schema version 2", err)
	}
}

// Two processes on one machine see each other's appends: Pending re-reads the file.
func TestSecondJournalSeesAppends(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, err := a.Begin(Change{Prefix: "P", Flag: "f", After: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Complete(c.ID, written); err != nil {
		t.Fatal(err)
	}
	p, err := b.Pending()
	if err != nil || len(p) != 1 || p[0].Entries[0].ID != c.ID || !p[0].Entries[0].OutcomeKnown {
		t.Fatalf("second journal pending %+v %v", p, err)
	}
	if err := b.RecordReplay(ReplayEvent{Kind: ReplayApplied, ChangeIDs: []string{c.ID}, Prefix: "P", Flag: "f"}); err != nil {
		t.Fatal(err)
	}
	if p, err := a.Pending(); err != nil || len(p) != 0 {
		t.Fatalf("first journal still has pending %+v %v", p, err)
	}
}

func TestReplayLock(t *testing.T) {
	dir := t.TempDir()
	a, _ := Open(dir)
	defer a.Close()
	b, _ := Open(dir)
	defer b.Close()
	unlock, err := a.LockReplay()
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.LockReplay()
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second replay lock: %v, want an error naming %s and saying a replay is already running", err, dir)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock, err = b.LockReplay()
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock()
}

func TestArchive(t *testing.T) {
	dir := t.TempDir()
	j, _ := Open(dir)
	defer j.Close()
	c, _ := j.Begin(Change{Prefix: "P", Flag: "f", After: true})
	j.Complete(c.ID, written)
	if _, err := j.Archive(); err == nil || !strings.Contains(err.Error(), "P f") || !strings.Contains(err.Error(), "pending") {
		t.Fatalf("archive with a pending change: %v", err)
	}
	j.RecordReplay(ReplayEvent{Kind: ReplayApplied, ChangeIDs: []string{c.ID}, Prefix: "P", Flag: "f"})
	dest, err := j.Archive()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dest) != filepath.Join(dir, "archive") {
		t.Fatalf("archived to %s", dest)
	}
	b, err := os.ReadFile(dest)
	if err != nil || !strings.Contains(string(b), c.ID) {
		t.Fatalf("archive %s lacks the change: %v", dest, err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "archive")); fi.Mode().Perm() != 0o700 {
		t.Fatalf("archive dir mode %o", fi.Mode().Perm())
	}
	if e, _, _ := j.Log(); len(e) != 0 {
		t.Fatalf("log after archive has %d entries", len(e))
	}
	c2, err := j.Begin(Change{Prefix: "P", Flag: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if e, _, _ := j.Log(); len(e) != 1 || e[0].ID != c2.ID {
		t.Fatalf("log after a new begin %+v", e)
	}
}

func TestPermissionsTightened(t *testing.T) {
	dir := t.TempDir()
	beginN(t, dir, 1)
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Join(dir, journalFile), 0o644)
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, journalFile): 0o600} {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != want {
			t.Errorf("%s mode %o, want %o", path, fi.Mode().Perm(), want)
		}
	}
	if len(j.Warnings()) != 2 {
		t.Errorf("warnings %q, want two about modes changed", j.Warnings())
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/x/state")
	if d := DefaultDir(); d != "/x/state/relaycommander" {
		t.Fatalf("DefaultDir = %s", d)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/ann")
	if d := DefaultDir(); d != "/home/ann/.local/state/relaycommander" {
		t.Fatalf("DefaultDir = %s", d)
	}
}

func TestBeginValidates(t *testing.T) {
	j := openTemp(t)
	if _, err := j.Begin(Change{Flag: "f"}); err == nil {
		t.Fatal("a change without prefix was recorded")
	}
	c, _ := j.Begin(Change{Prefix: "P", Flag: "f"})
	if _, err := j.Begin(Change{ID: c.ID, Prefix: "P", Flag: "f"}); err == nil {
		t.Fatal("a duplicate id was recorded")
	}
	if err := j.Complete("nope", nil); err == nil {
		t.Fatal("outcome of an unknown change was recorded")
	}
	if err := j.RecordReplay(ReplayEvent{Kind: "bogus", ChangeIDs: []string{c.ID}}); err == nil {
		t.Fatal("unknown replay kind was recorded")
	}
}

// Goroutines of one process share a Journal; another Journal reads meanwhile.
func TestConcurrentGoroutines(t *testing.T) {
	dir := t.TempDir()
	j, _ := Open(dir)
	defer j.Close()
	r, _ := Open(dir)
	defer r.Close()
	const workers, each = 4, 25
	errs := make(chan error, workers+1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				errs <- nil
				return
			default:
			}
			if _, err := r.Pending(); err != nil {
				errs <- err
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				c, err := j.Begin(Change{Prefix: "P", Flag: fmt.Sprintf("f%d", w), After: i%2 == 0})
				if err == nil {
					err = j.Complete(c.ID, written)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	p, err := r.Pending()
	if err != nil || len(p) != workers {
		t.Fatalf("pending %d %v, want %d flags", len(p), err, workers)
	}
	for _, x := range p {
		if len(x.Entries) != each || !x.Entries[each-1].OutcomeKnown {
			t.Fatalf("%s has %d entries, want %d", x.Flag, len(x.Entries), each)
		}
	}
}

// A long journal is decoded in parallel chunks: same records, same line numbers.
func TestLongJournalMalformedLine(t *testing.T) {
	dir := t.TempDir()
	writeBigJournal(t, dir, 20_000)
	path := filepath.Join(dir, journalFile)
	data, _ := os.ReadFile(path)
	if len(data) < 2*parallelMin {
		t.Fatalf("journal of %d bytes is too short to be split", len(data))
	}
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, events, _ := j.Log()
	j.Close()
	var seq []record
	if _, err := parseRecords(data, path, 1, func(r record) { seq = append(seq, r) }); err != nil {
		t.Fatal(err)
	}
	intents := 0
	for _, r := range seq {
		if r.Type == typeIntent {
			intents++
		}
	}
	if len(entries) != intents || len(entries)+len(events) > len(seq) {
		t.Fatalf("parallel read %d entries %d events, sequential %d records with %d intents", len(entries), len(events), len(seq), intents)
	}

	lines := strings.SplitAfter(string(data), "\n")
	bad := len(lines) * 3 / 4
	lines[bad] = "{oops\n"
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600)
	_, err = Open(dir)
	var le *LineError
	if !errors.As(err, &le) || le.Line != bad+1 {
		t.Fatalf("error %v, want line %d", err, bad+1)
	}
	var kept int
	parseRecordsParallel([]byte(strings.Join(lines, "")), path, 1, func(record) { kept++ })
	if kept != bad {
		t.Fatalf("kept %d records before the bad line %d", kept, bad+1)
	}
}
