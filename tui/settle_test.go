package tui

import (
	"errors"
	"slices"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"

	"relaycommander/journal"
	"relaycommander/ldsync"
)

// Issue 11 in the UI: interrupted changes are settled before a plan and by the refresh, and
// an unknown outcome is shown as such, never as failed.

// pendingUnknown is a change whose EXEC reply was lost on relay-b: outcome unknown there.
func pendingUnknown() journal.Pending {
	p := pendingKill(false)
	p.Entries[0].Outcomes = []journal.HostOutcome{
		{Host: "relay-a", Outcome: "written", OldOn: true, OldVersion: 9, NewVersion: 10},
		{Host: "relay-b", Outcome: "unknown", OldOn: true, OldVersion: 9, NewVersion: 10, Error: "host relay-b: EXEC sent, outcome unknown: i/o timeout"},
	}
	return p
}

func settledEntry() journal.Entry {
	e := pendingUnknown().Entries[0]
	e.Outcomes[1] = journal.HostOutcome{Host: "relay-b", Outcome: "written", OldOn: true, OldVersion: 9, NewVersion: 10, Reconciled: true}
	return e
}

func TestSyncPlanSettlesFirstAndShowsWhat(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	plan := samplePlan()
	plan.Settled = []journal.Entry{settledEntry()}
	plan.SettleErr = errors.New("reading interrupted changes back from Redis: settle ld:payments:test legacy-export: no Redis host answered")
	unknown := pendingUnknown()
	unknown.Flag = "use-fallback-cdn"
	plan.Items = append(plan.Items, ldsync.Item{Pending: unknown, Status: ldsync.NotReplayable, Reason: "outcome unknown: whether the change reached Redis is not settled yet"})
	rep := &fakeReplayer{plan: plan}
	u.withReplayer(fakeLD{}, rep)
	u.apply(u.key("3"))
	if rep.planAlls != 1 || rep.plans != 0 {
		t.Fatalf("a writable session plans with PlanAll: %d PlanAll, %d Plan", rep.planAlls, rep.plans)
	}
	u.mustSee("read back from Redis first: 1 interrupted change: kill-switch-checkout (written on relay-a, relay-b)")
	u.mustSee("no Redis host answered")
	u.mustSee("1 of them: outcome unknown in Redis, or the Redis hosts disagree")
	u.mustNotSee("read-only")

	small := newUnit(t, 80, 24, nil)
	small.withReplayer(fakeLD{}, &fakeReplayer{plan: plan})
	small.apply(small.key("3"))
	checkFrame(t, small.view(), 80, 24)
	small.mustSee("read back from Redis first")
}

func TestSyncReadOnlyPlansWithoutSettling(t *testing.T) {
	u := newUnit(t, 120, 40, func(c *Config) { c.ReadOnly = true })
	plan := samplePlan()
	plan.Items = append(plan.Items, ldsync.Item{Pending: pendingUnknown(), Status: ldsync.NotReplayable, Reason: "outcome unknown"})
	rep := &fakeReplayer{plan: plan}
	u.withReplayer(fakeLD{}, rep)
	u.apply(u.key("3"))
	if rep.planAlls != 0 || rep.plans != 1 {
		t.Fatalf("read-only must not settle: %d PlanAll, %d Plan", rep.planAlls, rep.plans)
	}
	u.mustSee("read-only: 1 interrupted change not read back from Redis (a writable session settles them)")
}

func TestRefreshSettlesInterruptedChanges(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingUnknown()}
	after := pendingKill(false)
	after.Entries = []journal.Entry{settledEntry()}
	u.fj.settlement = &journal.Settlement{Pending: []journal.Pending{after}, Settled: []journal.Entry{settledEntry()}}
	u.refresh()
	if u.fj.settles != 1 {
		t.Fatalf("refresh called Settle %d times, want 1", u.fj.settles)
	}
	u.mustSee("outcome of 1 interrupted change read back from Redis: kill-switch-checkout")
	if got := u.m.pending[0].Entries[0].Outcomes[1]; got.Outcome != "written" || !got.Reconciled {
		t.Fatalf("the UI shows the pending changes as they stood before settling: %+v", got)
	}
	u.refresh() // nothing interrupted any more: no settling
	if u.fj.settles != 1 {
		t.Fatalf("Settle called with nothing interrupted (%d calls)", u.fj.settles)
	}
}

func TestRefreshReadOnlyDoesNotSettle(t *testing.T) {
	u := newUnit(t, 120, 40, func(c *Config) { c.ReadOnly = true })
	u.fj.pending = []journal.Pending{pendingUnknown()}
	u.fj.settlement = &journal.Settlement{}
	u.refresh()
	if u.fj.settles != 0 {
		t.Fatalf("read-only settled (%d Settle calls): settling records outcomes", u.fj.settles)
	}
	u.key("2")
	u.mustSee("outcome unknown on relay-b: the reply to the write was lost; a writable session reads it back from Redis")
}

func TestQueueShowsUnknownOutcomeNotFailed(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingUnknown()}
	u.refresh()
	u.key("2")
	u.mustSee("1/2, 1 unknown")
	u.mustSee("relay-b outcome unknown")
	u.mustSee("outcome unknown on relay-b: the reply to the write was lost; waiting for the writer, then read back from Redis")
	u.mustNotSee("FAILED")

	// relay-b does not answer: settling waits for it
	u.fs.disc.Hosts[1].Up = false
	p := pendingUnknown()
	p.Entries[0].Outcomes[1] = journal.HostOutcome{Host: "relay-b", Outcome: "unknown", OldOn: true, OldVersion: 9, NewVersion: 10, Error: "host did not answer when settled", Reconciled: true}
	u.fj.pending = []journal.Pending{p}
	u.refresh()
	u.mustSee("outcome unknown on relay-b: waiting until every host answers, then read back from Redis")

	// read back, and rewritten since: the operator decides
	u.fs.disc.Hosts[1].Up = true
	p.Entries[0].Outcomes[1].Error = "host holds v3, older than the v9 our write read: rewritten since (a Relay full sync?), so whether our write landed cannot be told; discard the change or set the flag again"
	u.fj.pending = []journal.Pending{p}
	u.refresh()
	u.mustSee("outcome unknown on relay-b: host holds v3, older than the v9 our write read")
}

func TestQueueShowsDisagreementAndWhatToDo(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	p := pendingKill(false)
	p.Disagreement = "relay-a holds OFF (change c1), relay-b holds ON (change c2)"
	u.fj.pending = []journal.Pending{p}
	u.refresh()
	u.key("2")
	u.mustSee("hosts disagree")
	u.mustSee("hosts disagree: relay-a holds OFF (change c1), relay-b holds ON (change c2); not replayed until they agree")
	u.mustSee("the flag again from the flags screen (1)")
	u.mustSee("discard the change (d)")
}

func TestResultsUnknownHostIsNotFailedNorRetried(t *testing.T) {
	u := newUnit(t, 120, 40, func(c *Config) { c.Protected = []string{"none"} })
	u.fs.disc.Hosts[2].Up = true
	u.fs.unknown = map[string]bool{"relay-b": true}
	u.gotoFlag("beta-dashboard")
	u.key("space", "tab", "y")
	u.apply(u.key("enter"))
	u.mustSee("Write results")
	u.mustSee("outcome unknown (read back: ")
	u.mustSee("beta-dashboard: outcome unknown on relay-b; reading it back from Redis")
	u.mustNotSee("FAILED")
	u.mustNotSee("T retry")
	if got := u.m.screenKeys().short; slices.ContainsFunc(got, func(b key.Binding) bool { return b.Help().Desc == "retry failed hosts" }) {
		t.Fatal("retry offered for a host whose outcome is unknown")
	}
	if cmd := u.key("T"); cmd != nil {
		t.Fatal("T retried a host whose write may have landed")
	}
	u.mustSee("outcome unknown (read back: not settled yet, the next refresh reads it back")
	// the journal read relay-b back: the write landed there
	c := u.m.resultsScreen.results.change
	u.fj.pending = []journal.Pending{{Prefix: c.Prefix, Flag: c.Flag, Desired: c.After, Entries: []journal.Entry{{Change: c, OutcomeKnown: true,
		Outcomes: []journal.HostOutcome{{Host: "relay-b", Outcome: "written", OldVersion: 9, NewVersion: 10, Reconciled: true}}}}}}
	u.refresh()
	u.mustSee("outcome unknown (read back: written v10, the write landed)")
	checkFrame(t, u.view(), 120, 40)
}

func TestQueueEarlierUnknownChangeHoldsTheFlag(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	p := pendingUnknown()
	later := pendingKill(true).Entries[0]
	later.ID, later.Time = "c9", testNow.Add(-time.Minute)
	later.Outcomes = later.Outcomes[:1] // relay-a only: relay-b's unknown is not superseded
	p.Entries = append(p.Entries, later)
	if !p.Interrupted() {
		t.Fatal("test data: the earlier unknown outcome should hold the flag")
	}
	u.fj.pending = []journal.Pending{p}
	u.refresh()
	u.key("2")
	u.mustSee("outcome unknown  ")
	u.mustSee("outcome unknown on relay-b")
}
