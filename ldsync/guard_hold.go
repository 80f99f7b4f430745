package ldsync

import (
	"context"
	"fmt"
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
// (journal.Reassert); above it (someone changed the flag in LaunchDarkly) leaves it and
// reports a conflict, for the replay's conflict handling.
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
		id := latestChange(pending, u)
		var again, conflicting []string
		for _, host := range u.Hosts {
			switch {
			case u.BaseVersion == nil:
				// Imported: the version before it is unknown, so a change in LaunchDarkly
				// cannot be told from a re-sync. The replay decides.
			case host.Version == *u.BaseVersion:
				again = append(again, host.Host)
			case host.Version > *u.BaseVersion:
				key := fmt.Sprintf("%s/%s/%s/v%d", u.Prefix, u.Flag, host.Host, host.Version)
				if !h.reported[key] {
					h.reported[key] = true
					conflicting = append(conflicting, host.Host)
				}
			}
		}
		if len(conflicting) > 0 {
			h.e.emitBrief(GuardEvent{Kind: GuardConflict, Undone: u, Hosts: conflicting, Err: fmt.Errorf(
				"%s %s was changed in LaunchDarkly during the outage (%s holds a version above %d): not written back; the replay shows the conflict",
				u.Prefix, u.Flag, hostVersions(u, conflicting), *u.BaseVersion)})
		}
		if len(again) == 0 || id == "" || ctx.Err() != nil {
			continue
		}
		res, err := h.g.Journal.Reassert(ctx, h.g.Store, id, again)
		var landed []string
		for _, r := range res.Hosts {
			if r.Outcome == flags.Written {
				landed = append(landed, r.Host)
			} else if r.Err != nil && err == nil {
				err = fmt.Errorf("re-asserting %s %s on %s: %w", u.Prefix, u.Flag, r.Host, r.Err)
			}
		}
		if len(landed) > 0 {
			h.e.emitBrief(GuardEvent{Kind: GuardReasserted, Undone: u, Hosts: landed})
		}
		if err != nil && ctx.Err() == nil {
			h.e.emitBrief(GuardEvent{Kind: GuardHoldFailed, Undone: u, Err: err})
		}
	}
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
