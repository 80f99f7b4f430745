package flags

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

const (
	defaultTimeout    = 2 * time.Second
	defaultMaxRetries = 5
	scanCount         = 1000
)

// host is one configured Redis host and its client.
type host struct {
	name   string
	addr   string // host:port, for error messages
	client *redis.Client
}

// Store talks to every Redis host of the Relay. It is safe for concurrent use. Every
// operation runs on the hosts concurrently; each command is bounded by CommandTimeout and
// each host's part of Flags and Toggle by DialTimeout + 2*CommandTimeout, so a dead or hung
// host fails on its own and never holds up the others.
type Store struct {
	hosts           []*host
	dialTimeout     time.Duration
	commandTimeout  time.Duration
	maxWatchRetries int
	mapping         map[string]Target
	parsed          parseCache // the last parse of each prefix read (read.go)
}

// Open validates the host addresses and prepares clients; it does not connect.
func Open(configs []HostConfig, opts Options) (*Store, error) {
	if len(configs) == 0 {
		return nil, errors.New("flags: no Redis hosts configured")
	}
	s := &Store{
		dialTimeout:     opts.DialTimeout,
		commandTimeout:  opts.CommandTimeout,
		maxWatchRetries: opts.MaxWatchRetries,
		mapping:         opts.Mapping,
	}
	if s.dialTimeout <= 0 {
		s.dialTimeout = defaultTimeout
	}
	if s.commandTimeout <= 0 {
		s.commandTimeout = defaultTimeout
	}
	if s.maxWatchRetries <= 0 {
		s.maxWatchRetries = defaultMaxRetries
	}
	quietOnce.Do(func() { redis.SetLogger(quietLogger{}) })
	seen := map[string]int{}
	for i, hc := range configs {
		ro, err := clientOptions(hc)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("flags: Redis host %d (%q): %w", i+1, RedactURL(hc.Addr),
				redactErr(err, urlPassword(hc.Addr), hc.Password))
		}
		ro.DialTimeout = s.dialTimeout
		ro.ReadTimeout = s.commandTimeout
		ro.WriteTimeout = s.commandTimeout
		ro.PoolTimeout = s.dialTimeout + s.commandTimeout
		// One attempt per command: a host that does not answer must fail within the
		// timeout, not three times the timeout. The caller can retry the failed hosts.
		ro.MaxRetries = -1
		ro.DialerRetries = 1
		ro.ContextTimeoutEnabled = true
		// RESP2, what every Redis speaks on a new connection: nothing to negotiate. go-redis
		// still sends HELLO on every new connection whatever Protocol says (a round trip,
		// 20 ms to a far host, before the first command); noHello answers it locally, so a
		// connection's setup is AUTH only when a password is set and SELECT only when a db
		// is given. DisableIdentity drops CLIENT SETINFO. TestConnectionSetupCommands
		// checks what the server sees.
		ro.Protocol = 2
		ro.DisableIdentity = true
		ro.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
		name := RedactURL(hc.Name) // a URL given as the name must not show its password either
		if name == "" {
			name = ro.Addr
		}
		if j, dup := seen[name]; dup {
			s.Close()
			return nil, fmt.Errorf("flags: Redis hosts %d and %d have the same name %q", j+1, i+1, name)
		}
		seen[name] = i
		c := redis.NewClient(ro)
		c.AddHook(noHello{})
		s.hosts = append(s.hosts, &host{name: name, addr: ro.Addr, client: c})
	}
	return s, nil
}

// go-redis logs dial failures to stderr, which would scribble over the terminal UI; every
// failure reaches the caller as an error naming its host instead.
var quietOnce sync.Once

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// noHello answers go-redis's connection-setup HELLO without sending it, as a server that
// does not know HELLO would (a Redis error): go-redis then stays on RESP2 and authenticates
// with AUTH when, and only when, a password is set. Nothing else is intercepted.
type noHello struct{}

type helloNotSent struct{}

func (helloNotSent) Error() string { return "HELLO not sent: RESP2 needs no negotiation" }
func (helloNotSent) RedisError()   {}

func (noHello) DialHook(next redis.DialHook) redis.DialHook { return next }

func (noHello) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "hello" {
			cmd.SetErr(helloNotSent{})
			return cmd.Err()
		}
		return next(ctx, cmd)
	}
}

func (noHello) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// clientOptions turns a host's address into go-redis options: host:port (port 6379 when
// left out, as the original relayCommander's REDIS_HOSTS allowed), or a redis:// or
// rediss:// URL.
func clientOptions(hc HostConfig) (*redis.Options, error) {
	addr := strings.TrimSpace(hc.Addr)
	var ro *redis.Options
	switch {
	case addr == "":
		return nil, errors.New("empty address")
	case strings.Contains(addr, "://"):
		if !strings.HasPrefix(addr, "redis://") && !strings.HasPrefix(addr, "rediss://") {
			return nil, errors.New("want host:port, redis://... or rediss://...")
		}
		var err error
		if ro, err = redis.ParseURL(addr); err != nil {
			return nil, err
		}
	default:
		h, p, err := net.SplitHostPort(addr)
		if err != nil {
			if strings.Count(addr, ":") > 0 {
				return nil, fmt.Errorf("want host:port: %w", err)
			}
			h, p = addr, "6379"
		}
		if h == "" || p == "" {
			return nil, errors.New("want host:port")
		}
		ro = &redis.Options{Addr: net.JoinHostPort(h, p)}
	}
	if hc.Username != "" {
		ro.Username = hc.Username
	}
	if hc.Password != "" {
		ro.Password = hc.Password
	}
	if hc.TLS && ro.TLSConfig == nil {
		h, _, _ := net.SplitHostPort(ro.Addr)
		ro.TLSConfig = &tls.Config{ServerName: h, MinVersion: tls.VersionTLS12}
	}
	return ro, nil
}

// Close closes every client.
func (s *Store) Close() error {
	var errs []error
	for _, h := range s.hosts {
		if err := h.client.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", h.name, err))
		}
	}
	return errors.Join(errs...)
}

// HostNames returns the hosts' display names in configuration order.
func (s *Store) HostNames() []string {
	out := make([]string, len(s.hosts))
	for i, h := range s.hosts {
		out[i] = h.name
	}
	return out
}

// hostErr names the host (and its address when the name hides it) in an error.
func (h *host) wrap(err error) error {
	if h.name == h.addr {
		return fmt.Errorf("host %s: %w", h.name, err)
	}
	return fmt.Errorf("host %s (%s): %w", h.name, h.addr, err)
}

// budget bounds one host's part of an operation: connecting plus a few commands. No host
// may keep the others' results waiting longer than this.
func (s *Store) budget() time.Duration { return s.dialTimeout + 2*s.commandTimeout }

// each runs fn for the given hosts concurrently, each under its own deadline (none but
// the per-command timeouts when budget is 0), and waits for all of them.
func (s *Store) each(ctx context.Context, hosts []*host, budget time.Duration, fn func(ctx context.Context, i int, h *host)) {
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hctx, cancel := ctx, context.CancelFunc(func() {})
			if budget > 0 {
				hctx, cancel = context.WithTimeout(ctx, budget)
			}
			defer cancel()
			fn(hctx, i, h)
		}()
	}
	wg.Wait()
}

// Locate names the project and environment of a prefix: the explicit mapping first, then the
// convention ld:{project}:{environment}. ok is false when neither names it.
func (s *Store) Locate(prefix string) (Target, bool) {
	m, explicit := s.mapping[prefix]
	if explicit && m.Project != "" && m.Environment != "" {
		return m, true
	}
	if t, ok := ParseConventionPrefix(prefix); ok && (m.Project == "" || m.Project == t.Project) {
		return t, true
	}
	// An explicit mapping that knows only the project is kept for display, but a replay
	// needs the environment too.
	return Target{Project: m.Project}, false
}
