package journal

import (
	"testing"
	"time"
)

// The note on a flag's pending change before a toggle: since when (in the caller's
// location) and by whom (the change that made it pending), what LaunchDarkly has, and what the replay then sends, or that the
// toggle nets it out.
func TestToggleNote(t *testing.T) {
	at := time.Date(2026, 12, 1, 14, 2, 0, 0, time.UTC)
	p := Pending{BaseOn: true, BaseVersion: intp(9), Desired: false, Entries: []Entry{
		{Change: Change{Operator: "bob", Time: at.Add(-time.Hour)}},
		{Change: Change{Operator: "alice", Time: at}},
	}}
	plusOne := time.FixedZone("UTC+1", 3600)
	for _, c := range []struct {
		after                 bool
		loc                   *time.Location
		wantPending, wantThen string
	}{
		{false, plusOne, "pending OFF since 14:02 by bob; LaunchDarkly has ON v9", "after this toggle the replay sends OFF"},
		{true, time.UTC, "pending OFF since 13:02 by bob; LaunchDarkly has ON v9", "this toggle cancels it out: LaunchDarkly keeps ON"},
	} {
		pending, then := p.ToggleNote(c.after, at.Add(time.Minute).In(c.loc))
		if pending != c.wantPending || then != c.wantThen {
			t.Errorf("ToggleNote(%v, %s) = %q, %q; want %q, %q", c.after, c.loc, pending, then, c.wantPending, c.wantThen)
		}
	}
	p.BaseVersion = nil
	if pending, _ := p.ToggleNote(false, at.In(time.UTC)); pending != "pending OFF since 13:02 by bob; LaunchDarkly has ON" {
		t.Errorf("unknown base version: %q", pending)
	}
	// pending since the day before: the day is said
	if pending, _ := p.ToggleNote(false, at.Add(24*time.Hour)); pending != "pending OFF since Dec 1 13:02 by bob; LaunchDarkly has ON" {
		t.Errorf("since the day before: %q", pending)
	}
}
