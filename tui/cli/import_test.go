package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relaycommander/journal"
)

func TestImportRelayCommanderQueue(t *testing.T) {
	h := newHarness(t)
	todo := filepath.Join(h.dir, "replay", "toDo")
	os.MkdirAll(todo, 0o755)
	files := []struct{ name, line string }{
		// relayCommander wrote one file per Redis host per change.
		{"a1.txt", "rc update-ld-api -p web-store -e production -f beta-dashboard -s off"},
		{"a2.txt", "rc update-ld-api -p web-store -e production -f beta-dashboard -s off"},
		{"b1.txt", "rc update-ld-api -p payments -e staging -f rate-limits -s on"},
		{"bad.txt", "rc update-ld-api -p x -e y -f z -s on; rm -rf /"},
	}
	for i, f := range files {
		p := filepath.Join(todo, f.name)
		os.WriteFile(p, []byte(f.line), 0o644)
		ts := time.Now().Add(time.Duration(i-10) * time.Minute)
		os.Chtimes(p, ts, ts)
		time.Sleep(10 * time.Millisecond) // distinct ctimes, in order
	}

	g := h.run("", false, "import-relaycommander", "replay", "--json")
	wantCode(t, g, ExitPartial, "bad.txt", "relaycommander: 1 queue file was skipped, listed above; nothing in it was executed. Redo it by hand")
	out := decode[struct {
		Journal  string                  `json:"journal"`
		Read     int                     `json:"read"`
		Recorded []journal.Change        `json:"recorded"`
		Skipped  []journal.ImportProblem `json:"skipped"`
	}](t, g.stdout)
	if len(out.Recorded) != 2 || len(out.Skipped) != 1 || out.Recorded[0].Flag != "beta-dashboard" || out.Recorded[0].BaseVersion != nil ||
		out.Recorded[1].Prefix != "ld:payments:staging" || !out.Recorded[1].After {
		t.Errorf("import: %+v", out)
	}
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 2 {
		t.Errorf("queue after import: %+v", q)
	}

	// Importing again records nothing new; the parent directory is accepted too.
	os.Remove(filepath.Join(todo, "bad.txt"))
	g = h.ok("import-relaycommander", h.dir)
	if !strings.Contains(g.stdout, "Imported 0 changes") {
		t.Errorf("second import:\n%s", g.stdout)
	}
	if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 2 || len(q.Pending[0].Changes) != 1 {
		t.Errorf("queue after a second import: %+v", q)
	}
	wantCode(t, h.run("", false, "import-relaycommander", "does-not-exist"), ExitError, "does-not-exist")

	// A configured mapping names the prefix relayCommander's convention would have guessed.
	h2 := newHarness(t)
	h2.write("relaycommander.yaml", "prefixes:\n  launchdarkly: {project: web-store, environment: production}\n", 0o600)
	g = h2.ok("import-relaycommander", "--json", filepath.Join(h.dir, "replay"))
	out = decode[struct {
		Journal  string                  `json:"journal"`
		Read     int                     `json:"read"`
		Recorded []journal.Change        `json:"recorded"`
		Skipped  []journal.ImportProblem `json:"skipped"`
	}](t, g.stdout)
	if len(out.Recorded) != 2 || out.Recorded[0].Prefix != "launchdarkly" || out.Recorded[1].Prefix != "ld:payments:staging" {
		t.Errorf("import with a mapping: %+v", out.Recorded)
	}
}
