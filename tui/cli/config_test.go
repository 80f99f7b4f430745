package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/redistest"
	"relaycommander/tui/cli/config"
)

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
	wantCode(t, h.run("", false, "flags"), ExitError, ".env")
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

func TestExampleConfigurationIsValid(t *testing.T) {
	h := newHarness(t)
	example, err := filepath.Abs(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range config.Keys {
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
	wantCode(t, h.run("", false, "config", "--config", example), ExitError, "password_env", "RELAY_REDIS_PASSWORD")
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
	if !strings.Contains(g.stdout, "within its localTtl (12s)") || !strings.Contains(g.stdout, "relay.local_ttl (12s, from relay_configs)") {
		t.Errorf("the message does not use the Relay's localTtl:\n%s", g.stdout)
	}

	// A Relay config that breaks emergency edits is warned about.
	h.write("relay.conf", "[Redis]\nurl = \"redis://localhost:6379\"\nlocalTtl = -1s\n[Environment \"A\"]\nsdkKey = \"sdk-a\"\nprefix = \"ld:a:b\"\n", 0o600)
	if g := h.ok("config"); !strings.Contains(g.stderr, "relay.conf") || !strings.Contains(g.stderr, "warning") {
		t.Errorf("no warning for a negative localTtl:\n%s", g.stderr)
	}
}

// A bad configuration stops a command with exit 1 before it dials anything (the errors
// themselves are package config's tests).
func TestBadConfigurationStopsBeforeRedis(t *testing.T) {
	h := newHarness(t)
	addr, dials := listener(t)
	h.env["REDIS_HOSTS"] = addr
	h.write("relaycommander.yaml", "redis:\n  dial_timeout: 5x\n", 0o600)
	wantCode(t, h.run("", false, "flags"), ExitError, "redis.dial_timeout", "relaycommander.yaml")
	time.Sleep(50 * time.Millisecond)
	if n := dials.Load(); n != 0 {
		t.Errorf("a bad configuration still opened %d connections", n)
	}
}

// A plain http:// LaunchDarkly URL on another machine would send the API token in clear: the
// configuration refuses it, naming the URL, why and the fix, unless
// launchdarkly.allow_insecure_http says so explicitly; on this machine it is fine (issue 11).
func TestPlainHTTPToLaunchDarklyNeedsExplicitKey(t *testing.T) {
	h := newHarness(t)
	h.env["RC_LAUNCHDARKLY_API_TOKEN"] = "api-test"
	h.env["RC_LAUNCHDARKLY_BASE_URL"] = "http://ld-proxy.example.invalid:8080"
	for _, args := range [][]string{{"config"}, {"replay", "--dry-run"}, {"status"}} {
		wantCode(t, h.run("", false, args...), ExitError, "launchdarkly.base_url", "http://ld-proxy.example.invalid:8080",
			"in clear", "launchdarkly.allow_insecure_http: true", "RC_LAUNCHDARKLY_ALLOW_INSECURE_HTTP=true", "https://")
	}
	// Allowed explicitly, from the environment or the file: the client takes it too (replay
	// builds it before finding nothing pending).
	h.env["RC_LAUNCHDARKLY_ALLOW_INSECURE_HTTP"] = "true"
	if g := h.ok("replay", "--dry-run"); !strings.Contains(g.stdout, "Nothing pending") {
		t.Errorf("allowed: %s", g.stdout)
	}
	type entry struct{ Value, From string }
	cfg := decode[struct {
		File   string
		Values map[string]entry
	}](t, h.ok("config", "--json").stdout)
	if got := cfg.Values["launchdarkly.allow_insecure_http"]; got != (entry{"true", "environment RC_LAUNCHDARKLY_ALLOW_INSECURE_HTTP"}) {
		t.Errorf("config shows %+v", got)
	}
	delete(h.env, "RC_LAUNCHDARKLY_ALLOW_INSECURE_HTTP")
	h.write("relaycommander.yaml", "launchdarkly:\n  allow_insecure_http: true\n", 0o600)
	h.ok("replay", "--dry-run")
	// Loopback needs no permission.
	h.write("relaycommander.yaml", "launchdarkly:\n  base_url: http://127.0.0.1:1\n", 0o600)
	delete(h.env, "RC_LAUNCHDARKLY_BASE_URL")
	h.ok("replay", "--dry-run")
}
