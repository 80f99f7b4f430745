package tui

import (
	"regexp"
	"strings"
	"testing"
)

// Issue 13 item 7 against real redis-servers, the real journal and replay, and the fake
// LaunchDarkly: a replay with a change already in sync and a conflict left ends with the bar
// full and says what waits; forcing the conflict then replays it on the next enter.
func TestFlowReplayEndsFullAndTheLeftConflictGoesOn(t *testing.T) {
	f := startFlow(t, 2)
	f.selectEnv("payments / staging")
	flags := []string{"beta-dashboard", "enable-new-pricing", "rate-limits"}
	for _, k := range flags {
		f.keys("esc")
		f.filterTo(k)
		f.toggleUnprotected("drill")
		f.see("2 of 2 hosts have it")
		f.keys("esc")
	}
	desired := func(k string) bool { return !fixtureOn(t, "ld:payments:staging", k) }
	// someone made the same change in LaunchDarkly: in sync; and someone changed another: a conflict
	f.ld.ChangeBehindBack("payments", "staging", "enable-new-pricing", desired("enable-new-pricing"))
	f.ld.ChangeBehindBack("payments", "staging", "rate-limits", !desired("rate-limits"))

	f.keys("3")
	fr := f.see("plan: 1 ready  1 in sync  1 conflict")
	if strings.Contains(fr, "1 forced") {
		t.Fatalf("plan:\n%s", fr)
	}
	f.keys("enter")
	fr = f.see("done: 1 conflict waits: s skip or f force on its row")
	if !regexp.MustCompile(`\[#+\] 2/2 done`).MatchString(fr) {
		t.Fatalf("the bar is not full once the replay ended:\n%s", fr)
	}
	if !strings.Contains(fr, "now: 1 applied  1 in sync  1 conflict") {
		t.Fatalf("the plan line does not count what the replay did:\n%s", fr)
	}

	f.keys("g")
	cur := cursorLine(f.waitFor("cursor on the first item", func(s string) bool { return strings.Contains(cursorLine(s), "payments/staging/") }))
	for range len(flags) {
		if strings.Contains(cur, "CONFLICT") {
			break
		}
		f.keys("down")
		prev := cur
		cur = cursorLine(f.waitFor("cursor on the next item", func(s string) bool { return cursorLine(s) != prev }))
	}
	if !strings.Contains(cur, "CONFLICT") {
		t.Fatalf("no conflict row:\n%s", f.current())
	}
	f.keys("f")
	f.see("will overwrite LaunchDarkly's newer change")
	f.keys("enter") // plans again, keeps the decision, replays
	f.see("verification: 1 verified, 0 mismatched")
	if on, _, _ := f.ld.FlagState("payments", "staging", "rate-limits"); on != desired("rate-limits") {
		t.Fatal("the conflict forced after the replay was not replayed")
	}
	if p := f.pending(); len(p) != 0 {
		t.Fatalf("pending after forcing the left conflict: %+v", p)
	}
}
