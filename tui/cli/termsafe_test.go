package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"relaycommander/flags/fixture"
	"relaycommander/ldsync/ldfake"
)

// Terminal control sequences stored in Redis, the journal or an imported queue file never
// reach the terminal through any command's text output: they are shown escaped (`\x1b`), and
// --json stays JSON (issue 11, item 11).
func TestNoTerminalControlSequencesInTextOutput(t *testing.T) {
	const evil = "evil\x1b]0;PWNED\a\x1b[31mRED\x1b[0m"
	h := newHarness(t)
	a, b := twoHosts(t, h)
	h.env["RC_OPERATOR"] = "op\x1b]52;c;QUFBQQ==\a\x1b[2J"
	const reason = "why\x1b[1A\x1b[2Kforged\a"
	const prefix = "ld:web-store:staging"
	raw, _ := json.Marshal(map[string]any{"key": evil, "on": true, "prerequisites": []any{}, "targets": []any{}, "rules": []any{},
		"fallthrough": map[string]any{"variation": 0}, "offVariation": 1, "variations": []any{true, false}, "salt": "s", "version": 7, "deleted": false})
	// LaunchDarkly knows the flag too, so that the replay sends it and reports on it.
	seed := fixture.Load()
	seed[prefix].Features[evil] = string(raw)
	fake := ldfake.New(ldfake.WithStore(seed))
	t.Cleanup(fake.Close)
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = fake.URL()
	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = fake.Token()
	ctx := t.Context()
	if err := a.Client().HSet(ctx, prefix+":features", evil, string(raw)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.Client().HSet(ctx, prefix+":features", evil, string(raw)).Err(); err != nil {
		t.Fatal(err)
	}
	queueDir := filepath.Join(h.dir, "replay", "toDo")
	h.write("replay/toDo/1.txt", "rc update-ld-api -p web-store -e staging -f "+evil+" -s off", 0o600)
	h.write("replay/toDo/2.txt", "rc update-ld-api -p web-store -e staging -f beta-dashboard -s off\x1b[2J\a", 0o600)

	check := func(name string, g got, wantEscaped bool) {
		t.Helper()
		all := g.stdout + g.stderr
		if strings.ContainsAny(all, "\x1b\a") {
			t.Errorf("%s prints a control character (exit %d):\nstdout:\n%q\nstderr:\n%q", name, g.code, g.stdout, g.stderr)
		}
		if wantEscaped && !strings.Contains(all, `\x1b`) {
			t.Errorf("%s does not show the escaped form \\x1b (exit %d):\nstdout:\n%s\nstderr:\n%s", name, g.code, g.stdout, g.stderr)
		}
	}
	check("flags", h.run("", false, "flags", "-p", "web-store", "-e", "staging"), true)
	check("flags (overview)", h.run("", false, "flags"), false)
	check("update", h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", evil, "-s", "off", "--yes", "--reason", reason), true)
	check("update of an unknown flag", h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", evil+"x", "-s", "off", "--yes"), true)
	check("queue", h.run("", false, "queue"), true)
	check("import-relaycommander", h.run("", false, "import-relaycommander", filepath.Dir(queueDir)), true)
	check("replay --dry-run", h.run("", false, "replay", "--dry-run"), true)
	check("replay", h.run("", false, "replay", "--yes"), true)
	if fake.PatchCount() != 1 {
		t.Errorf("the replay sent %d patches, want 1", fake.PatchCount())
	}
	check("update again", h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", evil, "-s", "on", "--yes", "--reason", reason), true)
	check("discard", h.run("", false, "discard", "-p", "web-store", "-e", "staging", "-f", evil, "--yes", "--reason", reason), true)
	check("status", h.run("", false, "status"), false)
	// --json is JSON: the sequences are JSON-escaped there, and decode back to the data.
	g := h.run("", false, "flags", "-p", "web-store", "-e", "staging", "--json")
	if strings.ContainsAny(g.stdout, "\x1b\a") || !strings.Contains(g.stdout, `\u001b`) {
		t.Errorf("flags --json:\n%s", g.stdout)
	}

	// status shows the journal directory and the hosts' errors: escaped too.
	h2 := newHarness(t)
	h2.journal = filepath.Join(t.TempDir(), "j\x1b[31m")
	h2.env["RC_JOURNAL_DIR"] = h2.journal
	h2.env["RC_REDIS_HOSTS"] = a.Addr
	check("status (journal path)", h2.run("", false, "status"), true)
}
