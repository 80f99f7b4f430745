package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/ldsync/ldfake"
)

// realChecker is a LaunchDarkly client against the fake LaunchDarkly, as the sync screen's
// check: its errors are the real client's.
func realChecker(t *testing.T, fake *ldfake.Server, token string) *ldsync.Client {
	t.Helper()
	c, err := ldsync.NewClient(ldsync.ClientConfig{BaseURL: fake.URL(), Token: token, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// With LaunchDarkly resetting every connection, the sync screen says it does not answer, how
// and where, what waits and what to do; the raw error only as a detail.
func TestSyncUnreachableSaysWhichAndWhatNext(t *testing.T) {
	fake := ldfake.New()
	t.Cleanup(fake.Close)
	fake.SetUnreachable(true)
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.build(Backends{Store: u.fs, Journal: u.fj, LD: realChecker(t, fake, fake.Token()),
		Replayer: &fakeReplayer{plan: samplePlan()}, Guard: &fakeGuard{}})
	u.apply(u.key("3"))
	host := strings.TrimPrefix(fake.URL(), "http://")
	u.mustSee("LaunchDarkly does not answer (connection reset by peer at " + host + ")")
	u.mustSee("It is still down or the network blocks it. The queue waits")
	u.mustSee("A arms the replay")
	u.mustSee("detail: LaunchDarkly unreachable: list projects at") // the raw error, as a detail
	u.mustNotSee("unreachable or token refused")

	u.fj.pending = nil
	u.refresh()
	u.apply(u.key("p"))
	u.mustSee("Nothing is pending, so nothing waits.")
	u.mustNotSee("A arms") // nothing to arm: A would do nothing
}

// A refused token is not an outage: the screen says so and names the setting to fix.
func TestSyncTokenRefusedNamesTheSetting(t *testing.T) {
	fake := ldfake.New()
	t.Cleanup(fake.Close)
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)} // something to arm, were arming of use
	u.build(Backends{Store: u.fs, Journal: u.fj, LD: realChecker(t, fake, "api-not-the-token"),
		Replayer: &fakeReplayer{plan: samplePlan()}, Guard: &fakeGuard{}})
	u.apply(u.key("3"))
	u.mustSee("LaunchDarkly refused the API token (401)")
	u.mustSee("Set RC_LAUNCHDARKLY_API_TOKEN to a token with writer rights")
	u.mustNotSee("does not answer")
	u.mustNotSee("A arms") // waiting does not mend a token
	if f := footerOf(u); strings.Contains(f, "arm") {
		t.Fatalf("the token refused, the footer offers to arm: %q", f)
	}
}

// A rate-limited check says when to check again.
func TestSyncRateLimitedSaysWhen(t *testing.T) {
	fake := ldfake.New()
	t.Cleanup(fake.Close)
	fake.SetGlobalLimit(1, time.Hour)
	ld := realChecker(t, fake, fake.Token())
	if err := ld.Check(context.Background()); err != nil { // the one request of the window
		t.Fatal(err)
	}
	u := newUnit(t, 120, 40, nil)
	u.build(Backends{Store: u.fs, Journal: u.fj, LD: ld, Replayer: &fakeReplayer{plan: samplePlan()}})
	u.apply(u.key("3"))
	u.mustSee("LaunchDarkly is rate-limiting this token (429)")
	u.mustSee("p checks again after")
	u.mustNotSee("does not answer")
}

// An error without LaunchDarkly's status (a stand-in) still shows, escaped, with the way on.
func TestSyncCheckErrorOfUnknownKind(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.withReplayer(fakeLD{err: errors.New("proxy said \x1b[31mno\x1b[0m")}, &fakeReplayer{plan: samplePlan()})
	u.apply(u.key("3"))
	u.mustSee("LaunchDarkly did not pass the check")
	u.mustSee("detail: proxy said ")
	if strings.Contains(u.m.View().Content, "\x1b[31mno") {
		t.Fatal("the raw error reached the terminal unescaped")
	}
}

// errLDReset is LaunchDarkly resetting the check's connection, as the client reports it.
var errLDReset = &ldsync.APIError{Op: "list projects at https://app.launchdarkly.com", Cause: "connection reset by peer", Addr: "app.launchdarkly.com",
	Message: `Get "https://app.launchdarkly.com/api/v2/projects?limit=1": read tcp 10.0.0.5:33538->52.1.2.3:443: read: connection reset by peer`}

// Armed, the wait for LaunchDarkly says the same words as the check; the raw error is a detail.
func TestSyncArmedWaitSaysWhy(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.armPending()
	script := armedEvents()
	script[1].Check.Err = errLDReset
	u.withGuard(fakeLD{err: errLDReset}, &fakeGuard{script: script, hold: true})
	u.key("3")
	u.arm()
	u.guardStep()
	u.mustSee("waiting for LaunchDarkly: last check 03:12:30: LaunchDarkly does not answer (connection reset by peer at")
	u.mustNotSee("unreachable or token refused")
	u.mustSee("detail: LaunchDarkly unreachable: list projects at")
}

// A replay that LaunchDarkly stopped answering says so in words, and what is left.
func TestSyncReplayStoppedByAnOutageSaysSo(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	plan := ldsync.Plan{Items: []ldsync.Item{samplePlan().Items[0], samplePlan().Items[1]}}
	u.withLD(plan)
	u.apply(u.key("3"))
	s := &u.m.syncScreen.sync
	s.begin(func() {}, 2)
	u.m.Update(progressMsg{p: ldsync.Progress{Index: 0, Total: 2, Done: true, Result: "applied", Item: plan.Items[0], Counts: ldsync.Counts{Applied: 1}}})
	stopped := fmt.Errorf("%w: LaunchDarkly stopped answering; the remaining changes stay pending, replay again later: %w", ldsync.ErrAborted, errLDReset)
	u.m.Update(replayDoneMsg{counts: ldsync.Counts{Applied: 1, Failed: 1}, err: stopped})
	u.mustSee("stopped: LaunchDarkly does not answer (connection reset by peer at app.launchdarkly.com)")
	u.mustSee("left: 1 not sent: enter replays it")
	if st := u.m.status; !strings.Contains(st, "replay stopped: LaunchDarkly does not answer (connection reset by peer") {
		t.Fatalf("status: %q", st)
	}
	if f := footerOf(u); !strings.Contains(f, "replay ready") {
		t.Fatalf("a change left to send: footer %q", f)
	}
}

// LaunchDarkly answering 5xx is an outage too: arming waits it out.
func TestSyncServerErrorIsAnOutage(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.fj.pending = []journal.Pending{pendingKill(false)}
	failing := &ldsync.APIError{Op: "list projects at https://app.launchdarkly.com", Status: 503, Code: "service_unavailable", Message: "Service unavailable"}
	u.build(Backends{Store: u.fs, Journal: u.fj, LD: fakeLD{err: failing}, Replayer: &fakeReplayer{plan: samplePlan()}, Guard: &fakeGuard{}})
	u.apply(u.key("3"))
	u.mustSee("LaunchDarkly is failing (it answered HTTP 503 service_unavailable)")
	u.mustSee("A arms the replay")
}

// A refused token is not waited out: A is offered nowhere (banner, queue, footer) and does
// not arm, while an outage can be armed.
func TestArmNotOfferedWithARefusedToken(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.armPending()
	refused := &ldsync.APIError{Op: "list projects at https://app.launchdarkly.com", Status: 401, Code: "unauthorized", Message: "Invalid access token"}
	u.withGuard(fakeLD{err: refused}, &fakeGuard{})
	u.apply(u.m.ldCheckCmd())
	u.key("2")
	if u.m.canArm() || shows(u, "A", "arm replay") {
		t.Fatalf("A offered with a refused token:\n%s", u.view())
	}
	u.key("A")
	if u.m.arm.on {
		t.Fatal("A armed the replay with a refused token")
	}
	u.mustSee("LaunchDarkly: token refused")

	u.withGuard(fakeLD{err: errLDDown}, &fakeGuard{})
	u.apply(u.m.ldCheckCmd())
	if !u.m.canArm() {
		t.Fatal("an outage cannot be armed")
	}
}
