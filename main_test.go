package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
	"relaycommander/journal"
	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg"
	"relaycommander/tui"
)

// got is one command's outcome.
type got struct {
	code           int
	stdout, stderr string
}

// harness runs commands through cobra with an injected environment: nothing of the real
// environment, working directory or terminal is used.
type harness struct {
	t       *testing.T
	env     map[string]string
	dir     string
	journal string
	tty     bool                                    // stdout is a terminal
	ui      func(context.Context, tui.Config) error // stands in for the terminal UI
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), journal: filepath.Join(t.TempDir(), "journal")}
	h.env = map[string]string{"RC_JOURNAL_DIR": h.journal}
	return h
}

// run runs a command line; tty says whether stdin is a terminal, stdin is what the user types.
func (h *harness) run(stdin string, tty bool, args ...string) got {
	h.t.Helper()
	var out, errb strings.Builder
	s := &sys{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		env: h.env, dir: h.dir, stdinTTY: tty, stdoutTTY: h.tty,
		operator: func() string { return "os-user" },
		runTUI:   h.ui,
	}
	if s.runTUI == nil {
		s.runTUI = func(context.Context, tui.Config) error {
			h.t.Fatalf("the terminal UI was started by: relaycommander %s", strings.Join(args, " "))
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, s, args)
	return got{code, out.String(), errb.String()}
}

func (h *harness) ok(args ...string) got {
	h.t.Helper()
	g := h.run("", false, args...)
	if g.code != 0 {
		h.t.Fatalf("relaycommander %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), g.code, g.stdout, g.stderr)
	}
	return g
}

func (h *harness) write(name, content string, perm os.FileMode) string {
	h.t.Helper()
	p := filepath.Join(h.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), perm); err != nil {
		h.t.Fatal(err)
	}
	return p
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, s)
	}
	return v
}

func wantCode(t *testing.T, g got, code int, stderrHas ...string) {
	t.Helper()
	if g.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", g.code, code, g.stdout, g.stderr)
	}
	for _, s := range stderrHas {
		if !strings.Contains(g.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, g.stderr)
		}
	}
}

// twoHosts starts two real redis-servers loaded with the Relay fixture and points the
// configuration at them.
func twoHosts(t *testing.T, h *harness) (a, b *redistest.Server) {
	t.Helper()
	a, b = redistest.StartWithFixture(t), redistest.StartWithFixture(t)
	h.env["RC_REDIS_HOSTS"] = a.Addr + "," + b.Addr
	return a, b
}

// stored reads a flag's on and version from one server.
func stored(t *testing.T, s *redistest.Server, prefix, key string) (bool, int) {
	t.Helper()
	raw, err := s.Client().HGet(context.Background(), prefix+":features", key).Result()
	if err != nil {
		t.Fatalf("HGET %s %s on %s: %v", prefix, key, s.Addr, err)
	}
	var f struct {
		On      bool `json:"on"`
		Version int  `json:"version"`
	}
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		t.Fatalf("flag %s on %s: %v", key, s.Addr, err)
	}
	return f.On, f.Version
}

// listener is a TCP port that counts connections: the proof that nothing dialled it.
func listener(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return l.Addr().String(), &n
}

// ---------------------------------------------------------------------------------------------

func TestHelpAndUsageErrorsTouchNothing(t *testing.T) {
	h := newHarness(t)
	addr, dials := listener(t)
	h.env["REDIS_HOSTS"] = addr
	h.env["LD_API_KEY"] = "api-secret"
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = "http://" + addr

	g := h.ok("--help")
	if !strings.Contains(g.stdout, "Usage:") || !strings.Contains(g.stdout, "update") {
		t.Errorf("--help output:\n%s", g.stdout)
	}
	h.ok("update", "--help")
	h.ok("replay", "--help")
	for _, args := range [][]string{
		{"bogus"},
		{"flags", "--bogus"},
		{"flags", "-e", "production"},
		{"update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard"},
		{"update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "maybe"},
		{"update", "-f", "x", "-s", "on"},
		{"import-relaycommander"},
		{"generate-relay-config"},
		{"generate-relay-config", "-p", "web-store", "--format", "yaml"},
		{"queue", "extra"},
	} {
		g := h.run("", false, args...)
		wantCode(t, g, exitUsage, "Run 'relaycommander")
		if g.stdout != "" {
			t.Errorf("%v: usage error printed to stdout: %q", args, g.stdout)
		}
	}
	if g := h.run("", false, "udpate"); !strings.Contains(g.stderr, "did you mean update?") {
		t.Errorf("no suggestion for a typo:\n%s", g.stderr)
	}
	if g := h.ok("completion", "bash"); !strings.Contains(g.stdout, "relaycommander") {
		t.Errorf("completion bash:\n%.200s", g.stdout)
	}
	time.Sleep(50 * time.Millisecond)
	if n := dials.Load(); n != 0 {
		t.Errorf("--help and usage errors opened %d connections", n)
	}

	// Without any Redis host, the UI and the commands that read Redis say how to name them.
	delete(h.env, "REDIS_HOSTS")
	for _, args := range [][]string{{}, {"flags"}} {
		wantCode(t, h.run("", false, args...), exitError, "no Redis hosts configured", "REDIS_HOSTS")
	}
}

func TestConfigPrecedence(t *testing.T) {
	h := newHarness(t)
	delete(h.env, "RC_JOURNAL_DIR")
	type entry struct {
		Value string `json:"value"`
		From  string `json:"from"`
	}
	type out struct {
		File   string           `json:"file"`
		Values map[string]entry `json:"values"`
	}
	get := func(args ...string) out {
		t.Helper()
		return decode[out](t, h.ok(append([]string{"config", "--json"}, args...)...).stdout)
	}

	// Defaults.
	o := get()
	if o.File != "" || o.Values["operator"].Value != "os-user" || o.Values["ui.refresh"].Value != "5s" ||
		o.Values["protected_environments"].Value != "production" || o.Values["launchdarkly.base_url"].Value != "https://app.launchdarkly.com" {
		t.Errorf("defaults: %+v", o)
	}

	// File beats default.
	file := h.write("relaycommander.yaml", `
operator: file-op
journal_dir: from-file
ui:
  refresh: 7s
launchdarkly:
  base_url: eu
`, 0o600)
	o = get()
	if o.File != file || o.Values["operator"] != (entry{"file-op", file}) || o.Values["ui.refresh"].Value != "7s" ||
		o.Values["journal_dir"].Value != filepath.Join(h.dir, "from-file") || o.Values["launchdarkly.base_url"].Value != "https://app.eu.launchdarkly.com" {
		t.Errorf("file: %+v", o)
	}

	// Environment beats file.
	h.env["RC_OPERATOR"] = "env-op"
	h.env["RC_UI_REFRESH"] = "9s"
	o = get()
	if o.Values["operator"] != (entry{"env-op", "environment RC_OPERATOR"}) || o.Values["ui.refresh"].Value != "9s" ||
		o.Values["journal_dir"].Value != filepath.Join(h.dir, "from-file") {
		t.Errorf("environment: %+v", o)
	}

	// Flag beats environment.
	o = get("--operator", "flag-op", "--journal-dir", "/tmp/flag-journal")
	if o.Values["operator"] != (entry{"flag-op", "flag --operator"}) || o.Values["journal_dir"].Value != "/tmp/flag-journal" ||
		o.Values["ui.refresh"].Value != "9s" {
		t.Errorf("flag: %+v", o)
	}

	// --redis beats RC_REDIS_HOSTS beats REDIS_HOSTS beats the file's hosts.
	h.write("relaycommander.yaml", "redis:\n  hosts: [file-host:1]\n", 0o600)
	if o = get(); o.Values["redis.hosts"] != (entry{"file-host:1", file}) {
		t.Errorf("hosts from the file: %+v", o.Values["redis.hosts"])
	}
	h.env["REDIS_HOSTS"] = "old-host"
	if o = get(); o.Values["redis.hosts"] != (entry{"old-host:6379", "environment REDIS_HOSTS"}) {
		t.Errorf("REDIS_HOSTS over the file: %+v", o.Values["redis.hosts"])
	}
	h.env["RC_REDIS_HOSTS"] = "env-host:2"
	if o = get(); o.Values["redis.hosts"] != (entry{"env-host:2", "environment RC_REDIS_HOSTS"}) {
		t.Errorf("RC_REDIS_HOSTS over REDIS_HOSTS: %+v", o.Values["redis.hosts"])
	}
	if o = get("--redis", "flag-a:3", "--redis", "flag-b"); o.Values["redis.hosts"] != (entry{"flag-a:3, flag-b:6379", "flag --redis"}) {
		t.Errorf("--redis over RC_REDIS_HOSTS: %+v", o.Values["redis.hosts"])
	}
	delete(h.env, "REDIS_HOSTS")
	delete(h.env, "RC_REDIS_HOSTS")

	// --config beats ./relaycommander.yaml; $XDG_CONFIG_HOME is the last place looked.
	other := h.write("other.yaml", "ui:\n  refresh: 11s\n", 0o600)
	o = get("--config", "other.yaml")
	if o.File != other || o.Values["ui.refresh"].Value != "9s" { // the environment still wins
		t.Errorf("--config: %+v", o)
	}
	delete(h.env, "RC_UI_REFRESH")
	if o = get("--config", other); o.Values["ui.refresh"].Value != "11s" {
		t.Errorf("--config: %+v", o)
	}
	os.Remove(file)
	xdg := t.TempDir()
	h.env["XDG_CONFIG_HOME"] = xdg
	os.MkdirAll(filepath.Join(xdg, "relaycommander"), 0o700)
	os.WriteFile(filepath.Join(xdg, "relaycommander", "config.yaml"), []byte("ui:\n  refresh: 13s\n"), 0o600)
	if o = get(); o.Values["ui.refresh"].Value != "13s" || o.File != filepath.Join(xdg, "relaycommander", "config.yaml") {
		t.Errorf("XDG_CONFIG_HOME: %+v", o)
	}
}

func TestRelayCommanderEnvironmentAndDotEnv(t *testing.T) {
	h := newHarness(t)
	a, b := redistest.StartWithFixture(t), redistest.StartWithFixture(t)

	// REDIS_HOSTS with and without ports; a bare host gets 6379 (checked without dialling it).
	h.env["REDIS_HOSTS"] = "redis-one, " + a.Addr
	h.env["LD_API_KEY"] = "api-from-ld-api-key"
	type entry struct{ Value, From string }
	cfg := decode[struct {
		File   string
		Values map[string]entry
	}](t, h.ok("config", "--json").stdout)
	if cfg.Values["redis.hosts"].Value != "redis-one:6379, "+a.Addr || cfg.Values["redis.hosts"].From != "environment REDIS_HOSTS" {
		t.Errorf("REDIS_HOSTS: %+v", cfg.Values["redis.hosts"])
	}
	if cfg.Values["launchdarkly.api_token"] != (entry{"set", "environment LD_API_KEY"}) {
		t.Errorf("LD_API_KEY: %+v", cfg.Values["launchdarkly.api_token"])
	}

	// The hosts REDIS_HOSTS names are the ones read.
	h.env["REDIS_HOSTS"] = a.Addr + "," + b.Addr
	list := decode[flagsListJSON](t, h.ok("flags", "--json").stdout)
	if len(list.Hosts) != 2 || list.Hosts[0].Name != a.Addr || list.Hosts[1].Name != b.Addr || !list.Hosts[0].Up || !list.Hosts[1].Up {
		t.Errorf("hosts from REDIS_HOSTS: %+v", list.Hosts)
	}

	// RC_REDIS_HOSTS wins over REDIS_HOSTS.
	h.env["RC_REDIS_HOSTS"] = b.Addr
	list = decode[flagsListJSON](t, h.ok("flags", "--json").stdout)
	if len(list.Hosts) != 1 || list.Hosts[0].Name != b.Addr {
		t.Errorf("RC_REDIS_HOSTS over REDIS_HOSTS: %+v", list.Hosts)
	}

	// .env in the working directory, as relayCommander's users keep it; the real
	// environment wins over it.
	delete(h.env, "RC_REDIS_HOSTS")
	delete(h.env, "REDIS_HOSTS")
	delete(h.env, "LD_API_KEY")
	h.write(".env", "REDIS_HOSTS="+a.Addr+"\nLD_API_KEY=api-from-dotenv\nRC_OPERATOR=dotenv-op\n", 0o600)
	cfg = decode[struct {
		File   string
		Values map[string]entry
	}](t, h.ok("config", "--json").stdout)
	if cfg.Values["redis.hosts"].Value != a.Addr || cfg.Values["operator"].Value != "dotenv-op" || cfg.Values["launchdarkly.api_token"].Value != "set" {
		t.Errorf(".env: %+v", cfg.Values)
	}
	h.env["RC_OPERATOR"] = "real-env-op"
	cfg = decode[struct {
		File   string
		Values map[string]entry
	}](t, h.ok("config", "--json").stdout)
	if cfg.Values["operator"].Value != "real-env-op" {
		t.Errorf("the real environment must win over .env: %+v", cfg.Values["operator"])
	}
	list = decode[flagsListJSON](t, h.ok("flags", "--json").stdout)
	if len(list.Hosts) != 1 || list.Hosts[0].Name != a.Addr {
		t.Errorf("hosts from .env: %+v", list.Hosts)
	}

	// A broken .env stops everything with its name.
	h.write(".env", "this is not an env file\n", 0o600)
	wantCode(t, h.run("", false, "flags"), exitError, ".env")
}

func TestBadConfiguration(t *testing.T) {
	addr, dials := listener(t)
	cases := []struct {
		name string
		file string
		env  map[string]string
		args []string
		want []string
	}{
		{"bad duration", "redis:\n  dial_timeout: 5x\n", nil, nil, []string{"redis.dial_timeout", `"5x" is not a duration`}},
		{"duration without unit", "ui:\n  refresh: 5\n", nil, nil, []string{"ui.refresh", "no unit"}},
		{"host without address", "redis:\n  hosts:\n    - name: a\n      addr: " + addr + "\n    - name: b\n", nil, nil, []string{"redis.hosts[1]", "no addr"}},
		{"bad URL scheme", "redis:\n  hosts:\n    - addr: http://x:1\n", nil, nil, []string{"redis.hosts[0]", "unknown scheme"}},
		{"bad port", "", map[string]string{"RC_REDIS_HOSTS": "h:port"}, nil, []string{"redis.hosts[0]", "RC_REDIS_HOSTS", "port"}},
		{"duplicate host names", "", map[string]string{"REDIS_HOSTS": addr + "," + addr}, nil, []string{"two hosts are named"}},
		{"unknown base URL", "launchdarkly:\n  base_url: ftp://ld.example\n", nil, nil, []string{"launchdarkly.base_url", "ftp://ld.example"}},
		{"unknown key", "redis:\n  hostz: []\n", nil, nil, []string{"line 2", "unknown key redis.hostz"}},
		{"not YAML", "redis: [\n", nil, nil, []string{"relaycommander.yaml"}},
		{"bad boolean", "", map[string]string{"RC_UI_READ_ONLY": "maybe"}, nil, []string{"ui.read_only", "RC_UI_READ_ONLY", "not true or false"}},
		{"missing password variable", "redis:\n  hosts:\n    - addr: " + addr + "\n      password_env: RELAY_REDIS_PW\n", nil, nil, []string{"password_env", "RELAY_REDIS_PW is not set"}},
		{"bad prefix mapping", "prefixes:\n  custom:\n    project: p\n", nil, nil, []string{"prefixes", "needs a prefix, a project and an environment"}},
		{"missing --config", "", nil, []string{"--config", "nope.yaml"}, []string{"nope.yaml does not exist"}},
		{"missing relay config", "relay_configs: [missing.ini]\n", nil, nil, []string{"relay_configs", "missing.ini"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if !strings.Contains(c.file, "hosts") {
				h.env["REDIS_HOSTS"] = addr // else the environment would win over the file's hosts
			}
			for k, v := range c.env {
				h.env[k] = v
			}
			if c.file != "" {
				h.write("relaycommander.yaml", c.file, 0o600)
			}
			g := h.run("", false, append(c.args, "flags")...)
			wantCode(t, g, exitError, c.want...)
		})
	}
	time.Sleep(50 * time.Millisecond)
	if n := dials.Load(); n != 0 {
		t.Errorf("a bad configuration still opened %d connections", n)
	}
}

func TestTokenInWorldReadableFileWarns(t *testing.T) {
	h := newHarness(t)
	h.write("relaycommander.yaml", "launchdarkly:\n  api_token: api-in-file\n", 0o644)
	g := h.ok("config")
	if !strings.Contains(g.stderr, "readable by every user") || !strings.Contains(g.stderr, "chmod 600") {
		t.Errorf("no warning about a world-readable token:\n%s", g.stderr)
	}
	if strings.Contains(g.stdout+g.stderr, "api-in-file") {
		t.Errorf("the token was printed")
	}
	os.Chmod(filepath.Join(h.dir, "relaycommander.yaml"), 0o600)
	if g := h.ok("config"); strings.Contains(g.stderr, "readable by every user") {
		t.Errorf("warning for a private file:\n%s", g.stderr)
	}
}

// ---------------------------------------------------------------------------------------------
// flags

type flagsListJSON struct {
	Hosts    []hostJSON   `json:"hosts"`
	Prefixes []prefixJSON `json:"prefixes"`
}

type flagsOneJSON struct {
	Prefix      string     `json:"prefix"`
	Project     string     `json:"project"`
	Environment string     `json:"environment"`
	Mapped      bool       `json:"mapped"`
	Hosts       []hostJSON `json:"hosts"`
	Flags       []flagJSON `json:"flags"`
}

func TestFlags(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	fx := fixture.Load()

	list := decode[flagsListJSON](t, h.ok("flags", "--json").stdout)
	if len(list.Prefixes) != len(fx) {
		t.Errorf("%d prefixes, the fixture has %d", len(list.Prefixes), len(fx))
	}
	for _, p := range list.Prefixes {
		want, ok := fx[p.Prefix]
		if !ok {
			t.Errorf("prefix %s is not in the fixture", p.Prefix)
			continue
		}
		if len(p.Hosts) != 2 || !p.Hosts[0].Present || p.Hosts[0].Inited != want.Inited || p.Hosts[1].Flags != len(want.Features) {
			t.Errorf("prefix %s: %+v", p.Prefix, p.Hosts)
		}
		if p.Prefix == "launchdarkly" && p.Mapped {
			t.Errorf("launchdarkly is mapped without a mapping")
		}
	}

	// One project.
	g := h.ok("flags", "-p", "web-store")
	if !strings.Contains(g.stdout, "ld:web-store:staging") || strings.Contains(g.stdout, "ld:payments:") {
		t.Errorf("flags -p web-store:\n%s", g.stdout)
	}

	// One environment, state per host.
	one := decode[flagsOneJSON](t, h.ok("flags", "-p", "web-store", "-e", "staging", "--json").stdout)
	if one.Prefix != "ld:web-store:staging" || one.Project != "web-store" || !one.Mapped || len(one.Flags) != len(fx["ld:web-store:staging"].Features) {
		t.Fatalf("flags -p -e: %+v", one)
	}
	for _, f := range one.Flags {
		if len(f.Hosts) != 2 || f.Hosts[0].Host != a.Addr || f.Hosts[1].Host != b.Addr || !f.Agree {
			t.Errorf("flag %s: %+v", f.Key, f)
		}
		if f.Hosts[0].Deleted {
			continue
		}
		on, ver := stored(t, a, one.Prefix, f.Key)
		if f.Hosts[0].On != on || f.Hosts[0].Version != ver {
			t.Errorf("flag %s: shown %v v%d, stored %v v%d", f.Key, f.Hosts[0].On, f.Hosts[0].Version, on, ver)
		}
	}

	// An explicit prefix mapping names a prefix the convention cannot.
	h.write("relaycommander.yaml", "prefixes:\n  launchdarkly:\n    project: legacy\n    environment: prod\n", 0o600)
	one = decode[flagsOneJSON](t, h.ok("flags", "-p", "legacy", "-e", "prod", "--json").stdout)
	if one.Prefix != "launchdarkly" || !one.Mapped {
		t.Errorf("mapped prefix: %+v", one)
	}

	// Unknown prefix: an error that says how to list them.
	wantCode(t, h.run("", false, "flags", "-p", "nope", "-e", "prod"), exitError, "ld:nope:prod", "relaycommander flags")

	// One host down: the other's data, and exit 3.
	b.Stop()
	g = h.run("", false, "flags", "-p", "web-store", "-e", "staging", "--json")
	wantCode(t, g, exitPartial, b.Addr)
	one = decode[flagsOneJSON](t, g.stdout)
	if one.Hosts[0].Up != true || one.Hosts[1].Up != false || len(one.Flags) == 0 {
		t.Errorf("one host down: %+v", one.Hosts)
	}
}

// ---------------------------------------------------------------------------------------------
// update

type updateOut struct {
	Change      *journal.Change  `json:"change"`
	NothingToDo bool             `json:"nothingToDo"`
	Hosts       []hostResultJSON `json:"hosts"`
	FailedHosts []string         `json:"failedHosts"`
	Journal     string           `json:"journal"`
}

type queueOut struct {
	Journal string        `json:"journal"`
	Pending []pendingJSON `json:"pending"`
}

func TestUpdateWritesEveryHostAndTheJournal(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	on0, v0 := stored(t, a, prefix, key)
	if !on0 {
		t.Fatalf("fixture changed: %s is off", key)
	}

	g := h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--reason", "checkout 500s", "--yes", "--json")
	u := decode[updateOut](t, g.stdout)
	if u.Change == nil || u.NothingToDo {
		t.Fatalf("update --json: %+v", u)
	}
	if u.Change.Flag != key || u.Change.Prefix != prefix || u.Change.Before != true || u.Change.After != false ||
		u.Change.BaseVersion == nil || *u.Change.BaseVersion != v0 || u.Change.Operator != "os-user" || u.Change.Reason != "checkout 500s" ||
		u.Change.ID == "" || len(u.FailedHosts) != 0 || u.Journal != h.journal {
		t.Errorf("update --json: %+v", u)
	}
	if len(u.Hosts) != 2 {
		t.Fatalf("hosts: %+v", u.Hosts)
	}
	for i, s := range []*redistest.Server{a, b} {
		on, v := stored(t, s, prefix, key)
		if on || v != v0+1 {
			t.Errorf("host %s: on=%v v%d, want off v%d", s.Addr, on, v, v0+1)
		}
		if u.Hosts[i].Outcome != "written" || u.Hosts[i].NewVersion != v0+1 {
			t.Errorf("host result %+v", u.Hosts[i])
		}
	}
	for _, s := range []string{"Relay", "localTtl 30s", "Relay restarts", "relaycommander replay"} {
		if !strings.Contains(g.stderr, s) {
			t.Errorf("the note on how the change reaches Relay lacks %q:\n%s", s, g.stderr)
		}
	}

	// The journal has it.
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 1 || q.Pending[0].Flag != key || q.Pending[0].Desired || !q.Pending[0].BaseOn ||
		len(q.Pending[0].Changes) != 1 || q.Pending[0].Changes[0].ID != u.Change.ID || len(q.Pending[0].Changes[0].Hosts) != 2 {
		t.Errorf("queue: %+v", q)
	}
	if g := h.ok("queue"); !strings.Contains(g.stdout, "web-store/staging") || !strings.Contains(g.stdout, key) {
		t.Errorf("queue:\n%s", g.stdout)
	}

	// The alias of the original, and text output; the same state again is a no-op.
	g = h.ok("update-redis", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--yes")
	if !strings.Contains(g.stdout, "already OFF on every host") {
		t.Errorf("no-op:\n%s", g.stdout)
	}
	g = h.ok("update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off", "--yes", "--json")
	if u := decode[updateOut](t, g.stdout); u.Change != nil || !u.NothingToDo {
		t.Errorf("no-op --json: %+v", u)
	}
	if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending[0].Changes) != 1 {
		t.Errorf("a no-op was journaled: %+v", q.Pending[0].Changes)
	}
}

func TestUpdateConfirmation(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	const key = "use-fallback-cdn"
	args := []string{"update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "off"}
	_, v0 := stored(t, a, "ld:web-store:staging", key)
	unchanged := func() {
		t.Helper()
		if on, v := stored(t, a, "ld:web-store:staging", key); !on || v != v0 {
			t.Fatalf("written without confirmation: on=%v v%d", on, v)
		}
		if _, err := os.Stat(h.journal); err == nil {
			if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 0 {
				t.Fatalf("journaled without confirmation: %+v", q.Pending)
			}
		}
	}

	// Not a terminal and no --yes: refused.
	wantCode(t, h.run("y\n", false, args...), exitUsage, "--yes", "nothing was changed")
	unchanged()
	// A terminal, answered no, or nothing.
	wantCode(t, h.run("n\n", true, args...), exitError, "not confirmed")
	unchanged()
	wantCode(t, h.run("", true, args...), exitError, "not confirmed")
	unchanged()
	// Yes.
	g := h.run("y\n", true, args...)
	wantCode(t, g, exitOK, "[y/N]")
	if on, v := stored(t, a, "ld:web-store:staging", key); on || v != v0+1 {
		t.Errorf("after yes: on=%v v%d", on, v)
	}

	// A protected environment (production by default) needs the flag key typed.
	pargs := []string{"update", "-p", "web-store", "-e", "production", "-f", key, "-s", "on"}
	_, pv := stored(t, a, "ld:web-store:production", key)
	wantCode(t, h.run("y\n", true, pargs...), exitError, "Type "+key+" to confirm")
	if on, _ := stored(t, a, "ld:web-store:production", key); on {
		t.Fatalf("protected environment written after a mere y")
	}
	wantCode(t, h.run(key+"\n", true, pargs...), exitOK)
	if on, v := stored(t, a, "ld:web-store:production", key); !on || v != pv+1 {
		t.Errorf("protected after typing the key: on=%v v%d", on, v)
	}

	// An unmapped prefix may be production: the key is typed there too.
	wantCode(t, h.run("y\n", true, "update", "--prefix", "launchdarkly", "-f", key, "-s", "on"), exitError, "Type "+key)
	wantCode(t, h.run(key+"\n", true, "update", "--prefix", "launchdarkly", "-f", key, "-s", "on"), exitOK)

	// protected_environments is configurable.
	h.env["RC_PROTECTED_ENVIRONMENTS"] = "staging,test"
	wantCode(t, h.run("y\n", true, "update", "-p", "web-store", "-e", "staging", "-f", key, "-s", "on"), exitError, "Type "+key)

	// An empty list protects nothing.
	h.env["RC_PROTECTED_ENVIRONMENTS"] = ""
	h.write("relaycommander.yaml", "protected_environments: []\n", 0o600)
	wantCode(t, h.run("y\n", true, "update", "-p", "web-store", "-e", "production", "-f", key, "-s", "off"), exitOK)
	if cfg, _, err := loadConfig(&sys{env: h.env, dir: h.dir}, nil); err != nil || cfg.Protected == nil || len(cfg.Protected) != 0 {
		t.Errorf("protected_environments: [] gives %#v, %v (nil would mean the UI's default)", cfg.Protected, err)
	}

	// Read-only refuses.
	wantCode(t, h.run("", false, "update", "-p", "web-store", "-e", "test", "-f", key, "-s", "on", "--yes", "--read-only"), exitError, "read_only")
}

func TestUpdateWithOneHostDown(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	h.env["RC_REDIS_DIAL_TIMEOUT"] = "300ms"
	h.env["RC_REDIS_COMMAND_TIMEOUT"] = "300ms"
	const prefix, key = "ld:payments:staging", "kill-switch-search"
	on0, v0 := stored(t, a, prefix, key)
	b.Stop()
	g := h.run("", false, "update", "-p", "payments", "-e", "staging", "-f", key, "-s", onOffArg(!on0), "--yes", "--json")
	wantCode(t, g, exitPartial, "1 of 2 hosts failed", b.Addr)
	u := decode[updateOut](t, g.stdout)
	if len(u.FailedHosts) != 1 || u.FailedHosts[0] != b.Addr || u.Hosts[0].Outcome != "written" || u.Hosts[1].Outcome != "failed" || u.Hosts[1].Error == "" {
		t.Errorf("one host down: %+v", u)
	}
	if on, v := stored(t, a, prefix, key); on == on0 || v != v0+1 {
		t.Errorf("the reachable host was not written: on=%v v%d", on, v)
	}
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 1 || len(q.Pending[0].Changes[0].Hosts) != 2 {
		t.Errorf("journal after a partial write: %+v", q)
	}
}

func onOffArg(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func TestUpdateUnknownFlagAndTombstone(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	wantCode(t, h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", "no-such-flag", "-s", "on", "--yes"), exitError, "no-such-flag", "nothing was changed")
	wantCode(t, h.run("", false, "update", "-p", "web-store", "-e", "staging", "-f", "removed-experiment", "-s", "on", "--yes"), exitError, "removed-experiment", "nothing was changed")
	if _, err := os.Stat(h.journal); err == nil {
		if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 0 {
			t.Errorf("journaled a refused change: %+v", q.Pending)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// import-relaycommander

func TestImportRelayCommanderQueue(t *testing.T) {
	h := newHarness(t)
	todo := filepath.Join(h.dir, "replay", "toDo")
	os.MkdirAll(todo, 0o755)
	files := []struct{ name, line string }{
		// relayCommander wrote one file per Redis host per change.
		{"a1.txt", "rc update-ld-api -p web-store -e production -f beta-dashboard -s off"},
		{"a2.txt", "rc update-ld-api -p web-store -e production -f beta-dashboard -s off"},
		{"b1.txt", "rc update-ld-api -p payments -e staging -f rate-limits -s on"},
		{"bad.txt", "rc update-ld-api -p x -e y -f z -s on; rm -rf /"},
	}
	for i, f := range files {
		p := filepath.Join(todo, f.name)
		os.WriteFile(p, []byte(f.line), 0o644)
		ts := time.Now().Add(time.Duration(i-10) * time.Minute)
		os.Chtimes(p, ts, ts)
		time.Sleep(10 * time.Millisecond) // distinct ctimes, in order
	}

	g := h.run("", false, "import-relaycommander", "replay", "--json")
	wantCode(t, g, exitPartial, "bad.txt", "skipped")
	out := decode[struct {
		Journal  string                  `json:"journal"`
		Read     int                     `json:"read"`
		Recorded []journal.Change        `json:"recorded"`
		Skipped  []journal.ImportProblem `json:"skipped"`
	}](t, g.stdout)
	if len(out.Recorded) != 2 || len(out.Skipped) != 1 || out.Recorded[0].Flag != "beta-dashboard" || out.Recorded[0].BaseVersion != nil ||
		out.Recorded[1].Prefix != "ld:payments:staging" || !out.Recorded[1].After {
		t.Errorf("import: %+v", out)
	}
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 2 {
		t.Errorf("queue after import: %+v", q)
	}

	// Importing again records nothing new; the parent directory is accepted too.
	os.Remove(filepath.Join(todo, "bad.txt"))
	g = h.ok("import-relaycommander", h.dir)
	if !strings.Contains(g.stdout, "Imported 0 change(s)") {
		t.Errorf("second import:\n%s", g.stdout)
	}
	if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 2 || len(q.Pending[0].Changes) != 1 {
		t.Errorf("queue after a second import: %+v", q)
	}
	wantCode(t, h.run("", false, "import-relaycommander", "does-not-exist"), exitError, "does-not-exist")

	// A configured mapping names the prefix relayCommander's convention would have guessed.
	h2 := newHarness(t)
	h2.write("relaycommander.yaml", "prefixes:\n  launchdarkly: {project: web-store, environment: production}\n", 0o600)
	g = h2.ok("import-relaycommander", "--json", filepath.Join(h.dir, "replay"))
	out = decode[struct {
		Journal  string                  `json:"journal"`
		Read     int                     `json:"read"`
		Recorded []journal.Change        `json:"recorded"`
		Skipped  []journal.ImportProblem `json:"skipped"`
	}](t, g.stdout)
	if len(out.Recorded) != 2 || out.Recorded[0].Prefix != "launchdarkly" || out.Recorded[1].Prefix != "ld:payments:staging" {
		t.Errorf("import with a mapping: %+v", out.Recorded)
	}
}

func TestExampleConfigurationIsValid(t *testing.T) {
	h := newHarness(t)
	example, err := filepath.Abs("config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range configKeys {
		leaf := k[strings.LastIndex(k, ".")+1:]
		if !strings.Contains(string(text), leaf+":") {
			t.Errorf("config.example.yaml does not document %s", k)
		}
	}
	for _, k := range []string{"name:", "addr:", "username:", "password_env:", "tls:"} {
		if !strings.Contains(string(text), k) {
			t.Errorf("config.example.yaml does not document redis.hosts' %s", k)
		}
	}
	wantCode(t, h.run("", false, "config", "--config", example), exitError, "password_env", "RELAY_REDIS_PASSWORD")
	h.env["RELAY_REDIS_PASSWORD"] = "secret"
	type entry struct{ Value, From string }
	cfg := decode[struct {
		File   string
		Values map[string]entry
	}](t, h.ok("config", "--json", "--config", example).stdout)
	if cfg.Values["redis.hosts"].Value != "relay-redis-a=redis-a.internal:6379, relay-redis-b=redis-b.internal:6380 (TLS)" ||
		cfg.Values["prefixes"].Value != "launchdarkly=web-store/production" || cfg.Values["operator"].Value != "alice" {
		t.Errorf("example: %+v", cfg.Values)
	}
	if strings.Contains(fmt.Sprint(cfg), "secret") {
		t.Errorf("a password was printed")
	}
}

// ---------------------------------------------------------------------------------------------
// demo

func TestDemoResyncRestoresLaunchDarklyState(t *testing.T) {
	ctx := context.Background()
	d, err := startDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := d.dir
	defer func() {
		d.Close()
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("demo directory %s left behind", dir)
		}
	}()
	if d.LaunchDarklyReachable() {
		t.Errorf("the demo's LaunchDarkly starts reachable")
	}
	if err := d.LD.Check(ctx); err == nil {
		t.Errorf("LaunchDarkly answers while unreachable")
	}
	const prefix, key = "ld:web-store:production", "beta-dashboard"
	f, err := d.Store.Flag(ctx, prefix, key)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.Primary()
	c, res, err := d.Journal.Toggle(ctx, d.Store, journal.Change{Operator: "demo", Prefix: prefix, Project: "web-store",
		Environment: "production", Flag: key, Before: before.On, After: !before.On, BaseVersion: &before.Version})
	if err != nil || len(res.FailedHosts()) != 0 || len(res.Hosts) != 2 {
		t.Fatalf("toggle in the demo: %+v %+v %v", c, res, err)
	}

	d.SetLaunchDarklyReachable(true)
	if !d.LaunchDarklyReachable() {
		t.Fatal("not reachable after SetLaunchDarklyReachable(true)")
	}
	if err := d.LD.Check(ctx); err != nil {
		t.Fatalf("LaunchDarkly back: %v", err)
	}
	// Someone changes another flag in LaunchDarkly: the re-sync must bring that too.
	d.fake.ChangeBehindBack("web-store", "production", "legacy-export", true)
	ldOn, ldVer, _ := d.fake.FlagState("web-store", "production", "legacy-export")

	if err := d.SimulateRelayResync(ctx); err != nil {
		t.Fatal(err)
	}
	fx := fixture.Load()
	for i, c := range d.clients {
		all, err := c.HGetAll(ctx, prefix+":features").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(fx[prefix].Features) {
			t.Errorf("host %d: %d flags after re-sync, want %d", i, len(all), len(fx[prefix].Features))
		}
		var got map[string]any
		json.Unmarshal([]byte(all[key]), &got)
		var want map[string]any
		json.Unmarshal([]byte(fx[prefix].Features[key]), &want)
		if got["on"] != before.On {
			t.Errorf("host %d: the manual edit survived the re-sync: %v", i, got["on"])
		}
		delete(got, "on")
		delete(got, "version")
		delete(want, "on")
		delete(want, "version")
		if g, w := mustJSON(got), mustJSON(want); g != w {
			t.Errorf("host %d: fields other than on/version changed:\n%s\n%s", i, g, w)
		}
		var legacy struct {
			On      bool
			Version int
		}
		json.Unmarshal([]byte(all["legacy-export"]), &legacy)
		if legacy.On != ldOn || legacy.Version != ldVer {
			t.Errorf("host %d: legacy-export %+v, LaunchDarkly has on=%v v%d", i, legacy, ldOn, ldVer)
		}
		if n, _ := c.Exists(ctx, prefix+":$inited").Result(); n != 1 {
			t.Errorf("host %d: no $inited after re-sync", i)
		}
	}
	// The journal notices: the pending change's Redis state no longer matches what was written.
	after, _ := d.Store.Flag(ctx, prefix, key)
	if p, _ := after.Primary(); p.On != before.On {
		t.Errorf("store still shows the edit after the re-sync")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var _ = redis.Nil
var _ = ldfake.DefaultToken

// ---------------------------------------------------------------------------------------------
// generate-relay-config

func TestGenerateRelayConfig(t *testing.T) {
	h := newHarness(t)
	fake := ldfake.New()
	t.Cleanup(fake.Close)
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = fake.URL()
	h.env["LD_API_KEY"] = fake.Token()
	h.env["RC_REDIS_HOSTS"] = "redis://relay-user@redis-a.internal:6380"
	h.env["RC_RELAY_LOCAL_TTL"] = "10s"

	g := h.ok("generate-relay-config", "-p", "web-store", "-p", "payments")
	for _, want := range []string{"[Redis]", `"redis://redis-a.internal:6380"`, "10s",
		`prefix = "ld:web-store:production"`, `prefix = "ld:web-store:staging"`, `prefix = "ld:payments:test"`} {
		if !strings.Contains(g.stdout, want) {
			t.Errorf("generated INI lacks %s:\n%s", want, g.stdout)
		}
	}
	if strings.Contains(g.stdout, "ld:mobile-api:") {
		t.Errorf("a project not asked for is in the config:\n%s", g.stdout)
	}

	// To a file: 0600, never replaced without --force, and it reads back into the same mapping.
	g = h.ok("generate-relay-config", "-p", "web-store", "-o", "relay.conf")
	path := filepath.Join(h.dir, "relay.conf")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("relay.conf: %v %v", fi, err)
	}
	if !strings.Contains(g.stderr, "0600") {
		t.Errorf("no word on the file's mode:\n%s", g.stderr)
	}
	wantCode(t, h.run("", false, "generate-relay-config", "-p", "web-store", "-o", "relay.conf"), exitError, "relay.conf")
	h.ok("generate-relay-config", "-p", "web-store", "-o", "relay.conf", "--force")
	rc, err := relaycfg.Read(path)
	if m := relaycfg.Mapping(rc); err != nil || len(m) != 3 || m["ld:web-store:staging"].Environment != "staging" {
		t.Errorf("generated file read back: %v %v", m, err)
	}

	// The environment-variable form.
	g = h.ok("generate-relay-config", "-p", "web-store", "--format", "env")
	if !strings.Contains(g.stdout, "LD_PREFIX_") || !strings.Contains(g.stdout, "ld:web-store:production") || !strings.Contains(g.stdout, "USE_REDIS") {
		t.Errorf("env form:\n%s", g.stdout)
	}

	// A project LaunchDarkly does not have; no token.
	wantCode(t, h.run("", false, "generate-relay-config", "-p", "no-such-project"), exitError, "no-such-project")
	delete(h.env, "LD_API_KEY")
	wantCode(t, h.run("", false, "generate-relay-config", "-p", "web-store"), exitError, "RC_LAUNCHDARKLY_API_TOKEN")
}

func TestRelayConfigsNamePrefixes(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	h.write("relay.conf", `[Main]
port = 8030
[Redis]
url = "redis://localhost:6379"
localTtl = 30s
[Environment "Legacy"]
sdkKey = "sdk-legacy"
projKey = "legacy"
prefix = "launchdarkly"
`, 0o600)
	h.write("relaycommander.yaml", "relay_configs: [relay.conf]\n", 0o600)
	// A Relay config names the project (projKey) but not the environment's key.
	find := func() prefixJSON {
		t.Helper()
		for _, p := range decode[flagsListJSON](t, h.ok("flags", "--json").stdout).Prefixes {
			if p.Prefix == "launchdarkly" {
				return p
			}
		}
		t.Fatal("prefix launchdarkly not listed")
		return prefixJSON{}
	}
	if p := find(); p.Mapped || p.Project != "legacy" {
		t.Errorf("prefix from the Relay config: %+v", p)
	}
	// An explicit mapping completes it.
	h.write("relaycommander.yaml", "relay_configs: [relay.conf]\nprefixes:\n  launchdarkly: {project: legacy, environment: prod}\n", 0o600)
	if p := find(); !p.Mapped || p.Project != "legacy" || p.Environment != "prod" {
		t.Errorf("explicit mapping over the Relay config: %+v", p)
	}
	// Without redis.hosts, the Relay config's Redis is used, and its localTtl for the messages.
	a := redistest.StartWithFixture(t)
	delete(h.env, "RC_REDIS_HOSTS")
	h.write("relay.conf", "[Redis]\nurl = \"redis://"+a.Addr+"\"\nlocalTtl = 12s\n[Environment \"Legacy\"]\nsdkKey = \"sdk-l\"\nprojKey = \"legacy\"\nprefix = \"launchdarkly\"\n", 0o600)
	type entry struct{ Value, From string }
	cfg := decode[struct {
		File   string
		Values map[string]entry
	}](t, h.ok("config", "--json").stdout)
	if cfg.Values["redis.hosts"] != (entry{a.Addr, "relay_configs"}) || cfg.Values["relay.local_ttl"] != (entry{"12s", "relay_configs"}) {
		t.Errorf("hosts and localTtl from the Relay config: %+v", cfg.Values)
	}
	if list := decode[flagsListJSON](t, h.ok("flags", "--json").stdout); len(list.Hosts) != 1 || !list.Hosts[0].Up {
		t.Errorf("flags with the Relay config's Redis: %+v", list.Hosts)
	}
	g := h.ok("update", "-p", "legacy", "-e", "prod", "-f", "legacy-export", "-s", "on", "--yes")
	if !strings.Contains(g.stdout, "localTtl 12s") {
		t.Errorf("the message does not use the Relay's localTtl:\n%s", g.stdout)
	}

	// A Relay config that breaks emergency edits is warned about.
	h.write("relay.conf", "[Redis]\nurl = \"redis://localhost:6379\"\nlocalTtl = -1s\n[Environment \"A\"]\nsdkKey = \"sdk-a\"\nprefix = \"ld:a:b\"\n", 0o600)
	if g := h.ok("config"); !strings.Contains(g.stderr, "relay.conf") || !strings.Contains(g.stderr, "warning") {
		t.Errorf("no warning for a negative localTtl:\n%s", g.stderr)
	}
}

// ---------------------------------------------------------------------------------------------
// replay

type replayOut struct {
	Journal   string      `json:"journal"`
	DryRun    bool        `json:"dryRun"`
	Items     []itemJSON  `json:"items"`
	Counts    *countsJSON `json:"counts"`
	Undecided int         `json:"undecidedConflicts"`
}

type countsJSON struct {
	Applied, InSync, Conflicts, Failed, Skipped, Verified, Mismatched int
}

// withLaunchDarkly starts the fake LaunchDarkly (seeded from the same fixture as Redis) and
// points the configuration at it.
func withLaunchDarkly(t *testing.T, h *harness) *ldfake.Server {
	t.Helper()
	fake := ldfake.New()
	t.Cleanup(fake.Close)
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = fake.URL()
	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = fake.Token()
	h.env["RC_LAUNCHDARKLY_TIMEOUT"] = "2s"
	return fake
}

func itemByFlag(t *testing.T, items []itemJSON, flag string) itemJSON {
	t.Helper()
	for _, it := range items {
		if it.Flag == flag {
			return it
		}
	}
	t.Fatalf("no item for %s in %+v", flag, items)
	return itemJSON{}
}

func TestReplayAppliesToLaunchDarkly(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	h.env["RC_OPERATOR"] = "alice"

	// Three offline changes; the third is then changed in LaunchDarkly behind our back.
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "off", "--yes", "--reason", "errors up")
	h.ok("update", "-p", "payments", "-e", "test", "-f", "rate-limits", "-s", "off", "--yes")
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "use-fallback-cdn", "-s", "off", "--yes")
	fake.ChangeBehindBack("web-store", "staging", "use-fallback-cdn", true)
	_, betaV := stored(t, a, "ld:web-store:staging", "beta-dashboard")

	// Dry run: the plan, nothing sent, exit 4 for the conflict.
	g := h.run("", false, "replay", "--dry-run", "--json")
	wantCode(t, g, exitConflicts, "conflict")
	plan := decode[replayOut](t, g.stdout)
	if !plan.DryRun || len(plan.Items) != 3 || plan.Undecided != 1 || plan.Counts != nil {
		t.Fatalf("dry run: %+v", plan)
	}
	if it := itemByFlag(t, plan.Items, "beta-dashboard"); it.Status != "ready" || it.Project != "web-store" || it.LDVersion != betaV-1 || !it.LDOn {
		t.Errorf("beta-dashboard: %+v", it)
	}
	if it := itemByFlag(t, plan.Items, "use-fallback-cdn"); it.Status != "conflict" || it.Reason == "" {
		t.Errorf("use-fallback-cdn: %+v", it)
	}
	if fake.PatchCount() != 0 {
		t.Fatalf("a dry run sent %d patches", fake.PatchCount())
	}
	// The alias of the original and the text plan.
	g = h.run("", false, "playback", "--dry-run")
	wantCode(t, g, exitConflicts)
	if !strings.Contains(g.stdout, "web-store/staging") || !strings.Contains(g.stdout, "ready") || !strings.Contains(g.stdout, "Dry run") {
		t.Errorf("text plan:\n%s", g.stdout)
	}

	// Not a terminal, no --yes: refused, nothing sent.
	wantCode(t, h.run("", false, "replay"), exitUsage, "--yes")
	if fake.PatchCount() != 0 {
		t.Fatalf("sent %d patches without confirmation", fake.PatchCount())
	}

	// Apply: two sent and verified, the conflict left for a decision (exit 4).
	g = h.run("", false, "replay", "--yes", "--json")
	wantCode(t, g, exitConflicts, "--force")
	res := decode[replayOut](t, g.stdout)
	if res.Counts == nil || res.Counts.Applied != 2 || res.Counts.Verified != 2 || res.Counts.Conflicts != 1 || res.Counts.Failed != 0 {
		t.Errorf("counts: %+v", res.Counts)
	}
	if it := itemByFlag(t, res.Items, "beta-dashboard"); it.Result != "verified" {
		t.Errorf("beta-dashboard result: %+v", it)
	}
	for _, c := range []struct{ p, e, f string }{{"web-store", "staging", "beta-dashboard"}, {"payments", "test", "rate-limits"}} {
		if on, _, ok := fake.FlagState(c.p, c.e, c.f); !ok || on {
			t.Errorf("%s/%s/%s still on in LaunchDarkly", c.p, c.e, c.f)
		}
	}
	if on, _, _ := fake.FlagState("web-store", "staging", "use-fallback-cdn"); !on {
		t.Errorf("the conflicting change was overwritten without --force")
	}
	patches := fake.Patches()
	if len(patches) != 2 {
		t.Fatalf("%d patches, want 2: %+v", len(patches), patches)
	}
	for _, p := range patches {
		if !strings.Contains(p.Comment, "alice") {
			t.Errorf("comment does not name the operator: %q", p.Comment)
		}
	}
	q := decode[queueOut](t, h.ok("queue", "--json").stdout)
	if len(q.Pending) != 1 || q.Pending[0].Flag != "use-fallback-cdn" {
		t.Errorf("pending after replay: %+v", q.Pending)
	}

	// --force on a flag with no conflict is a usage error; on the conflict it overwrites.
	wantCode(t, h.run("", false, "replay", "--yes", "--force", "no-such-flag"), exitUsage, "no-such-flag")
	g = h.run("", false, "replay", "--yes", "--force", "web-store/staging/use-fallback-cdn")
	wantCode(t, g, exitOK)
	if !strings.Contains(g.stdout, "use-fallback-cdn") || !strings.Contains(g.stdout, "Applied 1") {
		t.Errorf("forced replay output:\n%s", g.stdout)
	}
	if on, _, _ := fake.FlagState("web-store", "staging", "use-fallback-cdn"); on {
		t.Errorf("forced change not applied")
	}
	g = h.ok("replay", "--yes")
	if !strings.Contains(g.stdout, "Nothing pending") {
		t.Errorf("replay with nothing pending:\n%s", g.stdout)
	}
	if fake.PatchCount() != 3 {
		t.Errorf("%d patches in all, want 3", fake.PatchCount())
	}
}

func TestReplayConfirmationOnATerminal(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	h.ok("update", "-p", "web-store", "-e", "test", "-f", "beta-dashboard", "-s", "off", "--yes")
	wantCode(t, h.run("n\n", true, "replay"), exitError, "not confirmed")
	if fake.PatchCount() != 0 {
		t.Fatalf("sent after no")
	}
	g := h.run("y\n", true, "replay")
	wantCode(t, g, exitOK, "Send 1 change(s)")
	if fake.PatchCount() != 1 || !strings.Contains(g.stdout, "verified") {
		t.Errorf("after yes: %d patches\n%s", fake.PatchCount(), g.stdout)
	}
}

func TestReplayPartialFailures(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	// Approvals required (405) fail one change; an unmapped prefix cannot be replayed.
	fake.RequireApprovals("payments", "production", true)
	h.ok("update", "-p", "payments", "-e", "production", "-f", "rate-limits", "-s", "off", "--yes")
	h.ok("update", "--prefix", "launchdarkly", "-f", "beta-dashboard", "-s", "off", "--yes")
	h.ok("update", "-p", "web-store", "-e", "test", "-f", "beta-dashboard", "-s", "off", "--yes")

	g := h.run("", false, "replay", "--yes", "--json")
	wantCode(t, g, exitPartial, "failed or cannot be replayed")
	res := decode[replayOut](t, g.stdout)
	if res.Counts == nil || res.Counts.Applied != 1 || res.Counts.Failed != 1 {
		t.Errorf("counts: %+v", res.Counts)
	}
	if it := itemByFlag(t, res.Items, "rate-limits"); it.Result != "failed" || it.Error == "" {
		t.Errorf("405: %+v", it)
	}
	for _, it := range res.Items {
		if it.Prefix == "launchdarkly" && it.Status != "not replayable" {
			t.Errorf("unmapped prefix: %+v", it)
		}
	}

	// LaunchDarkly unreachable: the plan fails with where it tried.
	fake.SetUnreachable(true)
	wantCode(t, h.run("", false, "replay", "--dry-run"), exitError, fake.URL(), "once LaunchDarkly answers")
	// A token LaunchDarkly refuses: said so, and never printed.
	fake.SetUnreachable(false)
	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = "api-wrong-secret-token"
	g = h.run("", false, "replay", "--yes")
	wantCode(t, g, exitError, "401", "valid access token", "stay pending")
	if strings.Contains(g.stdout+g.stderr, "api-wrong-secret-token") {
		t.Errorf("the token was printed:\n%s\n%s", g.stdout, g.stderr)
	}
	// No token.
	delete(h.env, "RC_LAUNCHDARKLY_API_TOKEN")
	wantCode(t, h.run("", false, "replay"), exitError, "RC_LAUNCHDARKLY_API_TOKEN")
}

func TestReplayProgressThroughARateLimit(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	for _, f := range []string{"beta-dashboard", "checkout-flow", "rate-limits"} {
		h.ok("update", "-p", "web-store", "-e", "test", "-f", f, "-s", "off", "--yes")
	}
	fake.SetRouteLimit(1, 500*time.Millisecond)

	// Plain lines when stdout is not a terminal, waits included.
	g := h.ok("replay", "--yes")
	for _, want := range []string{"1/3 ", "2/3 ", "3/3 ", "waiting until", "verified: web-store/test/rate-limits", "Applied 3"} {
		if !strings.Contains(g.stdout, want) {
			t.Errorf("plain progress lacks %q:\n%s", want, g.stdout)
		}
	}
	if strings.Contains(g.stdout, "\r") {
		t.Errorf("a progress bar on a non-terminal:\n%q", g.stdout)
	}

	// A bar on a terminal.
	h.tty = true
	for _, f := range []string{"beta-dashboard", "checkout-flow"} {
		h.ok("update", "-p", "web-store", "-e", "test", "-f", f, "-s", "on", "--yes")
	}
	g = h.ok("replay", "--yes")
	if !strings.Contains(g.stdout, "\r\x1b[K[") || !strings.Contains(g.stdout, "] 0/2 sending") || !strings.Contains(g.stdout, "2/2 web-store/test/checkout-flow: applied") {
		t.Errorf("no progress bar on a terminal:\n%q", g.stdout)
	}
	if fake.PatchCount() != 5 {
		t.Errorf("%d patches, want 5", fake.PatchCount())
	}
}

func TestREADMEQuickStartAndCommands(t *testing.T) {
	text, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, quick, ok := strings.Cut(string(text), "## Quick start")
	if !ok {
		t.Fatal("README has no Quick start")
	}
	_, block, _ := strings.Cut(quick, "```\n")
	lines := strings.Split(block, "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "go run . demo") || !strings.HasPrefix(lines[1], "go test ./...") {
		t.Errorf("the Quick start's first two commands must be go run . demo and go test ./...: %q", lines[:min(2, len(lines))])
	}
	a := &app{sys: &sys{}}
	for _, c := range a.rootCmd().Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		if !strings.Contains(string(text), "relaycommander "+c.Name()) {
			t.Errorf("README does not document the command %s", c.Name())
		}
	}
	if !strings.Contains(string(text), "## Measurements") {
		t.Errorf("README lost its Measurements section")
	}
}

// ---------------------------------------------------------------------------------------------
// the terminal UI and the demo, through cobra

func TestRootCommandStartsTheUIWithTheConfiguration(t *testing.T) {
	h := newHarness(t)
	a, b := twoHosts(t, h)
	fake := withLaunchDarkly(t, h)
	h.env["RC_UI_READ_ONLY"] = "true"
	h.env["RC_RELAY_LOCAL_TTL"] = "10s"
	h.env["RC_PROTECTED_ENVIRONMENTS"] = "staging,production"
	h.write("relaycommander.yaml", "ui:\n  refresh: 3s\n", 0o600)
	var got *tui.Config
	h.ui = func(ctx context.Context, cfg tui.Config) error {
		got = &cfg
		// What the UI gets works: Redis, the journal, LaunchDarkly.
		if names := cfg.Store.HostNames(); len(names) != 2 || names[0] != a.Addr || names[1] != b.Addr {
			t.Errorf("hosts: %v", names)
		}
		if fs, err := cfg.Store.Flags(ctx, "ld:web-store:staging"); err != nil || len(fs.Flags) == 0 {
			t.Errorf("store: %v", err)
		}
		if cfg.LD == nil || cfg.LD.Check(ctx) != nil {
			t.Errorf("LaunchDarkly client: %v", cfg.LD)
		}
		if cfg.Journal == nil || cfg.Journal.Dir() != h.journal {
			t.Errorf("journal: %v", cfg.Journal)
		}
		return nil
	}
	h.ok("--no-alt-screen", "--operator", "carol")
	if got == nil {
		t.Fatal("the UI did not start")
	}
	if got.Operator != "carol" || !got.ReadOnly || got.AltScreen || got.Refresh != 3*time.Second || got.RelayTTL != 10*time.Second ||
		strings.Join(got.Protected, ",") != "staging,production" || got.Demo != nil ||
		got.LogPath != filepath.Join(filepath.Dir(h.journal), "relaycommander-ui.log") {
		t.Errorf("UI configuration: %+v", *got)
	}
	if fake.PatchCount() != 0 {
		t.Errorf("starting the UI patched LaunchDarkly")
	}

	// Without a token the UI still starts, without LaunchDarkly.
	delete(h.env, "RC_LAUNCHDARKLY_API_TOKEN")
	h.ui = func(ctx context.Context, cfg tui.Config) error {
		if cfg.LD != nil {
			t.Errorf("a LaunchDarkly client without a token")
		}
		return nil
	}
	h.ok()
}

func TestDemoCommand(t *testing.T) {
	h := newHarness(t)
	// The demo ignores the configured hosts and token: nothing here may be dialled.
	addr, dials := listener(t)
	h.env["REDIS_HOSTS"] = addr
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = "http://" + addr
	h.env["LD_API_KEY"] = "api-not-for-the-demo"
	var demoDir string
	h.ui = func(ctx context.Context, cfg tui.Config) error {
		if cfg.Demo == nil || cfg.LD == nil || cfg.Store == nil || cfg.Journal == nil {
			t.Fatalf("demo UI configuration: %+v", cfg)
		}
		demoDir = filepath.Dir(cfg.LogPath)
		if !strings.HasPrefix(cfg.Journal.Dir(), demoDir) {
			t.Errorf("the demo's journal %s is not in its temporary directory %s", cfg.Journal.Dir(), demoDir)
		}
		d := cfg.Store.Discover(ctx)
		if len(d.Hosts) != 2 || len(d.Prefixes) != len(fixture.Load()) {
			t.Errorf("demo Redis: %d hosts, %d prefixes", len(d.Hosts), len(d.Prefixes))
		}
		if cfg.Demo.LaunchDarklyReachable() || cfg.LD.Check(ctx) == nil {
			t.Errorf("the demo's LaunchDarkly starts reachable")
		}
		cfg.Demo.SetLaunchDarklyReachable(true)
		if err := cfg.LD.Check(ctx); err != nil {
			t.Errorf("the demo's LaunchDarkly after SetLaunchDarklyReachable(true): %v", err)
		}
		return cfg.Demo.SimulateRelayResync(ctx)
	}
	h.ok("demo")
	if demoDir == "" {
		t.Fatal("the UI did not start")
	}
	if _, err := os.Stat(demoDir); !os.IsNotExist(err) {
		t.Errorf("the demo left %s behind", demoDir)
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("the demo dialled the configured hosts %d times", n)
	}
}

func TestReplayClosesChangesAlreadyInSync(t *testing.T) {
	h := newHarness(t)
	twoHosts(t, h)
	fake := withLaunchDarkly(t, h)

	// Off, then on again: no net effect, so LaunchDarkly already has the desired state.
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "off", "--yes")
	h.ok("update", "-p", "web-store", "-e", "staging", "-f", "beta-dashboard", "-s", "on", "--yes")
	if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 1 {
		t.Fatalf("pending before replay: %+v", q.Pending)
	}
	g := h.ok("replay", "--yes")
	if !strings.Contains(g.stdout, "already in sync") {
		t.Errorf("replay output:\n%s", g.stdout)
	}
	if q := decode[queueOut](t, h.ok("queue", "--json").stdout); len(q.Pending) != 0 {
		t.Errorf("an in-sync change stays pending after replay: %+v", q.Pending)
	}
	if fake.PatchCount() != 0 {
		t.Errorf("%d patches sent for a change LaunchDarkly already had", fake.PatchCount())
	}
}

func TestQueueReadsInterruptedChangesBackFromRedis(t *testing.T) {
	h := newHarness(t)
	a, _ := twoHosts(t, h)
	const prefix, key = "ld:web-store:staging", "beta-dashboard"
	on, v := stored(t, a, prefix, key)
	// What a writer killed after its intent and before any Redis write leaves behind.
	j, err := journal.Open(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(journal.Change{Time: time.Now().Add(-5 * time.Minute), Operator: "ann", Prefix: prefix,
		Project: "web-store", Environment: "staging", Flag: key, Before: on, After: !on, BaseVersion: &v}); err != nil {
		t.Fatal(err)
	}
	j.Close()

	g := h.ok("queue", "--json")
	if !strings.Contains(g.stderr, "read back from Redis") {
		t.Errorf("stderr does not say the change was read back:\n%s", g.stderr)
	}
	// Redis was never written: nothing to replay, and the history says why.
	if q := decode[queueOut](t, g.stdout); len(q.Pending) != 0 {
		t.Fatalf("a change that wrote nothing is still pending: %+v", q.Pending)
	}
	j, err = journal.Open(h.journal)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	entries, _, err := j.History(prefix, key)
	if err != nil || len(entries) != 1 || !entries[0].OutcomeKnown || len(entries[0].Outcomes) != 2 {
		t.Fatalf("history: %+v, %v", entries, err)
	}
	for _, o := range entries[0].Outcomes {
		if o.Outcome != "failed" || !o.Reconciled {
			t.Errorf("host %s: %+v, want failed (never written) and reconciled", o.Host, o)
		}
	}
}
