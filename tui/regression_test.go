package tui

import "testing"

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
