package cli

import (
	"strings"
	"testing"
	"time"

	"relaycommander/journal"
)

type queueOut struct {
	Journal string        `json:"journal"`
	Pending []pendingJSON `json:"pending"`
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
	if !strings.Contains(g.stderr, "read back from Redis") {
		t.Errorf("stderr does not say the change was read back:\n%s", g.stderr)
	}
	// Redis was never written: nothing to replay, and the history says why.
	if q := decode[queueOut](t, g.stdout); len(q.Pending) != 0 {
		t.Fatalf("a change that wrote nothing is still pending: %+v", q.Pending)
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
