package tui

import (
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"

	"relaycommander/ldsync"
)

// Issue 13 item 1: moving to another environment and pressing tab and space before its flag
// set arrives must not open a confirmation for the set just left, and the header must not
// mix the two environments.
func TestToggleWhileSetLoadsDoesNothing(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.gotoEnv("ld:web-store:production")
	u.mustSee("web-store / production")

	u.key("tab") // to the environments
	load := u.key("down")
	if got := u.m.flagsScreen.selPrefix; got != "ld:web-store:staging" {
		t.Fatalf("selected %s, want ld:web-store:staging", got)
	}
	if load == nil {
		t.Fatal("moving to staging asked for no flags")
	}
	// the set is late: its message is held back
	u.key("tab", "space")
	if d := u.confirm(); d != nil {
		t.Fatalf("a confirmation opened for %s while staging's flags load", d.prefix)
	}
	u.mustSee("loading ld:web-store:staging…")
	u.mustNotSee("web-store / production")
	u.key("t")
	if u.confirm() != nil {
		t.Fatal("t opened a confirmation while staging's flags load")
	}

	u.apply(load)
	u.mustSee("web-store / staging")
	u.mustNotSee("web-store / production")
	u.key("space")
	d := u.confirm()
	if d == nil {
		t.Fatalf("no confirmation once staging's flags arrived:\n%s", u.view())
	}
	if d.prefix != "ld:web-store:staging" || d.env != "staging" {
		t.Fatalf("confirmation for %s (%s), want ld:web-store:staging (staging)", d.prefix, d.env)
	}
	if !strings.Contains(u.view(), "ld:web-store:staging") {
		t.Fatalf("the dialog does not name staging's prefix:\n%s", u.view())
	}
}

// Issue 13 item 3: a failed write's retry has its own key, T, on the results screen and on
// the flag's row; t on the results screen retries nothing; w reopens the last write's results.
func TestRetryHasItsOwnKey(t *testing.T) {
	u := newUnit(t, 120, 40, func(c *Config) { c.Protected = []string{"none"} })
	u.gotoFlag("beta-dashboard")
	u.key("space", "tab", "y")
	u.apply(u.key("enter")) // relay-c is down: its write fails
	u.mustSee("Write results")
	u.mustSee("T retry the failed hosts (relay-c)")
	if !shows(u, "T", "retry failed hosts") {
		t.Fatalf("the results footer does not offer T:\n%s", u.view())
	}
	if cmd := u.key("t"); cmd != nil || len(u.fj.retries) != 0 {
		t.Fatal("t retried on the results screen")
	}

	u.key("esc")
	u.mustSee("write failed on relay-c: T retries")
	if !shows(u, "T", "retry failed hosts") || !shows(u, "w", "last write results") {
		t.Fatalf("the flags footer does not offer T and w:\n%s", u.view())
	}
	u.key("w")
	u.mustSee("Write results")
	u.key("esc")

	// on another flag, T retries nothing and says which flag it is for
	u.gotoFlag("legacy-export")
	if shows(u, "T", "retry failed hosts") {
		t.Fatal("T offered on a flag with no failed write")
	}
	if cmd := u.key("T"); cmd != nil {
		t.Fatal("T retried on a flag with no failed write")
	}
	u.mustSee("T retries the last write's failed hosts on its flag (beta-dashboard)")

	u.gotoFlag("beta-dashboard")
	u.fs.disc.Hosts[2].Up = true // relay-c is back
	cmd := u.key("T")
	if u.confirm() != nil {
		t.Fatal("T opened a toggle confirmation")
	}
	if cmd == nil {
		t.Fatal("T on the flag's row did not retry")
	}
	u.mustSee("Write results")
	u.apply(cmd)
	if len(u.fj.retries) != 1 || !slices.Equal(u.fj.retries[0], []string{"relay-c"}) {
		t.Fatalf("retries %v", u.fj.retries)
	}
	u.key("esc")
	u.mustNotSee("write failed on")
	if shows(u, "T", "retry failed hosts") {
		t.Fatal("T still offered with nothing failed")
	}
}

// shows says the screen's footer or help holds this key with this description.
func shows(u *unit, k, desc string) bool {
	h := u.m.screenKeys()
	all := h.ShortHelp()
	for _, g := range h.FullHelp() {
		all = append(all, g...)
	}
	return slices.ContainsFunc(all, func(b key.Binding) bool { return b.Help().Key == k && b.Help().Desc == desc })
}

// Issue 13 item 6, in part: the footer offers no key that does nothing in the current state.
func TestFooterOffersOnlyKeysThatAct(t *testing.T) {
	footer := func(u *unit) string {
		lines := strings.Split(u.view(), "\n")
		return lines[len(lines)-1]
	}
	u := newUnit(t, 120, 40, nil)
	u.withLD(ldsync.Plan{})
	u.key("2")
	if f := footer(u); strings.Contains(f, "discard") || strings.Contains(f, "history") {
		t.Errorf("empty queue's footer offers discard or history: %q", f)
	}
	u.apply(u.key("3"))
	if f := footer(u); strings.Contains(f, "replay ready") {
		t.Errorf("sync footer with nothing to replay offers enter: %q", f)
	}

	w := newUnit(t, 120, 40, nil)
	w.withLD(samplePlan())
	w.apply(w.key("3"))
	if f := footer(w); !strings.Contains(f, "replay ready") {
		t.Errorf("sync footer with changes ready lacks enter: %q", f)
	}
}
