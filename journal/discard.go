package journal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"relaycommander/flags"
)

// ErrPendingMoved is returned by Discard when the pending change is no longer what the caller
// read: a replay closed part of it, or a newer change of the flag joined it. Read it again.
var ErrPendingMoved = errors.New("the pending change moved on since it was read")

// DiscardRequest is an operator's decision to drop a pending change instead of replaying it.
type DiscardRequest struct {
	By      string    // the operator
	Why     string    // their reason, recorded as given (trimmed)
	Restore bool      // also write the base state back to Redis
	Time    time.Time // of the decision; zero: now
	// LD, when set, is LaunchDarkly's state the operator set there instead (Supersede):
	// recorded as the event's LDOn and LDVersion.
	LD *flags.HostFlag
}

// DiscardResult is what Discard did.
type DiscardResult struct {
	Event ReplayEvent // the discard as recorded
	// Restored is the restore's per-host result; nil when no restore was asked for. A host
	// where the flag is missing, deleted or unreadable failed with the store's error
	// (flags.ErrUnknownFlag, flags.ErrTombstone, flags.ErrUnreadable).
	Restored *flags.ToggleResult
	// Left are the hosts a Relay rewrote since the change (flags.ErrVersionMoved: most likely
	// LaunchDarkly's newer state): left as they are, not failed, and not in Restored.
	Left []flags.HostResult
}

// Target is the project and environment of the pending change's prefix as recorded, and
// whether it was mapped: what flags.Protection.NeedsTypedKey needs before a restore writes
// Redis.
func (p Pending) Target() (t flags.Target, mapped bool) {
	t = flags.Target{Project: p.Project, Environment: p.Environment}
	return t, t.Project != "" && t.Environment != ""
}

// Discard closes a pending change without replaying it (a ReplayDiscarded event with By and
// Why), and with Restore writes its base state back to Redis (restore). The restore is not
// journaled as a change: LaunchDarkly already has the base state, so there is nothing to
// replay. The event is recorded first, so a crash never leaves a restored-but-pending change;
// when it cannot be recorded, Redis is not touched. A restore's host failures are in
// DiscardResult.Restored, not in the error: the discard stands, and the failed hosts can be
// written again with store.Toggle. The error is ErrPendingMoved when p is stale.
func (j *Journal) Discard(ctx context.Context, store DiscardStore, p Pending, d DiscardRequest) (DiscardResult, error) {
	if len(p.Entries) == 0 {
		return DiscardResult{}, fmt.Errorf("journal: discard %s %s: no change to discard", p.Prefix, p.Flag)
	}
	if d.Restore && store == nil {
		return DiscardResult{}, fmt.Errorf("journal: discard %s %s: no Redis store to restore the base state with; nothing recorded", p.Prefix, p.Flag)
	}
	ev := ReplayEvent{
		Time:      d.Time,
		Kind:      ReplayDiscarded,
		ChangeIDs: p.ChangeIDs(),
		Prefix:    p.Prefix,
		Flag:      p.Flag,
		Desired:   p.Desired,
		By:        d.By,
		Why:       strings.TrimSpace(d.Why),
	}
	if d.Restore {
		ev.Why = strings.TrimSpace(ev.Why + fmt.Sprintf(" (base state %s restored in Redis)", flags.OnOff(p.BaseOn)))
	}
	if d.LD != nil {
		on := d.LD.On
		ev.LDOn, ev.LDVersion = &on, d.LD.Version
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	err := j.appendRecords(func(s *state) ([]record, error) {
		if err := s.stillPending(p); err != nil {
			return nil, fmt.Errorf("journal %s: discard %s %s: %w", j.dir, p.Prefix, p.Flag, err)
		}
		return []record{{Type: typeReplay, Replay: &ev}}, nil
	})
	if err != nil {
		return DiscardResult{}, err
	}
	res := DiscardResult{Event: ev}
	if d.Restore {
		r, left := splitLeft(restore(ctx, store, p))
		res.Restored, res.Left = &r, left
	}
	return res, nil
}

// splitLeft takes out of a conditional write's result (RestoreAt) the hosts a Relay rewrote
// since the change (flags.ErrVersionMoved): left as they are, they did not fail.
func splitLeft(r flags.ToggleResult) (flags.ToggleResult, []flags.HostResult) {
	var left []flags.HostResult
	kept := r.Hosts[:0:0]
	for _, h := range r.Hosts {
		if errors.Is(h.Err, flags.ErrVersionMoved) {
			left = append(left, h)
		} else {
			kept = append(kept, h)
		}
	}
	r.Hosts = kept
	return r, left
}

// writtenVersions is, per host that took one of p's writes, the version the latest left
// there: what a conditional write (RestoreAt) expects to find.
func (p Pending) writtenVersions() map[string]int {
	seen := make(map[string]int, len(p.Hosts))
	for _, h := range p.Hosts {
		seen[h.Host] = h.Version
	}
	return seen
}

// restore writes p's base state back. Where the base version is known, each host this
// tool's writes reached gets the base state at the base version, and only while it still
// holds the highest version those writes left there (flags.Store.RestoreAt): Redis then holds
// what LaunchDarkly has, and a host a Relay rewrote since keeps the Relay's write. Without a
// base version (an imported change), every host is toggled back at old+1.
func restore(ctx context.Context, store DiscardStore, p Pending) flags.ToggleResult {
	if p.BaseVersion == nil || len(p.Hosts) == 0 {
		return store.Toggle(ctx, p.Prefix, p.Flag, p.BaseOn)
	}
	return store.RestoreAt(ctx, p.Prefix, p.Flag, p.BaseOn, *p.BaseVersion, p.writtenVersions())
}

// DiscardStore is the flag store as a discard's restore needs it (*flags.Store satisfies it).
type DiscardStore interface {
	Toggler
	RestoreAt(ctx context.Context, prefix, key string, on bool, version int, seen map[string]int) flags.ToggleResult
}

// stillPending checks that p is what the journal holds pending for its flag: every change
// still open and no other open change of the same flag. Restoring the base over a newer
// change, or over one already replayed, would undo it in Redis.
func (s *state) stillPending(p Pending) error {
	ids := p.ChangeIDs()
	for _, id := range ids {
		if _, ok := s.byID[id]; !ok {
			return fmt.Errorf("%w: change %s is not in the journal", ErrPendingMoved, id)
		}
		if s.closed(id) {
			return fmt.Errorf("%w: change %s was closed meanwhile (replayed or discarded)", ErrPendingMoved, id)
		}
	}
	for _, e := range s.entries {
		if e.Prefix == p.Prefix && e.Flag == p.Flag && !slices.Contains(ids, e.ID) && !wroteNothing(e) && !s.closed(e.ID) {
			return fmt.Errorf("%w: a newer change %s of the flag is pending too", ErrPendingMoved, e.ID)
		}
	}
	return nil
}
