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

func TestRelaysAndSDKKeys(t *testing.T) {
	dir := t.TempDir()
	relay := filepath.Join(dir, "relay.conf")
	conf := "[Redis]\nurl = \"redis://localhost:6379\"\n" +
		"[Environment \"prod\"]\nsdkKey = \"sdk-from-relay-config-0001\"\nprefix = \"ld:Web:prod\"\n" +
		"[Environment \"dev\"]\nsdkKey = \"sdk-from-relay-config-0002\"\nprefix = \"ld:web:dev\"\n"
	if err := os.WriteFile(relay, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	file := "relay_configs: [" + relay + "]\n" +
		"relays:\n  - name: relay-a\n    url: http://relay-a.internal:8030/\n  - https://relay-b.internal:8443\n  - c=http://relay-c:8030\n" +
		"relay:\n  sdk_keys:\n    ld:Web:prod: LD_SDK_PROD\n"
	cfg := load(t, file, map[string]string{"LD_SDK_PROD": "sdk-from-the-environment-1"})
	want := []string{"relay-a http://relay-a.internal:8030", "relay-b.internal:8443 https://relay-b.internal:8443", "c http://relay-c:8030"}
	var got []string
	for _, r := range cfg.Relays {
		got = append(got, r.Name+" "+r.URL)
	}
	if !slices.Equal(got, want) {
		t.Errorf("relays: %q, want %q", got, want)
	}
	if cfg.SDKKeys["ld:Web:prod"].Reveal() != "sdk-from-the-environment-1" || cfg.SDKKeyFrom["ld:Web:prod"] != "environment LD_SDK_PROD" {
		t.Errorf("relay.sdk_keys does not win over relay_configs: %v from %v", cfg.SDKKeys, cfg.SDKKeyFrom)
	}
	if cfg.SDKKeys["ld:web:dev"].Reveal() != "sdk-from-relay-config-0002" || cfg.SDKKeyFrom["ld:web:dev"] != "relay_configs "+relay {
		t.Errorf("the Relay config's SDK key: %v from %v", cfg.SDKKeys, cfg.SDKKeyFrom)
	}

	cfg = load(t, "", map[string]string{"RC_RELAYS": "relay-a=http://127.0.0.1:8030, http://relay-b:8030",
		"RC_RELAY_SDK_KEYS": "ld:web:prod=K1,launchdarkly=K2", "K1": "sdk-one-000000000", "K2": "sdk-two-000000000"})
	if len(cfg.Relays) != 2 || cfg.Relays[0].Name != "relay-a" || cfg.Relays[1].Name != "relay-b:8030" || cfg.From("relays") != "environment RC_RELAYS" {
		t.Errorf("RC_RELAYS: %+v from %s", cfg.Relays, cfg.From("relays"))
	}
	if len(cfg.SDKKeys) != 2 || cfg.SDKKeys["launchdarkly"].Reveal() != "sdk-two-000000000" || cfg.SDKKeyFrom["ld:web:prod"] != "environment K1" {
		t.Errorf("RC_RELAY_SDK_KEYS: %v from %v", cfg.SDKKeys, cfg.SDKKeyFrom)
	}
}
