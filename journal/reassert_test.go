package journal

import (
	"context"
	"errors"
	"strings"
	"testing"

	"relaycommander/flags"
)

// A change undone by a re-sync on one host is written again there, recorded as an outcome of
// the same change marked reasserted: still one pending change, with its net state, and the
// history shows it.
func TestReassertRewritesTheSameChange(t *testing.T) {
	store, a, _ := twoHostStore(t)
	j := openTemp(t)
	ctx := context.Background()
	const prod = "ld:web-store:production"
	res := toggleRecorded(t, j, store, prod, "kill-switch-checkout", true, false, 3)
	written := res.Hosts[0].NewVersion
	resync(t, a, prod, "kill-switch-checkout")

	pending, _ := j.Pending()
	undone, err := Drift(ctx, store, pending)
	if err != nil || len(undone) != 1 || len(undone[0].Hosts) != 1 {
		t.Fatalf("Drift after the re-sync of one host: %+v, %v", undone, err)
	}
	host := undone[0].Hosts[0].Host
	id := pending[0].Entries[0].ID
	got, err := j.Reassert(ctx, store, id, map[string]int{host: undone[0].Hosts[0].Version})
	if err != nil || len(got.Hosts) != 1 || got.Hosts[0].Outcome != flags.Written || got.Hosts[0].NewVersion != written {
		t.Fatalf("Reassert = %+v, %v; want written v%d", got.Hosts, err, written)
	}
	after, _ := j.Pending()
	if len(after) != 1 || len(after[0].Entries) != 1 || after[0].Desired || after[0].Interrupted() || after[0].Disagreement != "" {
		t.Fatalf("pending after the re-assertion: %+v", after)
	}
	if undone, err := Drift(ctx, store, after); err != nil || len(undone) != 0 {
		t.Fatalf("Drift after the re-assertion: %+v, %v", undone, err)
	}
	history, _, _ := j.History(prod, "kill-switch-checkout")
	marked := 0
	for _, o := range history[0].Outcomes {
		if o.Reasserted {
			marked++
			if o.Host != host || o.NewVersion != written {
				t.Errorf("reasserted outcome %+v", o)
			}
		}
	}
	if marked != 1 {
		t.Errorf("history outcomes %+v: want one marked reasserted", history[0].Outcomes)
	}
	// Read afresh from the file: the marker is part of the record.
	j2, err := Open(j.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	h2, _, _ := j2.History(prod, "kill-switch-checkout")
	if !h2[0].Outcomes[0].Reasserted && !h2[0].Outcomes[1].Reasserted {
		t.Errorf("reopened history lost the marker: %+v", h2[0].Outcomes)
	}
}

// Only the latest pending change of a flag, the one the replay sends, is re-asserted, and never
// a change that is not pending; nothing is written then.
func TestReassertRefusesWhatTheReplayWouldNotSend(t *testing.T) {
	store, a, _ := twoHostStore(t)
	j := openTemp(t)
	ctx := context.Background()
	const prod = "ld:web-store:production"
	toggleRecorded(t, j, store, prod, "kill-switch-checkout", true, false, 3)
	toggleRecorded(t, j, store, prod, "kill-switch-checkout", false, true, 4)
	pending, _ := j.Pending()
	first := pending[0].Entries[0].ID
	resync(t, a, prod, "kill-switch-checkout")
	before, _ := a.Client().HGet(ctx, prod+":features", "kill-switch-checkout").Result()
	seen := map[string]int{"a": 3, "b": 3}
	if _, err := j.Reassert(ctx, store, first, seen); err == nil || !strings.Contains(err.Error(), "later change") {
		t.Fatalf("re-asserting a superseded change: %v", err)
	}
	if _, err := j.Reassert(ctx, store, "no-such-change", seen); err == nil || !strings.Contains(err.Error(), "not pending") {
		t.Fatalf("re-asserting an unknown change: %v", err)
	}
	if now, _ := a.Client().HGet(ctx, prod+":features", "kill-switch-checkout").Result(); now != before {
		t.Errorf("a refused re-assertion wrote Redis: %s", now)
	}
}

// A failed re-assertion is not recorded: the host's written outcome stands, the change stays
// pending (a change failed everywhere would not be).
func TestReassertRecordsOnlyWhatLanded(t *testing.T) {
	store, a, b := twoHostStore(t)
	j := openTemp(t)
	ctx := context.Background()
	const prod = "ld:web-store:production"
	toggleRecorded(t, j, store, prod, "kill-switch-checkout", true, false, 3)
	pending, _ := j.Pending()
	a.Stop()
	b.Stop()
	res, err := j.Reassert(ctx, store, pending[0].Entries[0].ID, map[string]int{"a": 3, "b": 3})
	if err != nil {
		t.Fatalf("Reassert with hosts down: %v", err)
	}
	for _, h := range res.Hosts {
		if h.Outcome == flags.Written {
			t.Fatalf("written on a stopped host: %+v", h)
		}
	}
	after, _ := j.Pending()
	if len(after) != 1 || after[0].Interrupted() {
		t.Fatalf("pending after a failed re-assertion: %+v", after)
	}
	for _, o := range after[0].Entries[0].Outcomes {
		if o.Outcome != string(flags.Written) || o.Reasserted {
			t.Errorf("outcome replaced by a failed re-assertion: %+v", o)
		}
	}
}

// Arm publishes who holds the replay armed; a second Arm fails naming the holder; Release
// clears it.
func TestArmAndArmedBy(t *testing.T) {
	j := openTemp(t)
	if who := ArmedBy(j.Dir()); who != "" {
		t.Fatalf("ArmedBy before Arm = %q", who)
	}
	l, err := j.Arm(3)
	if err != nil {
		t.Fatal(err)
	}
	if who := ArmedBy(j.Dir()); !strings.HasPrefix(who, "pid ") || !strings.HasSuffix(who, ": 3 changes armed") {
		t.Fatalf("ArmedBy = %q", who)
	}
	if err := l.SetCount(1); err != nil || !strings.HasSuffix(ArmedBy(j.Dir()), ": 1 change armed") {
		t.Fatalf("after SetCount(1): %q, %v", ArmedBy(j.Dir()), err)
	}
	if _, err := j.Arm(1); err == nil || !strings.Contains(err.Error(), "already armed (pid ") {
		t.Fatalf("second Arm: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if who := ArmedBy(j.Dir()); who != "" {
		t.Fatalf("ArmedBy after Release = %q", who)
	}
	l2, err := j.Arm(2)
	if err != nil {
		t.Fatalf("Arm after Release: %v", err)
	}
	l2.Release()
}

// discardingToggler discards the change in the window between Reassert's check and its
// write, as another face (the UI, a second terminal) may.
type discardingToggler struct {
	j     *Journal
	store *flags.Store
}

func (d discardingToggler) ToggleAt(ctx context.Context, prefix, key string, on bool, seen map[string]int) flags.ToggleResult {
	ps, _ := d.j.Pending()
	for _, p := range ps {
		if p.Prefix == prefix && p.Flag == key {
			d.j.Discard(ctx, nil, p, DiscardRequest{By: "bob", Why: "not needed"})
		}
	}
	return d.store.ToggleAt(ctx, prefix, key, on, seen)
}

func (d discardingToggler) RestoreAt(ctx context.Context, prefix, key string, on bool, version int, seen map[string]int) flags.ToggleResult {
	return d.store.RestoreAt(ctx, prefix, key, on, version, seen)
}

// A change discarded while it is re-asserted: the re-assertion is taken back, or Redis would
// keep the discarded kill with nothing pending to show it.
func TestReassertOfAChangeDiscardedMeanwhileIsTakenBack(t *testing.T) {
	store, a, _ := twoHostStore(t)
	j := openTemp(t)
	ctx := context.Background()
	const prod, flag, base = "ld:web-store:production", "kill-switch-checkout", 3
	toggleRecorded(t, j, store, prod, flag, true, false, base)
	resync(t, a, prod, flag)
	ps, _ := j.Pending()
	_, err := j.Reassert(ctx, discardingToggler{j, store}, ps[0].Entries[0].ID, map[string]int{"a": base})
	if err == nil || !strings.Contains(err.Error(), "taken back") {
		t.Errorf("Reassert = %v; want it to say the re-assertion was taken back", err)
	}
	if ps, _ := j.Pending(); len(ps) != 0 {
		t.Fatalf("pending %+v; want the discard to stand", ps)
	}
	if got := hostStates(t, store, prod, flag)[0]; got != "ON v3" {
		t.Errorf("a holds %s; want LaunchDarkly's ON v3 back", got)
	}
}

// supersedingToggler has the operator set the flag in LaunchDarkly (OFF, v4) in the window.
type supersedingToggler struct{ discardingToggler }

func (d supersedingToggler) ToggleAt(ctx context.Context, prefix, key string, on bool, seen map[string]int) flags.ToggleResult {
	ps, _ := d.j.Pending()
	for _, p := range ps {
		if p.Prefix == prefix && p.Flag == key {
			d.j.Supersede(ctx, nil, prefix, key, p, "bob", false, 4)
		}
	}
	return d.store.ToggleAt(ctx, prefix, key, on, seen)
}

// Superseded in the window, the re-assertion is taken back to LaunchDarkly's state as the
// operator set it (OFF v4), not to the state before it (ON v3): a Relay that streamed v4
// meanwhile skipped it as not newer.
func TestReassertOfAChangeSupersededMeanwhileTakesLaunchDarklysState(t *testing.T) {
	store, a, _ := twoHostStore(t)
	j := openTemp(t)
	ctx := context.Background()
	const prod, flag, base = "ld:web-store:production", "kill-switch-checkout", 3
	toggleRecorded(t, j, store, prod, flag, true, false, base)
	resync(t, a, prod, flag)
	ps, _ := j.Pending()
	_, err := j.Reassert(ctx, supersedingToggler{discardingToggler{j, store}}, ps[0].Entries[0].ID, map[string]int{"a": base})
	if !errors.Is(err, ErrReassertTakenBack) {
		t.Errorf("Reassert = %v; want ErrReassertTakenBack", err)
	}
	if got := hostStates(t, store, prod, flag)[0]; got != "OFF v4" {
		t.Errorf("a holds %s; want LaunchDarkly's OFF v4", got)
	}
}
