// Package redistest starts real redis-server processes for tests, each on a free loopback
// port (never 6379), and stops them by their own pid. Without redis-server on PATH it falls
// back to an in-process miniredis and says so in the test log; with RC_TEST_REQUIRE_REDIS=1
// that fallback is a test failure instead, so CI can never pass on the stand-in. Proxy puts
// a misbehaving network between a client and a server: latency per link, and replies held
// back past the client's timeout after the server acted.
package redistest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"relaycommander/flags/fixture"
)

// Server is one Redis server started for a test.
type Server struct {
	// Addr is host:port on the loopback interface.
	Addr     string
	password string
	tb       testing.TB
	cmd      *exec.Cmd
	log      *bytes.Buffer
	mini     *miniredis.Miniredis
}

// Option changes how a server starts.
type Option func(*Server)

// WithPassword makes the server require AUTH with this password.
func WithPassword(pw string) Option { return func(s *Server) { s.password = pw } }

// Start starts a server for the test and stops it when the test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{tb: tb}
	for _, o := range opts {
		o(s)
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("RC_TEST_REQUIRE_REDIS") == "1" {
			tb.Fatalf("redistest: redis-server is not on PATH and RC_TEST_REQUIRE_REDIS=1 forbids the miniredis fallback")
		}
		tb.Logf("redistest: redis-server not on PATH; falling back to in-process miniredis")
		s.startMini()
	} else {
		s.startReal("")
	}
	tb.Cleanup(s.Stop)
	return s
}

// StartWithFixture starts a server and loads the Relay fixture into it.
func StartWithFixture(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := Start(tb, opts...)
	s.LoadFixture()
	return s
}

// Real reports whether this is a real redis-server process.
func (s *Server) Real() bool { return s.mini == nil }

// Client returns a new go-redis client for the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Password: s.password, DialTimeout: 2 * time.Second})
	s.tb.Cleanup(func() { c.Close() })
	return c
}

// LoadFixture writes the Relay fixture into the server.
func (s *Server) LoadFixture() {
	s.tb.Helper()
	c := s.Client()
	if err := fixture.Load().WriteTo(context.Background(), c); err != nil {
		s.tb.Fatalf("redistest: load fixture into %s: %v", s.Addr, err)
	}
}

// Stop stops the server (idempotent). Its data is gone: servers run with --save "".
func (s *Server) Stop() {
	if s.mini != nil {
		s.mini.Close()
		return
	}
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused server cannot act on SIGKILL's cleanup otherwise
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts a stopped server again on the same address, empty.
func (s *Server) Restart() {
	s.tb.Helper()
	if s.mini != nil {
		if err := s.mini.Restart(); err != nil {
			s.tb.Fatalf("redistest: restart miniredis: %v", err)
		}
		return
	}
	s.Stop()
	s.startReal(s.Addr)
}

// Pause freezes the server process (SIGSTOP): connections hang, as with a host that stopped
// answering. Resume undoes it. The miniredis fallback cannot hang, so there the test is skipped.
func (s *Server) Pause() {
	s.tb.Helper()
	if s.mini != nil {
		s.tb.Skip("redistest: a hung host needs a real redis-server process; miniredis cannot pause")
	}
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGSTOP)
	}
}

// Resume continues a paused server.
func (s *Server) Resume() {
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
}

func (s *Server) startMini() {
	m := miniredis.NewMiniRedis()
	if s.password != "" {
		m.RequireAuth(s.password)
	}
	if err := m.Start(); err != nil {
		s.tb.Fatalf("redistest: start miniredis: %v", err)
	}
	s.mini = m
	s.Addr = m.Addr()
}

// startReal starts redis-server on addr, or on a free port when addr is empty.
func (s *Server) startReal(addr string) {
	s.tb.Helper()
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		a := addr
		if a == "" {
			a = freeAddr(s.tb)
		}
		host, port, _ := net.SplitHostPort(a)
		args := []string{"--bind", host, "--port", port, "--save", "", "--appendonly", "no",
			"--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning", "--dir", s.tb.TempDir()}
		if s.password != "" {
			args = append(args, "--requirepass", s.password)
		}
		cmd := exec.Command("redis-server", args...)
		s.log = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = s.log, s.log
		if err := cmd.Start(); err != nil {
			s.tb.Fatalf("redistest: start redis-server: %v", err)
		}
		if err := waitReady(a, s.password, cmd); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			lastErr = fmt.Errorf("%w; server log: %s", err, s.log.String())
			continue // most likely the free port was taken meanwhile
		}
		s.cmd, s.Addr = cmd, a
		return
	}
	s.tb.Fatalf("redistest: redis-server did not start: %v", lastErr)
}

func freeAddr(tb testing.TB) string {
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("redistest: find a free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port != 6379 {
			return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		}
	}
}

func waitReady(addr, password string, cmd *exec.Cmd) error {
	c := redis.NewClient(&redis.Options{Addr: addr, Password: password, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cmd.ProcessState != nil {
			return fmt.Errorf("redis-server on %s exited", addr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s not answering PING after 5s", addr)
}
