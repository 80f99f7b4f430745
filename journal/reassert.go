package journal

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"relaycommander/flags"
)

// VersionToggler is the flag store as a re-assertion needs it (*flags.Store satisfies it): a
// toggle that writes a host only while it holds the version the caller saw there.
type VersionToggler interface {
	ToggleAt(ctx context.Context, prefix, key string, on bool, seen map[string]int) flags.ToggleResult
	// RestoreAt takes a re-assertion back when its change was discarded meanwhile.
	RestoreAt(ctx context.Context, prefix, key string, on bool, version int, seen map[string]int) flags.ToggleResult
}

// Reassert writes pending change id's state again on hosts where it was undone, and records
// the hosts where the write landed as outcomes of that same change marked Reasserted: the
// change is still replayed once, and its history shows the re-assertion.
//
// seen names the hosts, each with the version the caller's look found there (as Drift
// reports it, the version its decision to write back was made on). A host is written only
// while it still holds that version, tested under the write's own WATCH: a Relay that wrote a
// newer version since (someone's change in LaunchDarkly, streamed) keeps it, and that host's
// result is Failed with flags.ErrVersionMoved, OldVersion what it holds; nothing is written or
// recorded there.
//
// Its write-ahead record is the change's own intent, durable and still pending: the write
// produces what the change's outcome already says the host holds (the version before it, +1,
// with the requested state), so a crash between the write and its record loses nothing.
// Only landed writes are recorded: a failed or unknown re-assertion must not replace the
// host's written outcome (a change failed on every host is no longer pending); the caller
// looks at Redis again and retries.
//
// It refuses (writing nothing) unless id is the latest change of its pending flag, whose net
// state is known (settled, hosts agreeing): that is the state the replay will send.
func (j *Journal) Reassert(ctx context.Context, store VersionToggler, id string, seen map[string]int) (flags.ToggleResult, error) {
	if len(seen) == 0 {
		return flags.ToggleResult{}, fmt.Errorf("journal %s: re-assert change %s: no host named", j.dir, id)
	}
	var c Change
	var why string
	if err := j.read(func(s *state) { c, why = reassertable(s.pending(), id) }); err != nil {
		return flags.ToggleResult{}, err
	}
	if why != "" {
		return flags.ToggleResult{}, fmt.Errorf("journal %s: not re-asserting change %s: %s", j.dir, id, why)
	}
	res := store.ToggleAt(ctx, c.Prefix, c.Flag, c.After, seen)
	var landed []HostOutcome
	for _, o := range outcomesOf(res) {
		if o.Outcome == string(flags.Written) {
			o.Reasserted = true
			landed = append(landed, o)
		}
	}
	if len(landed) == 0 {
		return res, nil
	}
	var discarded *ReplayEvent
	if err := j.appendRecords(func(s *state) ([]record, error) {
		if _, ok := s.byID[id]; !ok {
			return nil, fmt.Errorf("journal %s: no change %s", j.path, id)
		}
		if discarded = s.discard(id); discarded != nil {
			return nil, nil
		}
		return []record{{Type: typeOutcome, ID: id, Outcomes: landed}}, nil
	}); err != nil {
		return res, fmt.Errorf("%s %s was re-asserted in Redis but that is not recorded (Redis holds what the journal already says): %w",
			c.Prefix, c.Flag, err)
	}
	if discarded != nil {
		return res, j.undoReassert(ctx, store, c, *discarded, landed, seen)
	}
	return res, nil
}

// ErrReassertTakenBack is Reassert's error when the change was discarded (or superseded)
// between its check and its write, and the write was taken back: nothing was re-asserted.
var ErrReassertTakenBack = errors.New("the change was discarded while it was re-asserted: the re-assertion was taken back")

// ErrReassertKept joins ErrReassertTakenBack when a host could not be taken back.
var ErrReassertKept = errors.New("a host still holds the re-assertion")

// undoReassert takes back a re-assertion whose change was discarded (or superseded) between
// the check and the write: each host it landed on gets LaunchDarkly's state, only while it
// still holds the re-assertion's write: the state the operator set in LaunchDarkly at its
// version when the discard was a supersede, else what the host held before (the re-sync's,
// LaunchDarkly's). Left in place, it would keep the closed change in Redis with nothing
// pending to show it, at a version a Relay does not overwrite with LaunchDarkly's next
// change. A replay closing the change meanwhile is no reason: LaunchDarkly then has the state
// the re-assertion wrote.
func (j *Journal) undoReassert(ctx context.Context, store VersionToggler, c Change, closed ReplayEvent, landed []HostOutcome, seen map[string]int) error {
	var kept []string
	for _, o := range landed {
		on, version := !c.After, seen[o.Host]
		if closed.LDOn != nil {
			on, version = *closed.LDOn, closed.LDVersion
		}
		r := store.RestoreAt(ctx, c.Prefix, c.Flag, on, version, map[string]int{o.Host: o.NewVersion})
		switch {
		case len(r.Hosts) == 1 && (r.Hosts[0].Outcome == flags.Written || r.Hosts[0].Outcome == flags.Unchanged):
		case len(r.Hosts) == 1 && errors.Is(r.Hosts[0].Err, flags.ErrVersionMoved):
			// a Relay wrote the host since: LaunchDarkly's state is there
		default:
			kept = append(kept, o.Host)
		}
	}
	if len(kept) > 0 {
		return fmt.Errorf("%s %s: change %s: %w, but %w: %s (restart its Relay: a full re-sync writes LaunchDarkly's state)",
			c.Prefix, c.Flag, c.ID, ErrReassertTakenBack, ErrReassertKept, strings.Join(kept, ", "))
	}
	return fmt.Errorf("%s %s: change %s: %w", c.Prefix, c.Flag, c.ID, ErrReassertTakenBack)
}

// reassertable finds change id among the pending flags and says why it may not be
// re-asserted, or "".
func reassertable(pending []Pending, id string) (Change, string) {
	for _, p := range pending {
		for i, e := range p.Entries {
			if e.ID != id {
				continue
			}
			switch {
			case i != len(p.Entries)-1:
				return e.Change, "a later change of the flag is pending"
			case p.Interrupted():
				return e.Change, "the flag's outcome in Redis is not settled"
			case p.Disagreement != "":
				return e.Change, p.Disagreement
			case e.After != p.Desired:
				return e.Change, "it is not the state the replay will send"
			}
			return e.Change, ""
		}
	}
	return Change{}, "it is not pending (replayed, discarded, or failed everywhere)"
}
