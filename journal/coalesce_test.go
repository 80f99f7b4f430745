package journal

import (
	"fmt"
	"testing"
	"time"
)

// step is one thing that happens to a journal in a coalescing scenario.
type step struct {
	change    *Change       // Begin
	outcomes  []HostOutcome // Complete of the last begun change; nil = no outcome record
	noOutcome bool
	retry     []HostOutcome // Complete again of the last begun change
	replay    *ReplayEvent  // ChangeIDs filled with the ids named by replayIDs (indexes of begun changes)
	replayIDs []int
}

var (
	written = []HostOutcome{{Host: "a", Outcome: "written", OldVersion: 4, NewVersion: 5}, {Host: "b", Outcome: "written", OldVersion: 4, NewVersion: 5}}
	allFail = []HostOutcome{{Host: "a", Outcome: "failed", Error: "refused"}, {Host: "b", Outcome: "failed", Error: "refused"}}
)

func ch(op, prefix, flag string, before, after bool, base *int) *Change {
	return &Change{Operator: op, Reason: "why " + op, Prefix: prefix, Project: "p", Environment: "e", Flag: flag,
		Before: before, After: after, BaseVersion: base}
}

func TestCoalescing(t *testing.T) {
	type want struct {
		prefix, flag   string
		baseOn, desire bool
		base           *int
		entries        []int // indexes of begun changes
		noNet          bool
		last           ReplayKind
		operators      []string
	}
	cases := []struct {
		name  string
		steps []step
		want  []want
	}{
		{
			name: "on off on is one change",
			steps: []step{
				{change: ch("ann", "P", "f", false, true, intp(4)), outcomes: written},
				{change: ch("ann", "P", "f", true, false, intp(5)), outcomes: written},
				{change: ch("ann", "P", "f", false, true, intp(6)), outcomes: written},
			},
			want: []want{{prefix: "P", flag: "f", baseOn: false, desire: true, base: intp(4), entries: []int{0, 1, 2}, operators: []string{"ann", "ann", "ann"}}},
		},
		{
			name: "back to base has no net effect but stays pending",
			steps: []step{
				{change: ch("ann", "P", "f", true, false, intp(4)), outcomes: written},
				{change: ch("bob", "P", "f", false, true, intp(5)), outcomes: written},
			},
			want: []want{{prefix: "P", flag: "f", baseOn: true, desire: true, base: intp(4), entries: []int{0, 1}, noNet: true, operators: []string{"ann", "bob"}}},
		},
		{
			name: "several operators, flags and prefixes, oldest first",
			steps: []step{
				{change: ch("ann", "P", "f", false, true, intp(4)), outcomes: written},
				{change: ch("bob", "Q", "g", true, false, intp(9)), outcomes: written},
				{change: ch("cid", "P", "f", true, false, intp(5)), outcomes: written},
				{change: ch("dan", "P", "g", true, false, intp(2)), outcomes: written},
			},
			want: []want{
				{prefix: "P", flag: "f", baseOn: false, desire: false, base: intp(4), entries: []int{0, 2}, noNet: true, operators: []string{"ann", "cid"}},
				{prefix: "Q", flag: "g", baseOn: true, desire: false, base: intp(9), entries: []int{1}, operators: []string{"bob"}},
				{prefix: "P", flag: "g", baseOn: true, desire: false, base: intp(2), entries: []int{3}, operators: []string{"dan"}},
			},
		},
		{
			name: "unknown base version",
			steps: []step{
				{change: &Change{Prefix: "ld:p:e", Flag: "f", Before: false, After: true, Source: SourceRelayCommander, Operator: "x"}, noOutcome: true},
				{change: ch("ann", "ld:p:e", "f", true, false, intp(8)), outcomes: written},
			},
			want: []want{{prefix: "ld:p:e", flag: "f", baseOn: false, desire: false, base: nil, entries: []int{0, 1}, noNet: true, operators: []string{"x", "ann"}}},
		},
		{
			name: "all hosts failed wrote nothing",
			steps: []step{
				{change: ch("ann", "P", "f", false, true, intp(4)), outcomes: allFail},
				{change: ch("bob", "P", "g", false, true, intp(4)), outcomes: allFail},
				{change: ch("bob", "P", "g", false, true, intp(4)), outcomes: written},
			},
			want: []want{{prefix: "P", flag: "g", baseOn: false, desire: true, base: intp(4), entries: []int{2}, operators: []string{"bob"}}},
		},
		{
			name: "a retry that succeeds makes a failed change count",
			steps: []step{
				{change: ch("ann", "P", "f", false, true, intp(4)), outcomes: allFail, retry: written[1:]},
			},
			want: []want{{prefix: "P", flag: "f", baseOn: false, desire: true, base: intp(4), entries: []int{0}, operators: []string{"ann"}}},
		},
		{
			name: "outcome unknown is pending",
			steps: []step{
				{change: ch("ann", "P", "f", false, true, intp(4)), noOutcome: true},
			},
			want: []want{{prefix: "P", flag: "f", baseOn: false, desire: true, base: intp(4), entries: []int{0}, operators: []string{"ann"}}},
		},
		{
			name: "applied closes; a later change starts afresh",
			steps: []step{
				{change: ch("ann", "P", "f", false, true, intp(4)), outcomes: written},
				{replay: &ReplayEvent{Kind: ReplayAttempted}, replayIDs: []int{0}},
				{replay: &ReplayEvent{Kind: ReplayApplied, LDVersion: 5}, replayIDs: []int{0}},
				{replay: &ReplayEvent{Kind: ReplayMismatch}, replayIDs: []int{0}},
				{change: ch("bob", "P", "f", true, false, intp(5)), outcomes: written},
			},
			want: []want{{prefix: "P", flag: "f", baseOn: true, desire: false, base: intp(5), entries: []int{1}, operators: []string{"bob"}}},
		},
		{
			name: "in-sync and discarded close, verified does not reopen",
			steps: []step{
				{change: ch("ann", "P", "f", false, true, intp(4)), outcomes: written},
				{change: ch("ann", "P", "g", false, true, intp(4)), outcomes: written},
				{replay: &ReplayEvent{Kind: ReplayInSync}, replayIDs: []int{0}},
				{replay: &ReplayEvent{Kind: ReplayDiscarded, By: "lead", Why: "superseded"}, replayIDs: []int{1}},
				{replay: &ReplayEvent{Kind: ReplayVerified}, replayIDs: []int{0, 1}},
			},
			want: nil,
		},
		{
			name: "conflict and failure leave it pending with the latest as Last",
			steps: []step{
				{change: ch("ann", "P", "f", false, true, intp(4)), outcomes: written},
				{replay: &ReplayEvent{Kind: ReplayConflict, LDVersion: 7}, replayIDs: []int{0}},
				{replay: &ReplayEvent{Kind: ReplayFailed, Error: "429"}, replayIDs: []int{0}},
			},
			want: []want{{prefix: "P", flag: "f", baseOn: false, desire: true, base: intp(4), entries: []int{0}, last: ReplayFailed, operators: []string{"ann"}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := openTemp(t)
			var ids []string
			at := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
			for i, s := range tc.steps {
				at = at.Add(time.Minute)
				switch {
				case s.change != nil:
					c := *s.change
					c.Time = at
					rec, err := j.Begin(c)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					ids = append(ids, rec.ID)
					if !s.noOutcome {
						if err := j.Complete(rec.ID, s.outcomes); err != nil {
							t.Fatal(err)
						}
					}
					if s.retry != nil {
						if err := j.Complete(rec.ID, s.retry); err != nil {
							t.Fatal(err)
						}
					}
				case s.replay != nil:
					e := *s.replay
					e.Time = at
					for _, k := range s.replayIDs {
						e.ChangeIDs = append(e.ChangeIDs, ids[k])
					}
					if err := j.RecordReplay(e); err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
				}
			}
			got, err := j.Pending()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d pending, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				p := got[i]
				if p.Prefix != w.prefix || p.Flag != w.flag || p.BaseOn != w.baseOn || p.Desired != w.desire || p.NoNetEffect() != w.noNet {
					t.Errorf("pending %d = %s %s base %v desired %v noNet %v, want %+v", i, p.Prefix, p.Flag, p.BaseOn, p.Desired, p.NoNetEffect(), w)
				}
				if fmt.Sprint(deref(p.BaseVersion)) != fmt.Sprint(deref(w.base)) {
					t.Errorf("pending %d base version %v, want %v", i, deref(p.BaseVersion), deref(w.base))
				}
				var wantIDs, ops []string
				for _, k := range w.entries {
					wantIDs = append(wantIDs, ids[k])
				}
				for _, e := range p.Entries {
					ops = append(ops, e.Operator)
				}
				if fmt.Sprint(p.ChangeIDs()) != fmt.Sprint(wantIDs) || fmt.Sprint(ops) != fmt.Sprint(w.operators) {
					t.Errorf("pending %d entries %v by %v, want %v by %v", i, p.ChangeIDs(), ops, wantIDs, w.operators)
				}
				switch {
				case w.last == "" && p.Last != nil:
					t.Errorf("pending %d Last = %+v, want none", i, p.Last)
				case w.last != "" && (p.Last == nil || p.Last.Kind != w.last):
					t.Errorf("pending %d Last = %+v, want %s", i, p.Last, w.last)
				}
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return "nil"
	}
	return *p
}

// A change whose every host failed is not pending but stays in History.
func TestFailedChangeStaysInHistory(t *testing.T) {
	j := openTemp(t)
	c, err := j.Begin(*ch("ann", "P", "f", false, true, intp(4)))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Complete(c.ID, allFail); err != nil {
		t.Fatal(err)
	}
	p, _ := j.Pending()
	entries, events, err := j.History("P", "f")
	if err != nil || len(p) != 0 || len(entries) != 1 || len(events) != 0 || entries[0].Outcomes[0].Error != "refused" {
		t.Fatalf("pending %+v history %+v %+v %v", p, entries, events, err)
	}
}
