package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
)

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestNavigationKeepsWithinBounds(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	if u.selected() != "beta-dashboard" {
		t.Fatalf("first flag selected: %s", u.selected())
	}
	u.key("down", "j")
	if got := u.selected(); got != "checkout-flow" {
		t.Fatalf("after two downs: %s", got)
	}
	u.key("k")
	if got := u.selected(); got != "broken-json" {
		t.Fatalf("after k: %s", got)
	}
	u.key("G")
	if got := u.selected(); got != "use-fallback-cdn" {
		t.Fatalf("G: %s", got)
	}
	u.key("down", "pgdown")
	if got := u.selected(); got != "use-fallback-cdn" {
		t.Fatalf("past the end: %s", got)
	}
	u.key("g", "up")
	if got := u.selected(); got != "beta-dashboard" {
		t.Fatalf("before the start: %s", got)
	}
}

func TestEnvironmentChangeLoadsFlagsAndDropsStaleResults(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.key("tab")
	if u.m.flagsScreen.focus != paneEnvs {
		t.Fatal("tab did not move focus to the environments")
	}
	cmd1 := u.key("down") // mobile-api/production
	if u.m.flagsScreen.selPrefix != "ld:mobile-api:production" {
		t.Fatalf("selected %s", u.m.flagsScreen.selPrefix)
	}
	stale := cmd1()
	cmd2 := u.key("down") // mobile-api/staging
	u.m.Update(stale)     // the late result of the first selection
	if u.m.flagsScreen.set.Prefix == "ld:mobile-api:production" {
		t.Fatal("a late result for the previous selection was applied")
	}
	u.m.Update(cmd2())
	if u.m.flagsScreen.set.Prefix != "ld:mobile-api:staging" {
		t.Fatalf("flags shown are of %s", u.m.flagsScreen.set.Prefix)
	}
	u.mustSee("mobile-api / staging")
}

func TestStaleRefreshIsDropped(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	first := u.m.refreshCmd()
	second := u.m.refreshCmd()
	// the store changes between the two refreshes
	old := first()
	set := u.fs.sets[u.m.flagsScreen.selPrefix]
	set.Flags = set.Flags[:3]
	u.fs.sets[u.m.flagsScreen.selPrefix] = set
	u.m.Update(second())
	if len(u.m.flagsScreen.set.Flags) != 3 {
		t.Fatalf("newest refresh not applied: %d flags", len(u.m.flagsScreen.set.Flags))
	}
	u.m.Update(old)
	if len(u.m.flagsScreen.set.Flags) != 3 {
		t.Fatalf("an older refresh overwrote a newer one: %d flags", len(u.m.flagsScreen.set.Flags))
	}
}

func TestFilterIsInstantAndSurvivesRefresh(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.key("/")
	u.typeText("KILL")
	if len(u.m.flagsScreen.filtered) != 2 {
		t.Fatalf("filter KILL matched %d flags, want 2 (case-insensitive)", len(u.m.flagsScreen.filtered))
	}
	u.key("down")
	if u.selected() != "kill-switch-search" {
		t.Fatalf("selected %s", u.selected())
	}
	u.key("enter") // keep the filter, leave the input
	if u.m.flagsScreen.filtering || u.m.flagsScreen.filter.value() != "KILL" {
		t.Fatalf("enter should keep the filter: filtering=%v filter=%q", u.m.flagsScreen.filtering, u.m.flagsScreen.filter.value())
	}
	u.refresh()
	if u.selected() != "kill-switch-search" || len(u.m.flagsScreen.filtered) != 2 {
		t.Fatalf("refresh lost cursor or filter: %s, %d rows", u.selected(), len(u.m.flagsScreen.filtered))
	}
	u.mustSee("filter /KILL   2 of 11 match")
	u.key("/", "backspace", "backspace", "backspace", "backspace")
	u.typeText("zzz")
	u.mustSee(`no flag key matches "zzz"`)
	u.key("esc")
	if u.m.flagsScreen.filter.value() != "" || len(u.m.flagsScreen.filtered) != 11 {
		t.Fatalf("esc should clear the filter: %q, %d rows", u.m.flagsScreen.filter.value(), len(u.m.flagsScreen.filtered))
	}
}

func TestDetails(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.gotoFlag("kill-switch-checkout")
	u.key("enter")
	if !u.m.flagsScreen.details {
		t.Fatal("enter did not open details")
	}
	u.mustSee("dependants (flags that require this one): checkout-flow")
	u.mustSee(`raw JSON on relay-a (indented`)
	u.mustSee("host DOWN")
	u.key("down", "up", "esc")
	if u.m.flagsScreen.details {
		t.Fatal("esc did not close details")
	}
}

func TestToggleConfirmCapturesStateAndNoIsDefault(t *testing.T) {
	u := newUnit(t, 80, 24, func(c *Config) { c.Protected = []string{"staging"} })
	u.gotoEnv("ld:web-store:staging")
	u.gotoFlag("kill-switch-checkout")
	u.key("space")
	c := u.confirm()
	if c == nil {
		t.Fatal("space did not open the confirmation")
	}
	if c.flag != "kill-switch-checkout" || c.before != true || c.version != 9 || c.after != false || !c.protected ||
		c.project != "web-store" || c.env != "staging" || !slices.Equal(c.hosts, []string{"relay-a", "relay-b", "relay-c"}) {
		t.Fatalf("captured %+v", *c)
	}
	// a refresh that changes the flag does not change what is confirmed
	set := u.fs.sets["ld:web-store:staging"]
	flagIn(set, "kill-switch-checkout").Hosts[0].Version = 20
	u.refresh()
	if u.confirm().version != 9 {
		t.Fatal("a refresh changed the captured version")
	}
	u.mustSee("ON, v9")
	// enter on the reason field moves on; on the buttons with No selected it cancels
	u.key("enter", "enter", "enter")
	if u.confirm() != nil {
		t.Fatal("enter with No selected must cancel")
	}
	if len(u.fj.changes) != 0 {
		t.Fatal("something was written")
	}
}

func TestProtectedToggleNeedsTheTypedKey(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.gotoEnv("ld:web-store:production")
	u.gotoFlag("kill-switch-checkout")
	u.key("t")
	u.typeText("payment provider outage")
	u.key("tab")
	u.typeText("kill-switch")
	u.key("tab", "y")
	if cmd := u.key("enter"); cmd != nil {
		t.Fatal("confirmed without the full flag key")
	}
	if u.confirm() == nil || u.confirm().field != fieldTyped {
		t.Fatal("the dialog should return to the key field")
	}
	u.mustSee(`the key is kill-switch-checkout; you typed "kill-switch"`)
	u.typeText("-checkout")
	u.key("tab", "right") // right flips to Yes... it was Yes already: flip back and forth
	u.key("left")
	if !u.confirm().yes {
		u.key("y")
	}
	cmd := u.key("enter")
	if cmd == nil {
		t.Fatal("no write command after a correct confirmation")
	}
	if u.m.active != screenResults {
		t.Fatal("not on the results screen while writing")
	}
	u.mustSee("writing…")
	u.apply(cmd)
	if len(u.fj.changes) != 1 {
		t.Fatalf("journal got %d changes", len(u.fj.changes))
	}
	ch := u.fj.changes[0]
	if ch.Flag != "kill-switch-checkout" || ch.Before != true || ch.After != false || ch.BaseVersion == nil || *ch.BaseVersion != 9 ||
		ch.Reason != "payment provider outage" || ch.Operator != "alice" || ch.Project != "web-store" || ch.Environment != "production" ||
		!ch.Time.Equal(testNow) {
		t.Fatalf("recorded change %+v", ch)
	}
	u.mustSee("written")
	u.mustSee("Reaches Relay within its localTtl (30s);")
	u.mustSee("SDKs streaming from Relay see it")
	u.key("esc")
	if u.m.active != screenFlags {
		t.Fatal("esc did not return to the flags")
	}
}

func TestToggleRefusesUnreadable(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.mustSee("BROKEN")
	u.gotoFlag("broken-json")
	u.key("space")
	if u.confirm() != nil {
		t.Fatal("a flag with unreadable JSON must not be toggled")
	}
	u.mustSee("its JSON is unreadable on relay-a")
}

func TestToggleRefusesTombstone(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.gotoFlag("removed-experiment")
	u.key("space")
	if u.confirm() != nil {
		t.Fatal("a tombstone must not be toggled")
	}
	u.mustSee("deleted (tombstone)")
}

func TestRetryFailedHosts(t *testing.T) {
	u := newUnit(t, 80, 24, func(c *Config) { c.Protected = []string{"none"} })
	u.gotoFlag("beta-dashboard")
	u.key("space", "tab", "y")
	u.apply(u.key("enter")) // relay-c is down: its write fails
	u.mustSee("Write results")
	u.mustSee("FAILED")
	u.mustSee("connection refused")
	u.mustSee("T retry")
	u.fs.disc.Hosts[2].Up = true // relay-c is back
	cmd := u.key("T")
	if cmd == nil {
		t.Fatal("T did not retry")
	}
	u.apply(cmd)
	if len(u.fj.retries) != 1 || !slices.Equal(u.fj.retries[0], []string{"relay-c"}) {
		t.Fatalf("retries %v", u.fj.retries)
	}
	for _, h := range u.m.resultsScreen.results.result.Hosts {
		if h.Outcome != flags.Written {
			t.Fatalf("host %s still %s after the retry", h.Host, h.Outcome)
		}
	}
	if got := u.m.screenKeys().short; slices.ContainsFunc(got, func(b key.Binding) bool { return b.Help().Desc == "retry failed hosts" }) {
		t.Fatal("retry still offered with nothing failed")
	}
}

func TestReadOnlyHasNoWayToWrite(t *testing.T) {
	u := newUnit(t, 120, 40, func(c *Config) { c.ReadOnly = true })
	u.mustSee("READ-ONLY")
	u.mustNotSee("toggle")
	u.gotoFlag("kill-switch-checkout")
	for _, k := range []string{"space", "t", "enter", "space"} {
		u.key(k)
	}
	if u.confirm() != nil {
		t.Fatal("read-only opened a toggle confirmation")
	}
	u.key("esc")
	u.m.Update(toggleDoneMsg{change: journal.Change{ID: "x"}, result: flags.ToggleResult{Hosts: []flags.HostResult{{Host: "relay-c", Outcome: flags.Failed}}}})
	if cmd := u.m.resultsScreen.retryCmd(); cmd != nil {
		t.Fatal("read-only retried a write")
	}
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.refresh()
	u.key("2", "d")
	if u.discardDialog() != nil {
		t.Fatal("read-only opened a discard")
	}
	u.withLD(samplePlan())
	u.apply(u.key("3"))
	u.key("down", "down")
	for _, k := range []string{"enter", "a", "s", "f", "R"} {
		if cmd := u.key(k); cmd != nil {
			if _, ok := cmd().(planMsg); !ok {
				t.Fatalf("read-only key %s returned a command", k)
			}
		}
	}
	if u.m.syncScreen.sync.running || u.m.syncScreen.sync.plan.Items[2].Force || u.m.syncScreen.sync.plan.Items[2].Skip {
		t.Fatal("read-only replayed or decided a conflict")
	}
	if len(u.fj.changes)+len(u.fj.events)+len(u.fs.toggles) != 0 {
		t.Fatal("read-only wrote something")
	}
	u.key("?")
	u.mustNotSee("toggle")
	u.mustNotSee("force")
}

func TestQueueHistoryAndDiscard(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	p := pendingKill(false)
	u.fj.pending = []journal.Pending{p, pendingSearch()}
	u.fj.history = p.Entries
	u.refresh()
	u.key("2")
	u.mustSee("ON -> OFF")
	u.mustSee("outcome unknown")
	u.mustSee(`"payment provider outage"`)
	u.key("down")
	if sel, _ := u.m.queueScreen.queueSelected(); sel.Flag != "maintenance-banner" {
		t.Fatalf("queue cursor on %s", sel.Flag)
	}
	u.key("up")
	u.apply(u.key("enter"))
	u.mustSee("History of kill-switch-checkout")
	u.mustSee("1 change")
	u.key("esc")
	if u.m.queueScreen.history != nil {
		t.Fatal("esc did not leave the history")
	}
	u.key("d")
	if u.discardDialog() == nil {
		t.Fatal("d did not open the discard confirmation")
	}
	u.typeText("done in LaunchDarkly by hand")
	u.key("tab", "space", "tab", "tab") // production: a restore asks for the key too
	if !u.discardDialog().restore {
		t.Fatal("space did not tick the restore option")
	}
	if cmd := u.key("enter"); cmd != nil {
		t.Fatal("No is the default: enter must not discard")
	}
	if len(u.fj.events) != 0 {
		t.Fatal("discarded with No")
	}
	u.key("d")
	u.typeText("by hand")
	u.key("tab", "tab", "y")
	cmd := u.key("enter")
	if cmd == nil {
		t.Fatal("no discard command")
	}
	u.apply(cmd)
	if len(u.fj.events) != 1 {
		t.Fatalf("%d replay events recorded", len(u.fj.events))
	}
	ev := u.fj.events[0]
	if ev.Kind != journal.ReplayDiscarded || ev.By != "alice" || ev.Why != "by hand" || !slices.Equal(ev.ChangeIDs, []string{"c1"}) || ev.Flag != "kill-switch-checkout" {
		t.Fatalf("event %+v", ev)
	}
	if len(u.fj.changes) != 0 {
		t.Fatal("restore was not asked for, yet something was written")
	}
}

func TestDiscardWithRestoreWritesBaseState(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	// Redis holds OFF (the emergency state); the base was ON
	set := u.fs.sets["ld:web-store:production"]
	kill := flagIn(set, "kill-switch-checkout")
	kill.Hosts[0].On, kill.Hosts[0].Version = false, 10
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.refresh()
	u.key("2", "d", "tab")
	u.mustNotSee("type the key") // nothing is written without a restore
	u.key("space")
	u.mustSee("type the key") // a restore writes production: the key must be typed, as for a toggle
	u.key("tab")
	u.m.Update(tea.PasteMsg{Content: "kill-switch-checkout"})
	u.key("tab", "y")
	if cmd := u.key("enter"); cmd != nil {
		t.Fatal("a restore in production was confirmed without the typed key (a paste does not count)")
	}
	u.mustSee("type the flag key exactly to restore it in Redis")
	u.typeText("kill-switch-checkout")
	u.key("tab", "y")
	u.apply(u.key("enter"))
	if len(u.fj.changes) != 0 || len(u.fs.toggles) != 1 || u.fs.toggles[0] != "ld:web-store:production/kill-switch-checkout" {
		t.Fatalf("restore: %d changes recorded, toggles %v", len(u.fj.changes), u.fs.toggles)
	}
	if len(u.fj.discards) != 1 || !u.fj.discards[0].Restore || u.fj.discards[0].By != "alice" {
		t.Fatalf("discard requests %+v", u.fj.discards)
	}
	// relay-c is down: the restore's per-host outcome says where it failed and why
	u.mustSee("discarded kill-switch-checkout; restoring failed on relay-c: dial tcp 10.0.3.7:6379: connection refused; ON on relay-a")
}

// scriptedReplayer sends a fixed list of progress events, waiting on a gate between them.
type scriptedReplayer struct {
	plan   ldsync.Plan
	events []ldsync.Progress
	gate   chan struct{}
	mu     sync.Mutex
	got    ldsync.Plan
}

func (r *scriptedReplayer) Plan(context.Context, []journal.Pending) (ldsync.Plan, error) {
	return r.plan, nil
}

func (r *scriptedReplayer) PlanAll(context.Context) (ldsync.Plan, error) { return r.plan, nil }

func (r *scriptedReplayer) Apply(ctx context.Context, plan ldsync.Plan, progress chan<- ldsync.Progress) (ldsync.Counts, error) {
	defer close(progress)
	r.mu.Lock()
	r.got = plan
	r.mu.Unlock()
	var c ldsync.Counts
	for _, e := range r.events {
		if r.gate != nil {
			select {
			case <-r.gate:
			case <-ctx.Done():
				return c, ctx.Err()
			}
		}
		c = e.Counts
		progress <- e
	}
	return c, nil
}

func TestSyncDecisionsReplayAndCancel(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	plan := samplePlan()
	rep := &scriptedReplayer{plan: plan, gate: make(chan struct{}, 10), events: []ldsync.Progress{
		{Index: 0, Total: 2, Item: plan.Items[0]},
		{Index: 0, Total: 2, Item: plan.Items[0], Done: true, Result: "verified", Counts: ldsync.Counts{Applied: 1, Verified: 1}},
		{Index: 2, Total: 2, Item: plan.Items[2], WaitingUntil: testNow.Add(4 * time.Second), WaitReason: "rate limit (global)"},
		{Index: 2, Total: 2, Item: plan.Items[2], Done: true, Result: "applied"}, // never sent: cancelled first
	}}
	u.withReplayer(fakeLD{}, rep)
	u.apply(u.key("3"))
	u.mustSee("1 conflict")
	u.key("down", "down")
	u.key("s")
	if !u.m.syncScreen.sync.plan.Items[2].Skip {
		t.Fatal("s did not skip the conflict")
	}
	u.key("f")
	if it := u.m.syncScreen.sync.plan.Items[2]; !it.Force || it.Skip {
		t.Fatalf("f did not force: %+v", it)
	}
	u.key("up")
	u.key("s") // not a conflict: no decision
	if u.m.syncScreen.sync.plan.Items[1].Skip {
		t.Fatal("a decision was taken on a non-conflict")
	}
	cmd := u.key("enter")
	if cmd == nil || !u.m.syncScreen.sync.running {
		t.Fatal("enter did not start the replay")
	}
	// run the start command in the background: it waits for the first event
	msgs := make(chan tea.Msg, 1)
	runCmd := func(c tea.Cmd) {
		go func() {
			m := c()
			if b, ok := m.(tea.BatchMsg); ok {
				m = b[0]()
			}
			msgs <- m
		}()
	}
	runCmd(cmd)
	for i := 0; i < 3; i++ {
		rep.gate <- struct{}{}
		msg := <-msgs
		_, next := u.m.Update(msg)
		if i < 2 {
			runCmd(next)
		} else {
			u.mustSee("waiting 4s: rate limit (global)")
			u.mustSee("VERIFIED")
			// q asks first while the replay runs
			if isQuit(u.key("q")) {
				t.Fatal("q quit during a replay without asking")
			}
			u.mustSee("A replay to LaunchDarkly is running. Quit?")
			u.key("n")
			if u.asking() {
				t.Fatal("n did not dismiss the quit question")
			}
			u.key("esc")
			if !u.m.syncScreen.sync.cancelling {
				t.Fatal("esc did not cancel")
			}
			u.mustSee("cancelling after the change in flight")
			runCmd(next)
		}
	}
	msg := <-msgs
	if _, ok := msg.(replayDoneMsg); !ok {
		t.Fatalf("after cancel got %T", msg)
	}
	u.m.Update(msg)
	if u.m.syncScreen.sync.running {
		t.Fatal("still running after the end")
	}
	u.mustSee("cancelled")
	rep.mu.Lock()
	forced := rep.got.Items[2].Force
	rep.mu.Unlock()
	if !forced {
		t.Fatal("the forced decision did not reach Apply")
	}
}

func TestQuitHelpAndSizes(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.key("?")
	u.mustSee("Keys of this screen")
	u.mustSee("toggle")
	u.key("esc")
	if u.m.showHelp {
		t.Fatal("a key did not close help")
	}
	if !isQuit(u.key("q")) {
		t.Fatal("q did not quit")
	}
	if !isQuit(u.key("ctrl+c")) {
		t.Fatal("ctrl+c did not quit")
	}
	u.m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	u.mustSee("Terminal too small")
	u.mustSee("60x20")
	u.m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	checkFrame(t, u.view(), 100, 30)
	if v := u.m.View(); !v.AltScreen || v.MouseMode != tea.MouseModeNone {
		t.Fatalf("view: alt screen %v, mouse %v", v.AltScreen, v.MouseMode)
	}
}

type fakeDemo struct {
	mu      sync.Mutex
	up      bool
	resyncs int
}

func (d *fakeDemo) LaunchDarklyReachable() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.up }
func (d *fakeDemo) SetLaunchDarklyReachable(up bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.up = up
}
func (d *fakeDemo) SimulateRelayResync(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.resyncs++
	return nil
}

func TestDemoKeys(t *testing.T) {
	d := &fakeDemo{}
	u := newUnit(t, 120, 40, func(c *Config) { c.Demo = d })
	u.mustSee("L LaunchDarkly up/down")
	u.apply(u.key("L"))
	if !d.LaunchDarklyReachable() {
		t.Fatal("L did not bring LaunchDarkly back")
	}
	u.mustSee("demo: LaunchDarkly is back")
	u.apply(u.key("X"))
	if d.resyncs != 1 {
		t.Fatal("X did not simulate a Relay re-sync")
	}
}

func TestRecoveryBannerAndReplayKey(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.withLD(samplePlan())
	if len(u.m.drift) != 1 || !slices.Equal(u.m.drift[0].HostNames(), []string{"relay-a", "relay-b"}) {
		t.Fatalf("drift %+v", u.m.drift)
	}
	u.mustSee("undid 1 change: production/kill-switch-checkout")
	for _, k := range []string{"2", "3", "1"} {
		u.key(k)
		u.mustSee("R replay now")
	}
	cmd := u.key("R")
	// R sits next to r: it opens the plan and asks, it never sends at once
	if u.m.active != screenSync || u.m.syncScreen.sync.auto || !u.m.syncScreen.sync.asking || cmd == nil {
		t.Fatal("R did not open the sync screen with the plan to confirm")
	}
	u.apply(cmd)
	if u.m.syncScreen.sync.running {
		t.Fatal("R started the replay without asking")
	}
	u.mustSee("Replay 2 changes to LaunchDarkly now? enter replays, esc back")
	u.key("esc")
	u.mustNotSee("enter replays")
	u.apply(u.key("R"))
	if cmd := u.key("enter"); cmd == nil || !u.m.syncScreen.sync.running {
		t.Fatal("enter after R did not start the replay")
	}
	u.m.Update(replayDoneMsg{err: errors.New("stopped")})
	// Redis holds the desired state again: the banner goes
	set := u.fs.sets["ld:web-store:production"]
	for i := range 2 {
		flagIn(set, "kill-switch-checkout").Hosts[i].On = false
	}
	u.refresh()
	if len(u.m.drift) != 0 {
		t.Fatal("banner stays after Redis matches again")
	}
	if strings.Contains(u.view(), "undid") {
		t.Fatal("banner still drawn")
	}
}

func TestStalePendingIsDropped(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	old := u.m.pendingCmd()() // reads an empty journal
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.refresh()
	u.m.Update(old)
	if len(u.m.pending) != 1 {
		t.Fatalf("a late journal read replaced a newer one: %d pending", len(u.m.pending))
	}
}

func TestNoSecondToggleWhileWriting(t *testing.T) {
	u := newUnit(t, 80, 24, func(c *Config) { c.Protected = []string{"none"} })
	u.gotoFlag("beta-dashboard")
	u.key("space", "tab", "y")
	if cmd := u.key("enter"); cmd == nil {
		t.Fatal("no write")
	}
	u.key("1") // back to the flags while the write runs
	u.key("down", "space")
	if u.confirm() != nil {
		t.Fatal("a second toggle opened while the first is being written")
	}
	u.mustSee("a write is still in progress")
}

func TestCtrlCQuitsFromDialogs(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.key("space")
	if u.confirm() == nil {
		t.Fatal("no dialog")
	}
	if !isQuit(u.key("ctrl+c")) {
		t.Fatal("ctrl+c did not quit from the confirmation")
	}
	u.key("esc", "/")
	if !isQuit(u.key("ctrl+c")) {
		t.Fatal("ctrl+c did not quit from the filter")
	}
	u.key("esc")
	u.withLD(samplePlan())
	u.apply(u.key("3"))
	u.startFakeReplay()
	if isQuit(u.key("ctrl+c")) || !u.asking() {
		t.Fatal("ctrl+c during a replay must ask first")
	}
	if !isQuit(u.key("y")) {
		t.Fatal("y did not quit")
	}
}

// flagIn finds a flag of a set by key, to change it in place.
func flagIn(set flags.FlagSet, key string) *flags.Flag {
	for i := range set.Flags {
		if set.Flags[i].Key == key {
			return &set.Flags[i]
		}
	}
	panic("no flag " + key)
}

func TestVanishedPrefixMovesSelection(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.gotoEnv("ld:web-store:staging")
	u.fs.disc.Prefixes = slices.DeleteFunc(slices.Clone(u.fs.disc.Prefixes), func(p flags.PrefixInfo) bool { return p.Prefix == "ld:web-store:staging" })
	_, next := u.m.Update(u.m.refreshCmd()())
	if u.m.flagsScreen.selPrefix != "ld:internal-tools:production" {
		t.Fatalf("selection stayed on a vanished prefix: %s", u.m.flagsScreen.selPrefix)
	}
	u.apply(next)
	if u.m.flagsScreen.set.Prefix != "ld:internal-tools:production" {
		t.Fatalf("flags shown are of %s", u.m.flagsScreen.set.Prefix)
	}
}

func TestPaste(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.key("/")
	u.m.Update(tea.PasteMsg{Content: "kill-switch\n"})
	if u.m.flagsScreen.filter.value() != "kill-switch" || len(u.m.flagsScreen.filtered) != 2 {
		t.Fatalf("pasted filter %q matched %d", u.m.flagsScreen.filter.value(), len(u.m.flagsScreen.filtered))
	}
	u.key("enter", "space")
	u.m.Update(tea.PasteMsg{Content: "payment provider\noutage"})
	if u.confirm().reason.value() != "payment provider outage" {
		t.Fatalf("pasted reason %q", u.confirm().reason.value())
	}
	u.key("tab")
	u.m.Update(tea.PasteMsg{Content: "kill-switch-checkout"})
	if u.confirm().typed.value() != "" {
		t.Fatal("the flag key of a protected environment must be typed, not pasted")
	}
}

func TestRemainingKeys(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	// r: a refresh with a new sequence number
	seq := u.m.refreshSeq
	if cmd := u.key("r"); cmd == nil || u.m.refreshSeq != seq+1 {
		t.Fatal("r did not start a refresh")
	}
	// pgup after pgdown
	u.key("G", "pgup")
	if u.m.flagsScreen.flagCursor != 0 {
		t.Fatalf("pgup from the end of 11 rows: cursor %d", u.m.flagsScreen.flagCursor)
	}
	// shift+tab cycles fields backwards; esc cancels the dialog without writing
	u.key("space")
	u.key("shift+tab")
	if u.confirm().field != fieldButtons {
		t.Fatalf("shift+tab from the reason went to field %d", u.confirm().field)
	}
	u.key("shift+tab")
	if u.confirm().field != fieldTyped {
		t.Fatalf("shift+tab from the buttons went to field %d", u.confirm().field)
	}
	u.key("esc")
	if u.confirm() != nil || len(u.fj.changes) != 0 {
		t.Fatal("esc did not cancel the confirmation")
	}
	u.mustSee("not changed: beta-dashboard")
	// sync: p plans again, a replays
	rep := &scriptedReplayer{plan: samplePlan()}
	u.withReplayer(fakeLD{}, rep)
	u.apply(u.key("3"))
	seq = u.m.syncScreen.sync.seq
	if cmd := u.key("p"); cmd == nil || u.m.syncScreen.sync.seq != seq+1 {
		t.Fatal("p did not plan again")
	}
	if cmd := u.key("a"); cmd == nil || !u.m.syncScreen.sync.running {
		t.Fatal("a did not start the replay")
	}
	u.key("esc")
	if !u.m.syncScreen.sync.cancelling {
		t.Fatal("esc did not cancel the replay")
	}
}

func TestEveryHostDownSaysSoAndWhy(t *testing.T) {
	u := newUnit(t, 100, 24, nil)
	u.fs.disc = flags.Discovery{Hosts: []flags.HostStatus{
		{Host: "relay-a", Err: errors.New("host relay-a (10.0.3.5:6379): ping: connection refused")},
		{Host: "relay-b", Err: errors.New("host relay-b (10.0.3.6:6379): ping: i/o timeout")},
	}}
	u.fs.sets = nil // nothing answers, so no flags either
	u.refresh()
	u.mustSee("no Redis host answered")
	u.mustSee("ping: connection refused")
	u.mustSee("ping: i/o timeout")
	u.mustSee("r tries again")
	u.mustNotSee("reading flags")

	// Hosts that answer but hold no Relay store.
	u.fs.disc = flags.Discovery{Hosts: []flags.HostStatus{{Host: "relay-a", Up: true}}}
	u.refresh()
	u.mustSee("no store prefixes found")
	u.mustSee("PREFIX:features")
}

// The details scroll within their text: down stops at its end, and up moves back at once.
func TestDetailsScrollStopsAtTheEnd(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	prefix := u.m.flagsScreen.selPrefix
	set := u.fs.sets[prefix]
	var b strings.Builder
	b.WriteString(`{"key":"beta-dashboard","on":false,"version":3`)
	for i := range 40 {
		b.WriteString(sprintf(`,"field%02d":%d`, i, i))
	}
	b.WriteString("}")
	set.Flags[0].Hosts[0].Raw = b.String()
	u.fs.sets[prefix] = set
	u.refresh()
	u.gotoFlag("beta-dashboard")
	u.key("enter")
	u.mustSee("hosts 2 agree, 1 down")
	u.mustNotSee(`"field39": 39`)
	for range 100 {
		u.key("down")
	}
	u.mustSee(`"field39": 39`)
	u.mustNotSee("hosts 2 agree, 1 down")
	bottom := u.view()
	u.key("up")
	if u.view() == bottom {
		t.Fatal("up after scrolling past the end did not move")
	}
	u.key("g") // not a details key: nothing moves
	for range 100 {
		u.key("up")
	}
	u.mustSee("hosts 2 agree, 1 down")
}

func TestDiscardOfAMovedPendingChangeSaysSo(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.fj.discardErr = fmt.Errorf("journal /j: discard ld:web-store:production kill-switch-checkout: %w: change c1 was closed meanwhile", journal.ErrPendingMoved)
	u.refresh()
	u.key("2", "d", "tab", "tab", "y")
	u.apply(u.key("enter"))
	u.mustSee("not discarded: kill-switch-checkout's pending change moved on")
}

// The protected confirmation's typed key takes surrounding spaces (a copied key often has
// them); any other difference is refused, saying what the key is and what was typed.
func TestProtectedTypedKeyTrimsSpacesAndSaysTheDifference(t *testing.T) {
	open := func(typed string) *unit {
		u := newUnit(t, 120, 40, nil)
		u.gotoEnv("ld:web-store:production")
		u.gotoFlag("kill-switch-checkout")
		u.key("t")
		u.typeText("payment provider outage")
		u.key("tab")
		u.typeText(typed)
		u.key("tab", "y")
		return u
	}
	for _, typed := range []string{"kill-switch-checkout ", " kill-switch-checkout", "  kill-switch-checkout  "} {
		u := open(typed)
		if cmd := u.key("enter"); cmd == nil || u.confirm() != nil {
			t.Errorf("typed %q: the key with surrounding spaces was refused:\n%s", typed, u.view())
		}
	}
	for typed, want := range map[string]string{
		"kill-switch":          `the key is kill-switch-checkout; you typed "kill-switch"`,
		"Kill-switch-checkout": `the key is kill-switch-checkout; you typed "Kill-switch-checkout"`,
		"kill-switch checkout": `the key is kill-switch-checkout; you typed "kill-switch checkout"`,
	} {
		u := open(typed)
		if cmd := u.key("enter"); cmd != nil || u.confirm() == nil {
			t.Errorf("typed %q: confirmed", typed)
			continue
		}
		u.mustSee(want)
	}
}
