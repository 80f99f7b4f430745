package cli

import (
	"context"
	"strings"
	"testing"

	"relaycommander/flags/redistest"
)

func TestNearest(t *testing.T) {
	envs := []string{"production", "staging", "test"}
	for _, c := range []struct {
		typed string
		cands []string
		want  string
	}{
		{"prod", envs, "production"},
		{"Staging", envs, "staging"},
		{"stagin", envs, "staging"},
		{"tset", envs, "test"},
		{"qa", envs, ""},
		{"stage", envs, "staging"},
		{"prd", envs, ""},
		{"kil-switch-checkout", []string{"kill-switch-search", "kill-switch-checkout"}, "kill-switch-checkout"},
		{"web-stor", []string{"mobile-api", "payments", "web-store"}, "web-store"},
	} {
		got, ok := nearest(c.typed, c.cands)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("nearest(%q) = %q, %v; want %q", c.typed, got, ok, c.want)
		}
	}
	if d := levenshtein("kitten", "sitting"); d != 3 {
		t.Errorf("levenshtein(kitten, sitting) = %d, want 3", d)
	}
}

// A mistyped environment, project or prefix gets the nearest existing one, with a flags
// command that works; a mistyped flag key the nearest flag. Only the error path scans.
func TestSuggestions(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)

	for _, c := range []struct {
		args []string
		want string
		then []string // the suggested command, which must succeed
	}{
		{[]string{"flags", "-p", "web-store", "-e", "prod"}, "did you mean -e production?", []string{"flags", "-p", "web-store", "-e", "production"}},
		{[]string{"flags", "-p", "web-stor", "-e", "production"}, "did you mean -p web-store?", []string{"flags", "-p", "web-store", "-e", "production"}},
		{[]string{"flags", "-p", "paymnts", "-e", "stage"}, "did you mean -p payments -e staging?", []string{"flags", "-p", "payments", "-e", "staging"}},
		{[]string{"flags", "--prefix", "ld:web-store:prod"}, "did you mean --prefix ld:web-store:production?", []string{"flags", "-p", "web-store", "-e", "production"}},
		{[]string{"update", "-p", "web-store", "-e", "prod", "-f", "kill-switch-checkout", "-s", "off", "--yes"}, "did you mean -e production?", []string{"flags", "-p", "web-store", "-e", "production"}},
		{[]string{"update", "-p", "web-store", "-e", "production", "-f", "kil-switch-checkout", "-s", "off", "--yes"},
			"no flag kil-switch-checkout in ld:web-store:production; nothing was changed; did you mean kill-switch-checkout?", []string{"flags", "--prefix", "ld:web-store:production"}},
		{[]string{"update", "-p", "web-store", "-e", "production", "-f", "kil-switch-checkout", "-s", "on"}, "did you mean kill-switch-checkout?", nil},
	} {
		g := h.run("", false, c.args...)
		wantCode(t, g, ExitError, c.want)
		if strings.Contains(g.stderr, "--prefix ld:web-store:prod ") || strings.Contains(g.stderr, "flags --prefix ld:web-store:prod\n") {
			t.Errorf("%v suggests the prefix that failed:\n%s", c.args, g.stderr)
		}
		if c.then != nil {
			if !strings.Contains(g.stderr, "relaycommander "+strings.Join(c.then, " ")) {
				t.Errorf("%v does not suggest %v:\n%s", c.args, c.then, g.stderr)
			}
			h.ok(c.then...)
		}
	}

	// Nothing near: what there is, not a guess.
	wantCode(t, h.run("", false, "flags", "-p", "web-store", "-e", "qa"), ExitError, "its environments: production, staging, test")
	wantCode(t, h.run("", false, "flags", "-p", "zzz", "-e", "qa"), ExitError, "no project zzz on the hosts; the projects there: internal-tools, mobile-api, payments, web-store")

	// The success path reads no more than before: no SCAN.
	if err := a.Client().ConfigResetStat(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	h.ok("flags", "-p", "web-store", "-e", "production")
	h.ok("update", "-p", "web-store", "-e", "production", "-f", "kill-switch-checkout", "-s", "on", "--yes")
	if n := redistest.CommandCalls(t, a.Client())["scan"]; n != 0 {
		t.Errorf("the success path scanned the keyspace")
	}
	h.run("", false, "flags", "-p", "web-store", "-e", "prod")
	if n := redistest.CommandCalls(t, a.Client())["scan"]; n == 0 {
		t.Errorf("the error path did not scan: the check above proves nothing")
	}
}

// The project listing and discard suggest too, from what they read anyway. A project no
// answering host holds is an error (exit 1, as an unknown environment or prefix is), the
// suggestion on stderr and nothing on stdout: not a table or "prefixes":[] that a script
// takes for a project without environments.
func TestSuggestionsListAndDiscard(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	for _, args := range [][]string{{"flags", "-p", "web-stor"}, {"flags", "-p", "web-stor", "--json"}} {
		g := h.run("", false, args...)
		wantCode(t, g, ExitError, "no prefix of project web-stor on the Redis hosts; did you mean -p web-store? relaycommander flags -p web-store")
		if g.stdout != "" {
			t.Errorf("%v prints on stdout:\n%s", args, g.stdout)
		}
	}
	g := h.run("", false, "flags", "-p", "zzz")
	wantCode(t, g, ExitError, "no prefix of project zzz on the Redis hosts; the projects there: internal-tools, mobile-api, payments, web-store (relaycommander flags lists every prefix)")
	if g.stdout != "" {
		t.Errorf("flags -p zzz prints on stdout:\n%s", g.stdout)
	}

	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "kill-switch-checkout", "-s", "on", "--yes")
	wantCode(t, h.run("", false, "discard", "-p", "web-store", "-e", "staging", "-f", "kil-switch-checkout"), ExitError,
		"nothing pending for flag kil-switch-checkout in web-store/staging: nothing to discard; did you mean kill-switch-checkout?")
	wantCode(t, h.run("", false, "discard", "-p", "web-store", "-e", "production", "-f", "kill-switch-checkout"), ExitError,
		"did you mean kill-switch-checkout, pending in web-store/staging (prefix ld:web-store:staging)?")
}

// With a host down, a project the others lack may be on it: the error says so, and is still
// not a partial listing (exit 1, nothing on stdout).
func TestFlagsUnknownProjectOneHostDown(t *testing.T) {
	h := newHarness(t)
	_, b := twoHosts(t, h)
	b.Stop()
	g := h.run("", false, "flags", "-p", "web-stor", "--json")
	wantCode(t, g, ExitError, "no prefix of project web-stor on the Redis hosts that answered", "did you mean -p web-store?",
		"Redis host "+b.Addr+" did not answer")
	if g.stdout != "" {
		t.Errorf("stdout:\n%s", g.stdout)
	}
}
