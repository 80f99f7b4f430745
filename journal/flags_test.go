package journal

import (
	"context"
	"encoding/json"
	"sort"
	"testing"

	"relaycommander/flags"
	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
)

// twoHostStore is a flags.Store on two real redis-servers, hosts "a" and "b", loaded with the
// fixture.
func twoHostStore(t *testing.T) (*flags.Store, *redistest.Server, *redistest.Server) {
	t.Helper()
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	store, err := flags.Open([]flags.HostConfig{{Name: "a", Addr: a.Addr}, {Name: "b", Addr: b.Addr}}, flags.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, a, b
}

// Toggle through a real store on two real Redis hosts: the intent is recorded, Redis is
// written, the outcomes are recorded; a host that was down is retried and its outcome merged.
func TestToggleWithRealStore(t *testing.T) {
	store, _, b := twoHostStore(t)

	// A live (not deleted) fixture flag.
	fx := fixture.Load()
	var prefix, key string
	var on bool
	var version int
	for _, p := range fx.Prefixes() {
		keys := make([]string, 0, len(fx[p].Features))
		for k := range fx[p].Features {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var f struct {
				On      bool `json:"on"`
				Version int  `json:"version"`
				Deleted bool `json:"deleted"`
			}
			if json.Unmarshal([]byte(fx[p].Features[k]), &f) == nil && !f.Deleted {
				prefix, key, on, version = p, k, f.On, f.Version
				break
			}
		}
		if key != "" {
			break
		}
	}
	if key == "" {
		t.Fatal("no live flag in the fixture")
	}

	j := openTemp(t)
	ctx := context.Background()
	c, res, err := j.Toggle(ctx, store, Change{Operator: "ann", Prefix: prefix, Flag: key, Before: on, After: !on, BaseVersion: intp(version)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hosts) != 2 || len(res.FailedHosts()) != 0 {
		t.Fatalf("toggle result %+v", res)
	}
	f, err := store.Flag(ctx, prefix, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range f.Hosts {
		if h.On != !on || h.Version != version+1 {
			t.Fatalf("Redis host %s has on=%v version %d, want %v %d", h.Host, h.On, h.Version, !on, version+1)
		}
	}
	p, err := j.Pending()
	if err != nil || len(p) != 1 || p[0].Entries[0].ID != c.ID || len(p[0].Entries[0].Outcomes) != 2 {
		t.Fatalf("pending %+v %v", p, err)
	}
	for _, o := range p[0].Entries[0].Outcomes {
		if o.Outcome != "written" || o.OldVersion != version || o.NewVersion != version+1 {
			t.Fatalf("outcome %+v", o)
		}
	}

	// Host b down: its write fails and is recorded with the error.
	b.Stop()
	c2, res, err := j.Toggle(ctx, store, Change{Operator: "ann", Prefix: prefix, Flag: key, Before: !on, After: on, BaseVersion: intp(version + 1)})
	if err != nil {
		t.Fatal(err)
	}
	if fh := res.FailedHosts(); len(fh) != 1 || fh[0] != "b" {
		t.Fatalf("failed hosts %v, want [b]", fh)
	}
	entries, _, _ := j.History(prefix, key)
	if o := entries[1].Outcomes; len(o) != 2 || o[1].Outcome != "failed" || o[1].Error == "" {
		t.Fatalf("outcomes with b down: %+v", o)
	}
	// b back with the fixture's state, which is the one wanted: retry b only; its later
	// outcome (unchanged) wins.
	b.Restart()
	b.LoadFixture()
	if _, res, err = j.Toggle(ctx, store, Change{ID: c2.ID}, "b"); err != nil || len(res.Hosts) != 1 || res.Hosts[0].Outcome != flags.Unchanged {
		t.Fatalf("retry %+v %v", res, err)
	}
	entries, _, _ = j.History(prefix, key)
	if o := entries[1].Outcomes; len(o) != 2 || o[0].Outcome != "written" || o[1].Outcome != "unchanged" || o[1].Error != "" {
		t.Fatalf("outcomes after retry: %+v", o)
	}
	p, _ = j.Pending()
	if len(p) != 1 || len(p[0].Entries) != 2 || !p[0].NoNetEffect() || *p[0].BaseVersion != version {
		t.Fatalf("pending after on/off %+v", p)
	}
}
