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
