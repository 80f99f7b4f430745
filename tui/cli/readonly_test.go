package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Read-only means no write anywhere (Redis, the journal, LaunchDarkly) from any command, and
// the refusal says where read-only was set.
func TestReadOnlyRefusesEveryWrite(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "off", "--yes")
	onBefore, vBefore := stored(t, a, "ld:web-store:staging", "beta-dashboard")

	queue := filepath.Join(h.dir, "replay", "toDo")
	if err := os.MkdirAll(queue, 0o755); err != nil {
		t.Fatal(err)
	}
	h.write("replay/toDo/a.txt", "rc update-ld-api -p web-store -e test -f beta-dashboard -s off", 0o644)

	for _, src := range []struct {
		name  string
		set   func()
		unset func()
		says  string
	}{
		{"flag", func() {}, func() {}, "--read-only"},
		{"environment", func() { h.env["RC_UI_READ_ONLY"] = "true" }, func() { delete(h.env, "RC_UI_READ_ONLY") }, "RC_UI_READ_ONLY"},
		{"file", func() { h.write("relaycommander.yaml", "ui:\n  read_only: true\n", 0o600) },
			func() { os.Remove(filepath.Join(h.dir, "relaycommander.yaml")) }, "relaycommander.yaml"},
	} {
		src.set()
		extra := []string{}
		if src.name == "flag" {
			extra = []string{"--read-only"}
		}
		for _, args := range [][]string{
			{"update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "on", "--yes"},
			{"replay", "--yes"},
			{"discard", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "--yes"},
			{"discard", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "--restore", "--yes"},
			{"import-relaycommander", "replay"},
		} {
			wantCode(t, h.run("", false, append(args, extra...)...), ExitError, "read-only", src.says, "nothing was changed")
		}
		src.unset()
	}
	if n := fake.PatchCount(); n != 0 {
		t.Errorf("read-only replay sent %d patches to LaunchDarkly", n)
	}
	if on, v := stored(t, a, "ld:web-store:staging", "beta-dashboard"); on != onBefore || v != vBefore {
		t.Errorf("read-only update wrote Redis: now on=%t v%d, was on=%t v%d", on, v, onBefore, vBefore)
	}
	// Reading is still allowed: the queue shows the one change, nothing imported.
	g := h.ok("queue", "--json", "--read-only")
	if q := decode[queueOut](t, g.stdout); len(q.Pending) != 1 {
		t.Errorf("queue after read-only commands: %d pending, want 1 (nothing imported): %s", len(q.Pending), g.stdout)
	}
	// A dry run plans without writing: allowed.
	h.ok("replay", "--dry-run", "--read-only")
}

// --read-only's help says it covers every command, not the UI alone (issue 13, item 13).
func TestReadOnlyHelp(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{{"--help"}, {"update", "--help"}, {"replay", "--help"}} {
		g := h.ok(args...)
		var line string
		for _, l := range strings.Split(g.stdout, "\n") {
			if strings.Contains(l, "--read-only") {
				line = l
			}
		}
		if !strings.Contains(line, "no command or screen writes anything") || strings.Contains(line, "UI:") {
			t.Errorf("relaycommander %s: --read-only reads %q", strings.Join(args, " "), line)
		}
	}
}
