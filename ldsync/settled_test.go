package ldsync

import (
	"context"
	"strings"
	"testing"
	"time"

	"relaycommander/flags"
	"relaycommander/flags/redistest"
	"relaycommander/journal"
)

// Defect 3: the writer stopped right after its intent, before any Redis write, and is gone.
// Planning without settling never calls it ready; PlanAll reads Redis back, finds that no host
// holds it, and nothing is sent.
func TestReplayNeverSendsAChangeNoHostHolds(t *testing.T) {
	e := newEnv(t)
	srv := redistest.StartWithFixture(t)
	store, err := flags.Open([]flags.HostConfig{{Name: "relay-a", Addr: srv.Addr}}, flags.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e.r.Store = store

	w, err := journal.Open(e.j.Dir()) // the writing process, gone before writing Redis
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Begin(journal.Change{Operator: "ann", Prefix: "ld:web-store:production", Project: "web-store", Environment: "production",
		Flag: "kill-switch-checkout", Before: true, After: false, BaseVersion: ver(3)}); err != nil {
		t.Fatal(err)
	}
	w.Close()

	if plan := e.plan(); statuses(plan) != string(NotReplayable) || !strings.Contains(plan.Items[0].Reason, "outcome unknown") {
		t.Fatalf("unsettled plan = %s (%s), want not replayable: outcome unknown", statuses(plan), plan.Items[0].Reason)
	}
	plan, err := e.r.PlanAll(context.Background())
	if err != nil || len(plan.Items) != 0 || len(plan.Settled) != 1 || plan.SettleErr != nil {
		t.Fatalf("PlanAll = %+v, %v; want the change settled as written nowhere and nothing planned", plan, err)
	}
	if _, _, err := e.apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.PatchCount(); n != 0 {
		t.Errorf("%d patches sent for a change no Redis host holds", n)
	}
}

// Defect 5: off, on, off offline (Redis v3 to v6), replayed (LaunchDarkly v3 to v4); one more
// toggle offline, then a replay: LaunchDarkly at the version the tool's own replay left is
// ready, not a conflict.
func TestReplayAfterReplayIsNoConflict(t *testing.T) {
	e := newEnv(t)
	const project, envKey, flag = "web-store", "production", "kill-switch-checkout" // ON v3 in LaunchDarkly
	e.change(project, envKey, flag, true, false, ver(3), "kill")
	e.change(project, envKey, flag, false, true, ver(4), "")
	e.change(project, envKey, flag, true, false, ver(5), "kill again")
	if counts, _, err := e.apply(context.Background(), e.plan()); err != nil || counts.Applied != 1 {
		t.Fatalf("first replay = %+v, %v", counts, err)
	}
	if on, v := e.state(project, envKey, flag); on || v != 4 {
		t.Fatalf("LaunchDarkly after the first replay: on=%t v%d, want off at 4", on, v)
	}

	e.change(project, envKey, flag, false, true, ver(6), "back on") // Redis still at v6
	plan := e.plan()
	if got := statuses(plan); got != string(Ready) {
		t.Fatalf("second plan = %s (%s), want ready", got, plan.Items[0].Reason)
	}
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Applied != 1 || counts.Conflicts != 0 {
		t.Fatalf("second replay = %+v, %v", counts, err)
	}
	if on, v := e.state(project, envKey, flag); !on || v != 5 {
		t.Errorf("LaunchDarkly after the second replay: on=%t v%d, want on at 5", on, v)
	}

	// Someone else's change after the tool's replay is still a conflict.
	e.change(project, envKey, flag, true, false, ver(7), "")
	e.fake.ChangeBehindBack(project, envKey, flag, true) // v6, still on
	if it := e.plan().Items[0]; it.Status != Conflict || !strings.Contains(it.Reason, "since this tool's last replay") {
		t.Errorf("plan after a change in LaunchDarkly = %s (%s), want a conflict", it.Status, it.Reason)
	}
}

// Hosts that disagree about which change landed last are not guessed at: not replayable,
// with the disagreement as the reason, and nothing sent.
func TestReplayDoesNotGuessWhenHostsDisagree(t *testing.T) {
	e := newEnv(t)
	p := journal.Pending{Prefix: "ld:web-store:production", Project: "web-store", Environment: "production", Flag: "checkout-flow",
		BaseOn: true, BaseVersion: ver(40), Desired: false, Disagreement: "the hosts disagree about which change landed last: a: ON v42; b: OFF v42",
		Entries: []journal.Entry{{Change: journal.Change{ID: "x"}, OutcomeKnown: true}}}
	plan, err := e.r.Plan(context.Background(), []journal.Pending{p})
	if err != nil {
		t.Fatal(err)
	}
	if it := plan.Items[0]; it.Status != NotReplayable || !strings.Contains(it.Reason, "a: ON v42; b: OFF v42") {
		t.Fatalf("item = %s (%s), want not replayable naming the disagreement", it.Status, it.Reason)
	}
	plan.Items[0].Status = Ready // even a plan edited by hand
	if _, _, err := e.apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.PatchCount(); n != 0 {
		t.Errorf("%d patches sent for a flag whose hosts disagree", n)
	}
}

// Defect 1 end to end: the reply to EXEC is held past the command timeout on both hosts, so
// the write's outcome is unknown although it landed. The change stays in the queue and the
// replay sends it to LaunchDarkly.
func TestReplaySendsAWriteWhoseReplyWasLost(t *testing.T) {
	e := newEnv(t)
	var hosts []flags.HostConfig
	var proxies []*redistest.Proxy
	for _, name := range []string{"relay-a", "relay-b"} {
		srv := redistest.StartWithFixture(t)
		px := redistest.StartProxy(t, srv.Addr, 0)
		px.HoldReply("exec", 400*time.Millisecond)
		proxies = append(proxies, px)
		hosts = append(hosts, flags.HostConfig{Name: name, Addr: px.Addr})
	}
	store, err := flags.Open(hosts, flags.Options{CommandTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e.r.Store = store
	ctx := context.Background()

	_, res, err := e.j.Toggle(ctx, store, journal.Change{Operator: "ann", Prefix: "ld:web-store:production", Project: "web-store",
		Environment: "production", Flag: "kill-switch-checkout", Before: true, After: false, BaseVersion: ver(3)})
	if err != nil || len(res.UnknownHosts()) != 2 {
		t.Fatalf("toggle = %+v, %v; want the outcome unknown on both hosts", res.Hosts, err)
	}
	for _, px := range proxies {
		px.HoldReply("exec", 0)
	}
	plan, err := e.r.PlanAll(ctx)
	if err != nil || statuses(plan) != string(Ready) {
		t.Fatalf("PlanAll = %s, %v; want the landed write ready", statuses(plan), err)
	}
	if counts, _, err := e.apply(ctx, plan); err != nil || counts.Applied != 1 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	if on, v := e.state("web-store", "production", "kill-switch-checkout"); on || v != 4 {
		t.Errorf("LaunchDarkly: on=%t v%d, want off at 4", on, v)
	}
}
