package relayapi

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"relaycommander/flags"
	"relaycommander/flags/redistest"
	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg/relaytest"
)

// Two Relays, each on its own Redis, during an outage: relay-a (localTtl 300ms) serves the
// edit after a real delay, relay-b (localTtl forever) still serves the old state at the
// timeout.
func TestWaitServedReportsTheDelay(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	ra, rb := redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	e := relaytest.EnvFor(t, ld, "web-store", "production")
	const ttl = 300 * time.Millisecond
	simA := relaytest.Start(t, relaytest.Options{StreamURL: ld.StreamURL(), RedisAddr: ra.Addr, Environments: []relaytest.Environment{e}, LocalTTL: ttl})
	simB := relaytest.Start(t, relaytest.Options{StreamURL: ld.StreamURL(), RedisAddr: rb.Addr, Environments: []relaytest.Environment{e}, LocalTTL: -1})
	var synced time.Time
	for _, sim := range []*relaytest.Relay{simA, simB} {
		if at := sim.WaitSyncs(t, e.Name, 1, 5*time.Second).Since; at.After(synced) {
			synced = at
		}
	}
	relays := []Relay{{Name: "relay-a", URL: simA.URL()}, {Name: "relay-b", URL: simB.URL()}}
	key := SDKKey(e.SDKKey)
	ctx := context.Background()
	ld.SetUnreachable(true)
	for _, sim := range []*relaytest.Relay{simA, simB} {
		sim.WaitConnection(t, e.Name, relaytest.StateInterrupted, 5*time.Second)
	}
	// The sync filled relay-a's cache; once that entry is stale, the read below refreshes it,
	// so that the write lands right at the start of a localTtl.
	time.Sleep(time.Until(synced.Add(ttl)))
	for _, r := range relays { // both have the flag in memory now, just before the write
		if on, _, err := r.ServedFlag(ctx, key, "kill-switch-checkout"); err != nil || !on {
			t.Fatalf("%s before: %v %v", r.Name, on, err)
		}
	}
	st, err := flags.Open([]flags.HostConfig{{Addr: ra.Addr}, {Addr: rb.Addr}}, flags.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res := st.Toggle(ctx, e.Prefix, "kill-switch-checkout", false)
	written := time.Now()
	if res.Hosts[0].Outcome != flags.Written || res.Hosts[1].Outcome != flags.Written {
		t.Fatalf("toggle: %+v", res.Hosts)
	}

	var mu sync.Mutex
	var progress []string
	got := WaitServed(ctx, ServeCheck{
		Relays: relays, SDKKeys: map[string]SDKKey{e.Prefix: key},
		Flags:   []Expect{{Prefix: e.Prefix, Flag: "kill-switch-checkout", On: false, Version: res.Hosts[0].NewVersion}},
		Written: written, Every: 50 * time.Millisecond, LocalTTL: ttl,
	}, func(s Served) {
		mu.Lock()
		progress = append(progress, s.String())
		mu.Unlock()
	})
	took := time.Since(written)
	if len(got) != 2 || len(progress) != 2 {
		t.Fatalf("results %+v, progress %q", got, progress)
	}
	a, b := got[0], got[1]
	if !a.Served || a.After < 2*ttl/3 || a.After >= 2*ttl {
		t.Errorf("relay-a: %+v, want served after about the localTtl %v", a, ttl)
	}
	if !strings.HasPrefix(a.String(), "relay-a serves kill-switch-checkout OFF, 0.") || !strings.HasSuffix(a.String(), " s after the write") {
		t.Errorf("relay-a says %q", a.String())
	}
	if b.Served || b.Err != nil || !b.LastOn || b.After < 2*ttl || !strings.HasPrefix(b.String(), "relay-b still serves kill-switch-checkout ON after 0.") {
		t.Errorf("relay-b: %+v %q, want still ON at the timeout (twice the localTtl)", b, b.String())
	}
	if took < 2*ttl || took > 2*ttl+time.Second {
		t.Errorf("WaitServed returned after %v, want at its timeout %v", took, 2*ttl)
	}
	if progress[0] != a.String() || progress[1] != b.String() {
		t.Errorf("progress %q: want relay-a as soon as served, relay-b at the end", progress)
	}
}

func TestWaitServedSettlesRefusedAndMissingKeys(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	o := relaytest.StartOutage(t, ld, "payments", "test", relaytest.Options{})
	r := []Relay{{Name: "relay-a", URL: o.Relay().URL()}}
	start := time.Now()
	got := WaitServed(context.Background(), ServeCheck{
		Relays: r,
		SDKKeys: map[string]SDKKey{
			o.Env.Prefix:          SDKKey(o.Env.SDKKey),
			"ld:payments:staging": "sdk-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", // not configured on this Relay
		},
		Flags: []Expect{
			{Prefix: o.Env.Prefix, Flag: "kill-switch-checkout", On: true, Version: 1}, // already so
			{Prefix: "ld:payments:staging", Flag: "kill-switch-checkout", On: true},
			{Prefix: "ld:web-store:production", Flag: "kill-switch-checkout", On: true},
		},
		Every: 50 * time.Millisecond, Timeout: 10 * time.Second,
	}, nil)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v: every pair was settled by the first poll", took)
	}
	if !got[0].Served || !errors.Is(got[1].Err, ErrSDKKeyRefused) || got[1].String() != "relay-a does not serve ld:payments:staging (SDK key refused)" ||
		got[2].Err == nil || !strings.Contains(got[2].Err.Error(), "no SDK key") {
		t.Errorf("results %+v", got)
	}
}

func TestServeCheckDefaults(t *testing.T) {
	for _, tc := range []struct {
		c    ServeCheck
		want time.Duration
	}{
		{ServeCheck{}, 60 * time.Second},
		{ServeCheck{LocalTTL: 5 * time.Second}, 10 * time.Second},
		{ServeCheck{LocalTTL: -1}, 60 * time.Second},
		{ServeCheck{LocalTTL: 100 * time.Millisecond}, 2 * time.Second}, // at least two polls
		{ServeCheck{Timeout: 3 * time.Second}, 3 * time.Second},
	} {
		if got := tc.c.withDefaults(); got.Timeout != tc.want || got.Every != time.Second || got.Written.IsZero() {
			t.Errorf("%+v: timeout %v every %v, want %v every 1s", tc.c, got.Timeout, got.Every, tc.want)
		}
	}
}
