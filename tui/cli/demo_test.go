package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relaycommander/flags/fixture"
	"relaycommander/tui"
)

func TestDemoCommand(t *testing.T) {
	h := newHarness(t)
	// The demo ignores the configured hosts and token: nothing here may be dialled.
	addr, dials := listener(t)
	h.env["REDIS_HOSTS"] = addr
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = "http://" + addr
	h.env["LD_API_KEY"] = "api-not-for-the-demo"
	var demoDir string
	h.ui = func(ctx context.Context, cfg tui.Config) error {
		if cfg.Demo == nil || cfg.LD == nil || cfg.Store == nil || cfg.Journal == nil {
			t.Fatalf("demo UI configuration: %+v", cfg)
		}
		demoDir = filepath.Dir(cfg.LogPath)
		if !strings.HasPrefix(cfg.Journal.Dir(), demoDir) {
			t.Errorf("the demo's journal %s is not in its temporary directory %s", cfg.Journal.Dir(), demoDir)
		}
		d := cfg.Store.Discover(ctx)
		if len(d.Hosts) != 2 || len(d.Prefixes) != len(fixture.Load()) {
			t.Errorf("demo Redis: %d hosts, %d prefixes", len(d.Hosts), len(d.Prefixes))
		}
		if cfg.Demo.LaunchDarklyReachable() || cfg.LD.Check(ctx) == nil {
			t.Errorf("the demo's LaunchDarkly starts reachable")
		}
		cfg.Demo.SetLaunchDarklyReachable(true)
		if err := cfg.LD.Check(ctx); err != nil {
			t.Errorf("the demo's LaunchDarkly after SetLaunchDarklyReachable(true): %v", err)
		}
		return cfg.Demo.SimulateRelayResync(ctx)
	}
	h.ok("demo")
	if demoDir == "" {
		t.Fatal("the UI did not start")
	}
	if _, err := os.Stat(demoDir); !os.IsNotExist(err) {
		t.Errorf("the demo left %s behind", demoDir)
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("the demo dialled the configured hosts %d times", n)
	}
}
