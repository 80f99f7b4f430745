package cli

import (
	"os"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/redistest"
	"relaycommander/journal"
	"relaycommander/tui/cli/config"
)

type updateOut struct {
	Change       *journal.Change  `json:"change"`
	NothingToDo  bool             `json:"nothingToDo"`
	Hosts        []hostResultJSON `json:"hosts"`
	FailedHosts  []string         `json:"failedHosts"`
	UnknownHosts []string         `json:"unknownHosts"`
	Journal      string           `json:"journal"`
}

func TestUpdateWritesEveryHostAndTheJournal(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	on0, v0 := stored(t, a, prefix, key)
	if !on0 {
		t.Fatalf("fixture changed: %s is off", key)
	}

	g := h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--reason", "checkout 500s", "--yes", "--json")
	u := decode[updateOut](t, g.stdout)
	if u.Change == nil || u.NothingToDo {
		t.Fatalf("update --json: %+v", u)
	}
	if u.Change.Flag != key || u.Change.Prefix != prefix || u.Change.Before != true || u.Change.After != false ||
		u.Change.BaseVersion == nil || *u.Change.BaseVersion != v0 || u.Change.Operator != "os-user" || u.Change.Reason != "checkout 500s" ||
		u.Change.ID == "" || len(u.FailedHosts) != 0 || u.Journal != h.journal {
		t.Errorf("update --json: %+v", u)
	}
	if len(u.Hosts) != 2 {
		t.Fatalf("hosts: %+v", u.Hosts)
	}
	for i, s := range []*redistest.Server{a, b} {
		on, v := stored(t, s, prefix, key)
		if on || v != v0+1 {
			t.Errorf("host %s: on=%v v%d, want off v%d", s.Addr, on, v, v0+1)
		}
		if u.Hosts[i].Outcome != "written" || u.Hosts[i].NewVersion != v0+1 {
			t.Errorf("host result %+v", u.Hosts[i])
		}
	}
	for _, s := range []string{"Relay", "within its localTtl (30s)", "relay.local_ttl (30s, from default)", "Relay restarts", "relaycommander replay", "relaycommander replay --wait"} {
		if !strings.Contains(g.stderr, s) {
			t.Errorf("the note on how the change reaches Relay lacks %q:\n%s", s, g.stderr)
		}
	}

	// The journal has it.
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 1 || q.Pending[0].Flag != key || q.Pending[0].Desired || !q.Pending[0].BaseOn ||
		len(q.Pending[0].Changes) != 1 || q.Pending[0].Changes[0].ID != u.Change.ID || len(q.Pending[0].Changes[0].Hosts) != 2 {
		t.Errorf("queue: %+v", q)
	}
	if g := h.ok("queue"); !strings.Contains(g.stdout, "web-store/staging") || !strings.Contains(g.stdout, key) {
		t.Errorf("queue:\n%s", g.stdout)
	}

	// The alias of the original, and text output; the same state again is a no-op.
	g = h.ok("update-redis", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--yes")
	if !strings.Contains(g.stdout, "already OFF on every host") {
		t.Errorf("no-op:\n%s", g.stdout)
	}
	g = h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--yes", "--json")
	if u := decode[updateOut](t, g.stdout); u.Change != nil || !u.NothingToDo {
		t.Errorf("no-op --json: %+v", u)
	}
	if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending[0].Changes) != 1 {
		t.Errorf("a no-op was journaled: %+v", q.Pending[0].Changes)
	}
}

func TestUpdateConfirmation(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	const key = "use-fallback-cdn"
	args := []string{"update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off"}
	_, v0 := stored(t, a, "ld:web-store:staging", key)
	unchanged := func() {
		t.Helper()
		if on, v := stored(t, a, "ld:web-store:staging", key); !on || v != v0 {
			t.Fatalf("written without confirmation: on=%v v%d", on, v)
		}
		if _, err := os.Stat(h.journal); err == nil {
			if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 0 {
				t.Fatalf("journaled without confirmation: %+v", q.Pending)
			}
		}
	}

	// Not a terminal and no --yes: refused.
	wantCode(t, h.run("y\n", false, args...), ExitUsage, "--yes", "nothing was changed")
	unchanged()
	// A terminal, answered no, or nothing.
	wantCode(t, h.run("n\n", true, args...), ExitError, "not confirmed")
	unchanged()
	wantCode(t, h.run("", true, args...), ExitError, "not confirmed")
	unchanged()
	// Yes.
	g := h.run("y\n", true, args...)
	wantCode(t, g, ExitOK, "[y/N]")
	if on, v := stored(t, a, "ld:web-store:staging", key); on || v != v0+1 {
		t.Errorf("after yes: on=%v v%d", on, v)
	}

	// A protected environment (production by default) needs the flag key typed.
	pargs := []string{"update", "-p", "web-store", "-e", "production", "-f", key, "-s", "on"}
	_, pv := stored(t, a, "ld:web-store:production", key)
	wantCode(t, h.run("y\n", true, pargs...), ExitError, "Type "+key+" to confirm")
	if on, _ := stored(t, a, "ld:web-store:production", key); on {
		t.Fatalf("protected environment written after a mere y")
	}
	wantCode(t, h.run(key+"\n", true, pargs...), ExitOK)
	if on, v := stored(t, a, "ld:web-store:production", key); !on || v != pv+1 {
		t.Errorf("protected after typing the key: on=%v v%d", on, v)
	}

	// An unmapped prefix may be production: the key is typed there too.
	wantCode(t, h.run("y\n", true, "update", "--prefix", "launchdarkly", "-f", key, "-s", "on"), ExitError, "Type "+key)
	wantCode(t, h.run(key+"\n", true, "update", "--prefix", "launchdarkly", "-f", key, "-s", "on"), ExitOK)

	// protected_environments is configurable.
	h.env["RC_PROTECTED_ENVIRONMENTS"] = "staging,test"
	wantCode(t, h.run("y\n", true, "update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "on"), ExitError, "Type "+key)

	// An empty list protects nothing.
	h.env["RC_PROTECTED_ENVIRONMENTS"] = ""
	h.write("relaycommander.yaml", "protected_environments: []\n", 0o600)
	wantCode(t, h.run("y\n", true, "update", "-p", "web-store", "-e", "production", "-f", key, "-s", "off"), ExitOK)
	if cfg, _, err := config.Load(config.Input{Env: h.env, Dir: h.dir}); err != nil || cfg.Protected == nil || len(cfg.Protected) != 0 {
		t.Errorf("protected_environments: [] gives %#v, %v (nil would mean the UI's default)", cfg.Protected, err)
	}

	// Read-only refuses.
	wantCode(t, h.run("", false, "update", "-p", "web-store", "-e", "test", "-f", key, "-s", "on", "--yes", "--read-only"), ExitError, "read_only")
}

func TestUpdateWithOneHostDown(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	h.env["RC_REDIS_DIAL_TIMEOUT"] = "300ms"
	h.env["RC_REDIS_COMMAND_TIMEOUT"] = "300ms"
	const prefix, key = "ld:payments:staging", "kill-switch-search"
	on0, v0 := stored(t, a, prefix, key)
	b.Stop()
	g := h.run("", false, "update", "-p", "payments", "-e", "staging", "-f", key, "-s", onOffArg(!on0), "--yes", "--json")
	wantCode(t, g, ExitPartial, "1 of 2 hosts failed", b.Addr)
	u := decode[updateOut](t, g.stdout)
	if len(u.FailedHosts) != 1 || u.FailedHosts[0] != b.Addr || u.Hosts[0].Outcome != "written" || u.Hosts[1].Outcome != "failed" || u.Hosts[1].Error == "" {
		t.Errorf("one host down: %+v", u)
	}
	if on, v := stored(t, a, prefix, key); on == on0 || v != v0+1 {
		t.Errorf("the reachable host was not written: on=%v v%d", on, v)
	}
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 1 || len(q.Pending[0].Changes[0].Hosts) != 2 {
		t.Errorf("journal after a partial write: %+v", q)
	}
}

func onOffArg(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func TestUpdateUnknownFlagAndTombstone(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	wantCode(t, h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", "no-such-flag", "-s", "on", "--yes"), ExitError, "no-such-flag", "nothing was changed")
	wantCode(t, h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", "removed-experiment", "-s", "on", "--yes"), ExitError, "removed-experiment", "nothing was changed")
	if _, err := os.Stat(h.journal); err == nil {
		if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 0 {
			t.Errorf("journaled a refused change: %+v", q.Pending)
		}
	}
}

// A write whose reply was lost after EXEC was sent is "outcome unknown", never FAILED, and not
// offered for retry; reading the host back settles it at once when the write is there
// (issue 11, item 1).
func TestUpdateLostReplyIsOutcomeUnknown(t *testing.T) {
	h := newHarness(t)
	a, b := redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	pa, pb := redistest.StartProxy(t, a.Addr, 0), redistest.StartProxy(t, b.Addr, 0)
	h.env["RC_REDIS_HOSTS"] = "relay-a=" + pa.Addr + ",relay-b=" + pb.Addr
	h.write("relaycommander.yaml", "redis:\n  hosts:\n    - name: relay-a\n      addr: "+pa.Addr+"\n    - name: relay-b\n      addr: "+pb.Addr+
		"\n  command_timeout: 200ms\n", 0o600)
	delete(h.env, "RC_REDIS_HOSTS")
	const prefix, key = "ld:web-store:production", "kill-switch-checkout" // ON v3
	pa.HoldReply("exec", 500*time.Millisecond)
	pb.HoldReply("exec", 500*time.Millisecond)
	g := h.run("", false, "update", "-p", "web-store", "-e", "production", "-f", key, "-s", "off", "--yes", "--reason", "lost replies")
	wantCode(t, g, ExitOK)
	if strings.Contains(g.stdout, "FAILED") || strings.Count(g.stdout, "outcome unknown") != 2 ||
		!strings.Contains(g.stdout, "(the reply was lost after the write was sent; read back from Redis: it landed: the host holds OFF v4)") {
		t.Errorf("update with lost replies:\n%s", g.stdout)
	}
	for _, s := range []*redistest.Server{a, b} {
		if on, v := stored(t, s, prefix, key); on || v != 4 {
			t.Fatalf("%s: on=%v v%d, want off v4", s.Addr, on, v)
		}
	}
	pa.HoldReply("exec", 0)
	pb.HoldReply("exec", 0)
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 1 || q.Pending[0].Desired {
		t.Fatalf("queue: %+v", q)
	}

	// relay-b also loses the read-back: still unknown there, exit 3, named, not offered for retry.
	pb.HoldReply("exec", 500*time.Millisecond)
	pb.HoldReply("hgetall", 500*time.Millisecond)
	g = h.run("", false, "update", "-p", "web-store", "-e", "production", "-f", key, "-s", "on", "--yes", "--json")
	wantCode(t, g, ExitPartial, "outcome unknown on relay-b", "not counted as failed", "relaycommander queue")
	if strings.Contains(g.stderr, "FAILED") || strings.Contains(g.stderr, "Run the same command again") ||
		!strings.Contains(g.stderr, "relay-b  outcome unknown  (the reply was lost after the write was sent; read back from Redis: not confirmed yet") {
		t.Errorf("update with relay-b unknown:\n%s", g.stderr)
	}
	u := decode[updateOut](t, g.stdout)
	if len(u.FailedHosts) != 0 || len(u.UnknownHosts) != 1 || u.UnknownHosts[0] != "relay-b" || u.Hosts[1].Outcome != "unknown" || u.Hosts[0].Outcome != "written" {
		t.Errorf("update --json: %+v", u)
	}
}

// What to do about a flag that cannot be written: unreadable JSON names each host's reason; a
// hash of another application, a version that cannot be raised and a key that is no hash each
// say why and what to do, and nothing is offered for retry (issue 11, item 10).
func TestUpdateRefusalsSayWhatToDo(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	ctx := t.Context()
	for _, s := range []*redistest.Server{a, b} {
		c := s.Client()
		c.HSet(ctx, "app2:features", "x", `{"on":true,"owner":"team-x"}`)
		c.Set(ctx, "str:features", "not a hash", 0)
		c.HSet(ctx, "big:features", "x", `{"key":"x","on":true,"variations":[true,false],"version":9007199254740991}`)
	}
	a.Client().HSet(ctx, "bad:features", "x", `{"key":"x","on":tru`)
	b.Client().HSet(ctx, "bad:features", "x", `{"key":"x","on":5}`)
	cases := []struct {
		prefix string
		code   int
		want   []string
	}{
		{"app2", ExitPartial, []string{"nothing was written", "not a flag as Relay stores it", "may belong to another application", "check the prefix"}},
		{"big", ExitPartial, []string{"nothing was written", "version", "change this flag in LaunchDarkly, not in Redis"}},
		{"str", ExitError, []string{"not a hash as Relay stores its flags", "str:features is not a Relay store", "check the prefix"}},
		{"bad", ExitError, []string{"unreadable", `want true, found "tru"`, `"on" is 5, not a JSON boolean`, "nothing was changed"}},
	}
	for _, c := range cases {
		g := h.run("", false, "update", "--prefix", c.prefix, "-f", "x", "-s", "off", "--yes")
		wantCode(t, g, c.code, c.want...)
		if strings.Contains(g.stderr, "Run the same command again") || strings.Contains(g.stdout, "Next: once LaunchDarkly is back") {
			t.Errorf("%s: offers a retry or a replay of what wrote nothing:\n%s\n%s", c.prefix, g.stdout, g.stderr)
		}
	}
}

// What update prints fits 80 columns, but for a word longer than a line (a path): the
// plan's notes, the no-op, the result and what comes next, on a prompt and with --yes.
func TestUpdateOutputFits80Columns(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	h.env["RC_PROTECTED_ENVIRONMENTS"] = ""
	for _, run := range []struct {
		stdin string
		tty   bool
		args  []string
	}{
		{"", false, []string{"update", "-p", "web-store", "-e", "staging", "-f", "kill-switch-checkout", "-s", "off", "--yes"}},
		{"", false, []string{"update", "-p", "web-store", "-e", "staging", "-f", "kill-switch-checkout", "-s", "off", "--yes"}},
		{"y\n", true, []string{"update", "-p", "web-store", "-e", "test", "-f", "kill-switch-checkout", "-s", "off"}},
		{"y\n", true, []string{"update", "-p", "web-store", "-e", "test", "-f", "checkout-flow", "-s", "on"}},
		{"", false, []string{"update", "--prefix", "launchdarkly", "-f", "maintenance-banner", "-s", "off", "--yes"}},
	} {
		g := h.run(run.stdin, run.tty, run.args...)
		wantCode(t, g, ExitOK)
		for _, l := range strings.Split(g.stdout, "\n") {
			if len(l) > 80 && strings.Contains(strings.TrimSpace(l), " ") {
				t.Errorf("relaycommander %s: a line of %d columns:\n%s", strings.Join(run.args, " "), len(l), l)
			}
		}
	}
}

// With a host down and the flag already in the state asked for on the others, the plan
// says so instead of "OFF -> OFF": the down host is what the write is for.
func TestUpdateAlreadySoWhereHostsAnswered(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	h.env["RC_REDIS_DIAL_TIMEOUT"] = "300ms"
	h.env["RC_REDIS_COMMAND_TIMEOUT"] = "300ms"
	const prefix, key = "ld:payments:staging", "kill-switch-search"
	on0, _ := stored(t, a, prefix, key)
	b.Stop()
	g := h.run("", false, "update", "-p", "payments", "-e", "staging", "-f", key, "-s", onOffArg(on0), "--yes")
	wantCode(t, g, ExitPartial)
	state := strings.ToUpper(onOffArg(on0))
	words := strings.Join(strings.Fields(g.stdout), " ")
	if strings.Contains(words, state+" -> "+state) ||
		!strings.Contains(words, "Flag "+key+" in payments/staging (prefix "+prefix+"): already "+state+" on "+a.Addr+"; set "+state+" on every host") {
		t.Errorf("the plan:\n%s", g.stdout)
	}
}

// With a host down, update's FAILED row names the host once and fits 80 columns, and the exit
// message says what is true: which hosts have the state (written now, or already so), which
// did not get it, and the command that retries it. "The hosts now disagree" was said even
// when the answering host already had the state.
func TestUpdateOneHostDownSaysWhatIsTrue(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	h.env["RC_REDIS_DIAL_TIMEOUT"] = "300ms"
	h.env["RC_REDIS_COMMAND_TIMEOUT"] = "300ms"
	const prefix, key = "ld:payments:staging", "kill-switch-search"
	on0, _ := stored(t, a, prefix, key)
	state := onOffArg(!on0)
	b.Stop()
	retry := "When " + b.Addr + " is back, run it again (the hosts that have it report unchanged): relaycommander update -p payments -e staging -f " + key + " -s " + state
	for _, c := range []struct{ run, how string }{{"first", "written now"}, {"again", "already so"}} {
		g := h.run("", false, "update", "-p", "payments", "-e", "staging", "-f", key, "-s", state, "--yes")
		wantCode(t, g, ExitPartial, "1 of 2 hosts failed ("+b.Addr+"): "+a.Addr+" has "+strings.ToUpper(state)+" ("+c.how+"); "+b.Addr+" did not get it", retry)
		if strings.Contains(g.stderr, "disagree") {
			t.Errorf("%s run: says the hosts disagree:\n%s", c.run, g.stderr)
		}
		failedRow := false
		for _, l := range strings.Split(g.stdout, "\n") {
			if len(l) > 80 && strings.Contains(strings.TrimSpace(l), " ") {
				t.Errorf("%s run: a line of %d columns:\n%s", c.run, len(l), l)
			}
			if strings.Contains(l, "FAILED") {
				failedRow = true
				if n := strings.Count(l, b.Addr); n != 1 {
					t.Errorf("%s run: the FAILED row names the host %d times:\n%s", c.run, n, l)
				}
			}
		}
		if !failedRow || !strings.Contains(g.stdout, "connection refused") {
			t.Errorf("%s run: no FAILED row with its error:\n%s", c.run, g.stdout)
		}
	}
}

// With a change of the flag pending in the journal, update says so before asking, in the
// UI confirmation's words (journal.Pending.ToggleNote): since when and by whom, what
// LaunchDarkly has, and what the replay sends after this toggle, or that it cancels it out.
func TestUpdateSaysTheFlagsPendingChange(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	on0, v0 := stored(t, a, prefix, key)
	if !on0 {
		t.Fatalf("fixture changed: %s is off", key)
	}
	args := []string{"update", "-p", "web-store", "-e", "staging", "-f", key}
	g := h.run("y\n", true, append(args, "-s", "off")...)
	wantCode(t, g, ExitOK)
	if strings.Contains(g.stdout, "pending") {
		t.Errorf("nothing was pending, yet:\n%s", g.stdout)
	}
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 1 || len(q.Pending[0].Changes) != 1 {
		t.Fatalf("queue: %+v", q)
	}
	since := tsprintf("pending OFF since %s by os-user; LaunchDarkly has ON v%d", q.Pending[0].Changes[0].Time.Local().Format("15:04"), v0)

	// Back on: the toggle nets the pending change out. Said before the question.
	g = h.run("n\n", true, append(args, "-s", "on")...)
	wantCode(t, g, ExitError, "not confirmed")
	plan := strings.Join(strings.Fields(g.stdout), " ")
	if !strings.Contains(plan, "In the journal: "+since+" this toggle cancels it out: LaunchDarkly keeps ON") {
		t.Errorf("update back on with a change pending:\n%s", g.stdout)
	}

	// Set by hand to ON on one host (a Relay re-sync, say), then off again: the replay sends OFF.
	if err := a.Client().HSet(t.Context(), prefix+":features", key, strings.Replace(hget(t, a, prefix, key), `"on":false`, `"on":true`, 1)).Err(); err != nil {
		t.Fatal(err)
	}
	g = h.run("", false, append(args, "-s", "off", "--yes")...)
	wantCode(t, g, ExitOK)
	if plan := strings.Join(strings.Fields(g.stdout), " "); !strings.Contains(plan, since+" after this toggle the replay sends OFF") {
		t.Errorf("update off again with a change pending:\n%s", g.stdout)
	}
}

func hget(t *testing.T, s *redistest.Server, prefix, key string) string {
	t.Helper()
	raw, err := s.Client().HGet(t.Context(), prefix+":features", key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
