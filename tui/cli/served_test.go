package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/redistest"
	"relaycommander/relaycfg/relaytest"
)

type updateServedOut struct {
	updateOut
	Served *servedJSON `json:"served"`
}

// TestUpdateWaitServed: relay-a (localTtl 300ms) serves the change once its cache expires;
// relay-b caches forever (negative localTtl) and still serves the old state at the time-out.
func TestUpdateWaitServed(t *testing.T) {
	const flag = "kill-switch-checkout"
	h := newHarness(t)
	ld := newLD(t)
	a := relaytest.StartOutage(t, ld, "web-store", "production", relaytest.Options{LocalTTL: 300 * time.Millisecond})
	redisB := redistest.StartWithFixture(t)
	relayB := relaytest.Start(t, relaytest.Options{StreamURL: ld.StreamURL(), RedisAddr: redisB.Addr,
		Environments: []relaytest.Environment{a.Env}, LocalTTL: -1})
	relayB.WaitSyncs(t, a.Env.Name, 1, 5*time.Second)
	a.CutOff(t)
	relayB.WaitConnection(t, a.Env.Name, relaytest.StateInterrupted, 5*time.Second)

	h.env["RC_REDIS_HOSTS"] = a.Redis().Addr + "," + redisB.Addr
	h.env["RC_RELAYS"] = "relay-a=" + a.Relay().URL() + ",relay-b=" + relayB.URL()
	h.env["RC_RELAY_SDK_KEYS"] = a.Env.Prefix + "=LD_SDK_KEY_PRODUCTION"
	h.env["LD_SDK_KEY_PRODUCTION"] = a.Env.SDKKey
	h.env["RC_RELAY_LOCAL_TTL"] = "300ms"

	// Both Relays have the flag cached ON, as they would while serving traffic.
	for _, r := range []*relaytest.Relay{a.Relay(), relayB} {
		if _, on, _, err := r.Served(context.Background(), a.Env.SDKKey, flag); err != nil || !on {
			t.Fatalf("%s serves %s on=%v before the write (%v)", r.URL(), flag, on, err)
		}
	}
	g := h.run("", false, "update", "-p", "web-store", "-e", "production", "-f", flag, "-s", "off", "--yes",
		"--wait-served", "--served-timeout", "1500ms", "--json")
	wantCode(t, g, ExitPartial, "relay-a serves "+flag+" OFF, ", " after the write",
		"relay-b still serves "+flag+" ON after 1.5 s (localTtl 300ms): restart it or wait",
		"1 of 2 Relays do not serve "+flag+" OFF yet (relay-b)")
	t.Logf("update --wait-served --json, stderr:\n%s", g.stderr)
	u := decode[updateServedOut](t, g.stdout)
	if u.Change == nil || len(u.FailedHosts) != 0 || u.Served == nil || !u.Served.Checked || u.Served.TimeoutMS != 1500 {
		t.Fatalf("update --json: %+v served %+v", u.updateOut, u.Served)
	}
	rs := u.Served.Relays
	if len(rs) != 2 || rs[0].Relay != "relay-a" || !rs[0].Served || rs[1].Relay != "relay-b" || rs[1].Served || !rs[1].LastOn {
		t.Fatalf("served: %+v", rs)
	}
	// relay-a's cache held ON for its localTtl after the write: a real delay, seen by a poll
	// about once a second.
	if rs[0].AfterMS < 150 || rs[0].AfterMS > 1600 {
		t.Errorf("relay-a served it %.0f ms after the write, want between its localTtl and the time-out", rs[0].AfterMS)
	}
	if rs[1].AfterMS < 1400 || strings.Join(u.Served.Stale, ",") != "relay-b" {
		t.Errorf("relay-b: %+v, stale %q", rs[1], u.Served.Stale)
	}
	noSecrets(t, g, a.Env.SDKKey)

	// Text; a negative relay.local_ttl says that only a restart helps.
	h.env["RC_RELAY_LOCAL_TTL"] = "-1s"
	g = h.run("", false, "update", "-p", "web-store", "-e", "production", "-f", flag, "-s", "on", "--yes",
		"--wait-served", "--served-timeout", "1s")
	wantCode(t, g, ExitPartial)
	for _, want := range []string{"relay.local_ttl is negative", fmt.Sprintf("relay-b still serves %s v%d (the write made v%d) after 1.0 s (localTtl negative: cached forever): restart it",
		flag, *u.Change.BaseVersion, *u.Change.BaseVersion+2)} {
		if !strings.Contains(g.stdout, want) {
			t.Errorf("update --wait-served lacks %q:\n%s", want, g.stdout)
		}
	}
	noSecrets(t, g, a.Env.SDKKey)
}

// Without Relays, or without the environment's SDK key, the check says so and the exit code
// is the write's.
func TestUpdateWaitServedNotConfigured(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	args := []string{"update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "off", "--yes", "--wait-served"}
	g := h.ok(args...)
	if !strings.Contains(g.stdout, "Not checked whether the Relays serve it: no Relays configured") {
		t.Errorf("no Relays:\n%s", g.stdout)
	}
	h.env["RC_RELAYS"] = "http://" + closedPort(t)
	args[8] = "on"
	u := decode[updateServedOut](t, h.ok(append(args, "--json")...).stdout)
	if u.Served == nil || u.Served.Checked || !strings.Contains(u.Served.Reason, "no SDK key for prefix ld:web-store:staging") ||
		!strings.Contains(u.Served.Reason, "relay.sdk_keys") {
		t.Errorf("no SDK key: %+v", u.Served)
	}
	wantCode(t, h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "on", "--yes", "--served-timeout", "5s"),
		ExitUsage, "with --wait-served")
}
