package tui

import (
	"context"
	"testing"

	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
)

// Issue 10, bug 2: a Relay with localTtl 0 has no cache; the results screen must not
// take the zero for "unset" and promise 30 seconds.
func TestResultsSayRelayReadsNowWithZeroTTL(t *testing.T) {
	u := newUnit(t, 120, 40, func(c *Config) { c.RelayTTL = 0 })
	u.gotoEnv("ld:web-store:staging")
	u.gotoFlag("checkout-flow")
	u.key("space", "tab", "y")
	u.apply(u.key("enter"))
	u.mustSee("written")
	u.mustSee("Reaches Relay now (localTtl 0: Relay reads Redis on every request);")
	u.mustNotSee("localTtl (30s)")
}

// Issue 10, bug 1: a plan of only in-sync changes (a flag toggled off, then on again
// offline) is closed by enter on the sync screen, as `relaycommander replay` closes it.
func TestFlowInSyncOnlyPlanClosesFromTheUI(t *testing.T) {
	f := startFlow(t, 2)
	f.selectEnv("web-store / staging")
	f.filterTo("maintenance-banner")
	f.toggleUnprotected("off for a while")
	f.see("2 of 2 hosts have it")
	f.keys("esc")
	f.toggleUnprotected("back as it was")
	f.see("2 of 2 hosts have it")
	f.keys("esc")
	if n := len(f.pending()); n != 1 {
		t.Fatalf("%d pending after toggling twice, want 1", n)
	}
	f.keys("3")
	f.see("1 in sync")
	f.keys("enter")
	f.see("replay done")
	f.keys("2")
	f.see("Nothing waits to be replayed")
	if p := f.pending(); len(p) != 0 {
		t.Fatalf("still pending after the replay: %+v", p)
	}
}

// countingStore counts the drift reads.
type countingStore struct {
	*fakeStore
	reads chan struct{}
}

func (s *countingStore) ReadFields(ctx context.Context, want map[string][]string) (flags.FieldSet, error) {
	s.reads <- struct{}{}
	return s.fakeStore.ReadFields(ctx, want)
}

// Issue 14 item 1: the flags are drawn before drift is read; drift follows the refresh.
func TestDriftIsNotOnThePathToTheFirstFrame(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	cs := &countingStore{fakeStore: u.fs, reads: make(chan struct{}, 10)}
	u.m = New(u.cfg, Backends{Store: cs, Journal: u.fj})
	u.m.Update(tea.WindowSizeMsg{Width: u.w, Height: u.h})
	msg := u.m.refreshCmd()()
	if len(cs.reads) != 0 {
		t.Fatal("the refresh read drift before the flags were drawn")
	}
	_, next := u.m.Update(msg)
	u.mustSee("beta-dashboard")
	u.mustNotSee("undid")
	u.apply(next)
	if len(cs.reads) != 1 {
		t.Fatalf("%d drift reads after the refresh, want 1", len(cs.reads))
	}
	u.mustSee("Relay re-sync undid 1 change: production/kill-switch-checkout")
}

// The text fields are bubbles' textinput: the cursor moves, words are deleted, and the
// cursor shows where the next character goes.
func TestTextFieldsEditAtTheCursor(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.gotoFlag("kill-switch-checkout")
	u.key("space")
	u.typeText("payment outage")
	for range len("outage") {
		u.key("left")
	}
	u.typeText("provider ")
	if got := u.confirm().reason.value(); got != "payment provider outage" {
		t.Fatalf("reason %q after typing in the middle", got)
	}
	u.mustSee("reason       payment provider outage") // the cursor is on the o, in reverse video
	u.m.Update(tea.KeyPressMsg{Code: 'e', Mod: tea.ModCtrl})
	u.m.Update(tea.KeyPressMsg{Code: 'w', Mod: tea.ModCtrl})
	if got := u.confirm().reason.value(); got != "payment provider " {
		t.Fatalf("reason %q after ctrl+e, ctrl+w", got)
	}
	u.mustSee("reason       payment provider █")
}
