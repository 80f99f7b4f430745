package journal

import (
	"slices"

	"relaycommander/flags"
)

// SourceRelayCommander marks changes imported from the original relayCommander's queue.
const SourceRelayCommander = "relaycommander"

// state is everything the journal file says, built record by record in file order.
type state struct {
	entries []*Entry          // in append order
	byID    map[string]*Entry // change id -> entry
	events  []ReplayEvent     // in append order
	// eventsFor lists, per change id, the indexes of the replay events naming it.
	eventsFor map[string][]int
	// orphans are outcomes whose intent is not (yet) in the file; kept so nothing is lost.
	orphans map[string][]HostOutcome
	records int // records applied: the position of the next one in the file
}

func newState() *state { return newStateSized(0) }

func newStateSized(n int) *state {
	return &state{
		entries:   make([]*Entry, 0, n/2),
		events:    make([]ReplayEvent, 0, n/8),
		byID:      make(map[string]*Entry, n/2),
		eventsFor: make(map[string][]int, n/4),
		orphans:   map[string][]HostOutcome{},
	}
}

func (s *state) apply(r record) {
	s.records++
	switch r.Type {
	case typeIntent:
		c := *r.Change
		if _, dup := s.byID[c.ID]; dup {
			return // the same intent twice (an import run twice): the first one counts
		}
		e := &Entry{Change: c, seq: s.records}
		// Imports were written to Redis by relayCommander, not by this tool: no outcome
		// will ever come and none is needed.
		if c.Source == SourceRelayCommander {
			e.OutcomeKnown = true
		}
		if o, ok := s.orphans[c.ID]; ok {
			delete(s.orphans, c.ID)
			mergeOutcomes(e, o)
		}
		s.entries = append(s.entries, e)
		s.byID[c.ID] = e
	case typeOutcome:
		for i := range r.Outcomes {
			r.Outcomes[i].seq = s.records
		}
		if e, ok := s.byID[r.ID]; ok {
			mergeOutcomes(e, r.Outcomes)
		} else {
			s.orphans[r.ID] = append(s.orphans[r.ID], r.Outcomes...)
		}
	case typeReplay:
		i := len(s.events)
		s.events = append(s.events, *r.Replay)
		for _, id := range r.Replay.ChangeIDs {
			s.eventsFor[id] = append(s.eventsFor[id], i)
		}
	}
}

// mergeOutcomes adds outcomes to an entry; a later outcome for a host replaces the earlier one
// (a retry of the failed hosts).
func mergeOutcomes(e *Entry, outs []HostOutcome) {
	e.OutcomeKnown = true
	for _, o := range outs {
		i := slices.IndexFunc(e.Outcomes, func(x HostOutcome) bool { return x.Host == o.Host })
		if i >= 0 {
			e.Outcomes[i] = o
		} else {
			e.Outcomes = append(e.Outcomes, o)
		}
	}
}

// wroteNothing reports a change whose every host write failed: Redis never changed, so it has
// nothing to replay. It stays in History.
func wroteNothing(e *Entry) bool {
	if !e.OutcomeKnown || len(e.Outcomes) == 0 {
		return false
	}
	for _, o := range e.Outcomes {
		if o.Outcome != string(flags.Failed) {
			return false
		}
	}
	return true
}

// closes reports whether a replay event of this kind settles the changes it names.
// Verified and mismatch follow an apply and change nothing; conflict, failed and attempted
// leave the change pending.
func closes(k ReplayKind) bool {
	return k == ReplayApplied || k == ReplayInSync || k == ReplayDiscarded
}

// closed reports whether a replay event has settled the change.
func (s *state) closed(id string) bool {
	for _, i := range s.eventsFor[id] {
		if closes(s.events[i].Kind) {
			return true
		}
	}
	return false
}

// discard is the event that discarded (or superseded) change id, closing it without
// LaunchDarkly getting its state from the replay; nil when none did.
func (s *state) discard(id string) *ReplayEvent {
	for _, i := range s.eventsFor[id] {
		if s.events[i].Kind == ReplayDiscarded {
			ev := s.events[i]
			return &ev
		}
	}
	return nil
}

type flagKey struct{ prefix, flag string }

// pending coalesces the open changes per (prefix, flag), ordered by their earliest change.
func (s *state) pending() []Pending {
	var out []Pending
	idx := map[flagKey]int{}
	for _, e := range s.entries {
		if wroteNothing(e) || s.closed(e.ID) {
			continue
		}
		k := flagKey{e.Prefix, e.Flag}
		i, ok := idx[k]
		ce := copyEntry(e)
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Pending{
				Prefix:      e.Prefix,
				Flag:        e.Flag,
				BaseOn:      e.Before,
				BaseVersion: ce.BaseVersion,
			})
		}
		p := &out[i]
		p.Desired = e.After
		if e.Project != "" || e.Environment != "" {
			p.Project, p.Environment = e.Project, e.Environment
		}
		p.Entries = append(p.Entries, ce)
	}
	ld := s.lastLDVersions()
	// Last: the latest conflict, failure or attempt naming one of the pending changes.
	for i := range out {
		netState(&out[i])
		if v, ok := ld[flagKey{out[i].Prefix, out[i].Flag}]; ok {
			out[i].LDVersion = &v
		}
		last := -1
		for _, e := range out[i].Entries {
			for _, ei := range s.eventsFor[e.ID] {
				if ei > last && !closes(s.events[ei].Kind) && s.events[ei].Kind != ReplayVerified && s.events[ei].Kind != ReplayMismatch {
					last = ei
				}
			}
		}
		if last >= 0 {
			ev := copyEvent(s.events[last])
			out[i].Last = &ev
		}
	}
	return out
}

// lastLDVersions is, per (prefix, flag), LaunchDarkly's version as recorded by the latest
// replay event that found or left it in the desired state (applied, in sync, verified).
func (s *state) lastLDVersions() map[flagKey]int {
	out := map[flagKey]int{}
	for _, ev := range s.events {
		switch ev.Kind {
		case ReplayApplied, ReplayInSync, ReplayVerified:
			if ev.LDVersion > 0 {
				out[flagKey{ev.Prefix, ev.Flag}] = ev.LDVersion
			}
		}
	}
	return out
}

// history is every change of one (prefix, flag) and every replay event about it.
func (s *state) history(prefix, flag string) ([]Entry, []ReplayEvent) {
	var entries []Entry
	ids := map[string]bool{}
	for _, e := range s.entries {
		if e.Prefix == prefix && e.Flag == flag {
			entries = append(entries, copyEntry(e))
			ids[e.ID] = true
		}
	}
	var events []ReplayEvent
	for _, ev := range s.events {
		match := ev.Prefix == prefix && ev.Flag == flag
		for _, id := range ev.ChangeIDs {
			match = match || ids[id]
		}
		if match {
			events = append(events, copyEvent(ev))
		}
	}
	return entries, events
}

func (s *state) log() ([]Entry, []ReplayEvent) {
	entries := make([]Entry, len(s.entries))
	for i, e := range s.entries {
		entries[i] = copyEntry(e)
	}
	events := make([]ReplayEvent, len(s.events))
	for i, ev := range s.events {
		events[i] = copyEvent(ev)
	}
	return entries, events
}

// copyEntry detaches an entry from the state so callers cannot change it.
func copyEntry(e *Entry) Entry {
	c := *e
	c.Outcomes = slices.Clone(e.Outcomes)
	if e.BaseVersion != nil {
		v := *e.BaseVersion
		c.BaseVersion = &v
	}
	return c
}

func copyEvent(ev ReplayEvent) ReplayEvent {
	ev.ChangeIDs = slices.Clone(ev.ChangeIDs)
	if ev.LDOn != nil {
		on := *ev.LDOn
		ev.LDOn = &on
	}
	return ev
}
