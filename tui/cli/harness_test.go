package cli

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"relaycommander/flags/redistest"
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
	stdout  io.Writer                               // where standard output goes, if not into got.stdout
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
	var stdout io.Writer = &out
	if h.stdout != nil {
		stdout = h.stdout
	}
	s := &System{
		Stdin: strings.NewReader(stdin), Stdout: stdout, Stderr: &errb,
		Env: h.env, Dir: h.dir, StdinTTY: tty, StdoutTTY: h.tty,
		Operator: func() string { return "os-user" },
		RunTUI:   h.ui,
	}
	if s.RunTUI == nil {
		s.RunTUI = func(context.Context, tui.Config) error {
			h.t.Fatalf("the terminal UI was started by: relaycommander %s", strings.Join(args, " "))
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := Run(ctx, s, args)
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
