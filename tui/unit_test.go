package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"relaycommander/journal"
	"relaycommander/ldsync"
)

type unit struct {
	t    *testing.T
	m    *Model
	fs   *fakeStore
	fj   *fakeJournal
	cfg  Config
	w, h int
}

// newUnit builds a model over the stand-ins through New, sized and loaded, with a fixed clock.
func newUnit(t *testing.T, w, h int, mod func(*Config)) *unit {
	t.Helper()
	// resolved as tui/cli hands them over: the configuration's defaults, set explicitly
	cfg := Config{Now: fixedClock, Operator: "alice", AltScreen: true,
		Refresh: 5 * time.Second, RelayTTL: 30 * time.Second, Protected: []string{"production"}}
	if mod != nil {
		mod(&cfg)
	}
	u := &unit{t: t, fs: testData(), fj: &fakeJournal{}, cfg: cfg, w: w, h: h}
	u.build(Backends{Store: u.fs, Journal: u.fj})
	return u
}

// build makes the unit's model anew over these collaborators, sized and loaded.
func (u *unit) build(be Backends) {
	u.t.Helper()
	u.m = New(u.cfg, be)
	u.m.Update(tea.WindowSizeMsg{Width: u.w, Height: u.h})
	u.refresh()
}

// withLD rebuilds the model with a LaunchDarkly that answers and a replayer of this plan.
func (u *unit) withLD(plan ldsync.Plan) { u.withReplayer(fakeLD{}, &fakeReplayer{plan: plan}) }

// withReplayer rebuilds the model with this LaunchDarkly check and replayer.
func (u *unit) withReplayer(ld ldChecker, rep replayer) {
	u.t.Helper()
	u.build(Backends{Store: u.fs, Journal: u.fj, LD: ld, Replayer: rep})
}

// refresh runs a refresh command to its message and applies it.
func (u *unit) refresh() {
	u.t.Helper()
	cmd := u.m.refreshCmd()
	u.apply(cmd)
	// the first refresh picks the prefix; the set comes with it. Drift follows the refresh
	// (apply drops follow-up commands): check it as the refresh's follow-up would.
	u.apply(u.m.driftCmd(u.m.pending))
}

// apply runs a command that is not a timer and feeds its message back.
func (u *unit) apply(cmd tea.Cmd) {
	u.t.Helper()
	if cmd == nil {
		return
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			u.apply(c)
		}
		return
	}
	_, next := u.m.Update(msg)
	_ = next // follow-up commands are timers or refreshes the tests run explicitly
}

// key sends key presses: names like "down", "enter", "space", "esc", "tab" or text.
func (u *unit) key(keys ...string) tea.Cmd {
	u.t.Helper()
	var last tea.Cmd
	for _, k := range keys {
		_, last = u.m.Update(keyMsg(k))
	}
	return last
}

func (u *unit) typeText(s string) {
	for _, r := range s {
		u.m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func (u *unit) view() string { return ansi.Strip(u.m.View().Content) }

// footerOf is the screen's last line: the keys that act now.
func footerOf(u *unit) string {
	lines := strings.Split(u.view(), "\n")
	return lines[len(lines)-1]
}

func (u *unit) mustSee(s string) {
	u.t.Helper()
	if v := u.view(); !strings.Contains(v, s) {
		u.t.Fatalf("screen lacks %q:\n%s", s, v)
	}
}

func (u *unit) mustNotSee(s string) {
	u.t.Helper()
	if v := u.view(); strings.Contains(v, s) {
		u.t.Fatalf("screen shows %q:\n%s", s, v)
	}
}

func (u *unit) selected() string {
	f, _ := u.m.flagsScreen.cursorFlag()
	return f.Key
}

// goto moves the flag cursor to a key (the pane must have focus).
func (u *unit) gotoFlag(k string) {
	u.t.Helper()
	u.key("g")
	for range 20 {
		if u.selected() == k {
			return
		}
		u.key("down")
	}
	u.t.Fatalf("flag %s not found; at %s", k, u.selected())
}

// gotoEnv selects an environment by prefix in the environments pane.
func (u *unit) gotoEnv(prefix string) {
	u.t.Helper()
	u.key("tab") // to the environments
	u.key("g")
	u.apply(u.m.flagsScreen.loadFlagsCmd(u.m.flagsScreen.selPrefix))
	for range 20 {
		if u.m.flagsScreen.selPrefix == prefix {
			u.key("tab") // back to the flags
			return
		}
		u.apply(u.key("down"))
	}
	u.t.Fatalf("prefix %s not found", prefix)
}

func pendingKill(desired bool) journal.Pending {
	v := 9
	return journal.Pending{
		Prefix: "ld:web-store:production", Project: "web-store", Environment: "production", Flag: "kill-switch-checkout",
		BaseOn: true, BaseVersion: &v, Desired: desired,
		Entries: []journal.Entry{{
			Change: journal.Change{ID: "c1", Time: testNow.Add(-4 * time.Minute), Operator: "alice", Reason: "payment provider outage",
				Prefix: "ld:web-store:production", Project: "web-store", Environment: "production", Flag: "kill-switch-checkout",
				Before: true, After: desired, BaseVersion: &v},
			OutcomeKnown: true,
			Outcomes: []journal.HostOutcome{
				{Host: "relay-a", Outcome: "written", OldOn: true, OldVersion: 9, NewVersion: 10},
				{Host: "relay-b", Outcome: "written", OldOn: true, OldVersion: 9, NewVersion: 10},
				{Host: "relay-c", Outcome: "failed", OldVersion: 0, NewVersion: 0, Error: "connection refused"},
			},
		}},
	}
}

func pendingSearch() journal.Pending {
	return journal.Pending{
		Prefix: "ld:payments:staging", Project: "payments", Environment: "staging", Flag: "maintenance-banner",
		BaseOn: false, Desired: true,
		Entries: []journal.Entry{{Change: journal.Change{ID: "c2", Time: testNow.Add(-90 * time.Second), Operator: "bob",
			Prefix: "ld:payments:staging", Flag: "maintenance-banner", Before: false, After: true}}},
	}
}

// pendingImported is maintenance-banner as imported from relayCommander's queue: its base version
// is unknown, and relayCommander wrote Redis itself, so there is no outcome to settle.
func pendingImported() journal.Pending {
	p := pendingSearch()
	p.Entries[0].OutcomeKnown = true
	p.Entries[0].Source = journal.SourceRelayCommander
	return p
}

// ---- golden files of every screen at 80x24 and 120x40 ----

// goldenScreens are the states TestGolden draws; TestReadmeKeyTableHasEveryKey checks the
// keys each of them offers against README's table.
var goldenScreens = []struct {
	name  string
	mod   func(*Config)
	setup func(u *unit)
}{
	{"flags", nil, func(u *unit) {}},
	{"flags-envs-focus", nil, func(u *unit) { u.key("tab", "down") }},
	{"flags-filter", nil, func(u *unit) { u.key("/"); u.typeText("kill") }},
	{"flags-readonly", func(c *Config) { c.ReadOnly = true }, func(u *unit) {}},
	{"details", nil, func(u *unit) { u.gotoFlag("kill-switch-checkout"); u.key("enter") }},
	{"confirm-protected", nil, func(u *unit) {
		u.gotoFlag("kill-switch-checkout")
		u.key("space")
		u.typeText("payment provider outage")
		u.key("tab")
		u.typeText("kill-switch-che")
	}},
	{"confirm-staging", nil, func(u *unit) {
		u.gotoEnv("ld:web-store:staging")
		u.gotoFlag("checkout-flow")
		u.key("t")
	}},
	{"results", nil, func(u *unit) {
		u.gotoFlag("kill-switch-checkout")
		u.key("space")
		u.key("tab")
		u.typeText("kill-switch-checkout")
		u.key("tab", "y")
		cmd := u.key("enter")
		u.apply(cmd)
	}},
	{"queue", nil, func(u *unit) {
		u.fj.pending = []journal.Pending{pendingKill(false), pendingSearch()}
		u.refresh()
		u.key("2")
	}},
	{"history", nil, func(u *unit) {
		p := pendingKill(false)
		u.fj.pending = []journal.Pending{p}
		u.fj.history = p.Entries
		u.fj.events = []journal.ReplayEvent{{Time: testNow.Add(-time.Minute), Kind: journal.ReplayFailed, Prefix: p.Prefix, Flag: p.Flag, Error: "LaunchDarkly unreachable"}}
		u.refresh()
		u.key("2")
		u.apply(u.key("enter"))
	}},
	{"discard", nil, func(u *unit) {
		u.fj.pending = []journal.Pending{pendingKill(false)}
		u.refresh()
		u.key("2", "d")
		u.typeText("LaunchDarkly was changed by hand")
	}},
	{"sync-no-token", nil, func(u *unit) { u.key("3") }},
	{"sync-plan", nil, func(u *unit) {
		u.withLD(samplePlan())
		u.apply(u.key("3"))
		u.key("down", "down")
	}},
	{"sync-running", nil, func(u *unit) {
		u.withLD(samplePlan())
		u.apply(u.key("3"))
		u.startFakeReplay()
		u.m.Update(progressMsg{p: ldsync.Progress{Index: 0, Total: 2, Done: true, Result: "applied", Item: samplePlan().Items[0], Counts: ldsync.Counts{Applied: 1}}})
		u.m.Update(progressMsg{p: ldsync.Progress{Index: 1, Total: 2, Item: samplePlan().Items[1], WaitingUntil: testNow.Add(3 * time.Second), WaitReason: "rate limit (route)"}})
	}},
	{"sync-unreachable", nil, func(u *unit) {
		timeout := &ldsync.APIError{Op: "list projects at https://app.launchdarkly.com", Timeout: true, Cause: "no answer in time", Addr: "app.launchdarkly.com",
			Message: `Get "https://app.launchdarkly.com/api/v2/projects?limit=1": dial tcp 52.1.2.3:443: i/o timeout`}
		u.withReplayer(fakeLD{err: timeout}, &fakeReplayer{plan: samplePlan()})
		u.apply(u.key("3"))
	}},
	{"sync-done", nil, func(u *unit) {
		u.withLD(samplePlan())
		u.apply(u.key("3"))
		u.startFakeReplay()
		p := samplePlan()
		u.m.Update(progressMsg{p: ldsync.Progress{Index: 0, Total: 2, Done: true, Result: "applied", Item: p.Items[0], Counts: ldsync.Counts{Applied: 1}}})
		u.m.Update(progressMsg{p: ldsync.Progress{Index: 1, Total: 2, Done: true, Result: "failed", Err: errors.New("LaunchDarkly 400 on PATCH payments/maintenance-banner: a scheduled change conflicts"), Item: p.Items[1], Counts: ldsync.Counts{Applied: 1, Failed: 1}}})
		u.m.Update(progressMsg{p: ldsync.Progress{Index: 2, Total: 2, Done: true, Result: "conflict", Item: p.Items[2], Counts: ldsync.Counts{Applied: 1, Failed: 1, Conflicts: 1}}})
		u.m.Update(progressMsg{p: ldsync.Progress{Index: 0, Total: 2, Done: true, Result: "verified", Item: p.Items[0], Counts: ldsync.Counts{Applied: 1, Failed: 1, Conflicts: 1, Verified: 1}}})
		u.m.Update(replayDoneMsg{counts: ldsync.Counts{Applied: 1, Failed: 1, Conflicts: 1, Verified: 1}})
	}},
	{"banner", nil, func(u *unit) {
		u.fj.pending = []journal.Pending{pendingKill(false)}
		u.refresh() // Redis holds ON on relay-a and relay-b: the write was undone
	}},
	{"help", nil, func(u *unit) { u.key("?") }},
	// arming (arm.go): LaunchDarkly back before the re-sync, then the replay armed
	{"banner-ld-back", nil, func(u *unit) {
		u.armPending()
		u.withGuard(fakeLD{}, &fakeGuard{})
		u.apply(u.m.ldCheckCmd())
	}},
	{"queue-armed", nil, func(u *unit) {
		u.armPending()
		u.withGuard(fakeLD{err: errLDDown}, &fakeGuard{script: armedEvents(), hold: true})
		u.key("2")
		u.arm()
		u.guardStep()
	}},
	{"sync-armed", nil, func(u *unit) {
		u.armPending()
		u.withGuard(fakeLD{err: errLDDown}, &fakeGuard{script: armedEvents(), hold: true})
		u.key("3")
		u.arm()
		u.guardStep()
	}},
	// the Relays view: relay-east connected, relay-west cut off, relay-dr unreachable
	{"relays-flags", nil, func(u *unit) { u.withRelays() }},
	{"relays-help", nil, func(u *unit) { u.withRelays(); u.key("?") }},
	{"relays-confirm", nil, func(u *unit) {
		u.withRelays()
		u.gotoEnv("ld:web-store:staging")
		u.gotoFlag("checkout-flow")
		u.key("t")
		u.typeText("cdn down")
		u.key("tab", "l")
	}},
	{"relays-confirm-protected", nil, func(u *unit) {
		u.withRelays()
		u.gotoFlag("kill-switch-checkout")
		u.key("space")
		u.key("tab", "tab", "y", "enter") // no key typed: the dialog says so
	}},
	{"relays-results", nil, func(u *unit) {
		fr, _ := u.withRelays()
		fr.served = servedAnswers("ld:web-store:staging", "checkout-flow", false)
		u.gotoEnv("ld:web-store:staging")
		u.gotoFlag("checkout-flow")
		u.key("t", "tab", "y")
		u.follow(u.key("enter"))
	}},
	{"relays-in-launchdarkly", nil, func(u *unit) {
		fr, _ := u.withRelays()
		fr.served = servedAnswers("ld:web-store:staging", "checkout-flow", false)
		u.gotoEnv("ld:web-store:staging")
		u.gotoFlag("checkout-flow")
		u.key("t")
		u.typeText("cdn down")
		u.key("tab", "l")
		u.follow(u.key("enter"))
	}},
	{"quit-ask", nil, func(u *unit) {
		u.withLD(samplePlan())
		u.apply(u.key("3"))
		u.startFakeReplay()
		u.key("q")
	}},
}

func TestGolden(t *testing.T) {
	screens := goldenScreens
	t.Run("too-small-60x20", func(t *testing.T) {
		u := newUnit(t, 60, 20, nil)
		v := u.view()
		checkFrame(t, v, 60, 20)
		golden.RequireEqual(t, v)
	})
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, sc := range screens {
			t.Run(sprintf("%s-%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				u := newUnit(t, size[0], size[1], sc.mod)
				sc.setup(u)
				v := u.view()
				checkFrame(t, v, size[0], size[1])
				golden.RequireEqual(t, v)
			})
		}
	}
}

// checkFrame asserts the view fills the terminal without overflowing it.
func checkFrame(t *testing.T, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, terminal %d", len(lines), h)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Errorf("line %d is %d wide, terminal %d: %q", i, ansi.StringWidth(l), w, l)
		}
	}
}

// startFakeReplay puts the sync screen into a running replay of two items without starting
// the replay's goroutine, so the test sends every progress event itself.
func (u *unit) startFakeReplay() {
	u.m.syncScreen.sync.begin(func() {}, 2)
}

func samplePlan() ldsync.Plan {
	kill := pendingKill(false)
	banner := pendingImported()
	v13 := 13
	conflict := journal.Pending{Prefix: "ld:payments:production", Project: "payments", Environment: "production", Flag: "maintenance-banner", BaseOn: false, BaseVersion: &v13, Desired: true}
	export := journal.Pending{Prefix: "ld:mobile-api:test", Project: "mobile-api", Environment: "test", Flag: "legacy-export", Desired: false, BaseOn: true}
	return ldsync.Plan{Items: []ldsync.Item{
		{Pending: kill, Status: ldsync.Ready, LD: ldsync.FlagState{On: true, Version: 9}},
		{Pending: banner, Status: ldsync.UnknownBase},
		{Pending: conflict, Status: ldsync.Conflict, Reason: "changed in LaunchDarkly 03:01 (v14, base v13)", LD: ldsync.FlagState{On: true, Version: 14}},
		{Pending: export, Status: ldsync.NotReplayable, Reason: "405 approval required in this environment"},
	}}
}

// confirm is the open toggle confirmation, or nil.
func (u *unit) confirm() *confirmDialog {
	d, _ := u.m.dialog.(*confirmDialog)
	return d
}

// discardDialog is the open discard confirmation, or nil.
func (u *unit) discardDialog() *discardDialog {
	d, _ := u.m.dialog.(*discardDialog)
	return d
}

// asking says the quit question is open.
func (u *unit) asking() bool {
	_, ok := u.m.dialog.(*quitDialog)
	return ok
}
