package tui

import (
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
)

// bigModel is a model showing one environment of n flags on three hosts.
func bigModel(b *testing.B, n int) *Model {
	b.Helper()
	fs := testData()
	prefix := fs.disc.Prefixes[0].Prefix
	set := flags.FlagSet{Prefix: prefix, Target: flags.Target{Project: "internal-tools", Environment: "production"}, Mapped: true, Hosts: testData0Hosts()}
	for i := range n {
		k := sprintf("flag-%05d-%s", i, []string{"checkout", "search", "pricing", "banner"}[i%4])
		a, bb := hf("relay-a", i%2 == 0, i%50), hf("relay-b", i%2 == 0, i%50)
		if i%7 == 0 {
			a.Prerequisites = []string{"flag-00000-checkout"}
		}
		set.Flags = append(set.Flags, flags.Flag{Key: k, Hosts: []flags.HostFlag{a, bb, {Host: "relay-c", HostDown: true}}})
	}
	fs.sets[prefix] = set
	m := New(Config{Now: fixedClock, Operator: "bench", Refresh: 5 * time.Second, RelayTTL: 30 * time.Second, Protected: []string{"production"}}, Backends{Store: fs})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(m.refreshCmd()())
	if len(m.flagsScreen.set.Flags) != n {
		b.Fatalf("loaded %d flags, want %d", len(m.flagsScreen.set.Flags), n)
	}
	return m
}

// BenchmarkKeyToFrame is a key press to the next frame (Update plus View) with 20,000 flags;
// it reports the median as well as the mean.
func BenchmarkKeyToFrame(b *testing.B) {
	for _, tc := range []struct {
		name string
		keys []tea.KeyPressMsg
	}{
		{"down", []tea.KeyPressMsg{keyMsg("down")}},
		{"pagedown", []tea.KeyPressMsg{keyMsg("pgdown")}},
		{"filter-typing", []tea.KeyPressMsg{keyMsg("-"), keyMsg("backspace")}}, // every key matches "-"
	} {
		b.Run(tc.name, func(b *testing.B) {
			m := bigModel(b, 20000)
			if tc.name == "filter-typing" {
				m.Update(keyMsg("/"))
			}
			durs := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				k := tc.keys[i%len(tc.keys)]
				start := time.Now()
				m.Update(k)
				_ = m.View()
				durs = append(durs, time.Since(start))
				if tc.name != "filter-typing" && m.flagsScreen.flagCursor >= len(m.flagsScreen.filtered)-1 {
					m.Update(keyMsg("g")) // back to the top
				}
			}
			b.StopTimer()
			if len(durs) > 0 {
				slices.Sort(durs)
				b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "median-ns/frame")
			}
		})
	}
}

// BenchmarkApplyRefresh is the cost of a refresh result of 20,000 flags arriving.
func BenchmarkApplyRefresh(b *testing.B) {
	m := bigModel(b, 20000)
	set := m.flagsScreen.set
	b.ReportAllocs()
	for b.Loop() {
		m.flagsScreen.applySet(set, nil)
	}
}
