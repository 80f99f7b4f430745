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
