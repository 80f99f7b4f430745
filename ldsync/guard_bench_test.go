package ldsync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"relaycommander/journal"
	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg/relaytest"
)

// BenchmarkGuardReplay1 and BenchmarkGuardReplay50 measure an armed replay from the moment
// LaunchDarkly answers again to the last patch applied, for 1 and 50 pending changes, with a
// Relay on a real Redis re-syncing meanwhile. LaunchDarkly answers right after a failed check:
// the worst case, a whole poll interval (plus its jitter) before the next one. The floor is what no guard polling every
// MinPoll can beat in the worst case: the poll interval plus the requests' own time (a check,
// then the same replay run at once, to its last patch), measured in the same run. Each
// iteration takes a few seconds: run with -benchtime 3x.
func BenchmarkGuardReplay1(b *testing.B) { benchGuard(b, 1) }

func BenchmarkGuardReplay50(b *testing.B) { benchGuard(b, 50) }

func benchGuard(b *testing.B, changes int) {
	ctx := context.Background()
	ld := ldfake.New()
	b.Cleanup(ld.Close)
	flagNames := make([]string, changes)
	for i := range flagNames {
		flagNames[i] = fmt.Sprintf("bench-flag-%02d", i)
		ld.SetFlagState(guardProject, guardEnv, flagNames[i], true, 1)
	}
	o := relaytest.StartOutage(b, ld, guardProject, guardEnv, relaytest.Options{})
	j, err := journal.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { j.Close() })
	client, err := NewClient(ClientConfig{BaseURL: ld.URL(), Token: ld.Token(), Timeout: 2 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	// offline records and writes one change of every flag, to the opposite of LaunchDarkly's state.
	offline := func() {
		for _, flag := range flagNames {
			on, base, _ := ld.FlagState(guardProject, guardEnv, flag)
			_, res, err := j.Toggle(ctx, o.Store, journal.Change{Operator: "bench", Prefix: o.Env.Prefix, Project: guardProject,
				Environment: guardEnv, Flag: flag, Before: on, After: !on, BaseVersion: &base})
			if err != nil || len(res.FailedHosts()) > 0 {
				b.Fatalf("offline change of %s: %+v, %v", flag, res.Hosts, err)
			}
		}
	}
	lastPatchSince := func(t0 time.Time, want int) time.Duration {
		var last time.Time
		n := 0
		for _, p := range ld.Patches() {
			if p.Time.After(t0) {
				n++
				last = p.Time
			}
		}
		if n != want {
			b.Fatalf("%d patches since LaunchDarkly answered, want %d", n, want)
		}
		return last.Sub(t0)
	}

	var answered, requests time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		o.CutOff(b)
		offline()
		g := &Guard{Client: client, Journal: j, Store: o.Store, Operator: "bench"}
		events := make(chan GuardEvent, 256)
		waiting := make(chan struct{})
		go func() {
			for ev := range events {
				if ev.Kind == GuardChecked && ev.Check.Err != nil {
					break
				}
			}
			close(waiting)
			for range events {
			}
		}()
		done := make(chan error, 1)
		go func() {
			_, err := g.Run(ctx, events)
			done <- err
		}()
		<-waiting // closed after the first failed check (or when Run ended)
		b.StartTimer()
		t0 := time.Now()
		ld.SetUnreachable(false)
		select {
		case err := <-done:
			if err != nil {
				b.Fatalf("guard: %v", err)
			}
		case <-time.After(30 * time.Second):
			b.Fatal("guard still running 30s after LaunchDarkly answered")
		}
		b.StopTimer()
		answered += lastPatchSince(t0, changes)

		// The floor's requests: the same replay, LaunchDarkly reachable, run at once.
		offline()
		t1 := time.Now()
		if err := client.Check(ctx); err != nil {
			b.Fatal(err)
		}
		r := &Replayer{Client: client, Journal: j, Operator: "bench", Store: o.Store}
		plan, err := r.PlanAll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Apply(ctx, plan, nil); err != nil {
			b.Fatal(err)
		}
		requests += lastPatchSince(t1, changes)
	}
	n := float64(b.N)
	floor := MinPoll + requests/time.Duration(b.N)
	b.ReportMetric(float64(answered.Milliseconds())/n, "ms-to-last-patch")
	b.ReportMetric(float64(floor.Milliseconds()), "ms-floor")
	b.ReportMetric(float64(answered)/n/float64(floor), "ratio")
}
