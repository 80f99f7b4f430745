package journal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"relaycommander/flags"
)

// DefaultGrace is how long Settle lets an intent's writer finish when it cannot tell whether
// that writer is still running (another machine, or a record without its writer): after it,
// Redis is read back.
const DefaultGrace = time.Minute

// FlagReader is the flag store as settling needs it (*flags.Store satisfies it).
type FlagReader interface {
	Flag(ctx context.Context, prefix, key string) (flags.Flag, error)
}

// Settlement is what Settle found.
type Settlement struct {
	Pending []Pending // the pending changes after settling
	Settled []Entry   // changes whose outcome was read back from Redis now, as recorded
	Waiting []Entry   // changes still unsettled: a writer still running, a host that did not answer
}

// Settle decides every unsettled change (Entry.Unsettled) of every pending flag by reading
// Redis back, records what it found (outcomes marked Reconciled) and returns the pending
// changes as they stand then. A change that no host holds ends up failed everywhere and is no
// longer pending; one still unknown stays pending. It is the one step the command line, the
// UI and the replay take before planning: a plan never sees a change whose outcome is unknown
// as ready.
//
// A change whose intent has no outcome yet is read back once its writer is gone, which the
// writer's lock (see Writer) tells at once for a process on this machine, and otherwise
// DefaultGrace after the intent (no write takes that long). How one host's outcome is decided: our write produced
// version old+1 with the requested state; the host holding that (or a later version whose
// state some record shows was ours) means it landed, the host still at old means it did not.
func (j *Journal) Settle(ctx context.Context, store FlagReader) (Settlement, error) {
	return j.settle(ctx, store, DefaultGrace, nil)
}

// Reconcile is Settle with minAge instead of DefaultGrace as the wait for writers not known to
// be gone; it returns the changes it settled.
func (j *Journal) Reconcile(ctx context.Context, store FlagReader, minAge time.Duration) ([]Entry, error) {
	s, err := j.settle(ctx, store, minAge, nil)
	return s.Settled, err
}

// settle is Settle. With just set, it settles only that flag and records only the hosts found
// to hold the write (right after an unknown outcome: a write still on its way may land later,
// so "not there" proves nothing yet).
func (j *Journal) settle(ctx context.Context, store FlagReader, grace time.Duration, just *flagKey) (Settlement, error) {
	var out Settlement
	pending, err := j.Pending()
	if err != nil {
		return out, err
	}
	var errs []error
	for _, p := range pending {
		if !p.Interrupted() || just != nil && *just != (flagKey{p.Prefix, p.Flag}) {
			continue
		}
		settled, waiting, err := j.settleFlag(ctx, store, p, grace, just != nil)
		out.Settled = append(out.Settled, settled...)
		out.Waiting = append(out.Waiting, waiting...)
		var rerr *readBackError
		switch {
		case errors.As(err, &rerr):
			errs = append(errs, err) // this flag is left for a later try; the others go on
		case err != nil:
			return out, err
		}
	}
	var err2 error
	if out.Pending, err2 = j.Pending(); err2 != nil {
		errs = append(errs, err2)
	}
	return out, errors.Join(errs...)
}

// readBackError is a flag that could not be read back from Redis.
type readBackError struct{ err error }

func (e *readBackError) Error() string { return e.err.Error() }
func (e *readBackError) Unwrap() error { return e.err }

// settleFlag settles the unsettled changes of one pending flag, oldest first, each decided
// against the flag's history including what was just decided for the earlier ones.
func (j *Journal) settleFlag(ctx context.Context, store FlagReader, p Pending, grace time.Duration, onlyLanded bool) (settled, waiting []Entry, err error) {
	history, _, err := j.History(p.Prefix, p.Flag)
	if err != nil {
		return nil, nil, err
	}
	var f *flags.Flag
	for i, e := range p.Entries {
		if !e.Unsettled() {
			continue
		}
		if !e.OutcomeKnown && j.mayBeWriting(&e, grace) {
			waiting = append(waiting, e)
			continue
		}
		if f == nil {
			read, err := store.Flag(ctx, p.Prefix, p.Flag)
			if err != nil {
				for _, rest := range p.Entries[i:] {
					if rest.Unsettled() {
						waiting = append(waiting, rest)
					}
				}
				return settled, waiting, &readBackError{fmt.Errorf("settle %s %s (change %s): %w", p.Prefix, p.Flag, e.ID, err)}
			}
			f = &read
		}
		young := time.Since(e.Time) < grace
		outs := inferOutcomes(e, *f, history, young, onlyLanded)
		if len(outs) == 0 {
			waiting = append(waiting, e)
			continue
		}
		if err := j.Complete(e.ID, outs); err != nil {
			return settled, waiting, err
		}
		mergeOutcomes(&e, outs)
		for k := range history {
			if history[k].ID == e.ID {
				mergeOutcomes(&history[k], outs) // a version this change now claims is no other's
			}
		}
		if e.Unsettled() {
			waiting = append(waiting, e)
		} else {
			settled = append(settled, e)
		}
	}
	return settled, waiting, nil
}

// mayBeWriting reports whether the writer of an intent without outcome may still be writing:
// not when it is known gone; otherwise until grace after the intent. A live writer is not
// waited for longer: the store bounds every write to seconds, so an intent that old whose
// writer still runs lost its outcome record (a full disk) and will not write any more.
func (j *Journal) mayBeWriting(e *Entry, grace time.Duration) bool {
	j.mu.Lock()
	w := j.writerOf(e)
	j.mu.Unlock()
	return w != writerGone && time.Since(e.Time) < grace
}

// inferOutcomes reads a change's unsettled per-host outcomes off what the hosts hold now and
// what the flag's history (every recorded change of it) shows of each version. A host that
// did not answer stays unknown; nothing is returned when nothing new was learnt.
func inferOutcomes(e Entry, f flags.Flag, history []Entry, young, onlyLanded bool) []HostOutcome {
	var outs []HostOutcome
	learnt := false
	for _, h := range f.Hosts {
		o, exact, ok := unsettledOn(e, h.Host, history)
		if !ok {
			continue
		}
		decided := inferHost(e, o, exact, young, h, history)
		if decided.Outcome == string(flags.Unknown) && (e.OutcomeKnown || onlyLanded) {
			continue // nothing learnt about this host: its recorded outcome stays unknown
		}
		if onlyLanded && decided.Outcome != string(flags.Written) {
			continue
		}
		learnt = learnt || decided.Outcome != string(flags.Unknown)
		outs = append(outs, decided)
	}
	if !learnt {
		return nil
	}
	return outs
}

// unsettledOn is the outcome to decide for a host: its recorded unknown outcome, or, for an
// intent without outcome, one built from the version the operator was shown. exact is true
// when the write itself reported it: a transaction was sent after reading the old version.
// (An unknown recorded by settling, for a host that did not answer, knows only the version
// shown.) ok is false when the host's outcome is known.
func unsettledOn(e Entry, host string, history []Entry) (o HostOutcome, exact, ok bool) {
	if e.OutcomeKnown {
		for _, x := range e.Outcomes {
			if x.Host == host && x.Outcome == string(flags.Unknown) {
				return x, !x.Reconciled, true
			}
		}
		return HostOutcome{}, false, false
	}
	o = HostOutcome{Host: host, Outcome: string(flags.Unknown), OldOn: e.Before}
	if v, ok := versionBefore(e, host, history); ok {
		o.OldVersion = v
	} else if e.BaseVersion != nil {
		o.OldVersion = *e.BaseVersion // the version shown, read from one of the hosts
	}
	return o, false, true
}

// versionBefore is the highest version of a host that the outcomes recorded before e's intent
// show: the write of e, begun after they were recorded, read at least that. The version the
// operator was shown may come from another host, whose versions can differ.
func versionBefore(e Entry, host string, history []Entry) (int, bool) {
	v, found := 0, false
	for _, x := range history {
		for _, o := range x.Outcomes {
			if o.Host != host || o.seq >= e.seq || o.seq == 0 || o.Outcome == string(flags.Failed) && o.OldVersion == 0 {
				continue // another host, recorded later, or a failure before anything was read
			}
			seen := o.OldVersion
			if o.Outcome == string(flags.Written) {
				seen = o.NewVersion
			}
			if !found || seen > v {
				v, found = seen, true
			}
		}
	}
	return v, found
}

// inferHost decides one host's outcome of change e, o being its unknown outcome there. young
// is true while a transaction sent but unanswered may still be on its way to the host.
func inferHost(e Entry, o HostOutcome, exact, young bool, h flags.HostFlag, history []Entry) HostOutcome {
	old := o.OldVersion
	res := HostOutcome{Host: h.Host, OldOn: o.OldOn, OldVersion: old, NewVersion: old, Reconciled: true}
	settled := func(outcome flags.Outcome, version int, why string) HostOutcome {
		res.Outcome, res.NewVersion, res.Error = string(outcome), version, why
		return res
	}
	ev := evidenceOn(e, h, history)
	// For an intent without outcome, what its write read is not known: no less than the
	// version the operator was shown or the last one recorded on this host before it.
	lo := old
	if !exact && e.BaseVersion != nil && *e.BaseVersion < lo {
		lo = *e.BaseVersion
	}
	switch {
	case h.HostDown:
		return settled(flags.Unknown, old+1, "host did not answer when settled")
	case !h.Present:
		return settled(flags.Failed, old, "flag not on this host when settled")
	case h.Unreadable != "" || h.Deleted:
		return settled(flags.Failed, old, "flag unreadable or deleted on this host when settled")
	case !exact && h.On == e.After && (e.Before == e.After || ev.unchangedSince || h.Version <= lo):
		// Nothing was to be written, or the host still holds what it held before this
		// change began.
		return settled(flags.Unchanged, h.Version, "")
	case !exact && h.On == e.After && !ev.claimed[h.Version]:
		return settled(flags.Written, h.Version, "")
	case !exact && e.Before == e.After:
		return settled(flags.Failed, old, fmt.Sprintf("host holds %s v%d, not the requested state, when settled", flags.OnOff(h.On), h.Version))
	case exact && h.Version < old:
		return settled(flags.Unknown, old+1, fmt.Sprintf("host holds v%d, older than the v%d our write read: rewritten since "+
			"(a Relay full sync?), so whether our write landed cannot be told; discard the change or set the flag again", h.Version, old))
	case exact && young && h.Version == old:
		return settled(flags.Unknown, old+1, "host still at the old version; the transaction may still be on its way")
	case exact && h.Version == old:
		return settled(flags.Failed, old, fmt.Sprintf("host still holds %s v%d when settled: our write (v%d) did not land", flags.OnOff(h.On), h.Version, old+1))
	case exact && h.Version == old+1 && h.On == e.After && !ev.claimed[old+1]:
		return settled(flags.Written, old+1, "")
	}
	// The host moved on since: a later write read what ours left, if it landed.
	best := -1
	for v, on := range ev.states {
		if on == e.After && !ev.claimed[v] && v > best && v <= h.Version && v > lo && (!exact || v == old+1) {
			best = v
		}
	}
	if best >= 0 {
		return settled(flags.Written, best, "")
	}
	return settled(flags.Failed, old, fmt.Sprintf("host holds %s v%d when settled, and no record shows our write there",
		flags.OnOff(h.On), h.Version))
}

// evidence is what the records say about one host, for deciding a change e's outcome there.
type evidence struct {
	// states and claimed come from the other changes' writes that did not end before e
	// began (a full sync may have reused older versions since): the state each version was
	// read or written with, and the versions those writes produced.
	states  map[int]bool
	claimed map[int]bool
	// unchangedSince: the host holds exactly what the last write ended before e began left.
	unchangedSince bool
}

func evidenceOn(e Entry, h flags.HostFlag, history []Entry) evidence {
	ev := evidence{states: map[int]bool{}, claimed: map[int]bool{}}
	var prior *write
	for _, x := range history {
		if x.ID == e.ID {
			continue
		}
		for _, o := range x.Outcomes {
			if o.Host != h.Host {
				continue
			}
			if recordedBefore(o, e) {
				if o.Outcome == string(flags.Written) || o.Outcome == string(flags.Unchanged) {
					if prior == nil || landedLater(x, o, prior.e, prior.o) {
						prior = &write{x, o}
					}
				}
				continue
			}
			switch o.Outcome {
			case string(flags.Written):
				ev.claimed[o.NewVersion] = true
				ev.states[o.NewVersion] = x.After
				ev.states[o.OldVersion] = o.OldOn
			case string(flags.Unchanged), string(flags.Unknown):
				ev.states[o.OldVersion] = o.OldOn
			}
		}
	}
	if prior != nil {
		v, on := prior.o.OldVersion, prior.o.OldOn
		if prior.o.Outcome == string(flags.Written) {
			v, on = prior.o.NewVersion, prior.e.After
		}
		ev.unchangedSince = v == h.Version && on == h.On
	}
	return ev
}
