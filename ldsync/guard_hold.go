package ldsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"relaycommander/flags"
	"relaycommander/journal"
)

// hold looks at Redis every watch until ctx ends, writing back the pending changes a Relay's
// re-sync undid (holdOnce).
func (g *Guard) hold(ctx context.Context, watch time.Duration, lock *journal.ArmLock, e *emitter) {
	h := &holder{g: g, lock: lock, e: e, reported: map[string]bool{}}
	t := time.NewTicker(watch)
	defer t.Stop()
	for {
		h.once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// holder is the state of one hold loop.
type holder struct {
	g        *Guard
	lock     *journal.ArmLock
	e        *emitter
	count    int
	reported map[string]bool // conflicts and failures already reported, so that each is said once
}

// once reads the pending flags' fields from every host (journal.Drift: one pipelined HMGET
// per prefix per host) and, per undone change and host: at the change's base version
// (LaunchDarkly still has what it had before the outage) writes the change again
// (journal.Reassert, only while the host holds the version this look read); above it
// (someone changed the flag in LaunchDarkly) leaves it and reports a conflict, for the
// replay's conflict handling. A host found above it by the write itself (a Relay streamed
// LaunchDarkly's change in between) is reported the same way.
func (h *holder) once(ctx context.Context) {
	pending, err := h.g.Journal.Pending()
	if err != nil {
		h.failed(ctx, "reading the journal", err)
		return
	}
	if len(pending) != h.count {
		h.count = len(pending)
		h.e.setPending(h.count)
		h.lock.SetCount(h.count) // best effort: the holder text is only what status shows
	}
	undone, err := journal.Drift(ctx, h.g.Store, pending)
	if err != nil {
		h.failed(ctx, "watching Redis", err)
		return
	}
	for _, u := range undone {
		if u.BaseVersion == nil {
			// Imported: the version before it is unknown, so a change in LaunchDarkly
			// cannot be told from a re-sync. The replay decides.
			continue
		}
		id := latestChange(pending, u)
		moved := u.Moved()
		again := map[string]int{}
		for _, host := range u.Hosts {
			if host.Version == *u.BaseVersion {
				again[host.Host] = host.Version
			}
		}
		h.conflict(u, moved)
		if len(again) == 0 || id == "" || ctx.Err() != nil {
			continue
		}
		res, err := h.g.Journal.Reassert(ctx, h.g.Store, id, again)
		if errors.Is(err, journal.ErrReassertTakenBack) {
			// discarded meanwhile: nothing was re-asserted, nothing is held any more
			if errors.Is(err, journal.ErrReassertKept) && ctx.Err() == nil {
				h.e.emitBrief(GuardEvent{Kind: GuardHoldFailed, Undone: u, Err: err})
			}
			continue
		}
		var landed []string
		moved = nil
		for _, r := range res.Hosts {
			switch {
			case r.Outcome == flags.Written:
				landed = append(landed, r.Host)
			case errors.Is(r.Err, flags.ErrVersionMoved):
				// Nothing written: what the host holds now is judged as a look would judge it.
				moved = append(moved, journal.UndoneHost{Host: r.Host, On: r.OldOn, Version: r.OldVersion})
			case r.Err != nil && err == nil:
				err = fmt.Errorf("re-asserting %s %s on %s: %w", u.Prefix, u.Flag, r.Host, r.Err)
			}
		}
		if len(landed) > 0 {
			h.e.emitBrief(GuardEvent{Kind: GuardReasserted, Undone: u, Hosts: landed})
		}
		h.conflict(u, moved)
		if err != nil && ctx.Err() == nil {
			h.e.emitBrief(GuardEvent{Kind: GuardHoldFailed, Undone: u, Err: err})
		}
	}
}

// conflict reports u's hosts found at another version than its base (what each holds in
// found), once per flag, host and version, not written back: above it, changed in
// LaunchDarkly; below it, the flag was deleted and made again there (versions start over).
func (h *holder) conflict(u journal.Undone, found []journal.UndoneHost) {
	var hosts []string
	for _, f := range found {
		key := fmt.Sprintf("%s/%s/%s/v%d", u.Prefix, u.Flag, f.Host, f.Version)
		if !h.reported[key] {
			h.reported[key] = true
			hosts = append(hosts, f.Host)
		}
	}
	if len(hosts) == 0 {
		return
	}
	// The event's hosts as found: a version seen by the write replaces the look's.
	u.Hosts = slices.Clone(u.Hosts)
	for i, uh := range u.Hosts {
		for _, f := range found {
			if f.Host == uh.Host {
				u.Hosts[i] = f
			}
		}
	}
	what := fmt.Sprintf("was changed in LaunchDarkly during the outage (%s holds a version above %d)", hostVersions(u, hosts), *u.BaseVersion)
	if slices.ContainsFunc(found, func(f journal.UndoneHost) bool { return f.Version < *u.BaseVersion }) {
		what = fmt.Sprintf("holds a version lower than the %d recorded before the offline change (%s; was the flag recreated in LaunchDarkly?)", *u.BaseVersion, hostVersions(u, hosts))
	}
	h.e.emitBrief(GuardEvent{Kind: GuardConflict, Undone: u, Hosts: hosts, Err: fmt.Errorf(
		"%s %s %s: not written back; the replay shows the conflict", u.Prefix, u.Flag, what)})
}

// failed reports a failed look at Redis or the journal, once per distinct error.
func (h *holder) failed(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	key := what + ": " + err.Error()
	if !h.reported[key] {
		h.reported[key] = true
		h.e.emitBrief(GuardEvent{Kind: GuardHoldFailed, Err: fmt.Errorf("%s: %w", what, err)})
	}
}

// latestChange is the id of the latest change of u's pending flag: the one whose state the
// replay sends, and the one to write again.
func latestChange(pending []journal.Pending, u journal.Undone) string {
	for _, p := range pending {
		if p.Prefix == u.Prefix && p.Flag == u.Flag && len(p.Entries) > 0 {
			return p.Entries[len(p.Entries)-1].ID
		}
	}
	return ""
}

func hostVersions(u journal.Undone, hosts []string) string {
	s := ""
	for _, h := range u.Hosts {
		for _, name := range hosts {
			if h.Host == name {
				if s != "" {
					s += ", "
				}
				s += fmt.Sprintf("%s v%d", h.Host, h.Version)
			}
		}
	}
	return s
}
