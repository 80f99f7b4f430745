package journal

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"relaycommander/flags"
	"relaycommander/flags/redistest"
)

// writerStore is one writer's view of the hosts "a" and "b", each through a proxy adding its
// own latency.
func writerStore(t *testing.T, latency time.Duration, servers ...*redistest.Server) *flags.Store {
	t.Helper()
	var hc []flags.HostConfig
	for i, srv := range servers {
		px := redistest.StartProxy(t, srv.Addr, latency)
		hc = append(hc, flags.HostConfig{Name: string(rune('a' + i)), Addr: px.Addr})
	}
	s, err := flags.Open(hc, flags.Options{MaxWatchRetries: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// toggleAsShown toggles the flag from the state the writer reads first, as an operator does.
func toggleAsShown(ctx context.Context, t *testing.T, j *Journal, s *flags.Store, operator string, on bool) {
	f, err := s.Flag(ctx, settlePrefix, settleFlag)
	if err != nil {
		t.Errorf("%s: read: %v", operator, err)
		return
	}
	cur, _ := f.Primary()
	if _, _, err := j.Toggle(ctx, s, Change{Operator: operator, Prefix: settlePrefix, Flag: settleFlag,
		Before: cur.On, After: on, BaseVersion: intp(cur.Version)}); err != nil {
		t.Errorf("%s: toggle: %v", operator, err)
	}
}

// assertQueueMatchesRedis checks that the journal's net state of the flag is what each host
// that received one of its writes holds (a host every write failed on holds none of them).
func assertQueueMatchesRedis(ctx context.Context, t *testing.T, dir string, servers ...*redistest.Server) {
	t.Helper()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ps, err := j.Pending()
	if err != nil || len(ps) > 1 {
		t.Fatalf("pending = %+v, %v; want at most the one flag", ps, err)
	}
	if len(ps) == 0 {
		// Nothing pending (a writer killed before its first write): Redis holds the fixture's ON v3.
		for i, srv := range servers {
			f := readFlag(ctx, t, srv)
			if !f.On || f.Version != 3 {
				t.Errorf("nothing is pending, but host %c holds on=%t v%d, not the fixture's ON v3", 'a'+i, f.On, f.Version)
			}
		}
		return
	}
	p := ps[0]
	if p.Interrupted() {
		t.Fatalf("pending is unsettled after every writer finished: %+v", p)
	}
	if len(p.Hosts) == 0 {
		t.Fatalf("no host received a write: %+v", p)
	}
	held := map[string]bool{}
	for i, srv := range servers {
		name := string(rune('a' + i))
		f := readFlag(ctx, t, srv)
		for _, h := range p.Hosts {
			if h.Host != name {
				continue
			}
			held[name] = f.On
			if h.On != f.On || h.Version != f.Version {
				t.Errorf("host %s holds on=%t v%d; the queue says its latest write is on=%t v%d (change %s)",
					name, f.On, f.Version, h.On, h.Version, h.ChangeID)
			}
		}
	}
	agree := true
	for _, on := range held {
		agree = agree && on == held[p.Hosts[0].Host]
	}
	switch {
	case agree && (p.Disagreement != "" || p.Desired != held[p.Hosts[0].Host]):
		t.Errorf("Redis holds on=%t on every host written; the queue wants on=%t (disagreement %q)", held[p.Hosts[0].Host], p.Desired, p.Disagreement)
	case !agree && p.Disagreement == "":
		t.Errorf("the hosts hold %v, but the queue does not say they disagree", held)
	}
}

// storedFlag is what a host holds of the test flag.
type storedFlag struct {
	On      bool `json:"on"`
	Version int  `json:"version"`
}

func readFlag(ctx context.Context, t *testing.T, srv *redistest.Server) storedFlag {
	t.Helper()
	var f storedFlag
	raw := srv.Client().HGet(ctx, settlePrefix+":features", settleFlag).Val()
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// Defect 2: A, on a 150 ms link, sets the flag off; while its transaction is in flight B sets
// it off and then on. A's write lands last: the queue must want what Redis holds, not what
// the latest intent asked.
func TestNetStateFollowsTheWriteThatLandedLast(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	ja, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ja.Close()
	jb, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer jb.Close()
	slow := writerStore(t, 150*time.Millisecond, a, b)
	fast := writerStore(t, 0, a, b)

	// A's intent is recorded first, from the state it was shown (ON v3).
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, _, err := ja.Toggle(ctx, slow, Change{Operator: "a", Prefix: settlePrefix, Flag: settleFlag,
			Before: true, After: false, BaseVersion: intp(3)}); err != nil {
			t.Errorf("A: %v", err)
		}
	}()
	toggleAsShown(ctx, t, jb, fast, "b", false)
	toggleAsShown(ctx, t, jb, fast, "b", true)
	<-done

	assertQueueMatchesRedis(ctx, t, dir, a, b)
}

// Two or three writers, each its own *Journal on one directory (as separate processes), on
// links of different latency, toggle one flag at random: afterwards the queue's net state is
// what Redis holds on every host. Bounded: a fixed number of runs and toggles, and a deadline.
func TestRandomWritersQueueMatchesRedis(t *testing.T) {
	const runs, toggles = 4, 6
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	latencies := []time.Duration{0, 20 * time.Millisecond, 70 * time.Millisecond}
	stores := make([]*flags.Store, len(latencies))
	for i, l := range latencies {
		stores[i] = writerStore(t, l, a, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for run := 0; run < runs && ctx.Err() == nil; run++ {
		a.LoadFixture()
		b.LoadFixture()
		dir := t.TempDir()
		writers := 2 + run%2
		plans := make([][]bool, writers)
		for w := range plans {
			for range toggles {
				plans[w] = append(plans[w], rng.IntN(2) == 1)
			}
		}
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			j, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				defer j.Close()
				for _, on := range plans[w] {
					if ctx.Err() != nil {
						return
					}
					toggleAsShown(ctx, t, j, stores[w], string(rune('p'+w)), on)
				}
			})
		}
		wg.Wait()
		if ctx.Err() != nil {
			t.Fatalf("run %d: not finished within the deadline", run)
		}
		assertQueueMatchesRedis(ctx, t, dir, a, b)
		if t.Failed() {
			t.Fatalf("run %d failed (seed %d)", run, seed)
		}
	}
}

// Replies to EXEC held past the command timeout at random, on either host: every write that
// reached Redis is in the queue, and once settled the queue's net state is what Redis holds.
// Bounded: a fixed number of toggles, 30 s.
func TestHeldRepliesQueueMatchesRedis(t *testing.T) {
	const toggles = 10
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	proxies := []*redistest.Proxy{redistest.StartProxy(t, a.Addr, 0), redistest.StartProxy(t, b.Addr, 0)}
	store, err := flags.Open([]flags.HostConfig{{Name: "a", Addr: proxies[0].Addr}, {Name: "b", Addr: proxies[1].Addr}},
		flags.Options{CommandTimeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	unknown := 0
	for i := 0; i < toggles; i++ {
		for _, px := range proxies {
			hold := time.Duration(0)
			if rng.IntN(2) == 1 {
				hold = 300 * time.Millisecond
			}
			px.HoldReply("exec", hold)
		}
		f, err := store.Flag(ctx, settlePrefix, settleFlag)
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := f.Primary()
		_, res, err := j.Toggle(ctx, store, Change{Operator: "ann", Prefix: settlePrefix, Flag: settleFlag,
			Before: cur.On, After: !cur.On, BaseVersion: intp(cur.Version)})
		if err != nil {
			t.Fatal(err)
		}
		unknown += len(res.UnknownHosts())
	}
	t.Logf("%d host writes had an unknown outcome", unknown)
	if _, err := j.Reconcile(ctx, store, 0); err != nil {
		t.Fatal(err)
	}
	assertQueueMatchesRedis(ctx, t, dir, a, b)
}

// Off, on, then Relay's full sync brings back LaunchDarkly's ON v3, and the operator kills the
// flag again (OFF v4): the queue wants OFF, as Redis holds, though an earlier write had v5.
func TestQueueMatchesRedisAcrossAFullSync(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	store := writerStore(t, 0, a, b)
	ctx := context.Background()
	dir := t.TempDir()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	toggleAsShown(ctx, t, j, store, "ann", false) // OFF v4
	toggleAsShown(ctx, t, j, store, "ann", true)  // ON v5
	a.LoadFixture()                               // Relay's full sync: ON v3 again
	b.LoadFixture()
	toggleAsShown(ctx, t, j, store, "ann", false) // OFF v4
	assertQueueMatchesRedis(ctx, t, dir, a, b)
}

// The same across a full sync, with the last write's writer killed before it recorded its
// outcome: settling reads OFF v4 back as that write's, though an earlier write claimed v4.
func TestSettleAcrossAFullSync(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	store := writerStore(t, 0, a, b)
	ctx := context.Background()
	dir := t.TempDir()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	toggleAsShown(ctx, t, j, store, "ann", false) // OFF v4
	toggleAsShown(ctx, t, j, store, "ann", true)  // ON v5
	a.LoadFixture()                               // Relay's full sync: ON v3 again
	b.LoadFixture()
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Begin(Change{Operator: "gone", Prefix: settlePrefix, Flag: settleFlag, Before: true, After: false, BaseVersion: intp(3)}); err != nil {
		t.Fatal(err)
	}
	store.Toggle(ctx, settlePrefix, settleFlag, false) // OFF v4, then the writer dies
	w.Close()
	s, err := j.Settle(ctx, store)
	if err != nil || len(s.Settled) != 1 {
		t.Fatalf("Settle = %+v, %v", s, err)
	}
	if got := hostOutcomes(s.Settled[0]); got["a"] != "written" || got["b"] != "written" {
		t.Errorf("outcomes %v, want written on both hosts", got)
	}
	assertQueueMatchesRedis(ctx, t, dir, a, b)
}
