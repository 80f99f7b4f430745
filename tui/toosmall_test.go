package tui

import (
	"strings"
	"testing"

	"relaycommander/journal"

	tea "charm.land/bubbletea/v2"
)

// A window below the minimum shows only the request to enlarge it: no key may act on a
// screen the responder cannot see (a toggle confirmed blind, a reason typed into a hidden
// field). q and ctrl+c still quit, as the screen says.
func TestTooSmallWindowKeysDoNothingButQuit(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.gotoEnv("ld:web-store:staging")
	u.gotoFlag("checkout-flow")
	u.m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	u.mustSee("Terminal too small")
	for _, k := range []string{"space", "enter", "tab", "y", "enter", "t", "2", "R", "A", "d"} {
		if cmd := u.key(k); cmd != nil {
			u.follow(cmd)
		}
	}
	if len(u.fs.toggles) != 0 {
		t.Fatalf("keys pressed on the too-small screen wrote %v", u.fs.toggles)
	}
	u.m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if u.m.dialog != nil || u.m.active != screenFlags || u.selected() != "checkout-flow" {
		t.Fatalf("after enlarging: dialog %T, screen %v, flag %q; want the flags screen as it was", u.m.dialog, u.m.active, u.selected())
	}

	// A confirmation open when the window shrinks keeps its fields as they were.
	u.key("space")
	u.typeText("cdn")
	u.m.Update(tea.WindowSizeMsg{Width: 70, Height: 24})
	u.typeText("xyz")
	u.key("tab", "y", "enter")
	u.m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if len(u.fs.toggles) != 0 {
		t.Fatalf("a confirmation was answered while hidden: %v", u.fs.toggles)
	}
	if v := u.view(); !strings.Contains(v, "cdn█") || strings.Contains(v, "cdnxyz") {
		t.Fatalf("the reason changed while hidden:\n%s", v)
	}

	u.m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	if cmd := u.key("q"); cmd == nil || cmd() != tea.Quit() {
		t.Fatalf("q on the too-small screen does not quit")
	}
}

// tmux's status line leaves 23 rows of an 80x24 terminal: that must be enough.
func TestTmuxInAnEightyByTwentyFourTerminalIsBigEnough(t *testing.T) {
	u := newUnit(t, 80, 23, nil)
	if v := u.view(); strings.Contains(v, "too small") {
		t.Fatalf("80x23 is refused:\n%s", v)
	}
}

// Every screen and dialog fits 80x23 and keeps its buttons.
func TestEveryGoldenScreenFitsTheMinimum(t *testing.T) {
	for _, sc := range goldenScreens {
		t.Run(sc.name, func(t *testing.T) {
			u := newUnit(t, minWidth, minHeight, sc.mod)
			sc.setup(u)
			v := u.view()
			checkFrame(t, v, minWidth, minHeight)
			big := newUnit(t, 80, 24, sc.mod)
			sc.setup(big)
			if bv := big.view(); strings.Contains(bv, "[ No ]") != strings.Contains(v, "[ No ]") ||
				strings.Contains(bv, " Yes") != strings.Contains(v, " Yes") {
				t.Errorf("the buttons differ from 80x24's at %dx%d:\n%s", minWidth, minHeight, v)
			}
		})
	}
}

// Armed, q asks before quitting: the too-small screen shows the question, and y answers it.
func TestTooSmallWindowStillAsksBeforeQuittingArmed(t *testing.T) {
	g := &fakeGuard{script: armedEvents(), hold: true}
	u := newUnit(t, 120, 40, nil)
	u.armPending()
	u.withGuard(fakeLD{err: errLDDown}, g)
	u.key("2")
	u.arm()
	u.guardStep()
	u.m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	if cmd := u.key("q"); cmd != nil {
		t.Fatal("q quit at once while armed")
	}
	u.mustSee("ARMED, holding 2 changes. Quit?")
	u.mustSee("y quits, n stays.")
	if cmd := u.key("y"); cmd == nil {
		t.Fatal("y did not answer the question")
	}
}

// A paste on the too-small screen lands nowhere either.
func TestTooSmallWindowIgnoresAPaste(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.gotoEnv("ld:web-store:staging")
	u.gotoFlag("checkout-flow")
	u.key("space")
	u.m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	u.m.Update(tea.PasteMsg{Content: "pasted blind"})
	u.m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := u.view(); strings.Contains(v, "pasted blind") {
		t.Fatalf("a paste on the too-small screen reached the hidden field:\n%s", v)
	}
}

// At the minimum size the tallest confirmation (protected, a dependant serving off, a
// connected Relay, a pending change) keeps its fields, its buttons and what enter on In
// LaunchDarkly does; the explanations give way.
func TestTallestConfirmationAtTheMinimumKeepsWhatActs(t *testing.T) {
	u := newUnit(t, minWidth, minHeight, nil)
	fr, _ := u.withRelays()
	fr.served = servedAnswers("ld:internal-tools:production", "kill-switch-checkout", false)
	p := pendingKill(false)
	p.Prefix, p.Project, p.Environment = "ld:internal-tools:production", "internal-tools", "production"
	u.fj.pending = []journal.Pending{p}
	u.refresh()
	u.gotoEnv("ld:internal-tools:production")
	u.gotoFlag("kill-switch-checkout")
	u.key("space")
	u.typeText("cdn")
	u.key("tab")
	u.typeText("kill-switch-checkout")
	u.key("tab", "l")
	v := u.view()
	checkFrame(t, v, minWidth, minHeight)
	for _, want := range []string{"reason", "type the key", "[ In LaunchDarkly ]", "In LaunchDarkly closes the pending change"} {
		if !strings.Contains(v, want) {
			t.Errorf("at %dx%d the confirmation lacks %q:\n%s", minWidth, minHeight, want, v)
		}
	}
}
