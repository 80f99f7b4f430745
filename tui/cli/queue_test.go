package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/redistest"
	"relaycommander/journal"
)

type queueOut struct {
	Journal       string        `json:"journal"`
	Pending       []pendingJSON `json:"pending"`
	UndoneChecked bool          `json:"undoneChecked"`
	Settled       []changeJSON  `json:"settled"`
	SettleError   string        `json:"settleError"`
	Settling      string        `json:"settling"`
}

func TestQueueReadsInterruptedChangesBackFromRedis(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	on, v := stored(t, a, prefix, key)
	// What a writer killed after its intent and before any Redis write leaves behind.
	j, err := journal.Open(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(journal.Change{Time: time.Now().Add(-5 * time.Minute), Operator: "ann", Prefix: prefix,
		Project: "web-store", Environment: "staging", Flag: key, Before: on, After: !on, BaseVersion: &v}); err != nil {
		t.Fatal(err)
	}
	j.Close()

	g := h.ok("queue", "--json")
	if !strings.Contains(g.stderr, "settled from Redis: web-store/staging/beta-dashboard") || !strings.Contains(g.stderr, "not on 127.0.0.1:") {
		t.Errorf("stderr does not say the change was read back:\n%s", g.stderr)
	}
	// Redis was never written: nothing to replay, and the history says why.
	if q := decode[queueOut](t, g.stdout); len(q.Pending) != 0 {
		t.Fatalf("a change that wrote nothing is still pending: %+v\n%s", q.Pending, g.stderr)
	}
	j, err = journal.Open(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	entries, _, err := j.History(prefix, key)
	if err != nil || len(entries) != 1 || !entries[0].OutcomeKnown || len(entries[0].Outcomes) != 2 {
		t.Fatalf("history: %+v, %v", entries, err)
	}
	for _, o := range entries[0].Outcomes {
		if o.Outcome != "failed" || !o.Reconciled {
			t.Errorf("host %s: %+v, want failed (never written) and reconciled", o.Host, o)
		}
	}
}

// resync does what Relay's re-sync from LaunchDarkly does to a flag edited in Redis: it writes
// the state LaunchDarkly still has (raw, as read before the edit) back over the edit.
func resync(t *testing.T, s *redistest.Server, prefix, key, raw string) {
	t.Helper()
	if err := s.Client().HSet(context.Background(), prefix+":features", key, raw).Err(); err != nil {
		t.Fatalf("HSET %s %s on %s: %v", prefix, key, s.Addr, err)
	}
}

// rawFlag is a flag's JSON as one server stores it.
func rawFlag(t *testing.T, s *redistest.Server, prefix, key string) string {
	t.Helper()
	raw, err := s.Client().HGet(context.Background(), prefix+":features", key).Result()
	if err != nil {
		t.Fatalf("HGET %s %s on %s: %v", prefix, key, s.Addr, err)
	}
	return raw
}

func TestQueueShowsChangesUndoneByARelayResync(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	const prefix, key, other = "ld:web-store:staging", "beta-dashboard", "use-fallback-cdn"
	raw := rawFlag(t, a, prefix, key)
	on0, v0 := stored(t, a, prefix, key)
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", onOffArg(!on0), "--yes")
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", other, "-s", "off", "--yes")

	// Nothing undone yet.
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if !q.UndoneChecked || len(q.Pending) != 2 || len(q.Pending[0].Undone) != 0 || len(q.Pending[1].Undone) != 0 {
		t.Fatalf("queue before the re-sync: %+v", q)
	}

	// Relay re-syncs the first flag on both hosts: LaunchDarkly's state is back.
	resync(t, a, prefix, key, raw)
	resync(t, b, prefix, key, raw)
	q = decode[queueOut](t, h.ok("queue", "--json").stdout)
	for _, p := range q.Pending {
		var want []undoneJSON
		if p.Flag == key {
			want = []undoneJSON{{a.Addr, on0, v0}, {b.Addr, on0, v0}}
		}
		if fmt.Sprint(p.Undone) != fmt.Sprint(want) {
			t.Errorf("%s undone: %+v, want %+v", p.Flag, p.Undone, want)
		}
	}
	g := h.ok("queue")
	note := fmt.Sprintf("UNDONE on %s (%s v%d), %s (%s v%d): Relay re-synced from LaunchDarkly; replay to make it stick",
		a.Addr, onOffWord(on0), v0, b.Addr, onOffWord(on0), v0)
	if !strings.Contains(g.stdout, note) || strings.Count(g.stdout, "UNDONE") != 1 {
		t.Errorf("queue lacks %q once:\n%s", note, g.stdout)
	}

	// One host down: the other still tells.
	h.env["RC_REDIS_DIAL_TIMEOUT"] = "300ms"
	h.env["RC_REDIS_COMMAND_TIMEOUT"] = "300ms"
	b.Stop()
	q = decode[queueOut](t, h.ok("queue", "--json").stdout)
	if p := q.Pending[0]; !q.UndoneChecked || p.Flag != key || len(p.Undone) != 1 || p.Undone[0].Host != a.Addr {
		t.Errorf("undone with %s down: %+v", b.Addr, q)
	}

	// No host answers: the queue is listed all the same, and says Redis was not checked.
	a.Stop()
	g = h.ok("queue", "--json")
	if q := decode[queueOut](t, g.stdout); q.UndoneChecked || len(q.Pending) != 2 || len(q.Pending[0].Undone) != 0 {
		t.Errorf("queue with every host down: %+v", q)
	}
	if !strings.Contains(g.stderr, "not checked whether Redis still holds the pending changes") {
		t.Errorf("stderr does not say Redis was not checked:\n%s", g.stderr)
	}

	// No host configured: nothing to check, nothing said.
	delete(h.env, "RC_REDIS_HOSTS")
	if g := h.ok("queue", "--json"); decode[queueOut](t, g.stdout).UndoneChecked || g.stderr != "" {
		t.Errorf("queue without hosts: %s\n%s", g.stdout, g.stderr)
	}
}

func onOffWord(b bool) string { return strings.ToUpper(onOffArg(b)) }

// queue settles with journal.Settle and shows what is still unknown and why: a writer that may
// still be writing (named by pid and host), a host that did not answer, hosts that disagree;
// in read-only mode it does not settle (that records outcomes) and says so (issue 11).
func TestQueueShowsWhatSettlingLeavesUnknown(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	const prefix = "ld:web-store:staging"
	const key = "beta-dashboard" // the live writer's change
	on, v := stored(t, a, prefix, key)
	j, err := journal.Open(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	c, err := j.Begin(journal.Change{Operator: "ann", Prefix: prefix, Project: "web-store", Environment: "staging",
		Flag: key, Before: on, After: !on, BaseVersion: &v})
	if err != nil {
		t.Fatal(err)
	}
	// Hosts that disagree: each took a different change of another flag.
	const key2 = "kill-switch-checkout"
	on2, v2 := stored(t, a, prefix, key2)
	c1, _ := j.Begin(journal.Change{Operator: "ann", Prefix: prefix, Project: "web-store", Environment: "staging", Flag: key2, Before: on2, After: !on2, BaseVersion: &v2})
	j.Complete(c1.ID, []journal.HostOutcome{{Host: a.Addr, Outcome: "written", OldOn: on2, OldVersion: v2, NewVersion: v2 + 1},
		{Host: b.Addr, Outcome: "failed", OldOn: on2, OldVersion: v2, NewVersion: v2, Error: "down"}})
	c2, _ := j.Begin(journal.Change{Operator: "bob", Prefix: prefix, Project: "web-store", Environment: "staging", Flag: key2, Before: !on2, After: on2, BaseVersion: &v2})
	j.Complete(c2.ID, []journal.HostOutcome{{Host: a.Addr, Outcome: "failed", OldOn: !on2, OldVersion: v2 + 1, NewVersion: v2 + 1, Error: "down"},
		{Host: b.Addr, Outcome: "written", OldOn: on2, OldVersion: v2 + 5, NewVersion: v2 + 6}})

	hostname, _ := os.Hostname()
	waiting := fmt.Sprintf("change %s outcome unknown: waiting for the writer pid %d on %s, or until every host answers", c.ID, os.Getpid(), hostname)
	g := h.ok("queue")
	if !strings.Contains(g.stdout, waiting) || !strings.Contains(g.stdout, "hosts disagree about which change landed last") || !strings.Contains(g.stdout, "set it again or discard it") {
		t.Errorf("queue:\n%s", g.stdout)
	}
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 2 || q.Settling != "done" {
		t.Fatalf("queue --json: %+v", q)
	}
	for _, p := range q.Pending {
		switch p.Flag {
		case key:
			if !p.Changes[0].Unsettled || p.Changes[0].OutcomeKnown || p.Disagreement != "" {
				t.Errorf("%s: %+v", key, p)
			}
		case key2:
			if p.Disagreement == "" || p.Changes[0].Unsettled {
				t.Errorf("%s: %+v", key2, p)
			}
		}
	}

	// Read-only: not settled, and said why.
	h.env["RC_UI_READ_ONLY"] = "true"
	g = h.ok("queue")
	if !strings.Contains(g.stdout, "(not read back: read-only, from environment RC_UI_READ_ONLY)") {
		t.Errorf("read-only queue:\n%s", g.stdout)
	}
	if q := decode[queueOut](t, h.ok("queue", "--json").stdout); q.Settling != "read-only, from environment RC_UI_READ_ONLY" {
		t.Errorf("read-only queue --json settling %q", q.Settling)
	}
	delete(h.env, "RC_UI_READ_ONLY")

	// The writer has ended; one host does not answer: settled where it can be, "unknown" on
	// the other, named.
	j.Complete(c.ID, []journal.HostOutcome{{Host: a.Addr, Outcome: "unknown", OldOn: on, OldVersion: v, NewVersion: v + 1, Error: "i/o timeout"},
		{Host: b.Addr, Outcome: "unknown", OldOn: on, OldVersion: v, NewVersion: v + 1, Error: "i/o timeout"}})
	b.Stop()
	g = h.ok("queue")
	if !strings.Contains(g.stdout, "change "+c.ID+" outcome unknown on ") || !strings.Contains(g.stdout, "outcome unknown on "+b.Addr+": it settles once every host answers") {
		t.Errorf("queue with a host down:\n%s\n%s", g.stdout, g.stderr)
	}
	q = decode[queueOut](t, h.ok("queue", "--json").stdout)
	for _, p := range q.Pending {
		if p.Flag == key {
			if !p.Changes[0].Unsettled || len(p.Changes[0].Hosts) != 2 || p.Changes[0].Hosts[1].Outcome != "unknown" {
				t.Errorf("%s with a host down: %+v", key, p.Changes[0])
			}
		}
	}
}

// queue's last lines count the flags in words that agree, fit 80 columns, and name both ways
// to replay: by hand, or armed.
func TestQueueFooter(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "off", "--yes")
	g := h.ok("queue")
	_, footer, _ := strings.Cut(g.stdout, "\n\n")
	if words := strings.Join(strings.Fields(footer), " "); !strings.HasPrefix(words, "1 flag with a pending change in the journal ") || strings.Contains(footer, "them") ||
		!strings.Contains(footer, "relaycommander replay --wait") {
		t.Errorf("queue's footer:\n%s\nwhole output:\n%s", footer, g.stdout)
	}
	for _, l := range strings.Split(footer, "\n") {
		if len(l) > 80 && strings.Contains(l, " ") {
			t.Errorf("a line of %d columns:\n%s", len(l), l)
		}
	}
}
