package ldsync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"relaycommander/journal"
	"relaycommander/ldsync/ldfake"
)

// BenchmarkReplay500 replays 500 changes against ldfake limited to 50 patches per 1-second
// window: the limit alone bounds it at 10 s; the goal is at most 1.15x that. Each iteration
// takes about 10 s: run with -benchtime 1x.
func BenchmarkReplay500(b *testing.B) { benchReplay(b, 0) }

// BenchmarkReplay500Failing10 is the same with 10% of requests failing (5xx, timeouts,
// dropped connections): every change must be applied exactly once.
func BenchmarkReplay500Failing10(b *testing.B) { benchReplay(b, 0.10) }

func benchReplay(b *testing.B, failRate float64) {
	const changes, perWindow = 500, 50
	const window = time.Second
	bound := time.Duration(changes/perWindow) * window
	var total, planned time.Duration
	for n := range b.N {
		b.StopTimer()
		fake := ldfake.New(ldfake.Empty(), ldfake.WithHang(5*time.Second))
		j, err := journal.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		for i := range changes {
			flag := fmt.Sprintf("flag-%03d", i)
			fake.SetFlagState("bench", "production", flag, false, 7)
			c, err := j.Begin(journal.Change{Operator: "bench", Prefix: "ld:bench:production", Project: "bench", Environment: "production",
				Flag: flag, Before: false, After: true, BaseVersion: ver(7)})
			if err != nil {
				b.Fatal(err)
			}
			if err := j.Complete(c.ID, []journal.HostOutcome{{Host: "r1", Outcome: "written", OldVersion: 7, NewVersion: 8}}); err != nil {
				b.Fatal(err)
			}
		}
		client, err := NewClient(ClientConfig{BaseURL: fake.URL(), Token: fake.Token(), Timeout: 250 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		r := &Replayer{Client: client, Journal: j, Operator: "bench"}
		pending, err := j.Pending()
		if err != nil {
			b.Fatal(err)
		}
		fake.SetRouteLimit(perWindow, window)
		fake.SetFailureRate(failRate, uint64(n+1))

		b.StartTimer()
		start := time.Now()
		plan, err := r.Plan(context.Background(), pending)
		if err != nil {
			b.Fatal(err)
		}
		planDone := time.Now()
		counts, err := r.Apply(context.Background(), plan, nil)
		total += time.Since(planDone)
		planned += planDone.Sub(start)
		b.StopTimer()

		fake.SetFailureRate(0, 0)
		if err != nil {
			b.Fatalf("Apply: %v (counts %+v)", err, counts)
		}
		if counts.Applied != changes || counts.Failed != 0 || counts.Verified != changes {
			b.Fatalf("counts = %+v, want %d applied and verified", counts, changes)
		}
		if got := fake.PatchCount(); got != changes {
			b.Fatalf("the fake applied %d patches for %d changes", got, changes)
		}
		seen := map[string]bool{}
		for _, p := range fake.Patches() {
			if seen[p.Flag] {
				b.Fatalf("%s patched twice", p.Flag)
			}
			seen[p.Flag] = true
		}
		if left, _ := j.Pending(); len(left) != 0 {
			b.Fatalf("%d changes still pending", len(left))
		}
		j.Close()
		fake.Close()
		b.StartTimer()
	}
	apply := total / time.Duration(b.N)
	b.ReportMetric(apply.Seconds(), "s-apply/op")
	b.ReportMetric((planned / time.Duration(b.N)).Seconds(), "s-plan/op")
	b.ReportMetric(apply.Seconds()/bound.Seconds(), "x-bound")
}
