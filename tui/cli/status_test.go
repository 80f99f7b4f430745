package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/redistest"
	"relaycommander/journal"
	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg/relaytest"
)

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func newLD(t *testing.T) *ldfake.Server {
	t.Helper()
	ld := ldfake.New()
	t.Cleanup(ld.Close)
	return ld
}

// useLD points the configuration at ldfake with its token.
func useLD(h *harness, ld *ldfake.Server) {
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = ld.URL()
	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = ld.Token()
}

func noSecrets(t *testing.T, g got, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(g.stdout, s) || strings.Contains(g.stderr, s) {
			t.Errorf("a secret (%.8s…) is in the output:\nstdout:\n%s\nstderr:\n%s", s, g.stdout, g.stderr)
		}
	}
}

// TestStatusWithSomethingDown: relay-a connected, relay-b cut off from LaunchDarkly (its
// ldfake unreachable) after its re-sync undid a pending change in its Redis, relay-c and one
// Redis host on a closed port.
func TestStatusWithSomethingDown(t *testing.T) {
	h := newHarness(t)
	ld, ldB := newLD(t), newLD(t)
	a := relaytest.StartOutage(t, ld, "web-store", "production", relaytest.Options{})
	b := relaytest.StartOutage(t, ldB, "web-store", "production", relaytest.Options{})
	closed := closedPort(t)
	h.env["RC_REDIS_HOSTS"] = a.Redis().Addr + "," + b.Redis().Addr + "," + closed
	h.env["RC_RELAYS"] = "relay-a=" + a.Relay().URL() + ",relay-b=" + b.Relay().URL() + ",relay-c=http://" + closed
	h.env["RC_RELAY_SDK_KEYS"] = a.Env.Prefix + "=LD_SDK_KEY_PRODUCTION"
	h.env["LD_SDK_KEY_PRODUCTION"] = a.Env.SDKKey
	useLD(h, ld)

	// A pending change, written to both live hosts (the closed one fails: exit 3), then
	// undone on relay-b's Redis by its re-sync; then relay-b loses LaunchDarkly.
	wantCode(t, h.run("", false, "update", "-p", "web-store", "-e", "production", "-f", "kill-switch-checkout", "-s", "off", "--yes"), ExitPartial)
	b.CutOff(t)
	b.Restore(t)
	b.CutOff(t)

	g := h.run("", false, "status")
	wantCode(t, g, ExitPartial, "not answering: Redis "+closed+", Relay relay-c")
	for _, want := range []string{
		"Redis\n", a.Redis().Addr, "up", "DOWN", "connection refused",
		"relay-a  " + a.Relay().URL() + "  Relay 8.10.0, healthy",
		"relay-b  " + b.Relay().URL() + "  Relay 8.10.0", // "degraded" only after disconnectedStatusTime
		"web-store/production  prefix ld:web-store:production, store VALID\n",
		"LaunchDarkly VALID since", "LaunchDarkly INTERRUPTED since", "last error NETWORK_ERROR",
		"relay-c  http://" + closed + "  UNREACHABLE",
		"reachable, token accepted",
		"1 pending, 1 UNDONE by a Relay re-sync", "no replay running",
		"DOWN: Redis " + closed + ", Relay relay-c",
	} {
		if !strings.Contains(g.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, g.stdout)
		}
	}
	t.Logf("status:\n%s", g.stdout)
	for _, l := range strings.Split(g.stdout, "\n") {
		if len(l) > 80 && !strings.HasPrefix(l, "Journal ") {
			t.Errorf("line wider than 80 columns (%d): %s", len(l), l)
		}
	}
	noSecrets(t, g, a.Env.SDKKey, ld.Token())

	g = h.run("", false, "status", "--json")
	wantCode(t, g, ExitPartial)
	if n := strings.Count(strings.TrimSpace(g.stdout), "\n"); n != 0 {
		t.Errorf("--json to a pipe is not compact (%d newlines):\n%s", n, g.stdout)
	}
	s := decode[statusJSON](t, g.stdout)
	if len(s.Redis) != 3 || !s.Redis[0].Up || !s.Redis[1].Up || s.Redis[2].Up || s.Redis[2].Error == "" {
		t.Errorf("redis: %+v", s.Redis)
	}
	if len(s.Relays) != 3 || !s.Relays[0].Reachable || !s.Relays[0].Healthy || !s.Relays[1].Reachable || s.Relays[2].Reachable || s.Relays[2].Error == "" {
		t.Fatalf("relays: %+v", s.Relays)
	}
	ea, eb := s.Relays[0].Environments, s.Relays[1].Environments
	if len(ea) != 1 || ea[0].Connection != "VALID" || ea[0].Prefix != "ld:web-store:production" || ea[0].Store != "VALID" || ea[0].ConnectionSince.IsZero() {
		t.Errorf("relay-a: %+v", ea)
	}
	if len(eb) != 1 || eb[0].Connection != "INTERRUPTED" || eb[0].LastError == "" || eb[0].ConnectionSince.Before(ea[0].ConnectionSince) {
		t.Errorf("relay-b: %+v", eb)
	}
	if !s.LaunchDarkly.Token || !s.LaunchDarkly.Reachable {
		t.Errorf("launchDarkly: %+v", s.LaunchDarkly)
	}
	if s.Journal.Pending != 1 || s.Journal.Undone != 1 || !s.Journal.UndoneChecked || s.Journal.Dir != h.journal || s.Journal.ReplayHolder != "" {
		t.Errorf("journal: %+v", s.Journal)
	}
	if strings.Join(s.Down, ",") != "Redis "+closed+",Relay relay-c" {
		t.Errorf("down: %q", s.Down)
	}
	noSecrets(t, g, a.Env.SDKKey, ld.Token())

	h.tty = true
	if g := h.run("", false, "status", "--json"); !strings.Contains(g.stdout, "\n  \"redis\": [") {
		t.Errorf("--json on a terminal is not indented:\n%s", g.stdout)
	}
	h.tty = false
	g = h.ok("config")
	if !strings.Contains(g.stdout, "ld:web-store:production set (environment LD_SDK_KEY_PRODUCTION)") {
		t.Errorf("config does not say the SDK key is set:\n%s", g.stdout)
	}
	noSecrets(t, g, a.Env.SDKKey, ld.Token())
}

func TestStatusAllUp(t *testing.T) {
	h := newHarness(t)
	ld := newLD(t)
	a := relaytest.StartOutage(t, ld, "web-store", "production", relaytest.Options{})
	other := redistest.StartWithFixture(t)
	h.env["RC_REDIS_HOSTS"] = a.Redis().Addr + "," + other.Addr
	h.env["RC_RELAYS"] = "relay-a=" + a.Relay().URL()
	useLD(h, ld)
	g := h.ok("status")
	for _, want := range []string{"relay-a", "LaunchDarkly VALID since", "0 pending", "no replay running", "Everything answers."} {
		if !strings.Contains(g.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, g.stdout)
		}
	}
	s := decode[statusJSON](t, h.ok("status", "--json").stdout)
	if len(s.Down) != 0 || len(s.Redis) != 2 || len(s.Relays) != 1 || !s.LaunchDarkly.Reachable {
		t.Errorf("status --json: %+v", s)
	}

	// Without a token LaunchDarkly is not asked, and that is no failure.
	delete(h.env, "RC_LAUNCHDARKLY_API_TOKEN")
	if g := h.ok("status"); !strings.Contains(g.stdout, "not asked: no token") {
		t.Errorf("status without a token:\n%s", g.stdout)
	}
}

// A Relay that is slow to answer does not hold up the others beyond its own time-out.
func TestStatusDoesNotWaitForAHungRelay(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	hung := hangingListener(t)
	h.env["RC_RELAYS"] = "hung=http://" + hung
	start := time.Now()
	g := h.run("", false, "status", "--json")
	wantCode(t, g, ExitPartial)
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("status took %v with a hung Relay", d)
	}
	s := decode[statusJSON](t, g.stdout)
	if len(s.Redis) != 2 || !s.Redis[0].Up || len(s.Relays) != 1 || s.Relays[0].Reachable {
		t.Errorf("status --json: %+v", s)
	}
}

// hangingListener accepts connections and never answers.
func hangingListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// status names the replay running, read from the lock's holder file without taking the lock.
func TestStatusNamesTheReplayRunning(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	j, err := journal.Open(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	unlock, err := j.LockReplay()
	if err != nil {
		t.Fatal(err)
	}
	g := h.ok("status")
	if !strings.Contains(g.stdout, fmt.Sprintf("replay running: pid %d on ", os.Getpid())) || strings.Contains(g.stdout, "stale") {
		t.Errorf("status during a replay:\n%s", g.stdout)
	}
	if _, err := j.LockReplay(); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("status took or broke the replay lock: a second LockReplay gives %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if g := h.ok("status"); !strings.Contains(g.stdout, "no replay running") {
		t.Errorf("status after the replay:\n%s", g.stdout)
	}

	// A replay that died left its holder behind: a process of this host that is gone.
	host, _ := os.Hostname()
	if err := os.WriteFile(filepath.Join(h.journal, replayLockFile), []byte(fmt.Sprintf("pid %d on %s since 2026-01-01T00:00:00Z", deadPID(t), host)), 0o600); err != nil {
		t.Fatal(err)
	}
	if g := h.ok("status"); !strings.Contains(strings.Join(strings.Fields(g.stdout), " "), "(stale: that process is gone") {
		t.Errorf("status with a stale holder:\n%s", g.stdout)
	}
}

// deadPID is the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	return cmd.Process.Pid
}

// What a Relay says about itself reaches the terminal with its control characters escaped.
func TestStatusEscapesWhatRelaysSay(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"status":"healthy","version":"8\u001b[2J","environments":{"evil\u001b]0;owned\u0007":{"sdkKey":"sdk-********-****-****-****-*******d03ba",`+
			`"envId":"x","status":"connected","connectionStatus":{"state":"VALID\u001b[31m","stateSince":1700000000000},`+
			`"dataStoreStatus":{"state":"VALID","stateSince":1700000000000,"database":"redis","dbServer":"redis://r:6379","dbPrefix":"ld:\u001b[1mx"}}}}`)
	}))
	t.Cleanup(evil.Close)
	h.env["RC_RELAYS"] = "evil=" + evil.URL
	g := h.ok("status")
	if strings.ContainsAny(g.stdout, "\x1b\x07") {
		t.Errorf("a control character reached the terminal: %q", g.stdout)
	}
	for _, want := range []string{`evil\x1b]0;owned\x07`, `Relay 8\x1b[2J`, `prefix ld:\x1b[1mx`, `LaunchDarkly VALID\x1b[31m`} {
		if !strings.Contains(g.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, g.stdout)
		}
	}
}

func TestStatusBadRelaysConfiguration(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	h.env["RC_RELAYS"] = "relay-a=relay-a.internal:8030"
	wantCode(t, h.run("", false, "status"), ExitError, "configuration relays[0] (from environment RC_RELAYS)", "not an http:// or https:// URL", "like http://relay-a.internal:8030")
	h.env["RC_RELAYS"] = "relay-a=http://u:hunter2@relay-a.internal:8030"
	h.env["RC_RELAY_SDK_KEYS"] = "ld:web-store:production=LD_SDK_KEY_PRODUCTION"
	g := h.run("", false, "status")
	wantCode(t, g, ExitError, "configuration relay.sdk_keys (from environment RC_RELAY_SDK_KEYS)", "LD_SDK_KEY_PRODUCTION, which is not set")
	noSecrets(t, g, "hunter2")
	delete(h.env, "RC_RELAY_SDK_KEYS")
	g = h.ok("config")
	if !strings.Contains(g.stdout, "relay-a (http://u:xxxxx@relay-a.internal:8030)") {
		t.Errorf("config does not list the Relay:\n%s", g.stdout)
	}
	noSecrets(t, g, "hunter2")
}

// A token LaunchDarkly refuses is not an outage: status says which, and the setting that
// mends it, instead of UNREACHABLE.
func TestStatusSaysARefusedTokenIsNotAnOutage(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	ld := newLD(t)
	useLD(h, ld)
	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = "api-not-the-token"
	g := h.run("", false, "status")
	_, ldPart, found := strings.Cut(g.stdout, "LaunchDarkly\n")
	if !found {
		t.Fatalf("status has no LaunchDarkly section:\n%s\n%s", g.stdout, g.stderr)
	}
	for _, want := range []string{"TOKEN REFUSED", "LaunchDarkly refused the API token (401)", "Set RC_LAUNCHDARKLY_API_TOKEN to a token with writer rights"} {
		if !strings.Contains(ldPart, want) {
			t.Errorf("status lacks %q:\n%s", want, g.stdout)
		}
	}
	if strings.Contains(ldPart, "UNREACHABLE") {
		t.Errorf("a refused token is called unreachable:\n%s", g.stdout)
	}
}
