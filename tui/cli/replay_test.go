package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/redistest"
	"relaycommander/journal"
	"relaycommander/ldsync/ldfake"
)

type replayOut struct {
	Journal     string       `json:"journal"`
	DryRun      bool         `json:"dryRun"`
	Items       []itemJSON   `json:"items"`
	Counts      *countsJSON  `json:"counts"`
	Undecided   int          `json:"undecidedConflicts"`
	Unsettled   int          `json:"unsettled"`
	Settled     []changeJSON `json:"settled"`
	SettleError string       `json:"settleError"`
	Settling    string       `json:"settling"`
}

type countsJSON struct {
	Applied, InSync, Conflicts, Failed, Skipped, Verified, Mismatched int
}

// withLaunchDarkly starts the fake LaunchDarkly (seeded from the same fixture as Redis) and
// points the configuration at it.
func withLaunchDarkly(t *testing.T, h *harness) *ldfake.Server {
	t.Helper()
	fake := ldfake.New()
	t.Cleanup(fake.Close)
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = fake.URL()
	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = fake.Token()
	h.env["RC_LAUNCHDARKLY_TIMEOUT"] = "2s"
	return fake
}

func itemByFlag(t *testing.T, items []itemJSON, flag string) itemJSON {
	t.Helper()
	for _, it := range items {
		if it.Flag == flag {
			return it
		}
	}
	t.Fatalf("no item for %s in %+v", flag, items)
	return itemJSON{}
}

func TestReplayAppliesToLaunchDarkly(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	h.env["RC_OPERATOR"] = "alice"

	// Three offline changes; the third is then changed in LaunchDarkly behind our back.
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "off", "--yes", "--reason", "errors up")
	h.ok("update", "-p", "payments", "-e", "test", "-f", "rate-limits", "-s", "off", "--yes")
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "use-fallback-cdn", "-s", "off", "--yes")
	fake.ChangeBehindBack("web-store", "staging", "use-fallback-cdn", true)
	_, betaV := stored(t, a, "ld:web-store:staging", "beta-dashboard")

	// Dry run: the plan, nothing sent, exit 4 for the conflict.
	g := h.run("", false, "replay", "--dry-run", "--json")
	wantCode(t, g, ExitConflicts, "conflict")
	plan := decode[replayOut](t, g.stdout)
	if !plan.DryRun || len(plan.Items) != 3 || plan.Undecided != 1 || plan.Counts != nil {
		t.Fatalf("dry run: %+v", plan)
	}
	if it := itemByFlag(t, plan.Items, "beta-dashboard"); it.Status != "ready" || it.Project != "web-store" || it.LDVersion != betaV-1 || !it.LDOn {
		t.Errorf("beta-dashboard: %+v", it)
	}
	if it := itemByFlag(t, plan.Items, "use-fallback-cdn"); it.Status != "conflict" || it.Reason == "" {
		t.Errorf("use-fallback-cdn: %+v", it)
	}
	if fake.PatchCount() != 0 {
		t.Fatalf("a dry run sent %d patches", fake.PatchCount())
	}
	// The alias of the original and the text plan.
	g = h.run("", false, "playback", "--dry-run")
	wantCode(t, g, ExitConflicts)
	if !strings.Contains(g.stdout, "web-store/staging") || !strings.Contains(g.stdout, "ready") || !strings.Contains(g.stdout, "Dry run") {
		t.Errorf("text plan:\n%s", g.stdout)
	}

	// Not a terminal, no --yes: refused, nothing sent.
	wantCode(t, h.run("", false, "replay"), ExitUsage, "--yes")
	if fake.PatchCount() != 0 {
		t.Fatalf("sent %d patches without confirmation", fake.PatchCount())
	}

	// Apply: two sent and verified, the conflict left for a decision (exit 4).
	g = h.run("", false, "replay", "--yes", "--json")
	wantCode(t, g, ExitConflicts, "--force", "relaycommander discard -p PROJECT -e ENVIRONMENT -f FLAG")
	res := decode[replayOut](t, g.stdout)
	if res.Counts == nil || res.Counts.Applied != 2 || res.Counts.Verified != 2 || res.Counts.Conflicts != 1 || res.Counts.Failed != 0 {
		t.Errorf("counts: %+v", res.Counts)
	}
	if it := itemByFlag(t, res.Items, "beta-dashboard"); it.Result != "verified" {
		t.Errorf("beta-dashboard result: %+v", it)
	}
	for _, c := range []struct{ p, e, f string }{{"web-store", "staging", "beta-dashboard"}, {"payments", "test", "rate-limits"}} {
		if on, _, ok := fake.FlagState(c.p, c.e, c.f); !ok || on {
			t.Errorf("%s/%s/%s still on in LaunchDarkly", c.p, c.e, c.f)
		}
	}
	if on, _, _ := fake.FlagState("web-store", "staging", "use-fallback-cdn"); !on {
		t.Errorf("the conflicting change was overwritten without --force")
	}
	patches := fake.Patches()
	if len(patches) != 2 {
		t.Fatalf("%d patches, want 2: %+v", len(patches), patches)
	}
	for _, p := range patches {
		if !strings.Contains(p.Comment, "alice") {
			t.Errorf("comment does not name the operator: %q", p.Comment)
		}
	}
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 1 || q.Pending[0].Flag != "use-fallback-cdn" {
		t.Errorf("pending after replay: %+v", q.Pending)
	}

	// --force on a flag with no conflict is a usage error; on the conflict it overwrites.
	wantCode(t, h.run("", false, "replay", "--yes", "--force", "no-such-flag"), ExitUsage, "no-such-flag")
	g = h.run("", false, "replay", "--yes", "--force", "web-store/staging/use-fallback-cdn")
	wantCode(t, g, ExitOK)
	if !strings.Contains(g.stdout, "use-fallback-cdn") || !strings.Contains(g.stdout, "Applied 1") {
		t.Errorf("forced replay output:\n%s", g.stdout)
	}
	if on, _, _ := fake.FlagState("web-store", "staging", "use-fallback-cdn"); on {
		t.Errorf("forced change not applied")
	}
	g = h.ok("replay", "--yes")
	if !strings.Contains(g.stdout, "Nothing pending") {
		t.Errorf("replay with nothing pending:\n%s", g.stdout)
	}
	if fake.PatchCount() != 3 {
		t.Errorf("%d patches in all, want 3", fake.PatchCount())
	}
}

func TestReplayConfirmationOnATerminal(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	h.ok("update", "-p", "web-store", "-e", "test", "-f", "beta-dashboard", "-s", "off", "--yes")
	wantCode(t, h.run("n\n", true, "replay"), ExitError, "not confirmed")
	if fake.PatchCount() != 0 {
		t.Fatalf("sent after no")
	}
	g := h.run("y\n", true, "replay")
	wantCode(t, g, ExitOK, "Send 1 change to")
	if fake.PatchCount() != 1 || !strings.Contains(g.stdout, "verified") {
		t.Errorf("after yes: %d patches\n%s", fake.PatchCount(), g.stdout)
	}
}

func TestReplayPartialFailures(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	// Approvals required (405) fail one change; an unmapped prefix cannot be replayed.
	fake.RequireApprovals("payments", "production", true)
	h.ok("update", "-p", "payments", "-e", "production", "-f", "rate-limits", "-s", "off", "--yes")
	h.ok("update", "--prefix", "launchdarkly", "-f", "beta-dashboard", "-s", "off", "--yes")
	h.ok("update", "-p", "web-store", "-e", "test", "-f", "beta-dashboard", "-s", "off", "--yes")

	g := h.run("", false, "replay", "--yes", "--json")
	wantCode(t, g, ExitPartial, "failed or cannot be replayed")
	res := decode[replayOut](t, g.stdout)
	if res.Counts == nil || res.Counts.Applied != 1 || res.Counts.Failed != 1 {
		t.Errorf("counts: %+v", res.Counts)
	}
	if it := itemByFlag(t, res.Items, "rate-limits"); it.Result != "failed" || it.Error == "" {
		t.Errorf("405: %+v", it)
	}
	for _, it := range res.Items {
		if it.Prefix == "launchdarkly" && it.Status != "not replayable" {
			t.Errorf("unmapped prefix: %+v", it)
		}
	}

	// LaunchDarkly unreachable: the plan fails with where it tried.
	fake.SetUnreachable(true)
	wantCode(t, h.run("", false, "replay", "--dry-run"), ExitError, fake.URL(), "once LaunchDarkly answers",
		"LaunchDarkly does not answer (connection reset by peer at "+strings.TrimPrefix(fake.URL(), "http://")+")")
	// A token LaunchDarkly refuses: said so, and never printed.
	fake.SetUnreachable(false)
	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = "api-wrong-secret-token"
	g = h.run("", false, "replay", "--yes")
	wantCode(t, g, ExitError, "401", "valid access token", "stay pending")
	if strings.Contains(g.stdout+g.stderr, "api-wrong-secret-token") {
		t.Errorf("the token was printed:\n%s\n%s", g.stdout, g.stderr)
	}
	// No token.
	delete(h.env, "RC_LAUNCHDARKLY_API_TOKEN")
	wantCode(t, h.run("", false, "replay"), ExitError, "RC_LAUNCHDARKLY_API_TOKEN")
}

func TestReplayProgressThroughARateLimit(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	for _, f := range []string{"beta-dashboard", "checkout-flow", "rate-limits"} {
		h.ok("update", "-p", "web-store", "-e", "test", "-f", f, "-s", "off", "--yes")
	}
	fake.SetRouteLimit(1, 500*time.Millisecond)

	// Plain lines when stdout is not a terminal, waits included.
	g := h.ok("replay", "--yes")
	for _, want := range []string{"1/3 ", "2/3 ", "3/3 ", "waiting until", "verified: web-store/test/rate-limits", "Applied 3"} {
		if !strings.Contains(g.stdout, want) {
			t.Errorf("plain progress lacks %q:\n%s", want, g.stdout)
		}
	}
	if strings.Contains(g.stdout, "\r") {
		t.Errorf("a progress bar on a non-terminal:\n%q", g.stdout)
	}

	// A bar on a terminal.
	h.tty = true
	for _, f := range []string{"beta-dashboard", "checkout-flow"} {
		h.ok("update", "-p", "web-store", "-e", "test", "-f", f, "-s", "on", "--yes")
	}
	g = h.ok("replay", "--yes")
	if !strings.Contains(g.stdout, "\r\x1b[K[") || !strings.Contains(g.stdout, "] 0/2 sending") || !strings.Contains(g.stdout, "2/2 web-store/test/checkout-flow: applied") {
		t.Errorf("no progress bar on a terminal:\n%q", g.stdout)
	}
	if fake.PatchCount() != 5 {
		t.Errorf("%d patches, want 5", fake.PatchCount())
	}
}

func TestReplayClosesChangesAlreadyInSync(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)

	// Off, then on again: no net effect, so LaunchDarkly already has the desired state.
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "off", "--yes")
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "on", "--yes")
	if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 1 {
		t.Fatalf("pending before replay: %+v", q.Pending)
	}
	g := h.ok("replay", "--yes")
	if !strings.Contains(g.stdout, "already in sync") {
		t.Errorf("replay output:\n%s", g.stdout)
	}
	if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 0 {
		t.Errorf("an in-sync change stays pending after replay: %+v", q.Pending)
	}
	if fake.PatchCount() != 0 {
		t.Errorf("%d patches sent for a change LaunchDarkly already had", fake.PatchCount())
	}
}

// replay settles interrupted changes by reading Redis back before planning: a change that no
// host holds is never sent, one that the hosts hold is. A dry run records nothing, so it does
// not settle: it plans them not replayable and says how to settle (issue 11, item 3).
func TestReplaySettlesInterruptedChangesFirst(t *testing.T) {
	h := newHarness(t)
	a, b := redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	pa, pb := redistest.StartProxy(t, a.Addr, 0), redistest.StartProxy(t, b.Addr, 0)
	h.write("relaycommander.yaml", "redis:\n  hosts:\n    - name: relay-a\n      addr: "+pa.Addr+"\n    - name: relay-b\n      addr: "+pb.Addr+
		"\n  command_timeout: 200ms\n", 0o600)
	fake := withLaunchDarkly(t, h)

	// kill-switch-checkout: written on relay-a; relay-b lost the reply and the read-back.
	pb.HoldReply("exec", 500*time.Millisecond)
	pb.HoldReply("hgetall", 500*time.Millisecond)
	wantCode(t, h.run("", false, "update", "-p", "web-store", "-e", "production", "-f", "kill-switch-checkout", "-s", "off", "--yes"), ExitPartial, "outcome unknown on relay-b")
	pb.HoldReply("exec", 0)
	pb.HoldReply("hgetall", 0)
	// beta-dashboard: an update killed right after its intent; no host was written.
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	on, v := stored(t, a, prefix, key)
	j, err := journal.Open(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	killed, err := j.Begin(journal.Change{Operator: "ann", Prefix: prefix, Project: "web-store", Environment: "staging", Flag: key, Before: on, After: !on, BaseVersion: &v})
	if err != nil {
		t.Fatal(err)
	}
	j.Close() // the writer is gone

	// Dry run: nothing recorded, both unsettled, said so.
	g := h.run("", false, "replay", "--dry-run")
	wantCode(t, g, ExitPartial, "2 of them unsettled")
	for _, want := range []string{"not replayable: outcome unknown on relay-b", "not replayable: outcome unknown: its writer (pid",
		"2 not replayable, 2 of them unsettled", "run relaycommander replay without --dry-run (or relaycommander queue) to settle them"} {
		if !strings.Contains(g.stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, g.stdout)
		}
	}
	if strings.Contains(g.stdout, "settled from Redis") || fake.PatchCount() != 0 {
		t.Fatalf("a dry run settled or sent:\n%s", g.stdout)
	}

	// The replay settles first: the kill is sent, the change no host holds is not.
	g = h.run("", false, "replay", "--yes", "--json")
	wantCode(t, g, ExitOK)
	for _, want := range []string{"settled from Redis: web-store/production/kill-switch-checkout", "set OFF): written on relay-a, relay-b\n",
		"settled from Redis: web-store/staging/beta-dashboard (change " + killed.ID + ", set OFF): not on relay-a, relay-b"} {
		if !strings.Contains(g.stderr, want) {
			t.Errorf("replay lacks %q:\n%s", want, g.stderr)
		}
	}
	res := decode[replayOut](t, g.stdout)
	if len(res.Items) != 1 || res.Items[0].Flag != "kill-switch-checkout" || res.Items[0].Result != "verified" || len(res.Settled) != 2 || res.Settling != "done" {
		t.Errorf("replay --json: %+v", res)
	}
	if fake.PatchCount() != 1 {
		t.Errorf("%d patches sent, want 1 (the change no host holds is never sent)", fake.PatchCount())
	}
}

// A flag whose Redis hosts hold different changes' states is not sent; the plan says what
// each host holds and what to do.
func TestReplayDoesNotSendWhatTheHostsDisagreeOn(t *testing.T) {
	h := newHarness(t)
	a, b := redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	h.write("relaycommander.yaml", "redis:\n  hosts:\n    - name: relay-a\n      addr: "+a.Addr+"\n    - name: relay-b\n      addr: "+b.Addr+"\n", 0o600)
	fake := withLaunchDarkly(t, h)
	const prefix, key = "ld:web-store:staging", "kill-switch-checkout"
	on, v := stored(t, a, prefix, key)
	j, err := journal.Open(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := j.Begin(journal.Change{Operator: "ann", Prefix: prefix, Project: "web-store", Environment: "staging", Flag: key, Before: on, After: !on, BaseVersion: &v})
	j.Complete(c1.ID, []journal.HostOutcome{{Host: "relay-a", Outcome: "written", OldOn: on, OldVersion: v, NewVersion: v + 1},
		{Host: "relay-b", Outcome: "failed", OldOn: on, OldVersion: v, NewVersion: v, Error: "down"}})
	c2, _ := j.Begin(journal.Change{Operator: "bob", Prefix: prefix, Project: "web-store", Environment: "staging", Flag: key, Before: !on, After: on, BaseVersion: &v})
	j.Complete(c2.ID, []journal.HostOutcome{{Host: "relay-a", Outcome: "failed", OldOn: !on, OldVersion: v + 1, NewVersion: v + 1, Error: "down"},
		{Host: "relay-b", Outcome: "written", OldOn: !on, OldVersion: v, NewVersion: v + 1}})
	j.Close()
	want := fmt.Sprintf("hosts disagree: relay-a %s v%d, relay-b %s v%d; set it again or discard it", onOffWord(!on), v+1, onOffWord(on), v+1)
	for _, args := range [][]string{{"replay", "--dry-run"}, {"replay", "--yes"}} {
		g := h.run("", false, args...)
		wantCode(t, g, ExitPartial, "1 of them unsettled")
		if !strings.Contains(g.stdout, want) {
			t.Errorf("%v lacks %q:\n%s", args, want, g.stdout)
		}
	}
	if fake.PatchCount() != 0 {
		t.Errorf("%d patches sent for a flag the hosts disagree on", fake.PatchCount())
	}
}

// A token that may read but not write passes the plan and is refused on the first patch
// (403): the replay stops and says what mends it, not "run it again".
func TestReplayWithATokenThatMayNotWriteNamesTheSetting(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := ldfake.New(ldfake.WithReadOnlyToken("api-read-only-token"))
	t.Cleanup(fake.Close)
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = fake.URL()
	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = fake.Token()
	h.ok("update", "-p", "web-store", "-e", "test", "-f", "beta-dashboard", "-s", "off", "--yes")

	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = "api-read-only-token"
	g := h.run("", false, "replay", "--yes")
	wantCode(t, g, ExitError, "replay stopped", "LaunchDarkly refused the API token (403: it lacks the rights)",
		"Set RC_LAUNCHDARKLY_API_TOKEN to a token with writer rights", "then run relaycommander replay again")
	if fake.PatchCount() != 0 {
		t.Errorf("patches: %+v", fake.Patches())
	}
}
