// Package relaytest runs a simulated LaunchDarkly Relay Proxy (v8) for tests: per configured
// environment it streams from a LaunchDarkly stream host (ldfake's GET /all), writes Redis
// exactly as Relay does (full sync on every (re)connect, versioned upsert on a patch),
// reconnects with back-off when the stream is lost, and serves GET /status and
// GET /sdk/flags/{key} (through a localTtl cache) over httptest.
//
// Typical use, with ldfake as LaunchDarkly and a real Redis:
//
//	ld := ldfake.New()
//	o := relaytest.StartOutage(t, ld, "web-store", "production", relaytest.Options{LocalTTL: 300 * time.Millisecond})
//	o.CutOff(t)                                       // LaunchDarkly unreachable, Relay INTERRUPTED
//	v := o.Edit(t, "kill-switch-checkout", false)     // the operator's edit in Redis
//	o.WaitServed(t, "kill-switch-checkout", false, v) // served once localTtl expires
//	o.Restore(t)                                      // Relay reconnects and re-syncs: the edit is gone
//
// What it does not simulate: evaluation, events, big segments, proxy-mode SDK streams,
// auto-configuration, offline mode.
package relaytest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Environment is one [Environment "Name"] section of Relay's configuration.
type Environment struct {
	Name      string // section name: the key of the environment in /status
	SDKKey    string
	MobileKey string // optional
	EnvID     string // client-side id, optional
	Prefix    string // store prefix; "" means Relay's default, "launchdarkly"
	// Reported in /status when set (Relay reports projKey from its config; envKey, envName
	// and projName only in auto-configured mode).
	ProjKey, ProjName, EnvKey, EnvName string
}

// Backoff is Relay's reconnect delay: Initial, doubled per failed attempt up to Max, each
// delay jittered down by up to half. Relay's own: 1s, 30s, reset after 60s connected.
type Backoff struct {
	Initial    time.Duration // default 50ms
	Max        time.Duration // default 800ms
	ResetAfter time.Duration // a stream that stayed up this long resets the delay; default 2s
	NoJitter   bool
}

// RealBackoff is Relay's own reconnect back-off, for tests that need its real timing.
var RealBackoff = Backoff{Initial: time.Second, Max: 30 * time.Second, ResetAfter: time.Minute}

// Options configure one simulated Relay.
type Options struct {
	StreamURL    string // LaunchDarkly's stream host base URL (ldfake: StreamURL()); /all is appended
	RedisAddr    string // host:port of the Redis Relay writes to and reads from
	Environments []Environment
	// LocalTTL is Relay's [Redis] localTtl: how long a flag read from Redis is served from
	// memory. 0: read Redis on every request; negative: cache forever.
	LocalTTL time.Duration
	Backoff  Backoff
	// DisconnectedStatusTime is how long a non-VALID connection still reports "connected"
	// (Relay's [Main] disconnectedStatusTime). Default 1m, as Relay's.
	DisconnectedStatusTime time.Duration
	Version                string // /status "version"; default "8.10.0"
}

// Relay is one running simulated Relay Proxy.
type Relay struct {
	opts   Options
	ts     *httptest.Server
	rdb    *redis.Client
	client *http.Client
	life   sync.Mutex // serializes Restart and Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	envs    []*env // configuration order
	changed chan struct{}
}

const (
	StateValid        = "VALID"
	StateInitializing = "INITIALIZING"
	StateInterrupted  = "INTERRUPTED"
	StateOff          = "OFF"
)

// Start runs a Relay for the test and stops it when the test ends.
func Start(tb testing.TB, opts Options) *Relay {
	tb.Helper()
	if opts.StreamURL == "" || opts.RedisAddr == "" || len(opts.Environments) == 0 {
		tb.Fatalf("relaytest: Start needs StreamURL, RedisAddr and at least one environment")
	}
	opts.Backoff = opts.Backoff.withDefaults()
	if opts.DisconnectedStatusTime <= 0 {
		opts.DisconnectedStatusTime = time.Minute
	}
	if opts.Version == "" {
		opts.Version = "8.10.0"
	}
	r := &Relay{
		opts:    opts,
		rdb:     redis.NewClient(&redis.Options{Addr: opts.RedisAddr, DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1}),
		client:  &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
		changed: make(chan struct{}),
	}
	now := time.Now()
	seen := map[string]bool{}
	for _, e := range opts.Environments {
		if e.Name == "" || e.SDKKey == "" || seen[e.Name] {
			tb.Fatalf("relaytest: environment %q: needs a unique name and an SDK key", e.Name)
		}
		seen[e.Name] = true
		if e.Prefix == "" {
			e.Prefix = "launchdarkly"
		}
		r.envs = append(r.envs, &env{cfg: e, conn: connStatus{state: StateInitializing, since: now},
			store: storeStatus{state: StateValid, since: now}, cache: map[string]cached{}})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", r.serveStatus)
	mux.HandleFunc("GET /sdk/flags/{key}", r.serveFlag)
	r.ts = httptest.NewServer(mux)
	r.startStreams()
	tb.Cleanup(r.Close)
	return r
}

// URL is the Relay's base URL (no trailing slash).
func (r *Relay) URL() string { return r.ts.URL }

func (r *Relay) startStreams() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	for _, e := range r.envs {
		r.wg.Add(1)
		go r.run(ctx, e)
	}
}

// Restart is a restart of the Relay process on the same URL: its memory (the localTtl cache,
// the connection state) is gone, every environment is INITIALIZING and served from Redis
// until its stream delivers data, which it then full-syncs into Redis. The counts of
// EnvState go on across restarts.
func (r *Relay) Restart() {
	r.life.Lock()
	defer r.life.Unlock()
	r.cancel()
	r.wg.Wait()
	now := time.Now()
	for _, e := range r.envs {
		r.update(e, func(e *env) {
			e.conn = connStatus{state: StateInitializing, since: now}
			e.store = storeStatus{state: StateValid, since: now}
			e.initialized, e.received = false, false
			e.cache = map[string]cached{}
		})
	}
	r.startStreams()
}

// Close stops streaming and serving (idempotent).
func (r *Relay) Close() {
	r.life.Lock()
	defer r.life.Unlock()
	r.cancel()
	r.wg.Wait()
	r.ts.Close()
	r.rdb.Close()
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = 50 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 800 * time.Millisecond
	}
	if b.ResetAfter <= 0 {
		b.ResetAfter = 2 * time.Second
	}
	return b
}

// env is one environment's live state. Fields other than cfg are guarded by Relay.mu.
type env struct {
	cfg         Environment
	conn        connStatus
	store       storeStatus
	initialized bool // the store is: a full sync was written, or P:$inited was found
	received    bool // data came from LaunchDarkly since the (re)start
	syncs       int  // full syncs written to Redis
	patches     int  // patch and delete events handled
	skipped     int  // of those, not written because Redis held the same or a newer version
	cache       map[string]cached
}

type connStatus struct {
	state   string
	since   time.Time
	errKind string // "" until the first error
	errTime time.Time
}

type storeStatus struct {
	state string
	since time.Time
}

func (r *Relay) envByName(name string) *env {
	for _, e := range r.envs {
		if e.cfg.Name == name {
			return e
		}
	}
	return nil
}

// update changes an environment's state under the lock and wakes the waiters.
func (r *Relay) update(e *env, fn func(e *env)) {
	r.mu.Lock()
	fn(e)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// EnvState is a snapshot of one environment, for tests.
type EnvState struct {
	Connection string // VALID, INITIALIZING, INTERRUPTED or OFF
	Since      time.Time
	Syncs      int    // full syncs written to Redis so far
	Patches    int    // patch and delete events handled
	Skipped    int    // of those, skipped by the upsert as not newer than Redis
	Store      string // data store state: VALID, or INTERRUPTED after a failed Redis command
}

func (e *env) snapshot() EnvState {
	return EnvState{Connection: e.conn.state, Since: e.conn.since, Syncs: e.syncs, Patches: e.patches, Skipped: e.skipped, Store: e.store.state}
}

// State reports an environment's state; it fails the test for an unknown name.
func (r *Relay) State(tb testing.TB, name string) EnvState {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.envByName(name)
	if e == nil {
		tb.Fatalf("relaytest: no environment %q", name)
	}
	return e.snapshot()
}

// WaitFor waits until cond holds for the environment's state, failing the test after timeout.
func (r *Relay) WaitFor(tb testing.TB, name string, timeout time.Duration, what string, cond func(EnvState) bool) EnvState {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		e := r.envByName(name)
		if e == nil {
			r.mu.Unlock()
			tb.Fatalf("relaytest: no environment %q", name)
		}
		st := e.snapshot()
		changed := r.changed
		r.mu.Unlock()
		if cond(st) {
			return st
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("relaytest: %s: environment %q not %s within %v (now %s, %d syncs)", r.URL(), name, what, timeout, st.Connection, st.Syncs)
		}
	}
}

// WaitConnection waits until the environment's connection state is state.
func (r *Relay) WaitConnection(tb testing.TB, name, state string, timeout time.Duration) EnvState {
	tb.Helper()
	return r.WaitFor(tb, name, timeout, state, func(s EnvState) bool { return s.Connection == state })
}

// WaitSyncs waits until the environment has done at least n full syncs and is VALID.
func (r *Relay) WaitSyncs(tb testing.TB, name string, n int, timeout time.Duration) EnvState {
	tb.Helper()
	return r.WaitFor(tb, name, timeout, fmt.Sprintf("re-synced (%d syncs)", n), func(s EnvState) bool {
		return s.Syncs >= n && s.Connection == StateValid
	})
}
