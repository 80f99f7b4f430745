package tui

import (
	"strings"
	"testing"

	"relaycommander/journal"
	"relaycommander/ldsync"
)

// While LaunchDarkly does not answer, the banner offers what acts: A holds the undone
// changes in Redis and replays them when it answers (R would only show that it is down).
func TestBannerOffersArmWhileLaunchDarklyIsDown(t *testing.T) {
	g := &fakeGuard{script: armedEvents(), hold: true}
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)} // undone: Redis has ON
	u.withGuard(fakeLD{err: errLDDown}, g)
	u.apply(u.m.ldCheckCmd())
	if row := u.bannerRow(); !strings.Contains(row, "A holds and replays") || strings.Contains(row, "R replay now") {
		t.Fatalf("banner while LaunchDarkly is down: %q", row)
	}
}

// Without a LaunchDarkly token R shows why nothing replays from here, and what brings an
// undone change back meanwhile: toggling it again.
func TestReplayWithoutATokenSaysToggleAgain(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.refresh()
	u.apply(u.key("R"))
	u.mustSee("No LaunchDarkly API token is configured")
	u.mustSee("undid 1 change: to put it back in Redis now, toggle the flag")
}

// A and R where they cannot act say why, instead of doing nothing silently.
func TestArmAndReplayKeysSayWhyNot(t *testing.T) {
	u := newUnit(t, 120, 40, nil) // no LaunchDarkly token
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.refresh()
	u.key("2", "A")
	u.mustSee("A arms the replay, which needs a LaunchDarkly API token: set RC_LAUNCHDARKLY_API_TOKEN")

	g := &fakeGuard{script: armedEvents(), hold: true}
	u = newUnit(t, 120, 40, nil)
	u.withGuard(fakeLD{err: errLDDown}, g)
	u.key("R")
	u.mustSee("nothing pending: nothing to replay")
	u.key("2", "A")
	u.mustSee("nothing pending: nothing to arm")

	u = newUnit(t, 120, 40, nil)
	u.armPending() // pending, nothing undone: no banner
	u.withGuard(fakeLD{err: errLDDown}, g)
	u.key("1", "A")
	u.mustSee("A arms from the queue (2) or the sync screen (3)")
}

// The footer offers R and A exactly as the banner does: in an outage A only.
func TestFooterOffersWhatTheBannerOffers(t *testing.T) {
	g := &fakeGuard{script: armedEvents(), hold: true}
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.withGuard(fakeLD{err: errLDDown}, g)
	u.apply(u.m.ldCheckCmd())
	f := footerOf(u)
	if strings.Contains(f, "R replay now") || !strings.Contains(f, "A arm replay") {
		t.Fatalf("footer in an outage: %q; want A and not R, as the banner %q", f, u.bannerRow())
	}
}

// An untrusted TLS certificate is mended neither by waiting (A) nor by replaying (R): the
// banner says where the explanation is, and neither key is offered.
func TestBannerWithAnUntrustedCertificateOffersNeitherKey(t *testing.T) {
	g := &fakeGuard{script: armedEvents(), hold: true}
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.withGuard(fakeLD{err: &ldsync.APIError{Op: "list projects", Cause: "its TLS certificate was not accepted", Addr: "ld.example:443", Untrusted: true}}, g)
	u.apply(u.m.ldCheckCmd())
	row, f := u.bannerRow(), footerOf(u)
	if !strings.Contains(row, "TLS certificate not accepted") || strings.Contains(row, "A ") || strings.Contains(f, "R replay") || strings.Contains(f, "A arm") {
		t.Fatalf("banner %q, footer %q", row, f)
	}
}
