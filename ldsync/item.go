package ldsync

// This file is the one home of the rule "what does a replay item send, and what closes it",
// so that the UI, the command line and Apply cannot drift apart.

// Sends reports whether Apply takes the item up: it patches it on condition that the flag
// is still as planned (ready, unknown base, a conflict the operator forced), or, for an item
// found in sync, reads it again to confirm it and records it as such, which closes it. An in-sync item sends no
// patch but is processed all the same: a plan of only in-sync items is still worth applying.
// Skipped items, undecided conflicts, items that cannot be replayed and unsettled changes
// (outcome unknown, or hosts that disagree: never sent, whatever the plan says) are left
// pending.
func (it Item) Sends() bool {
	if it.Skip || unsettled(it.Pending) != "" {
		return false // whatever the plan says: never an unsettled change, nor one hosts disagree on
	}
	switch it.Status {
	case InSync, Ready, UnknownBase:
		return true
	case Conflict:
		return it.Force
	}
	return false
}

// MayPatch reports whether Apply may send a patch for the item: it is taken up and was not
// already in sync when planned. (The patch is conditional: when the flag changed since the
// plan, Apply reads it again and may still find it in sync, or in conflict.)
func (it Item) MayPatch() bool { return it.Sends() && it.Status != InSync }

// Undecided reports a conflict awaiting the operator's decision: neither forced nor skipped.
func (it Item) Undecided() bool { return it.Status == Conflict && !it.Force && !it.Skip }

// Matches reports whether the operator's name for a flag designates this item: the flag key
// alone, project/environment/flag, or prefix/flag (as --force takes it).
func (it Item) Matches(name string) bool {
	p := it.Pending
	return name == p.Flag || name == p.Project+"/"+p.Environment+"/"+p.Flag || name == p.Prefix+"/"+p.Flag
}

// PlanTally counts a plan's items for a summary and for deciding what to ask the operator.
type PlanTally struct {
	// By planned status; every item is in exactly one of these.
	Ready, InSync, Conflict, UnknownBase, NotReplayable int

	Unsettled int // of NotReplayable: outcome unknown in Redis, or hosts that disagree (journal.Settle)
	Forced    int // conflicts the operator decided to overwrite (and did not skip)
	Skipped   int // items the operator left for later
	Undecided int // conflicts awaiting a decision

	ToSend  int // items Apply may patch (MayPatch): what a confirmation asks about
	Process int // items Apply takes up (Sends): ToSend plus in-sync items it closes; Progress.Total
}

// Tally counts the plan's items.
func (p Plan) Tally() PlanTally {
	var t PlanTally
	for _, it := range p.Items {
		switch it.Status {
		case Ready:
			t.Ready++
		case InSync:
			t.InSync++
		case Conflict:
			t.Conflict++
		case UnknownBase:
			t.UnknownBase++
		case NotReplayable:
			t.NotReplayable++
			if unsettled(it.Pending) != "" {
				t.Unsettled++
			}
		}
		if it.Status == Conflict && it.Force && !it.Skip {
			t.Forced++
		}
		if it.Skip {
			t.Skipped++
		}
		if it.Undecided() {
			t.Undecided++
		}
		if it.MayPatch() {
			t.ToSend++
		}
		if it.Sends() {
			t.Process++
		}
	}
	return t
}
