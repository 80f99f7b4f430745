package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"relaycommander/journal"
	"relaycommander/ldsync"
)

var errLDDown = &ldsync.APIError{Op: "list projects at https://app.launchdarkly.com", Timeout: true, Cause: "no answer in time", Addr: "app.launchdarkly.com",
	Message: `Get "https://app.launchdarkly.com/api/v2/projects?limit=1": dial tcp 52.1.2.3:443: i/o timeout`}

// withGuard rebuilds the model with a LaunchDarkly check, a replayer of samplePlan and this
// guard.
func (u *unit) withGuard(ld ldChecker, g guardRunner) {
	u.t.Helper()
	u.build(Backends{Store: u.fs, Journal: u.fj, LD: ld, Replayer: &fakeReplayer{plan: samplePlan()}, Guard: g})
}

// armPending is two pending changes whose writes Redis still holds (no drift).
func (u *unit) armPending() {
	u.t.Helper()
	u.fj.pending = []journal.Pending{pendingKill(false), pendingSearch()}
	set := u.fs.sets["ld:web-store:production"]
	for i := range 2 {
		flagIn(set, "kill-switch-checkout").Hosts[i].On = false
	}
	set = u.fs.sets["ld:payments:staging"]
	for i := range 2 {
		flagIn(set, "maintenance-banner").Hosts[i].On = true
	}
	u.refresh()
}

// arm presses A and starts the guard: its first event is applied.
func (u *unit) arm() {
	u.t.Helper()
	cmd := u.key("A")
	if cmd == nil || !u.m.arm.on {
		u.t.Fatalf("A did not arm on screen %d: %s", u.m.active, u.m.status)
	}
	u.t.Cleanup(u.m.cancelArm) // a guard that holds ends with the test
	u.m.Update(cmd())
}

// guardStep applies the guard's next event (or its end), waiting at most 5s for it.
func (u *unit) guardStep() tea.Msg {
	u.t.Helper()
	got := make(chan tea.Msg, 1)
	events, done := u.m.arm.events, u.m.arm.done
	go func() { got <- nextGuardEvent(events, done)() }()
	select {
	case msg := <-got:
		u.m.Update(msg)
		return msg
	case <-time.After(5 * time.Second):
		u.t.Fatal("the guard sent nothing within 5s")
	}
	return nil
}

// guardUntilDone applies the guard's events until it ends.
func (u *unit) guardUntilDone() {
	u.t.Helper()
	for range 50 {
		if _, done := u.guardStep().(armDoneMsg); done {
			return
		}
	}
	u.t.Fatal("the guard did not end")
}

func armedEvents() []ldsync.GuardEvent {
	return []ldsync.GuardEvent{
		{Time: testNow, Kind: ldsync.GuardArmed, Pending: 2},
		{Time: testNow, Kind: ldsync.GuardChecked, Pending: 2, Check: ldsync.Check{Time: testNow, Err: errLDDown}},
	}
}

func TestArmAndDisarm(t *testing.T) {
	g := &fakeGuard{script: armedEvents(), hold: true}
	u := newUnit(t, 120, 40, nil)
	u.armPending()
	u.withGuard(fakeLD{err: errLDDown}, g)
	u.key("1")
	if cmd := u.key("A"); cmd != nil || u.m.arm.on {
		t.Fatal("A armed from the flags screen without the banner")
	}
	u.key("2")
	u.mustSee("A arm replay")
	u.arm()
	u.guardStep()
	if head := strings.Split(u.view(), "\n")[0]; !strings.Contains(head, "ARMED: 2 changes") || strings.Contains(head, "pending") {
		t.Fatalf("header while armed: %q", head)
	}
	u.mustSee("A disarm")
	u.key("3")
	u.mustSee("ARMED: 2 changes  held in Redis since 03:12:30")
	u.mustSee("waiting for LaunchDarkly: last check 03:12:30: LaunchDarkly does not answer")
	u.mustSee("Armed lasts only as long as this process")
	if cmd := u.key("enter"); cmd != nil || u.m.syncScreen.sync.running {
		t.Fatal("enter replayed from the sync screen while armed")
	}
	// quitting while armed asks
	u.key("q")
	if !u.asking() {
		t.Fatal("q while armed quit without asking")
	}
	u.mustSee("The replay is ARMED, holding 2 changes. Quit?")
	u.key("n")
	u.key("A") // disarm
	if !u.m.arm.disarming {
		t.Fatal("A again did not disarm")
	}
	u.guardUntilDone()
	if u.m.arm.on {
		t.Fatal("still armed after the guard ended")
	}
	runs, cancelled := g.state()
	if runs != 1 || !cancelled {
		t.Fatalf("guard runs %d, cancelled %v", runs, cancelled)
	}
	u.mustSee("disarmed: nothing was sent")
	u.mustNotSee("ARMED")
	if head := strings.Split(u.view(), "\n")[0]; !strings.Contains(head, "2 pending") {
		t.Fatalf("header after disarming: %q", head)
	}
	if q := u.key("q"); q == nil || u.asking() {
		t.Fatal("q after disarming asked or did not quit")
	}
}

func TestArmedGuardShowsReassertionsConflictsAndTheReplay(t *testing.T) {
	plan := samplePlan()
	kill := pendingKill(false)
	v9 := 9
	undone := journal.Undone{Prefix: kill.Prefix, Project: kill.Project, Environment: kill.Environment, Flag: kill.Flag, Desired: false, BaseVersion: &v9,
		Hosts: []journal.UndoneHost{{Host: "relay-a", On: true, Version: 9}}}
	higher := undone
	higher.Flag = "maintenance-banner"
	higher.Hosts = []journal.UndoneHost{{Host: "relay-b", On: false, Version: 14}}
	applied := ldsync.Progress{Index: 0, Total: 2, Done: true, Result: "applied", Item: plan.Items[0], Counts: ldsync.Counts{Applied: 1}}
	g := &fakeGuard{script: append(armedEvents(),
		ldsync.GuardEvent{Time: testNow, Kind: ldsync.GuardReasserted, Pending: 2, Undone: undone, Hosts: []string{"relay-a"}},
		ldsync.GuardEvent{Time: testNow, Kind: ldsync.GuardConflict, Pending: 2, Undone: higher, Hosts: []string{"relay-b"}, Err: errors.New("changed in LaunchDarkly")},
		ldsync.GuardEvent{Time: testNow, Kind: ldsync.GuardChecked, Pending: 2, Check: ldsync.Check{Time: testNow}},
		ldsync.GuardEvent{Time: testNow, Kind: ldsync.GuardPlanned, Pending: 2, Plan: &plan},
		ldsync.GuardEvent{Time: testNow, Kind: ldsync.GuardProgress, Pending: 2, Progress: &applied},
	), counts: ldsync.Counts{Applied: 1, Conflicts: 1}}
	u := newUnit(t, 120, 40, nil)
	u.armPending()
	u.withGuard(fakeLD{err: errLDDown}, g)
	u.key("3")
	u.mustSee("A arm replay")
	u.arm()
	u.guardStep() // checked
	u.guardStep() // re-asserted
	u.mustSee("re-asserted production/kill-switch-checkout OFF on relay-a: a Relay re-sync had undone it")
	u.guardStep() // conflict
	u.mustSee("conflict: production/maintenance-banner changed in LaunchDarkly (v14 on relay-b, base v9); not written back")
	u.mustSee("re-asserted 1 time after a Relay re-sync; 1 conflict left alone")
	u.guardStep() // LaunchDarkly answered
	u.guardStep() // planned: the replay runs on the sync screen
	if !u.m.syncScreen.sync.running {
		t.Fatal("the armed replay does not show on the sync screen")
	}
	u.key("q")
	if !u.asking() {
		t.Fatal("q during the armed replay quit without asking")
	}
	u.mustSee("A replay to LaunchDarkly is running. Quit?")
	u.key("n")
	u.guardStep() // progress
	u.mustSee("APPLIED")
	u.guardUntilDone()
	if u.m.arm.on || u.m.syncScreen.sync.running || !u.m.syncScreen.sync.finished {
		t.Fatalf("after the armed replay: armed %v running %v finished %v", u.m.arm.on, u.m.syncScreen.sync.running, u.m.syncScreen.sync.finished)
	}
	u.mustSee("replay done: 1 applied")
	// the conflict waits for the operator's decision, as a replay started here does
	u.key("down", "down")
	u.key("s")
	u.mustSee("SKIP")
}

func TestArmDoesNotExistReadOnly(t *testing.T) {
	u := newUnit(t, 120, 40, func(c *Config) { c.ReadOnly = true })
	u.armPending()
	u.withGuard(fakeLD{}, &fakeGuard{hold: true})
	for _, k := range []string{"2", "3"} {
		u.key(k)
		if cmd := u.key("A"); cmd != nil || u.m.arm.on {
			t.Fatalf("A armed read-only on screen %s", k)
		}
		u.mustNotSee("A arm")
	}
	u.key("?")
	u.mustNotSee("Arming the replay")
	u.key("esc")
	u.apply(u.m.ldCheckCmd())
	u.mustSee("LaunchDarkly is back: Relay will undo 2 changes when it reconnects. Replay from a writable session")
	if (Config{ReadOnly: true}).backends().Guard != nil {
		t.Fatal("a read-only configuration has a guard")
	}
}

func TestHelpSaysArmedLastsOnlyAsLongAsTheProcess(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.withGuard(fakeLD{}, &fakeGuard{})
	u.key("?")
	text := strings.Join(strings.Fields(u.view()), " ") // help wraps its lines to the terminal
	for _, s := range []string{"Armed lasts only as long as this process:", "quitting disarms. relaycommander replay --wait arms it from a spare terminal."} {
		if !strings.Contains(text, s) {
			t.Errorf("help lacks %q:\n%s", s, u.view())
		}
	}
}

func TestBannerSaysLaunchDarklyIsBackBeforeTheResync(t *testing.T) {
	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		u := newUnit(t, size[0], size[1], nil)
		u.armPending()
		g := &fakeGuard{script: armedEvents()[:1], hold: true}
		u.withGuard(fakeLD{err: errLDDown}, g)
		u.apply(u.m.ldCheckCmd())
		u.mustNotSee("LaunchDarkly is back")
		// the periodic check finds LaunchDarkly answering: nothing is undone yet
		u.withGuard(fakeLD{}, g)
		u.apply(u.m.ldCheckCmd())
		if len(u.m.drift) != 0 {
			t.Fatalf("drift %+v", u.m.drift)
		}
		want := "LaunchDarkly is back: Relay will undo 2 changes when it reconnects. R replay now, A arm"
		if size[0] == 80 {
			want = "LaunchDarkly is back: Relay will undo 2 changes. R replay now, A arm"
		}
		u.mustSee(want)
		lines := strings.Split(u.view(), "\n")
		if len(lines) != size[1] {
			t.Fatalf("%d lines", len(lines))
		}
		// A arms from the banner, on any screen; the banner goes while armed
		u.key("1")
		u.mustSee("A arm")
		u.arm()
		u.mustNotSee("LaunchDarkly is back")
		u.mustSee("ARMED: 2 changes")
		u.key("A")
		u.guardUntilDone()
		u.mustSee("LaunchDarkly is back")
		// R opens the plan and asks; nothing is sent
		cmd := u.key("R")
		u.apply(cmd)
		if u.m.active != screenSync || u.m.syncScreen.sync.running {
			t.Fatal("R did not open the plan, or sent at once")
		}
		u.mustSee("enter replays, A arms instead, esc back")
	}
}
