package journal

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"relaycommander/flags"
)

// FieldReader is the flag store as drift detection needs it (*flags.Store satisfies it):
// only the pending flags' fields, never whole prefixes, which may hold 20,000 flags.
type FieldReader interface {
	ReadFields(ctx context.Context, want map[string][]string) (flags.FieldSet, error)
}

// Undone is a pending change that Redis no longer holds on hosts where it was written:
// something, usually Relay's re-sync from LaunchDarkly, wrote the other state back.
type Undone struct {
	Prefix      string
	Project     string // empty when the prefix is unmapped
	Environment string
	Flag        string
	Desired     bool         // what the change wrote, and replay will send
	BaseVersion *int         // the version before the change (nil: unknown); a host at it holds LaunchDarkly's unchanged state
	Hosts       []UndoneHost // the hosts that took the write and now hold the other state
}

// Target is the change's project and environment; mapped is false when the prefix is not
// known to be one (as for Pending.Target).
func (u Undone) Target() (t flags.Target, mapped bool) {
	t = flags.Target{Project: u.Project, Environment: u.Environment}
	return t, t.Project != "" && t.Environment != ""
}

// UndoneHost is what a host holds now, in place of a pending change.
type UndoneHost struct {
	Host    string
	On      bool
	Version int
}

// Moved are the hosts at another version than the change's base: what they hold is not
// LaunchDarkly's state from before the change, but a change made there since (or the flag
// made anew); none when the base is unknown. Writing the change back over them would
// overwrite it: the armed guard reports them as conflicts, the screens say so.
func (u Undone) Moved() []UndoneHost {
	var out []UndoneHost
	for _, h := range u.Hosts {
		if u.BaseVersion != nil && h.Version != *u.BaseVersion {
			out = append(out, h)
		}
	}
	return out
}

// HostNames lists the hosts where the change was undone.
func (u Undone) HostNames() []string {
	out := make([]string, len(u.Hosts))
	for i, h := range u.Hosts {
		out[i] = h.Host
	}
	return out
}

// WrittenHosts are the hosts that hold the latest change's state according to its outcome
// (written, or already in that state); the latest change whose outcome is known counts. Nil
// when no outcome is known, and empty for imports, whose outcome relayCommander never said.
func (p Pending) WrittenHosts() []string {
	for i := len(p.Entries) - 1; i >= 0; i-- {
		e := p.Entries[i]
		if !e.OutcomeKnown {
			continue
		}
		hs := []string{}
		for _, o := range e.Outcomes {
			if o.Outcome == string(flags.Written) || o.Outcome == string(flags.Unchanged) {
				hs = append(hs, o.Host)
			}
		}
		return hs
	}
	return nil
}

// Drift compares each pending change with what Redis holds now, reading only the pending
// flags (one round trip per host) and reports those undone on a host where they had been
// written, sorted by flag. Unsettled changes and changes whose hosts disagree are left out:
// what they should hold is not known. A host that is down, or holds the flag deleted, unreadable or not at
// all, is not counted as undone: it says nothing about the change. The error is the store's
// when no host answered.
func Drift(ctx context.Context, store FieldReader, pending []Pending) ([]Undone, error) {
	want := map[string][]string{}
	written := make([][]string, len(pending))
	for i, p := range pending {
		if p.Interrupted() || p.Disagreement != "" {
			continue // its net state is not known: Settle first, or the hosts disagree anyway
		}
		if written[i] = p.WrittenHosts(); len(written[i]) > 0 {
			want[p.Prefix] = append(want[p.Prefix], p.Flag)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	fs, err := store.ReadFields(ctx, want)
	if err != nil {
		return nil, fmt.Errorf("checking %d pending change(s) against Redis: %w", len(pending), err)
	}
	var out []Undone
	for i, p := range pending {
		f, ok := fs.Flag(p.Prefix, p.Flag)
		if !ok || len(written[i]) == 0 {
			continue
		}
		u := Undone{Prefix: p.Prefix, Project: p.Project, Environment: p.Environment, Flag: p.Flag,
			Desired: p.Desired, BaseVersion: p.BaseVersion}
		for _, h := range f.Hosts {
			if !slices.Contains(written[i], h.Host) || !h.Present || h.HostDown || h.Deleted || h.Unreadable != "" {
				continue
			}
			if h.On != p.Desired {
				u.Hosts = append(u.Hosts, UndoneHost{Host: h.Host, On: h.On, Version: h.Version})
			}
		}
		if len(u.Hosts) > 0 {
			out = append(out, u)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Flag < out[j].Flag })
	return out, nil
}
