package ldsync

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"relaycommander/flags"
	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
	"relaycommander/journal"
)

// A Relay streams LaunchDarkly's newer version of a killed flag into Redis after the guard's
// look saw the flag at its base version and before the guard's write-back: the guard leaves
// LaunchDarkly's state in Redis and reports the conflict, once, as for one its look had seen;
// the replay that follows finds the same conflict in LaunchDarkly and sends nothing.
func TestGuardLeavesAVersionARelayWroteDuringTheWriteBack(t *testing.T) {
	ld := startFake(t)
	redis := redistest.StartWithFixture(t)
	px := redistest.StartProxy(t, redis.Addr, 0)
	store, err := flags.Open([]flags.HostConfig{{Name: "relay-a", Addr: px.Addr}}, flags.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	j, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	ctx := context.Background()
	prefix := flags.ConventionPrefix(guardProject, guardEnv)
	before, base, _ := ld.FlagState(guardProject, guardEnv, killed)
	if _, res, err := j.Toggle(ctx, store, journal.Change{Operator: "ann", Reason: "incident", Prefix: prefix,
		Project: guardProject, Environment: guardEnv, Flag: killed, Before: before, After: false, BaseVersion: &base}); err != nil || len(res.FailedHosts()) > 0 {
		t.Fatalf("offline change: %+v, %v", res.Hosts, err)
	}
	old := fixture.Load()[prefix].Features[killed]
	if err := redis.Client().HSet(ctx, prefix+":features", killed, old).Err(); err != nil { // Relay's re-sync: v3 on
		t.Fatal(err)
	}
	lock, err := j.Arm(1)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan GuardEvent, 16)
	h := &holder{g: &Guard{Journal: j, Store: store}, lock: lock, e: &emitter{ch: events}, reported: map[string]bool{}}

	// The look (HMGET) sees v3; the write-back's WATCH+HGET is answered, its answer held while
	// someone's change in LaunchDarkly reaches Redis through the Relay's stream (an upsert: v4 > v3).
	held, release := px.HoldNextReply("hget")
	defer release()
	looked := make(chan struct{})
	go func() { defer close(looked); h.once(ctx) }()
	select {
	case <-held:
	case <-looked:
		t.Fatal("the guard's look ended without writing back the re-synced kill")
	case <-time.After(5 * time.Second):
		t.Fatal("the guard's write-back did not read Redis within 5s")
	}
	ld.ChangeBehindBack(guardProject, guardEnv, killed, true)
	_, changed, _ := ld.FlagState(guardProject, guardEnv, killed)
	streamed, err := flags.SetOnAndVersion(old, true, changed)
	if err != nil {
		t.Fatal(err)
	}
	if err := redis.Client().HSet(ctx, prefix+":features", killed, streamed).Err(); err != nil {
		t.Fatal(err)
	}
	release()
	select {
	case <-looked:
	case <-time.After(10 * time.Second):
		t.Fatal("the guard's look did not end within 10s of the release")
	}
	conflicts := drain(t, events)
	if len(conflicts) != 1 || len(conflicts[0].Hosts) != 1 || conflicts[0].Hosts[0] != "relay-a" {
		t.Fatalf("conflict events of the look %+v; want one, on relay-a", conflicts)
	}
	c := conflicts[0]
	if len(c.Undone.Hosts) != 1 || c.Undone.Hosts[0].Version != changed || !c.Undone.Hosts[0].On ||
		c.Err == nil || !strings.Contains(c.Err.Error(), "changed in LaunchDarkly") || !strings.Contains(c.Err.Error(), fmt.Sprintf("relay-a v%d", changed)) {
		t.Errorf("conflict %+v, %v; want relay-a at v%d on, changed in LaunchDarkly", c.Undone.Hosts, c.Err, changed)
	}
	h.once(ctx) // the next look sees that version itself: reported already
	if again := drain(t, events); len(again) != 0 {
		t.Errorf("the next look reported the conflict again: %+v", again)
	}
	lock.Release()
	if now, _ := redis.Client().HGet(ctx, prefix+":features", killed).Result(); now != streamed {
		t.Fatalf("Redis holds %s; want LaunchDarkly's v%d as the Relay streamed it", now, changed)
	}
	history, _, _ := j.History(prefix, killed)
	for _, o := range history[0].Outcomes {
		if o.Reasserted {
			t.Errorf("recorded as re-asserted although nothing was written: %+v", o)
		}
	}

	// LaunchDarkly answers: the replay's plan has the conflict and nothing is sent.
	g := &Guard{Client: newTestClient(t, ld, ld.Token()), Journal: j, Store: store, Operator: "bob"}
	var plan Plan
	g.Decide = func(p Plan) Plan { plan = p; return p }
	runCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	counts, err := g.Run(runCtx, nil)
	if err != nil || counts.Conflicts != 1 || counts.Applied != 0 || ld.PatchCount() != 0 {
		t.Fatalf("Run = %+v, %v, %d patches; want one conflict, nothing sent", counts, err, ld.PatchCount())
	}
	if len(plan.Items) != 1 || plan.Items[0].Status != Conflict || !strings.Contains(plan.Items[0].Reason, "changed in LaunchDarkly during the outage") {
		t.Errorf("plan %+v; want the flag as a conflict, changed in LaunchDarkly during the outage", plan.Items)
	}
	if now, _ := redis.Client().HGet(ctx, prefix+":features", killed).Result(); now != streamed {
		t.Errorf("Redis after the replay holds %s; want LaunchDarkly's v%d", now, changed)
	}
}

// drain returns the conflict events waiting in events (the hold loop sends before its look
// returns), failing the test on any other kind.
func drain(t *testing.T, events chan GuardEvent) []GuardEvent {
	t.Helper()
	var conflicts []GuardEvent
	for {
		select {
		case ev := <-events:
			if ev.Kind != GuardConflict {
				t.Errorf("%s event: hosts %v, %v", ev.Kind, ev.Hosts, ev.Err)
				continue
			}
			conflicts = append(conflicts, ev)
		default:
			return conflicts
		}
	}
}
