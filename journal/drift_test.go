package journal

import (
	"context"
	"slices"
	"strings"
	"testing"

	"relaycommander/flags"
	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
)

// toggleRecorded records and writes one change through the real store, as the faces do.
func toggleRecorded(t *testing.T, j *Journal, store Toggler, prefix, flag string, before, after bool, base int) flags.ToggleResult {
	t.Helper()
	_, res, err := j.Toggle(context.Background(), store, Change{Operator: "alice", Prefix: prefix, Project: "web-store",
		Environment: strings.TrimPrefix(prefix, "ld:web-store:"), Flag: flag, Before: before, After: after, BaseVersion: intp(base)})
	if err != nil {
		t.Fatalf("Toggle %s %s: %v", prefix, flag, err)
	}
	return res
}

// resync writes LaunchDarkly's (the fixture's) state of a flag back, as Relay's re-sync does.
func resync(t *testing.T, srv *redistest.Server, prefix, flag string) {
	t.Helper()
	if err := srv.Client().HSet(context.Background(), prefix+":features", flag, fixture.Load()[prefix].Features[flag]).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestDrift(t *testing.T) {
	store, a, b := twoHostStore(t)
	j := openTemp(t)
	ctx := context.Background()
	const prod, staging = "ld:web-store:production", "ld:web-store:staging"

	toggleRecorded(t, j, store, prod, "kill-switch-checkout", true, false, 3) // killed on both hosts
	toggleRecorded(t, j, store, staging, "kill-switch-checkout", false, true, 4)
	toggleRecorded(t, j, store, prod, "rate-limits", true, false, 7)
	toggleRecorded(t, j, store, staging, "checkout-flow", true, false, 41)
	pending, err := j.Pending()
	if err != nil || len(pending) != 4 {
		t.Fatalf("Pending = %d, %v", len(pending), err)
	}

	undone, err := Drift(ctx, store, pending)
	if err != nil || len(undone) != 0 {
		t.Fatalf("before any re-sync: %+v, %v", undone, err)
	}

	// Relay re-syncs relay b from LaunchDarkly: both kill switches come back there.
	resync(t, b, prod, "kill-switch-checkout")
	resync(t, b, staging, "kill-switch-checkout")
	// rate-limits vanishes from host a: that says nothing about the change.
	if err := a.Client().HDel(ctx, prod+":features", "rate-limits").Err(); err != nil {
		t.Fatal(err)
	}
	for _, srv := range []*redistest.Server{a, b} {
		if err := srv.Client().ConfigResetStat(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	undone, err = Drift(ctx, store, pending)
	if err != nil {
		t.Fatal(err)
	}
	for _, srv := range []*redistest.Server{a, b} {
		if calls := redistest.CommandCalls(t, srv.Client()); calls["hmget"] != 2 || calls["hgetall"] != 0 {
			t.Errorf("%s: %d HMGET, %d HGETALL; want one HMGET per prefix and no whole-prefix read", srv.Addr, calls["hmget"], calls["hgetall"])
		}
	}
	if len(undone) != 2 {
		t.Fatalf("undone = %+v, want the two kill switches", undone)
	}
	for _, u := range undone {
		if u.Flag != "kill-switch-checkout" || !slices.Equal(u.HostNames(), []string{"b"}) || u.Project != "web-store" {
			t.Errorf("undone %+v", u)
		}
	}
	p0 := undone[0]
	if p0.Prefix != prod || p0.Desired || p0.Environment != "production" || *p0.BaseVersion != 3 ||
		p0.Hosts[0] != (UndoneHost{Host: "b", On: true, Version: 3}) {
		t.Errorf("production kill switch: %+v %+v", p0, p0.Hosts)
	}
	if p1 := undone[1]; p1.Prefix != staging || !p1.Desired || p1.Hosts[0] != (UndoneHost{Host: "b", On: false, Version: 4}) {
		t.Errorf("staging kill switch: %+v %+v", p1, p1.Hosts)
	}

	// Host b down: its state is unknown, nothing is reported undone from it.
	b.Stop()
	undone, err = Drift(ctx, store, pending)
	if err != nil || len(undone) != 0 {
		t.Errorf("with b down: %+v, %v", undone, err)
	}
	a.Stop()
	if _, err := Drift(ctx, store, pending); err == nil || !strings.Contains(err.Error(), "no Redis host answered") {
		t.Errorf("with every host down: %v", err)
	}
}

func TestDriftCountsOnlyHostsThatTookTheWrite(t *testing.T) {
	store, _, b := twoHostStore(t)
	j := openTemp(t)
	const prod = "ld:web-store:production"
	b.Stop()
	res := toggleRecorded(t, j, store, prod, "kill-switch-checkout", true, false, 3)
	if got := res.FailedHosts(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("failed hosts %v, want b", got)
	}
	b.Restart()
	b.LoadFixture() // b never took the write and holds ON: not an undo
	pending, err := j.Pending()
	if err != nil {
		t.Fatal(err)
	}
	if got := pending[0].WrittenHosts(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("WrittenHosts = %v", got)
	}
	undone, err := Drift(context.Background(), store, pending)
	if err != nil || len(undone) != 0 {
		t.Errorf("Drift = %+v, %v; want nothing undone", undone, err)
	}
}

func TestDriftWithNothingWritten(t *testing.T) {
	// An imported change has no outcomes: nothing to compare, and Redis is not read.
	p := Pending{Prefix: "ld:x:y", Flag: "f", Entries: []Entry{{Change: Change{Source: SourceRelayCommander}, OutcomeKnown: true}}}
	undone, err := Drift(context.Background(), nil, []Pending{p})
	if err != nil || undone != nil {
		t.Errorf("Drift = %+v, %v", undone, err)
	}
	if hs := p.WrittenHosts(); hs == nil || len(hs) != 0 {
		t.Errorf("WrittenHosts of an import = %#v, want empty", hs)
	}
	if hs := (Pending{Entries: []Entry{{}}}).WrittenHosts(); hs != nil {
		t.Errorf("WrittenHosts with no outcome known = %#v, want nil", hs)
	}
}
