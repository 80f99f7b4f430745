package tui

import (
	"context"
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/flags/redistest"
	"relaycommander/journal"
)

// benchStore is two real redis-servers holding prefixes x n flags each, shaped as Relay
// stores them (ld:bench:env0 ...), and the store over them.
func benchStore(b *testing.B, prefixes, n int) (*flags.Store, []string) {
	b.Helper()
	var hcs []flags.HostConfig
	var names []string
	for p := range prefixes {
		names = append(names, flags.ConventionPrefix("bench", sprintf("env%d", p)))
	}
	for i := range 2 {
		s := redistest.Start(b)
		c := s.Client()
		ctx := context.Background()
		for _, prefix := range names {
			fields := make(map[string]any, n)
			for k := range n {
				key := sprintf("flag-%05d", k)
				fields[key] = sprintf(`{"key":%q,"on":true,"prerequisites":[],"targets":[],"contextTargets":[],"rules":[],`+
					`"fallthrough":{"variation":0},"offVariation":1,"variations":[true,false],"clientSide":false,"salt":"s%d",`+
					`"trackEvents":false,"trackEventsFallthrough":false,"debugEventsUntilDate":null,"version":3,"deleted":false}`, key, k)
			}
			if err := c.HSet(ctx, prefix+":features", fields).Err(); err != nil {
				b.Fatal(err)
			}
			if err := c.Set(ctx, prefix+":$inited", "", 0).Err(); err != nil {
				b.Fatal(err)
			}
		}
		c.Close()
		hcs = append(hcs, flags.HostConfig{Name: "relay-" + string(rune('a'+i)), Addr: s.Addr})
	}
	store, err := flags.Open(hcs, flags.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	return store, names
}

// BenchmarkRefreshPending is the UI's refresh (hosts, prefixes, the selected prefix's 20,000
// flags, the journal's pending changes, then their drift against Redis) with 50 pending
// changes on 5 prefixes x 20,000 flags, beside the same refresh with none pending, in the
// same run on the same redis-servers. It reports both medians and their ratio (goal <= 1.3).
func BenchmarkRefreshPending(b *testing.B) {
	store, prefixes := benchStore(b, 5, 20000)
	ctx := context.Background()
	model := func(pending int) *Model {
		jr, err := journal.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { jr.Close() })
		for i := range pending {
			prefix := prefixes[i%len(prefixes)]
			t, _ := flags.ParseConventionPrefix(prefix)
			v := 3
			c := journal.Change{Time: time.Now(), Operator: "bench", Prefix: prefix, Project: t.Project, Environment: t.Environment,
				Flag: sprintf("flag-%05d", i*397%20000), Before: true, After: false, BaseVersion: &v}
			if _, res, err := jr.Toggle(ctx, store, c); err != nil || len(res.FailedHosts()) > 0 {
				b.Fatalf("set up pending change %d: %v %+v", i, err, res)
			}
		}
		m := New(Config{Now: fixedClock, Operator: "bench", Store: store, Journal: jr}, Backends{Store: store, Journal: jr})
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		if p, err := jr.Pending(); err != nil || len(p) != pending {
			b.Fatalf("%d pending (%v), want %d", len(p), err, pending)
		}
		return m
	}
	refresh := func(m *Model) time.Duration {
		start := time.Now()
		followRefresh(b, m, m.refreshCmd(), len(m.pending) > 0)
		return time.Since(start)
	}
	none, fifty := model(0), model(50)
	refresh(none)
	refresh(fifty)
	if len(fifty.pending) != 50 || len(fifty.flagsScreen.set.Flags) != 20000 {
		b.Fatalf("refresh shows %d pending, %d flags", len(fifty.pending), len(fifty.flagsScreen.set.Flags))
	}
	var dNone, dFifty []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 { // alternate which goes first, so that neither always finds Redis warm
			dNone = append(dNone, refresh(none))
			dFifty = append(dFifty, refresh(fifty))
		} else {
			dFifty = append(dFifty, refresh(fifty))
			dNone = append(dNone, refresh(none))
		}
	}
	b.StopTimer()
	slices.Sort(dNone)
	slices.Sort(dFifty)
	mn, mf := dNone[len(dNone)/2], dFifty[len(dFifty)/2]
	b.ReportMetric(float64(mn.Nanoseconds()), "none-median-ns")
	b.ReportMetric(float64(mf.Nanoseconds()), "50-pending-median-ns")
	b.ReportMetric(float64(mf)/float64(mn), "x-none")
}

// followRefresh runs a refresh as Bubble Tea would: every command in the background, each
// message through Update, the commands it returns in turn, until the refresh is on screen:
// the discovery and pending changes applied, the flags read from every host, and (with
// pending changes) their drift checked. Timers it starts are left to fire into the void.
func followRefresh(b *testing.B, m *Model, cmd tea.Cmd, drift bool) {
	b.Helper()
	msgs := make(chan tea.Msg, 256)
	var start func(tea.Cmd)
	start = func(c tea.Cmd) {
		if c != nil {
			go func() { msgs <- c() }()
		}
	}
	start(cmd)
	refreshed, read, drifted := false, false, !drift
	deadline := time.After(time.Minute)
	for !refreshed || !read || !drifted {
		var msg tea.Msg
		select {
		case msg = <-msgs:
		case <-deadline:
			b.Fatalf("refresh not done after a minute: refreshed %v, flags read %v, drift %v", refreshed, read, drifted)
		}
		switch msg := msg.(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				start(c)
			}
			continue
		case refreshMsg:
			refreshed = true
		case flagsReadMsg:
			read = read || msg.read.Done()
		case flagsMsg:
			read = true
		case driftMsg:
			drifted = true
		}
		_, next := m.Update(msg)
		start(next)
	}
}
