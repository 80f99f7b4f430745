package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
	"relaycommander/journal"
	"relaycommander/tui"
)

const prodPrefix = "ld:web-store:production"

// runCtx is harness.run under the caller's context: Ctrl-C is its cancellation.
func (h *harness) runCtx(ctx context.Context, stdin string, tty bool, args ...string) got {
	h.t.Helper()
	var out, errb strings.Builder
	s := &System{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Env: h.env, Dir: h.dir, StdinTTY: tty, StdoutTTY: h.tty,
		Operator: func() string { return "os-user" },
		RunTUI: func(context.Context, tui.Config) error {
			h.t.Errorf("the terminal UI was started by: relaycommander %s", strings.Join(args, " "))
			return nil
		},
	}
	code := Run(ctx, s, args)
	return got{code, out.String(), errb.String()}
}

// startWait runs a command in the background; the returned function waits for its outcome.
func (h *harness) startWait(ctx context.Context, args ...string) func(timeout time.Duration) got {
	done := make(chan got, 1)
	go func() { done <- h.runCtx(ctx, "", false, args...) }()
	return func(timeout time.Duration) got {
		h.t.Helper()
		select {
		case g := <-done:
			return g
		case <-time.After(timeout):
			h.t.Fatalf("relaycommander %s still running after %s", strings.Join(args, " "), timeout)
			return got{}
		}
	}
}

// waitArmed waits until the journal says it is armed.
func (h *harness) waitArmed(timeout time.Duration) string {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if who := journal.ArmedBy(h.journal); who != "" {
			return who
		}
		time.Sleep(10 * time.Millisecond) // poll interval, not a wait for a condition
	}
	h.t.Fatalf("the journal %s was not armed within %s", h.journal, timeout)
	return ""
}

// waitStored waits until a host holds a flag with on.
func waitStored(t *testing.T, s *redistest.Server, prefix, flag string, on bool, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if got, _ := stored(t, s, prefix, flag); got == on {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s not %v on %s within %s", prefix, flag, on, s.Addr, timeout)
		}
		time.Sleep(20 * time.Millisecond) // poll interval, not a wait for a condition
	}
}

// resyncHost writes LaunchDarkly's (the fixture's) state of a flag back, as a Relay re-sync does.
func resyncHost(t *testing.T, s *redistest.Server, prefix, flag string) {
	t.Helper()
	if err := s.Client().HSet(context.Background(), prefix+":features", flag, fixture.Load()[prefix].Features[flag]).Err(); err != nil {
		t.Fatal(err)
	}
}

// Armed while LaunchDarkly is away: a re-sync's undo is written back, and the replay goes out
// the moment LaunchDarkly answers; the flag changed in LaunchDarkly meanwhile is a conflict
// (exit 4), neither written back nor sent.
func TestReplayWaitReplaysWhenLaunchDarklyAnswers(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	h.ok("update", "-p", "web-store", "-e", "production", "-f", "kill-switch-checkout", "-s", "off", "--yes", "--reason", "checkout errors")
	h.ok("update", "-p", "web-store", "-e", "production", "-f", "rate-limits", "-s", "off", "--yes")
	fake.ChangeBehindBack("web-store", "production", "rate-limits", true)
	fake.SetUnreachable(true)

	result := h.startWait(context.Background(), "replay", "--wait", "--yes")
	if who := h.waitArmed(10 * time.Second); !strings.Contains(who, "2 changes armed") {
		t.Errorf("armed holder = %q", who)
	}
	resyncHost(t, a, prodPrefix, "kill-switch-checkout") // a Relay re-synced from LaunchDarkly's old state
	waitStored(t, a, prodPrefix, "kill-switch-checkout", false, 2*time.Second)
	fake.SetUnreachable(false)
	g := result(20 * time.Second)

	wantCode(t, g, ExitConflicts, "conflict")
	for _, want := range []string{"armed", "waiting for LaunchDarkly: 2 changes armed; last check ", "re-asserted " + prodPrefix + " kill-switch-checkout=OFF on ",
		"verified: web-store/production/kill-switch-checkout", "Applied 1"} {
		if !strings.Contains(g.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, g.stdout)
		}
	}
	if n := fake.PatchCount(); n != 1 || fake.Patches()[0].Flag != "kill-switch-checkout" {
		t.Errorf("patches: %+v; want one, of kill-switch-checkout", fake.Patches())
	}
	if on, _, _ := fake.FlagState("web-store", "production", "rate-limits"); !on {
		t.Errorf("the conflicting flag was overwritten in LaunchDarkly")
	}
	if who := journal.ArmedBy(h.journal); who != "" {
		t.Errorf("still armed after exit: %q", who)
	}
}

// --timeout gives up with exit 1 and sends nothing; Ctrl-C stops waiting and sends nothing.
func TestReplayWaitTimeoutAndCtrlCSendNothing(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	h.ok("update", "-p", "web-store", "-e", "production", "-f", "kill-switch-checkout", "-s", "off", "--yes")
	fake.SetUnreachable(true)

	start := time.Now()
	g := h.run("", false, "replay", "--wait", "--yes", "--timeout", "1500ms")
	wantCode(t, g, ExitError, "gave up after 1.5s", "nothing was sent")
	// the wait says why in the UI's words, not Go's error text
	if want := "last check "; !strings.Contains(g.stdout, want) ||
		!strings.Contains(g.stdout, ": LaunchDarkly does not answer (connection reset by peer at "+strings.TrimPrefix(fake.URL(), "http://")+")") {
		t.Errorf("the wait does not say why in words:\n%s", g.stdout)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("--timeout 1.5s took %s", d)
	}

	// On a terminal, one live status line redrawn in place.
	h.tty = true
	g = h.run("", false, "replay", "--wait", "--yes", "--timeout", "1500ms")
	wantCode(t, g, ExitError, "gave up")
	if !strings.Contains(g.stdout, "\r\x1b[Kwaiting for LaunchDarkly: 1 change armed; last check ") {
		t.Errorf("no live status line on a terminal: %q", g.stdout)
	}
	h.tty = false

	ctx, cancel := context.WithCancel(context.Background())
	result := h.startWait(ctx, "replay", "--wait", "--yes")
	h.waitArmed(10 * time.Second)
	if st := h.run("", false, "status"); !strings.Contains(st.stdout, "replay armed: pid ") || !strings.Contains(st.stdout, "1 change armed") {
		t.Errorf("status while armed:\n%s", st.stdout)
	}
	cancel()
	g = result(5 * time.Second)
	wantCode(t, g, ExitError, "stopped waiting: nothing was sent")
	fake.SetUnreachable(false)
	if fake.PatchCount() != 0 {
		t.Errorf("sent %d patches", fake.PatchCount())
	}
	if g := h.ok("queue"); !strings.Contains(g.stdout, "kill-switch-checkout") {
		t.Errorf("the change is no longer pending:\n%s", g.stdout)
	}
}

// A refused token ends the wait at once with the usual hint.
func TestReplayWaitRefusedTokenEndsAtOnce(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	h.ok("update", "-p", "web-store", "-e", "production", "-f", "kill-switch-checkout", "-s", "off", "--yes")
	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = "api-wrong-secret-token"
	start := time.Now()
	g := h.run("", false, "replay", "--wait", "--yes")
	wantCode(t, g, ExitError, "401", "RC_LAUNCHDARKLY_API_TOKEN")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a refused token ended the wait after %s", d)
	}
	if fake.PatchCount() != 0 || strings.Contains(g.stdout+g.stderr, "api-wrong-secret-token") {
		t.Errorf("patches %d; output:\n%s\n%s", fake.PatchCount(), g.stdout, g.stderr)
	}
}

// Nothing pending: said, exit 0. A poll below 1s, or --wait with --dry-run, is a usage error;
// without a terminal and without --yes nothing is armed; read-only refuses.
func TestReplayWaitRefusals(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	if g := h.ok("replay", "--wait", "--yes"); !strings.Contains(g.stdout, "Nothing pending") {
		t.Errorf("nothing pending:\n%s", g.stdout)
	}
	h.ok("update", "-p", "web-store", "-e", "production", "-f", "kill-switch-checkout", "-s", "off", "--yes")
	wantCode(t, h.run("", false, "replay", "--wait", "--yes", "--poll", "500ms"), ExitUsage, "--poll 500ms")
	wantCode(t, h.run("", false, "replay", "--wait", "--dry-run"), ExitUsage, "--wait cannot be combined")
	wantCode(t, h.run("", false, "replay", "--wait"), ExitUsage, "add --yes")
	g := h.run("n\n", true, "replay", "--wait")
	wantCode(t, g, ExitError, "not confirmed")
	if !strings.Contains(g.stderr, "Arm the replay?") || !strings.Contains(g.stdout, "kill-switch-checkout") {
		t.Errorf("confirmation:\nstdout:\n%s\nstderr:\n%s", g.stdout, g.stderr)
	}
	h.env["RC_UI_READ_ONLY"] = "true"
	wantCode(t, h.run("", false, "replay", "--wait", "--yes"), ExitError, "read-only")
	if fake.PatchCount() != 0 {
		t.Errorf("sent %d patches", fake.PatchCount())
	}
}
