package flags

import (
	"context"
	"testing"
	"time"

	"relaycommander/flags/redistest"
)

// The reply to EXEC is held longer than the command timeout on both hosts: Redis executed the
// write, the client saw a timeout. That is an unknown outcome, never a failure.
func TestToggleLostEXECReplyIsUnknown(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	pa := redistest.StartProxy(t, a.Addr, 0)
	pb := redistest.StartProxy(t, b.Addr, 0)
	s := openAddrs(t, Options{CommandTimeout: 200 * time.Millisecond}, pa.Addr, pb.Addr)
	ctx := context.Background()
	const prefix, key = "ld:web-store:production", "kill-switch-checkout" // ON v3 in the fixture
	pa.HoldReply("exec", 400*time.Millisecond)
	pb.HoldReply("exec", 400*time.Millisecond)

	res := s.Toggle(ctx, prefix, key, false)
	for _, h := range res.Hosts {
		if h.Outcome != Unknown || h.Err == nil || h.OldVersion != 3 || h.NewVersion != 4 {
			t.Errorf("host %s: %+v, want outcome unknown with old v3, new v4 and the error", h.Host, h)
		}
	}
	if got := res.UnknownHosts(); len(got) != 2 {
		t.Errorf("UnknownHosts = %v, want both", got)
	}
	if got := res.FailedHosts(); len(got) != 0 {
		t.Errorf("FailedHosts = %v, want none: nothing is known to have failed", got)
	}
	for _, srv := range []*redistest.Server{a, b} {
		f := hostFlag("direct", srv.Client().HGet(ctx, prefix+featuresSuffix, key).Val())
		if f.On || f.Version != 4 {
			t.Errorf("%s holds on=%t v%d, want the write to have landed (off v4)", srv.Addr, f.On, f.Version)
		}
	}
}
