package tui

import (
	"strings"
	"testing"
	"time"

	"relaycommander/journal"
)

// setClock makes the model's clock read t from now on.
func (u *unit) setClock(t time.Time) { u.m.now = func() time.Time { return t } }

// Information leaves the status line after statusInfoLife; a problem stays, with its age.
func TestStatusInformationExpiresProblemsShowTheirAge(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.m.setStatus("replay done: 1 applied", false)
	u.mustSee("replay done: 1 applied")
	u.setClock(testNow.Add(statusInfoLife))
	u.mustNotSee("replay done")

	u.setClock(testNow)
	u.m.setStatus("journal: disk full", true)
	u.mustSee("journal: disk full")
	u.mustNotSee("ago)")
	u.setClock(testNow.Add(2 * time.Minute))
	u.mustSee("journal: disk full (2m ago)")
}

// A write's status goes when a Relay re-sync undoes that write: the banner says it was
// undone, and nothing may still say it holds.
func TestWriteStatusGoesWhenRelayUndoesTheWrite(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.gotoEnv("ld:web-store:production")
	u.gotoFlag("kill-switch-checkout")
	u.key("space")
	u.key("tab")
	u.typeText("kill-switch-checkout")
	u.key("tab", "y")
	u.apply(u.key("enter"))
	u.mustSee("kill-switch-checkout: 1 of 3 hosts failed")

	// another flag's undone change leaves it
	other := pendingKill(true) // Redis holds use-fallback-cdn OFF: undone
	other.Flag = "use-fallback-cdn"
	u.fj.pending = []journal.Pending{other}
	u.refresh()
	if len(u.m.drift) != 1 || u.m.drift[0].Flag != "use-fallback-cdn" {
		t.Fatalf("drift %+v, want use-fallback-cdn undone", u.m.drift)
	}
	u.mustSee("kill-switch-checkout: 1 of 3 hosts failed")

	u.fj.pending = []journal.Pending{pendingKill(false)} // Redis still holds ON: undone
	u.refresh()
	if len(u.m.drift) == 0 {
		t.Fatal("no drift: the test's write was not undone")
	}
	u.mustSee("undid 1 change")
	if v := u.view(); strings.Contains(v, "hosts failed") {
		t.Fatalf("the status of the undone write stays under the banner:\n%s", v)
	}
}

// Journal warnings at start are problems of now, not of the year 1.
func TestJournalWarningAtStartHasNoAge(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.fj = &fakeJournal{}
	u.build(Backends{Store: u.fs, Journal: warnJournal{u.fj}})
	u.mustSee("journal: a torn line was skipped")
	u.mustNotSee("ago)")
}

type warnJournal struct{ *fakeJournal }

func (warnJournal) Warnings() []string { return []string{"journal: a torn line was skipped"} }

// statusRow is the status line's text: the row above the keys.
func (u *unit) statusRow() string {
	lines := strings.Split(u.view(), "\n")
	return lines[len(lines)-2]
}

// At 80 columns the status has the row first: the demo hint shortens, then goes; ? help
// still lists the demo keys.
func TestStatusHasPriorityOverTheDemoHint(t *testing.T) {
	u := newUnit(t, 80, 24, func(c *Config) { c.Demo = &fakeDemo{} })
	u.m.setStatus("demo: LaunchDarkly is back", false)
	if row := u.statusRow(); !strings.Contains(row, "demo: LaunchDarkly is back") || !strings.Contains(row, "L LaunchDarkly up/down  X Relay re-sync") {
		t.Fatalf("short status, full hint: %q", row)
	}
	medium := "kill-switch-checkout is OFF on 3 of 3 hosts; recorded in the journal"
	u.m.setStatus(medium, false)
	if row := u.statusRow(); !strings.Contains(row, medium) || !strings.HasSuffix(strings.TrimSpace(row), "L X demo") {
		t.Fatalf("the status is cut, or the hint is not shortened: %q", row)
	}
	long := "kill-switch-checkout: 1 of 3 hosts failed; T retries, w reopens this, now"
	u.m.setStatus(long, true)
	if row := u.statusRow(); !strings.Contains(row, long) || strings.Contains(row, "demo") {
		t.Fatalf("the status is cut, or the hint stays: %q", row)
	}
	u.key("?", "G")
	u.mustSee("demo: LaunchDarkly up/down")
}

// Help longer than the screen scrolls with the list keys and says there is more; esc and ?
// close it.
func TestHelpScrollsAndSaysThereIsMore(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.withRelays()
	u.key("?")
	u.mustSee("more lines below: j or pgdn")
	u.mustNotSee("unreachable    did not answer GET /status")
	u.key("G")
	u.mustSee("unreachable    did not answer GET /status")
	u.mustSee("above: k or pgup")
	u.mustNotSee("below: j")
	checkFrame(t, u.view(), 80, 24)
	u.key("g")
	u.mustSee("Keys of this screen")
	u.mustSee("space/t toggle")
	for range 3 {
		u.key("j")
	}
	if u.m.helpTop != 3 || !u.m.showHelp {
		t.Fatalf("j scrolled help to %d (shown %v), want 3", u.m.helpTop, u.m.showHelp)
	}
	u.key("pgdown")
	u.key("pgdown")
	u.key("pgdown")
	top := u.m.helpTop
	u.key("pgdown")
	if u.m.helpTop != top {
		t.Fatalf("pgdn scrolled past the end: %d then %d", top, u.m.helpTop)
	}
	u.key("k")
	if u.m.helpTop != top-1 {
		t.Fatalf("k: %d, want %d", u.m.helpTop, top-1)
	}
	u.key("esc")
	if u.m.showHelp {
		t.Fatal("esc did not close help")
	}
	u.key("?")
	if u.m.helpTop != 0 {
		t.Fatal("help opened scrolled")
	}
	u.key("?")
	if u.m.showHelp {
		t.Fatal("? did not close help")
	}
	// help that fits neither scrolls nor says more
	u = newUnit(t, 120, 40, nil)
	u.key("?")
	u.mustNotSee("more line")
	u.mustSee("(esc or ? closes)")
}

// Issue 13 item 13: in the read-only UI a key that would write says why nothing happens and
// where read-only was set; while the filter is typed the same keys are text.
func TestReadOnlyWriteKeysSayWhy(t *testing.T) {
	u := newUnit(t, 120, 40, func(c *Config) { c.ReadOnly, c.ReadOnlyFrom = true, "--read-only" })
	for _, k := range []string{"space", "t", "T", "d", "A", "R", "s", "f", "a", "x"} {
		u.m.status = ""
		if cmd := u.key(k); cmd != nil || u.m.dialog != nil {
			t.Fatalf("%s acted in read-only", k)
		}
		if !strings.Contains(u.m.status, "read-only (ui.read_only, from --read-only): this session writes nothing") {
			t.Errorf("%s in read-only: status %q", k, u.m.status)
		}
	}
	u.key("/")
	u.typeText("td")
	if got := u.m.flagsScreen.filter.value(); got != "td" {
		t.Errorf("t and d in the filter typed %q", got)
	}
}

// A drift check that read Redis before a write (it started first, its answer arrives after)
// does not clear that write's status: only a check started after the write can say it was
// undone.
func TestStaleDriftKeepsAFreshWritesStatus(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.gotoEnv("ld:web-store:production")
	u.gotoFlag("kill-switch-checkout")
	stale := u.m.driftCmd([]journal.Pending{pendingKill(false)})() // reads Redis before the write
	if d, ok := stale.(driftMsg); !ok || len(d.undone) == 0 {
		t.Fatalf("the drift check before the write finds nothing undone: %#v", stale)
	}
	u.key("space")
	u.key("tab")
	u.typeText("kill-switch-checkout")
	u.key("tab", "y")
	u.apply(u.key("enter"))
	u.mustSee("kill-switch-checkout: 1 of 3 hosts failed")
	u.m.Update(stale) // its answer arrives after the write
	u.mustSee("kill-switch-checkout: 1 of 3 hosts failed")
}
