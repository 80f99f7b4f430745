package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"relaycommander/flags"
	"relaycommander/flags/redistest"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/ldsync/ldfake"
)

// startFlowProxied is startFlow with every Redis host behind a redistest proxy (so that a
// test can hold replies back) and a store whose command timeout is timeout.
func startFlowProxied(t *testing.T, hosts int, timeout time.Duration, opts ...flowOpt) (*flow, []*redistest.Proxy) {
	t.Helper()
	const w, h = 120, 40
	f := &flow{t: t, drawn: make(chan struct{}, 1)}
	var hcs []flags.HostConfig
	var proxies []*redistest.Proxy
	for i := range hosts {
		s := redistest.StartWithFixture(t)
		if !s.Real() {
			t.Skip("needs a real redis-server behind the proxy")
		}
		p := redistest.StartProxy(t, s.Addr, 0)
		f.servers = append(f.servers, s)
		proxies = append(proxies, p)
		hcs = append(hcs, flags.HostConfig{Name: "relay-" + string(rune('a'+i)), Addr: p.Addr})
	}
	store, err := flags.Open(hcs, flags.Options{DialTimeout: 300 * time.Millisecond, CommandTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	jr, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jr.Close() })
	f.ld = ldfake.New()
	t.Cleanup(f.ld.Close)
	client, err := ldsync.NewClient(ldsync.ClientConfig{BaseURL: f.ld.URL(), Token: f.ld.Token(), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.store, f.jr = store, jr
	f.cfg = Config{
		Store: store, Journal: jr, LD: client, Operator: "alice",
		Refresh: 400 * time.Millisecond, AltScreen: true,
		RelayTTL: 30 * time.Second, Protected: []string{"production"},
	}
	for _, o := range opts {
		o(&f.cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := New(f.cfg, f.cfg.backends()).withContext(ctx)
	f.tm = teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go f.watch(f.tm.Output(), newVterm(w, h), stop, stopped)
	t.Cleanup(func() {
		f.tm.Quit()
		f.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		close(stop)
		<-stopped
	})
	f.waitFor("flags of the first environment", func(s string) bool { return strings.Contains(s, "beta-dashboard") })
	return f, proxies
}

// The reply to EXEC is lost on relay-b (held past the command timeout): the write landed, so
// the results screen says "outcome unknown", never FAILED, offers no retry, and shows what
// the journal read back; the change stays in the queue.
func TestFlowLostExecReplyIsUnknownNotFailed(t *testing.T) {
	f, proxies := startFlowProxied(t, 2, 300*time.Millisecond)
	const prefix, key = "ld:web-store:staging", "maintenance-banner"
	on0, v0 := f.redisFlag(1, prefix, key)
	f.selectEnv("web-store / staging")
	f.filterTo(key)
	proxies[1].HoldReply("exec", 900*time.Millisecond)
	f.toggleUnprotected("drill")
	fr := f.see("outcome unknown (read back: written v")
	if strings.Contains(fr, "FAILED") || strings.Contains(fr, "T retry") {
		t.Fatalf("a lost EXEC reply shown as failed or offered for retry:\n%s", fr)
	}
	proxies[1].HoldReply("exec", 0)
	if on, v := f.redisFlag(1, prefix, key); on == on0 || v != v0+1 {
		t.Fatalf("relay-b holds on=%v v%d; the held EXEC should have landed (v%d)", on, v, v0+1)
	}
	p := f.pending()
	if len(p) != 1 || p[0].Flag != key || p[0].Desired == on0 {
		t.Fatalf("the change must stay pending with its state: %+v", p)
	}
	// relay-b's write reported unknown; the journal read it back and recorded it written
	for _, o := range p[0].Entries[0].Outcomes {
		if o.Outcome != "written" || o.Reconciled != (o.Host == "relay-b") {
			t.Fatalf("outcome %+v: want written, read back (reconciled) on relay-b only", o)
		}
	}
	f.keys("esc", "2")
	f.see("2/2 written")
}

// An intent whose writer is gone, written to Redis but without outcome: the sync screen's
// plan reads it back first (PlanAll) and says so, then plans it ready.
func TestFlowPlanSettlesInterruptedChangeFirst(t *testing.T) {
	f, _ := startFlowProxied(t, 2, time.Second, func(c *Config) { c.Refresh = 0 }) // only the plan settles
	const prefix, key = "ld:web-store:staging", "maintenance-banner"
	on, version := f.redisFlag(0, prefix, key)
	if _, err := f.jr.Begin(journal.Change{Time: time.Now().Add(-2 * time.Minute), Operator: "ann",
		Prefix: prefix, Project: "web-store", Environment: "staging", Flag: key, Before: on, After: !on, BaseVersion: &version}); err != nil {
		t.Fatal(err)
	}
	if r := f.store.Toggle(context.Background(), prefix, key, !on); len(r.FailedHosts()) > 0 {
		t.Fatalf("setup write: %+v", r)
	}
	f.keys("3")
	fr := f.see("read back from Redis first: 1 interrupted change: " + key + " (written on relay-a, relay-b)")
	if !strings.Contains(fr, "> READY") || strings.Contains(fr, "outcome unknown") {
		t.Fatalf("settled change still planned as unknown:\n%s", fr)
	}
}

// Read-only: the plan does not settle (nothing is recorded) and says a writable session will.
func TestFlowReadOnlyPlanDoesNotSettle(t *testing.T) {
	f, _ := startFlowProxied(t, 2, time.Second, func(c *Config) { c.Refresh = 0; c.ReadOnly = true })
	const prefix, key = "ld:web-store:staging", "maintenance-banner"
	on, version := f.redisFlag(0, prefix, key)
	if _, err := f.jr.Begin(journal.Change{Time: time.Now().Add(-2 * time.Minute), Operator: "ann",
		Prefix: prefix, Project: "web-store", Environment: "staging", Flag: key, Before: on, After: !on, BaseVersion: &version}); err != nil {
		t.Fatal(err)
	}
	f.keys("3")
	f.see("read-only: 1 interrupted change not read back from Redis (a writable session settles them)")
	if p := f.pending(); len(p) != 1 || p[0].Entries[0].OutcomeKnown {
		t.Fatalf("read-only recorded an outcome: %+v", p)
	}
}
