package journal

import (
	"context"
	"errors"
	"testing"
	"time"

	"relaycommander/flags"
	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
)

// A Relay's upsert that lands between the look the caller made and the re-assertion's write
// (someone changed the flag in LaunchDarkly during the outage, and Relay streamed it) is left
// alone: the write is made only where the host still holds the version the caller saw, so
// LaunchDarkly's newer state is not overwritten with ours at its version+1, and nothing is
// recorded as re-asserted there.
func TestReassertLeavesANewerVersionWrittenInTheWindow(t *testing.T) {
	const prod, flag, base = "ld:web-store:production", "kill-switch-checkout", 3 // on at v3 in the fixture
	a := redistest.StartWithFixture(t)
	px := redistest.StartProxy(t, a.Addr, 0)
	store, err := flags.Open([]flags.HostConfig{{Name: "a", Addr: px.Addr}}, flags.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	j := openTemp(t)
	ctx := context.Background()
	toggleRecorded(t, j, store, prod, flag, true, false, base)
	resync(t, a, prod, flag) // LaunchDarkly's state from before the outage: on at v3
	pending, _ := j.Pending()
	undone, err := Drift(ctx, store, pending)
	if err != nil || len(undone) != 1 || undone[0].Hosts[0].Version != base {
		t.Fatalf("Drift after the re-sync: %+v, %v; want a at v%d", undone, err, base)
	}
	newer, err := flags.SetOnAndVersion(fixture.Load()[prod].Features[flag], true, base+1)
	if err != nil {
		t.Fatal(err)
	}

	// The re-assertion's WATCH+HGET has been answered by Redis, its answer held: Relay's
	// upsert of v4 lands now, before the MULTI/EXEC.
	held, release := px.HoldNextReply("hget")
	defer release()
	type reassertResult struct {
		res flags.ToggleResult
		err error
	}
	done := make(chan reassertResult, 1)
	go func() {
		res, err := j.Reassert(ctx, store, pending[0].Entries[0].ID, map[string]int{"a": base})
		done <- reassertResult{res, err}
	}()
	select {
	case <-held:
	case r := <-done:
		t.Fatalf("Reassert ended (%+v, %v) without reading the flag under WATCH", r.res.Hosts, r.err)
	case <-time.After(5 * time.Second):
		t.Fatal("the re-assertion's read did not reach Redis within 5s")
	}
	if err := a.Client().HSet(ctx, prod+":features", flag, newer).Err(); err != nil { // Relay's upsert: v4 > v3
		t.Fatal(err)
	}
	release()
	var got reassertResult
	select {
	case got = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Reassert did not end within 10s of the release")
	}

	if now, _ := a.Client().HGet(ctx, prod+":features", flag).Result(); now != newer {
		t.Fatalf("Redis holds %s after the re-assertion; want LaunchDarkly's v%d left as Relay wrote it", now, base+1)
	}
	if r := got.res.Hosts; got.err != nil || len(r) != 1 || r[0].Outcome != flags.Failed ||
		!errors.Is(r[0].Err, flags.ErrVersionMoved) || r[0].OldVersion != base+1 || !r[0].OldOn {
		t.Fatalf("Reassert = %+v, %v; want a failed with ErrVersionMoved, holding v%d on", r, got.err, base+1)
	}
	history, _, _ := j.History(prod, flag)
	for _, o := range history[0].Outcomes {
		if o.Reasserted {
			t.Errorf("recorded as re-asserted although nothing was written: %+v", o)
		}
	}
}
