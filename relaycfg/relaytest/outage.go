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

// Outage is one LaunchDarkly (ldfake), one real Redis loaded with the fixture, and one
// Relay streaming one environment into it: the setting of the outage runbook, with steps
// that later tests interleave their own actions with.
type Outage struct {
	LD    *ldfake.Server
	Redis *redistest.Server
	Relay *Relay
	Store *flags.Store // the operator's view: this one Redis host
	Env   Environment
}

// StartOutage starts Redis and a Relay (opts' StreamURL, RedisAddr and Environments are
// filled in) for project/envKey of ld, and waits for the Relay's first sync.
func StartOutage(tb testing.TB, ld *ldfake.Server, project, envKey string, opts Options) *Outage {
	tb.Helper()
	o := &Outage{LD: ld, Redis: redistest.StartWithFixture(tb), Env: EnvFor(tb, ld, project, envKey)}
	opts.StreamURL, opts.RedisAddr, opts.Environments = ld.StreamURL(), o.Redis.Addr, []Environment{o.Env}
	o.Relay = Start(tb, opts)
	st, err := flags.Open([]flags.HostConfig{{Name: "redis", Addr: o.Redis.Addr}}, flags.Options{})
	if err != nil {
		tb.Fatalf("relaytest: open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	o.Store = st
	o.Relay.WaitSyncs(tb, o.Env.Name, 1, 5*time.Second)
	return o
}

// waitLimit bounds the waits of the steps: the back-off's cap and the cache TTL, with room.
func (o *Outage) waitLimit() time.Duration {
	return 5*time.Second + 2*o.Relay.opts.Backoff.Max + 2*max(o.Relay.opts.LocalTTL, 0)
}

// CutOff makes LaunchDarkly unreachable and waits until the Relay reports INTERRUPTED.
func (o *Outage) CutOff(tb testing.TB) {
	tb.Helper()
	o.LD.SetUnreachable(true)
	o.Relay.WaitConnection(tb, o.Env.Name, StateInterrupted, o.waitLimit())
}

// Edit toggles a flag in Redis as the operator's tool does, and returns the version written.
func (o *Outage) Edit(tb testing.TB, flag string, on bool) int {
	tb.Helper()
	res := o.Store.Toggle(context.Background(), o.Env.Prefix, flag, on)
	if len(res.Hosts) != 1 || res.Hosts[0].Outcome != flags.Written {
		tb.Fatalf("relaytest: edit %s in %s: %+v", flag, o.Env.Prefix, res.Hosts)
	}
	return res.Hosts[0].NewVersion
}

// Restore makes LaunchDarkly reachable and waits for the Relay's reconnect and full sync.
func (o *Outage) Restore(tb testing.TB) {
	tb.Helper()
	syncs := o.Relay.State(tb, o.Env.Name).Syncs
	o.LD.SetUnreachable(false)
	o.Relay.WaitSyncs(tb, o.Env.Name, syncs+1, o.waitLimit())
}

// InRedis reads a flag's on and version from Redis.
func (o *Outage) InRedis(tb testing.TB, flag string) (on bool, version int) {
	tb.Helper()
	raw, err := o.Redis.Client().HGet(context.Background(), o.Env.Prefix+":"+featuresKey, flag).Result()
	if err != nil {
		tb.Fatalf("relaytest: HGET %s:features %s: %v", o.Env.Prefix, flag, err)
	}
	var f struct {
		On      bool `json:"on"`
		Version int  `json:"version"`
	}
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		tb.Fatalf("relaytest: %s in Redis is unreadable: %v", flag, err)
	}
	return f.On, f.Version
}

// WaitServed waits until the Relay serves the flag with on and version, and returns how
// long that took.
func (o *Outage) WaitServed(tb testing.TB, flag string, on bool, version int) time.Duration {
	tb.Helper()
	return o.Relay.WaitServed(tb, o.Env.SDKKey, flag, on, version, o.waitLimit())
}

// EditUndoneByResync is the damage of issue 12, step by step: LaunchDarkly goes away, the
// operator turns flag to on in Redis, the Relay serves the edit once its localTtl expires,
// LaunchDarkly comes back, the Relay re-syncs, and both Redis and the Relay are back at
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
