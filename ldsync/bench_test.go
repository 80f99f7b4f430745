package ldsync

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"relaycommander/journal"
	"relaycommander/ldsync/ldfake"
)

// Limits of the replay benchmarks: LaunchDarkly's account-wide limit (every route and token)
// and a route limit on flag patches, as ldfake enforces them.
const (
	benchChanges     = 500
	benchGlobal      = 1000
	benchGlobalEvery = 10 * time.Second
	benchRoute       = 50
	benchRouteEvery  = time.Second
)

// BenchmarkReplay500 replays 500 changes (plan and apply, verification included) against
// ldfake with a global limit of 1000 requests per 10 s and a route limit of 50 patches per
// second, and, in the same iteration, the floor: a bare client sending the 500 patches, one
// request per change, paced by the same headers. The allowed rate alone bounds both at about
// 10 s (500 / 50 per s); the goal is the replay at most 1.15x the floor with at most 1.1
// requests per change. Each iteration takes about 20 s: run with -benchtime 1x or 3x.
func BenchmarkReplay500(b *testing.B) { benchReplay(b, 0) }

// BenchmarkReplay500Failing10 is the same with 10% of requests failing (5xx, timeouts,
// dropped connections, some after the patch was applied): every change must be applied
// exactly once. Its floor runs without failures.
func BenchmarkReplay500Failing10(b *testing.B) { benchReplay(b, 0.10) }

// benchFake starts a fake LaunchDarkly holding the benchmark's flags, off at version 7, and
// its limits.
func benchFake() *ldfake.Server {
	fake := ldfake.New(ldfake.Empty(), ldfake.WithHang(5*time.Second))
	for i := range benchChanges {
		fake.SetFlagState("bench", "production", fmt.Sprintf("flag-%03d", i), false, 7)
	}
	fake.SetGlobalLimit(benchGlobal, benchGlobalEvery)
	fake.SetRouteLimit(benchRoute, benchRouteEvery)
	return fake
}

// floorReplay sends one unconditional patch per change, waiting past X-Ratelimit-Reset when
// a remaining header reaches 0 or on a 429: the least any client can do under the limits.
func floorReplay(b *testing.B, fake *ldfake.Server) time.Duration {
	hc := &http.Client{Timeout: 5 * time.Second}
	start := time.Now()
	for i := 0; i < benchChanges; {
		body := `{"comment":"floor","patch":[{"op":"replace","path":"/environments/production/on","value":true}]}`
		req, err := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s/api/v2/flags/bench/flag-%03d", fake.URL(), i), strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", fake.Token())
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatalf("floor: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		h := resp.Header
		ms, _ := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
		switch {
		case resp.StatusCode == http.StatusOK:
			i++
			if i < benchChanges && (h.Get("X-Ratelimit-Route-Remaining") == "0" || h.Get("X-Ratelimit-Global-Remaining") == "0") {
				time.Sleep(time.Until(time.UnixMilli(ms)))
			}
		case resp.StatusCode == http.StatusTooManyRequests:
			time.Sleep(time.Until(time.UnixMilli(ms)))
		default:
			b.Fatalf("floor: %s", resp.Status)
		}
	}
	return time.Since(start)
}

func benchReplay(b *testing.B, failRate float64) {
	var product, floor, planned time.Duration
	var requests int
	for n := range b.N {
		b.StopTimer()
		// The floor first, on its own fake with the same limits, then the product: both in
		// this iteration, so that the machine's load weighs on both alike.
		ff := benchFake()
		floor += floorReplay(b, ff)
		if got := ff.PatchCount(); got != benchChanges {
			b.Fatalf("floor applied %d patches", got)
		}
		ff.Close()

		fake := benchFake()
		j, err := journal.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		for i := range benchChanges {
			flag := fmt.Sprintf("flag-%03d", i)
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
		fake.SetFailureRate(failRate, uint64(n+1))
		before := fake.Requests()

		b.StartTimer()
		start := time.Now()
		plan, err := r.Plan(context.Background(), pending)
		if err != nil {
			b.Fatal(err)
		}
		planDone := time.Now()
		counts, err := r.Apply(context.Background(), plan, nil)
		product += time.Since(start)
		planned += planDone.Sub(start)
		b.StopTimer()

		requests += fake.Requests() - before
		fake.SetFailureRate(0, 0)
		if err != nil {
			b.Fatalf("Apply: %v (counts %+v)", err, counts)
		}
		if counts.Applied != benchChanges || counts.Failed != 0 || counts.Verified != benchChanges {
			b.Fatalf("counts = %+v, want %d applied and verified", counts, benchChanges)
		}
		if got := fake.PatchCount(); got != benchChanges {
			b.Fatalf("the fake applied %d patches for %d changes", got, benchChanges)
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
	per := func(d time.Duration) float64 { return (d / time.Duration(b.N)).Seconds() }
	b.ReportMetric(per(product), "s-replay/op")
	b.ReportMetric(per(planned), "s-plan/op")
	b.ReportMetric(per(floor), "s-floor/op")
	b.ReportMetric(product.Seconds()/floor.Seconds(), "x-floor")
	bound := time.Duration(benchChanges/benchRoute) * benchRouteEvery // changes / allowed rate
	b.ReportMetric(per(product)/bound.Seconds(), "x-bound")
	b.ReportMetric(float64(requests)/float64(b.N*benchChanges), "req/change")
}
