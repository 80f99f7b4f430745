package tui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"relaycommander/journal"
	"relaycommander/ldsync"
)

// Issue 13 items 4, 5, 6 and 7 on the sync screen: protected rows marked, explanations whole,
// keys offered only when they act, and a bar that counts what is finished.

// boxText is the sync box's inside, its lines joined by spaces, runs of spaces made one.
func boxText(u *unit) string {
	var parts []string
	for _, l := range strings.Split(u.view(), "\n") {
		parts = append(parts, strings.Trim(l, "┃ "))
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// replayScript feeds a replay of the screen's plan, as startReplay would start it, with these
// events and end.
func (u *unit) replayScript(done ldsync.Counts, events ...ldsync.Progress) {
	u.t.Helper()
	s := &u.m.syncScreen.sync
	s.begin(func() {}, s.plan.Tally().Process)
	for _, p := range events {
		p.Total = s.plan.Tally().Process
		u.m.Update(progressMsg{p: p})
	}
	u.m.Update(replayDoneMsg{counts: done})
}

// longConflict is a conflict explained as Plan explains one: longer than a row at 80 columns.
func longConflict() ldsync.Plan {
	p := samplePlan()
	p.Items[2].Reason = "changed in LaunchDarkly during the outage: now on=true at version 14 (was 13 before the offline change), last modified 2026-12-01T03:01:00Z"
	return p
}

func TestSyncConflictExplanationIsWholeAndKeysOnTheirOwnLine(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		u := newUnit(t, size[0], size[1], nil)
		u.withLD(longConflict())
		u.apply(u.key("3"))
		u.key("down", "down")
		if !strings.Contains(boxText(u), u.m.localTimes(longConflict().Items[2].Reason)) {
			t.Fatalf("%dx%d: the conflict's explanation is cut:\n%s", size[0], size[1], u.view())
		}
		var hint string
		for _, l := range strings.Split(u.view(), "\n") {
			if strings.Contains(l, "s skip") && hint == "" {
				hint = l // the row's hint, above the footer
			}
			if strings.Contains(l, "s skip") != strings.Contains(l, "f force") {
				t.Fatalf("%dx%d: the key hints are split: %q", size[0], size[1], l)
			}
		}
		if hint == "" || strings.Contains(hint, "changed in LaunchDarkly") {
			t.Fatalf("%dx%d: the key hints are not on their own line: %q", size[0], size[1], hint)
		}
	}
}

func TestSyncFooterOffersReplayOnlyWithSomethingReady(t *testing.T) {
	conflictOnly := ldsync.Plan{Items: []ldsync.Item{samplePlan().Items[2], samplePlan().Items[3]}}
	u := newUnit(t, 120, 40, nil)
	u.withLD(conflictOnly)
	u.apply(u.key("3"))
	if f := footerOf(u); strings.Contains(f, "replay") || !strings.Contains(f, "s skip conflict") || !strings.Contains(f, "f force conflict") {
		t.Fatalf("nothing ready, cursor on an undecided conflict: footer %q", f)
	}
	u.key("s")
	if f := footerOf(u); strings.Contains(f, "s skip") || strings.Contains(f, "replay") {
		t.Fatalf("the conflict skipped: footer still offers s or enter: %q", f)
	}
	u.key("f")
	if f := footerOf(u); strings.Contains(f, "f force") || !strings.Contains(f, "replay ready") {
		t.Fatalf("the conflict forced: footer %q", f)
	}
	u.key("down") // not a conflict
	if f := footerOf(u); strings.Contains(f, "skip") || strings.Contains(f, "force") {
		t.Fatalf("cursor on a row that is not a conflict: footer %q", f)
	}
	u.key("?")
	if v := u.view(); strings.Contains(v, "skip conflict") {
		t.Fatalf("help offers s off a conflict:\n%s", v)
	}
}

// After a replay that sent everything, nothing is ready: enter is not offered, and the plan
// line counts what happened, not the plan's conflict.
func TestSyncAfterForcedConflictAppliedCountsTheTruth(t *testing.T) {
	plan := ldsync.Plan{Items: []ldsync.Item{samplePlan().Items[0], samplePlan().Items[2]}}
	u := newUnit(t, 120, 40, nil)
	u.withLD(plan)
	u.apply(u.key("3"))
	u.mustSee("1 conflict")
	u.key("down", "f")
	u.mustSee("1 forced")
	u.mustNotSee("1 conflict")
	forced := u.m.syncScreen.sync.plan.Items[1]
	u.replayScript(ldsync.Counts{Applied: 2, Verified: 2},
		ldsync.Progress{Index: 0, Done: true, Result: "applied", Item: plan.Items[0]},
		ldsync.Progress{Index: 0, Done: true, Result: "verified", Item: plan.Items[0]},
		ldsync.Progress{Index: 1, Done: true, Result: "applied", Item: forced},
		ldsync.Progress{Index: 1, Done: true, Result: "verified", Item: forced},
	)
	u.mustSee("2 applied")
	u.mustNotSee("1 conflict")
	u.mustNotSee("1 forced")
	if f := footerOf(u); strings.Contains(f, "replay ready") || strings.Contains(f, "skip") || strings.Contains(f, "force") {
		t.Fatalf("everything replayed: footer %q", f)
	}
	if cmd := u.key("enter"); cmd != nil {
		t.Fatal("enter with nothing left planned again, wiping the results off the screen")
	}
	u.mustSee("nothing left to replay from here; p plans again")
	u.mustSee("VERIFIED")
}

// The bar ends full when the replay ended, though an in-sync item's event was lost on the way
// (Apply's progress may drop one for a slow screen); the line beside says nothing is left.
func TestSyncBarEndsFullWithAnInSyncItem(t *testing.T) {
	inSync := journal.Pending{Prefix: "ld:web-store:staging", Project: "web-store", Environment: "staging", Flag: "checkout-flow", Desired: true, BaseOn: false}
	plan := ldsync.Plan{Items: []ldsync.Item{samplePlan().Items[0], {Pending: inSync, Status: ldsync.InSync}}}
	u := newUnit(t, 120, 40, nil)
	u.withLD(plan)
	u.apply(u.key("3"))
	u.replayScript(ldsync.Counts{Applied: 1, InSync: 1, Verified: 2},
		ldsync.Progress{Index: 0, Done: true, Result: "applied", Item: plan.Items[0]},
		ldsync.Progress{Index: 0, Done: true, Result: "verified", Item: plan.Items[0]},
	)
	if !regexp.MustCompile(`\[#+\] 2/2 done`).MatchString(u.view()) {
		t.Fatalf("the bar is not full at the end:\n%s", u.view())
	}
	u.mustSee("nothing left")
}

// An item whose outcome's event the screen missed (the replay's progress drops events rather
// than wait), and only its verification arrived: the bar still ends full.
func TestSyncBarEndsFullWhenAnOutcomeEventWasDropped(t *testing.T) {
	plan := ldsync.Plan{Items: []ldsync.Item{samplePlan().Items[0]}}
	u := newUnit(t, 120, 40, nil)
	u.withLD(plan)
	u.apply(u.key("3"))
	u.replayScript(ldsync.Counts{Applied: 1, Verified: 1},
		ldsync.Progress{Index: 0, Done: true, Result: "verified", Item: plan.Items[0]},
	)
	if !regexp.MustCompile(`\[#+\] 1/1 done`).MatchString(u.view()) {
		t.Fatalf("the bar is not full at the end:\n%s", u.view())
	}
}

// A conflict left by the replay: the bar is full, and the line says what waits and how to go on.
func TestSyncBarEndsFullWithAConflictLeft(t *testing.T) {
	plan := ldsync.Plan{Items: []ldsync.Item{samplePlan().Items[0], samplePlan().Items[2]}}
	u := newUnit(t, 120, 40, nil)
	u.withLD(plan)
	u.apply(u.key("3"))
	u.key("down", "f") // forced, but it changed again before the patch
	again := u.m.syncScreen.sync.plan.Items[1]
	again.Status, again.Force, again.LD.Version = ldsync.Conflict, false, 15
	again.Reason = "changed again in LaunchDarkly since the plan: now on=true at version 15 (the plan showed 14)"
	u.replayScript(ldsync.Counts{Applied: 1, Verified: 1, Conflicts: 1},
		ldsync.Progress{Index: 0, Done: true, Result: "applied", Item: plan.Items[0]},
		ldsync.Progress{Index: 0, Done: true, Result: "verified", Item: plan.Items[0]},
		ldsync.Progress{Index: 1, Done: true, Result: "conflict", Item: again},
	)
	if !regexp.MustCompile(`\[#+\] 2/2 done`).MatchString(u.view()) {
		t.Fatalf("the bar is not full at the end:\n%s", u.view())
	}
	u.mustSee("1 conflict waits: s skip or f force on its row")
	u.mustSee("changed again in LaunchDarkly since the plan")
	if f := footerOf(u); !strings.Contains(f, "s skip conflict") || strings.Contains(f, "replay ready") {
		t.Fatalf("a conflict left, cursor on it: footer %q", f)
	}
	// decided now, enter plans again and keeps the decision on the same LaunchDarkly state
	u.key("f")
	if f := footerOf(u); !strings.Contains(f, "replay ready") {
		t.Fatalf("the left conflict forced: footer %q", f)
	}
	fresh := plan
	fresh.Items = []ldsync.Item{again}
	u.m.syncScreen.rep = &fakeReplayer{plan: fresh}
	cmd := u.key("enter")
	msg := cmd()
	u.m.Update(msg) // the plan: the replay starts with the decision kept
	s := &u.m.syncScreen.sync
	if !s.running || !s.plan.Items[0].Force {
		t.Fatalf("enter after deciding the left conflict: running %v, item %+v", s.running, s.plan.Items[0])
	}
	s.cancel()
}

func TestSyncProtectedRowsAreMarked(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.withLD(samplePlan())
	u.apply(u.key("3"))
	for _, l := range strings.Split(u.view(), "\n") {
		prod, marked := strings.Contains(l, "/production/"), strings.Contains(l, protectedShort)
		if prod != marked {
			t.Fatalf("row %q: production %v, marked %v", l, prod, marked)
		}
	}
	u.replayScript(ldsync.Counts{})
	s := &u.m.syncScreen.sync
	s.running, s.finished = true, false
	u.m.Update(progressMsg{p: ldsync.Progress{Index: 0, Total: 2, Item: samplePlan().Items[0]}})
	u.mustSee("sending web-store/production/kill-switch-checkout " + protectedWord)
}

// The sync screen's check line follows the latest check, in the header's words, and not the
// time of the plan only: the header said "reachable (4s ago)" while it said "checked" and
// the plan's time.
func TestSyncCheckLineFollowsTheLatestCheck(t *testing.T) {
	clock := testNow
	u := newUnit(t, 120, 40, func(c *Config) { c.Now = func() time.Time { return clock } })
	u.withLD(samplePlan())
	u.apply(u.key("3"))
	u.mustSee("LaunchDarkly reachable, token accepted (just now)")
	clock = testNow.Add(time.Minute)
	u.apply(u.m.ldCheckCmd())
	clock = clock.Add(4 * time.Second)
	if !strings.Contains(u.view(), "LaunchDarkly: reachable (4s ago)") {
		t.Fatalf("header:\n%s", u.view())
	}
	u.mustSee("LaunchDarkly reachable, token accepted (4s ago), plan of 03:12:30")
	u.mustNotSee("checked 03:12:30")
}

// A conflict's time is written as the rest of the screen writes times, local hh:mm:ss (with
// the date when it is not today's), not ISO UTC.
func TestSyncConflictTimesAreLocal(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	u := newUnit(t, 120, 40, func(c *Config) { c.Now = func() time.Time { return testNow.In(zone) } })
	p := samplePlan()
	p.Items[2].Reason = "changed in LaunchDarkly during the outage: now on=true at version 14 (was 13 before the offline change), last modified 2026-11-24T02:40:46Z"
	p.Items[3].Reason = "405 approval required; last modified 2026-11-20T23:30:00Z"
	u.withLD(p)
	u.apply(u.key("3"))
	text := boxText(u)
	for _, want := range []string{"last modified 03:40:46", "last modified 2026-11-21 00:30:00"} {
		if !strings.Contains(text, want) {
			t.Errorf("the sync screen lacks %q:\n%s", want, u.view())
		}
	}
	if strings.Contains(text, "T02:40:46Z") || strings.Contains(text, "T23:30:00Z") {
		t.Errorf("ISO UTC times remain:\n%s", u.view())
	}
}

// At 80 columns the plan's counts stay whole: zero counts are left out and what does not fit
// wraps at a count, not "1 fo…".
func TestSyncPlanCountsWholeAt80(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	p := samplePlan()
	forced, skipped, inSync := p.Items[2], p.Items[2], p.Items[0]
	forced.Force = true
	skipped.Skip = true
	inSync.Status = ldsync.InSync
	p.Items = append(p.Items, forced, skipped, inSync)
	u.withLD(p)
	u.apply(u.key("3"))
	text := boxText(u)
	if !strings.Contains(text, "plan: 1 ready 1 in sync 1 conflict 1 unknown base 1 not replayable 1 forced 1 skipped") || strings.Contains(strings.Join(boxRows(t, u.view(), "Sync to LaunchDarkly"), "\n"), "…") {
		t.Fatalf("the plan's counts are cut:\n%s", u.view())
	}
	checkFrame(t, u.view(), 80, 24)

	u = newUnit(t, 80, 24, nil)
	u.withLD(samplePlan())
	u.apply(u.key("3"))
	u.mustSee("plan: 1 ready  1 conflict  1 unknown base  1 not replayable")
	u.mustNotSee("0 in sync")
}
