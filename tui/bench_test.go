package tui

import (
	"context"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"relaycommander/flags"
)

// bigModel is a model showing one environment of n flags on three hosts.
func bigModel(b *testing.B, n int) *Model { return bigModelWith(b, n, nil) }

// bigModelWith is bigModel with its configuration changed by mod first.
func bigModelWith(b *testing.B, n int, mod func(*Config)) *Model {
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
	cfg := Config{Now: fixedClock, Operator: "bench", Refresh: 5 * time.Second, RelayTTL: 30 * time.Second, Protected: []string{"production"}}
	if mod != nil {
		mod(&cfg)
	}
	m := New(cfg, Backends{Store: fs})
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

// frameSignal is a terminal that tells when the program wrote to it.
type frameSignal struct{ wrote chan struct{} }

func (w *frameSignal) Write(p []byte) (int, error) {
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *frameSignal) drain() {
	for {
		select {
		case <-w.wrote:
		default:
			return
		}
	}
}

// BenchmarkKeyToFrameProgram is a key press to its frame written to the terminal by a real
// tea.Program (Update, View, the renderer and its frame pacing), with 20,000 flags, at
// Bubble Tea's old 30 FPS and at the UI's frameRate. Beside it runs the floor: the same
// Update and View, and the frame's bytes written to the same terminal at once. It reports
// the medians and their ratio (goal: median <= 2 ms). Each key is sent at a random moment of
// the frame period, as an operator's key press comes.
func BenchmarkKeyToFrameProgram(b *testing.B) {
	keys := []tea.KeyPressMsg{keyMsg("down"), keyMsg("up")} // every key changes the frame
	for _, fps := range []int{30, frameRate} {
		b.Run(sprintf("fps=%d", fps), func(b *testing.B) {
			// the floor: what a renderer that wrote each frame at once would cost
			fm := bigModelWith(b, 20000, func(c *Config) { c.Refresh = 0 })
			floorOut := &frameSignal{wrote: make(chan struct{}, 1)}
			var floor []time.Duration
			for i := range 200 {
				start := time.Now()
				fm.Update(keys[i%2])
				_, _ = io.WriteString(floorOut, fm.View().Content)
				floor = append(floor, time.Since(start))
			}

			m := bigModelWith(b, 20000, func(c *Config) { c.Refresh = 0 })
			out := &frameSignal{wrote: make(chan struct{}, 1)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(fps), tea.WithInput(nil), tea.WithOutput(out),
				tea.WithWindowSize(120, 40), tea.WithoutSignals(), tea.WithColorProfile(colorprofile.Ascii))
			done := make(chan error, 1)
			go func() { _, err := p.Run(); done <- err }()
			<-out.wrote // the first frame
			durs := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			period := time.Second / time.Duration(fps)
			for i := 0; b.Loop(); i++ {
				// a key comes at any moment relative to the frame ticker, as an operator's does
				b.StopTimer()
				time.Sleep(rand.N(period))
				out.drain()
				b.StartTimer()
				start := time.Now()
				p.Send(keys[i%2])
				<-out.wrote
				durs = append(durs, time.Since(start))
			}
			b.StopTimer()
			p.Quit()
			<-done
			slices.Sort(durs)
			slices.Sort(floor)
			med, floorMed := durs[len(durs)/2], floor[len(floor)/2]
			b.ReportMetric(float64(med.Nanoseconds()), "median-ns/key")
			b.ReportMetric(float64(durs[len(durs)*9/10].Nanoseconds()), "p90-ns/key")
			b.ReportMetric(float64(floorMed.Nanoseconds()), "floor-median-ns/key")
			b.ReportMetric(float64(med)/float64(floorMed), "x-floor")
		})
	}
}
