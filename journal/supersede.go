package journal

import (
	"context"
	"errors"
	"fmt"

	"relaycommander/flags"
)

// SupersededWhy is the reason recorded when the operator made a flag's change in
// LaunchDarkly itself while a change of it was pending in the journal.
func SupersededWhy(on bool, version int) string {
	return fmt.Sprintf("superseded: set %s in LaunchDarkly directly (v%d)", flags.OnOff(on), version)
}

// Superseded is what Supersede did.
type Superseded struct {
	Closed []string // the change ids closed; none when p had been closed meanwhile
	// Redis is the write of LaunchDarkly's state to the hosts that held this tool's change;
	// nil when nothing was closed or no store was given. Left are the hosts a Relay rewrote
	// since (flags.ErrVersionMoved), not in Redis: LaunchDarkly's state is there already.
	Redis *flags.ToggleResult
	Left  []flags.HostResult
}

// Kept are the hosts that still hold the closed change's state: the write of LaunchDarkly's
// state failed there, or its outcome is unknown. A Relay restart (a full re-sync) mends them.
func (s Superseded) Kept() []string {
	if s.Redis == nil {
		return nil
	}
	return append(s.Redis.FailedHosts(), s.Redis.UnknownHosts()...)
}

// Supersede closes shown, the pending change of (prefix, flag) as the operator was shown it
// (none: nothing was pending then), after they set the flag in LaunchDarkly itself (on, at
// version): LaunchDarkly then has their latest intent, and replaying the change would undo
// it (or meet it as a conflict, their own change taken for someone else's). It is a discard
// by the operator with SupersededWhy and LaunchDarkly's state, recorded first; then, on
// every host that still holds what the change wrote, LaunchDarkly's state at LaunchDarkly's
// version (flags.Store.RestoreAt): the change's write set version old+1, as LaunchDarkly's
// patch did, so a connected Relay would skip LaunchDarkly's change as not newer and Redis
// would keep the change's state with nothing pending to show it. A change of the flag
// recorded since shown (another operator's) is not closed: the error says so. shown closed
// meanwhile is nothing to do.
func (j *Journal) Supersede(ctx context.Context, store DiscardStore, prefix, flag string, shown Pending, by string, on bool, version int) (Superseded, error) {
	err := ErrPendingMoved // nothing shown: only a change recorded since can be pending
	if len(shown.Entries) > 0 {
		_, err = j.Discard(ctx, nil, shown, DiscardRequest{By: by, Why: SupersededWhy(on, version),
			LD: &flags.HostFlag{On: on, Version: version}})
	}
	if errors.Is(err, ErrPendingMoved) {
		pending, rerr := j.Pending()
		if rerr != nil {
			return Superseded{}, fmt.Errorf("%s %s was set %s in LaunchDarkly, but the journal could not be read to close its pending change: %w",
				prefix, flag, flags.OnOff(on), rerr)
		}
		for _, now := range pending {
			if now.Prefix == prefix && now.Flag == flag {
				last := now.Entries[len(now.Entries)-1]
				return Superseded{}, fmt.Errorf("%s %s was set %s in LaunchDarkly, but a change of it recorded meanwhile stays pending (%s by %s): "+
					"check it in the queue; replayed, it overrides LaunchDarkly's state", prefix, flag, flags.OnOff(on), last.ID, last.Operator)
			}
		}
		return Superseded{}, nil // none pending, or closed meanwhile (replayed or discarded): nothing to do
	}
	if err != nil {
		return Superseded{}, fmt.Errorf("%s %s was set in LaunchDarkly, but its pending change is still open: %w; "+
			"discard it (relaycommander discard) or it is replayed over the change", prefix, flag, err)
	}
	out := Superseded{Closed: shown.ChangeIDs()}
	if store != nil && len(shown.Hosts) > 0 {
		r, left := splitLeft(store.RestoreAt(ctx, prefix, flag, on, version, shown.writtenVersions()))
		out.Redis, out.Left = &r, left
	}
	return out, nil
}
