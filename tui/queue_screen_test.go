package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"relaycommander/journal"
)

// queueRow is the queue's list row of a flag, or "".
func (u *unit) queueRow(flag string) string {
	for _, l := range strings.Split(u.view(), "\n") {
		if strings.Contains(l, "┃> "+flag) || strings.Contains(l, "┃  "+flag) {
			return l
		}
	}
	return ""
}

// Issue 13 item 3: T on a queue row whose latest change failed on some hosts retries those
// hosts as the same journal change and shows the per-host results; elsewhere T is not offered.
func TestQueueRetryFailedHosts(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false), pendingSearch()}
	u.refresh()
	u.key("2")
	if !shows(u, "T", "retry failed hosts") {
		t.Fatalf("the queue does not offer T on a row whose change failed on relay-c:\n%s", u.view())
	}
	u.mustSee("T retries")

	u.key("down") // maintenance-banner: nothing failed
	if shows(u, "T", "retry failed hosts") {
		t.Fatal("T offered on a row with no failed host")
	}
	if cmd := u.key("T"); cmd != nil {
		t.Fatal("T retried a change with no failed host")
	}

	u.key("up")
	u.fs.disc.Hosts[2].Up = true // relay-c is back
	cmd := u.key("T")
	if cmd == nil {
		t.Fatal("T on a row whose change failed on relay-c did nothing")
	}
	_, write := u.m.Update(cmd()) // the queue hands the retry to the write results
	u.follow(write)
	if len(u.fj.retries) != 1 || !slices.Equal(u.fj.retries[0], []string{"relay-c"}) {
		t.Fatalf("retries %v, want [[relay-c]]", u.fj.retries)
	}
	if len(u.fj.changes) != 0 {
		t.Fatalf("the retry recorded a new change instead of the same one: %v", u.fj.changes)
	}
	if u.m.active != screenResults {
		t.Fatalf("the retry did not open the write results:\n%s", u.view())
	}
	u.mustSee("3 of 3 hosts have it")
	u.mustSee("undone since by a Relay re-sync: holds ON v9 now") // relay-a and relay-b: not rewritten by T
	if id := u.m.resultsScreen.results.change.ID; id != "c1" {
		t.Fatalf("results of change %q, want c1", id)
	}
	// hosts the retry did not write show their recorded outcome, with no made-up time
	for _, l := range strings.Split(u.view(), "\n") {
		if strings.Contains(l, "  relay-a  ") && strings.Contains(l, "0ms") {
			t.Fatalf("a recorded outcome shows a write time: %q", l)
		}
	}
	// esc returns to where T was pressed: the queue
	u.mustSee("esc back to the queue")
	u.mustSee("[2 Queue (2)]")
	u.key("esc")
	if u.m.active != screenQueue {
		t.Fatalf("esc after a retry from the queue went to screen %d, not the queue", u.m.active)
	}
	// w from the flags reopens the same results, and esc then goes back to the flags
	u.key("1", "w")
	u.mustSee("[1 Flags]")
	u.key("esc")
	if u.m.active != screenFlags {
		t.Fatalf("esc after w went to screen %d, not the flags", u.m.active)
	}
}

// Read-only has no T on the queue.
func TestQueueRetryNotInReadOnly(t *testing.T) {
	u := newUnit(t, 120, 40, func(c *Config) { c.ReadOnly = true })
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.refresh()
	u.key("2")
	if shows(u, "T", "retry failed hosts") {
		t.Fatal("read-only queue offers T")
	}
	if cmd := u.key("T"); cmd != nil {
		t.Fatal("T acts in read-only")
	}
	u.mustNotSee("T retries")
}

// Issue 13 item 6: an empty queue's footer and help offer neither discard, history nor retry.
func TestQueueEmptyOffersNoActions(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.key("2")
	for _, k := range [][2]string{{"d", "discard"}, {"enter", "history"}, {"T", "retry failed hosts"}} {
		if shows(u, k[0], k[1]) {
			t.Errorf("empty queue offers %s %s", k[0], k[1])
		}
	}
	u.mustNotSee("d discard")
	if cmd := u.key("d"); cmd != nil || u.discardDialog() != nil {
		t.Fatal("d acts on an empty queue")
	}
}

// Issue 13 item 6: a change a re-sync undid is not "written": the HOSTS column and the
// entry's lines say where it was undone.
func TestQueueSaysUndone(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		u := newUnit(t, size[0], size[1], nil)
		u.fj.pending = []journal.Pending{pendingKill(false)} // the store holds ON on relay-a and relay-b
		u.refresh()
		if len(u.m.drift) != 1 {
			t.Fatalf("drift %v", u.m.drift)
		}
		u.key("2")
		row := u.queueRow("kill-switch-checkout")
		if !strings.Contains(row, "undone") || strings.Contains(row, "FAILED") && !strings.Contains(row, "undone") {
			t.Errorf("%dx%d: row does not say undone: %q", size[0], size[1], row)
		}
		if size[0] == 120 && !strings.Contains(row, "undone on relay-a, relay-b") {
			t.Errorf("120 columns: row does not name the hosts: %q", row)
		}
		u.mustSee("undone on relay-a, relay-b")
	}
}

// Issue 13 item 4: at 80 columns the WHERE column keeps the whole environment and marks a
// protected one in a word; the project is shortened first.
func TestQueueWhereKeepsEnvironment(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.fj.pending = []journal.Pending{pendingKill(false), pendingSearch()}
	u.refresh()
	u.key("2")
	kill := u.queueRow("kill-switch-checkout")
	if !strings.Contains(kill, "/production") || !strings.Contains(kill, protectedShort) {
		t.Errorf("production row lacks the environment or its mark: %q", kill)
	}
	banner := u.queueRow("maintenance-banner")
	if !strings.Contains(banner, "/staging") || strings.Contains(banner, protectedShort) {
		t.Errorf("staging row: %q", banner)
	}
	u.mustSee("web-store / production " + protectedWord)
	// the mark has the protected style, not the text's
	if !strings.Contains(u.m.View().Content, u.m.st.protected.Render(protectedWord)) {
		t.Error("PROTECTED is not drawn in the protected style")
	}
}

// Issue 13 item 12: the title says where the cursor is, and the list scrolls around it
// without jumping when the cursor turns back.
func TestQueuePositionAndScroll(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.fj.pending = manyPending(37)
	u.refresh()
	u.key("2")
	u.mustSee("1 of 37")
	for range 20 {
		u.key("down")
	}
	u.mustSee("21 of 37")
	if !strings.Contains(u.queueRow("flag-21"), "> flag-21") {
		t.Fatalf("cursor row not shown:\n%s", u.view())
	}
	u.key("up")
	u.mustSee("20 of 37")
	if u.queueRow("flag-21") == "" {
		t.Fatalf("turning back scrolled the list instead of moving the cursor:\n%s", u.view())
	}
	u.key("G")
	u.mustSee("37 of 37")
	if !strings.Contains(u.queueRow("flag-37"), "> flag-37") {
		t.Fatalf("last row not shown:\n%s", u.view())
	}
}

// Issue 13 items 5 and 13: counts agree with their nouns, and a long reason wraps instead of
// being cut.
func TestQueueWordsAndWrapping(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	p := pendingKill(false)
	p.Entries[0].Reason = "payment provider outage, card authorisations time out after thirty seconds; see INC-4711"
	u.fj.pending = []journal.Pending{p}
	u.fj.history = p.Entries
	u.refresh()
	u.key("2")
	u.mustSee("Queue: 1 pending change in web-store,") // the row had to cut the project: the title names it
	u.mustNotSee("(s)")
	u.mustSee("see INC-4711")
	u.key("d")
	u.mustSee("ON -> OFF, 1 change")
	u.mustNotSee("(s)")
	u.key("esc")
	u.apply(u.key("enter"))
	u.mustSee("web-store / production " + protectedWord) // the history marks it too
	u.mustSee("1 change")
	u.mustSee("0 replay events")
	u.mustNotSee("(s)")
	u.mustSee("see INC-4711")
}

// Issue 13 item 4: the discard dialog of a restore in a protected environment has the
// protected border and says PROTECTED in its title; in staging it has neither.
func TestQueueDiscardProtectedBorder(t *testing.T) {
	border := func(u *unit) string { return u.m.st.protected.Render("┏━") }
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.refresh()
	u.key("2", "d", "tab", "space") // tick the restore
	if d := u.discardDialog(); d == nil || !d.restore {
		t.Fatal("restore not ticked")
	}
	u.mustSee(protectedWord)
	if !strings.Contains(u.m.View().Content, border(u)) {
		t.Errorf("the restore in production has no protected border:\n%q", u.m.View().Content)
	}

	s := newUnit(t, 120, 40, nil)
	s.fj.pending = []journal.Pending{pendingSearch()}
	s.refresh()
	s.key("2", "d", "tab", "space")
	s.mustNotSee(protectedWord)
	if strings.Contains(s.m.View().Content, border(s)) {
		t.Error("staging's discard has the protected border")
	}
}

// The queue's screens that TestGolden does not draw: a restore in production, and a long
// queue scrolled to its 21st change.
func TestQueueGolden(t *testing.T) {
	screens := []struct {
		name  string
		setup func(u *unit)
	}{
		{"discard-restore-protected", func(u *unit) {
			u.fj.pending = []journal.Pending{pendingKill(false)}
			u.refresh()
			u.key("2", "d")
			u.typeText("LaunchDarkly was changed by hand")
			u.key("tab", "space", "tab")
			u.typeText("kill-switch")
		}},
		{"queue-long", func(u *unit) {
			u.fj.pending = manyPending(37)
			u.refresh()
			u.key("2")
			for range 20 {
				u.key("down")
			}
		}},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, sc := range screens {
			t.Run(sprintf("%s-%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				u := newUnit(t, size[0], size[1], nil)
				sc.setup(u)
				v := u.view()
				checkFrame(t, v, size[0], size[1])
				golden.RequireEqual(t, v)
			})
		}
	}
}

// At 80 columns a long project and a long flag key give way before the environment does.
func TestQueueWhereKeepsEnvironmentLongNames(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	long := pendingKill(false)
	long.Project, long.Prefix = "internal-tools-platform", "ld:internal-tools-platform:production"
	long.Flag = "enable-very-long-experimental-checkout-flow-v2"
	unmapped := pendingSearch()
	unmapped.Project, unmapped.Environment, unmapped.Prefix = "", "", "launchdarkly"
	u.fj.pending = []journal.Pending{long, unmapped}
	u.refresh()
	u.key("2")
	v := u.view()
	checkFrame(t, v, 80, 24)
	if !strings.Contains(v, "/production "+protectedShort) {
		t.Errorf("the environment or its mark gave way:\n%s", v)
	}
	if !strings.Contains(v, "launchdarkly "+protectedShort) {
		t.Errorf("an unmapped prefix is protected and not marked so:\n%s", v)
	}
	u.mustSee("internal-tools-platform / production " + protectedWord) // the details wrap, not cut
}

// T on the queue while a write is still running starts nothing and says why.
func TestQueueRetryWaitsForRunningWrite(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.refresh()
	u.m.resultsScreen.results = &resultsState{running: true}
	u.key("2")
	cmd := u.key("T")
	if cmd == nil {
		t.Fatal("T offered nothing on a row whose change failed on relay-c")
	}
	if _, write := u.m.Update(cmd()); write != nil {
		t.Fatal("a retry started while a write runs")
	}
	u.mustSee("a write is still running; T again once its results are in")
	if len(u.fj.retries) != 0 {
		t.Fatalf("retries %v", u.fj.retries)
	}
}

// manyPending is n pending changes, flag-01 to flag-n, as a long incident's queue.
func manyPending(n int) []journal.Pending {
	var ps []journal.Pending
	for i := range n {
		p := pendingSearch()
		p.Flag = sprintf("flag-%02d", i+1)
		p.Entries[0].Flag = p.Flag
		ps = append(ps, p)
	}
	return ps
}

// When the WHERE column cannot hold the project and every pending change shares it, the
// rows leave the project out ("web-st…/staging" said less than "staging") and the title
// names it; across projects they shorten it as before.
func TestQueueSharedProjectMovesToTheTitle(t *testing.T) {
	long := func(p journal.Pending) journal.Pending {
		p.Flag = "checkout-redesign-q4-2026"
		for i := range p.Entries {
			p.Entries[i].Flag = p.Flag
		}
		return p
	}
	u := newUnit(t, 80, 24, nil)
	u.fj.pending = []journal.Pending{long(pendingKillIn("web-store", "staging")), pendingKill(false)}
	u.refresh()
	u.key("2")
	for _, l := range boxRows(t, u.view(), "Queue: 2 pending changes in web-store, coalesced per flag   1 of 2") {
		if strings.Contains(l, "…") || strings.Contains(l, "web-st") && strings.Contains(l, "->") {
			t.Errorf("a row cuts or repeats the shared project: %q", l)
		}
	}
	if row := u.queueRow("kill-switch-checkout"); !strings.Contains(row, " production "+protectedWord) && !strings.Contains(row, " production "+protectedShort) {
		t.Errorf("production row: %q", row)
	}
	if row := u.queueRow("checkout-redesign-q4-2026"); !strings.Contains(row, " staging ") {
		t.Errorf("staging row: %q", row)
	}
	checkFrame(t, u.view(), 80, 24)
}
