package journal

import (
	"context"
	"time"

	"relaycommander/flags"
)

// Change is one operator action: one flag of one prefix set on or off in Redis.
type Change struct {
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	Operator    string    `json:"operator"`
	Reason      string    `json:"reason,omitempty"`
	Prefix      string    `json:"prefix"`
	Project     string    `json:"project,omitempty"`     // empty when the prefix is unmapped
	Environment string    `json:"environment,omitempty"` // empty when the prefix is unmapped
	Flag        string    `json:"flag"`
	Before      bool      `json:"before"`           // on, as read before the write
	After       bool      `json:"after"`            // on, as requested
	BaseVersion *int      `json:"baseVersion"`      // version read before the write; nil = unknown (imported)
	Source      string    `json:"source,omitempty"` // "" for this tool, "relaycommander" for imports
	Writer      *Writer   `json:"writer,omitempty"` // the process that recorded it (Begin fills it)
}

// HostOutcome is a change's write result on one Redis host.
type HostOutcome struct {
	Host       string `json:"host"`
	Outcome    string `json:"outcome"` // "written", "unchanged", "failed", "unknown" (flags.Outcome)
	OldOn      bool   `json:"oldOn"`
	OldVersion int    `json:"oldVersion"`
	NewVersion int    `json:"newVersion"`
	Error      string `json:"error,omitempty"`
	// Reconciled marks an outcome read back afterwards from what the host holds (Settle),
	// not reported by the write itself.
	Reconciled bool `json:"reconciled,omitempty"`
	// Reasserted marks a write of the same change again on a host where it had been undone
	// (a Relay full sync wrote LaunchDarkly's state back): see Journal.Reassert.
	Reasserted bool `json:"reasserted,omitempty"`

	seq int // position of its record in the file: what was recorded before an intent
}

// ReplayKind is what happened when a change was replayed to LaunchDarkly.
type ReplayKind string

const (
	ReplayAttempted ReplayKind = "attempted"
	ReplayApplied   ReplayKind = "applied"   // LDVersion is LaunchDarkly's version after the patch
	ReplayInSync    ReplayKind = "in-sync"   // LaunchDarkly already had the desired state
	ReplayConflict  ReplayKind = "conflict"  // LDVersion/LDOn/LDModified are what caused it
	ReplayFailed    ReplayKind = "failed"    // Error says why
	ReplayDiscarded ReplayKind = "discarded" // By and Why say who and why
	ReplayVerified  ReplayKind = "verified"  // read back after apply: LaunchDarkly has the state
	ReplayMismatch  ReplayKind = "mismatch"  // read back after apply: LaunchDarkly differs
)

// ReplayEvent is one step of replaying a pending change. It concerns every change it names.
type ReplayEvent struct {
	Time       time.Time  `json:"time"`
	Kind       ReplayKind `json:"kind"`
	ChangeIDs  []string   `json:"changeIds"`
	Prefix     string     `json:"prefix"`
	Flag       string     `json:"flag"`
	Desired    bool       `json:"desired"`
	LDVersion  int        `json:"ldVersion,omitempty"`
	LDOn       *bool      `json:"ldOn,omitempty"`
	LDModified time.Time  `json:"ldModified,omitzero"`
	Forced     bool       `json:"forced,omitempty"`
	Error      string     `json:"error,omitempty"`
	By         string     `json:"by,omitempty"`
	Why        string     `json:"why,omitempty"`
}

// Entry is a recorded change with what is known of its outcome.
type Entry struct {
	Change
	Outcomes     []HostOutcome // empty while OutcomeKnown is false
	OutcomeKnown bool          // false: the intent was written but the process died before the outcome
	seq          int           // position of its intent in the file
	// Imported changes (Source "relaycommander") have OutcomeKnown true and no Outcomes:
	// relayCommander wrote Redis, there is nothing to reconcile. A change whose every host
	// failed wrote nothing: it is not pending, but History and Log show it.
}

// Unsettled reports whether it is not known yet whether the change reached Redis: its writer
// stopped between the intent and the result, or a host's outcome is "unknown" (the reply to
// EXEC never came). Settle reads Redis back to decide.
func (e Entry) Unsettled() bool {
	if !e.OutcomeKnown {
		return true
	}
	for _, o := range e.Outcomes {
		if o.Outcome == string(flags.Unknown) {
			return true
		}
	}
	return false
}

// HostState is the write of this tool with the highest version on one Redis host, among a
// flag's pending changes: what that host holds unless someone else wrote it since.
type HostState struct {
	Host     string
	On       bool
	Version  int
	ChangeID string
}

// Pending is the net effect of every unreplayed change of one (prefix, flag).
type Pending struct {
	Prefix      string
	Project     string
	Environment string
	Flag        string
	BaseOn      bool // state before the earliest contributing change
	BaseVersion *int // version before the earliest contributing change; nil = unknown
	// Desired is the state the writes with the highest version left on every host (the
	// latest change's, when no write recorded a version, as for imports). When the hosts
	// disagree, Disagreement says how and Desired is the latest change's.
	Desired bool
	// Hosts lists, per host that received one of the changes, the write with the highest
	// version. Disagreement is "" when they all set the same state, else it names each host's.
	Hosts        []HostState
	Disagreement string
	// LDVersion is LaunchDarkly's version as this tool's last replay of the flag left it (nil
	// when never replayed): a version the tool produced itself, not someone else's change.
	LDVersion *int
	Entries   []Entry
	Last      *ReplayEvent // latest replay event (a conflict or failure), nil when never tried
}

// NoNetEffect reports a pending change that ends where it started (on, then off again). Replay
// confirms it against LaunchDarkly instead of dropping it blindly.
func (p Pending) NoNetEffect() bool { return p.BaseOn == p.Desired }

// Interrupted reports whether a contributing change is unsettled (Entry.Unsettled) in a way
// that can still decide the flag's net state: its intent has no outcome, or a host's outcome
// is unknown and no write begun after it has landed on that host since. Settle decides it.
func (p Pending) Interrupted() bool {
	for _, e := range p.Entries {
		if !e.OutcomeKnown {
			return true
		}
		for _, o := range e.Outcomes {
			if o.Outcome == string(flags.Unknown) && !superseded(e, o, p.Entries) {
				return true
			}
		}
	}
	return false
}

// ChangeIDs lists the contributing changes' ids, oldest first.
func (p Pending) ChangeIDs() []string {
	ids := make([]string, len(p.Entries))
	for i, e := range p.Entries {
		ids[i] = e.ID
	}
	return ids
}

// Toggler is the flag store as a recorded toggle needs it (*flags.Store satisfies it).
type Toggler interface {
	Toggle(ctx context.Context, prefix, key string, on bool, hosts ...string) flags.ToggleResult
}

// ImportProblem is a line of an old relayCommander queue that was not imported.
type ImportProblem struct {
	File   string
	Line   string
	Reason string
}
