package ldsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"relaycommander/flags/fixture"
	"relaycommander/journal"
	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg/relaytest"
)

const (
	guardProject = "web-store"
	guardEnv     = "production"
	killed       = "kill-switch-checkout" // on in LaunchDarkly; the operator kills it
)

// outage is a guard test: LaunchDarkly (ldfake) with two Relays, each on its own Redis, and
// the operator's journal.
type outage struct {
	t  *testing.T
	ld *ldfake.Server
	o  *relaytest.Outage
	j  *journal.Journal
}

func startOutage(t *testing.T, relay relaytest.Options) *outage {
	t.Helper()
	ld := startFake(t)
	o := relaytest.StartOutageSites(t, ld, guardProject, guardEnv, 2, relay)
	j, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	o.CutOff(t)
	return &outage{t: t, ld: ld, o: o, j: j}
}

// change records and writes an offline change as the faces do (journal.Toggle).
func (u *outage) change(flag string, on bool) {
	u.t.Helper()
	before, base, ok := u.ld.FlagState(guardProject, guardEnv, flag)
	if !ok {
		u.t.Fatalf("no flag %s in LaunchDarkly", flag)
	}
	_, res, err := u.j.Toggle(context.Background(), u.o.Store, journal.Change{Operator: "ann", Reason: "incident",
		Prefix: u.o.Env.Prefix, Project: guardProject, Environment: guardEnv, Flag: flag, Before: before, After: on, BaseVersion: &base})
	if err != nil || len(res.FailedHosts()) > 0 {
		u.t.Fatalf("offline change of %s: %+v, %v", flag, res.Hosts, err)
	}
}

func (u *outage) guard() *Guard {
	return &Guard{Client: newTestClient(u.t, u.ld, u.ld.Token()), Journal: u.j, Store: u.o.Store, Operator: "bob"}
}

// guardRun is a Guard running in the background, its events collected.
type guardRun struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan struct{}
	counts Counts
	err    error

	mu     sync.Mutex
	events []GuardEvent
	seen   chan struct{} // closed and replaced on every event
}

func runGuard(t *testing.T, g *Guard) *guardRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &guardRun{t: t, cancel: cancel, done: make(chan struct{}), seen: make(chan struct{})}
	events := make(chan GuardEvent, 64)
	go func() {
		for ev := range events {
			r.mu.Lock()
			r.events = append(r.events, ev)
			close(r.seen)
			r.seen = make(chan struct{})
			r.mu.Unlock()
		}
	}()
	go func() {
		defer close(r.done)
		r.counts, r.err = g.Run(ctx, events)
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// waitEvent waits until an event satisfies cond.
func (r *guardRun) waitEvent(what string, timeout time.Duration, cond func(GuardEvent) bool) GuardEvent {
	r.t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		for _, ev := range r.events {
			if cond(ev) {
				r.mu.Unlock()
				return ev
			}
		}
		seen := r.seen
		r.mu.Unlock()
		select {
		case <-seen:
		case <-r.done:
			r.mu.Lock()
			evs := r.events
			r.mu.Unlock()
			for _, ev := range evs {
				if cond(ev) {
					return ev
				}
			}
			r.t.Fatalf("guard ended (%v) without %s", r.err, what)
		case <-deadline:
			r.t.Fatalf("no %s within %s", what, timeout)
		}
	}
}

func (r *guardRun) wait(timeout time.Duration) {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		r.t.Fatalf("guard still running after %s", timeout)
	}
}

func (r *guardRun) kinds(k GuardEventKind) []GuardEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []GuardEvent
	for _, ev := range r.events {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

func waitingChecks(ev GuardEvent) bool { return ev.Kind == GuardChecked && ev.Check.Err != nil }

// sampler reads a flag from every Redis every 50 ms and keeps, per host, the longest time it
// was seen ON.
type sampler struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	on   map[string]time.Time     // since when each host has been seen on
	max  map[string]time.Duration // longest on-run per host
	errs []string
}

func sample(t *testing.T, o *relaytest.Outage, flag string) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{}), on: map[string]time.Time{}, max: map[string]time.Duration{}}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			now := time.Now()
			for _, site := range o.Sites {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				raw, err := site.Redis.Client().HGet(ctx, o.Env.Prefix+":features", flag).Result()
				cancel()
				var f struct{ On bool }
				if err == nil {
					err = json.Unmarshal([]byte(raw), &f)
				}
				s.mu.Lock()
				switch {
				case err != nil:
					// Relay's full sync deletes the hash inside MULTI: never seen half done.
					s.errs = append(s.errs, site.Name+": "+err.Error())
				case f.On:
					if _, ok := s.on[site.Name]; !ok {
						s.on[site.Name] = now
					}
					s.max[site.Name] = max(s.max[site.Name], now.Sub(s.on[site.Name]))
				default:
					delete(s.on, site.Name)
				}
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(s.end)
	return s
}

func (s *sampler) end() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

// check fails the test when a host was ON for more than limit.
func (s *sampler) check(t *testing.T, limit time.Duration) {
	t.Helper()
	s.end()
	s.mu.Lock()
	defer s.mu.Unlock()
	for host, d := range s.max {
		if d > limit {
			t.Errorf("%s: the killed flag was on in Redis for %s (limit %s)", host, d.Round(time.Millisecond), limit)
		}
	}
	if len(s.errs) > 0 {
		t.Errorf("Redis reads failed while sampling: %v", s.errs)
	}
}

func patchesOf(ld *ldfake.Server, flag string) int {
	n := 0
	for _, p := range ld.Patches() {
		if p.Flag == flag {
			n++
		}
	}
	return n
}

// The Relays re-sync as soon as LaunchDarkly is back, before the guard's next check: the guard
// writes the kill back within a second on both hosts and holds it until the replay lands it;
// the flag changed in LaunchDarkly during the outage is left alone and reported.
func TestGuardHoldsTheKillWhenRelayResyncsFirst(t *testing.T) {
	u := startOutage(t, relaytest.Options{Backoff: relaytest.Backoff{Initial: 30 * time.Millisecond, Max: 60 * time.Millisecond}})
	u.change(killed, false)
	u.change("rate-limits", false)
	u.ld.ChangeBehindBack(guardProject, guardEnv, "rate-limits", true) // someone in LaunchDarkly, during the outage
	_, rateBefore, _ := u.ld.FlagState(guardProject, guardEnv, "rate-limits")

	g := u.guard()
	g.Poll = 2 * time.Second // the Relays' re-sync certainly comes first
	run := runGuard(t, g)
	run.waitEvent("a failed check", 5*time.Second, waitingChecks)
	s := sample(t, u.o, killed)
	u.o.Restore(t) // LaunchDarkly answers; both Relays re-sync from its old state
	run.waitEvent("the kill re-asserted", 3*time.Second, func(ev GuardEvent) bool {
		return ev.Kind == GuardReasserted && ev.Undone.Flag == killed && len(ev.Hosts) == 2
	})
	run.wait(15 * time.Second)
	s.check(t, time.Second)

	if run.err != nil || run.counts.Applied != 1 || run.counts.Conflicts != 1 || run.counts.Verified != 1 {
		t.Fatalf("Run = %+v, %v; want one applied and verified, one conflict", run.counts, run.err)
	}
	if n := patchesOf(u.ld, killed); n != 1 || u.ld.PatchCount() != 1 {
		t.Errorf("patches: %d of %s, %d in all; want exactly one, of %s", n, killed, u.ld.PatchCount(), killed)
	}
	if on, _, _ := u.ld.FlagState(guardProject, guardEnv, killed); on {
		t.Errorf("%s is on in LaunchDarkly after the replay", killed)
	}
	// The conflict: reported, neither written back in Redis nor overwritten in LaunchDarkly.
	conflicts := run.kinds(GuardConflict)
	if len(conflicts) == 0 || conflicts[0].Undone.Flag != "rate-limits" {
		t.Errorf("conflict events: %+v", conflicts)
	}
	for _, ev := range run.kinds(GuardReasserted) {
		if ev.Undone.Flag == "rate-limits" {
			t.Errorf("the flag changed in LaunchDarkly was written back: %+v", ev)
		}
	}
	if on, v, _ := u.ld.FlagState(guardProject, guardEnv, "rate-limits"); !on || v != rateBefore {
		t.Errorf("rate-limits in LaunchDarkly: on=%v v%d, want LaunchDarkly's own on v%d", on, v, rateBefore)
	}
	if on, v := u.o.InRedis(t, "rate-limits"); !on || v != rateBefore {
		t.Errorf("rate-limits in Redis: on=%v v%d, want LaunchDarkly's on v%d", on, v, rateBefore)
	}
	// The history shows the re-assertion, and the change is closed.
	history, events, _ := u.j.History(u.o.Env.Prefix, killed)
	marked := 0
	for _, o := range history[0].Outcomes {
		if o.Reasserted {
			marked++
		}
	}
	if len(history) != 1 || marked != 2 || !hasKind(events, journal.ReplayApplied) {
		t.Errorf("history of %s: %+v, events %s", killed, history, kinds(events))
	}
	pending, _ := u.j.Pending()
	if len(pending) != 1 || pending[0].Flag != "rate-limits" {
		t.Errorf("pending after the guard: %+v", pending)
	}
	if who := journal.ArmedBy(u.j.Dir()); who != "" {
		t.Errorf("still armed after the guard ended: %q", who)
	}
}

// The Relays re-sync only after the replay landed: they write LaunchDarkly's new state, and the
// kill is never undone.
func TestGuardReplaysBeforeRelayResyncs(t *testing.T) {
	slow := relaytest.Backoff{Initial: 4 * time.Second, Max: 4 * time.Second, NoJitter: true}
	u := startOutage(t, relaytest.Options{Backoff: slow})
	u.change(killed, false)
	syncs := make([]int, len(u.o.Sites))
	for i, site := range u.o.Sites {
		syncs[i] = site.Relay.State(t, u.o.Env.Name).Syncs
	}

	run := runGuard(t, u.guard())
	run.waitEvent("a failed check", 5*time.Second, waitingChecks)
	s := sample(t, u.o, killed)
	u.ld.SetUnreachable(false)
	run.wait(10 * time.Second)
	for i, site := range u.o.Sites {
		if site.Relay.State(t, u.o.Env.Name).Syncs != syncs[i] {
			t.Fatalf("%s re-synced before the replay landed: this test needs it after", site.Name)
		}
	}
	for i, site := range u.o.Sites {
		site.Relay.WaitSyncs(t, u.o.Env.Name, syncs[i]+1, 10*time.Second)
	}
	s.check(t, time.Second)
	if run.err != nil || run.counts.Applied != 1 || u.ld.PatchCount() != 1 {
		t.Fatalf("Run = %+v, %v, %d patches; want one applied", run.counts, run.err, u.ld.PatchCount())
	}
	if on, v := u.o.InRedis(t, killed); on {
		t.Errorf("after the late re-sync Redis holds %s on v%d", killed, v)
	}
}

func hasKind(evs []journal.ReplayEvent, k journal.ReplayKind) bool {
	for _, e := range evs {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// A refused token ends the guard at the first check, sending nothing.
func TestGuardEndsAtOnceOnARefusedToken(t *testing.T) {
	u := startOutage(t, relaytest.Options{})
	u.change(killed, false)
	u.ld.SetUnreachable(false)
	g := u.guard()
	g.Client = newTestClient(t, u.ld, "api-wrong-token")
	start := time.Now()
	_, err := g.Run(context.Background(), nil)
	if !errors.Is(err, ErrAborted) || !errors.Is(err, ErrInvalidToken) || time.Since(start) > time.Second {
		t.Fatalf("Run with a refused token = %v after %s; want ErrAborted and ErrInvalidToken at once", err, time.Since(start))
	}
	if u.ld.PatchCount() != 0 {
		t.Errorf("sent %d patches", u.ld.PatchCount())
	}
}

// Cancelling stops the wait and sends nothing; Timeout gives up with ErrWaitTimeout; with
// nothing pending there is nothing to arm; a poll below MinPoll is refused.
func TestGuardCancelTimeoutNothingPending(t *testing.T) {
	u := startOutage(t, relaytest.Options{})
	g := u.guard()
	if _, err := g.Run(context.Background(), nil); !errors.Is(err, ErrNothingPending) {
		t.Fatalf("Run with nothing pending = %v", err)
	}
	u.change(killed, false)
	g.Poll = 500 * time.Millisecond
	if _, err := g.Run(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "below the minimum") {
		t.Fatalf("Run with a 500ms poll = %v", err)
	}
	g.Poll = 0
	g.Timeout = 1500 * time.Millisecond
	start := time.Now()
	if _, err := g.Run(context.Background(), nil); !errors.Is(err, ErrWaitTimeout) || time.Since(start) > 3*time.Second {
		t.Fatalf("Run with a timeout = %v after %s", err, time.Since(start))
	}
	g.Timeout = 0
	run := runGuard(t, g)
	run.waitEvent("a failed check", 5*time.Second, waitingChecks)
	if who := journal.ArmedBy(u.j.Dir()); !strings.Contains(who, "1 change armed") {
		t.Errorf("ArmedBy while armed = %q", who)
	}
	run.cancel()
	run.wait(5 * time.Second)
	u.ld.SetUnreachable(false)
	if !errors.Is(run.err, context.Canceled) || u.ld.PatchCount() != 0 {
		t.Fatalf("cancelled Run = %v, %d patches", run.err, u.ld.PatchCount())
	}
	if pending, _ := u.j.Pending(); len(pending) != 1 {
		t.Errorf("pending after a cancelled wait: %d", len(pending))
	}
}

// A re-sync while the replay is under way (paced by LaunchDarkly's rate limit) is written back
// too: the guard holds the change until the replay has landed it.
func TestGuardHoldsDuringTheReplay(t *testing.T) {
	u := startOutage(t, relaytest.Options{Backoff: relaytest.Backoff{Initial: 20 * time.Second, Max: 20 * time.Second, NoJitter: true}})
	u.change(killed, false)
	u.ld.SetGlobalLimit(2, 3*time.Second) // the check and the plan's read use a window up: Apply waits for the next
	run := runGuard(t, u.guard())
	run.waitEvent("a failed check", 5*time.Second, waitingChecks)
	u.ld.SetUnreachable(false)
	planned := run.waitEvent("the plan", 5*time.Second, func(ev GuardEvent) bool { return ev.Kind == GuardPlanned })
	site := u.o.Sites[0]
	if err := site.Redis.Client().HSet(context.Background(), u.o.Env.Prefix+":features", killed,
		fixture.Load()[u.o.Env.Prefix].Features[killed]).Err(); err != nil { // what a re-sync writes
		t.Fatal(err)
	}
	run.waitEvent("the kill re-asserted during the replay", 2*time.Second, func(ev GuardEvent) bool {
		return ev.Kind == GuardReasserted && ev.Time.After(planned.Time) && len(ev.Hosts) == 1
	})
	run.wait(20 * time.Second)
	if run.err != nil || run.counts.Applied != 1 || u.ld.PatchCount() != 1 {
		_, evs, _ := u.j.History(u.o.Env.Prefix, killed)
		t.Fatalf("Run = %+v, %v, %d patches; want one applied; events %+v", run.counts, run.err, u.ld.PatchCount(), evs)
	}
	if on, _ := u.o.InRedis(t, killed); on {
		t.Errorf("%s on in Redis after the replay", killed)
	}
}

// The flag was deleted and recreated in LaunchDarkly during the outage: the Relays re-sync a
// version below the one recorded before the kill. Neither a re-sync to leave in silence nor a
// state to write back over LaunchDarkly's: a conflict, reported once, as the replay sees it.
func TestGuardReportsAVersionBelowTheBaseAsAConflict(t *testing.T) {
	u := startOutage(t, relaytest.Options{Backoff: relaytest.Backoff{Initial: 30 * time.Millisecond, Max: 60 * time.Millisecond}})
	_, base, _ := u.ld.FlagState(guardProject, guardEnv, killed)
	u.change(killed, false)
	u.ld.SetFlagState(guardProject, guardEnv, killed, true, 1) // recreated: version 1

	g := u.guard()
	g.Poll = 2 * time.Second // the Relays' re-sync comes first
	run := runGuard(t, g)
	run.waitEvent("a failed check", 5*time.Second, waitingChecks)
	u.o.Restore(t)
	run.waitEvent("the conflict", 3*time.Second, func(ev GuardEvent) bool {
		return ev.Kind == GuardConflict && ev.Undone.Flag == killed
	})
	run.wait(15 * time.Second)
	for _, ev := range run.kinds(GuardReasserted) {
		if ev.Undone.Flag == killed {
			t.Errorf("written back over the recreated flag: %+v", ev)
		}
	}
	conflicts := run.kinds(GuardConflict)
	if len(conflicts) != 1 || !strings.Contains(conflicts[0].Err.Error(), fmt.Sprintf("lower than the %d recorded", base)) {
		t.Errorf("conflict events %+v; want one, saying the version is below %d", conflicts, base)
	}
	if run.counts.Conflicts != 1 || u.ld.PatchCount() != 0 {
		t.Errorf("Run = %+v, %d patches; want the conflict left for a decision, nothing sent", run.counts, u.ld.PatchCount())
	}
}
