package relaytest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"relaycommander/flags"
	"relaycommander/flags/redistest"
	"relaycommander/ldsync/ldfake"
)

// EnvFor is the Relay environment streaming a project's environment from ldfake, stored
// under the convention prefix ld:{project}:{env} and named "project/env" in /status.
func EnvFor(tb testing.TB, ld *ldfake.Server, project, envKey string) Environment {
	tb.Helper()
	key, ok := ld.SDKKey(project, envKey)
	if !ok {
		tb.Fatalf("relaytest: ldfake has no environment %s/%s", project, envKey)
	}
	return Environment{Name: project + "/" + envKey, SDKKey: key, Prefix: flags.ConventionPrefix(project, envKey), ProjKey: project}
}

// Outage is the setting of the outage runbook: one LaunchDarkly (ldfake) and one or more
// sites, each a Relay streaming one environment into its own real Redis (loaded with the
// fixture), as in the measured two-Relay setup of issue 12. Its steps act on every site, so
// that later tests can interleave their own actions with them.
type Outage struct {
	LD    *ldfake.Server
	Env   Environment
	Sites []Site
	Store *flags.Store // the operator's view: every site's Redis, hosts named redis-a, redis-b, ...
}

// Site is one Relay and its Redis.
type Site struct {
	Name  string // relay-a, relay-b, ...
	Redis *redistest.Server
	Relay *Relay
}

// StartOutage starts one site for project/envKey of ld (opts' StreamURL, RedisAddr and
// Environments are filled in) and waits for its first sync.
func StartOutage(tb testing.TB, ld *ldfake.Server, project, envKey string, opts Options) *Outage {
	tb.Helper()
	return StartOutageSites(tb, ld, project, envKey, 1, opts)
}

// StartOutageSites is StartOutage with n sites.
func StartOutageSites(tb testing.TB, ld *ldfake.Server, project, envKey string, n int, opts Options) *Outage {
	tb.Helper()
	o := &Outage{LD: ld, Env: EnvFor(tb, ld, project, envKey)}
	var hosts []flags.HostConfig
	for i := range n {
		letter := string(rune('a' + i))
		site := Site{Name: "relay-" + letter, Redis: redistest.StartWithFixture(tb)}
		opts.StreamURL, opts.RedisAddr, opts.Environments = ld.StreamURL(), site.Redis.Addr, []Environment{o.Env}
		site.Relay = Start(tb, opts)
		o.Sites = append(o.Sites, site)
		hosts = append(hosts, flags.HostConfig{Name: "redis-" + letter, Addr: site.Redis.Addr})
	}
	st, err := flags.Open(hosts, flags.Options{})
	if err != nil {
		tb.Fatalf("relaytest: open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	o.Store = st
	for _, s := range o.Sites {
		s.Relay.WaitSyncs(tb, o.Env.Name, 1, 5*time.Second)
	}
	return o
}

// Relay is the first site's Relay.
func (o *Outage) Relay() *Relay { return o.Sites[0].Relay }

// Redis is the first site's Redis.
func (o *Outage) Redis() *redistest.Server { return o.Sites[0].Redis }

// waitLimit bounds the waits of the steps: the back-off's cap and the cache TTL, with room.
func (o *Outage) waitLimit() time.Duration {
	r := o.Relay()
	return 5*time.Second + 2*r.opts.Backoff.Max + 2*max(r.opts.LocalTTL, 0)
}

// CutOff makes LaunchDarkly unreachable and waits until every Relay reports INTERRUPTED.
func (o *Outage) CutOff(tb testing.TB) {
	tb.Helper()
	o.LD.SetUnreachable(true)
	for _, s := range o.Sites {
		s.Relay.WaitConnection(tb, o.Env.Name, StateInterrupted, o.waitLimit())
	}
}

// Edit toggles a flag in every site's Redis as the operator's tool does, and returns the
// version written.
func (o *Outage) Edit(tb testing.TB, flag string, on bool) int {
	tb.Helper()
	res := o.Store.Toggle(context.Background(), o.Env.Prefix, flag, on)
	for _, h := range res.Hosts {
		if h.Outcome != flags.Written || h.NewVersion != res.Hosts[0].NewVersion {
			tb.Fatalf("relaytest: edit %s in %s: %+v", flag, o.Env.Prefix, res.Hosts)
		}
	}
	return res.Hosts[0].NewVersion
}

// Restore makes LaunchDarkly reachable and waits for every Relay's reconnect and full sync.
func (o *Outage) Restore(tb testing.TB) {
	tb.Helper()
	syncs := make([]int, len(o.Sites))
	for i, s := range o.Sites {
		syncs[i] = s.Relay.State(tb, o.Env.Name).Syncs
	}
	o.LD.SetUnreachable(false)
	for i, s := range o.Sites {
		s.Relay.WaitSyncs(tb, o.Env.Name, syncs[i]+1, o.waitLimit())
	}
}

// InRedis reads a flag's on and version from every site's Redis; they must agree.
func (o *Outage) InRedis(tb testing.TB, flag string) (on bool, version int) {
	tb.Helper()
	for i, s := range o.Sites {
		raw, err := s.Redis.Client().HGet(context.Background(), o.Env.Prefix+":"+featuresKey, flag).Result()
		if err != nil {
			tb.Fatalf("relaytest: %s: HGET %s:features %s: %v", s.Name, o.Env.Prefix, flag, err)
		}
		var f struct {
			On      bool `json:"on"`
			Version int  `json:"version"`
		}
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			tb.Fatalf("relaytest: %s: %s in Redis is unreadable: %v", s.Name, flag, err)
		}
		if i > 0 && (f.On != on || f.Version != version) {
			tb.Fatalf("relaytest: %s in Redis: %s on=%v v%d, %s on=%v v%d", flag, o.Sites[0].Name, on, version, s.Name, f.On, f.Version)
		}
		on, version = f.On, f.Version
	}
	return on, version
}

// WaitServed waits until every Relay serves the flag with on and version, and returns how
// long that took.
func (o *Outage) WaitServed(tb testing.TB, flag string, on bool, version int) time.Duration {
	tb.Helper()
	start := time.Now()
	for _, s := range o.Sites {
		s.Relay.WaitServed(tb, o.Env.SDKKey, flag, on, version, o.waitLimit())
	}
	return time.Since(start)
}

// EditUndoneByResync is the damage of issue 12, step by step: LaunchDarkly goes away, the
// operator sets flag to on in Redis, every Relay serves the edit once its localTtl expires,
// LaunchDarkly comes back, the Relays re-sync, and every Redis and every Relay is back at
// LaunchDarkly's state. It fails the test unless every step happens, and returns
// LaunchDarkly's (restored) version.
func (o *Outage) EditUndoneByResync(tb testing.TB, flag string, on bool) (ldVersion int) {
	tb.Helper()
	ldOn, ldVersion, ok := o.LD.FlagState(o.Env.ProjKey, envKeyOf(o.Env), flag)
	if !ok || ldOn == on {
		tb.Fatalf("relaytest: %s is %v in LaunchDarkly (found %v): nothing to undo", flag, ldOn, ok)
	}
	o.CutOff(tb)
	written := o.Edit(tb, flag, on)
	o.WaitServed(tb, flag, on, written)
	o.Restore(tb)
	if gotOn, gotVersion := o.InRedis(tb, flag); gotOn != ldOn || gotVersion != ldVersion {
		tb.Fatalf("relaytest: after the re-sync Redis holds %s on=%v v%d, want LaunchDarkly's on=%v v%d", flag, gotOn, gotVersion, ldOn, ldVersion)
	}
	o.WaitServed(tb, flag, ldOn, ldVersion)
	return ldVersion
}

func envKeyOf(e Environment) string {
	t, ok := flags.ParseConventionPrefix(e.Prefix)
	if !ok {
		return ""
	}
	return t.Environment
}

// Served asks the Relay for a flag as an SDK would. status is the HTTP status; on and
// version are meaningful only with 200.
func (r *Relay) Served(ctx context.Context, sdkKey, flag string) (status int, on bool, version int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL()+"/sdk/flags/"+flag, nil)
	if err != nil {
		return 0, false, 0, err
	}
	req.Header.Set("Authorization", sdkKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp.StatusCode, false, 0, err
	}
	var f struct {
		On      bool `json:"on"`
		Version int  `json:"version"`
	}
	if err := json.Unmarshal(body, &f); err != nil {
		return resp.StatusCode, false, 0, fmt.Errorf("flag %s served as %q: %w", flag, body, err)
	}
	return resp.StatusCode, f.On, f.Version, nil
}

// WaitServed polls the Relay (every 10ms) until it serves the flag with on and version,
// and returns how long that took.
func (r *Relay) WaitServed(tb testing.TB, sdkKey, flag string, on bool, version int, timeout time.Duration) time.Duration {
	tb.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		status, gotOn, gotVersion, err := r.Served(ctx, sdkKey, flag)
		cancel()
		if err == nil && status == http.StatusOK && gotOn == on && gotVersion == version {
			return time.Since(start)
		}
		last = fmt.Sprintf("status %d on=%v v%d err=%v", status, gotOn, gotVersion, err)
		if time.Now().After(deadline) {
			tb.Fatalf("relaytest: %s does not serve %s on=%v v%d within %v (last: %s)", r.URL(), flag, on, version, timeout, last)
		}
		time.Sleep(10 * time.Millisecond) // poll interval, not a wait for a condition
	}
}
