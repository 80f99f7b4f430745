package tui

import (
	"slices"
	"strings"
	"testing"

	"relaycommander/journal"
	"relaycommander/ldsync"
)

// pendingKillIn is pendingKill(false) in another project and environment.
func pendingKillIn(project, env string) journal.Pending {
	p := pendingKill(false)
	p.Prefix, p.Project, p.Environment = "ld:"+project+":"+env, project, env
	for i := range p.Entries {
		c := &p.Entries[i].Change
		c.Prefix, c.Project, c.Environment = p.Prefix, project, env
	}
	return p
}

// bannerRow is the banner's line: the third of the screen (no Relays configured).
func (u *unit) bannerRow() string { return strings.Split(u.view(), "\n")[2] }

// The banner names each undone change by environment and flag (and project, when they
// differ), and marks the protected ones in words.
func TestBannerNamesEnvironmentsAndMarksProtected(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKillIn("web-store", "staging"), pendingKill(false)}
	u.withLD(samplePlan()) // the banner offers R
	if len(u.m.drift) != 2 {
		t.Fatalf("drift %+v", u.m.drift)
	}
	row := u.bannerRow()
	if !strings.Contains(row, "undid 2 changes: staging/kill-switch-checkout, production/kill-switch-checkout "+protectedWord) {
		t.Fatalf("banner: %q", row)
	}
	raw := strings.Split(u.m.View().Content, "\n")[2]
	if !strings.Contains(raw, u.m.st.protected.Reverse(true).Render(protectedWord)) {
		t.Fatalf("the protected mark is not in the protected style: %q", raw)
	}

	// more than fit: whole names, and how many more
	u.fj.pending = []journal.Pending{pendingKillIn("payments", "staging"), pendingKill(false), pendingKillIn("mobile-api", "test")}
	u.refresh()
	if row := u.bannerRow(); !strings.Contains(row, "undid 3 changes: payments/staging/kill-switch-checkout and 2 more: 2 shows the queue  ") {
		t.Fatalf("banner with more than fit: %q", row)
	}
	wide := newUnit(t, 160, 40, nil)
	wide.fj.pending = []journal.Pending{pendingKillIn("payments", "staging"), pendingKill(false)}
	wide.refresh()
	if row := wide.bannerRow(); !strings.Contains(row, "payments/staging/kill-switch-checkout, web-store/production/kill-switch-checkout "+protectedWord) {
		t.Fatalf("banner across projects: %q", row)
	}
	// at 80 columns the mark shortens before a name is cut
	u = newUnit(t, 80, 24, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.refresh()
	if row := u.bannerRow(); !strings.Contains(row, "production/kill-switch-checkout "+protectedShort) && !strings.Contains(row, "production/kill-switch-checkout "+protectedWord) {
		t.Fatalf("banner at 80 columns: %q", row)
	}
	checkFrame(t, u.view(), 80, 24)
}

// When every pending change is a conflict the last plan left, R would replay nothing: the
// banner and the footer offer the sync screen's decision instead.
func TestBannerOffersTheConflictDecisionWhenOnlyConflictsAreLeft(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	kill := pendingKill(false)
	u.fj.pending = []journal.Pending{kill}
	plan := ldsync.Plan{Items: []ldsync.Item{{Pending: kill, Status: ldsync.Conflict, Reason: "changed in LaunchDarkly 03:01 (v11, base v9)"}}}
	u.withLD(plan)
	u.apply(u.m.syncScreen.planCmd())
	u.key("1")
	row := u.bannerRow()
	if !strings.Contains(row, "3 decide the conflict") || strings.Contains(row, "R replay") {
		t.Fatalf("banner with only a conflict left: %q", row)
	}
	u.mustNotSee("R replay now")

	// LaunchDarkly back before the re-sync, only the conflict pending: the same offer
	set := u.fs.sets["ld:web-store:production"]
	for i := range 2 {
		flagIn(set, "kill-switch-checkout").Hosts[i].On = false // Redis holds the change
	}
	u.refresh()
	if !u.m.ldBack() {
		t.Fatal("the banner does not say LaunchDarkly is back")
	}
	if row := u.bannerRow(); !strings.Contains(row, "LaunchDarkly is back") || !strings.Contains(row, "3 decide the conflict") || strings.Contains(row, "R replay") {
		t.Fatalf("LaunchDarkly-is-back banner with only a conflict left: %q", row)
	}
	for i := range 2 {
		flagIn(set, "kill-switch-checkout").Hosts[i].On = true
	}

	// a change that is not a conflict: R again
	u.fj.pending = []journal.Pending{kill, pendingKillIn("web-store", "staging")}
	u.refresh()
	if row := u.bannerRow(); !strings.Contains(row, "R replay now") {
		t.Fatalf("banner with a change to replay: %q", row)
	}
}

// While LaunchDarkly refuses the token, R would only show the refusal and A is not offered:
// the banner says to set the token instead, by the setting's name as the sync screen says it.
func TestBannerWithARefusedTokenSaysToSetIt(t *testing.T) {
	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		u := newUnit(t, size[0], size[1], nil)
		u.fj.pending = []journal.Pending{pendingKill(false)}
		refused := &ldsync.APIError{Op: "list projects at https://app.launchdarkly.com", Status: 401, Code: "unauthorized", Message: "Invalid access token"}
		u.withGuard(fakeLD{err: refused}, &fakeGuard{})
		u.apply(u.m.ldCheckCmd())
		u.refresh()
		if len(u.m.drift) != 1 {
			t.Fatalf("drift %+v", u.m.drift)
		}
		row := u.bannerRow()
		if !strings.Contains(row, "set "+ldsync.TokenSetting) || strings.Contains(row, "R replay") || strings.Contains(row, "A arm") {
			t.Errorf("%dx%d: banner with a refused token: %q", size[0], size[1], row)
		}
		if f := footerOf(u); strings.Contains(f, "replay now") {
			t.Errorf("%dx%d: the footer offers R with a refused token: %q", size[0], size[1], f)
		}
		checkFrame(t, u.view(), size[0], size[1])

		// 403 too: a token without the rights is refused alike
		u.withGuard(fakeLD{err: &ldsync.APIError{Op: "list projects", Status: 403, Code: "forbidden", Message: "Access denied"}}, &fakeGuard{})
		u.apply(u.m.ldCheckCmd())
		u.refresh()
		if row := u.bannerRow(); !strings.Contains(row, "set "+ldsync.TokenSetting) || strings.Contains(row, "R replay") {
			t.Errorf("%dx%d: banner with a 403: %q", size[0], size[1], row)
		}

		// an outage is waited out: A holds and replays when it answers
		u.withGuard(fakeLD{err: errLDDown}, &fakeGuard{})
		u.apply(u.m.ldCheckCmd())
		u.refresh()
		if row := u.bannerRow(); !strings.Contains(row, "A holds and replays") {
			t.Errorf("%dx%d: banner in an outage: %q", size[0], size[1], row)
		}
	}
}

// The sync screen's last plan decides "decide the conflict" only while it covers exactly the
// pending changes as they are now: a change made or replayed since makes it old, and R
// (which plans again) is offered instead.
func TestBannerOffersTheConflictDecisionOnlyFromACurrentPlan(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	kill := pendingKill(false)
	u.fj.pending = []journal.Pending{kill}
	plan := ldsync.Plan{Items: []ldsync.Item{{Pending: kill, Status: ldsync.Conflict, Reason: "changed in LaunchDarkly 03:01 (v11, base v9)"}}}
	u.withLD(plan)
	u.apply(u.m.syncScreen.planCmd())
	u.key("1")
	if row := u.bannerRow(); !strings.Contains(row, "3 decide the conflict") {
		t.Fatalf("banner with only a conflict left, the plan current: %q", row)
	}

	// a new change of the same flag since the plan: the plan's conflict is of an older change
	again := kill
	again.Entries = append(slices.Clone(kill.Entries), kill.Entries[0])
	again.Entries[1].Change.ID = "c2"
	u.fj.pending = []journal.Pending{again}
	u.refresh()
	if row := u.bannerRow(); !strings.Contains(row, "R replay now") || strings.Contains(row, "decide") {
		t.Errorf("banner after a newer change of the conflicting flag: %q", row)
	}

	// the plan also held a change replayed since: it no longer is the pending changes'
	search := pendingSearch()
	plan.Items = append(plan.Items, ldsync.Item{Pending: search, Status: ldsync.Ready})
	u.fj.pending = []journal.Pending{kill, search}
	u.withLD(plan)
	u.apply(u.m.syncScreen.planCmd())
	u.fj.pending = []journal.Pending{kill}
	u.refresh()
	if row := u.bannerRow(); !strings.Contains(row, "R replay now") || strings.Contains(row, "decide") {
		t.Errorf("banner after a planned change was replayed: %q", row)
	}
}
