package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"relaycommander/journal"
)

// The footer and help draw keys bold in colour 81 and descriptions in 250, readable on a
// dark theme; not the bubbles defaults (true-colour greys 0x626262 and 0x4a4a4a).
func TestHelpColoursAreReadable(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	footer := u.m.footerLine()
	u.key("?")
	full := strings.Join(u.m.helpBody(30), "\n")
	for name, raw := range map[string]string{"footer": footer, "help": full} {
		for _, want := range []string{"1;38;5;81m", "38;5;250m"} {
			if !strings.Contains(raw, want) {
				t.Errorf("%s lacks SGR %q: %q", name, want, raw)
			}
		}
		if strings.Contains(raw, "38;2;") {
			t.Errorf("%s has the bubbles default greys: %q", name, raw)
		}
	}
}

// With a LaunchDarkly token, help says what its reachability means for a Redis edit.
func TestHelpSaysWhatLaunchDarklyReachableMeans(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.withLDWriter(nil)
	u.key("?", "G")
	u.mustSee("confirmation says so and offers l In LaunchDarkly instead")
	u.key("esc")
	u = newUnit(t, 120, 40, nil) // no token
	u.key("?", "G")
	u.mustNotSee("LaunchDarkly reachable (header)")
}

// At 80 columns help wraps its explanations instead of cutting them: paging through it, no
// line ends in "…".
func TestHelpCutsNothingAt80Columns(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.withRelays()
	u.withGuard(fakeLD{}, &fakeGuard{})
	u.key("?")
	for page := 0; page < 10; page++ {
		v := u.view()
		v = v[strings.Index(v, "Keys of this screen"):] // the header says "checking…"
		lines := strings.Split(v, "\n")
		for _, l := range lines[:len(lines)-1] { // the footer may give way
			if strings.HasSuffix(strings.TrimRight(l, " "), "…") {
				t.Errorf("help cuts a line at 80 columns: %q", l)
			}
		}
		u.key("pgdown")
	}
}

// At 80 columns the footer is cut with "…" nowhere: what does not fit is left out whole,
// first the screen keys the header's tabs show (1 2 3) and r, and "? help" and "q quit"
// always stay, so that help says the rest.
func TestFooterFitsWholeAt80(t *testing.T) {
	check := func(where string, u *unit) {
		t.Helper()
		f := footerOf(u)
		if strings.Contains(f, "…") || !strings.Contains(f, "? help") || !strings.Contains(f, "q quit") {
			t.Errorf("%s: footer %q", where, f)
		}
		if w := ansi.StringWidth(f); w > 80 {
			t.Errorf("%s: footer of %d columns", where, w)
		}
	}
	u := newUnit(t, 80, 24, nil)
	check("flags", u)
	if f := footerOf(u); !strings.Contains(f, "space/t toggle") {
		t.Errorf("the flags footer lost its first key: %q", f)
	}
	u.key("tab")
	check("environments", u)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.withGuard(fakeLD{}, &fakeGuard{})
	u.apply(u.m.ldCheckCmd())
	u.refresh()
	check("flags with the banner's keys", u)
	u.key("2")
	check("queue", u)
	u.apply(u.key("3"))
	check("sync", u)
}
