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

// The project listing and discard suggest too, from what they read anyway.
func TestSuggestionsListAndDiscard(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	g := h.ok("flags", "-p", "web-stor")
	if !strings.Contains(g.stdout, "No prefix of project web-stor on the reachable hosts; did you mean -p web-store? relaycommander flags -p web-store") {
		t.Errorf("flags -p web-stor:\n%s", g.stdout)
	}
	if g := h.ok("flags", "-p", "zzz"); !strings.Contains(g.stdout, "Without a filter: relaycommander flags") {
		t.Errorf("flags -p zzz:\n%s", g.stdout)
	}

	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "kill-switch-checkout", "-s", "on", "--yes")
	wantCode(t, h.run("", false, "discard", "-p", "web-store", "-e", "staging", "-f", "kil-switch-checkout"), ExitError,
		"nothing pending for flag kil-switch-checkout in web-store/staging: nothing to discard; did you mean kill-switch-checkout?")
	wantCode(t, h.run("", false, "discard", "-p", "web-store", "-e", "production", "-f", "kill-switch-checkout"), ExitError,
		"did you mean kill-switch-checkout, pending in web-store/staging (prefix ld:web-store:staging)?")
}
