package tui

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"sync"
	"time"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/relaycfg/relayapi"
)

// Stand-ins for unit tests of Update and View only; the whole-program flows in
// flow_test.go use real redis-servers, a real journal and ldfake.

var testNow = time.Date(2026, 11, 24, 3, 12, 30, 0, time.UTC)

func fixedClock() time.Time { return testNow }

type fakeStore struct {
	mu      sync.Mutex
	disc    flags.Discovery
	sets    map[string]flags.FlagSet
	toggles []string
	unknown map[string]bool // hosts whose write's reply is lost after EXEC: outcome unknown
}

func (s *fakeStore) HostNames() []string {
	var out []string
	for _, h := range s.disc.Hosts {
		out = append(out, h.Host)
	}
	return out
}
func (s *fakeStore) Discover(context.Context) flags.Discovery { return s.disc }
func (s *fakeStore) Flags(_ context.Context, prefix string) (flags.FlagSet, error) {
	set, ok := s.sets[prefix]
	if !ok {
		return flags.FlagSet{}, flags.ErrUnknownPrefix
	}
	return set, nil
}
func (s *fakeStore) Flag(_ context.Context, prefix, key string) (flags.Flag, error) {
	for _, f := range s.sets[prefix].Flags {
		if f.Key == key {
			return f, nil
		}
	}
	return flags.Flag{}, flags.ErrUnknownFlag
}
func (s *fakeStore) ReadFields(_ context.Context, want map[string][]string) (flags.FieldSet, error) {
	fs := flags.FieldSet{Hosts: s.disc.Hosts, Prefixes: map[string]map[string][]flags.HostFlag{}}
	for prefix, keys := range want {
		m := map[string][]flags.HostFlag{}
		for _, k := range keys {
			hs := make([]flags.HostFlag, len(s.disc.Hosts))
			for i, h := range s.disc.Hosts {
				hs[i] = flags.HostFlag{Host: h.Host, HostDown: !h.Up}
			}
			if f, err := s.Flag(context.Background(), prefix, k); err == nil {
				hs = f.Hosts
			}
			m[k] = hs
		}
		fs.Prefixes[prefix] = m
	}
	return fs, nil
}
func (s *fakeStore) Toggle(_ context.Context, prefix, key string, on bool, hosts ...string) flags.ToggleResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.toggles = append(s.toggles, prefix+"/"+key)
	res := flags.ToggleResult{Prefix: prefix, Flag: key, On: on}
	if len(hosts) == 0 { // every host, as the store does
		hosts = s.HostNames()
	}
	for _, h := range hosts {
		r := flags.HostResult{Host: h, Outcome: flags.Written, OldOn: !on, OldVersion: 9, NewVersion: 10, Latency: time.Millisecond}
		if s.unknown[h] {
			r = flags.HostResult{Host: h, Outcome: flags.Unknown, OldOn: !on, OldVersion: 9, NewVersion: 10, Latency: time.Second,
				Err: errors.New("host " + h + ": EXEC sent, outcome unknown: i/o timeout")}
		}
		for _, hs := range s.disc.Hosts {
			if hs.Host == h && !hs.Up {
				r = flags.HostResult{Host: h, Outcome: flags.Failed, Latency: 2 * time.Second, Err: hs.Err}
			}
		}
		res.Hosts = append(res.Hosts, r)
	}
	return res
}

// RestoreAt is Toggle on the hosts named (the fake's hosts hold whatever it is asked).
func (s *fakeStore) RestoreAt(ctx context.Context, prefix, key string, on bool, _ int, seen map[string]int) flags.ToggleResult {
	hosts := make([]string, 0, len(seen))
	for _, h := range s.HostNames() {
		if _, ok := seen[h]; ok {
			hosts = append(hosts, h)
		}
	}
	return s.Toggle(ctx, prefix, key, on, hosts...)
}

type fakeJournal struct {
	mu         sync.Mutex
	discards   []journal.DiscardRequest
	discardErr error // what Discard returns, instead of discarding
	pending    []journal.Pending
	changes    []journal.Change
	retries    [][]string
	events     []journal.ReplayEvent
	history    []journal.Entry
	settlement *journal.Settlement // what Settle finds; nil: nothing to settle
	settleErr  error
	settles    int // Settle calls
	supersedes []string
}

func (j *fakeJournal) Supersede(ctx context.Context, store journal.DiscardStore, prefix, flag string, p journal.Pending, by string, on bool, version int) (journal.Superseded, error) {
	if len(p.Entries) == 0 {
		return journal.Superseded{}, nil
	}
	j.mu.Lock()
	j.supersedes = append(j.supersedes, sprintf("%s/%s by %s: %s v%d", prefix, flag, by, flags.OnOff(on), version))
	j.mu.Unlock()
	out := journal.Superseded{Closed: p.ChangeIDs()}
	if store != nil {
		seen := map[string]int{}
		for _, h := range p.Hosts {
			seen[h.Host] = h.Version
		}
		r := store.RestoreAt(ctx, p.Prefix, p.Flag, on, version, seen)
		out.Redis = &r
	}
	return out, nil
}

func (j *fakeJournal) Toggle(ctx context.Context, store journal.Toggler, c journal.Change, hosts ...string) (journal.Change, flags.ToggleResult, error) {
	j.mu.Lock()
	if c.ID == "" {
		c.ID = "chg-1"
		j.changes = append(j.changes, c)
	} else {
		j.retries = append(j.retries, hosts)
	}
	j.mu.Unlock()
	return c, store.Toggle(ctx, c.Prefix, c.Flag, c.After, hosts...), nil
}
func (j *fakeJournal) Pending() ([]journal.Pending, error) { return j.pending, nil }
func (j *fakeJournal) Dir() string                         { return "" }
func (j *fakeJournal) Warnings() []string                  { return nil }

// Settle settles nothing unless the test set settlement: then it reports it, and its
// pending changes become the journal's.
func (j *fakeJournal) Settle(context.Context, journal.FlagReader) (journal.Settlement, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.settles++
	if j.settlement == nil {
		return journal.Settlement{Pending: j.pending}, nil
	}
	s := *j.settlement
	j.pending = s.Pending
	return s, j.settleErr
}
func (j *fakeJournal) History(prefix, flag string) ([]journal.Entry, []journal.ReplayEvent, error) {
	return j.history, j.events, nil
}
func (j *fakeJournal) Discard(ctx context.Context, store journal.DiscardStore, p journal.Pending, d journal.DiscardRequest) (journal.DiscardResult, error) {
	if j.discardErr != nil {
		return journal.DiscardResult{}, j.discardErr
	}
	ev := journal.ReplayEvent{Time: d.Time, Kind: journal.ReplayDiscarded, ChangeIDs: p.ChangeIDs(), Prefix: p.Prefix, Flag: p.Flag,
		Desired: p.Desired, By: d.By, Why: d.Why}
	j.mu.Lock()
	j.discards = append(j.discards, d)
	j.events = append(j.events, ev)
	j.mu.Unlock()
	res := journal.DiscardResult{Event: ev}
	if d.Restore {
		r := store.Toggle(ctx, p.Prefix, p.Flag, p.BaseOn)
		res.Restored = &r
	}
	return res, nil
}
func (j *fakeJournal) RecordReplay(e journal.ReplayEvent) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.events = append(j.events, e)
	return nil
}

type fakeLD struct{ err error }

func (l fakeLD) Check(context.Context) error { return l.err }

type fakeReplayer struct {
	plan ldsync.Plan
	// how the plan was asked for: Plan (read-only: nothing settled) or PlanAll
	plans, planAlls int
}

func (r *fakeReplayer) Plan(context.Context, []journal.Pending) (ldsync.Plan, error) {
	r.plans++
	return r.plan, nil
}
func (r *fakeReplayer) PlanAll(context.Context) (ldsync.Plan, error) {
	r.planAlls++
	return r.plan, nil
}
func (r *fakeReplayer) Apply(ctx context.Context, plan ldsync.Plan, progress chan<- ldsync.Progress) (ldsync.Counts, error) {
	defer close(progress)
	return ldsync.Counts{}, errors.New("fake replayer does not apply")
}

// testData is three Redis hosts and a store shaped like the fixture.
func testData() *fakeStore {
	hosts := []flags.HostStatus{
		{Host: "relay-a", Up: true, Latency: 1200 * time.Microsecond},
		{Host: "relay-b", Up: true, Latency: 2 * time.Millisecond},
		{Host: "relay-c", Up: false, Err: errors.New("dial tcp 10.0.3.7:6379: connection refused")},
	}
	on3 := func(up bool) []flags.PrefixOnHost {
		return []flags.PrefixOnHost{
			{Host: "relay-a", Present: true, Inited: true, Flags: 10},
			{Host: "relay-b", Present: true, Inited: up, Flags: 10},
			{Host: "relay-c"},
		}
	}
	var prefixes []flags.PrefixInfo
	for _, p := range []string{"mobile-api", "payments", "web-store"} {
		for _, e := range []string{"production", "staging", "test"} {
			prefixes = append(prefixes, flags.PrefixInfo{Prefix: flags.ConventionPrefix(p, e), Target: flags.Target{Project: p, Environment: e}, Mapped: true, Hosts: on3(true)})
		}
	}
	prefixes = append(prefixes,
		flags.PrefixInfo{Prefix: "ld:internal-tools:production", Target: flags.Target{Project: "internal-tools", Environment: "production"}, Mapped: true, Hosts: on3(false)},
		flags.PrefixInfo{Prefix: "launchdarkly", Hosts: []flags.PrefixOnHost{{Host: "relay-a", Present: true, Inited: true, Flags: 10}}},
	)
	// keep the flags package's order: by project, environment; unmapped last
	order := []flags.PrefixInfo{prefixes[9]}
	order = append(order, prefixes[:9]...)
	order = append(order, prefixes[10])
	s := &fakeStore{disc: flags.Discovery{Hosts: hosts, Prefixes: order}, sets: map[string]flags.FlagSet{}}
	for _, p := range order {
		s.sets[p.Prefix] = flagSet(p.Prefix, p.Target, p.Mapped)
	}
	return s
}

func hf(host string, on bool, v int, prereq ...string) flags.HostFlag {
	off := 1
	return flags.HostFlag{Host: host, Present: true, On: on, Version: v, OffVariation: &off, Variations: 2, Prerequisites: prereq,
		Raw: sprintf(`{"key":"x","on":%t,"prerequisites":[],"targets":[],"version":%d,"deleted":false}`, on, v)}
}

func flagSet(prefix string, t flags.Target, mapped bool) flags.FlagSet {
	down := flags.HostFlag{Host: "relay-c", HostDown: true}
	mk := func(key string, a, b flags.HostFlag, deps ...string) flags.Flag {
		a.Raw = sprintf(`{"key":"%s","on":%t,"version":%d}`, key, a.On, a.Version)
		return flags.Flag{Key: key, Hosts: []flags.HostFlag{a, b, down}, Dependants: deps}
	}
	tomb := flags.HostFlag{Host: "relay-a", Present: true, Deleted: true, Version: 9, Raw: `{"key":"$deleted","version":9,"deleted":true}`}
	tombB := tomb
	tombB.Host = "relay-b"
	bad := func(host string) flags.HostFlag {
		return flags.HostFlag{Host: host, Present: true, Unreadable: "invalid character 'o' in literal null (expecting 'u')", Raw: `{"key":"broken-json","on":nonsense}`}
	}
	fs := []flags.Flag{
		mk("beta-dashboard", hf("relay-a", false, 3), hf("relay-b", false, 3)),
		{Key: "broken-json", Hosts: []flags.HostFlag{bad("relay-a"), bad("relay-b"), down}},
		mk("checkout-flow", hf("relay-a", true, 46, "kill-switch-checkout"), hf("relay-b", true, 46, "kill-switch-checkout")),
		mk("enable-new-pricing", hf("relay-a", true, 12), hf("relay-b", true, 12)),
		mk("kill-switch-checkout", hf("relay-a", true, 9), hf("relay-b", true, 9), "checkout-flow"),
		mk("kill-switch-search", hf("relay-a", true, 5), hf("relay-b", true, 4)),
		mk("legacy-export", hf("relay-a", false, 7), hf("relay-b", false, 7)),
		mk("maintenance-banner", hf("relay-a", false, 12), hf("relay-b", false, 12)),
		mk("rate-limits", hf("relay-a", true, 2), hf("relay-b", true, 2)),
		{Key: "removed-experiment", Hosts: []flags.HostFlag{tomb, tombB, down}},
		mk("use-fallback-cdn", hf("relay-a", false, 4), hf("relay-b", false, 4)),
	}
	hosts := testData0Hosts()
	return flags.FlagSet{Prefix: prefix, Target: t, Mapped: mapped, Flags: fs, Hosts: hosts}
}

func testData0Hosts() []flags.HostStatus {
	return []flags.HostStatus{
		{Host: "relay-a", Up: true, Latency: 1200 * time.Microsecond},
		{Host: "relay-b", Up: true, Latency: 2 * time.Millisecond},
		{Host: "relay-c", Up: false},
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---- Relays (relays.go) ----

// fakeRelays serves canned Relay statuses and serving-check answers.
type fakeRelays struct {
	mu      sync.Mutex
	results []relayapi.StatusResult
	served  []relayapi.Served
	checks  []relayapi.ServeCheck
}

func (f *fakeRelays) Statuses(context.Context, []relayapi.Relay) []relayapi.StatusResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.results)
}

func (f *fakeRelays) WaitServed(_ context.Context, c relayapi.ServeCheck, progress func(relayapi.Served)) []relayapi.Served {
	f.mu.Lock()
	f.checks = append(f.checks, c)
	served := slices.Clone(f.served)
	f.mu.Unlock()
	for _, s := range served {
		progress(s)
	}
	return served
}

func (f *fakeRelays) set(results []relayapi.StatusResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results = results
}

// testRelays are three Relays: relay-east connected to LaunchDarkly, relay-west cut off,
// relay-dr unreachable.
var testRelays = []relayapi.Relay{
	{Name: "relay-east", URL: "http://relay-east:8030"},
	{Name: "relay-west", URL: "http://relay-west:8030"},
	{Name: "relay-dr", URL: "http://relay-dr:8030"},
}

// relayStatus is a Relay's status with every test prefix in one connection state.
func relayStatus(r relayapi.Relay, state relayapi.ConnState, since time.Time) relayapi.Status {
	st := relayapi.Status{Relay: r, Healthy: state == relayapi.Valid, Version: "8.10.0"}
	for _, p := range testData().disc.Prefixes {
		env := relayapi.Environment{Name: p.Prefix, Connected: true,
			Conn:  relayapi.Connection{State: state, Since: since},
			Store: relayapi.Store{State: "VALID", Since: testNow.Add(-time.Hour), Database: "redis", Prefix: p.Prefix}}
		if state != relayapi.Valid {
			env.Conn.LastError = &relayapi.ConnError{Kind: "NETWORK_ERROR", Time: since}
		}
		st.Environments = append(st.Environments, env)
	}
	return st
}

func testRelayResults() []relayapi.StatusResult {
	return []relayapi.StatusResult{
		{Relay: testRelays[0], Status: relayStatus(testRelays[0], relayapi.Valid, testNow.Add(-10*time.Minute))},
		{Relay: testRelays[1], Status: relayStatus(testRelays[1], relayapi.Interrupted, testNow.Add(-42*time.Second))},
		{Relay: testRelays[2], Err: errors.New("relay-dr (http://relay-dr:8030): GET /status: dial tcp 10.0.9.1:8030: connect: connection refused")},
	}
}

// fakeLDWriter records the changes made in LaunchDarkly instead of Redis.
type fakeLDWriter struct {
	mu       sync.Mutex
	comments []string
}

func (w *fakeLDWriter) SetOn(_ context.Context, project, flag, env string, on bool, comment string) (ldsync.FlagState, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.comments = append(w.comments, project+"/"+env+"/"+flag+": "+comment)
	return ldsync.FlagState{On: on, Version: 47}, nil
}

// ---- the guard (arm.go) ----

// fakeGuard runs a script of guard events, then returns its counts, or with hold waits until
// it is disarmed (its context ends). It sends nothing anywhere.
type fakeGuard struct {
	mu        sync.Mutex
	script    []ldsync.GuardEvent
	hold      bool // after the script, wait for the context
	counts    ldsync.Counts
	err       error
	runs      int
	cancelled bool // the context ended the run
}

func (g *fakeGuard) Run(ctx context.Context, events chan<- ldsync.GuardEvent) (ldsync.Counts, error) {
	defer close(events)
	g.mu.Lock()
	g.runs++
	script, hold, counts, err := slices.Clone(g.script), g.hold, g.counts, g.err
	g.mu.Unlock()
	for _, ev := range script {
		select {
		case events <- ev:
		case <-ctx.Done():
			g.setCancelled()
			return ldsync.Counts{}, ctx.Err()
		}
	}
	if hold {
		<-ctx.Done()
		g.setCancelled()
		return ldsync.Counts{}, ctx.Err()
	}
	return counts, err
}

func (g *fakeGuard) setCancelled() {
	g.mu.Lock()
	g.cancelled = true
	g.mu.Unlock()
}

func (g *fakeGuard) state() (runs int, cancelled bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.runs, g.cancelled
}
