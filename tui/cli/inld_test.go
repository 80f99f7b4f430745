package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"relaycommander/flags/redistest"
)

// Issue 13, item 8: with LaunchDarkly answering, a Redis edit is undone by a connected
// Relay's next update: update says so, before asking, and names the command that makes the
// change in LaunchDarkly instead.
func TestUpdateWarnsWhenLaunchDarklyAnswers(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	ld := newLD(t)
	useLD(h, ld)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"

	g := h.run("n\n", true, "update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off")
	wantCode(t, g, 1)
	plan := g.stdout // the plan is printed before the question (on standard error)
	for _, s := range []string{"LaunchDarkly answers", "undoes this Redis edit",
		"relaycommander update -p web-store -e staging -f beta-dashboard -s off --in-launchdarkly"} {
		if !strings.Contains(plan, s) {
			t.Errorf("update with LaunchDarkly up lacks %q:\n%s", s, plan)
		}
	}
	if on, _ := stored(t, a, prefix, key); !on {
		t.Error("refused, yet Redis was written")
	}

	// From a script (--yes) it is said after the write, and in the JSON.
	g = h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--reason", "cdn's down", "--yes", "--json")
	if !strings.Contains(g.stderr, `--reason 'cdn'\''s down' --in-launchdarkly`) || !strings.Contains(g.stdout, `"launchDarklyAnswers":true`) {
		t.Errorf("update --yes with LaunchDarkly up:\nstdout:\n%s\nstderr:\n%s", g.stdout, g.stderr)
	}

	// LaunchDarkly down: no such warning.
	ld.SetUnreachable(true)
	g = h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "on", "--yes")
	if strings.Contains(g.stdout+g.stderr, "LaunchDarkly answers") {
		t.Errorf("warned with LaunchDarkly unreachable:\n%s", g.stderr)
	}
}

// update --in-launchdarkly patches LaunchDarkly with the operator and reason as the comment,
// and touches neither Redis nor the journal.
func TestUpdateInLaunchDarkly(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	ld := newLD(t)
	useLD(h, ld)
	const key = "beta-dashboard"
	on0, v0 := stored(t, a, "ld:web-store:staging", key)
	ldOn0, _, ok := ld.FlagState("web-store", "staging", key)
	if !ok || !on0 || !ldOn0 {
		t.Fatalf("fixture changed: %s on in Redis %v, in LaunchDarkly %v (%v)", key, on0, ldOn0, ok)
	}

	g := h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--reason", "cdn down", "--yes", "--in-launchdarkly", "--json")
	if on, _, _ := ld.FlagState("web-store", "staging", key); on {
		t.Error("LaunchDarkly still has the flag on")
	}
	ps := ld.Patches()
	if len(ps) != 1 || !strings.Contains(ps[0].Comment, "os-user") || !strings.Contains(ps[0].Comment, "cdn down") {
		t.Errorf("patches: %+v", ps)
	}
	for _, s := range []string{`"inLaunchDarkly":true`, `"on":false`} {
		if !strings.Contains(g.stdout, s) {
			t.Errorf("JSON lacks %s: %s", s, g.stdout)
		}
	}
	if !strings.Contains(g.stderr, "Redis was not edited") {
		t.Errorf("output:\n%s", g.stderr)
	}
	if on, v := stored(t, b, "ld:web-store:staging", key); !on || v != v0 {
		t.Errorf("Redis was edited on %s: on=%v v%d", b.Addr, on, v)
	}
	if on, v := stored(t, a, "ld:web-store:staging", key); !on || v != v0 {
		t.Errorf("Redis was edited: on=%v v%d", on, v)
	}
	q := h.ok("queue", "--json")
	if strings.Contains(q.stdout, key) {
		t.Errorf("the journal recorded a change made in LaunchDarkly: %s", q.stdout)
	}

	// In production it asks for the typed key, as a Redis edit does.
	g = h.run("y\n", true, "update", "-p", "web-store", "-e", "production", "-f", key, "-s", "off", "--in-launchdarkly")
	wantCode(t, g, 1, "Type beta-dashboard to confirm")
	if len(ld.Patches()) != 1 {
		t.Error("a protected environment was changed without the typed key")
	}

	// LaunchDarkly stops answering: the patch may have landed, and running it again is safe.
	ld.SetUnreachable(true)
	g = h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "on", "--yes", "--in-launchdarkly")
	wantCode(t, g, 1, "Redis was not edited", "may have landed", "run the same command again")
	ld.SetUnreachable(false)

	// No token: refused, naming the variable.
	delete(h.env, "RC_LAUNCHDARKLY_API_TOKEN")
	g = h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "on", "--yes", "--in-launchdarkly")
	wantCode(t, g, 1, "RC_LAUNCHDARKLY_API_TOKEN", "nothing was changed")
}

// A failed --in-launchdarkly says what happened in ldsync's words (as the UI does) and the
// next step of a patch: a refused token names the setting and says to run it again.
func TestUpdateInLaunchDarklySaysWhatHappened(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	ld := newLD(t)
	useLD(h, ld)
	args := []string{"update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "off", "--yes", "--in-launchdarkly"}

	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = "api-not-the-token"
	wantCode(t, h.run("", false, args...), 1, "LaunchDarkly refused the API token (401): it is not a valid access token",
		"set RC_LAUNCHDARKLY_API_TOKEN to a token with writer rights", "then run the same command again")

	useLD(h, ld)
	ld.RequireApprovals("web-store", "staging", true)
	wantCode(t, h.run("", false, args...), 1, "the environment requires approvals in LaunchDarkly (HTTP 405",
		"request the change in LaunchDarkly's UI")
	ld.RequireApprovals("web-store", "staging", false)

	ld.SetUnreachable(true)
	wantCode(t, h.run("", false, args...), 1, "LaunchDarkly does not answer (", " at "+strings.TrimPrefix(ld.URL(), "http://")+"): the patch may have landed")
}

// The walkthrough's case: a flag killed in Redis during the outage, then, with LaunchDarkly
// back, set in LaunchDarkly itself. The pending kill is closed (it would undo the operator's
// latest choice when replayed, or stand as a conflict with their own change), and says so.
func TestUpdateInLaunchDarklyClosesThePendingChange(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	ld := newLD(t)
	ld.SetUnreachable(true)
	useLD(h, ld)
	const key = "beta-dashboard"
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--yes", "--reason", "errors up")
	ld.SetUnreachable(false)

	g := h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "on", "--yes", "--in-launchdarkly")
	for _, s := range []string{"closes the pending change of beta-dashboard (OFF since", "The pending change of beta-dashboard is closed"} {
		if !strings.Contains(g.stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, g.stdout)
		}
	}
	if n := pendingCount(t, h); n != 0 {
		t.Errorf("%d pending after the change in LaunchDarkly; want the kill closed", n)
	}
	// The kill wrote version base+1, as LaunchDarkly's patch did: a connected Relay skips
	// LaunchDarkly's change as not newer, so the hosts must get LaunchDarkly's state here.
	ldOn, ldV, _ := ld.FlagState("web-store", "staging", key)
	for _, s := range []*redistest.Server{a, b} {
		if on, v := stored(t, s, "ld:web-store:staging", key); on != ldOn || v != ldV {
			t.Errorf("%s holds on=%v v%d; want LaunchDarkly's on=%v v%d", s.Addr, on, v, ldOn, ldV)
		}
	}
	r := h.ok("replay", "--yes", "--json")
	if ld.PatchCount() != 1 {
		t.Errorf("%d patches; want only the change in LaunchDarkly, nothing replayed over it:\n%s", ld.PatchCount(), r.stdout)
	}
}

// A host that keeps the closed change's state (down during the write) makes the command
// exit 3 and say what mends it; a host a Relay rewrote since is left, not failed.
func TestUpdateInLaunchDarklySaysAHostKeptTheChange(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	ld := newLD(t)
	ld.SetUnreachable(true)
	useLD(h, ld)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--yes")
	ld.SetUnreachable(false)
	raw := a.Client().HGet(context.Background(), prefix+":features", key).Val()
	_, v := stored(t, a, prefix, key)
	a.Client().HSet(context.Background(), prefix+":features", key, strings.Replace(raw, fmt.Sprintf(`"version":%d`, v), `"version":99`, 1))
	b.Stop()

	g := h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "on", "--yes", "--in-launchdarkly", "--json")
	wantCode(t, g, ExitPartial, "still holds the closed change's state in Redis", "restart its Relay")
	out := decode[inLDJSON](t, g.stdout)
	if !slices.Equal(out.LeftHosts, []string{a.Addr}) || !slices.Equal(out.FailedHosts, []string{b.Addr}) {
		t.Errorf("left %v, failed %v; want %s left and %s failed", out.LeftHosts, out.FailedHosts, a.Addr, b.Addr)
	}
}
