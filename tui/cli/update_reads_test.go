package cli

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"relaycommander/flags/redistest"
)

// update --yes reads nothing but the toggle's own WATCH+HGET: on each host exactly WATCH,
// HGET, MULTI, HSET, EXEC (2 round trips), whatever the prefix's size; no HELLO, no HGETALL.
func TestUpdateYesSendsOnlyTheToggle(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	if !a.Real() {
		t.Skip("INFO commandstats needs a real redis-server")
	}
	var counters []*redis.Client
	for _, s := range []*redistest.Server{a, b} {
		c := s.Client()
		if err := c.ConfigResetStat(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		counters = append(counters, c)
	}
	g := h.ok("update", "-p", "web-store", "-e", "test", "-f", "kill-switch-checkout", "-s", "off", "--yes")
	if !strings.Contains(g.stdout, "were not looked up") {
		t.Errorf("no note that dependants were not looked up:\n%s", g.stdout)
	}
	want := map[string]int{"watch": 1, "hget": 1, "multi": 1, "hset": 1, "exec": 1}
	for i, c := range counters {
		got := redistest.CommandCalls(t, c)
		if len(got) != len(want) {
			t.Errorf("host %d was sent %v, want %v", i, got, want)
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("host %d was sent %v, want %v", i, got, want)
				break
			}
		}
	}
	// Already in that state: the same read, then UNWATCH; nothing journaled again.
	g = h.ok("update", "-p", "web-store", "-e", "test", "-f", "kill-switch-checkout", "-s", "off", "--yes")
	if !strings.Contains(g.stdout, "already OFF on every host") {
		t.Errorf("no-op:\n%s", g.stdout)
	}
	if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 1 || len(q.Pending[0].Changes) != 1 {
		t.Errorf("queue: %+v", q)
	}
}

// The prompt turning a flag off reads the whole prefix for the flags that depend on it.
func TestUpdatePromptNamesDependants(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	h.env["RC_PROTECTED_ENVIRONMENTS"] = ""
	g := h.run("y\n", true, "update", "-p", "web-store", "-e", "test", "-f", "kill-switch-checkout", "-s", "off")
	wantCode(t, g, ExitOK)
	if !strings.Contains(strings.Join(strings.Fields(g.stdout), " "), "prerequisite and serve their off variation while it is off: checkout-flow") {
		t.Errorf("dependants not named:\n%s", g.stdout)
	}
	// Turning it on needs only the flag itself.
	g = h.run("y\n", true, "update", "-p", "web-store", "-e", "test", "-f", "kill-switch-checkout", "-s", "on")
	wantCode(t, g, ExitOK)
	if !strings.Contains(g.stdout, "OFF -> ON") {
		t.Errorf("plan:\n%s", g.stdout)
	}
}

func TestUpdateYesEveryHostDown(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	h.env["RC_REDIS_DIAL_TIMEOUT"] = "300ms"
	h.env["RC_REDIS_COMMAND_TIMEOUT"] = "300ms"
	a.Stop()
	b.Stop()
	wantCode(t, h.run("", false, "update", "-p", "web-store", "-e", "test", "-f", "kill-switch-checkout", "-s", "off", "--yes"),
		ExitError, "no Redis host answered", a.Addr, "nothing was changed")
	if _, err := os.Stat(h.journal); err == nil {
		if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 0 {
			t.Errorf("journaled with every host down: %+v", q.Pending)
		}
	}
}
