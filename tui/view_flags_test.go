package tui

import (
	"slices"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"relaycommander/flags"
	"relaycommander/journal"
)

// The flags screen's drawing (flagsview.go): protected marks, colours, and what gives way
// at 80 columns.

var viewSizes = [][2]int{{80, 24}, {120, 40}}

// rawRow is the row of the view, with its escape sequences, whose text contains s.
func rawRow(t *testing.T, u *unit, s string) string {
	t.Helper()
	for _, l := range strings.Split(u.m.View().Content, "\n") {
		if strings.Contains(ansi.Strip(l), s) {
			return l
		}
	}
	t.Fatalf("no row shows %q:\n%s", s, u.view())
	return ""
}

// plainRow is rawRow without its escape sequences.
func plainRow(t *testing.T, u *unit, s string) string {
	t.Helper()
	return ansi.Strip(rawRow(t, u, s))
}

// opening is the escape sequence a style starts its text with.
func opening(st lipgloss.Style) string {
	r := st.Render("X")
	return r[:strings.Index(r, "X")]
}

// painted says the raw row draws word in the style.
func painted(raw string, st lipgloss.Style, word string) bool {
	return strings.Contains(raw, opening(st)+word)
}

// flagRowText is the text of the flags table's row of key.
func flagRowText(t *testing.T, u *unit, key string) string {
	t.Helper()
	for _, l := range strings.Split(u.view(), "\n") {
		for _, lead := range []string{"┃  ", "┃> ", "│  ", "│> "} {
			if strings.Contains(l, lead+key+" ") {
				return l
			}
		}
	}
	t.Fatalf("no row of %s:\n%s", key, u.view())
	return ""
}

// envPane are the environments pane's rows, as text.
func envPane(u *unit) []string {
	var out []string
	for _, l := range strings.Split(u.view(), "\n") {
		r := []rune(l)
		if len(r) == 0 || (r[0] != '│' && r[0] != '┃') {
			continue
		}
		end := strings.IndexAny(string(r[1:]), "│┃")
		if end < 0 {
			continue
		}
		out = append(out, string(r[1:])[:end])
	}
	return out
}

func TestViewProtectedEnvironmentsMarked(t *testing.T) {
	for _, size := range viewSizes {
		t.Run(sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			u := newUnit(t, size[0], size[1], nil)
			rows := envPane(u)
			var project string
			seen := 0
			for _, r := range rows {
				name := strings.TrimSpace(strings.TrimPrefix(r, "> "))
				if !strings.HasPrefix(r, "  ") && !strings.HasPrefix(r, "> ") {
					project = name // a heading
					continue
				}
				if name == "" {
					continue
				}
				env := strings.Fields(name)[0]
				protected := env == "production" || project == "(unmapped prefixes)"
				if got := strings.Contains(r, protectedShort); got != protected {
					t.Errorf("%s / %s: protected mark %v, want %v: %q", project, env, got, protected, r)
				}
				if protected && strings.Contains(r, "…") {
					t.Errorf("%s / %s: name cut: %q", project, env, r)
				}
				seen++
			}
			if seen != 11 {
				t.Fatalf("saw %d environments, want 11:\n%s", seen, u.view())
			}
			// the selected environment, internal-tools / production, keeps its ! mark
			if r := rows[1]; !strings.Contains(r, "> production") || !strings.Contains(r, "!") {
				t.Errorf("selected row %q lacks its name or its ! mark", r)
			}
			st := u.m.flagsScreen.st
			word := protectedShort
			if strings.Contains(plainRow(t, u, "launchdarkly"), protectedWord) {
				word = protectedWord
			}
			if raw := rawRow(t, u, "launchdarkly"); !painted(raw, st.protected, word) {
				t.Errorf("the protected mark is not in its colour: %q", raw)
			}
			// the cursor row keeps the mark's colour, in reverse video
			if raw := rawRow(t, u, "> production"); !painted(raw, st.protected.Bold(true), word) {
				t.Errorf("the cursor row's protected mark is not in its colour: %q", raw)
			}
		})
	}
}

func TestViewProtectedFlagsPaneHeader(t *testing.T) {
	for _, size := range viewSizes {
		t.Run(sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			u := newUnit(t, size[0], size[1], nil)
			top := rawRow(t, u, "Environments")
			if !strings.Contains(ansi.Strip(top), protectedWord+"  internal-tools / production") {
				t.Errorf("protected pane header lacks %s: %q", protectedWord, ansi.Strip(top))
			}
			if !painted(top, u.m.flagsScreen.st.protected, protectedWord) {
				t.Errorf("the header's %s is not in its colour: %q", protectedWord, top)
			}
			u.key("enter")
			if top := plainRow(t, u, "beta-dashboard"); !strings.Contains(top, protectedWord) {
				t.Errorf("details header lacks %s: %q", protectedWord, top)
			}
			u.key("esc")
			u.gotoEnv("ld:web-store:staging")
			if top := plainRow(t, u, "Environments"); strings.Contains(top, protectedShort) || !strings.Contains(top, "web-store / staging") {
				t.Errorf("staging pane header: %q", top)
			}
		})
	}
}

// withSplit adds a flag ON on relay-a and OFF on relay-b to the selected prefix.
func withSplit(u *unit) {
	prefix := "ld:internal-tools:production"
	set := u.fs.sets[prefix]
	split := flags.Flag{Key: "split-brain", Hosts: []flags.HostFlag{hf("relay-a", true, 7), hf("relay-b", false, 8), {Host: "relay-c", HostDown: true}}}
	set.Flags = append(set.Flags, split)
	u.fs.sets[prefix] = set
	u.refresh()
}

func TestViewStateColoursAndSplit(t *testing.T) {
	for _, size := range viewSizes {
		t.Run(sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			u := newUnit(t, size[0], size[1], nil)
			withSplit(u)
			st := u.m.flagsScreen.st
			if raw := rawRow(t, u, "enable-new-pricing"); !painted(raw, st.on, "ON") {
				t.Errorf("ON is not green: %q", raw)
			}
			if raw := rawRow(t, u, "legacy-export"); !painted(raw, st.off, "OFF") {
				t.Errorf("OFF is not red: %q", raw)
			}
			if raw := rawRow(t, u, "kill-switch-search"); !painted(raw, st.warn, "DIFFER") {
				t.Errorf("DIFFER is not in the warning colour: %q", raw)
			}
			// the cursor row keeps the colours, in reverse video
			if raw := rawRow(t, u, "> beta-dashboard"); !painted(raw, st.off.Reverse(true), "OFF") {
				t.Errorf("the cursor row's OFF is not red: %q", raw)
			}
			raw := rawRow(t, u, "split-brain")
			row := ansi.Strip(raw)
			if !strings.Contains(row, "ON/OFF") || !strings.Contains(row, "DIFFER") {
				t.Errorf("split row does not show both states: %q", row)
			}
			if !painted(raw, st.on, "ON") || !painted(raw, st.off, "OFF") {
				t.Errorf("split row's states are not in their colours: %q", raw)
			}
		})
	}
}

// TestViewTableAt80And120 holds the table's priorities: every flag key whole, HOSTS saying
// that a host is down rather than that the hosts disagree, notes in whole words (short
// forms at 80 columns), no "(s)".
func TestViewTableAt80And120(t *testing.T) {
	notes := map[int]map[string]string{
		80: {
			"broken-json":          "bad JSON",
			"checkout-flow":        "needs 1",
			"kill-switch-checkout": "used by 1",
			"kill-switch-search":   "v5/v4",
		},
		120: {
			"broken-json":          "unreadable JSON on relay-a",
			"checkout-flow":        "requires kill-switch-checkout",
			"kill-switch-checkout": "required by checkout-flow",
			"kill-switch-search":   "relay-b: ON v4",
		},
	}
	for _, size := range viewSizes {
		t.Run(sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			u := newUnit(t, size[0], size[1], nil)
			for _, f := range u.fs.sets["ld:internal-tools:production"].Flags {
				row := flagRowText(t, u, f.Key)
				if strings.Contains(row, "…") || strings.Contains(row, "(s)") {
					t.Errorf("row of %s is cut: %q", f.Key, row)
				}
				if want := notes[size[0]][f.Key]; want != "" && !strings.Contains(row, want) {
					t.Errorf("row of %s lacks the note %q: %q", f.Key, want, row)
				}
			}
			if row := plainRow(t, u, "legacy-export"); !strings.Contains(row, "2 agree, 1 down") || strings.Contains(row, "2/3") {
				t.Errorf("HOSTS with relay-c down: %q", row)
			}
			if row := plainRow(t, u, "FLAG"); !strings.Contains(row, "HOSTS") || !strings.Contains(row, "NOTE") {
				t.Errorf("heading: %q", row)
			}
		})
	}
}

// TestViewLongKeyStaysWhole: a key longer than the old 48-column cap stays whole at 120
// columns, the note giving way first.
func TestViewLongKeyStaysWhole(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	prefix := "ld:internal-tools:production"
	set := u.fs.sets[prefix]
	long := "release-2026-q4-checkout-redesign-with-new-payment-sheet"
	set.Flags = append(set.Flags, flags.Flag{Key: long, Hosts: []flags.HostFlag{hf("relay-a", true, 3, "checkout-flow"), hf("relay-b", true, 3, "checkout-flow"), {Host: "relay-c", HostDown: true}}})
	u.fs.sets[prefix] = set
	u.refresh()
	row := flagRowText(t, u, long)
	if !strings.Contains(row, long+" ") || strings.Contains(row, "…") {
		t.Errorf("long key row: %q", row)
	}
}

func TestViewDetailsPlurals(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	holdFlag(u.fs, "ld:web-store:production", "kill-switch-checkout", false, 10) // not undone
	u.refresh()
	u.gotoEnv("ld:web-store:production")
	u.gotoFlag("kill-switch-checkout")
	u.mustSee("pending OFF (was ON v9)")
	u.key("enter")
	u.mustSee("dependants (flags that require this one): checkout-flow")
	u.mustSee("pending: ON -> OFF, 1 change, not yet in LaunchDarkly")
	u.mustNotSee("(s)")
}

// TestViewPendingAt80: the pending note keeps its short form at 80 columns.
func TestViewPendingAt80(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	holdFlag(u.fs, "ld:web-store:production", "kill-switch-checkout", false, 10) // not undone
	u.refresh()
	u.gotoEnv("ld:web-store:production")
	row := flagRowText(t, u, "kill-switch-checkout")
	if !strings.Contains(row, "pending") || strings.Contains(row, "…") {
		t.Errorf("pending row at 80 columns: %q", row)
	}
}

// holdFlag makes the fake's up hosts hold the flag in this state, as a write there would.
func holdFlag(fs *fakeStore, prefix, key string, on bool, version int) {
	set := fs.sets[prefix]
	set.Flags = slices.Clone(set.Flags)
	for i, f := range set.Flags {
		if f.Key != key {
			continue
		}
		f.Hosts = slices.Clone(f.Hosts)
		for j, h := range f.Hosts {
			if h.Present {
				f.Hosts[j] = hf(h.Host, on, version, h.Prerequisites...)
			}
		}
		set.Flags[i] = f
	}
	fs.sets[prefix] = set
}

func spansText(spans []span) string {
	var b strings.Builder
	for _, sp := range spans {
		b.WriteString(sp.text)
	}
	return b.String()
}

func TestViewFitNotes(t *testing.T) {
	requires := note{"requires kill-switch-checkout", "needs 1", nil}
	usedBy := note{"required by checkout-flow", "used by 1", nil}
	differ := note{"relay-b: ON v4", "v5/v4", nil}
	none := note{"on no reachable host", "", nil}
	cases := []struct {
		notes []note
		w     int
		want  string
	}{
		{[]note{requires, usedBy}, 60, "requires kill-switch-checkout; required by checkout-flow"},
		{[]note{requires, usedBy}, 40, "requires kill-switch-checkout; used by 1"},
		{[]note{requires, usedBy}, 20, "needs 1; used by 1"},
		{[]note{requires, usedBy}, 11, "needs 1 +1"},
		{[]note{requires, usedBy}, 9, "needs 1"},
		{[]note{differ}, 9, "v5/v4"},
		{[]note{none}, 9, ""}, // HOSTS says NONE
		{[]note{requires}, 3, "+1"},
		{[]note{requires}, 0, ""},
	}
	for _, c := range cases {
		if got := strings.TrimRight(spansText(fitNotes(c.notes, c.w)), " "); got != c.want {
			t.Errorf("fitNotes(%v, %d) = %q, want %q", c.notes, c.w, got, c.want)
		}
		if got := spansText(fitNotes(c.notes, c.w)); ansi.StringWidth(got) != c.w {
			t.Errorf("fitNotes(%v, %d) = %q: not as wide as its column", c.notes, c.w, got)
		}
	}
}

func TestViewDetailsStatesColoured(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	withSplit(u)
	u.gotoFlag("split-brain")
	u.key("enter")
	st := u.m.flagsScreen.st
	if raw := rawRow(t, u, "relay-a        ON"); !painted(raw, st.on, "ON") {
		t.Errorf("relay-a's ON is not green: %q", raw)
	}
	if raw := rawRow(t, u, "relay-b        OFF"); !painted(raw, st.off, "OFF") {
		t.Errorf("relay-b's OFF is not red: %q", raw)
	}
	if raw := rawRow(t, u, "relay-c        host DOWN"); !painted(raw, st.bad, "host DOWN") {
		t.Errorf("relay-c's DOWN is not in the alarm colour: %q", raw)
	}
	if row := plainRow(t, u, "hosts DIFFER"); !strings.Contains(row, "relay-b: OFF v8") {
		t.Errorf("details head: %q", row)
	}
}

// TestViewLongEnvironmentName: a name too long for the pane at 80 columns is what gets cut,
// never the protected mark.
func TestViewLongEnvironmentName(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	long := "relay-store-production-eu-west"
	u.fs.disc.Prefixes = append(u.fs.disc.Prefixes, flags.PrefixInfo{Prefix: long, Hosts: []flags.PrefixOnHost{{Host: "relay-a", Present: true, Inited: true, Flags: 10}}})
	u.fs.sets[long] = flagSet(long, flags.Target{}, false)
	u.refresh()
	var row string
	for _, r := range envPane(u) {
		if strings.Contains(r, "relay-store") {
			row = r
		}
	}
	if !strings.HasSuffix(row, " "+protectedShort) || !strings.Contains(row, "…") {
		t.Errorf("long unmapped prefix at 80 columns: %q", row)
	}
	if row := plainRow(t, u, "launchdarkly"); !strings.Contains(row, "launchdarkly ") || !strings.Contains(row, protectedShort) {
		t.Errorf("a name that fits is not cut: %q", row)
	}
}

// A pending change that a Relay re-sync undid says so in the NOTE column, in the warning
// colour, not "pending OFF (was ON v9)" as before the undo; short where the column is narrow.
func TestViewUndonePendingSaysUndone(t *testing.T) {
	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		u := newUnit(t, size[0], size[1], nil)
		u.fj.pending = []journal.Pending{pendingKill(false)}
		u.refresh()
		if _, ok := u.m.undoneOf(pendingKill(false)); !ok {
			t.Fatalf("no drift: %+v", u.m.drift)
		}
		u.gotoEnv("ld:web-store:production")
		u.gotoFlag("checkout-flow") // the undone row is not the cursor's: its own colours show
		row := flagRowText(t, u, "kill-switch-checkout")
		want := "UNDONE: pending OFF"
		if size[0] == 80 {
			want = "UNDONE"
		}
		if !strings.Contains(row, want) || strings.Contains(row, "…") {
			t.Errorf("%dx%d: undone row: %q", size[0], size[1], row)
		}
		if !strings.Contains(u.m.View().Content, u.m.st.warn.Render(want)) {
			t.Errorf("%dx%d: %q is not in the warning colour", size[0], size[1], want)
		}
		checkFrame(t, u.view(), size[0], size[1])

		u.gotoFlag("kill-switch-checkout")
		u.key("enter") // the details say where and what Redis holds instead
		flat := strings.Join(strings.Fields(strings.ReplaceAll(u.view(), "┃", " ")), " ")
		if !strings.Contains(flat, "UNDONE on relay-a, relay-b by a Relay re-sync (now ON v9)") {
			t.Errorf("%dx%d: the details do not say the change was undone:\n%s", size[0], size[1], u.view())
		}
		u.key("esc")

		// not undone: the pending note as before
		holdFlag(u.fs, "ld:web-store:production", "kill-switch-checkout", false, 10)
		u.refresh()
		if row := flagRowText(t, u, "kill-switch-checkout"); strings.Contains(row, "UNDONE") || !strings.Contains(row, "pending") {
			t.Errorf("%dx%d: row of a change Redis holds: %q", size[0], size[1], row)
		}
	}
}
