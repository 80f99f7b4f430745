package tui

import (
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"relaycommander/journal"
	"relaycommander/ldsync"
)

// Golden screens of the sync states issue 13 added (items 7 and 10), at both sizes.
func TestSyncGolden(t *testing.T) {
	screens := []struct {
		name  string
		setup func(u *unit)
	}{
		// LaunchDarkly resets the check's connection while a change waits
		{"sync-unreachable-reset", func(u *unit) {
			u.fj.pending = []journal.Pending{pendingKill(false)}
			u.build(Backends{Store: u.fs, Journal: u.fj, LD: fakeLD{err: errLDReset}, Replayer: &fakeReplayer{plan: samplePlan()}, Guard: &fakeGuard{}})
			u.apply(u.key("3"))
		}},
		// the token refused
		{"sync-token-refused", func(u *unit) {
			refused := &ldsync.APIError{Op: "list projects at https://app.launchdarkly.com", Status: 401, Code: "unauthorized", Message: "Invalid access token"}
			u.fj.pending = []journal.Pending{pendingKill(false)}
			u.build(Backends{Store: u.fs, Journal: u.fj, LD: fakeLD{err: refused}, Replayer: &fakeReplayer{plan: samplePlan()}, Guard: &fakeGuard{}})
			u.apply(u.key("3"))
		}},
		// a forced conflict changed again before its patch: the replay ended with it left
		{"sync-done-conflict-left", func(u *unit) {
			plan := ldsync.Plan{Items: []ldsync.Item{samplePlan().Items[0], samplePlan().Items[2]}}
			u.withLD(plan)
			u.apply(u.key("3"))
			u.key("down", "f")
			again := u.m.syncScreen.sync.plan.Items[1]
			again.Status, again.Force, again.LD.Version = ldsync.Conflict, false, 15
			again.Reason = "changed again in LaunchDarkly since the plan: now on=true at version 15 (the plan showed 14)"
			u.replayScript(ldsync.Counts{Applied: 1, Verified: 1, Conflicts: 1},
				ldsync.Progress{Index: 0, Done: true, Result: "applied", Item: plan.Items[0], Counts: ldsync.Counts{Applied: 1}},
				ldsync.Progress{Index: 0, Done: true, Result: "verified", Item: plan.Items[0], Counts: ldsync.Counts{Applied: 1, Verified: 1}},
				ldsync.Progress{Index: 1, Done: true, Result: "conflict", Item: again, Counts: ldsync.Counts{Applied: 1, Verified: 1, Conflicts: 1}},
			)
		}},
		// one change applied, one already in sync: the bar ends at 100%
		{"sync-done-in-sync", func(u *unit) {
			inSync := journal.Pending{Prefix: "ld:web-store:staging", Project: "web-store", Environment: "staging", Flag: "checkout-flow", Desired: true, BaseOn: false}
			plan := ldsync.Plan{Items: []ldsync.Item{samplePlan().Items[0], {Pending: inSync, Status: ldsync.InSync}}}
			u.withLD(plan)
			u.apply(u.key("3"))
			u.replayScript(ldsync.Counts{Applied: 1, InSync: 1, Verified: 2},
				ldsync.Progress{Index: 0, Done: true, Result: "applied", Item: plan.Items[0], Counts: ldsync.Counts{Applied: 1}},
				ldsync.Progress{Index: 0, Done: true, Result: "verified", Item: plan.Items[0], Counts: ldsync.Counts{Applied: 1, Verified: 1}},
				ldsync.Progress{Index: 1, Done: true, Result: string(journal.ReplayInSync), Item: plan.Items[1], Counts: ldsync.Counts{Applied: 1, InSync: 1, Verified: 1}},
				ldsync.Progress{Index: 1, Done: true, Result: "verified", Item: plan.Items[1], Counts: ldsync.Counts{Applied: 1, InSync: 1, Verified: 2}},
			)
		}},
		// the cursor's conflict explained as Plan explains one: whole, the keys on their own line
		{"sync-plan-long-conflict", func(u *unit) {
			u.withLD(longConflict())
			u.apply(u.key("3"))
			u.key("down", "down")
		}},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, sc := range screens {
			t.Run(sprintf("%s-%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				u := newUnit(t, size[0], size[1], nil)
				sc.setup(u)
				v := u.view()
				checkFrame(t, v, size[0], size[1])
				golden.RequireEqual(t, v)
			})
		}
	}
}
