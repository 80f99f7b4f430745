package journal

import (
	"context"
	"slices"
	"testing"
)

// A change made in LaunchDarkly itself closes the flag's pending change as shown, by the
// operator, saying why, and writes LaunchDarkly's state where Redis holds the change; the
// other flags' changes stay pending.
func TestSupersedeClosesTheFlagsPendingChange(t *testing.T) {
	j := openTemp(t)
	f := &fakeToggler{j: j, hosts: []string{"a", "b"}}
	ctx := context.Background()
	for _, flag := range []string{"kill", "other"} {
		if _, _, err := j.Toggle(ctx, f, Change{Operator: "alice", Prefix: "ld:p:e", Flag: flag, Before: true, After: false, BaseVersion: intp(3)}); err != nil {
			t.Fatal(err)
		}
	}
	p := pendingOf(t, j, "kill")
	f.calls = nil
	got, err := j.Supersede(ctx, f, "ld:p:e", "kill", p, "bob", true, 4)
	if err != nil || !slices.Equal(got.Closed, p.ChangeIDs()) {
		t.Fatalf("Supersede = %+v, %v; want the kill's change closed", got, err)
	}
	if got.Redis == nil || !slices.Equal(f.calls, []string{"toggle a,b"}) {
		t.Errorf("Redis: %+v, calls %v; want LaunchDarkly's state written on a and b", got.Redis, f.calls)
	}
	ps, _ := j.Pending()
	if len(ps) != 1 || ps[0].Flag != "other" {
		t.Fatalf("pending after: %+v; want only the other flag", ps)
	}
	_, events, _ := j.History("ld:p:e", "kill")
	if len(events) != 1 || events[0].Kind != ReplayDiscarded || events[0].By != "bob" || events[0].Why != "superseded: set ON in LaunchDarkly directly (v4)" ||
		events[0].LDOn == nil || !*events[0].LDOn || events[0].LDVersion != 4 {
		t.Errorf("recorded %+v", events)
	}

	// Closed meanwhile: nothing to do, nothing written.
	f.calls = nil
	if got, err := j.Supersede(ctx, f, "ld:p:e", "kill", p, "bob", true, 4); err != nil || len(got.Closed) != 0 || len(f.calls) != 0 {
		t.Errorf("already closed: %+v, %v, calls %v; want nothing", got, err, f.calls)
	}

	// A change recorded after the one shown (another operator's) stays pending.
	shown := pendingOf(t, j, "other")
	if _, _, err := j.Toggle(ctx, f, Change{Operator: "carol", Prefix: "ld:p:e", Flag: "other", Before: false, After: true, BaseVersion: intp(4)}); err != nil {
		t.Fatal(err)
	}
	f.calls = nil
	if _, err := j.Supersede(ctx, f, "ld:p:e", "other", shown, "bob", false, 5); err == nil || len(f.calls) != 0 {
		t.Errorf("a newer change meanwhile: err %v, calls %v; want an error and nothing written", err, f.calls)
	}
	if ps, _ := j.Pending(); len(ps) != 1 {
		t.Errorf("pending %+v; want carol's change kept", ps)
	}
	// Nothing shown, yet a change recorded meanwhile: said too.
	if _, err := j.Supersede(ctx, f, "ld:p:e", "other", Pending{}, "bob", false, 5); err == nil {
		t.Error("a change recorded while nothing was shown: no error")
	}
	if got, err := j.Supersede(ctx, f, "ld:p:e", "nothing", Pending{}, "bob", false, 5); err != nil || len(got.Closed) != 0 {
		t.Errorf("nothing pending: %+v, %v", got, err)
	}
}

func pendingOf(t *testing.T, j *Journal, flag string) Pending {
	t.Helper()
	ps, err := j.Pending()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Flag == flag {
			return p
		}
	}
	t.Fatalf("no pending change of %s", flag)
	return Pending{}
}
