package tui

import (
	"strings"
	"testing"
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
