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
	// nil when nothing was closed or no store was given.
	Redis *flags.ToggleResult
}

// Supersede closes p, the pending change of a flag as the operator was shown it, after they
// set the flag in LaunchDarkly itself (on, at version): LaunchDarkly then has their latest
// intent, and replaying p would undo it (or meet it as a conflict, their own change taken for
// someone else's). It is a discard by the operator with SupersededWhy, recorded first; then,
// on every host that still holds what p wrote, LaunchDarkly's state at LaunchDarkly's version
// (flags.Store.RestoreAt): p's write set version old+1, as LaunchDarkly's patch did, so a
// connected Relay would skip LaunchDarkly's change as not newer and Redis would keep p's
// state with nothing pending to show it. A change of the flag recorded after p (another
// operator's) is not closed: the error says so. p closed meanwhile is nothing to do.
func (j *Journal) Supersede(ctx context.Context, store DiscardStore, p Pending, by string, on bool, version int) (Superseded, error) {
	_, err := j.Discard(ctx, nil, p, DiscardRequest{By: by, Why: SupersededWhy(on, version)})
	if errors.Is(err, ErrPendingMoved) {
		pending, rerr := j.Pending()
		if rerr != nil {
			return Superseded{}, rerr
		}
		for _, now := range pending {
			if now.Prefix == p.Prefix && now.Flag == p.Flag {
				return Superseded{}, fmt.Errorf("%s %s was set %s in LaunchDarkly, but a change of it recorded meanwhile stays pending (%s by %s): "+
					"check it in the queue; replayed, it overrides LaunchDarkly's state", p.Prefix, p.Flag, flags.OnOff(on),
					now.Entries[len(now.Entries)-1].ID, now.Entries[len(now.Entries)-1].Operator)
			}
		}
		return Superseded{}, nil // closed meanwhile (replayed or discarded): nothing to do
	}
	if err != nil {
		return Superseded{}, fmt.Errorf("%s %s was set in LaunchDarkly, but its pending change is still open: %w; "+
			"discard it (relaycommander discard) or it is replayed over the change", p.Prefix, p.Flag, err)
	}
	out := Superseded{Closed: p.ChangeIDs()}
	if store != nil && len(p.Hosts) > 0 {
		seen := make(map[string]int, len(p.Hosts))
		for _, h := range p.Hosts {
			seen[h.Host] = h.Version
		}
		r := store.RestoreAt(ctx, p.Prefix, p.Flag, on, version, seen)
		out.Redis = &r
	}
	return out, nil
}
