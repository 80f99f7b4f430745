package demo

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"relaycommander/flags/fixture"
	"relaycommander/journal"
)

func TestDemoResyncRestoresLaunchDarklyState(t *testing.T) {
	ctx := context.Background()
	d, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := d.dir
	defer func() {
		d.Close()
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("demo directory %s left behind", dir)
		}
	}()
	if d.LaunchDarklyReachable() {
		t.Errorf("the demo's LaunchDarkly starts reachable")
	}
	if err := d.LD.Check(ctx); err == nil {
		t.Errorf("LaunchDarkly answers while unreachable")
	}
	const prefix, key = "ld:web-store:production", "beta-dashboard"
	f, err := d.Store.Flag(ctx, prefix, key)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.Primary()
	c, res, err := d.Journal.Toggle(ctx, d.Store, journal.Change{Operator: "demo", Prefix: prefix, Project: "web-store",
		Environment: "production", Flag: key, Before: before.On, After: !before.On, BaseVersion: &before.Version})
	if err != nil || len(res.FailedHosts()) != 0 || len(res.Hosts) != 2 {
		t.Fatalf("toggle in the demo: %+v %+v %v", c, res, err)
	}

	d.SetLaunchDarklyReachable(true)
	if !d.LaunchDarklyReachable() {
		t.Fatal("not reachable after SetLaunchDarklyReachable(true)")
	}
	if err := d.LD.Check(ctx); err != nil {
		t.Fatalf("LaunchDarkly back: %v", err)
	}
	// Someone changes another flag in LaunchDarkly: the re-sync must bring that too.
	d.fake.ChangeBehindBack("web-store", "production", "legacy-export", true)
	ldOn, ldVer, _ := d.fake.FlagState("web-store", "production", "legacy-export")

	if err := d.SimulateRelayResync(ctx); err != nil {
		t.Fatal(err)
	}
	fx := fixture.Load()
	for i, c := range d.clients {
		all, err := c.HGetAll(ctx, prefix+":features").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(fx[prefix].Features) {
			t.Errorf("host %d: %d flags after re-sync, want %d", i, len(all), len(fx[prefix].Features))
		}
		var got map[string]any
		json.Unmarshal([]byte(all[key]), &got)
		var want map[string]any
		json.Unmarshal([]byte(fx[prefix].Features[key]), &want)
		if got["on"] != before.On {
			t.Errorf("host %d: the manual edit survived the re-sync: %v", i, got["on"])
		}
		delete(got, "on")
		delete(got, "version")
		delete(want, "on")
		delete(want, "version")
		if g, w := mustJSON(got), mustJSON(want); g != w {
			t.Errorf("host %d: fields other than on/version changed:\n%s\n%s", i, g, w)
		}
		var legacy struct {
			On      bool
			Version int
		}
		json.Unmarshal([]byte(all["legacy-export"]), &legacy)
		if legacy.On != ldOn || legacy.Version != ldVer {
			t.Errorf("host %d: legacy-export %+v, LaunchDarkly has on=%v v%d", i, legacy, ldOn, ldVer)
		}
		if n, _ := c.Exists(ctx, prefix+":$inited").Result(); n != 1 {
			t.Errorf("host %d: no $inited after re-sync", i)
		}
	}
	// The journal notices: the pending change's Redis state no longer matches what was written.
	after, _ := d.Store.Flag(ctx, prefix, key)
	if p, _ := after.Primary(); p.On != before.On {
		t.Errorf("store still shows the edit after the re-sync")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
