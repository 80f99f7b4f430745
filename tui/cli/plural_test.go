package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"relaycommander/flags/redistest"
)

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 changes were"}, {1, "1 change was"}, {2, "2 changes were"}} {
		if got := count(c.n, "change was", "changes were"); got != c.want {
			t.Errorf("count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if allHosts(1) != "the only Redis host" || allHosts(3) != "all 3 Redis hosts" {
		t.Errorf("allHosts: %q, %q", allHosts(1), allHosts(3))
	}
}

// No text output writes "(s)" or a count before a fixed plural: every count goes through count.
func TestNoFixedPlurals(t *testing.T) {
	literal := regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	fixed := regexp.MustCompile(`[a-z]\(s\)[ .,;:"']|%d (Redis )?(hosts|flags|changes|conflicts|toggles|environments|dependants|Relays)\b`)
	for _, dir := range []string{".", "..", "../demo"} { // the command line, the UI, the demo
		files, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			name := filepath.Join(dir, f.Name())
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(src), "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "//") {
					continue
				}
				for _, lit := range literal.FindAllString(line, -1) { // text, not code such as safe(s)
					if m := fixed.FindString(lit + " "); m != "" {
						t.Errorf("%s:%d: %q: write the plural with count", name, i+1, m)
					}
				}
			}
		}
	}
}

// With one host, the confirmation says "the only Redis host", never "all 1 Redis hosts".
func TestPluralsOneHost(t *testing.T) {
	h := newHarness(t)
	a := redistest.StartWithFixture(t)
	h.env["RC_REDIS_HOSTS"] = a.Addr
	g := h.run("n\n", true, "update", "-p", "web-store", "-e", "staging", "-f", "kill-switch-checkout", "-s", "on")
	wantCode(t, g, ExitError, "Set kill-switch-checkout ON on the only Redis host of web-store/staging")
	if strings.Contains(g.stderr+g.stdout, "1 Redis hosts") {
		t.Errorf("update with one host:\n%s%s", g.stdout, g.stderr)
	}

	twoHosts(t, h)
	g = h.run("n\n", true, "update", "-p", "web-store", "-e", "staging", "-f", "kill-switch-checkout", "-s", "on")
	wantCode(t, g, ExitError, "Set kill-switch-checkout ON on all 2 Redis hosts of web-store/staging")
}
