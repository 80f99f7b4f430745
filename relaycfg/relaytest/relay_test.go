package relaytest

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
	"relaycommander/ldsync/ldfake"
)

const wait = 5 * time.Second

func served(t *testing.T, r *Relay, sdkKey, flag string) (status int, on bool, version int) {
	t.Helper()
	status, on, version, err := r.Served(context.Background(), sdkKey, flag)
	if err != nil {
		t.Fatalf("GET /sdk/flags/%s: %v", flag, err)
	}
	return status, on, version
}

// A full sync replaces the prefix with LaunchDarkly's data: stray fields and the tombstone
// go, every flag is LaunchDarkly's JSON, $inited is set; other prefixes are untouched.
func TestFullSyncReplacesThePrefix(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	rd := redistest.StartWithFixture(t)
	c := rd.Client()
	ctx := context.Background()
	c.HSet(ctx, "ld:web-store:production:features", "stray", `{"key":"stray","version":1}`)
	c.Del(ctx, "ld:web-store:production:$inited")
	e := EnvFor(t, ld, "web-store", "production")
	r := Start(t, Options{StreamURL: ld.StreamURL(), RedisAddr: rd.Addr, Environments: []Environment{e}})
	r.WaitSyncs(t, e.Name, 1, wait)

	got, err := c.HGetAll(ctx, "ld:web-store:production:features").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := fixture.Load()["ld:web-store:production"].Features
	delete(want, "removed-experiment") // LaunchDarkly sends no deleted flags
	if len(got) != len(want) {
		t.Fatalf("features after sync: %d fields, want %d", len(got), len(want))
	}
	for k, raw := range want {
		if got[k] != raw {
			t.Errorf("%s after sync:\n got %s\nwant %s (the fixture's bytes, ldfake's on/version are the same)", k, got[k], raw)
		}
	}
	if n, _ := c.Exists(ctx, "ld:web-store:production:$inited").Result(); n != 1 {
		t.Error("$inited not set by the sync")
	}
	if n, _ := c.HLen(ctx, "ld:web-store:production:segments").Result(); n != 1 {
		t.Errorf("segments after sync: %d, want 1", n)
	}
	if n, _ := c.HLen(ctx, "ld:web-store:staging:features").Result(); n != int64(len(fixture.Load()["ld:web-store:staging"].Features)) {
		t.Errorf("another prefix changed: %d fields", n)
	}
}

// A patch is written only when newer than Redis: so a Redis edit (version+1) hides
// LaunchDarkly's next real change of that flag (also version+1) while connected.
func TestPatchUpsertsOnlyNewerVersions(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	o := StartOutage(t, ld, "web-store", "production", Options{})
	on, v := o.InRedis(t, "maintenance-banner")
	if !on {
		t.Fatal("fixture: maintenance-banner should be on")
	}

	ld.ChangeBehindBack("web-store", "production", "maintenance-banner", false)
	o.Relay().WaitFor(t, o.Env.Name, wait, "patched", func(s EnvState) bool { return s.Patches == 1 })
	if on, got := o.InRedis(t, "maintenance-banner"); on || got != v+1 {
		t.Fatalf("after LaunchDarkly's change: on=%v v%d, want off v%d", on, got, v+1)
	}

	edited := o.Edit(t, "maintenance-banner", true) // v+2 in Redis only
	ld.ChangeBehindBack("web-store", "production", "maintenance-banner", false)
	st := o.Relay().WaitFor(t, o.Env.Name, wait, "patched", func(s EnvState) bool { return s.Patches == 2 })
	if on, got := o.InRedis(t, "maintenance-banner"); !on || got != edited || st.Skipped != 1 {
		t.Fatalf("LaunchDarkly's v%d over the edit v%d: Redis on=%v v%d, skipped %d; want the edit kept", v+2, edited, on, got, st.Skipped)
	}
	o.WaitServed(t, "maintenance-banner", true, edited)

	// A new flag arrives as a patch and is served.
	ld.SetFlagState("web-store", "production", "brand-new", true, 3)
	o.WaitServed(t, "brand-new", true, 3)
}

// The issue 12 damage, with two Relays each on its own Redis: the edit made during the
// outage is served, then undone by the re-syncs when LaunchDarkly comes back.
func TestEditUndoneByResync(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	o := StartOutageSites(t, ld, "web-store", "production", 2, Options{LocalTTL: 300 * time.Millisecond})
	if v := o.EditUndoneByResync(t, "kill-switch-checkout", false); v != 3 {
		t.Errorf("LaunchDarkly's version %d, want 3 (fixture)", v)
	}
	for _, s := range o.Sites {
		if st := s.Relay.State(t, o.Env.Name); st.Syncs != 2 || st.Connection != StateValid {
			t.Errorf("%s after the outage: %+v, want VALID after 2 syncs", s.Name, st)
		}
	}
	if names := o.Store.HostNames(); len(names) != 2 || names[0] != "redis-a" || names[1] != "redis-b" {
		t.Errorf("store hosts %v", names)
	}
}

// Relay reads Redis only when localTtl expires: 0 reads every time, negative never again.
func TestLocalTTL(t *testing.T) {
	for _, tc := range []struct {
		name string
		ttl  time.Duration
	}{{"no cache", 0}, {"300ms", 300 * time.Millisecond}, {"forever", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			ld := ldfake.New()
			defer ld.Close()
			o := StartOutage(t, ld, "payments", "production", Options{LocalTTL: tc.ttl})
			o.CutOff(t)
			if tc.ttl > 0 { // let the entry the sync cached go stale, so the read below starts a localTtl
				time.Sleep(time.Until(o.Relay().State(t, o.Env.Name).Since.Add(tc.ttl)))
			}
			_, on, v := served(t, o.Relay(), o.Env.SDKKey, "kill-switch-checkout") // cached now
			start := time.Now()
			written := o.Edit(t, "kill-switch-checkout", !on)
			switch {
			case tc.ttl == 0:
				if _, gotOn, gotV := served(t, o.Relay(), o.Env.SDKKey, "kill-switch-checkout"); gotOn == on || gotV != written {
					t.Fatalf("without a cache the edit is not served at once: on=%v v%d", gotOn, gotV)
				}
			case tc.ttl > 0:
				took := o.WaitServed(t, "kill-switch-checkout", !on, written)
				if since := time.Since(start); since < tc.ttl/2 || since > tc.ttl+time.Second {
					t.Errorf("served after %v (poll took %v), want about the localTtl %v", since, took, tc.ttl)
				}
			default:
				deadline := time.Now().Add(400 * time.Millisecond)
				for time.Now().Before(deadline) {
					if _, gotOn, gotV := served(t, o.Relay(), o.Env.SDKKey, "kill-switch-checkout"); gotOn != on || gotV != v {
						t.Fatalf("a cache-forever Relay served the edit: on=%v v%d", gotOn, gotV)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
}

func TestServeFlagAnswers(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	ld.SetUnreachable(true) // Relay never gets data: it serves what Redis has
	rd := redistest.StartWithFixture(t)
	ws, it := EnvFor(t, ld, "web-store", "production"), EnvFor(t, ld, "internal-tools", "production")
	r := Start(t, Options{StreamURL: ld.StreamURL(), RedisAddr: rd.Addr, Environments: []Environment{ws, it}})
	st := r.WaitFor(t, ws.Name, wait, "failed to connect", func(s EnvState) bool { return s.Connection == StateInitializing })

	for _, tc := range []struct {
		env    Environment
		key    string
		flag   string
		status int
	}{
		{ws, ws.SDKKey, "checkout-flow", http.StatusOK},
		{ws, ws.SDKKey, "removed-experiment", http.StatusNotFound}, // tombstone
		{ws, ws.SDKKey, "no-such-flag", http.StatusNotFound},
		{ws, "api_key " + ws.SDKKey, "checkout-flow", http.StatusOK},
		{ws, "sdk-unknown", "checkout-flow", http.StatusUnauthorized},
		{ws, "", "checkout-flow", http.StatusUnauthorized},
		{it, it.SDKKey, "kill-switch-checkout", http.StatusServiceUnavailable}, // no $inited in the fixture
	} {
		if got, _, _ := served(t, r, tc.key, tc.flag); got != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.env.Name, tc.flag, got, tc.status)
		}
	}
	if st.Syncs != 0 {
		t.Errorf("synced %d times while LaunchDarkly was unreachable", st.Syncs)
	}
}

func TestRefusedSDKKeyTurnsOff(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	rd := redistest.Start(t)
	e := Environment{Name: "bad", SDKKey: "sdk-00000000-0000-0000-0000-000000000000"}
	r := Start(t, Options{StreamURL: ld.StreamURL(), RedisAddr: rd.Addr, Environments: []Environment{e}})
	r.WaitConnection(t, "bad", StateOff, wait)
	var st statusRep
	resp, err := http.Get(r.URL() + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	es := st.Environments["bad"]
	if es.ConnectionStatus.LastError == nil || es.ConnectionStatus.LastError.Kind != errResponse || es.Status != "disconnected" || es.DataStoreStatus.DBPrefix != "launchdarkly" {
		t.Errorf("refused key: %+v", es)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 50 * time.Millisecond, Max: 300 * time.Millisecond, NoJitter: true}.withDefaults()
	var got []time.Duration
	for i := range 5 {
		got = append(got, b.delay(i))
	}
	want := []time.Duration{50, 100, 200, 300, 300}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays %v, want %v ms", got, want)
		}
	}
	b.NoJitter = false
	for i := range 100 {
		if d := b.delay(i % 4); d < want[i%4]*time.Millisecond/2 || d > want[i%4]*time.Millisecond {
			t.Fatalf("jittered delay %v for attempt %d out of [d/2, d]", d, i%4)
		}
	}
}

// Reconnects back off: with LaunchDarkly away, attempts get rarer up to the cap.
func TestReconnectBacksOff(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	o := StartOutage(t, ld, "mobile-api", "staging", Options{Backoff: Backoff{Initial: 20 * time.Millisecond, Max: 160 * time.Millisecond, NoJitter: true}})
	before := ld.Requests()
	o.CutOff(t)
	time.Sleep(700 * time.Millisecond) // observation window: count the attempts in it
	attempts := ld.Requests() - before
	// 20+40+80+160+160+160 ms fit about 6 attempts in 700ms; without back-off it would be 35.
	if attempts < 3 || attempts > 9 {
		t.Errorf("%d connection attempts in 700ms with back-off 20ms..160ms", attempts)
	}
	o.Restore(t)
}

// A restarted Relay forgets its cache: a cache-forever Relay serves the outage edit only
// after a restart, from Redis, while it cannot reach LaunchDarkly; once it can, it re-syncs.
func TestRestartServesFromRedis(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	o := StartOutage(t, ld, "web-store", "staging", Options{LocalTTL: -1})
	o.CutOff(t)
	written := o.Edit(t, "kill-switch-search", false)
	if _, on, _ := served(t, o.Relay(), o.Env.SDKKey, "kill-switch-search"); !on {
		t.Fatal("a cache-forever Relay served the edit without a restart")
	}
	o.Relay().Restart()
	if st := o.Relay().State(t, o.Env.Name); st.Connection != StateInitializing {
		t.Fatalf("after restart: %+v", st)
	}
	o.WaitServed(t, "kill-switch-search", false, written)
	var st statusRep
	if err := json.Unmarshal(getStatus(t, o.Relay()), &st); err != nil || st.Environments[o.Env.Name].Status != "disconnected" {
		t.Errorf("restarted without LaunchDarkly: %+v %v, want disconnected", st.Environments[o.Env.Name], err)
	}
	o.Restore(t)
	_, ldVersion, _ := ld.FlagState("web-store", "staging", "kill-switch-search")
	o.WaitServed(t, "kill-switch-search", true, ldVersion)
}

// A Redis that stops answering makes the data store INTERRUPTED; once it answers again the
// Relay re-syncs and the store is VALID with LaunchDarkly's latest data.
func TestRedisOutageInterruptsTheStore(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	o := StartOutage(t, ld, "payments", "production", Options{})
	syncs := o.Relay().State(t, o.Env.Name).Syncs
	o.Redis().Pause()
	ld.ChangeBehindBack("payments", "production", "maintenance-banner", false)
	o.Relay().WaitFor(t, o.Env.Name, wait, "store INTERRUPTED", func(s EnvState) bool { return s.Store == StateInterrupted })
	o.Redis().Resume()
	o.Relay().WaitFor(t, o.Env.Name, 2*wait, "re-synced with a VALID store", func(s EnvState) bool {
		return s.Store == StateValid && s.Syncs > syncs && s.Connection == StateValid
	})
	_, v, _ := ld.FlagState("payments", "production", "maintenance-banner")
	if on, got := o.InRedis(t, "maintenance-banner"); on || got != v {
		t.Errorf("after the Redis outage: on=%v v%d, want LaunchDarkly's off v%d", on, got, v)
	}
}

// A delete event is an upsert of a tombstone: written when newer, then answered 404.
func TestDeleteEventWritesATombstone(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	o := StartOutage(t, ld, "mobile-api", "test", Options{})
	r := o.Relay()
	_, v := o.InRedis(t, "beta-dashboard")
	e := r.envByName(o.Env.Name)
	ctx := context.Background()
	if _, err := r.handle(ctx, e, "delete", `{"path":"/flags/beta-dashboard","version":`+strconv.Itoa(v)+`}`); err != nil {
		t.Fatal(err) // not newer: skipped
	}
	if _, err := r.handle(ctx, e, "delete", `{"path":"/flags/beta-dashboard","version":`+strconv.Itoa(v+1)+`}`); err != nil {
		t.Fatal(err)
	}
	raw, _ := o.Redis().Client().HGet(ctx, o.Env.Prefix+":features", "beta-dashboard").Result()
	if want := `{"key":"$deleted","version":` + strconv.Itoa(v+1) + `,"deleted":true}`; raw != want {
		t.Fatalf("after delete: %s, want %s", raw, want)
	}
	if st := r.State(t, o.Env.Name); st.Patches != 2 || st.Skipped != 1 {
		t.Errorf("counts %+v, want 2 handled, 1 skipped", st)
	}
	if status, _, _ := served(t, r, o.Env.SDKKey, "beta-dashboard"); status != http.StatusNotFound {
		t.Errorf("deleted flag served with %d, want 404", status)
	}
}
