package journal

import (
	"context"
	"slices"
	"testing"
)

// A change made in LaunchDarkly itself closes the flag's pending change, by the operator,
// saying why; the other flags' changes stay pending and Redis is not touched.
func TestSupersedeClosesTheFlagsPendingChange(t *testing.T) {
	j := openTemp(t)
	f := &fakeToggler{j: j, hosts: []string{"a", "b"}}
	ctx := context.Background()
	for _, flag := range []string{"kill", "other"} {
		if _, _, err := j.Toggle(ctx, f, Change{Operator: "alice", Prefix: "ld:p:e", Flag: flag, Before: true, After: false, BaseVersion: intp(3)}); err != nil {
			t.Fatal(err)
		}
	}
	f.calls = nil
	closed, err := j.Supersede(ctx, "ld:p:e", "kill", "bob", true, 5)
	if err != nil || len(closed) != 1 {
		t.Fatalf("Supersede = %v, %v; want the kill's one change closed", closed, err)
	}
	ps, _ := j.Pending()
	if len(ps) != 1 || ps[0].Flag != "other" {
		t.Fatalf("pending after: %+v; want only the other flag", ps)
	}
	_, events, _ := j.History("ld:p:e", "kill")
	if len(events) != 1 || events[0].Kind != ReplayDiscarded || events[0].By != "bob" || events[0].Why != "superseded: set ON in LaunchDarkly directly (v5)" ||
		!slices.Equal(events[0].ChangeIDs, closed) {
		t.Errorf("recorded %+v", events)
	}
	if len(f.calls) != 0 {
		t.Errorf("Redis written: %v", f.calls)
	}
	if closed, err := j.Supersede(ctx, "ld:p:e", "kill", "bob", true, 5); err != nil || len(closed) != 0 {
		t.Errorf("nothing pending: %v, %v; want nothing closed", closed, err)
	}
}
