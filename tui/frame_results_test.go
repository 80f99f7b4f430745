package tui

import (
	"strings"
	"testing"
	"time"

	"relaycommander/flags"
	"relaycommander/journal"
)

// boxRows are the lines of the view between a box's top border (the one titled title) and
// its bottom border.
func boxRows(t *testing.T, view, title string) []string {
	t.Helper()
	var rows []string
	in := false
	for _, l := range strings.Split(view, "\n") {
		switch {
		case strings.Contains(l, "━ "+title+" ━"):
			in = true
		case in && strings.HasPrefix(strings.TrimSpace(l), "┗"):
			return rows
		case in:
			rows = append(rows, l)
		}
	}
	t.Fatalf("no box %q in:\n%s", title, view)
	return nil
}

// At 80 columns the write results name the journal change by a short id and cut no text
// mid-word: what does not fit wraps.
func TestResultsShortChangeIDAndNothingCut(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	base := 9
	ch := journal.Change{ID: "18a7c5e2f0b4d6c89f3e2d1c0b7a6958", Time: testNow, Operator: "alice",
		Reason: "payment provider outage since 03:00, see INC-4711", Prefix: "ld:web-store:production",
		Project: "web-store", Environment: "production", Flag: "kill-switch-checkout", Before: true, After: false, BaseVersion: &base}
	u.m.resultsScreen.results = &resultsState{change: ch, running: true}
	u.m.active = screenResults
	u.m.Update(toggleDoneMsg{change: ch, elapsed: 3 * time.Millisecond, result: flags.ToggleResult{Hosts: []flags.HostResult{
		{Host: "relay-a", Outcome: flags.Written, OldOn: true, OldVersion: 9, NewVersion: 10, Latency: time.Millisecond},
	}}})
	v := u.view()
	rows := strings.Join(boxRows(t, v, "Write results"), "\n")
	if strings.Contains(rows, "…") {
		t.Fatalf("the results cut text:\n%s", v)
	}
	if strings.Contains(rows, ch.ID) || !strings.Contains(rows, "journal change 0b7a6958 by alice") {
		t.Fatalf("the results do not name the change by its short id 0b7a6958:\n%s", v)
	}
	if !strings.Contains(rows, "kill-switch-checkout -> OFF   1 of 1 host has it") {
		t.Fatalf("one host is counted as hosts:\n%s", v)
	}
	u.mustSee("kill-switch-checkout is OFF on 1 of 1 host; recorded in the journal")
	flat := strings.Join(strings.Fields(strings.ReplaceAll(rows, "┃", " ")), " ")
	if !strings.Contains(flat, "by alice: payment provider outage since 03:00, see INC-4711") {
		t.Fatalf("the reason is not whole:\n%s", v)
	}
}

// At 80x24 with the Relays' serving check the results still end with what to do next:
// spacing goes before a line does.
func TestResultsKeepTheirLastLineAt80x24(t *testing.T) {
	u := newUnit(t, 80, 24, nil)
	fr, _ := u.withRelays()
	fr.served = servedAnswers("ld:web-store:staging", "checkout-flow", false)
	u.gotoEnv("ld:web-store:staging")
	u.gotoFlag("checkout-flow")
	u.key("t", "tab", "y")
	u.follow(u.key("enter"))
	rows := strings.Join(boxRows(t, u.view(), "Write results"), "\n")
	for _, want := range []string{"relay-dr unknown after 60.0 s", "Recorded in the journal", "T retry the failed hosts (relay-c)   esc back to the flags"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the results lack %q:\n%s", want, rows)
		}
	}
}

// The write results say when the change can be replayed: while LaunchDarkly answers its
// checks, now (R, or the sync screen), and that a Relay reconnecting will undo the Redis edit;
// while it does not, when it is back.
func TestResultsSayReplayNowWhileLaunchDarklyAnswers(t *testing.T) {
	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		u := newUnit(t, size[0], size[1], nil)
		write := func() string {
			base := 9
			ch := journal.Change{ID: "18a7c5e2f0b4d6c89f3e2d1c0b7a6958", Time: testNow, Operator: "alice", Reason: "outage",
				Prefix: "ld:web-store:production", Project: "web-store", Environment: "production", Flag: "kill-switch-checkout",
				Before: true, After: false, BaseVersion: &base}
			u.m.resultsScreen.results = &resultsState{change: ch, running: true}
			u.m.active = screenResults
			u.m.Update(toggleDoneMsg{change: ch, elapsed: 3 * time.Millisecond, result: flags.ToggleResult{Hosts: []flags.HostResult{
				{Host: "relay-a", Outcome: flags.Written, OldOn: true, OldVersion: 9, NewVersion: 10, Latency: time.Millisecond},
			}}})
			checkFrame(t, u.view(), size[0], size[1])
			return strings.Join(strings.Fields(strings.ReplaceAll(strings.Join(boxRows(t, u.view(), "Write results"), " "), "┃", " ")), " ")
		}
		if flat := write(); !strings.Contains(flat, "when it is back") {
			t.Errorf("%dx%d: without LaunchDarkly: %s", size[0], size[1], flat)
		}
		u.withLD(samplePlan())
		u.apply(u.m.ldCheckCmd())
		if !u.m.ldAnswered() {
			t.Fatal("LaunchDarkly did not answer")
		}
		flat := write()
		for _, want := range []string{"R replays it to LaunchDarkly now", "LaunchDarkly is reachable: a Relay that reconnects will undo this Redis edit"} {
			if !strings.Contains(flat, want) {
				t.Errorf("%dx%d: while LaunchDarkly answers, the results lack %q: %s", size[0], size[1], want, flat)
			}
		}
		if strings.Contains(flat, "when it is back") {
			t.Errorf("%dx%d: while LaunchDarkly answers: %s", size[0], size[1], flat)
		}
	}
}
