package tui

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"relaycommander/flags"
)

// envCase is one environment of the pane under test. Names hold no digit and none of the
// marks (! ? ~), so that the test can find the count and the marks in a row's text.
type envCase struct {
	project, env string // project "": an unmapped prefix named env
	flags        int
	noInit, some bool // marks: ! ($inited missing on a host), ~ (only on some hosts)
}

// withEnvironments is a unit whose store holds these environments only; production and the
// environments named in protect are protected.
func withEnvironments(t *testing.T, w, h int, envs []envCase, protect ...string) *unit {
	t.Helper()
	u := newUnit(t, w, h, func(c *Config) { c.Protected = append([]string{"production"}, protect...) })
	var prefixes []flags.PrefixInfo
	for _, e := range envs {
		p := flags.PrefixInfo{Prefix: e.env, Hosts: []flags.PrefixOnHost{
			{Host: "relay-a", Present: true, Inited: !e.noInit, Flags: e.flags},
			{Host: "relay-b", Present: !e.some, Inited: true, Flags: e.flags},
			{Host: "relay-c"},
		}}
		if e.project != "" {
			p.Prefix, p.Target, p.Mapped = flags.ConventionPrefix(e.project, e.env), flags.Target{Project: e.project, Environment: e.env}, true
		}
		prefixes = append(prefixes, p)
		u.fs.sets[p.Prefix] = flagSet(p.Prefix, p.Target, p.Mapped)
	}
	u.fs.disc.Prefixes = prefixes
	u.refresh()
	return u
}

var digitsRun = regexp.MustCompile(`[0-9]+`)

// checkEnvColumns draws the environments pane and checks that its right-hand columns line
// up: every row shows the flag count or none does, the counts and the protected word each end
// in one column on every row that shows them, the marks start in one; no row is wider than
// the pane. It returns how many rows show their count.
func checkEnvColumns(t *testing.T, u *unit) (counted int) {
	t.Helper()
	w := ansi.StringWidth(envPane(u)[0]) // the pane's inside, as the frame draws it
	s := u.m.flagsScreen
	rows := s.envLines(len(s.envRows), w)
	if len(rows) != len(s.envRows) {
		t.Fatalf("%d rows drawn for %d environments and projects", len(rows), len(s.envRows))
	}
	protected := s.envProtected()
	columns := map[string]map[int][]string{"count": {}, "marks": {}, "protected word": {}}
	for i, raw := range rows {
		text := ansi.Strip(raw)
		if tw := ansi.StringWidth(text); tw > w {
			t.Errorf("row %q is %d columns wide, the pane %d", text, tw, w)
		}
		if s.envRows[i].heading {
			continue
		}
		at := func(what string, end int) {
			col := ansi.StringWidth(text[:end])
			columns[what][col] = append(columns[what][col], text)
		}
		if loc := digitsRun.FindStringIndex(text); loc != nil {
			counted++
			at("count", loc[1])
		}
		if i := strings.IndexAny(text, "!?~"); i >= 0 {
			at("marks", i) // marks are left-aligned in their column: where they start
		}
		if protected[i] {
			if word := strings.TrimRight(text, " "); strings.HasSuffix(word, protectedShort) || strings.HasSuffix(word, protectedWord) {
				at("protected word", len(word))
			} else {
				t.Errorf("protected row %q shows no %s", text, protectedShort)
			}
		}
	}
	if envs := countEnvs(s.envRows); counted != 0 && counted != envs {
		t.Errorf("%d of %d environments show their flag count:\n%s", counted, envs, strings.Join(envPane(u), "\n"))
	}
	for what, cols := range columns {
		if len(cols) > 1 {
			t.Errorf("the %s stands in %d columns, not one (column: rows): %v\n%s", what, len(cols), cols, strings.Join(envPane(u), "\n"))
		}
	}
	return counted
}

func countEnvs(rows []envRow) int {
	n := 0
	for _, r := range rows {
		if !r.heading {
			n++
		}
	}
	return n
}

// TestEnvPaneColumnsLineUp: short and long environment names, protected and not, with and
// without marks, at 80 and 120 columns: the counts, marks and protected word stay in their
// columns whatever gives way on a long name's row, and no row is wider than the pane.
func TestEnvPaneColumnsLineUp(t *testing.T) {
	short := []envCase{
		{project: "payments", env: "production", flags: 10, noInit: true},
		{project: "payments", env: "staging", flags: 250},
		{project: "payments", env: "canary", flags: 7, some: true},
		{project: "search", env: "europe-west", flags: 42, noInit: true, some: true},
	}
	long := append(append([]envCase(nil), short...),
		envCase{project: "checkout-platform", env: "production-europe-west-primary", flags: 12, noInit: true},
		envCase{project: "checkout-platform", env: "staging-europe-west-secondary", flags: 3, some: true},
		envCase{project: "checkout-platform", env: "performance-europe-west-tertiary", flags: 120},
		// an unmapped prefix (so protected) whose name mixes narrow and wide characters: cut
		// to an odd budget, it is one column short of its cell unless the cell pads it
		envCase{env: "ld:決済本番環境ヨーロッパ西部中央", flags: 9},
	)
	for _, size := range viewSizes {
		for name, envs := range map[string][]envCase{"short names": short, "long names": long} {
			t.Run(sprintf("%s at %dx%d", name, size[0], size[1]), func(t *testing.T) {
				u := withEnvironments(t, size[0], size[1], envs, "production-europe-west-primary")
				counted := checkEnvColumns(t, u)
				if size[0] == 120 && name == "short names" && counted == 0 {
					t.Errorf("no row shows its flag count, so their column is not checked:\n%s", strings.Join(envPane(u), "\n"))
				}
			})
		}
	}
}

// With the environments pane focused the footer and help offer only keys that act there:
// no toggle (it only says to choose a flag first), and enter moves to the flags.
func TestEnvPaneFooterOffersOnlyItsKeys(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	if f := footerOf(u); !strings.Contains(f, "space/t toggle") || !strings.Contains(f, "enter details") {
		t.Fatalf("flags pane footer: %q", f)
	}
	u.key("tab")
	if u.m.flagsScreen.focus != paneEnvs {
		t.Fatal("tab did not focus the environments")
	}
	f := footerOf(u)
	for _, not := range []string{"toggle", "details"} {
		if strings.Contains(f, not) {
			t.Errorf("the environments pane's footer offers %q: %q", not, f)
		}
	}
	for _, want := range []string{"enter flags", "tab pane", "/ filter"} {
		if !strings.Contains(f, want) {
			t.Errorf("the environments pane's footer lacks %q: %q", want, f)
		}
	}
	u.key("?")
	u.mustNotSee("toggle")
}

// At 80 columns the selected environment's warning over the flags wraps at words instead of
// losing its end ("...: Rela…"), and the flag rows make room for it: the cursor stays on
// screen at the last flag.
func TestEnvWarningWrapsAt80(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	for i, p := range u.fs.disc.Prefixes {
		if p.Prefix == "ld:internal-tools:production" {
			hosts := slices.Clone(p.Hosts)
			for j := range hosts {
				hosts[j].Inited = false
			}
			u.fs.disc.Prefixes[i].Hosts = hosts
		}
	}
	u.refresh()
	if u.m.flagsScreen.selPrefix != "ld:internal-tools:production" {
		t.Fatalf("selected %s", u.m.flagsScreen.selPrefix)
	}
	var pane []string
	for _, l := range strings.Split(u.view(), "\n") {
		if i := strings.Index(l, "┃"); i >= 0 {
			pane = append(pane, strings.Trim(l[i:], "┃ "))
		}
	}
	flat := strings.Join(strings.Fields(strings.Join(pane, " ")), " ")
	if !strings.Contains(flat, "! $inited missing on relay-a, relay-b: Relay answers 503 there") || strings.Contains(flat, "…") {
		t.Fatalf("the warning is cut:\n%s", u.view())
	}
	u.key("G")
	u.mustSee("> use-fallback-cdn")
	checkFrame(t, u.view(), 80, 24)
}
