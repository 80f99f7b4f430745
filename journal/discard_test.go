package journal

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"relaycommander/flags"
)

// onlyPending is the one pending change of the journal.
func onlyPending(t *testing.T, j *Journal) Pending {
	t.Helper()
	ps, err := j.Pending()
	if err != nil || len(ps) != 1 {
		t.Fatalf("Pending = %+v, %v; want one", ps, err)
	}
	return ps[0]
}

func hostStates(t *testing.T, store *flags.Store, prefix, flag string) []string {
	t.Helper()
	f, err := store.Flag(context.Background(), prefix, flag)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range f.Hosts {
		out = append(out, h.State())
	}
	return out
}

func TestDiscardWithoutRestore(t *testing.T) {
	store, _, _ := twoHostStore(t)
	j := openTemp(t)
	const prod = "ld:web-store:production"
	toggleRecorded(t, j, store, prod, "kill-switch-checkout", true, false, 3)
	p := onlyPending(t, j)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

	res, err := j.Discard(context.Background(), store, p, DiscardRequest{By: "bob", Why: "  wrong flag ", Time: at})
	if err != nil {
		t.Fatal(err)
	}
	if res.Restored != nil || res.Event.Kind != ReplayDiscarded || res.Event.By != "bob" || res.Event.Why != "wrong flag" ||
		!res.Event.Time.Equal(at) || !slices.Equal(res.Event.ChangeIDs, p.ChangeIDs()) {
		t.Errorf("Discard = %+v", res)
	}
	if ps, _ := j.Pending(); len(ps) != 0 {
		t.Errorf("still pending: %+v", ps)
	}
	if got := hostStates(t, store, prod, "kill-switch-checkout"); !slices.Equal(got, []string{"OFF v4", "OFF v4"}) {
		t.Errorf("Redis touched without a restore: %v", got)
	}
	_, events, _ := j.History(prod, "kill-switch-checkout")
	if len(events) != 1 || events[0].Why != "wrong flag" {
		t.Errorf("history events %+v", events)
	}
}

func TestDiscardWithRestore(t *testing.T) {
	store, _, _ := twoHostStore(t)
	j := openTemp(t)
	const prod = "ld:web-store:production"
	toggleRecorded(t, j, store, prod, "kill-switch-checkout", true, false, 3)
	p := onlyPending(t, j)

	res, err := j.Discard(context.Background(), store, p, DiscardRequest{By: "bob", Why: "kill was not needed", Restore: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Event.Why != "kill was not needed (base state ON restored in Redis)" || res.Event.Time.IsZero() {
		t.Errorf("event %+v", res.Event)
	}
	if res.Restored == nil || len(res.Restored.FailedHosts()) != 0 || len(res.Restored.Hosts) != 2 || res.Restored.Hosts[0].Outcome != flags.Written {
		t.Fatalf("Restored = %+v", res.Restored)
	}
	// Back to the version LaunchDarkly still has (v3), not v5: a kill recorded next reads v3
	// as its base, as LaunchDarkly has it; from v5 its replay would see a false conflict
	// ("LaunchDarkly's version is lower than recorded") and the armed guard would not hold it.
	if got := hostStates(t, store, prod, "kill-switch-checkout"); !slices.Equal(got, []string{"ON v3", "ON v3"}) {
		t.Errorf("after restore: %v; want ON v3, the state and version before the kill", got)
	}
	// The restore is no change to replay: nothing pending, no new entry.
	entries, _, _ := j.Log()
	if ps, _ := j.Pending(); len(ps) != 0 || len(entries) != 1 {
		t.Errorf("pending %+v, %d entries; want none pending and only the original change", ps, len(entries))
	}

	// With no reason given, the restore note stands alone.
	toggleRecorded(t, j, store, prod, "rate-limits", true, false, 7)
	res, err = j.Discard(context.Background(), store, onlyPending(t, j), DiscardRequest{By: "bob", Restore: true})
	if err != nil || res.Event.Why != "(base state ON restored in Redis)" {
		t.Errorf("Discard = %+v, %v", res.Event, err)
	}
}

func TestDiscardRestoreWithAHostDownAndATombstone(t *testing.T) {
	store, a, b := twoHostStore(t)
	j := openTemp(t)
	ctx := context.Background()
	const prod = "ld:web-store:production"
	toggleRecorded(t, j, store, prod, "kill-switch-checkout", true, false, 3)
	p := onlyPending(t, j)
	// Host a now holds a tombstone (the flag was deleted in LaunchDarkly); host b is down.
	tomb := `{"key":"$deleted","version":9,"deleted":true}`
	if err := a.Client().HSet(ctx, prod+":features", "kill-switch-checkout", tomb).Err(); err != nil {
		t.Fatal(err)
	}
	b.Stop()

	res, err := j.Discard(ctx, store, p, DiscardRequest{By: "bob", Why: "gone", Restore: true})
	if err != nil {
		t.Fatalf("the discard stands even when the restore fails: %v", err)
	}
	if got := res.Restored.FailedHosts(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("failed hosts %v", got)
	}
	if !errors.Is(res.Restored.Hosts[0].Err, flags.ErrTombstone) {
		t.Errorf("host a: %v, want the tombstone", res.Restored.Hosts[0].Err)
	}
	if ps, _ := j.Pending(); len(ps) != 0 {
		t.Errorf("still pending: %+v", ps)
	}
	if raw, _ := a.Client().HGet(ctx, prod+":features", "kill-switch-checkout").Result(); raw != tomb {
		t.Errorf("tombstone overwritten: %s", raw)
	}
}

func TestDiscardRefusesAStalePending(t *testing.T) {
	store, _, _ := twoHostStore(t)
	j := openTemp(t)
	const prod = "ld:web-store:production"
	toggleRecorded(t, j, store, prod, "kill-switch-checkout", true, false, 3)
	p := onlyPending(t, j)

	// A newer change of the flag joined the pending change: restoring the base would undo it.
	toggleRecorded(t, j, store, prod, "kill-switch-checkout", false, true, 4)
	if _, err := j.Discard(context.Background(), store, p, DiscardRequest{By: "bob", Restore: true}); !errors.Is(err, ErrPendingMoved) {
		t.Errorf("newer change: %v, want ErrPendingMoved", err)
	}
	fresh := onlyPending(t, j)
	if _, err := j.Discard(context.Background(), store, fresh, DiscardRequest{By: "bob"}); err != nil {
		t.Fatal(err)
	}
	// Discarded (or replayed) meanwhile by someone else: nothing recorded, nothing written.
	if _, err := j.Discard(context.Background(), store, fresh, DiscardRequest{By: "carol", Restore: true}); !errors.Is(err, ErrPendingMoved) {
		t.Errorf("already closed: %v, want ErrPendingMoved", err)
	}
	if got := hostStates(t, store, prod, "kill-switch-checkout"); !slices.Equal(got, []string{"ON v5", "ON v5"}) {
		t.Errorf("Redis written by a refused discard: %v", got)
	}
	if _, events, _ := j.Log(); len(events) != 1 {
		t.Errorf("%d events, want the one discard", len(events))
	}
}

// pendingAtToggle notes how many changes the journal held pending when the store was called.
type pendingAtToggle struct {
	*fakeToggler
	pending []int
}

func (p *pendingAtToggle) Toggle(ctx context.Context, prefix, key string, on bool, hosts ...string) flags.ToggleResult {
	ps, err := p.j.Pending()
	if err != nil {
		panic(err)
	}
	p.pending = append(p.pending, len(ps))
	return p.fakeToggler.Toggle(ctx, prefix, key, on, hosts...)
}

func (p *pendingAtToggle) RestoreAt(ctx context.Context, prefix, key string, on bool, version int, seen map[string]int) flags.ToggleResult {
	ps, err := p.j.Pending()
	if err != nil {
		panic(err)
	}
	p.pending = append(p.pending, len(ps))
	return p.fakeToggler.RestoreAt(ctx, prefix, key, on, version, seen)
}

func TestDiscardRecordsBeforeRestoring(t *testing.T) {
	j := openTemp(t)
	f := &pendingAtToggle{fakeToggler: &fakeToggler{j: j, hosts: []string{"a", "b"}}}
	if _, _, err := j.Toggle(context.Background(), f, Change{Operator: "alice", Prefix: "ld:p:e", Flag: "f", Before: true, After: false, BaseVersion: intp(3)}); err != nil {
		t.Fatal(err)
	}
	p := onlyPending(t, j)
	f.pending = nil
	if _, err := j.Discard(context.Background(), f, p, DiscardRequest{By: "bob", Restore: true}); err != nil {
		t.Fatal(err)
	}
	// When the store was called, the journal already held the discard: nothing was pending.
	if !slices.Equal(f.pending, []int{0}) {
		t.Fatalf("pending changes at each store call: %v, want [0]", f.pending)
	}
	if ps, _ := j.Pending(); len(ps) != 0 {
		t.Errorf("pending %+v", ps)
	}

	// A journal that cannot record: Redis is not touched.
	j2 := openTemp(t)
	f2 := &fakeToggler{j: j2, hosts: []string{"a"}}
	if _, _, err := j2.Toggle(context.Background(), f2, Change{Operator: "alice", Prefix: "ld:p:e", Flag: "f", Before: true, After: false, BaseVersion: intp(3)}); err != nil {
		t.Fatal(err)
	}
	p2 := onlyPending(t, j2)
	f2.calls = nil
	j2.Close()
	if _, err := j2.Discard(context.Background(), f2, p2, DiscardRequest{By: "bob", Restore: true}); err == nil || len(f2.calls) != 0 {
		t.Errorf("closed journal: err %v, store calls %v; want an error and no write", err, f2.calls)
	}
	if _, err := j.Discard(context.Background(), nil, p, DiscardRequest{Restore: true}); err == nil {
		t.Error("restore without a store accepted")
	}
}

func TestPendingTarget(t *testing.T) {
	if tg, ok := (Pending{Project: "web", Environment: "prod"}).Target(); !ok || tg != (flags.Target{Project: "web", Environment: "prod"}) {
		t.Errorf("mapped: %+v %v", tg, ok)
	}
	if _, ok := (Pending{Prefix: "custom"}).Target(); ok {
		t.Error("unmapped prefix reported mapped")
	}
	if !flags.Protection(nil).NeedsTypedKey((Pending{Prefix: "custom"}).Target()) {
		t.Error("restoring an unmapped prefix must need the typed key")
	}
}

// A host a Relay rewrote since the change (LaunchDarkly's newer version, a colleague's
// change) is left as it is and reported apart: it did not fail, and writing the base state
// there would undo LaunchDarkly's newer state.
func TestDiscardRestoreLeavesAHostARelayRewrote(t *testing.T) {
	store, a, b := twoHostStore(t)
	j := openTemp(t)
	ctx := context.Background()
	const prod, key = "ld:web-store:production", "kill-switch-checkout"
	toggleRecorded(t, j, store, prod, key, true, false, 3)
	p := onlyPending(t, j)
	newer := `{"key":"kill-switch-checkout","on":false,"prerequisites":[],"targets":[],"contextTargets":[],"rules":[],"fallthrough":{"variation":0},"offVariation":1,"variations":[true,false],"clientSide":false,"salt":"s","trackEvents":false,"trackEventsFallthrough":false,"debugEventsUntilDate":null,"version":18,"deleted":false}`
	if err := b.Client().HSet(ctx, prod+":features", key, newer).Err(); err != nil {
		t.Fatal(err)
	}
	res, err := j.Discard(ctx, store, p, DiscardRequest{By: "bob", Restore: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Restored == nil || len(res.Restored.Hosts) != 1 || res.Restored.Hosts[0].Host != "a" || res.Restored.Hosts[0].Outcome != flags.Written {
		t.Errorf("Restored = %+v; want a written", res.Restored)
	}
	if len(res.Left) != 1 || res.Left[0].Host != "b" || res.Left[0].OldVersion != 18 {
		t.Errorf("Left = %+v; want b, left at the Relay's v18", res.Left)
	}
	if got := hostStates(t, store, prod, key); !slices.Equal(got, []string{"ON v3", "OFF v18"}) {
		t.Errorf("after the restore: %v", got)
	}
	_ = a
}

// A change that ended where it started (off, then on again: v3 to v5), discarded with a
// restore: the hosts go back to v3, LaunchDarkly's version, although `on` already matches.
func TestDiscardRestoreOfANoNetEffectChangePutsTheVersionBack(t *testing.T) {
	store, _, _ := twoHostStore(t)
	j := openTemp(t)
	ctx := context.Background()
	const prod, flag, base = "ld:web-store:production", "kill-switch-checkout", 3
	toggleRecorded(t, j, store, prod, flag, true, false, base)
	toggleRecorded(t, j, store, prod, flag, false, true, base+1)
	if _, err := j.Discard(ctx, store, onlyPending(t, j), DiscardRequest{By: "bob", Why: "x", Restore: true}); err != nil {
		t.Fatal(err)
	}
	if got := hostStates(t, store, prod, flag); !slices.Equal(got, []string{"ON v3", "ON v3"}) {
		t.Errorf("after the restore: %v; want ON v3, LaunchDarkly's version", got)
	}
}
