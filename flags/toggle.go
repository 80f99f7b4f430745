package flags

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// beforeExec, when set by a test, runs on a host between reading the flag and MULTI/EXEC,
// the window in which a concurrent writer makes the WATCH fail.
var beforeExec func(hostName string, attempt int)

// ErrVersionMoved is a conditional toggle's (ToggleAt) host result where the host no longer
// held the version the caller saw: another writer (a Relay streaming LaunchDarkly's change)
// got in first; nothing was written there.
var ErrVersionMoved = errors.New("the flag's version is no longer the one read before")

// Toggle sets `on` of one flag on the named hosts (all hosts when none are named),
// concurrently, with WATCH/MULTI/EXEC and version = old+1.
func (s *Store) Toggle(ctx context.Context, prefix, key string, on bool, names ...string) ToggleResult {
	return s.toggle(ctx, prefix, key, on, names, nil, nil)
}

// ToggleAt is Toggle on the hosts named in seen, written only where a host still holds the
// version seen there: the test is made on the read under the WATCH, so a writer between
// that read and EXEC makes the attempt start over and read its version. A host found at
// another version and not already in the requested state is Failed with ErrVersionMoved,
// OldOn and OldVersion being what it holds; nothing is written there.
func (s *Store) ToggleAt(ctx context.Context, prefix, key string, on bool, seen map[string]int) ToggleResult {
	if len(seen) == 0 { // not Toggle's "every host"
		return ToggleResult{Prefix: prefix, Flag: key, On: on}
	}
	return s.toggle(ctx, prefix, key, on, s.seenNames(seen), seen, nil)
}

// RestoreAt undoes this tool's own write: it sets `on` and writes `version` (the version
// before the write, which LaunchDarkly still has) instead of old+1, on the hosts named in
// seen, only where a host still holds the version seen there (the one the write produced),
// as ToggleAt tests it. Writing old+1 instead would leave Redis a version ahead of
// LaunchDarkly: a Relay would then skip LaunchDarkly's next change of the flag as "not
// newer", and a later change recorded on top would carry a base version LaunchDarkly never
// had (a false conflict at replay, and the armed guard would not hold it).
func (s *Store) RestoreAt(ctx context.Context, prefix, key string, on bool, version int, seen map[string]int) ToggleResult {
	if len(seen) == 0 {
		return ToggleResult{Prefix: prefix, Flag: key, On: on}
	}
	return s.toggle(ctx, prefix, key, on, s.seenNames(seen), seen, &version)
}

// seenNames are the hosts named in seen, the configured ones in configuration order (as
// Toggle reports them), then any other name sorted, to be reported as not configured.
func (s *Store) seenNames(seen map[string]int) []string {
	names := make([]string, 0, len(seen))
	for _, h := range s.hosts {
		if _, ok := seen[h.name]; ok {
			names = append(names, h.name)
		}
	}
	var others []string
	for n := range seen {
		if !slices.ContainsFunc(s.hosts, func(h *host) bool { return h.name == n }) {
			others = append(others, n)
		}
	}
	sort.Strings(others)
	return append(names, others...)
}

// toggle is Toggle; ToggleAt when seen is set; RestoreAt when to is set too.
func (s *Store) toggle(ctx context.Context, prefix, key string, on bool, names []string, seen map[string]int, to *int) ToggleResult {
	res := ToggleResult{Prefix: prefix, Flag: key, On: on}
	targets := s.hosts
	var unknown []string
	if len(names) > 0 {
		targets = nil
		byName := map[string]*host{}
		for _, h := range s.hosts {
			byName[h.name] = h
		}
		asked := map[string]bool{}
		for _, n := range names {
			if asked[n] {
				continue
			}
			asked[n] = true
			if h, ok := byName[n]; ok {
				targets = append(targets, h)
			} else {
				unknown = append(unknown, n)
			}
		}
	}
	res.Hosts = make([]HostResult, len(targets))
	s.each(ctx, targets, s.budget(), func(ctx context.Context, i int, h *host) {
		start := time.Now()
		var at *int
		if v, ok := seen[h.name]; ok {
			at = &v
		}
		r := s.toggleHost(ctx, h, prefix, key, on, nil, writeCond{at: at, to: to})
		r.Latency = time.Since(start)
		res.Hosts[i] = r
	})
	for _, n := range unknown {
		res.Hosts = append(res.Hosts, HostResult{Host: n, Outcome: Failed,
			Err: fmt.Errorf("host %s: not a configured Redis host (configured: %v)", n, s.HostNames())})
	}
	return res
}

// isReply reports an error that is Redis's own answer (WRONGTYPE, NOSCRIPT, ...): the
// command was refused, nothing was written.
func isReply(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && !errors.Is(err, redis.TxFailedErr)
}

// replyErr marks Redis's WRONGTYPE reply with ErrWrongType: the host answered, and what it
// said is that the key is no hash.
func replyErr(err error) error {
	if isReply(err) && strings.HasPrefix(err.Error(), "WRONGTYPE") {
		return fmt.Errorf("%w: %w", ErrWrongType, err)
	}
	return err
}

// writeCond narrows a write: at, when set, is the version the host must hold (ToggleAt,
// RestoreAt); to, when set, is the version to write instead of old+1 (RestoreAt).
type writeCond struct{ at, to *int }

// toggleHost is the write algorithm LaunchDarkly's own stores use for an upsert: WATCH the
// hash, read the flag, MULTI/HSET/EXEC, and start over when another writer got in between.
// read, when set, sees each attempt's HGET answer while the WATCH holds; an error from it
// ends the toggle on this host unwritten (see PrepareToggle). cond narrows the write.
func (s *Store) toggleHost(ctx context.Context, h *host, prefix, key string, on bool, read func(raw string, err error) error, cond writeCond) HostResult {
	r := HostResult{Host: h.name, Outcome: Failed}
	hash := prefix + featuresSuffix
	where := func(err error) error {
		return h.wrap(fmt.Errorf("prefix %q, flag %q: %w", prefix, key, err))
	}
	for attempt := 0; ; attempt++ {
		r.Outcome = Failed
		err := h.client.Watch(ctx, func(tx *redis.Tx) error {
			// WATCH and HGET share one round trip; go-redis does not know about this
			// WATCH, so every path that ends without EXEC releases it here.
			execRan := false
			watch := redis.NewStatusCmd(ctx, "watch", hash)
			var get *redis.StringCmd
			_, perr := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
				_ = p.Process(ctx, watch)
				get = p.HGet(ctx, hash, key)
				return nil
			})
			if err := watch.Err(); err != nil {
				return err
			}
			if watch.Val() != "OK" { // no answer at all (connect or AUTH failed)
				if perr == nil {
					perr = errors.New("no reply to WATCH")
				}
				return perr
			}
			defer func() {
				if !execRan {
					_ = tx.Unwatch(ctx).Err()
				}
			}()
			raw, err := get.Result()
			if read != nil {
				if err := read(raw, err); err != nil {
					return err
				}
			}
			if errors.Is(err, redis.Nil) {
				n, err := tx.Exists(ctx, hash).Result()
				if err != nil {
					return err
				}
				if n == 0 {
					return ErrUnknownPrefix
				}
				return ErrUnknownFlag
			}
			if err != nil {
				return err
			}
			st, err := parseFlag(raw)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUnreadable, err)
			}
			if st.deleted {
				return fmt.Errorf("%w (version %d)", ErrTombstone, st.version)
			}
			if err := relayShape(key, st); err != nil {
				return err
			}
			r.OldOn, r.OldVersion, r.NewVersion = st.on, st.version, st.version
			// A restore (cond.to) also puts the version back where `on` already matches: a
			// change that ended where it started still left Redis versions ahead.
			restoring := cond.to != nil && cond.at != nil && st.version == *cond.at && st.version != *cond.to
			if st.on == on && !restoring {
				r.Outcome = Unchanged
				return nil
			}
			if cond.at != nil && st.version != *cond.at {
				return fmt.Errorf("%w: the host holds v%d %s, not v%d", ErrVersionMoved, st.version, OnOff(st.on), *cond.at)
			}
			next, err := nextVersion(st.version)
			if err != nil {
				return err
			}
			if cond.to != nil {
				next = *cond.to
			}
			updated, err := SetOnAndVersion(raw, on, next)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUnreadable, err)
			}
			if beforeExec != nil {
				beforeExec(h.name, attempt)
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, hash, key, updated)
				return nil
			})
			// EXEC, whether it committed or found the hash changed, ends the WATCH.
			execRan = err == nil || errors.Is(err, redis.TxFailedErr) || redis.IsExecAbortError(err)
			if err != nil && !execRan && !isReply(err) {
				// No answer to a transaction that may have reached Redis: it may have landed.
				r.Outcome, r.NewVersion = Unknown, next
				return fmt.Errorf("outcome unknown: the transaction was sent but no reply came (%w); "+
					"reading the host back tells whether v%d %s landed", err, next, OnOff(on))
			}
			if err != nil {
				return err
			}
			r.Outcome, r.NewVersion = Written, next
			return nil
		})
		switch {
		case err == nil:
			return r
		case r.Outcome == Unknown:
			r.Err = where(err)
			return r
		case errors.Is(err, redis.TxFailedErr) && attempt < s.maxWatchRetries:
			continue
		case errors.Is(err, redis.TxFailedErr):
			r.Err = where(fmt.Errorf("another writer changed %s %d times in a row; nothing written", hash, attempt+1))
		default:
			r.Err = where(replyErr(err))
		}
		r.Outcome, r.NewVersion = Failed, r.OldVersion
		return r
	}
}
