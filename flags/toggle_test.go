package flags

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
)

// topLevelKeys lists a JSON object's keys in the order they are written.
func topLevelKeys(t *testing.T, raw string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
	}
	return keys
}

func decodeMap(t *testing.T, raw string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("stored JSON no longer parses: %v\n%s", err, raw)
	}
	return m
}

// dumpHash returns a hash's fields exactly as stored.
func dumpHash(t *testing.T, srv *redistest.Server, key string) map[string]string {
	t.Helper()
	m, err := srv.Client().HGetAll(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("HGETALL %s: %v", key, err)
	}
	return m
}

// Every fixture flag survives a toggle: only on and version change, as JSON values, and
// the fields keep their order.
func TestToggleKeepsEveryOtherField(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a, b)
	ctx := context.Background()
	fx := fixture.Load()
	toggled := 0
	for _, prefix := range fx.Prefixes() {
		segmentsBefore := dumpHash(t, a, prefix+":segments")
		for key, before := range fx[prefix].Features {
			orig := decodeMap(t, before)
			if orig["deleted"] == true {
				continue
			}
			want := !orig["on"].(bool)
			res := s.Toggle(ctx, prefix, key, want)
			if len(res.Hosts) != 2 {
				t.Fatalf("%s/%s: %+v", prefix, key, res)
			}
			oldVersion := int(orig["version"].(float64))
			for _, hr := range res.Hosts {
				if hr.Outcome != Written || hr.Err != nil || hr.OldOn == want || hr.OldVersion != oldVersion || hr.NewVersion != oldVersion+1 {
					t.Errorf("%s/%s on %s: %+v", prefix, key, hr.Host, hr)
				}
			}
			for _, srv := range []*redistest.Server{a, b} {
				after, err := srv.Client().HGet(ctx, prefix+":features", key).Result()
				if err != nil {
					t.Fatal(err)
				}
				got := decodeMap(t, after)
				if got["on"] != want {
					t.Errorf("%s/%s: on = %#v, want JSON boolean %v", prefix, key, got["on"], want)
				}
				if got["version"] != float64(oldVersion+1) {
					t.Errorf("%s/%s: version = %v, want %d", prefix, key, got["version"], oldVersion+1)
				}
				exp := decodeMap(t, before)
				exp["on"], exp["version"] = want, float64(oldVersion+1)
				if !reflect.DeepEqual(got, exp) {
					t.Errorf("%s/%s: fields changed beyond on/version:\nbefore %s\nafter  %s", prefix, key, before, after)
				}
				if k1, k2 := topLevelKeys(t, before), topLevelKeys(t, after); !reflect.DeepEqual(k1, k2) {
					t.Errorf("%s/%s: field order changed: %v -> %v", prefix, key, k1, k2)
				}
			}
			toggled++
		}
		if after := dumpHash(t, a, prefix+":segments"); !reflect.DeepEqual(segmentsBefore, after) {
			t.Errorf("%s: segments changed", prefix)
		}
	}
	if toggled < 50 {
		t.Errorf("only %d flags toggled", toggled)
	}
	// $inited was never created where the fixture lacks it.
	for _, prefix := range fx.Prefixes() {
		n := a.Client().Exists(ctx, prefix+":$inited").Val()
		if (n == 1) != fx[prefix].Inited {
			t.Errorf("%s: $inited exists = %d, fixture says %v", prefix, n, fx[prefix].Inited)
		}
	}
}

func TestToggleUnchangedWritesNothing(t *testing.T) {
	a := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a)
	ctx := context.Background()
	const prefix = "ld:web-store:production"
	before := dumpHash(t, a, prefix+":features")
	res := s.Toggle(ctx, prefix, "kill-switch-search", false) // already off
	hr := res.Hosts[0]
	if hr.Outcome != Unchanged || hr.Err != nil || hr.OldOn || hr.NewVersion != hr.OldVersion || hr.OldVersion == 0 {
		t.Errorf("%+v", hr)
	}
	if after := dumpHash(t, a, prefix+":features"); !reflect.DeepEqual(before, after) {
		t.Error("an unchanged toggle wrote to the hash")
	}
}

func TestSetOnAndVersionSplices(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"key":"a","on":false,"version":3}`, `{"key":"a","on":true,"version":4}`},
		{`{ "key" : "a" , "on" : false , "x" : [1, {"on": false}], "version" : 3 }`, `{ "key" : "a" , "on" : true , "x" : [1, {"on": false}], "version" : 4 }`},
		{`{"key":"a","version":3}`, `{"key":"a","version":4,"on":true}`},
		{`{}`, `{"on":true,"version":4}`},
	} {
		got, err := SetOnAndVersion(tc.in, true, 4)
		if err != nil || got != tc.want {
			t.Errorf("SetOnAndVersion(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`{"on":"on","version":1}`, `{"on":true,"version":1.5}`, `{"on":true`, `[]`, `{"on":true} x`} {
		if _, err := SetOnAndVersion(bad, false, 2); err == nil {
			t.Errorf("SetOnAndVersion(%s) accepted it", bad)
		}
	}
}

func TestParseFlagRejectsMalformedJSON(t *testing.T) {
	good := fixture.Load()["ld:web-store:production"].Features["rate-limits"]
	if _, err := parseFlag(good); err != nil {
		t.Fatalf("fixture flag: %v", err)
	}
	for _, bad := range []string{
		``, `{`, `{"key":"a",}`, `{"key":"a" "on":true}`, `{"rules":[1,]}`, `{"rules":[tru]}`,
		`{"salt":"a\qb"}`, `{"salt":"a` + "\n" + `"}`, `{"n":01}`, `{"n":-}`, `{"n":1.}`, `{"a":1}{}`,
		`{"variations":"x"}`, `{"prerequisites":[{"key":1}]}`, `{"offVariation":"1"}`, `{"version":"3"}`,
	} {
		if _, err := parseFlag(bad); err == nil {
			t.Errorf("parseFlag(%q) accepted it", bad)
		}
	}
}

func TestToggleBadInput(t *testing.T) {
	a := redistest.StartWithFixture(t)
	ctx := context.Background()
	const prefix = "ld:web-store:production"
	a.Client().HSet(ctx, prefix+":features", "broken", `{"key":"broken","on":true,"version":`)
	s := openStore(t, Options{}, a)
	before := dumpHash(t, a, prefix+":features")

	for _, tc := range []struct {
		prefix, flag string
		want         error
		words        []string
	}{
		{"ld:nope:production", "checkout-flow", ErrUnknownPrefix, []string{"ld:nope:production", "relay-a"}},
		{prefix, "nope", ErrUnknownFlag, []string{prefix, `"nope"`, "relay-a"}},
		{prefix, "removed-experiment", ErrTombstone, []string{prefix, "removed-experiment", "relay-a"}},
		{prefix, "broken", ErrUnreadable, []string{prefix, "broken", "relay-a", "offset"}},
	} {
		res := s.Toggle(ctx, tc.prefix, tc.flag, false)
		hr := res.Hosts[0]
		if hr.Outcome != Failed || !errors.Is(hr.Err, tc.want) {
			t.Errorf("%s/%s: %+v, want %v", tc.prefix, tc.flag, hr, tc.want)
			continue
		}
		for _, w := range tc.words {
			if !strings.Contains(hr.Err.Error(), w) {
				t.Errorf("%s/%s: error %q does not name %s", tc.prefix, tc.flag, hr.Err, w)
			}
		}
	}
	if after := dumpHash(t, a, prefix+":features"); !reflect.DeepEqual(before, after) {
		t.Error("a refused toggle changed the hash")
	}
	if n := a.Client().Exists(ctx, "ld:nope:production:features").Val(); n != 0 {
		t.Error("toggle on an unknown prefix created its hash")
	}
	res := s.Toggle(ctx, prefix, "checkout-flow", false, "relay-x")
	if len(res.Hosts) != 1 || res.Hosts[0].Outcome != Failed || !strings.Contains(res.Hosts[0].Err.Error(), "relay-x") {
		t.Errorf("unknown host name: %+v", res.Hosts)
	}
}

func TestToggleWrongPasswordAndUnreachableHost(t *testing.T) {
	good := redistest.StartWithFixture(t)
	locked := redistest.StartWithFixture(t, redistest.WithPassword("s3cret"))
	ctx := context.Background()
	const prefix = "ld:web-store:production"
	lockedBefore := dumpHash(t, locked, prefix+":features")
	s, err := Open([]HostConfig{
		{Name: "relay-a", Addr: good.Addr},
		{Name: "relay-b", Addr: "redis://:wrong@" + locked.Addr},
		{Name: "relay-c", Addr: "127.0.0.1:1"}, // nobody listens on port 1
	}, Options{DialTimeout: 500 * time.Millisecond, CommandTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res := s.Toggle(ctx, prefix, "kill-switch-checkout", false)
	if r := res.Hosts[0]; r.Outcome != Written || r.Err != nil {
		t.Errorf("good host: %+v", r)
	}
	if r := res.Hosts[1]; r.Outcome != Failed || r.Err == nil || !strings.Contains(r.Err.Error(), "relay-b") ||
		!strings.Contains(strings.ToLower(r.Err.Error()), "wrongpass") {
		t.Errorf("wrong password: %+v", r)
	}
	if r := res.Hosts[2]; r.Outcome != Failed || r.Err == nil || !strings.Contains(r.Err.Error(), "relay-c") ||
		!strings.Contains(r.Err.Error(), "127.0.0.1:1") {
		t.Errorf("unreachable: %+v", r)
	}
	if after := dumpHash(t, locked, prefix+":features"); !reflect.DeepEqual(lockedBefore, after) {
		t.Error("the host with the wrong password was changed")
	}
	// With the right password, the failed host can be retried alone.
	s2, err := Open([]HostConfig{{Name: "relay-b", Addr: locked.Addr, Password: "s3cret"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if r := s2.Toggle(ctx, prefix, "kill-switch-checkout", false).Hosts[0]; r.Outcome != Written {
		t.Errorf("right password: %+v", r)
	}
}

// One of three hosts stopped: two written, one failed within the timeout; after it is
// back (empty, refilled like a Relay full sync), retrying just that host completes it.
func TestToggleHostDownThenRetry(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	c := redistest.StartWithFixture(t)
	timeout := 500 * time.Millisecond
	s := openStore(t, Options{DialTimeout: timeout, CommandTimeout: timeout}, a, b, c)
	ctx := context.Background()
	const prefix, key = "ld:payments:production", "kill-switch-checkout"
	c.Stop()
	start := time.Now()
	res := s.Toggle(ctx, prefix, key, false)
	if elapsed := time.Since(start); elapsed > s.budget()+time.Second {
		t.Errorf("toggle took %v with a host down, budget %v", elapsed, s.budget())
	}
	if res.Hosts[0].Outcome != Written || res.Hosts[1].Outcome != Written {
		t.Fatalf("live hosts: %+v", res.Hosts)
	}
	if r := res.Hosts[2]; r.Outcome != Failed || r.Err == nil || !strings.Contains(r.Err.Error(), "relay-c") {
		t.Fatalf("stopped host: %+v", r)
	}
	failed := res.FailedHosts()
	if !reflect.DeepEqual(failed, []string{"relay-c"}) {
		t.Fatalf("FailedHosts = %v", failed)
	}

	c.Restart()
	c.LoadFixture()
	retry := s.Toggle(ctx, prefix, key, false, failed...)
	if len(retry.Hosts) != 1 || retry.Hosts[0].Host != "relay-c" || retry.Hosts[0].Outcome != Written {
		t.Fatalf("retry: %+v", retry.Hosts)
	}
	f, err := s.Flag(ctx, prefix, key)
	if err != nil {
		t.Fatal(err)
	}
	if ok, why := f.Agree(); !ok {
		t.Errorf("hosts disagree after the retry: %s", why)
	}
	if p, _ := f.Primary(); p.On || p.Version != res.Hosts[0].NewVersion {
		t.Errorf("after retry: %+v", p)
	}
}

// A paused host (accepts connections, never answers) fails within the budget and does not
// hold up the others.
func TestToggleHungHost(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	timeout := 300 * time.Millisecond
	s := openStore(t, Options{DialTimeout: timeout, CommandTimeout: timeout}, a, b)
	b.Pause()
	defer b.Resume()
	start := time.Now()
	res := s.Toggle(context.Background(), "ld:payments:production", "kill-switch-checkout", false)
	elapsed := time.Since(start)
	if res.Hosts[0].Outcome != Written || res.Hosts[1].Outcome != Failed {
		t.Fatalf("%+v", res.Hosts)
	}
	if elapsed > s.budget()+500*time.Millisecond {
		t.Errorf("took %v, budget %v", elapsed, s.budget())
	}
	if res.Hosts[0].Latency > time.Second {
		t.Errorf("live host waited for the hung one: %v", res.Hosts[0].Latency)
	}
}

// A writer changes the hash between WATCH and EXEC (as a streamed upsert from Relay would):
// EXEC fails, the toggle starts over on the new state, and neither write is lost.
func TestToggleLostWatchRace(t *testing.T) {
	a := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a)
	ctx := context.Background()
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	other := a.Client()
	orig := fixture.Load()[prefix].Features[key]
	v0 := int(decodeMap(t, orig)["version"].(float64))
	// The concurrent writer bumps the version and changes the salt: a lost update would
	// either lose the salt or reuse a version.
	bumped, err := SetOnAndVersion(orig, true, v0+5)
	if err != nil {
		t.Fatal(err)
	}
	bumped = strings.Replace(bumped, `"salt":"kill-switch-checkout-salt"`, `"salt":"concurrent"`, 1)
	var mu sync.Mutex
	var attempts []int
	beforeExec = func(host string, attempt int) {
		mu.Lock()
		attempts = append(attempts, attempt)
		mu.Unlock()
		if attempt == 0 {
			if err := other.HSet(ctx, prefix+":features", key, bumped).Err(); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { beforeExec = nil }()

	res := s.Toggle(ctx, prefix, key, false)
	r := res.Hosts[0]
	if r.Outcome != Written || r.OldVersion != v0+5 || r.NewVersion != v0+6 {
		t.Errorf("%+v, want written over version %d", r, v0+5)
	}
	if !reflect.DeepEqual(attempts, []int{0, 1}) {
		t.Errorf("attempts %v, want a retry after the lost race", attempts)
	}
	got := decodeMap(t, a.Client().HGet(ctx, prefix+":features", key).Val())
	if got["on"] != false || got["version"] != float64(v0+6) || got["salt"] != "concurrent" {
		t.Errorf("stored %v", got)
	}

	// A writer that always wins exhausts the retries: failed, named, and its write kept.
	other.HSet(ctx, prefix+":features", key, bumped)
	beforeExec = func(host string, attempt int) {
		other.HSet(ctx, prefix+":features", key, bumped)
	}
	res = s.Toggle(ctx, prefix, key, false)
	if r := res.Hosts[0]; r.Outcome != Failed || r.Err == nil || !strings.Contains(r.Err.Error(), "another writer") || !strings.Contains(r.Err.Error(), key) {
		t.Errorf("endless race: %+v", r)
	}
	if a.Client().HGet(ctx, prefix+":features", key).Val() != bumped {
		t.Error("the other writer's value was overwritten")
	}
}

// Goroutines toggling the same flag at once on the same host: every write is counted.
func TestToggleConcurrentTogglers(t *testing.T) {
	a := redistest.StartWithFixture(t)
	s := openStore(t, Options{MaxWatchRetries: 50}, a)
	ctx := context.Background()
	const prefix, key = "ld:web-store:production", "use-fallback-cdn"
	v0 := int(decodeMap(t, fixture.Load()[prefix].Features[key])["version"].(float64))
	var wg sync.WaitGroup
	var mu sync.Mutex
	written := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				r := s.Toggle(ctx, prefix, key, (i+j)%2 == 0).Hosts[0]
				if r.Outcome == Failed {
					t.Errorf("%+v", r)
				}
				if r.Outcome == Written {
					mu.Lock()
					written++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	got := decodeMap(t, a.Client().HGet(ctx, prefix+":features", key).Val())
	if got["version"] != float64(v0+written) {
		t.Errorf("version %v after %d writes from %d: a lost update", got["version"], written, v0)
	}
}

func TestSpecialMatchesByteTable(t *testing.T) {
	check := func(b []byte) {
		want := true
		for _, c := range b {
			want = want && plain[c]
		}
		v := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if got := !special(v); got != want {
			t.Fatalf("special(%q) = %v, want %v", b, !got, !want)
		}
	}
	b := []byte("abcdefgh")
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			copy(b, "abcdéfgh"[:8])
			b[pos] = byte(c)
			check(b)
			b[(pos+3)%8] = 0xff
			check(b)
		}
	}
}

// A prefix missing on one host fails there, naming the host, and is written elsewhere.
func TestTogglePrefixMissingOnOneHost(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.Start(t) // empty: no prefix at all
	s := openStore(t, Options{}, a, b)
	res := s.Toggle(context.Background(), "ld:web-store:production", "kill-switch-checkout", false)
	if res.Hosts[0].Outcome != Written {
		t.Errorf("relay-a: %+v", res.Hosts[0])
	}
	r := res.Hosts[1]
	if r.Outcome != Failed || !errors.Is(r.Err, ErrUnknownPrefix) || !strings.Contains(r.Err.Error(), "relay-b") {
		t.Errorf("relay-b: %+v", r)
	}
	if n := b.Client().DBSize(context.Background()).Val(); n != 0 {
		t.Errorf("relay-b now holds %d keys; nothing may be written there", n)
	}
}

// A toggle that ends without EXEC (unchanged, refused) releases its WATCH: otherwise the
// pooled connection would carry it into the next toggle, whose EXEC would then fail for a
// change made before it even started.
func TestToggleReleasesWatchWithoutExec(t *testing.T) {
	a := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a)
	ctx := context.Background()
	const prefix = "ld:web-store:production"
	var attempts []int
	beforeExec = func(_ string, attempt int) { attempts = append(attempts, attempt) }
	defer func() { beforeExec = nil }()
	for _, first := range []string{"kill-switch-search" /* unchanged */, "removed-experiment" /* refused */} {
		s.Toggle(ctx, prefix, first, false)
		a.Client().HSet(ctx, prefix+":features", "unrelated", `{"key":"unrelated","on":true,"version":1}`)
		attempts = nil
		on := first == "kill-switch-search"
		if r := s.Toggle(ctx, prefix, "use-fallback-cdn", on).Hosts[0]; r.Outcome != Written {
			t.Fatalf("%+v", r)
		}
		if !reflect.DeepEqual(attempts, []int{0}) {
			t.Errorf("after %s: attempts %v, want one (a stale WATCH made EXEC fail)", first, attempts)
		}
	}
}

// The scanner accepts exactly what encoding/json accepts, on every fixture flag with every
// single-byte deletion and a few replacements. (It may also refuse valid JSON whose shown
// fields have the wrong type, e.g. "on":"off"; such errors name the field.)
func TestParseFlagAgreesWithEncodingJSON(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range fixture.Load() {
		for _, raw := range p.Features {
			if seen[raw] {
				continue
			}
			seen[raw] = true
			var variants []string
			for i := range len(raw) {
				variants = append(variants, raw[:i]+raw[i+1:])
				for _, c := range []string{`"`, `}`, `]`, `,`, `x`, "\n", `\`} {
					variants = append(variants, raw[:i]+c+raw[i+1:])
				}
			}
			for _, v := range variants {
				_, err := parseFlag(v)
				valid := json.Valid([]byte(v))
				if !valid && err == nil {
					t.Fatalf("accepted invalid JSON: %s", v)
				}
				if valid && err != nil && !strings.Contains(err.Error(), `"`) {
					t.Fatalf("refused valid JSON without naming a field: %v\n%s", err, v)
				}
			}
		}
	}
}
