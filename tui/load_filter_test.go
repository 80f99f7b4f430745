package tui

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"relaycommander/flags"
)

// footerOf is the screen's last line: the keys.
// Issue 13 item 12: while the filter is typed, k and j type into it: the footer offers only
// the keys that work then.
func TestLoadFilterFooterOffersOnlyKeysThatWorkWhileTyping(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.key("/")
	footer := footerOf(u)
	for _, want := range []string{"↑/↓ move", "enter keep filter", "esc clear filter"} {
		if !strings.Contains(footer, want) {
			t.Fatalf("filter footer lacks %q: %q", want, footer)
		}
	}
	for _, typed := range []string{"k up", "j down", "/k", "/j", "q quit", "? help"} {
		if strings.Contains(footer, typed) {
			t.Fatalf("filter footer offers %q, a key that types into the filter: %q", typed, footer)
		}
	}
	u.typeText("kj")
	if got := u.m.flagsScreen.filter.value(); got != "kj" {
		t.Fatalf("k and j should type into the filter: %q", got)
	}
}

// h/l and ←/→ switch the panes of the flags screen; while the filter is typed, h and l are text.
func TestLoadPanesSwitchWithHLAndArrows(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	s := u.m.flagsScreen
	for _, tc := range []struct {
		key  string
		want pane
	}{{"h", paneEnvs}, {"l", paneFlags}, {"left", paneEnvs}, {"right", paneFlags}, {"right", paneFlags}} {
		u.key(tc.key)
		if s.focus != tc.want {
			t.Fatalf("after %s the focus is %v, want %v", tc.key, s.focus, tc.want)
		}
	}
	u.key("/")
	u.typeText("hl")
	if s.focus != paneFlags || s.filter.value() != "hl" {
		t.Fatalf("while filtering h and l should type: focus %v, filter %q", s.focus, s.filter.value())
	}
	u.key("esc")
	if !shows(u, "h/←", "environments pane") || !shows(u, "l/→", "flags pane") {
		t.Fatalf("help does not list h/l")
	}
}

// The filter matches fuzzily, as fzf and k9s do: the key itself first, then keys that start
// with the text, keys that contain it, then keys that hold its letters in order, tightest first.
func TestLoadFilterIsFuzzyExactMatchesFirst(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	prefix := u.m.flagsScreen.selPrefix
	set := u.fs.sets[prefix]
	keys := []string{"Pricing-Beta", "a-pricing-old", "banner", "new-pricing", "p-r-i-c-i-n-g", "pr-icing", "pricing", "pricing-v2"}
	set.Flags = nil
	for _, k := range keys {
		set.Flags = append(set.Flags, flags.Flag{Key: k, Hosts: []flags.HostFlag{hf("relay-a", true, 1), hf("relay-b", true, 1), {Host: "relay-c", HostDown: true}}})
	}
	u.fs.sets[prefix] = set
	u.refresh()

	u.key("/")
	u.typeText("pricing")
	var got []string
	for _, i := range u.m.flagsScreen.filtered {
		got = append(got, u.m.flagsScreen.set.Flags[i].Key)
	}
	want := []string{"pricing", "Pricing-Beta", "pricing-v2", "a-pricing-old", "new-pricing", "pr-icing", "p-r-i-c-i-n-g"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("filter %q matched\n%v\nwant\n%v", "pricing", got, want)
	}
	u.mustSee("> pricing ")
	u.mustSee("7 of 8 match")
}

// BenchmarkLoadFilterFuzzyTyping is the filter's worst case on 20,000 flags: every key is a
// fuzzy match only ("fg", "fgc": every key holds f…g, most of them c after it), so every key
// typed scores and sorts them all. It reports the median key-to-frame time, as
// BenchmarkKeyToFrame does.
func BenchmarkLoadFilterFuzzyTyping(b *testing.B) {
	m := bigModel(b, 20000)
	m.Update(keyMsg("/"))
	m.Update(keyMsg("f"))
	m.Update(keyMsg("g"))
	keys := []string{"c", "backspace"}
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		m.Update(keyMsg(keys[i%2]))
		_ = m.View()
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	if n := len(m.flagsScreen.filtered); n < 15000 {
		b.Fatalf("%d fuzzy matches, want at least 15,000", n)
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "median-ns/frame")
}
