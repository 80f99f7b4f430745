package ldsync

import (
	"testing"

	"relaycommander/journal"
)

func TestItemSendsMayPatchUndecided(t *testing.T) {
	cases := []struct {
		name                       string
		it                         Item
		sends, mayPatch, undecided bool
	}{
		{"ready", Item{Status: Ready}, true, true, false},
		{"unknown base", Item{Status: UnknownBase}, true, true, false},
		// Regression (issue 10): an in-sync item is processed, so that replay closes it.
		{"in sync", Item{Status: InSync}, true, false, false},
		{"conflict", Item{Status: Conflict}, false, false, true},
		{"conflict forced", Item{Status: Conflict, Force: true}, true, true, false},
		{"conflict skipped", Item{Status: Conflict, Skip: true}, false, false, false},
		{"conflict forced then skipped", Item{Status: Conflict, Force: true, Skip: true}, false, false, false},
		{"ready skipped", Item{Status: Ready, Skip: true}, false, false, false},
		{"not replayable", Item{Status: NotReplayable}, false, false, false},
		{"not replayable forced", Item{Status: NotReplayable, Force: true}, false, false, false},
	}
	for _, c := range cases {
		if got := c.it.Sends(); got != c.sends {
			t.Errorf("%s: Sends() = %v, want %v", c.name, got, c.sends)
		}
		if got := c.it.MayPatch(); got != c.mayPatch {
			t.Errorf("%s: MayPatch() = %v, want %v", c.name, got, c.mayPatch)
		}
		if got := c.it.Undecided(); got != c.undecided {
			t.Errorf("%s: Undecided() = %v, want %v", c.name, got, c.undecided)
		}
	}
}

func TestItemMatches(t *testing.T) {
	it := Item{Pending: journal.Pending{Prefix: "ld:web:prod", Project: "web", Environment: "prod", Flag: "kill"}}
	for _, name := range []string{"kill", "web/prod/kill", "ld:web:prod/kill"} {
		if !it.Matches(name) {
			t.Errorf("Matches(%q) = false, want true", name)
		}
	}
	for _, name := range []string{"kil", "web/kill", "prod/kill", "ld:web:prod", ""} {
		if it.Matches(name) {
			t.Errorf("Matches(%q) = true, want false", name)
		}
	}
}

func TestPlanTally(t *testing.T) {
	p := Plan{Items: []Item{
		{Status: Ready}, {Status: Ready},
		{Status: InSync},
		{Status: UnknownBase},
		{Status: Conflict}, {Status: Conflict, Force: true}, {Status: Conflict, Skip: true},
		{Status: NotReplayable},
	}}
	want := PlanTally{Ready: 2, InSync: 1, Conflict: 3, UnknownBase: 1, NotReplayable: 1,
		Forced: 1, Skipped: 1, Undecided: 1, ToSend: 4, Process: 5}
	if got := p.Tally(); got != want {
		t.Errorf("Tally() =\n %+v, want\n %+v", got, want)
	}
	// An item whose outcome in Redis is unknown is not replayable, and counted as unsettled.
	unknown := journal.Pending{Entries: []journal.Entry{{Change: journal.Change{ID: "x"}}}}
	if got := (Plan{Items: []Item{{Status: NotReplayable, Pending: unknown}}}).Tally(); got.NotReplayable != 1 || got.Unsettled != 1 || got.Process != 0 {
		t.Errorf("unsettled plan: %+v, want one not replayable, unsettled, nothing processed", got)
	}
	// Only in-sync items: nothing to patch, but Apply has two to close.
	inSync := Plan{Items: []Item{{Status: InSync}, {Status: InSync}}}
	if got := inSync.Tally(); got.ToSend != 0 || got.Process != 2 {
		t.Errorf("in-sync plan: ToSend %d, Process %d; want 0, 2", got.ToSend, got.Process)
	}
}
