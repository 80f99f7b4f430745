package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"relaycommander/flags/redistest"
	"relaycommander/journal"
)

type discardOut struct {
	Discarded    journal.ReplayEvent `json:"discarded"`
	Restored     bool                `json:"restored"`
	Hosts        []hostResultJSON    `json:"hosts"`
	FailedHosts  []string            `json:"failedHosts"`
	UnknownHosts []string            `json:"unknownHosts"`
	LeftHosts    []string            `json:"leftHosts"`
	Journal      string              `json:"journal"`
}

// pendingCount is how many flags the queue lists as pending.
func pendingCount(t *testing.T, h *harness) int {
	t.Helper()
	return len(decode[queueOut](t, h.ok("queue", "--json").stdout).Pending)
}

// wantStored fails unless the flag has that state and version on every server.
func wantStored(t *testing.T, prefix, key string, on bool, version int, servers ...*redistest.Server) {
	t.Helper()
	for _, s := range servers {
		if gotOn, gotV := stored(t, s, prefix, key); gotOn != on || gotV != version {
			t.Errorf("%s on %s: on=%v v%d, want on=%v v%d", key, s.Addr, gotOn, gotV, on, version)
		}
	}
}

func TestDiscardWithoutRestoreLeavesRedisAlone(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	_, v0 := stored(t, a, prefix, key)
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--yes")
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "use-fallback-cdn", "-s", "off", "--yes")

	g := h.ok("discard", "-p", "web-store", "-e", "staging", "-f", key, "--reason", "wrong flag", "--yes", "--json")
	d := decode[discardOut](t, g.stdout)
	if d.Discarded.Kind != journal.ReplayDiscarded || d.Discarded.Flag != key || d.Discarded.Prefix != prefix ||
		d.Discarded.By != "os-user" || d.Discarded.Why != "wrong flag" || len(d.Discarded.ChangeIDs) != 1 ||
		d.Restored || len(d.Hosts) != 0 || len(d.FailedHosts) != 0 || d.Journal != h.journal {
		t.Errorf("discard --json: %+v", d)
	}
	if !strings.Contains(g.stderr, "will not be replayed") || !strings.Contains(g.stderr, "Redis is left as it is") {
		t.Errorf("discard's plan on stderr:\n%s", g.stderr)
	}
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 1 || q.Pending[0].Flag != "use-fallback-cdn" {
		t.Errorf("queue after the discard: %+v", q.Pending)
	}
	wantStored(t, prefix, key, false, v0+1, a, b)

	// Text output; then the queue is empty.
	g = h.ok("discard", "-p", "web-store", "-e", "staging", "-f", "use-fallback-cdn", "--yes")
	if !strings.Contains(strings.Join(strings.Fields(g.stdout), " "), "Discarded use-fallback-cdn in web-store/staging (prefix ld:web-store:staging): it will not be replayed") {
		t.Errorf("discard:\n%s", g.stdout)
	}
	if n := pendingCount(t, h); n != 0 {
		t.Errorf("%d pending after discarding everything", n)
	}
}

func TestDiscardRestoreWritesTheBaseStateBack(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	on0, v0 := stored(t, a, prefix, key)
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", onOffArg(!on0), "--yes")

	g := h.ok("discard", "-p", "web-store", "-e", "staging", "-f", key, "--restore", "--yes", "--json")
	d := decode[discardOut](t, g.stdout)
	if !d.Restored || len(d.Hosts) != 2 || len(d.FailedHosts) != 0 || !strings.Contains(d.Discarded.Why, "restored") {
		t.Fatalf("discard --restore --json: %+v", d)
	}
	for i, s := range []*redistest.Server{a, b} {
		if d.Hosts[i].Host != s.Addr || d.Hosts[i].Outcome != "written" || d.Hosts[i].NewVersion != v0 {
			t.Errorf("host result %+v", d.Hosts[i])
		}
	}
	// back to the version before the change, which LaunchDarkly still has (not old+1)
	wantStored(t, prefix, key, on0, v0, a, b)
	for _, s := range []string{"now " + onOffWord(!on0), "written", "within its localTtl (30s)", "relay.local_ttl"} {
		if !strings.Contains(g.stderr, s) {
			t.Errorf("discard --restore's output lacks %q:\n%s", s, g.stderr)
		}
	}
	if n := pendingCount(t, h); n != 0 {
		t.Errorf("%d pending after the discard", n)
	}
}

func TestDiscardRestoreWithAHostDown(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	h.env["RC_REDIS_DIAL_TIMEOUT"] = "300ms"
	h.env["RC_REDIS_COMMAND_TIMEOUT"] = "300ms"
	const prefix, key = "ld:payments:staging", "kill-switch-search"
	on0, v0 := stored(t, a, prefix, key)
	h.ok("update", "-p", "payments", "-e", "staging", "-f", key, "-s", onOffArg(!on0), "--yes")
	b.Stop()

	g := h.run("", false, "discard", "-p", "payments", "-e", "staging", "-f", key, "--restore", "--yes")
	wantCode(t, g, ExitPartial, "1 of 2 hosts failed", b.Addr, "The discard stands",
		"relaycommander update -p payments -e staging -f "+key+" -s "+onOffArg(on0))
	if !strings.Contains(g.stdout, "FAILED") {
		t.Errorf("no failed host in:\n%s", g.stdout)
	}
	wantStored(t, prefix, key, on0, v0, a)
	if n := pendingCount(t, h); n != 0 {
		t.Errorf("%d pending: the discard does not stand", n)
	}
}

func TestDiscardConfirmation(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	const prefix, key = "ld:web-store:production", "use-fallback-cdn"
	on0, v0 := stored(t, a, prefix, key)
	h.ok("update", "-p", "web-store", "-e", "production", "-f", key, "-s", onOffArg(!on0), "--yes")
	args := []string{"discard", "-p", "web-store", "-e", "production", "-f", key, "--restore"}
	unchanged := func() {
		t.Helper()
		if n := pendingCount(t, h); n != 1 {
			t.Fatalf("%d pending: discarded without confirmation", n)
		}
		wantStored(t, prefix, key, !on0, v0+1, a, b)
	}

	// Not a terminal and no --yes: refused.
	wantCode(t, h.run(key+"\n", false, args...), ExitUsage, "--yes", "nothing was changed")
	unchanged()
	// A restore writes Redis in production: the key is typed, a y is not enough.
	wantCode(t, h.run("y\n", true, args...), ExitError, "Type "+key+" to confirm", "not confirmed")
	unchanged()
	wantCode(t, h.run("", true, args...), ExitError, "not confirmed")
	unchanged()
	wantCode(t, h.run(key+"\n", true, args...), ExitOK)
	wantStored(t, prefix, key, on0, v0, a, b)
	if n := pendingCount(t, h); n != 0 {
		t.Errorf("%d pending after the confirmed discard", n)
	}

	// Without --restore nothing writes Redis: y/N, even in production.
	h.ok("update", "-p", "web-store", "-e", "production", "-f", key, "-s", onOffArg(!on0), "--yes")
	plain := []string{"discard", "-p", "web-store", "-e", "production", "-f", key}
	wantCode(t, h.run("n\n", true, plain...), ExitError, "[y/N]", "not confirmed")
	if n := pendingCount(t, h); n != 1 {
		t.Fatalf("%d pending after no", n)
	}
	g := h.run("y\n", true, plain...)
	wantCode(t, g, ExitOK, "[y/N]")
	if strings.Contains(g.stderr, "Type ") {
		t.Errorf("a discard that leaves Redis alone asked for the key:\n%s", g.stderr)
	}

	// An unmapped prefix may be production: a restore there is confirmed by the key too.
	onLD, _ := stored(t, a, "launchdarkly", key)
	h.ok("update", "--prefix", "launchdarkly", "-f", key, "-s", onOffArg(!onLD), "--yes")
	wantCode(t, h.run("y\n", true, "discard", "--prefix", "launchdarkly", "-f", key, "--restore"), ExitError, "Type "+key)
	wantCode(t, h.run(key+"\n", true, "discard", "--prefix", "launchdarkly", "-f", key, "--restore"), ExitOK)
}

func TestDiscardNothingPending(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	wantCode(t, h.run("", false, "discard", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "--yes"), ExitError,
		"nothing pending for flag beta-dashboard in web-store/staging", "relaycommander queue")
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "off", "--yes")
	// The same flag elsewhere is not it.
	wantCode(t, h.run("", false, "discard", "-p", "web-store", "-e", "test", "-f", "beta-dashboard", "--yes"), ExitError,
		"nothing pending for flag beta-dashboard in web-store/test")
	wantCode(t, h.run("", false, "discard", "--prefix", "launchdarkly", "-f", "beta-dashboard", "--yes"), ExitError,
		"nothing pending for flag beta-dashboard in prefix launchdarkly")
	// Discarded once, it is not pending any more.
	h.ok("discard", "--prefix", "ld:web-store:staging", "-f", "beta-dashboard", "--yes")
	wantCode(t, h.run("", false, "discard", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "--yes"), ExitError, "nothing pending")

	// Usage errors.
	wantCode(t, h.run("", false, "discard", "-p", "web-store", "-e", "staging"), ExitUsage, "-f FLAG")
	wantCode(t, h.run("", false, "discard", "-p", "web-store", "-f", "beta-dashboard"), ExitUsage, "-p PROJECT -e ENVIRONMENT")
	wantCode(t, h.run("", false, "discard", "-f", "beta-dashboard"), ExitUsage, "--prefix PREFIX")
}

// A pending change that moved on between reading and discarding it (a newer toggle joined
// it) is not discarded: the operator looks at the queue again.
func TestDiscardRefusesAPendingChangeThatMoved(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--yes")
	j, err := journal.Open(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := j.Pending()
	j.Close()
	if err != nil || len(ps) != 1 {
		t.Fatalf("pending: %+v, %v", ps, err)
	}
	stale := ps[0]
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "on", "--yes")

	var stdout, stderr strings.Builder
	app := &app{sys: &System{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Env: h.env, Dir: h.dir,
		Operator: func() string { return "os-user" }}}
	newRootCmd(app) // the global flags the configuration reads
	defer app.close()
	if _, err := app.config(); err != nil {
		t.Fatal(err)
	}
	j, err = app.openJournal()
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.openStore()
	if err != nil {
		t.Fatal(err)
	}
	_, v := stored(t, a, prefix, key)
	err = discard(context.Background(), &discardOptions{app: app, flag: key, restore: true, yes: true}, j, st, stale)
	if err == nil || !strings.Contains(err.Error(), "moved on") || !strings.Contains(err.Error(), "relaycommander queue again") ||
		!strings.Contains(err.Error(), "nothing was discarded") {
		t.Errorf("discarding a stale pending change: %v", err)
	}
	if n := pendingCount(t, h); n != 1 {
		t.Errorf("%d pending after the refused discard, want 1", n)
	}
	if on, v2 := stored(t, a, prefix, key); !on || v2 != v {
		t.Errorf("the refused discard restored Redis: on=%v v%d (was on v%d)", on, v2, v)
	}
}

// The walkthrough's case: kill, discard it with --restore, kill again, replay. The restore
// put Redis back at the version LaunchDarkly has, so the second kill's base is LaunchDarkly's
// and the replay applies it: no false "LaunchDarkly's version is lower than recorded".
func TestKillAfterARestoredDiscardReplaysWithoutAConflict(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	on0, v0 := stored(t, a, prefix, key)
	flip := []string{"update", "-p", "web-store", "-e", "staging", "-f", key, "-s", onOffArg(!on0), "--yes"}
	h.ok(flip...)
	h.ok("discard", "-p", "web-store", "-e", "staging", "-f", key, "--restore", "--yes")
	wantStored(t, prefix, key, on0, v0, a, b)
	h.ok(flip...)

	g := h.run("", false, "replay", "--yes", "--json")
	res := decode[replayOut](t, g.stdout)
	if g.code != 0 || res.Counts == nil || res.Counts.Applied != 1 || res.Counts.Conflicts != 0 {
		t.Fatalf("replay after a restored discard: exit %d, counts %+v\n%s", g.code, res.Counts, g.stderr)
	}
	if fake.PatchCount() != 1 {
		t.Errorf("%d patches, want the one kill", fake.PatchCount())
	}
}

// discard --restore --json reports its write to Redis with the same fields as update --json:
// a script reads both alike.
func TestDiscardRestoreJSONReportsTheWriteAsUpdateDoes(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	target := []string{"-p", "web-store", "-e", "staging", "-f", "beta-dashboard"}
	update := decode[map[string]json.RawMessage](t, h.ok(append([]string{"update", "-s", "off", "--yes", "--json"}, target...)...).stdout)
	discard := decode[map[string]json.RawMessage](t, h.ok(append([]string{"discard", "--restore", "--yes", "--json"}, target...)...).stdout)
	for _, k := range []string{"hosts", "failedHosts", "unknownHosts", "journal"} {
		if _, ok := update[k]; !ok {
			t.Fatalf("update --json has no %s: the test's list is stale", k)
		}
		if _, ok := discard[k]; !ok {
			t.Errorf("discard --restore --json has no %s, which update --json has", k)
		}
	}
	if string(discard["unknownHosts"]) != "[]" {
		t.Errorf("unknownHosts: %s, want []", discard["unknownHosts"])
	}
}

// What discard prints fits 80 columns, but for a word longer than a line (a path), with and
// without --restore.
func TestDiscardOutputFits80Columns(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	target := []string{"-p", "web-store", "-e", "staging", "-f", "beta-dashboard"}
	for _, restore := range []bool{false, true} {
		state := "off" // then left off by the discard
		if restore {
			state = "on"
		}
		h.ok(append([]string{"update", "-s", state, "--yes"}, target...)...)
		args := append([]string{"discard", "--yes"}, target...)
		if restore {
			args = append(args, "--restore")
		}
		for _, l := range strings.Split(h.ok(args...).stdout, "\n") {
			if len(l) > 80 && strings.Contains(strings.TrimSpace(l), " ") {
				t.Errorf("relaycommander %s: a line of %d columns:\n%s", strings.Join(args, " "), len(l), l)
			}
		}
	}
}

// A host a Relay rewrote since the change is left, said so, and is no failure: the advice
// to write the base state there by hand would undo LaunchDarkly's newer state.
func TestDiscardRestoreLeavesAHostARelayRewrote(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	on0, v0 := stored(t, a, prefix, key)
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", onOffArg(!on0), "--yes")
	raw := b.Client().HGet(context.Background(), prefix+":features", key).Val()
	newer := strings.Replace(raw, fmt.Sprintf(`"version":%d`, v0+1), fmt.Sprintf(`"version":%d`, v0+5), 1)
	b.Client().HSet(context.Background(), prefix+":features", key, newer)

	g := h.ok("discard", "-p", "web-store", "-e", "staging", "-f", key, "--restore", "--yes", "--json")
	d := decode[discardOut](t, g.stdout)
	if len(d.FailedHosts) != 0 || !slices.Equal(d.LeftHosts, []string{b.Addr}) {
		t.Errorf("failed %v, left %v; want none failed, %s left", d.FailedHosts, d.LeftHosts, b.Addr)
	}
	if !strings.Contains(g.stderr, "left as it is: a Relay wrote v"+fmt.Sprint(v0+5)) || strings.Contains(g.stderr, "To set them now") {
		t.Errorf("output:\n%s", g.stderr)
	}
	wantStored(t, prefix, key, on0, v0, a)
	wantStored(t, prefix, key, !on0, v0+5, b)
}
