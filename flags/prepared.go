package flags

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// PreparedToggle is a toggle stopped between its read and its write on every host: each
// host has answered WATCH+HGET (one round trip) and holds its WATCH until Toggle writes
// (MULTI/HSET/EXEC, the second round trip) or Abort releases it. It lets a caller see the
// state it is about to change, and record it (a write-ahead journal), without a read of
// its own: a whole toggle in two round trips per host. A writer that changes the flag in
// between makes the EXEC fail and the host read and write again, as Toggle does.
type PreparedToggle struct {
	s           *Store
	prefix, key string
	on          bool
	read        Flag
	decided     chan struct{} // closed by Toggle (commit) or Abort
	commit      bool          // set before decided is closed
	decideOnce  sync.Once
	done        chan struct{} // closed when every host has finished
	res         ToggleResult
}

// ErrNotCommitted is a prepared toggle's host result after Abort released it.
var ErrNotCommitted = errors.New("prepared toggle aborted: nothing written")

// PrepareToggle starts a toggle of one flag on every host and returns once each host has
// read the flag under WATCH, or failed. Read tells what they hold; Toggle then writes it, or
// Abort gives it up. Each host's budget (as for Toggle) does not count the time between the
// read and the caller's decision. The caller must call Toggle or Abort.
func (s *Store) PrepareToggle(ctx context.Context, prefix, key string, on bool) *PreparedToggle {
	n := len(s.hosts)
	p := &PreparedToggle{s: s, prefix: prefix, key: key, on: on,
		read:    Flag{Key: key, Hosts: make([]HostFlag, n)},
		decided: make(chan struct{}), done: make(chan struct{}),
		res: ToggleResult{Prefix: prefix, Flag: key, On: on, Hosts: make([]HostResult, n)}}
	var arrived sync.WaitGroup
	arrived.Add(n)
	go func() {
		defer close(p.done)
		s.each(ctx, s.hosts, 0, func(ctx context.Context, i int, h *host) {
			// The budget, paused while the host waits for the decision.
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			budget := time.AfterFunc(s.budget(), cancel)
			defer budget.Stop()
			start, waited, first := time.Now(), time.Duration(0), true
			arrive := func(hf HostFlag) {
				if first {
					first = false
					p.read.Hosts[i] = hf
					arrived.Done()
				}
			}
			r := s.toggleHost(ctx, h, prefix, key, on, func(raw string, err error) error {
				if !first {
					return nil // a retry after a lost WATCH race: already decided
				}
				switch {
				case errors.Is(err, redis.Nil):
					arrive(HostFlag{Host: h.name})
				case err != nil:
					// The host did not answer, or refused (WRONGTYPE): nothing to wait for, and
					// the caller must learn why rather than "did not answer".
					arrive(HostFlag{Host: h.name, HostDown: true})
					return replyErr(err)
				default:
					arrive(hostFlag(h.name, raw))
				}
				left := s.budget() - time.Since(start)
				if !budget.Stop() {
					return ctx.Err() // the budget ran out before the read arrived
				}
				w := time.Now()
				select {
				case <-p.decided:
				case <-ctx.Done():
					return ctx.Err()
				}
				waited = time.Since(w)
				budget.Reset(max(left, 0))
				if !p.commit {
					return ErrNotCommitted
				}
				return nil
			}, writeCond{})
			arrive(HostFlag{Host: h.name, HostDown: true}) // failed before the flag was read
			r.Latency = time.Since(start) - waited
			p.res.Hosts[i] = r
		})
	}()
	arrived.Wait()
	return p
}

// Read is the flag as each host held it when its WATCH began (HostDown where the host failed
// before answering). Dependants are not known: that would need the whole prefix.
func (p *PreparedToggle) Read() Flag { return p.read }

// Toggle writes the prepared toggle on every host that read the flag and returns the result
// (ctx is the one PrepareToggle was given). A call for anything else than what was prepared
// (another flag or state, or named hosts, as a retry) aborts the prepared one and runs
// Store.Toggle instead. Toggle makes PreparedToggle a journal.Toggler.
func (p *PreparedToggle) Toggle(ctx context.Context, prefix, key string, on bool, hosts ...string) ToggleResult {
	committed := false
	if prefix == p.prefix && key == p.key && on == p.on && len(hosts) == 0 {
		p.decideOnce.Do(func() {
			p.commit, committed = true, true
			close(p.decided)
		})
	}
	if !committed {
		p.Abort()
		return p.s.Toggle(ctx, prefix, key, on, hosts...)
	}
	<-p.done
	return p.res
}

// Abort releases the hosts' WATCH without writing (one UNWATCH each), waits for them and
// returns what each did: Failed, with ErrNotCommitted, or with why it failed before reading.
// After Toggle it only returns Toggle's result, so it can be deferred.
func (p *PreparedToggle) Abort() ToggleResult {
	p.decideOnce.Do(func() { close(p.decided) })
	<-p.done
	return p.res
}
