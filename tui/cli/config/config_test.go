package config

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// load runs Load on a configuration file in a fresh directory.
func load(t *testing.T, file string, env map[string]string) *Config {
	t.Helper()
	dir := t.TempDir()
	if file != "" {
		if err := os.WriteFile(filepath.Join(dir, "relaycommander.yaml"), []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if env == nil {
		env = map[string]string{}
	}
	cfg, _, err := Load(Input{Env: env, Dir: dir, Operator: func() string { return "os-user" }})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestDefaultsAreResolved(t *testing.T) {
	cfg := load(t, "", nil)
	if cfg.DialTimeout != 2*time.Second || cfg.CommandTimeout != 2*time.Second || cfg.LDTimeout != 10*time.Second ||
		cfg.Refresh != 5*time.Second || cfg.LocalTTL != DefaultLocalTTL || !cfg.AltScreen || cfg.ReadOnly ||
		!slices.Equal(cfg.Protected, []string{"production"}) || cfg.Operator != "os-user" {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.Set("relay.local_ttl") || cfg.From("relay.local_ttl") != "default" {
		t.Errorf("relay.local_ttl counts as set without a value: %q", cfg.From("relay.local_ttl"))
	}
}

// Zero is a value: relay.local_ttl 0 says Relay has no cache, and a Relay config's own
// localTtl must not replace it.
func TestZeroLocalTTLIsKept(t *testing.T) {
	dir := t.TempDir()
	relay := filepath.Join(dir, "relay.conf")
	if err := os.WriteFile(relay, []byte("[Redis]\nurl = \"redis://localhost:6379\"\nlocalTtl = 12s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, "relay_configs: ["+relay+"]\nrelay:\n  local_ttl: 0s\n", nil)
	if cfg.LocalTTL != 0 || !cfg.Set("relay.local_ttl") {
		t.Errorf("relay.local_ttl: 0s gives %s (set %v, from %s)", cfg.LocalTTL, cfg.Set("relay.local_ttl"), cfg.From("relay.local_ttl"))
	}
	cfg = load(t, "", map[string]string{"RC_RELAY_LOCAL_TTL": "0s"})
	if cfg.LocalTTL != 0 || cfg.From("relay.local_ttl") != "environment RC_RELAY_LOCAL_TTL" {
		t.Errorf("RC_RELAY_LOCAL_TTL=0s gives %s from %s", cfg.LocalTTL, cfg.From("relay.local_ttl"))
	}
}
