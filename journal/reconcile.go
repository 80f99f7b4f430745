package journal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"relaycommander/flags"
)

// FlagReader is the flag store as reconciliation needs it (*flags.Store satisfies it).
type FlagReader interface {
	Flag(ctx context.Context, prefix, key string) (flags.Flag, error)
}

// Reconcile settles pending changes whose outcome is unknown (the process died between the
// intent and the write's result) by reading Redis again: a host holding the requested state
// counts as written, one that does not as failed; each such outcome is marked Reconciled.
// Only the latest change of a flag is settled (Redis shows nothing of the earlier ones), only
// when every host answers, and only once the intent is older than minAge, because another
// process may still be writing it. It returns the entries it settled; a flag it could not
// read is reported in the error and left for a later try.
func (j *Journal) Reconcile(ctx context.Context, store FlagReader, minAge time.Duration) ([]Entry, error) {
	pending, err := j.Pending()
	if err != nil {
		return nil, err
	}
	var settled []Entry
	var errs []error
	for _, p := range pending {
		e := p.Entries[len(p.Entries)-1]
		if !p.Interrupted() || time.Since(e.Time) < minAge {
			continue
		}
		f, err := store.Flag(ctx, e.Prefix, e.Flag)
		if err != nil {
			errs = append(errs, fmt.Errorf("reconcile change %s (%s %s): %w", e.ID, e.Prefix, e.Flag, err))
			continue
		}
		outs, ok := inferOutcomes(e.Change, f)
		if !ok {
			continue // a host is down: it may still hold either state
		}
		if err := j.Complete(e.ID, outs); err != nil {
			return settled, err
		}
		e.Outcomes, e.OutcomeKnown = outs, true
		settled = append(settled, e)
	}
	return settled, errors.Join(errs...)
}

// inferOutcomes reads a change's per-host outcomes off what the hosts hold now. ok is false
// when a host did not answer.
func inferOutcomes(c Change, f flags.Flag) ([]HostOutcome, bool) {
	outs := make([]HostOutcome, 0, len(f.Hosts))
	for _, h := range f.Hosts {
		if h.HostDown {
			return nil, false
		}
		o := HostOutcome{Host: h.Host, OldOn: c.Before, NewVersion: h.Version, Reconciled: true}
		if c.BaseVersion != nil {
			o.OldVersion = *c.BaseVersion
		}
		switch {
		case !h.Present:
			o.Outcome, o.Error = string(flags.Failed), "flag not on this host when reconciled"
		case h.Unreadable != "" || h.Deleted:
			o.Outcome, o.Error = string(flags.Failed), "flag unreadable or deleted on this host when reconciled"
		case h.On != c.After:
			o.Outcome = string(flags.Failed)
			o.Error = fmt.Sprintf("host holds %s v%d, not the requested state, when reconciled", flags.OnOff(h.On), h.Version)
		case c.Before == c.After:
			o.Outcome = string(flags.Unchanged)
		default:
			o.Outcome = string(flags.Written)
		}
		outs = append(outs, o)
	}
	return outs, true
}
