package flags

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
)

var hostNames = []string{"relay-a", "relay-b", "relay-c", "relay-d"}

// openStore opens a Store over the servers, named relay-a, relay-b, ...
func openStore(t testing.TB, opts Options, servers ...*redistest.Server) *Store {
	t.Helper()
	var addrs []string
	for _, srv := range servers {
		addrs = append(addrs, srv.Addr)
	}
	return openAddrs(t, opts, addrs...)
}

func openAddrs(t testing.TB, opts Options, addrs ...string) *Store {
	t.Helper()
	var hc []HostConfig
	for i, a := range addrs {
		hc = append(hc, HostConfig{Name: hostNames[i], Addr: a})
	}
	s, err := Open(hc, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenValidatesAddresses(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		wantErr string
	}{
		{"127.0.0.1:7000", ""},
		{"redis-host", ""}, // port 6379 by default, as the original REDIS_HOSTS
		{"redis://user:pw@127.0.0.1:7000/2", ""},
		{"rediss://127.0.0.1:7000", ""},
		{"", "empty address"},
		{"http://x:1", "want host:port"},
		{"redis://127.0.0.1:7000/notadb", "invalid database"},
		{"host:1:2", "want host:port"},
	} {
		s, err := Open([]HostConfig{{Addr: tc.addr}}, Options{})
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("Open(%q): %v", tc.addr, err)
				continue
			}
			s.Close()
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.addr) {
			t.Errorf("Open(%q) = %v, want an error naming the address and %q", tc.addr, err, tc.wantErr)
		}
	}
	if _, err := Open(nil, Options{}); err == nil {
		t.Error("Open(no hosts) succeeded")
	}
	if _, err := Open([]HostConfig{{Name: "a", Addr: "h1:1"}, {Name: "a", Addr: "h2:1"}}, Options{}); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("duplicate names: %v", err)
	}
}

func TestHostNamesDefaultToAddress(t *testing.T) {
	s, err := Open([]HostConfig{{Name: "relay-a", Addr: "127.0.0.1:7000"}, {Addr: "redis://10.0.0.2:7001/1"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := strings.Join(s.HostNames(), ",")
	if got != "relay-a,10.0.0.2:7001" {
		t.Errorf("HostNames = %s", got)
	}
}

func TestLocate(t *testing.T) {
	s, err := Open([]HostConfig{{Addr: "127.0.0.1:7000"}}, Options{Mapping: map[string]Target{
		"launchdarkly":        {Project: "web-store", Environment: "production"},
		"ld:web-store:test":   {Project: "other", Environment: "qa"},
		"only-project":        {Project: "mobile-api"},
		"ld:payments:staging": {Project: "payments"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		prefix string
		want   Target
		ok     bool
	}{
		{"launchdarkly", Target{"web-store", "production"}, true},
		{"ld:web-store:test", Target{"other", "qa"}, true}, // explicit wins over the convention
		{"ld:mobile-api:staging", Target{"mobile-api", "staging"}, true},
		{"ld:payments:staging", Target{"payments", "staging"}, true}, // project-only mapping agrees with the convention
		{"only-project", Target{Project: "mobile-api"}, false},       // no environment: not mapped, project kept
		{"ld:a:b:c", Target{}, false},
		{"ld::b", Target{}, false},
		{"ld:a:", Target{}, false},
		{"xx:a:b", Target{}, false},
		{"custom", Target{}, false},
	} {
		got, ok := s.Locate(tc.prefix)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Locate(%q) = %+v, %v; want %+v, %v", tc.prefix, got, ok, tc.want, tc.ok)
		}
	}
	if p := ConventionPrefix("web-store", "production"); p != "ld:web-store:production" {
		t.Errorf("ConventionPrefix = %q", p)
	}
	if got, ok := s.Locate(ConventionPrefix("a", "b")); !ok || got != (Target{"a", "b"}) {
		t.Errorf("Locate(ConventionPrefix(a, b)) = %+v, %v", got, ok)
	}
}

func TestDiscover(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	c := redistest.Start(t) // empty host
	// A Big Segment key and a non-hash *:features key must not be reported.
	ctx := context.Background()
	b.Client().SAdd(ctx, "ld:web-store:production:big_segment_include:abc", "x")
	b.Client().Set(ctx, "odd:features", "not a hash", 0)
	b.Client().HSet(ctx, "only-b:features", "f", `{"key":"f","on":true,"version":1}`)
	s := openStore(t, Options{Mapping: map[string]Target{"launchdarkly": {Project: "zz-default", Environment: "production"}}}, a, b, c)

	d := s.Discover(ctx)
	if len(d.Hosts) != 3 {
		t.Fatalf("hosts: %+v", d.Hosts)
	}
	for _, h := range d.Hosts {
		if !h.Up || h.Err != nil || h.Latency <= 0 {
			t.Errorf("host %+v, want up with a latency", h)
		}
	}
	fx := fixture.Load()
	want := map[string]bool{"only-b": true}
	for p := range fx {
		want[p] = true
	}
	got := map[string]PrefixInfo{}
	var order []string
	for _, p := range d.Prefixes {
		got[p.Prefix] = p
		order = append(order, p.Prefix)
	}
	if len(got) != len(want) {
		t.Fatalf("prefixes %v, want %d: %v", order, len(want), want)
	}
	for p := range want {
		if _, ok := got[p]; !ok {
			t.Errorf("prefix %q not discovered", p)
		}
	}
	for p, content := range fx {
		info := got[p]
		if info.Hosts[0].Host != "relay-a" || !info.Hosts[0].Present || info.Hosts[0].Flags != len(content.Features) || info.Hosts[0].Inited != content.Inited {
			t.Errorf("%s on relay-a: %+v, want %d flags, inited %v", p, info.Hosts[0], len(content.Features), content.Inited)
		}
		if info.Hosts[2].Present || info.Hosts[2].Host != "relay-c" {
			t.Errorf("%s on empty relay-c: %+v", p, info.Hosts[2])
		}
	}
	if only := got["only-b"]; only.Mapped || only.Hosts[0].Present || !only.Hosts[1].Present || only.Hosts[1].Flags != 1 {
		t.Errorf("only-b: %+v", only)
	}
	// Sorted by project, environment; unmapped last.
	if order[len(order)-1] != "only-b" {
		t.Errorf("unmapped prefix not last: %v", order)
	}
	if got["launchdarkly"].Target.Project != "zz-default" || order[len(order)-2] != "launchdarkly" {
		t.Errorf("explicitly mapped launchdarkly sorted by its project: %v", order)
	}
	for i := 1; i < len(d.Prefixes); i++ {
		x, y := d.Prefixes[i-1], d.Prefixes[i]
		if x.Mapped && y.Mapped && (x.Target.Project > y.Target.Project ||
			x.Target.Project == y.Target.Project && x.Target.Environment > y.Target.Environment) {
			t.Errorf("not sorted: %s before %s", x.Prefix, y.Prefix)
		}
	}
}

func TestDiscoverReportsDownHost(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	b.Stop()
	s := openStore(t, Options{DialTimeout: 500 * time.Millisecond, CommandTimeout: 500 * time.Millisecond}, a, b)
	d := s.Discover(context.Background())
	if !d.Hosts[0].Up || d.Hosts[1].Up || d.Hosts[1].Err == nil || !strings.Contains(d.Hosts[1].Err.Error(), "relay-b") {
		t.Fatalf("hosts: %+v", d.Hosts)
	}
	if len(d.Prefixes) != len(fixture.Load()) {
		t.Errorf("%d prefixes from the live host, want %d", len(d.Prefixes), len(fixture.Load()))
	}
}

func TestFlagsReadsTheFixture(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a, b)
	ctx := context.Background()
	fx := fixture.Load()
	for _, prefix := range fx.Prefixes() {
		fs, err := s.Flags(ctx, prefix)
		if err != nil {
			t.Fatalf("Flags(%s): %v", prefix, err)
		}
		if len(fs.Flags) != len(fx[prefix].Features) {
			t.Errorf("%s: %d flags, want %d", prefix, len(fs.Flags), len(fx[prefix].Features))
		}
		for i, f := range fs.Flags {
			if i > 0 && fs.Flags[i-1].Key >= f.Key {
				t.Errorf("%s: flags not sorted at %s", prefix, f.Key)
			}
			if ok, why := f.Agree(); !ok {
				t.Errorf("%s/%s: hosts disagree on identical data: %s", prefix, f.Key, why)
			}
			if len(f.Hosts) != 2 || f.Hosts[0].Host != "relay-a" || f.Hosts[1].Host != "relay-b" {
				t.Errorf("%s/%s hosts %+v", prefix, f.Key, f.Hosts)
			}
			h := f.Hosts[1]
			if !h.Present || h.Unreadable != "" || h.Raw != fx[prefix].Features[f.Key] {
				t.Errorf("%s/%s: %+v", prefix, f.Key, h)
			}
		}
	}

	fs, err := s.Flags(ctx, "ld:web-store:production")
	if err != nil {
		t.Fatal(err)
	}
	if !fs.Mapped || fs.Target != (Target{"web-store", "production"}) {
		t.Errorf("target %+v mapped %v", fs.Target, fs.Mapped)
	}
	byKey := map[string]Flag{}
	for _, f := range fs.Flags {
		byKey[f.Key] = f
	}
	tomb, _ := byKey["removed-experiment"].Primary()
	if !tomb.Deleted || tomb.Version != 9 {
		t.Errorf("tombstone: %+v", tomb)
	}
	legacy, _ := byKey["legacy-export"].Primary()
	if legacy.OffVariation != nil || legacy.On || legacy.Variations != 2 {
		t.Errorf("legacy-export: %+v", legacy)
	}
	co, _ := byKey["checkout-flow"].Primary()
	if len(co.Prerequisites) != 1 || co.Prerequisites[0] != "kill-switch-checkout" || co.Variations != 3 {
		t.Errorf("checkout-flow: %+v", co)
	}
	if d := byKey["kill-switch-checkout"].Dependants; len(d) != 1 || d[0] != "checkout-flow" {
		t.Errorf("kill-switch-checkout dependants: %v", d)
	}
	ks, _ := byKey["kill-switch-checkout"].Primary()
	if ks.OffVariation == nil || *ks.OffVariation != 1 {
		t.Errorf("kill-switch-checkout offVariation: %+v", ks)
	}
}

func TestFlagsUnreadableAndDisagreement(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	c := redistest.StartWithFixture(t)
	ctx := context.Background()
	const prefix = "ld:web-store:production"
	b.Client().HSet(ctx, prefix+":features", "beta-dashboard", `{"key":"beta-dashboard","on":tru`)
	b.Client().HSet(ctx, prefix+":features", "maintenance-banner", `{"key":"maintenance-banner","on":"off","version":3}`)
	c.Client().HDel(ctx, prefix+":features", "kill-switch-search")
	b.Client().HSet(ctx, prefix+":features", "kill-switch-search", strings.Replace(
		strings.Replace(fixture.Load()[prefix].Features["kill-switch-search"], `"on":false`, `"on":true`, 1), `"version":`, `"version":1`, 1))
	s := openStore(t, Options{}, a, b, c)
	fs, err := s.Flags(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]Flag{}
	for _, f := range fs.Flags {
		byKey[f.Key] = f
	}
	if len(fs.Flags) != 10 {
		t.Errorf("%d flags, want all 10 despite the unreadable ones", len(fs.Flags))
	}
	bd := byKey["beta-dashboard"].Hosts[1]
	if bd.Unreadable == "" || !bd.Present {
		t.Errorf("truncated JSON not unreadable: %+v", bd)
	}
	mb := byKey["maintenance-banner"].Hosts[1]
	if !strings.Contains(mb.Unreadable, `"on" is "off", not a JSON boolean`) {
		t.Errorf("string on: %q", mb.Unreadable)
	}
	ok, why := byKey["kill-switch-search"].Agree()
	if ok || !strings.Contains(why, "relay-b: ON v1") || !strings.Contains(why, "relay-c: missing") || !strings.Contains(why, "relay-a: OFF v") {
		t.Errorf("Agree = %v, %q", ok, why)
	}
	if ok, _ := byKey["beta-dashboard"].Agree(); ok {
		t.Error("unreadable host agrees")
	}
	if ok, why := byKey["rate-limits"].Agree(); !ok {
		t.Errorf("rate-limits: %s", why)
	}

	// A down host is skipped by Agree, and marked.
	c.Stop()
	fs, err = s.Flags(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if fs.Hosts[2].Up || fs.Hosts[2].Err == nil {
		t.Errorf("down host: %+v", fs.Hosts[2])
	}
	for _, f := range fs.Flags {
		if !f.Hosts[2].HostDown || f.Hosts[2].Present {
			t.Errorf("%s on down host: %+v", f.Key, f.Hosts[2])
		}
		if f.Key == "rate-limits" {
			if ok, why := f.Agree(); !ok {
				t.Errorf("rate-limits with a host down: %s", why)
			}
		}
	}
}

func TestFlagsUnknownPrefixAndFlag(t *testing.T) {
	a := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a)
	ctx := context.Background()
	_, err := s.Flags(ctx, "ld:nope:production")
	if !errors.Is(err, ErrUnknownPrefix) || !strings.Contains(err.Error(), "ld:nope:production") || !strings.Contains(err.Error(), "relay-a") {
		t.Errorf("unknown prefix: %v", err)
	}
	_, err = s.Flag(ctx, "ld:web-store:production", "nope")
	if !errors.Is(err, ErrUnknownFlag) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown flag: %v", err)
	}
	f, err := s.Flag(ctx, "ld:web-store:production", "checkout-flow")
	if err != nil || f.Key != "checkout-flow" {
		t.Errorf("Flag: %+v, %v", f, err)
	}
	a.Stop()
	_, err = s.Flags(ctx, "ld:web-store:production")
	if err == nil || errors.Is(err, ErrUnknownPrefix) || !strings.Contains(err.Error(), "relay-a") {
		t.Errorf("all hosts down: %v", err)
	}
}

// The fallback for Redis before 6.0 (SCAN without TYPE, then TYPE per key) finds the same
// hashes as SCAN ... TYPE hash.
func TestScanFeaturesWithoutTypeFilter(t *testing.T) {
	srv := redistest.StartWithFixture(t)
	c := srv.Client()
	ctx := context.Background()
	c.Set(ctx, "odd:features", "a string, not a hash", 0)
	withType, err1 := scanFeatures(ctx, c, true)
	without, err2 := scanFeatures(ctx, c, false)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	slices.Sort(withType)
	slices.Sort(without)
	if !slices.Equal(withType, without) || len(without) != len(fixture.Load()) {
		t.Errorf("with TYPE %v\nwithout %v", withType, without)
	}
}

func TestClientOptions(t *testing.T) {
	ro, err := clientOptions(HostConfig{Addr: "redis://olduser:oldpw@10.0.0.1:7000/3", Username: "ops", Password: "pw"})
	if err != nil || ro.Addr != "10.0.0.1:7000" || ro.DB != 3 || ro.Username != "ops" || ro.Password != "pw" || ro.TLSConfig != nil {
		t.Errorf("redis URL with overrides: %+v, %v", ro, err)
	}
	ro, err = clientOptions(HostConfig{Addr: "rediss://cache.example.com:6380"})
	if err != nil || ro.TLSConfig == nil || ro.TLSConfig.ServerName != "cache.example.com" {
		t.Errorf("rediss URL: %+v, %v", ro, err)
	}
	ro, err = clientOptions(HostConfig{Addr: "cache.example.com:6380", TLS: true})
	if err != nil || ro.TLSConfig == nil || ro.TLSConfig.ServerName != "cache.example.com" {
		t.Errorf("host:port with TLS: %+v, %v", ro, err)
	}
	ro, err = clientOptions(HostConfig{Addr: "cache.example.com"})
	if err != nil || ro.Addr != "cache.example.com:6379" {
		t.Errorf("host without port: %+v, %v", ro, err)
	}
}

func TestDiscoverHungHostFailsWithinTimeout(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	timeout := 300 * time.Millisecond
	s := openStore(t, Options{DialTimeout: timeout, CommandTimeout: timeout}, a, b)
	b.Pause()
	defer b.Resume()
	start := time.Now()
	d := s.Discover(context.Background())
	if elapsed := time.Since(start); elapsed > 2*timeout+500*time.Millisecond {
		t.Errorf("Discover took %v with a hung host", elapsed)
	}
	if !d.Hosts[0].Up || d.Hosts[1].Up || !strings.Contains(d.Hosts[1].Err.Error(), "relay-b") {
		t.Errorf("hosts %+v", d.Hosts)
	}
	if len(d.Prefixes) != len(fixture.Load()) {
		t.Errorf("%d prefixes", len(d.Prefixes))
	}
	start = time.Now()
	fs, err := s.Flags(context.Background(), "ld:web-store:production")
	if err != nil || fs.Hosts[1].Up || len(fs.Flags) != 10 || time.Since(start) > s.budget()+500*time.Millisecond {
		t.Errorf("Flags with a hung host: %v, %+v, took %v", err, fs.Hosts, time.Since(start))
	}
}
