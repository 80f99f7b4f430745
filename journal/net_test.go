package journal

import (
	"strings"
	"testing"
)

// Two writers cross on two hosts: P (off) lands first on a and last on b, Q (on) the other
// way round. Redis holds ON on a and OFF on b: the pending change says the hosts disagree
// and which change each holds, instead of picking one.
func TestPendingSaysWhenHostsDisagree(t *testing.T) {
	j := openTemp(t)
	p, err := j.Begin(Change{Operator: "p", Prefix: "P", Flag: "f", Before: true, After: false, BaseVersion: intp(3)})
	if err != nil {
		t.Fatal(err)
	}
	q, err := j.Begin(Change{Operator: "q", Prefix: "P", Flag: "f", Before: true, After: true, BaseVersion: intp(3)})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Complete(p.ID, []HostOutcome{{Host: "a", Outcome: "written", OldOn: true, OldVersion: 3, NewVersion: 4},
		{Host: "b", Outcome: "written", OldOn: true, OldVersion: 4, NewVersion: 5}}); err != nil {
		t.Fatal(err)
	}
	if err := j.Complete(q.ID, []HostOutcome{{Host: "a", Outcome: "written", OldOn: false, OldVersion: 4, NewVersion: 5},
		{Host: "b", Outcome: "written", OldOn: true, OldVersion: 3, NewVersion: 4}}); err != nil {
		t.Fatal(err)
	}
	ps, err := j.Pending()
	if err != nil || len(ps) != 1 {
		t.Fatalf("pending = %+v, %v", ps, err)
	}
	got := ps[0]
	want := map[string]HostState{"a": {Host: "a", On: true, Version: 5, ChangeID: q.ID}, "b": {Host: "b", On: false, Version: 5, ChangeID: p.ID}}
	for _, h := range got.Hosts {
		if h != want[h.Host] {
			t.Errorf("host %s: %+v, want %+v", h.Host, h, want[h.Host])
		}
	}
	if len(got.Hosts) != 2 || !strings.Contains(got.Disagreement, "a: ON v5") || !strings.Contains(got.Disagreement, "b: OFF v5") {
		t.Errorf("Disagreement = %q, want each host's state named", got.Disagreement)
	}
}

// wrote is a written outcome on hosts a and b.
func wrote(old int, oldOn bool) []HostOutcome {
	return []HostOutcome{{Host: "a", Outcome: "written", OldOn: oldOn, OldVersion: old, NewVersion: old + 1},
		{Host: "b", Outcome: "written", OldOn: oldOn, OldVersion: old, NewVersion: old + 1}}
}

// recordChange begins and completes a change in order.
func recordChange(t *testing.T, j *Journal, before, after bool, outs []HostOutcome) Change {
	t.Helper()
	c, err := j.Begin(Change{Operator: "ann", Prefix: "P", Flag: "f", Before: before, After: after, BaseVersion: intp(outs[0].OldVersion)})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Complete(c.ID, outs); err != nil {
		t.Fatal(err)
	}
	return c
}

// Relay's full sync rewrote Redis with LaunchDarkly's older version between two writes: the
// write begun after the other was recorded landed later, though its version is lower.
func TestNetStateAfterAFullSyncLowersTheVersion(t *testing.T) {
	j := openTemp(t)
	recordChange(t, j, true, false, wrote(3, true))  // OFF v4
	recordChange(t, j, false, true, wrote(4, false)) // ON v5; then a full sync: ON v3
	last := recordChange(t, j, true, false, wrote(3, true))
	ps, err := j.Pending()
	if err != nil || len(ps) != 1 {
		t.Fatalf("pending = %+v, %v", ps, err)
	}
	p := ps[0]
	if p.Desired || p.Disagreement != "" || len(p.Hosts) != 2 || p.Hosts[0].ChangeID != last.ID || p.Hosts[0].Version != 4 {
		t.Errorf("pending %+v; want OFF v4 from the last change on both hosts", p)
	}
}

// An outcome left unknown (the host was rewritten since, so it cannot be told) no longer
// holds the flag up once a later write, begun after it, landed on that host.
func TestUnknownOutcomeSupersededByALaterWrite(t *testing.T) {
	j := openTemp(t)
	recordChange(t, j, true, false, []HostOutcome{{Host: "a", Outcome: "unknown", OldOn: true, OldVersion: 5, NewVersion: 6}})
	ps, _ := j.Pending()
	if len(ps) != 1 || !ps[0].Interrupted() {
		t.Fatalf("pending %+v, want it unsettled", ps)
	}
	last := recordChange(t, j, true, false, []HostOutcome{{Host: "a", Outcome: "written", OldOn: true, OldVersion: 3, NewVersion: 4}})
	ps, _ = j.Pending()
	if len(ps) != 1 || ps[0].Interrupted() || ps[0].Desired || ps[0].Hosts[0].ChangeID != last.ID {
		t.Errorf("pending %+v, want settled by the later write: OFF v4", ps)
	}
}
