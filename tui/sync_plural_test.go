package tui

import (
	"strings"
	"testing"

	"relaycommander/journal"
	"relaycommander/ldsync"
)

// No count on the sync screen or in its statuses reads "(s)": every one agrees with its number.
func TestSyncCountsAgreeWithTheirNumbers(t *testing.T) {
	noParenS := func(u *unit, what string) {
		t.Helper()
		if v := u.view(); strings.Contains(v, "(s)") {
			t.Fatalf("%s: the screen has a \"(s)\":\n%s", what, v)
		}
	}

	// armed, waiting: re-assertions and conflicts counted
	u := newUnit(t, 120, 40, nil)
	u.armPending()
	u.withGuard(fakeLD{err: errLDReset}, &fakeGuard{script: armedEvents(), hold: true})
	u.key("3")
	u.arm()
	u.guardStep()
	noParenS(u, "armed")
	u.mustSee("re-asserted 0 times after a Relay re-sync; 0 conflicts left alone")
	u.m.cancelArm()

	// a plan that settled one interrupted change, read-only with one not settled
	u = newUnit(t, 120, 40, func(c *Config) { c.ReadOnly = true })
	plan := samplePlan()
	plan.Settled = []journal.Entry{settledEntry()}
	plan.Items = append(plan.Items, ldsync.Item{Pending: pendingUnknown(), Status: ldsync.NotReplayable, Reason: "outcome unknown"})
	u.withReplayer(fakeLD{}, &fakeReplayer{plan: plan})
	u.apply(u.key("3"))
	noParenS(u, "plan")
	u.mustSee("read back from Redis first: 1 interrupted change: kill-switch-checkout")
	u.mustSee("read-only: 1 interrupted change not read back from Redis")

	// enter with only an undecided conflict: the status asks for the decision
	u = newUnit(t, 120, 40, nil)
	conflictOnly := ldsync.Plan{Items: samplePlan().Items[2:3]}
	u.withLD(conflictOnly)
	u.apply(u.key("3"))
	u.key("enter")
	noParenS(u, "nothing ready")
	u.mustSee("nothing to replay yet: decide the conflict with s or f")

	// a replay finished with a conflict left
	u = newUnit(t, 120, 40, nil)
	u.withLD(samplePlan())
	u.apply(u.key("3"))
	u.startFakeReplay()
	p := samplePlan()
	u.m.Update(progressMsg{p: ldsync.Progress{Index: 0, Total: 2, Done: true, Result: "applied", Item: p.Items[0], Counts: ldsync.Counts{Applied: 1}}})
	u.m.Update(progressMsg{p: ldsync.Progress{Index: 2, Total: 2, Done: true, Result: "conflict", Item: p.Items[2], Counts: ldsync.Counts{Applied: 1, Conflicts: 1}}})
	u.m.Update(replayDoneMsg{counts: ldsync.Counts{Applied: 1, Conflicts: 1}})
	noParenS(u, "done")
}
