package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg"
)

func TestGenerateRelayConfig(t *testing.T) {
	h := newHarness(t)
	fake := ldfake.New()
	t.Cleanup(fake.Close)
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = fake.URL()
	h.env["LD_API_KEY"] = fake.Token()
	h.env["RC_REDIS_HOSTS"] = "redis://relay-user@redis-a.internal:6380"
	h.env["RC_RELAY_LOCAL_TTL"] = "10s"

	g := h.ok("generate-relay-config", "-p", "web-store", "-p", "payments")
	for _, want := range []string{"[Redis]", `"redis://redis-a.internal:6380"`, "10s",
		`prefix = "ld:web-store:production"`, `prefix = "ld:web-store:staging"`, `prefix = "ld:payments:test"`} {
		if !strings.Contains(g.stdout, want) {
			t.Errorf("generated INI lacks %s:\n%s", want, g.stdout)
		}
	}
	if strings.Contains(g.stdout, "ld:mobile-api:") {
		t.Errorf("a project not asked for is in the config:\n%s", g.stdout)
	}

	// To a file: 0600, never replaced without --force, and it reads back into the same mapping.
	g = h.ok("generate-relay-config", "-p", "web-store", "-o", "relay.conf")
	path := filepath.Join(h.dir, "relay.conf")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("relay.conf: %v %v", fi, err)
	}
	if !strings.Contains(g.stderr, "0600") {
		t.Errorf("no word on the file's mode:\n%s", g.stderr)
	}
	wantCode(t, h.run("", false, "generate-relay-config", "-p", "web-store", "-o", "relay.conf"), ExitError, "relay.conf")
	h.ok("generate-relay-config", "-p", "web-store", "-o", "relay.conf", "--force")
	rc, err := relaycfg.Read(path)
	if m := relaycfg.Mapping(rc); err != nil || len(m) != 3 || m["ld:web-store:staging"].Environment != "staging" {
		t.Errorf("generated file read back: %v %v", m, err)
	}

	// The environment-variable form.
	g = h.ok("generate-relay-config", "-p", "web-store", "--format", "env")
	if !strings.Contains(g.stdout, "LD_PREFIX_") || !strings.Contains(g.stdout, "ld:web-store:production") || !strings.Contains(g.stdout, "USE_REDIS") {
		t.Errorf("env form:\n%s", g.stdout)
	}

	// A project LaunchDarkly does not have; no token.
	wantCode(t, h.run("", false, "generate-relay-config", "-p", "no-such-project"), ExitError, "no-such-project")
	delete(h.env, "LD_API_KEY")
	wantCode(t, h.run("", false, "generate-relay-config", "-p", "web-store"), ExitError, "RC_LAUNCHDARKLY_API_TOKEN")
}
