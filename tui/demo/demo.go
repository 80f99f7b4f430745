// Package demo is the embedded outage behind `relaycommander demo`: two in-process Redis
// servers loaded with a real Relay store, an in-process LaunchDarkly that starts unreachable,
// and a journal in a temporary directory. Nothing needs to be installed, and nothing of the
// operator's configuration is used.
package demo

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"relaycommander/flags"
	"relaycommander/flags/fixture"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/ldsync/ldfake"
	"relaycommander/tui"
)

// Outage is the embedded outage: two Redis servers, a LaunchDarkly, a journal. It implements
// tui.Demo, so that the UI's demo screens can bring LaunchDarkly back and make Relay re-sync.
type Outage struct {
	closing sync.Once
	dir     string
	lock    *os.File // lockName in dir, flock'd while the demo runs
	redis   []*miniredis.Miniredis
	clients []*redis.Client
	fake    *ldfake.Server
	up      atomic.Bool // LaunchDarkly's reachability as the demo set it
	Store   *flags.Store
	Journal *journal.Journal
	LD      *ldsync.Client
}

var _ tui.Demo = (*Outage)(nil)

// Start starts the outage; Close stops it and removes its directory.
func Start(ctx context.Context) (_ *Outage, err error) {
	d := &Outage{}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.dir, err = os.MkdirTemp("", dirPattern); err != nil {
		return nil, fmt.Errorf("demo: temporary directory: %w", err)
	}
	if err := d.holdDir(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	removeLeftovers(d.dir)
	fx := fixture.Load()
	var hosts []flags.HostConfig
	for _, name := range []string{"relay-redis-a", "relay-redis-b"} {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, fmt.Errorf("demo: start embedded Redis: %w", err)
		}
		d.redis = append(d.redis, m)
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		d.clients = append(d.clients, c)
		if err := fx.WriteTo(ctx, c); err != nil {
			return nil, fmt.Errorf("demo: load %s: %w", name, err)
		}
		hosts = append(hosts, flags.HostConfig{Name: name, Addr: m.Addr()})
	}
	d.fake = ldfake.New()
	d.fake.SetUnreachable(true)
	if d.Store, err = flags.Open(hosts, flags.Options{}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if d.Journal, err = journal.Open(filepath.Join(d.dir, "journal")); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	// A short timeout: the unreachable LaunchDarkly drops connections, and the UI should say so quickly.
	if d.LD, err = ldsync.NewClient(ldsync.ClientConfig{BaseURL: d.fake.URL(), Token: d.fake.Token(), Timeout: 3 * time.Second}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return d, nil
}

// Close stops everything the demo started and removes its directory. It may be called
// again (from a signal and the deferred call both): only the first does it.
func (d *Outage) Close() { d.closing.Do(d.close) }

// CloseOnSignal makes the signals sigs (SIGHUP from a dropped SSH session, SIGTERM) end the
// demo as quitting does: by default SIGHUP kills the process before any deferred Close, and
// left its directory (journal, armed.lock, log) behind in the temporary directory. The first
// of them closes the demo at once and calls quit, for the UI to end; should the process still
// be there grace later (a UI that cannot end on a terminal gone), the signal is raised again
// with its default action, which ends the process as the signal would have. stop undoes it.
func (d *Outage) CloseOnSignal(quit func(), grace time.Duration, sigs ...os.Signal) (stop func()) {
	got := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(got, sigs...)
	go func() {
		select {
		case sig := <-got:
			d.Close()
			quit()
			select {
			case <-time.After(grace):
				signal.Reset(sigs...)
				if s, ok := sig.(syscall.Signal); ok {
					syscall.Kill(os.Getpid(), s)
				}
			case <-done:
			}
		case <-done:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(got)
			close(done)
		})
	}
}

func (d *Outage) close() {
	if d.Journal != nil {
		d.Journal.Close()
	}
	if d.Store != nil {
		d.Store.Close()
	}
	for _, c := range d.clients {
		c.Close()
	}
	for _, m := range d.redis {
		m.Close()
	}
	if d.fake != nil {
		d.fake.Close()
	}
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
	if d.lock != nil {
		d.lock.Close() // after the removal: no other demo takes the directory for a leftover before
	}
}

// dirPattern names the demo's temporary directory (os.MkdirTemp).
const dirPattern = "relaycommander-demo-*"

// lockName is the file a running demo holds flock'd in its directory. A demo killed before
// its Close (SIGKILL, a crash, the machine's OOM killer) leaves the directory behind with the
// lock free: the next demo removes it.
const lockName = "demo.lock"

// holdDir takes the demo's lock. The file gets its name only once held, so that a demo
// sweeping leftovers never finds this one's lock free.
func (d *Outage) holdDir() error {
	held := filepath.Join(d.dir, lockName+".new")
	f, err := os.OpenFile(held, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock %s: %w", held, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("lock %s: %w", held, err)
	}
	if err := os.Rename(held, filepath.Join(d.dir, lockName)); err != nil {
		f.Close()
		return fmt.Errorf("lock %s: %w", held, err)
	}
	d.lock = f
	return nil
}

// removeLeftovers removes the directories of demos that were killed before they could,
// those whose lock is free, but own. A directory without the lock (a version of the demo
// that held none) may belong to a running demo: it is left alone.
func removeLeftovers(own string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPattern))
	for _, dir := range dirs {
		if dir == own {
			continue
		}
		f, err := os.Open(filepath.Join(dir, lockName))
		if err != nil {
			continue // no lock, or not ours to read
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.RemoveAll(dir)
		}
		f.Close()
	}
}

// LogPath is where the UI logs during the demo: inside the directory Close removes.
func (d *Outage) LogPath() string { return filepath.Join(d.dir, "ui.log") }

// LaunchDarklyReachable reports whether the demo has brought LaunchDarkly back.
func (d *Outage) LaunchDarklyReachable() bool {
	return d.up.Load()
}

// SetLaunchDarklyReachable ends the outage (true) or starts it again (false).
func (d *Outage) SetLaunchDarklyReachable(up bool) {
	d.fake.SetUnreachable(!up)
	d.up.Store(up)
}

// SimulateRelayResync does what Relay's full sync does on reconnecting: for every prefix
// LaunchDarkly knows, DEL the features hash, HSET every flag as LaunchDarkly has it, SET $inited.
func (d *Outage) SimulateRelayResync(ctx context.Context) error {
	fx := fixture.Load()
	for _, prefix := range fx.Prefixes() {
		p := fx[prefix]
		t, ok := flags.ParseConventionPrefix(prefix)
		if !ok {
			continue // not a prefix LaunchDarkly's fake serves
		}
		features := map[string]any{}
		for key, raw := range p.Features {
			features[key] = raw
			on, ver, ok := d.fake.FlagState(t.Project, t.Environment, key)
			if !ok {
				continue
			}
			rewritten, err := flags.SetOnAndVersion(raw, on, ver)
			if err != nil {
				return fmt.Errorf("demo: re-sync %s flag %s: %w", prefix, key, err)
			}
			features[key] = rewritten
		}
		for i, c := range d.clients {
			_, err := c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Del(ctx, prefix+":features")
				if len(features) > 0 {
					pipe.HSet(ctx, prefix+":features", features)
				}
				pipe.Set(ctx, prefix+":$inited", "", 0)
				return nil
			})
			if err != nil {
				return fmt.Errorf("demo: re-sync %s on relay-redis-%c: %w", prefix, 'a'+i, err)
			}
		}
	}
	return nil
}
