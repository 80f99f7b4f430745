package flags

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"relaycommander/flags/redistest"
)

func storedState(t *testing.T, srv *redistest.Server, prefix, key string) (bool, int) {
	t.Helper()
	raw, err := srv.Client().HGet(context.Background(), prefix+featuresSuffix, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		On      bool `json:"on"`
		Version int  `json:"version"`
	}
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		t.Fatal(err)
	}
	return f.On, f.Version
}

func TestPrepareToggleReadsThenWrites(t *testing.T) {
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	a, b := redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a, b)
	on0, v0 := storedState(t, a, prefix, key)
	ctx := context.Background()

	p := s.PrepareToggle(ctx, prefix, key, !on0)
	f := p.Read()
	if len(f.Hosts) != 2 || f.Key != key {
		t.Fatalf("read: %+v", f)
	}
	for i, h := range f.Hosts {
		if h.Host != hostNames[i] || !h.Present || h.On != on0 || h.Version != v0 || h.HostDown {
			t.Errorf("read on %s: %+v", hostNames[i], h)
		}
	}
	// Nothing is written before the decision.
	if on, v := storedState(t, a, prefix, key); on != on0 || v != v0 {
		t.Fatalf("written before Toggle: on=%v v%d", on, v)
	}
	res := p.Toggle(ctx, prefix, key, !on0)
	p.Abort() // after Toggle: nothing
	for i, r := range res.Hosts {
		if r.Host != hostNames[i] || r.Outcome != Written || r.OldVersion != v0 || r.NewVersion != v0+1 || r.Latency <= 0 {
			t.Errorf("result: %+v", r)
		}
	}
	for _, srv := range []*redistest.Server{a, b} {
		if on, v := storedState(t, srv, prefix, key); on == on0 || v != v0+1 {
			t.Errorf("%s after Toggle: on=%v v%d", srv.Addr, on, v)
		}
	}
}

func TestPrepareToggleAbortWritesNothing(t *testing.T) {
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	a := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a)
	on0, v0 := storedState(t, a, prefix, key)
	p := s.PrepareToggle(context.Background(), prefix, key, !on0)
	p.Abort()
	p.Abort()
	if on, v := storedState(t, a, prefix, key); on != on0 || v != v0 {
		t.Fatalf("written after Abort: on=%v v%d", on, v)
	}
	// The connection is clean: a later toggle works at once.
	if r := s.Toggle(context.Background(), prefix, key, !on0); r.Hosts[0].Outcome != Written {
		t.Fatalf("toggle after Abort: %+v", r.Hosts[0])
	}
}

// A writer between the read and the write makes the EXEC fail: the host reads and writes
// again, on top of the other writer's version.
func TestPrepareToggleLostRace(t *testing.T) {
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	a := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a)
	other := openStore(t, Options{}, a)
	on0, v0 := storedState(t, a, prefix, key)
	ctx := context.Background()
	p := s.PrepareToggle(ctx, prefix, key, !on0)
	// The other writer flips it twice: same state, version +2.
	other.Toggle(ctx, prefix, key, !on0)
	other.Toggle(ctx, prefix, key, on0)
	res := p.Toggle(ctx, prefix, key, !on0)
	if r := res.Hosts[0]; r.Outcome != Written || r.OldVersion != v0+2 || r.NewVersion != v0+3 {
		t.Fatalf("after a lost race: %+v", r)
	}
	if on, v := storedState(t, a, prefix, key); on == on0 || v != v0+3 {
		t.Fatalf("stored: on=%v v%d", on, v)
	}
}

func TestPrepareToggleHostDownAndMissing(t *testing.T) {
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	a, b := redistest.StartWithFixture(t), redistest.Start(t) // b: empty
	c := redistest.Start(t)
	c.Stop()
	s := openStore(t, Options{DialTimeout: 300 * time.Millisecond, CommandTimeout: 300 * time.Millisecond}, a, b, c)
	on0, _ := storedState(t, a, prefix, key)
	p := s.PrepareToggle(context.Background(), prefix, key, !on0)
	f := p.Read()
	if !f.Hosts[0].Present || f.Hosts[1].Present || f.Hosts[1].HostDown || !f.Hosts[2].HostDown {
		t.Fatalf("read: %+v", f.Hosts)
	}
	res := p.Toggle(context.Background(), prefix, key, !on0)
	if res.Hosts[0].Outcome != Written || res.Hosts[1].Outcome != Failed || res.Hosts[2].Outcome != Failed {
		t.Fatalf("result: %+v", res.Hosts)
	}
}

// Toggle for something else than what was prepared gives the prepared one up.
func TestPrepareToggleOtherCall(t *testing.T) {
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	a, b := redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a, b)
	on0, v0 := storedState(t, a, prefix, key)
	p := s.PrepareToggle(context.Background(), prefix, key, !on0)
	res := p.Toggle(context.Background(), prefix, key, !on0, hostNames[1])
	if len(res.Hosts) != 1 || res.Hosts[0].Host != hostNames[1] || res.Hosts[0].Outcome != Written {
		t.Fatalf("result: %+v", res.Hosts)
	}
	if on, v := storedState(t, a, prefix, key); on != on0 || v != v0 {
		t.Fatalf("the prepared toggle wrote: on=%v v%d", on, v)
	}
}

// The whole prepared toggle is WATCH+HGET and MULTI/HSET/EXEC, nothing else.
func TestPrepareToggleCommands(t *testing.T) {
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	a := redistest.StartWithFixture(t)
	if !a.Real() {
		t.Skip("INFO commandstats needs a real redis-server")
	}
	counter := a.Client()
	if err := counter.ConfigResetStat(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, Options{}, a)
	p := s.PrepareToggle(context.Background(), prefix, key, false)
	p.Toggle(context.Background(), prefix, key, false)
	got := redistest.CommandCalls(t, counter)
	want := map[string]int{"watch": 1, "hget": 1, "multi": 1, "hset": 1, "exec": 1}
	if len(got) != len(want) {
		t.Fatalf("commands: %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("commands: %v, want %v", got, want)
		}
	}
}
