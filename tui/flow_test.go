package tui

import (
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/redis/go-redis/v9"

	"relaycommander/flags"
	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/ldsync/ldfake"
)

// flow is the whole program under teatest against real redis-servers, a real journal and the
// fake LaunchDarkly API.
type flow struct {
	t       *testing.T
	tm      *teatest.TestModel
	servers []*redistest.Server
	store   *flags.Store
	jr      *journal.Journal
	ld      *ldfake.Server
	cfg     Config

	mu    sync.Mutex
	frame string
	seen  []string
	drawn chan struct{} // a new screen is in seen
}

type flowOpt func(*Config)

func startFlow(t *testing.T, hosts int, opts ...flowOpt) *flow {
	t.Helper()
	return startFlowSized(t, hosts, 120, 40, opts...)
}

// startFlowSized runs the program in a terminal of w by h.
func startFlowSized(t *testing.T, hosts, w, h int, opts ...flowOpt) *flow {
	t.Helper()
	f := &flow{t: t, drawn: make(chan struct{}, 1)}
	var hcs []flags.HostConfig
	for i := range hosts {
		s := redistest.StartWithFixture(t)
		f.servers = append(f.servers, s)
		hcs = append(hcs, flags.HostConfig{Name: "relay-" + string(rune('a'+i)), Addr: s.Addr})
	}
	store, err := flags.Open(hcs, flags.Options{DialTimeout: 300 * time.Millisecond, CommandTimeout: time.Second})
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
		Refresh: 400 * time.Millisecond, AltScreen: true, // real clock: countdowns run
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
	return f
}

// watch reads what the program writes to the terminal and keeps the screens it draws, as
// an emulated terminal shows them after each update.
func (f *flow) watch(out io.Reader, vt *vterm, stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	buf := make([]byte, 1<<20)
	for {
		n, err := out.Read(buf)
		if n > 0 {
			vt.write(buf[:n])
			s := vt.screen()
			f.mu.Lock()
			f.frame = s
			f.seen = append(f.seen, s)
			if len(f.seen) > 200 {
				f.seen = f.seen[100:]
			}
			f.mu.Unlock()
			select {
			case f.drawn <- struct{}{}:
			default:
			}
		}
		if n == 0 || err != nil {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond): // poll: the output has no wake-up
			}
		}
	}
}

func (f *flow) current() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frame
}

// waitFor waits until a drawn frame satisfies cond.
func (f *flow) waitFor(what string, cond func(string) bool) string {
	f.t.Helper()
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		for i, s := range f.seen {
			if cond(s) {
				f.seen = f.seen[i+1:]
				f.mu.Unlock()
				return s
			}
		}
		f.seen = f.seen[:0]
		f.mu.Unlock()
		select {
		case <-f.drawn:
			continue
		case <-deadline.C:
		}
		break
	}
	f.t.Fatalf("waiting for %s; last frame:\n%s", what, f.current())
	return ""
}

func (f *flow) see(s string) string {
	f.t.Helper()
	return f.waitFor(s, func(fr string) bool { return strings.Contains(fr, s) })
}

func (f *flow) keys(keys ...string) {
	for _, k := range keys {
		f.tm.Send(keyMsg(k))
	}
}

func (f *flow) typ(s string) { f.tm.Type(s) }

// selectEnv moves the environments cursor to a title such as "web-store / production".
func (f *flow) selectEnv(title string) {
	f.t.Helper()
	f.keys("tab", "g")
	f.waitFor("environments pane focused", func(s string) bool { return strings.Contains(s, "┏━ Environments") })
	for range 15 {
		cur := f.waitFor("flags loaded", func(s string) bool { return !strings.Contains(s, "reading flags") })
		cur = f.current()
		prev := firstBoxTitle(cur)
		if strings.Contains(prev, title) {
			f.keys("tab")
			f.waitFor("flags pane focused", func(s string) bool { return strings.Contains(s, "┃> ") && strings.Contains(firstBoxTitle(s), title) })
			return
		}
		f.keys("down")
		f.waitFor("next environment", func(s string) bool { return firstBoxTitle(s) != prev })
	}
	f.t.Fatalf("environment %s not found:\n%s", title, f.current())
}

func firstBoxTitle(fr string) string {
	for _, l := range strings.Split(fr, "\n") {
		if strings.Contains(l, "flags ━") || strings.Contains(l, "flags ─") {
			return l
		}
	}
	return ""
}

// filterTo puts the flag cursor on one flag by filtering to its key.
func (f *flow) filterTo(key string) {
	f.t.Helper()
	f.keys("/")
	f.typ(key)
	f.keys("enter")
	f.see("> " + key)
}

// redisFlag reads a flag's on and version straight from one server.
func (f *flow) redisFlag(i int, prefix, key string) (on bool, version int) {
	f.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: f.servers[i].Addr})
	defer c.Close()
	raw, err := c.HGet(context.Background(), prefix+":features", key).Result()
	if err != nil {
		f.t.Fatalf("read %s %s on server %d: %v", prefix, key, i, err)
	}
	var v struct {
		On      bool `json:"on"`
		Version int  `json:"version"`
	}
	if err := jsonUnmarshal(raw, &v); err != nil {
		f.t.Fatal(err)
	}
	return v.On, v.Version
}

// relayResync does what Relay does when it reconnects: rewrite every host from LaunchDarkly's
// (older) state, here the fixture, undoing manual edits.
func (f *flow) relayResync() {
	f.t.Helper()
	for _, s := range f.servers {
		c := redis.NewClient(&redis.Options{Addr: s.Addr})
		if err := fixture.Load().WriteTo(context.Background(), c); err != nil {
			f.t.Fatal(err)
		}
		c.Close()
	}
}

func (f *flow) pending() []journal.Pending {
	f.t.Helper()
	p, err := f.jr.Pending()
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// toggleUnprotected toggles the flag under the cursor in an unprotected environment.
func (f *flow) toggleUnprotected(reason string) {
	f.keys("space")
	f.see("> reason")
	f.typ(reason)
	f.keys("tab", "y", "enter")
}

// toggleProtected toggles the flag under the cursor, typing its key.
func (f *flow) toggleProtected(key, reason string) {
	f.keys("space")
	f.see("type the key")
	f.typ(reason)
	f.keys("tab")
	f.typ(key)
	f.keys("tab", "y", "enter")
}

func TestFlowBrowseFilterToggleTyped(t *testing.T) {
	f := startFlow(t, 3)
	f.see("relay-a up")
	f.see("LaunchDarkly: reachable")
	f.see("! $inited missing on relay-a, relay-b, relay-c")
	f.selectEnv("web-store / production")
	_, v0 := f.redisFlag(0, "ld:web-store:production", "kill-switch-checkout")
	f.filterTo("kill-switch-checkout")
	f.see("filter /kill-switch-checkout   1 of 10 match")
	f.toggleProtected("kill-switch-checkout", "payment provider outage")
	f.see("3 of 3 hosts have it")
	fr := f.see("Reaches Relay within its localTtl (30s)")
	if strings.Count(fr, "written") < 3 {
		t.Fatalf("three hosts should say written:\n%s", fr)
	}
	for i := range 3 {
		on, v := f.redisFlag(i, "ld:web-store:production", "kill-switch-checkout")
		if on || v != v0+1 {
			t.Fatalf("server %d holds on=%v v%d, want OFF v%d", i, on, v, v0+1)
		}
	}
	p := f.pending()
	if len(p) != 1 || p[0].Flag != "kill-switch-checkout" || p[0].Desired || !p[0].BaseOn || p[0].BaseVersion == nil || *p[0].BaseVersion != v0 {
		t.Fatalf("journal pending %+v", p)
	}
	if e := p[0].Entries[0]; e.Reason != "payment provider outage" || e.Operator != "alice" {
		t.Fatalf("entry %+v", e)
	}
	// back on the flags: the pending mark and the new state, cursor and filter kept across refreshes
	f.keys("esc")
	f.see("pending OFF (was ON v")
	f.see("filter /kill-switch-checkout")
	// details: every host's state, the dependants, the raw JSON as stored
	f.keys("enter")
	fr = f.see("raw JSON on relay-a")
	for _, s := range []string{"dependants (flags that require this one): checkout-flow", `"key": "kill-switch-checkout"`, `"on": false`, "pending: ON -> OFF"} {
		if !strings.Contains(fr, s) {
			t.Fatalf("details lack %q:\n%s", s, fr)
		}
	}
	if strings.Count(fr, " OFF ") < 3 {
		t.Fatalf("details should show OFF on three hosts:\n%s", fr)
	}
	f.keys("esc")
	f.see("[1 Flags]")
}

func TestFlowOneHostDownAndRetry(t *testing.T) {
	f := startFlowSized(t, 3, 80, 24)
	f.selectEnv("web-store / staging")
	f.servers[2].Stop()
	f.keys("r")
	f.see("DOWN: relay-c") // at 80 columns the header shortens to the hosts that are down
	f.filterTo("checkout-flow")
	f.toggleUnprotected("")
	fr := f.see("2 of 3 hosts have it")
	if !strings.Contains(fr, "FAILED") || !strings.Contains(fr, "T retry the failed hosts (relay-c)") {
		t.Fatalf("results:\n%s", fr)
	}
	on, _ := f.redisFlag(0, "ld:web-store:staging", "checkout-flow")
	if on {
		t.Fatal("relay-a not written")
	}
	// the host comes back (empty, as Relay would refill it) and the retry writes it
	f.servers[2].Restart()
	f.servers[2].LoadFixture()
	f.keys("T")
	f.see("3 of 3 hosts have it")
	if on, _ := f.redisFlag(2, "ld:web-store:staging", "checkout-flow"); on {
		t.Fatal("retry did not write relay-c")
	}
}

// A change whose writer died between the intent and the outcome is settled from Redis by the
// next refresh, and the queue no longer calls its outcome unknown.
func TestFlowReconcilesInterruptedChange(t *testing.T) {
	f := startFlow(t, 2)
	const prefix, key = "ld:payments:staging", "maintenance-banner"
	on := fixtureOn(t, prefix, key)
	_, version := f.redisFlag(0, prefix, key)
	// What a crashed writer leaves: an old intent, Redis written, no outcome recorded.
	c, err := f.jr.Begin(journal.Change{Time: time.Now().Add(-2 * time.Minute), Operator: "ann",
		Prefix: prefix, Project: "payments", Environment: "staging", Flag: key, Before: on, After: !on, BaseVersion: &version})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.store.Toggle(context.Background(), prefix, key, !on); len(r.FailedHosts()) > 0 {
		t.Fatalf("setup write: %+v", r)
	}
	f.keys("r")
	f.see("read back from Redis: " + key)
	p := f.pending()
	if len(p) != 1 || p[0].Entries[0].ID != c.ID || !p[0].Entries[0].OutcomeKnown {
		t.Fatalf("pending after reconcile: %+v", p)
	}
	for _, o := range p[0].Entries[0].Outcomes {
		if o.Outcome != "written" || !o.Reconciled {
			t.Errorf("outcome %+v, want written and reconciled", o)
		}
	}
}

func TestFlowQueueReviewAndDiscard(t *testing.T) {
	f := startFlowSized(t, 2, 80, 24)
	f.selectEnv("web-store / staging")
	f.filterTo("maintenance-banner")
	f.toggleUnprotected("banner for maintenance")
	f.see("2 of 2 hosts have it")
	f.keys("esc", "esc") // back to the flags, then clear the filter
	f.filterTo("legacy-export")
	f.toggleUnprotected("export is broken")
	f.see("2 of 2 hosts have it")
	f.keys("2")
	fr := f.see("Queue: 2 pending changes")
	if !strings.Contains(fr, "> maintenance-banner") || !strings.Contains(fr, "  legacy-export") || !strings.Contains(fr, "maintenance-banner web-store / staging") {
		t.Fatalf("queue:\n%s", fr)
	}
	f.see(`"banner for maintenance"`)
	f.keys("enter")
	f.see("History of maintenance-banner")
	f.keys("esc", "d")
	f.see("Discard the pending change of maintenance-banner?")
	f.typ("changed my mind")
	f.keys("tab", "space", "tab", "y", "enter")
	f.see("discarded maintenance-banner and restored its base state in Redis")
	f.see("Queue (")
	var pendingFlags []string
	for _, p := range f.pending() {
		pendingFlags = append(pendingFlags, p.Flag)
	}
	if strings.Join(pendingFlags, ",") != "legacy-export" {
		t.Fatalf("pending with an effect after discard: %v", pendingFlags)
	}
	on, _ := f.redisFlag(0, "ld:web-store:staging", "maintenance-banner")
	base := fixtureOn(t, "ld:web-store:staging", "maintenance-banner")
	if on != base {
		t.Fatalf("restore left on=%v, base was %v", on, base)
	}
}

func fixtureOn(t *testing.T, prefix, key string) bool {
	var v struct {
		On bool `json:"on"`
	}
	if err := jsonUnmarshal(fixture.Load()[prefix].Features[key], &v); err != nil {
		t.Fatal(err)
	}
	return v.On
}

func TestFlowRecoveryAlertAndReplay(t *testing.T) {
	f := startFlow(t, 2)
	f.selectEnv("web-store / production")
	f.filterTo("kill-switch-checkout")
	f.toggleProtected("kill-switch-checkout", "outage")
	f.see("2 of 2 hosts have it")
	f.keys("esc")
	// Relay reconnects to LaunchDarkly and re-syncs: the kill switch is back on
	f.relayResync()
	f.see("Relay re-sync undid 1 change: production/kill-switch-checkout")
	f.keys("2")
	f.see("R replay now") // on every screen
	f.keys("R")
	f.see("Sync to LaunchDarkly")
	f.see("enter replays") // R asks first
	if n := f.ld.PatchCount(); n != 0 {
		t.Fatalf("R sent %d patch(es) before enter", n)
	}
	f.keys("enter")
	f.see("VERIFIED")
	f.see("verification: 1 verified, 0 mismatched")
	on, _, ok := f.ld.FlagState("web-store", "production", "kill-switch-checkout")
	if !ok || on {
		t.Fatalf("LaunchDarkly has on=%v ok=%v after the replay", on, ok)
	}
	if n := len(f.pending()); n != 0 {
		t.Fatalf("%d pending after the replay", n)
	}
}

func TestFlowReplayRateLimitConflictAndCancel(t *testing.T) {
	f := startFlow(t, 2)
	f.selectEnv("payments / staging")
	for _, k := range []string{"beta-dashboard", "enable-new-pricing", "rate-limits", "use-fallback-cdn"} {
		f.keys("esc")
		f.filterTo(k)
		f.toggleUnprotected("drill")
		f.see("2 of 2 hosts have it")
		f.keys("esc")
	}
	// someone changes one of them in LaunchDarkly meanwhile: a conflict
	f.ld.ChangeBehindBack("payments", "staging", "rate-limits", true)
	f.ld.SetRouteLimit(1, 1500*time.Millisecond)
	f.keys("3")
	fr := f.see("1 conflict")
	if !strings.Contains(fr, "3 ready") {
		t.Fatalf("plan:\n%s", fr)
	}
	// decide the conflict: skip it
	f.keys("g")
	cur := cursorLine(f.waitFor("cursor on the first item", func(s string) bool { return strings.Contains(cursorLine(s), "beta-dashboard") }))
	for range 4 {
		if strings.Contains(cur, "CONFLICT") {
			break
		}
		f.keys("down")
		prev := cur
		cur = cursorLine(f.waitFor("cursor on the next item", func(s string) bool { return cursorLine(s) != prev }))
	}
	if !strings.Contains(cur, "CONFLICT") {
		t.Fatalf("no conflict in the plan:\n%s", f.current())
	}
	f.keys("s")
	f.see("left pending for later")
	f.keys("enter")
	// The countdown line ("waiting 1s: rate limit (route)…") is drawn only until the replay
	// verifies an applied item while it waits, too briefly to wait for in the output; the bar
	// part-way, and the patches' times, show the replay waiting out the limit.
	fr = f.waitFor("the bar part-way with an item done", func(s string) bool {
		return regexp.MustCompile(`\[#+\.+\] [12]/3 done`).MatchString(s)
	})
	if !strings.Contains(fr, "VERIFIED") && !strings.Contains(fr, "APPLIED") {
		t.Fatalf("no item done part-way:\n%s", fr)
	}
	f.see("verification: 3 verified, 0 mismatched")
	patches := f.ld.Patches()
	if len(patches) != 3 {
		t.Fatalf("%d patches, want 3", len(patches))
	}
	for i := 1; i < len(patches); i++ {
		if gap := patches[i].Time.Sub(patches[i-1].Time); gap < 1400*time.Millisecond {
			t.Fatalf("patch %d came %s after the previous one: the route limit (1 per 1.5s) was not waited out", i, gap)
		}
	}
	for _, k := range []string{"beta-dashboard", "enable-new-pricing", "use-fallback-cdn"} {
		on, _, _ := f.ld.FlagState("payments", "staging", k)
		if on == fixtureOn(t, "ld:payments:staging", k) {
			t.Fatalf("%s not replayed", k)
		}
	}
	if on, _, _ := f.ld.FlagState("payments", "staging", "rate-limits"); !on {
		t.Fatal("the skipped conflict was overwritten")
	}
	p := f.pending()
	if len(p) != 1 || p[0].Flag != "rate-limits" {
		t.Fatalf("pending after the replay: %+v", p)
	}
	// plan again: the conflict is still there; force it this time
	f.keys("p")
	f.waitFor("the new plan", func(s string) bool {
		return strings.Contains(s, "0 ready") && strings.Contains(s, "1 conflict") && strings.Contains(cursorLine(s), "CONFLICT")
	})
	f.keys("f")
	f.see("will overwrite LaunchDarkly's newer change")
	f.keys("enter")
	f.see("verification: 1 verified, 0 mismatched")
	if on, _, _ := f.ld.FlagState("payments", "staging", "rate-limits"); on != !fixtureOn(t, "ld:payments:staging", "rate-limits") {
		t.Fatal("the forced conflict was not replayed")
	}
	if n := len(f.pending()); n != 0 {
		t.Fatalf("%d pending after forcing", n)
	}
	// now force it, slowly, and cancel before the end: nothing else is lost
	f.selectEnv2("payments / test")
	for _, k := range []string{"beta-dashboard", "legacy-export"} {
		f.keys("esc")
		f.filterTo(k)
		f.toggleUnprotected("")
		f.see("2 of 2 hosts have it")
		f.keys("esc")
	}
	f.ld.SetRouteLimit(0, 0)
	f.ld.SetLatency(700 * time.Millisecond)
	f.keys("3", "p")
	f.see("plan: 2 ready")
	f.keys("enter")
	f.see("sending ")
	f.keys("esc")
	f.see("cancelled: the rest stays pending")
	if n := len(f.pending()); n < 2 {
		t.Fatalf("cancel lost pending changes: %d left", n)
	}
}

func (f *flow) selectEnv2(title string) {
	f.keys("1")
	f.see("[1 Flags]")
	f.keys("esc")
	f.selectEnv(title)
}

func cursorLine(fr string) string {
	for _, l := range strings.Split(fr, "\n") {
		if strings.Contains(l, "┃> ") {
			return l
		}
	}
	return ""
}

func TestFlowReadOnlyCannotWrite(t *testing.T) {
	f := startFlow(t, 2, func(c *Config) { c.ReadOnly = true })
	f.see("READ-ONLY")
	before := dumpRedis(t, f.servers)
	f.selectEnv("web-store / staging")
	f.filterTo("checkout-flow")
	f.keys("space", "t", "enter", "esc", "space", "tab", "y", "enter")
	f.typ("checkout-flow")
	f.keys("enter", "2", "d", "y", "enter", "3")
	f.see("read-only: plan only")
	f.keys("enter", "a", "f", "R")
	f.keys("?")
	fr := f.see("Keys of this screen")
	if strings.Contains(fr, "toggle") || strings.Contains(fr, "replay ready") {
		t.Fatalf("read-only help offers a write:\n%s", fr)
	}
	f.keys("esc", "1", "r")
	f.see("[1 Flags]")
	if after := dumpRedis(t, f.servers); after != before {
		t.Fatal("read-only mode changed Redis")
	}
	if n := len(f.pending()); n != 0 {
		t.Fatalf("read-only mode recorded %d changes", n)
	}
	if n := f.ld.PatchCount(); n != 0 {
		t.Fatalf("read-only mode patched LaunchDarkly %d times", n)
	}
}

func dumpRedis(t *testing.T, servers []*redistest.Server) string {
	var b strings.Builder
	for _, s := range servers {
		c := redis.NewClient(&redis.Options{Addr: s.Addr})
		for _, p := range fixture.Load().Prefixes() {
			m, err := c.HGetAll(context.Background(), p+":features").Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range sortedKeys(m) {
				b.WriteString(p + " " + k + " " + m[k] + "\n")
			}
		}
		c.Close()
	}
	return b.String()
}
