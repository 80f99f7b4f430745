package tui

import (
	"strings"
	"testing"

	"relaycommander/ldsync"
)

// The replay's last word names what is left: a conflict waits for a decision (and, after
// an armed replay, nothing holds it in Redis meanwhile); zero counts are not listed.
func TestReplayDoneSaysAConflictWaits(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.withLD(samplePlan())
	u.apply(u.key("3"))
	u.startFakeReplay()
	u.m.Update(replayDoneMsg{counts: ldsync.Counts{Applied: 1, Verified: 1, Conflicts: 1}})
	u.mustSee("replay done: 1 applied, 1 verified; 1 conflict left: s skips, f forces")
	lines := strings.Split(u.view(), "\n")
	if status := lines[len(lines)-2]; strings.Contains(status, "0 ") {
		t.Errorf("the status lists a zero count: %q", status)
	}
}
