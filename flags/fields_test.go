package flags

import (
	"context"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/redistest"
)

func TestReadFieldsTwoHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-servers")
	}
	a, b := redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	ctx := context.Background()
	cb := b.Client()
	// relay-b: one flag gone, one flag toggled by someone (version moved on).
	if err := cb.HDel(ctx, "ld:web-store:production:features", "beta-dashboard").Err(); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, Options{}, a, b)
	if r := s.Toggle(ctx, "ld:web-store:staging", "kill-switch-checkout", true, "relay-b"); r.Hosts[0].Outcome != Written {
		t.Fatalf("setup toggle: %+v", r.Hosts[0])
	}
	for _, srv := range []*redistest.Server{a, b} {
		if err := srv.Client().ConfigResetStat(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}

	fs, err := s.ReadFields(ctx, map[string][]string{
		"ld:web-store:production": {"beta-dashboard", "kill-switch-checkout", "beta-dashboard"},
		"ld:web-store:staging":    {"kill-switch-checkout"},
		"ld:nope:production":      {"kill-switch-checkout"},
		"ld:empty:ask":            nil,
	})
	if err != nil {
		t.Fatalf("ReadFields: %v", err)
	}
	// One HMGET per prefix per host, nothing else: never the whole prefix.
	for _, srv := range []*redistest.Server{a, b} {
		calls := redistest.CommandCalls(t, srv.Client())
		if calls["hmget"] != 3 || calls["hgetall"] != 0 || calls["hget"] != 0 || calls["hscan"] != 0 {
			t.Errorf("%s ran %v; want exactly 3 hmget", srv.Addr, calls)
		}
	}
	if len(fs.Hosts) != 2 || !fs.Hosts[0].Up || !fs.Hosts[1].Up || fs.Hosts[1].Host != "relay-b" {
		t.Fatalf("Hosts = %+v", fs.Hosts)
	}
	if len(fs.Prefixes) != 3 || len(fs.Prefixes["ld:web-store:production"]) != 2 {
		t.Errorf("Prefixes = %v, want the 3 asked for, duplicates once", fs.Prefixes)
	}

	bd, ok := fs.Flag("ld:web-store:production", "beta-dashboard")
	if !ok || !bd.Hosts[0].Present || bd.Hosts[0].Host != "relay-a" || bd.Hosts[1].Present || bd.Hosts[1].HostDown || bd.Hosts[1].Host != "relay-b" {
		t.Errorf("beta-dashboard missing on relay-b: %+v", bd.Hosts)
	}
	if got := bd.Agreement().Short(); got != "MISSING" {
		t.Errorf("beta-dashboard agreement %q", got)
	}

	// The same as Flags reads, parsed from the same JSON.
	full, err := s.Flag(ctx, "ld:web-store:staging", "kill-switch-checkout")
	if err != nil {
		t.Fatal(err)
	}
	ks, _ := fs.Flag("ld:web-store:staging", "kill-switch-checkout")
	for i := range ks.Hosts {
		g, w := ks.Hosts[i], full.Hosts[i]
		if g.Host != w.Host || g.On != w.On || g.Version != w.Version || g.Raw != w.Raw || g.Present != w.Present {
			t.Errorf("host %d: ReadFields %+v, Flag %+v", i, g, w)
		}
	}
	if ks.Hosts[0].On || !ks.Hosts[1].On || ks.Hosts[1].Version != ks.Hosts[0].Version+1 {
		t.Errorf("kill-switch-checkout: relay-a %s, relay-b %s", ks.Hosts[0].State(), ks.Hosts[1].State())
	}

	nope, _ := fs.Flag("ld:nope:production", "kill-switch-checkout")
	if nope.Hosts[0].Present || nope.Hosts[1].Present || nope.Hosts[0].HostDown {
		t.Errorf("unknown prefix: %+v", nope.Hosts)
	}
	if _, ok := fs.Flag("ld:web-store:production", "rate-limits"); ok {
		t.Error("a flag not asked for was returned")
	}

}

func TestReadFieldsOneRoundTripPerHost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-servers")
	}
	const delay = 150 * time.Millisecond
	a, b := redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	pa, pb := redistest.StartProxy(t, a.Addr, delay), redistest.StartProxy(t, b.Addr, delay)
	s := openAddrs(t, Options{CommandTimeout: 5 * time.Second}, pa.Addr, pb.Addr)
	ctx := context.Background()
	want := map[string][]string{}
	for _, p := range []string{"ld:web-store:production", "ld:web-store:staging", "ld:payments:production", "ld:payments:test", "ld:mobile-api:staging"} {
		want[p] = []string{"kill-switch-checkout", "rate-limits"}
	}
	if _, err := s.ReadFields(ctx, want); err != nil { // connects: dial and handshake cost their own round trips
		t.Fatal(err)
	}
	start := time.Now()
	fs, err := s.ReadFields(ctx, want)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	// Five prefixes read one after another would take 5 delays; hosts read one after another, 2.
	if took >= 2*delay {
		t.Errorf("ReadFields of 5 prefixes on 2 hosts took %v with %v per round trip: more than one round trip per host", took, delay)
	}
	if f, _ := fs.Flag("ld:payments:test", "rate-limits"); !f.Hosts[0].Present || !f.Hosts[1].Present {
		t.Errorf("rate-limits: %+v", f.Hosts)
	}
}

func TestReadFieldsHostDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-servers")
	}
	a, b := redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	s := openStore(t, Options{DialTimeout: 500 * time.Millisecond, CommandTimeout: 500 * time.Millisecond}, a, b)
	ctx := context.Background()
	want := map[string][]string{"ld:web-store:production": {"kill-switch-checkout"}}
	b.Stop()
	fs, err := s.ReadFields(ctx, want)
	if err != nil {
		t.Fatalf("one host up: %v", err)
	}
	if !fs.Hosts[0].Up || fs.Hosts[1].Up || fs.Hosts[1].Err == nil ||
		!strings.Contains(fs.Hosts[1].Err.Error(), "relay-b") || !strings.Contains(fs.Hosts[1].Err.Error(), "ld:web-store:production:features") {
		t.Errorf("Hosts = %+v", fs.Hosts)
	}
	f, _ := fs.Flag("ld:web-store:production", "kill-switch-checkout")
	if !f.Hosts[0].Present || !f.Hosts[1].HostDown || f.Hosts[1].Present || f.Hosts[1].Host != "relay-b" {
		t.Errorf("flag with relay-b down: %+v", f.Hosts)
	}
	if got := f.Agreement().ShortDown(); got != "1 up, 1 down" {
		t.Errorf("agreement with relay-b down: %q", got)
	}

	a.Stop()
	_, err = s.ReadFields(ctx, want)
	if err == nil || !strings.Contains(err.Error(), "no Redis host answered") ||
		!strings.Contains(err.Error(), "relay-a") || !strings.Contains(err.Error(), "relay-b") {
		t.Errorf("all down: %v", err)
	}
}

func TestReadFieldsNothingAsked(t *testing.T) {
	a := redistest.Start(t)
	s := openStore(t, Options{}, a)
	fs, err := s.ReadFields(context.Background(), nil)
	if err != nil || len(fs.Prefixes) != 0 || len(fs.Hosts) != 1 || !fs.Hosts[0].Up {
		t.Errorf("ReadFields(nil) = %+v, %v", fs, err)
	}
}
