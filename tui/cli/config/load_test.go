package config

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

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
		{"relay without url", "relays:\n  - name: relay-a\n", nil, nil, []string{"relays[0]", "relaycommander.yaml", `Relay "relay-a" has no url`}},
		{"relay not http", "relays:\n  - url: redis://relay-a:8030\n", nil, nil, []string{"relays[0]", "not an http:// or https:// URL"}},
		{"relay password hidden", "", map[string]string{"RC_RELAYS": "a=ftp://u:hunter2@relay-a:8030"}, nil, []string{"relays[0]", "environment RC_RELAYS", "ftp://u:xxxxx@relay-a:8030"}},
		{"relay empty entry", "", map[string]string{"RC_RELAYS": "a=http://relay-a:8030,,b=http://relay-b:8030"}, nil, []string{"relays[1]", "RC_RELAYS", "entry 2 is empty"}},
		{"duplicate relay names", "relays:\n  - http://relay-a:8030\n  - http://relay-a:8030\n", nil, nil, []string{"relays[1]", `two Relays are named "relay-a:8030"`}},
		{"unknown relay key", "relays:\n  - name: a\n    adr: http://relay-a:8030\n", nil, nil, []string{"line 3", "unknown key relays[0].adr"}},
		{"sdk key variable not set", "relay:\n  sdk_keys:\n    ld:web-store:production: LD_SDK_PROD\n", nil, nil, []string{"relay.sdk_keys", "relaycommander.yaml", "LD_SDK_PROD, which is not set"}},
		{"sdk key in the file", "relay:\n  sdk_keys:\n    ld:web-store:production: sdk-12345678-abcd\n", nil, nil, []string{"line 3", "holds an SDK key"}},
		{"sdk keys not prefix=VAR", "", map[string]string{"RC_RELAY_SDK_KEYS": "ld:web-store:production"}, nil, []string{"relay.sdk_keys", "RC_RELAY_SDK_KEYS", "not prefix=VARIABLE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"RC_JOURNAL_DIR": filepath.Join(dir, "journal")}
			if !strings.Contains(c.file, "hosts") {
				env["REDIS_HOSTS"] = addr // else the environment would win over the file's hosts
			}
			for k, v := range c.env {
				env[k] = v
			}
			if c.file != "" {
				if err := os.WriteFile(filepath.Join(dir, "relaycommander.yaml"), []byte(c.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			fs := pflag.NewFlagSet("relaycommander", pflag.ContinueOnError)
			AddFlags(fs)
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			_, _, err := Load(Input{Env: env, Dir: dir, Flags: fs, Operator: func() string { return "os-user" }})
			if err == nil {
				t.Fatalf("no error, want one naming %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error lacks %q: %v", w, err)
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	if n := dials.Load(); n != 0 {
		t.Errorf("a bad configuration still opened %d connections", n)
	}
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

// A password inside a redis:// URL never reaches an error, whether the URL does not parse or
// names a database that is not a number (issue 11, item 8).
func TestRedisPasswordNotInConfigurationErrors(t *testing.T) {
	for _, addr := range []string{"redis://:hunter2@[::1", "redis://:hunter2@127.0.0.1:6379/notadb", "rediss://u:hunter2@h:6379/-1"} {
		for _, file := range []string{"", "redis:\n  hosts:\n    - addr: \"" + addr + "\"\n"} {
			dir := t.TempDir()
			env := map[string]string{"RC_JOURNAL_DIR": filepath.Join(dir, "journal")}
			if file == "" {
				env["RC_REDIS_HOSTS"] = addr
			} else if err := os.WriteFile(filepath.Join(dir, "relaycommander.yaml"), []byte(file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := Load(Input{Env: env, Dir: dir, Operator: func() string { return "os-user" }})
			if err == nil {
				t.Fatalf("%s: no error", addr)
			}
			if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "xxxxx") || !strings.Contains(err.Error(), "redis.hosts[0]") {
				t.Errorf("%s: the error shows the password or does not name the host redacted: %v", addr, err)
			}
		}
	}
	if got := HostName("redis://:hunter2@[::1"); strings.Contains(got, "hunter2") {
		t.Errorf("HostName of a malformed URL shows the password: %s", got)
	}
}
