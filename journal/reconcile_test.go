package journal

import (
	"context"
	"testing"
	"time"

	"relaycommander/flags"
)

// The process died after the intent and after writing host a, before writing host b and
// before recording anything: reading Redis again settles the outcome.
func TestReconcileOutcomeUnknown(t *testing.T) {
	store, _, b := twoHostStore(t)
	ctx := context.Background()
	const prefix, key = "ld:web-store:production", "kill-switch-checkout" // ON v3 in the fixture

	j := openTemp(t)
	c, err := j.Begin(Change{Operator: "ann", Prefix: prefix, Flag: key, Before: true, After: false, BaseVersion: intp(3)})
	if err != nil {
		t.Fatal(err)
	}
	if r := store.Toggle(ctx, prefix, key, false, "a"); r.Hosts[0].Outcome != flags.Written {
		t.Fatalf("setup write on a: %+v", r.Hosts[0])
	}

	// Too young: another process may still be writing it.
	if got, err := j.Reconcile(ctx, store, time.Hour); err != nil || len(got) != 0 {
		t.Fatalf("young intent reconciled: %+v, %v", got, err)
	}
	// A host down: it may hold either state, so nothing is settled.
	b.Stop()
	if got, _ := j.Reconcile(ctx, store, 0); len(got) != 0 {
		t.Fatalf("reconciled with host b down: %+v", got)
	}
	b.Restart()
	b.LoadFixture()

	got, err := j.Reconcile(ctx, store, 0)
	if err != nil || len(got) != 1 || got[0].ID != c.ID {
		t.Fatalf("Reconcile = %+v, %v", got, err)
	}
	p, err := j.Pending()
	if err != nil || len(p) != 1 {
		t.Fatalf("pending: %+v, %v", p, err)
	}
	e := p[0].Entries[0]
	if !e.OutcomeKnown || len(e.Outcomes) != 2 {
		t.Fatalf("entry after reconcile: %+v", e)
	}
	want := map[string]string{"a": "written", "b": "failed"}
	for _, o := range e.Outcomes {
		if o.Outcome != want[o.Host] || !o.Reconciled {
			t.Errorf("host %s: %+v, want %s, reconciled", o.Host, o, want[o.Host])
		}
	}
	if o := e.Outcomes[0]; o.Host == "a" && (o.OldVersion != 3 || o.NewVersion != 4) {
		t.Errorf("host a versions: %+v", o)
	}
	// Settled changes are not reconciled again.
	if again, _ := j.Reconcile(ctx, store, 0); len(again) != 0 {
		t.Errorf("reconciled twice: %+v", again)
	}
}
