package ldsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relaycommander/journal"
	"relaycommander/ldsync/ldfake"
)

// env is one replay test: a fake LaunchDarkly, a real journal in a temp dir, a client.
type env struct {
	t    *testing.T
	fake *ldfake.Server
	j    *journal.Journal
	c    *Client
	r    *Replayer
}

func newEnv(t *testing.T, opts ...ldfake.Option) *env {
	t.Helper()
	fake := startFake(t, opts...)
	j, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatalf("journal.Open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	c := newTestClient(t, fake, fake.Token())
	return &env{t: t, fake: fake, j: j, c: c, r: &Replayer{Client: c, Journal: j, Operator: "replayer@example"}}
}

func ver(n int) *int { return &n }

// change records an offline change as the UI would (intent, then the Redis outcome).
func (e *env) change(project, envKey, flag string, before, after bool, base *int, reason string) journal.Change {
	e.t.Helper()
	prefix := "ld:" + project + ":" + envKey
	if project == "" {
		prefix = "custom-prefix"
	}
	c, err := e.j.Begin(journal.Change{
		Operator: "alice", Reason: reason, Prefix: prefix, Project: project, Environment: envKey,
		Flag: flag, Before: before, After: after, BaseVersion: base,
	})
	if err != nil {
		e.t.Fatalf("Begin: %v", err)
	}
	old := 0
	if base != nil {
		old = *base
	}
	if err := e.j.Complete(c.ID, []journal.HostOutcome{{Host: "redis-1:6379", Outcome: "written", OldOn: before, OldVersion: old, NewVersion: old + 1}}); err != nil {
		e.t.Fatalf("Complete: %v", err)
	}
	return c
}

func (e *env) pending() []journal.Pending {
	e.t.Helper()
	p, err := e.j.Pending()
	if err != nil {
		e.t.Fatalf("Pending: %v", err)
	}
	return p
}

func (e *env) plan() Plan {
	e.t.Helper()
	plan, err := e.r.Plan(context.Background(), e.pending())
	if err != nil {
		e.t.Fatalf("Plan: %v", err)
	}
	return plan
}

// apply runs Apply while collecting every progress event.
func (e *env) apply(ctx context.Context, plan Plan) (Counts, []Progress, error) {
	ch := make(chan Progress)
	var events []Progress
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for p := range ch {
			events = append(events, p)
		}
	}()
	counts, err := e.r.Apply(ctx, plan, ch)
	wg.Wait() // returns only because Apply closed the channel
	return counts, events, err
}

func (e *env) state(project, envKey, flag string) (bool, int) {
	on, v, ok := e.fake.FlagState(project, envKey, flag)
	if !ok {
		e.t.Fatalf("fake has no %s in %s/%s", flag, project, envKey)
	}
	return on, v
}

func (e *env) events(prefix, flag string) []journal.ReplayEvent {
	_, evs, err := e.j.History(prefix, flag)
	if err != nil {
		e.t.Fatalf("History: %v", err)
	}
	return evs
}

func kinds(evs []journal.ReplayEvent) string {
	var ks []string
	for _, ev := range evs {
		ks = append(ks, string(ev.Kind))
	}
	return strings.Join(ks, ",")
}

func statuses(p Plan) string {
	var s []string
	for _, it := range p.Items {
		s = append(s, string(it.Status))
	}
	return strings.Join(s, ",")
}

func TestReplayHappyPath(t *testing.T) {
	e := newEnv(t)
	// fixture, ld:web-store:production: kill-switch-search off at 4, checkout-flow on at 40
	e.change("web-store", "production", "kill-switch-search", false, true, ver(4), "search is melting")
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	plan := e.plan()
	if got := statuses(plan); got != "ready,ready" {
		t.Fatalf("plan = %s, want ready,ready", got)
	}
	counts, events, err := e.apply(context.Background(), plan)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if counts.Applied != 2 || counts.Verified != 2 || counts.Failed+counts.Conflicts+counts.Mismatched != 0 {
		t.Fatalf("counts = %+v", counts)
	}
	if on, v := e.state("web-store", "production", "kill-switch-search"); !on || v != 5 {
		t.Errorf("kill-switch-search = %v at %d, want on at 5", on, v)
	}
	if on, v := e.state("web-store", "production", "checkout-flow"); on || v != 41 {
		t.Errorf("checkout-flow = %v at %d, want off at 41", on, v)
	}
	if n := len(e.pending()); n != 0 {
		t.Errorf("%d changes still pending after the replay", n)
	}
	if got := kinds(e.events("ld:web-store:production", "kill-switch-search")); got != "attempted,applied,verified" {
		t.Errorf("journal events = %s", got)
	}
	ev := e.events("ld:web-store:production", "kill-switch-search")[1]
	if ev.LDVersion != 5 || ev.By != "replayer@example" {
		t.Errorf("applied event = %+v, want LD version 5 and the operator", ev)
	}
	patches := e.fake.Patches()
	if len(patches) != 2 {
		t.Fatalf("patches = %+v", patches)
	}
	for _, want := range []string{"Offline change replayed by Relay Commander", "set on=true in production", "made by alice", "LaunchDarkly outage", "reason: search is melting"} {
		if !strings.Contains(patches[0].Comment, want) {
			t.Errorf("comment %q lacks %q", patches[0].Comment, want)
		}
	}
	var attempts, results int
	for _, p := range events {
		if p.Attempt > 0 {
			attempts++
		}
		if p.Done {
			results++
		}
		if p.Total != 2 {
			t.Errorf("progress total = %d, want 2", p.Total)
		}
	}
	if attempts != 2 || results != 4 { // 2 applied + 2 verified
		t.Errorf("progress: %d attempts, %d results; want 2 and 4: %+v", attempts, results, events)
	}
	if last := events[len(events)-1]; last.Counts.Verified != 2 {
		t.Errorf("last progress counts = %+v", last.Counts)
	}
}

func TestReplayInSync(t *testing.T) {
	e := newEnv(t)
	// someone already did it in LaunchDarkly
	e.change("web-store", "production", "kill-switch-search", false, true, ver(4), "")
	e.fake.ChangeBehindBack("web-store", "production", "kill-switch-search", true)
	// on, then off again: no net effect, LaunchDarkly matches
	e.change("web-store", "staging", "checkout-flow", true, false, ver(41), "")
	e.change("web-store", "staging", "checkout-flow", false, true, ver(42), "")
	plan := e.plan()
	if got := statuses(plan); got != "in sync,in sync" {
		t.Fatalf("plan = %s", got)
	}
	if !plan.Items[1].Pending.NoNetEffect() {
		t.Fatal("test setup: second pending should have no net effect")
	}
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.InSync != 2 || counts.Applied != 0 {
		t.Fatalf("Apply = %+v, %v; want 2 in sync", counts, err)
	}
	if e.fake.PatchCount() != 0 {
		t.Errorf("in-sync items were patched: %+v", e.fake.Patches())
	}
	if n := len(e.pending()); n != 0 {
		t.Errorf("%d still pending", n)
	}
}

func TestReplayConflict(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	e.fake.ChangeBehindBack("web-store", "production", "checkout-flow", true) // version 41, still on
	plan := e.plan()
	it := plan.Items[0]
	if it.Status != Conflict || it.LD.Version != 41 || !it.LD.On || it.LD.LastModified.IsZero() || !strings.Contains(it.Reason, "version 41") {
		t.Fatalf("item = %+v, want a conflict at 41 with LaunchDarkly's state", it)
	}
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Conflicts != 1 || counts.Applied != 0 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	if e.fake.PatchCount() != 0 {
		t.Fatal("a conflict was overwritten without force")
	}
	p := e.pending()
	if len(p) != 1 || p[0].Last == nil || p[0].Last.Kind != journal.ReplayConflict || p[0].Last.LDVersion != 41 {
		t.Fatalf("pending after = %+v, want still pending with the conflict recorded", p)
	}

	// The operator forces it.
	plan = e.plan()
	plan.Items[0].Force = true
	counts, _, err = e.apply(context.Background(), plan)
	if err != nil || counts.Applied != 1 || counts.Verified != 1 {
		t.Fatalf("forced Apply = %+v, %v", counts, err)
	}
	if on, v := e.state("web-store", "production", "checkout-flow"); on || v != 42 {
		t.Errorf("after force: %v at %d, want off at 42", on, v)
	}
	evs := e.events("ld:web-store:production", "checkout-flow")
	if got := kinds(evs); got != "conflict,attempted,applied,verified" || !evs[2].Forced {
		t.Errorf("events = %s (applied forced=%v)", got, evs[2].Forced)
	}
	if len(e.pending()) != 0 {
		t.Error("still pending after force")
	}
}

func TestReplayConflictSkipped(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(39), "") // LaunchDarkly is at 40
	plan := e.plan()
	plan.Items[0].Skip = true
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Skipped != 1 || e.fake.PatchCount() != 0 {
		t.Fatalf("Apply = %+v, %v, patches %d", counts, err, e.fake.PatchCount())
	}
}

func TestReplayLowerVersionIsConflict(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(99), "")
	plan := e.plan()
	if plan.Items[0].Status != Conflict || !strings.Contains(plan.Items[0].Reason, "lower") {
		t.Fatalf("item = %+v", plan.Items[0])
	}
}

func TestReplayUnknownBase(t *testing.T) {
	e := newEnv(t)
	e.change("payments", "test", "kill-switch-search", false, true, nil, "")
	plan := e.plan()
	if plan.Items[0].Status != UnknownBase {
		t.Fatalf("plan = %s", statuses(plan))
	}
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Applied != 1 || counts.Verified != 1 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	if on, _ := e.state("payments", "test", "kill-switch-search"); !on {
		t.Error("not applied")
	}
}

func TestReplayNotReplayable(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "flag-deleted-in-ld", false, true, ver(3), "")
	e.change("", "", "checkout-flow", true, false, ver(3), "")
	e.change("web-store", "qa", "checkout-flow", true, false, ver(3), "")
	e.change("web-store", "production", "kill-switch-search", false, true, ver(4), "")
	plan := e.plan()
	if got := statuses(plan); got != "not replayable,not replayable,not replayable,ready" {
		t.Fatalf("plan = %s", got)
	}
	for i, want := range []string{"flag-deleted-in-ld", "custom-prefix", "qa"} {
		if !strings.Contains(plan.Items[i].Reason, want) {
			t.Errorf("item %d reason %q does not name %s", i, plan.Items[i].Reason, want)
		}
	}
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Skipped != 3 || counts.Applied != 1 || e.fake.PatchCount() != 1 {
		t.Fatalf("Apply = %+v, %v, patches %d", counts, err, e.fake.PatchCount())
	}
}

func TestReplay404AtApply(t *testing.T) {
	e := newEnv(t, ldfake.Empty())
	e.fake.SetFlagState("p", "production", "f", false, 3)
	e.change("p", "production", "f", false, true, ver(3), "")
	plan := e.plan()
	// the project disappears between plan and apply: the read at apply time gets 404
	e.r.Client = newTestClient(t, e.fake, e.fake.Token())
	plan.Items[0].Pending.Project = "gone"
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Failed != 1 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	if p := e.pending(); len(p) != 1 || p[0].Last == nil || p[0].Last.Kind != journal.ReplayFailed || !strings.Contains(p[0].Last.Error, "gone") {
		t.Fatalf("pending = %+v", p[0].Last)
	}
}

func TestReplay405ApprovalRequired(t *testing.T) {
	e := newEnv(t)
	e.fake.RequireApprovals("web-store", "production", true)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	e.change("web-store", "staging", "checkout-flow", true, false, ver(41), "")
	counts, events, err := e.apply(context.Background(), e.plan())
	if err != nil || counts.Failed != 1 || counts.Applied != 1 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	p := e.pending()
	if len(p) != 1 || p[0].Last.Kind != journal.ReplayFailed || !strings.Contains(p[0].Last.Error, "Approval is required") || !strings.Contains(p[0].Last.Error, "405") {
		t.Fatalf("pending = %+v", p)
	}
	var sawErr bool
	for _, ev := range events {
		if ev.Done && ev.Result == string(journal.ReplayFailed) && ev.Err != nil {
			sawErr = true
		}
	}
	if !sawErr {
		t.Error("no failed progress event with its error")
	}
}

func TestReplayAbortsOn401And403(t *testing.T) {
	for _, tc := range []struct {
		name, token, want string
	}{
		{"401", "api-bad-token-7f3a9c", "invalid"},
		{"403", "api-reader-token-51bd", "lacks write rights"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, ldfake.WithReadOnlyToken("api-reader-token-51bd"))
			e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
			e.change("web-store", "staging", "checkout-flow", true, false, ver(41), "")
			plan := e.plan()
			e.r.Client = newTestClient(t, e.fake, tc.token)
			counts, _, err := e.apply(context.Background(), plan)
			if !errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Apply err = %v, want an abort saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Fatalf("error contains the token: %v", err)
			}
			if counts.Failed != 1 || counts.Applied != 0 || e.fake.PatchCount() != 0 {
				t.Fatalf("counts = %+v, patches %d: want the first failed and the rest untouched", counts, e.fake.PatchCount())
			}
			if p := e.pending(); len(p) != 2 || p[1].Last != nil {
				t.Fatalf("pending = %d, second last = %+v", len(p), p[1].Last)
			}
		})
	}
}

func TestReplayPacedByRateLimit(t *testing.T) {
	e := newEnv(t)
	e.fake.SetRouteLimit(2, time.Second)
	for _, envKey := range []string{"production", "staging", "test"} {
		for _, f := range []string{"checkout-flow", "beta-dashboard"} {
			st, err := e.c.GetFlagState(context.Background(), "web-store", f, envKey)
			if err != nil {
				t.Fatal(err)
			}
			e.change("web-store", envKey, f, st.On, !st.On, ver(st.Version), "")
		}
	}
	plan := e.plan()
	// Someone else uses the window up: the replay's first patch gets a 429.
	other := newTestClient(t, e.fake, e.fake.Token())
	for range 2 {
		if _, err := other.SetOn(context.Background(), "payments", "legacy-export", "test", true, ""); err != nil {
			t.Fatal(err)
		}
	}
	counts, events, err := e.apply(context.Background(), plan)
	if err != nil || counts.Applied != 6 || counts.Verified != 6 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	var paced, limited int
	for _, ev := range events {
		if ev.WaitingUntil.IsZero() {
			continue
		}
		switch {
		case strings.HasPrefix(ev.WaitReason, "rate limit (route), resets "):
			paced++
		case strings.HasPrefix(ev.WaitReason, "rate limited (429)"):
			limited++
		default:
			t.Errorf("unexpected wait %q", ev.WaitReason)
		}
	}
	// The replay itself never runs into the limit: the one 429 is the other client's doing.
	// It paces for the windows still open when it reaches them: on a fast machine two (6
	// patches, 2 a second), on a loaded one a window may have closed by itself meanwhile.
	if limited != 1 || paced < 1 {
		t.Errorf("waits: %d after a 429, %d paced; want 1 and at least 1", limited, paced)
	}
	if got := e.fake.PatchCount(); got != 8 {
		t.Errorf("patches = %d, want 8 (2 others + 6)", got)
	}
}

func TestReplayRetries5xxAndTimeouts(t *testing.T) {
	e := newEnv(t, ldfake.WithHang(10*time.Second))
	c, err := NewClient(ClientConfig{BaseURL: e.fake.URL(), Token: e.fake.Token(), Timeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.r.Client = c
	type key struct{ env, flag string }
	want := map[key]bool{}
	for _, envKey := range []string{"production", "staging", "test"} {
		for _, f := range []string{"checkout-flow", "beta-dashboard", "kill-switch-search", "maintenance-banner"} {
			on, v := e.state("web-store", envKey, f)
			e.change("web-store", envKey, f, on, !on, ver(v), "")
			want[key{envKey, f}] = !on
		}
	}
	plan := e.plan()
	e.fake.SetFailureRate(0.2, 11)
	counts, events, err := e.apply(context.Background(), plan)
	e.fake.SetFailureRate(0, 0)
	if err != nil || counts.Applied != len(want) || counts.Failed != 0 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	var retries int
	for _, ev := range events {
		if strings.HasPrefix(ev.WaitReason, "retry ") {
			retries++
		}
	}
	if retries == 0 {
		t.Error("no retries at a 20% failure rate")
	}
	perFlag := map[key]int{}
	for _, p := range e.fake.Patches() {
		perFlag[key{p.Env, p.Flag}]++
	}
	for k, on := range want {
		if perFlag[k] != 1 {
			t.Errorf("%v patched %d times, want exactly once", k, perFlag[k])
		}
		if got, _ := e.state("web-store", k.env, k.flag); got != on {
			t.Errorf("%v = %v, want %v", k, got, on)
		}
	}
	if len(e.pending()) != 0 {
		t.Error("changes still pending")
	}
}

func TestReplayCancelAndResume(t *testing.T) {
	e := newEnv(t)
	e.fake.SetRouteLimit(1, 400*time.Millisecond)
	flags := []string{"checkout-flow", "beta-dashboard", "kill-switch-search", "maintenance-banner", "legacy-export"}
	for _, f := range flags {
		on, v := e.state("payments", "staging", f)
		e.change("payments", "staging", f, on, !on, ver(v), "")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan Progress)
	done := make(chan struct{})
	var counts Counts
	var err error
	go func() {
		defer close(done)
		counts, err = e.r.Apply(ctx, e.plan(), ch)
	}()
	for p := range ch {
		if p.Done && p.Result == string(journal.ReplayApplied) && p.Counts.Applied == 2 {
			cancel()
		}
	}
	<-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply after cancel: %v", err)
	}
	if counts.Applied < 2 || counts.Applied >= len(flags) {
		t.Fatalf("counts after cancel = %+v, want 2 or 3 applied of 5", counts)
	}
	if got := e.fake.PatchCount(); got != counts.Applied {
		t.Fatalf("fake saw %d patches, counts say %d", got, counts.Applied)
	}
	if n := len(e.pending()); n != len(flags)-counts.Applied {
		t.Fatalf("%d pending after cancel, want %d", n, len(flags)-counts.Applied)
	}

	// Resume.
	counts2, _, err := e.apply(context.Background(), e.plan())
	if err != nil || counts2.Applied != len(flags)-counts.Applied {
		t.Fatalf("resume = %+v, %v", counts2, err)
	}
	if e.fake.PatchCount() != len(flags) || len(e.pending()) != 0 {
		t.Fatalf("after resume: %d patches, %d pending", e.fake.PatchCount(), len(e.pending()))
	}
}

// dying is a journal that "crashes" right before recording the first applied result.
type dying struct {
	*journal.Journal
	died bool
}

func (d *dying) RecordReplay(ev journal.ReplayEvent) error {
	if ev.Kind == journal.ReplayApplied && !d.died {
		d.died = true
		return errors.New("killed")
	}
	return d.Journal.RecordReplay(ev)
}

func TestReplayKillAndResumeSendsNothingTwice(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	e.change("web-store", "production", "kill-switch-search", false, true, ver(4), "")
	plan := e.plan()
	e.r.Journal = &dying{Journal: e.j}
	_, _, err := e.apply(context.Background(), plan)
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("Apply with a dying journal: %v", err)
	}
	if e.fake.PatchCount() != 1 {
		t.Fatalf("patches before the kill = %d, want 1", e.fake.PatchCount())
	}
	// "Restart": reopen the journal from disk.
	dir := e.j.Dir()
	e.j.Close()
	j, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	e.j, e.r.Journal = j, j
	if got := kinds(e.events("ld:web-store:production", "checkout-flow")); got != "attempted" {
		t.Fatalf("journal after the kill = %s, want only the attempt", got)
	}
	plan = e.plan()
	if got := statuses(plan); got != "in sync,ready" {
		t.Fatalf("plan after restart = %s, want in sync,ready", got)
	}
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.InSync != 1 || counts.Applied != 1 {
		t.Fatalf("resume = %+v, %v", counts, err)
	}
	if e.fake.PatchCount() != 2 {
		t.Fatalf("patches = %d, want 2: nothing sent twice", e.fake.PatchCount())
	}
}

// TestReplayVerifyMismatch: the verification comes from LaunchDarkly's answer to the patch
// (the flag after the change); an answer that does not show the change is a mismatch.
func TestReplayVerifyMismatch(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	e.change("web-store", "staging", "checkout-flow", true, false, ver(41), "")
	// A proxy in front of LaunchDarkly answers the staging patch with staging still on.
	target, _ := url.Parse(e.fake.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodPatch || resp.StatusCode != 200 {
			return nil
		}
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			return err
		}
		resp.Body.Close()
		if envs, ok := m["environments"].(map[string]any); ok {
			if cfg, ok := envs["staging"].(map[string]any); ok && staleStaging.Load() {
				cfg["on"] = true
			}
		}
		raw, _ := json.Marshal(m)
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		resp.ContentLength = int64(len(raw))
		resp.Header.Set("Content-Length", strconv.Itoa(len(raw)))
		return nil
	}
	ts := httptest.NewServer(proxy)
	defer ts.Close()
	c, err := NewClient(ClientConfig{BaseURL: ts.URL, Token: e.fake.Token(), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.r.Client = c
	plan := e.plan()
	staleStaging.Store(true)
	defer staleStaging.Store(false)
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Applied != 2 || counts.Verified != 1 || counts.Mismatched != 1 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	evs := e.events("ld:web-store:staging", "checkout-flow")
	last := evs[len(evs)-1]
	if last.Kind != journal.ReplayMismatch || last.LDOn == nil || !*last.LDOn {
		t.Fatalf("last event = %+v, want a mismatch showing LaunchDarkly on", last)
	}
	if got := kinds(e.events("ld:web-store:production", "checkout-flow")); got != "attempted,applied,verified" {
		t.Errorf("production events = %s", got)
	}
}

var staleStaging atomic.Bool

func TestReplayLockHeld(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	unlock, err := e.j.LockReplay()
	if err != nil {
		t.Skipf("journal LockReplay: %v", err)
	}
	defer unlock()
	other, err := journal.Open(e.j.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	e.r.Journal = other
	if _, _, err := e.apply(context.Background(), e.plan()); err == nil {
		t.Fatal("a second replay ran while the lock was held")
	}
	if e.fake.PatchCount() != 0 {
		t.Fatal("patched without the lock")
	}
}

func TestTokenNeverLeaks(t *testing.T) {
	const good = "api-good-9a8b7c6d5e4f"
	const reader = "api-reader-1f2e3d4c5b6a"
	e := newEnv(t, ldfake.WithToken(good), ldfake.WithReadOnlyToken(reader))
	var out []string
	e.fake.RequireApprovals("web-store", "production", true)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	e.change("web-store", "staging", "checkout-flow", true, false, ver(40), "") // conflict
	e.change("web-store", "test", "nope", true, false, ver(1), "")              // 404
	plan := e.plan()
	for _, it := range plan.Items {
		out = append(out, it.Reason)
	}
	_, events, err := e.apply(context.Background(), plan)
	if err != nil {
		out = append(out, err.Error())
	}
	for _, tok := range []string{reader, "api-wrong-000"} {
		e.change("web-store", "test", "checkout-flow", true, false, ver(42), "")
		e.r.Client = newTestClient(t, e.fake, good)
		plan := e.plan()
		e.r.Client = newTestClient(t, e.fake, tok)
		_, evs, err := e.apply(context.Background(), plan)
		events = append(events, evs...)
		if err == nil {
			t.Fatalf("token %s: no error", tok)
		}
		out = append(out, err.Error())
		if cerr := e.r.Client.Check(context.Background()); cerr != nil {
			out = append(out, cerr.Error())
		}
	}
	for _, ev := range events {
		if ev.Err != nil {
			out = append(out, ev.Err.Error())
		}
		out = append(out, ev.WaitReason, ev.Item.Reason)
	}
	files, _ := filepath.Glob(filepath.Join(e.j.Dir(), "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			out = append(out, string(b))
		}
	}
	all := strings.Join(out, "\n")
	if !strings.Contains(all, "Approval is required") || !strings.Contains(all, "invalid") {
		t.Fatalf("the errors under test were not produced:\n%s", all)
	}
	for _, tok := range []string{good, reader, "api-wrong-000"} {
		if strings.Contains(all, tok) {
			t.Errorf("token %s appears in errors, progress or the journal:\n%s", tok, all)
		}
	}
}

func TestComment(t *testing.T) {
	at := time.Date(2026, 11, 24, 3, 4, 5, 0, time.UTC)
	p := journal.Pending{Environment: "production", Desired: false, Entries: []journal.Entry{
		{Change: journal.Change{Operator: "alice", Time: at, Reason: "checkout errors"}},
		{Change: journal.Change{Operator: "bob", Time: at.Add(time.Minute)}},
	}}
	got := Comment(p, "carol")
	want := "Offline change replayed by Relay Commander: set on=false in production; made by alice, bob at 2026-11-24 03:04:05Z, 2026-11-24 03:05:05Z during a LaunchDarkly outage; replayed by carol; reason: checkout errors"
	if got != want {
		t.Errorf("Comment =\n%s\nwant\n%s", got, want)
	}
}

func TestReplayAbortsWhenLaunchDarklyGoesAway(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	e.change("web-store", "staging", "checkout-flow", true, false, ver(41), "")
	plan := e.plan()
	e.fake.SetUnreachable(true)
	counts, _, err := e.apply(context.Background(), plan)
	if !errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), "stopped answering") {
		t.Fatalf("Apply while unreachable: %v", err)
	}
	if counts.Failed != 1 {
		t.Fatalf("counts = %+v, want the first failed and the replay stopped", counts)
	}
	p := e.pending()
	if len(p) != 2 || p[0].Last == nil || p[0].Last.Kind != journal.ReplayFailed || p[1].Last != nil {
		t.Fatalf("pending = %+v", p)
	}
}

func TestPlanCancelled(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.r.Plan(ctx, e.pending()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Plan with a cancelled context: %v", err)
	}
}

func TestReplayForceOnlyOverTheStateShown(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	e.fake.ChangeBehindBack("web-store", "production", "checkout-flow", true) // 41
	plan := e.plan()
	plan.Items[0].Force = true
	e.fake.ChangeBehindBack("web-store", "production", "checkout-flow", true) // 42, after the operator decided
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Conflicts != 1 || e.fake.PatchCount() != 0 {
		t.Fatalf("Apply = %+v, %v, patches %d; want a new conflict, nothing sent", counts, err, e.fake.PatchCount())
	}
	if p := e.pending(); len(p) != 1 || p[0].Last.Kind != journal.ReplayConflict || p[0].Last.LDVersion != 42 {
		t.Fatalf("pending = %+v", p)
	}
}

// requests counts the fake's requests per route since the last call.
type requests struct {
	fake *ldfake.Server
	last map[string]int
}

func (r *requests) since() (list, get, patch int) {
	now := r.fake.RequestsByRoute()
	d := func(k string) int { return now[k] - r.last[k] }
	list, get, patch = d("GET /api/v2/flags/{projectKey}"), d("GET /api/v2/flags/{projectKey}/{featureFlagKey}"), d("PATCH /api/v2/flags/{projectKey}/{featureFlagKey}")
	r.last = now
	return
}

func TestReplayLostPatchResponseFailsItsTestNotAppliedTwice(t *testing.T) {
	e := newEnv(t)
	c, err := NewClient(ClientConfig{BaseURL: e.fake.URL(), Token: e.fake.Token(), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.r.Client = c
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	plan := e.plan()
	req := &requests{fake: e.fake}
	req.since()
	e.fake.LoseResponses(http.MethodPatch, 1) // applied, then the connection drops
	counts, events, err := e.apply(context.Background(), plan)
	if err != nil || counts.Applied != 1 || counts.Verified != 1 || counts.Failed+counts.Conflicts+counts.InSync != 0 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	if n := e.fake.PatchCount(); n != 1 {
		t.Fatalf("the fake applied %d patches, want exactly 1", n)
	}
	if on, v := e.state("web-store", "production", "checkout-flow"); on || v != 41 {
		t.Fatalf("checkout-flow = %v at %d, want off at 41", on, v)
	}
	// the lost patch, its retry failing its test (400), one read to learn it landed
	if list, get, patch := req.since(); list != 0 || get != 1 || patch != 2 {
		t.Errorf("requests: %d list, %d GET, %d PATCH; want 0, 1, 2", list, get, patch)
	}
	if got := kinds(e.events("ld:web-store:production", "checkout-flow")); got != "attempted,applied,verified" {
		t.Errorf("journal events = %s", got)
	}
	var retried bool
	for _, ev := range events {
		retried = retried || strings.HasPrefix(ev.WaitReason, "retry ")
	}
	if !retried {
		t.Error("no retry reported in progress")
	}
	if len(e.pending()) != 0 {
		t.Error("change still pending")
	}
}

func TestReplayAnotherEnvironmentChangingIsNoConflict(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	plan := e.plan()
	before := e.fake.FlagVersion("web-store", "checkout-flow")
	e.fake.ChangeBehindBack("web-store", "staging", "checkout-flow", false) // the flag's _version moves
	req := &requests{fake: e.fake}
	req.since()
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Applied != 1 || counts.Verified != 1 || counts.Conflicts != 0 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	if on, v := e.state("web-store", "production", "checkout-flow"); on || v != 41 {
		t.Fatalf("production = %v at %d, want off at 41", on, v)
	}
	if on, _ := e.state("web-store", "staging", "checkout-flow"); on {
		t.Error("staging's own change was undone")
	}
	if got := e.fake.FlagVersion("web-store", "checkout-flow"); got != before+2 {
		t.Errorf("_version = %d, want %d (one change behind our back, one patch)", got, before+2)
	}
	// the patch failing its test, one read, the patch again on the new _version
	if list, get, patch := req.since(); list != 0 || get != 1 || patch != 2 || e.fake.PatchCount() != 1 {
		t.Errorf("requests: %d list, %d GET, %d PATCH, %d applied; want 0, 1, 2, 1", list, get, patch, e.fake.PatchCount())
	}

	// The same environment changing is still a conflict, and nothing is sent over it.
	e.change("web-store", "production", "kill-switch-search", false, true, ver(4), "")
	plan = e.plan()
	e.fake.ChangeBehindBack("web-store", "production", "kill-switch-search", false)
	counts, _, err = e.apply(context.Background(), plan)
	if err != nil || counts.Conflicts != 1 || counts.Applied != 0 || e.fake.PatchCount() != 1 {
		t.Fatalf("Apply over a change in the same environment = %+v, %v, %d patches", counts, err, e.fake.PatchCount())
	}
	if p := e.pending(); len(p) != 1 || p[0].Last.Kind != journal.ReplayConflict || p[0].Last.LDVersion != 5 {
		t.Fatalf("pending = %+v", p)
	}
}

// A patch refused for a reason other than its test (the flag's _version has not moved) fails
// without being sent again.
func TestReplay400NotATestFailure(t *testing.T) {
	e := newEnv(t)
	e.change("web-store", "production", "checkout-flow", true, false, ver(40), "")
	plan := e.plan()
	plan.Items[0].Pending.Environment = "production/../x" // the fake refuses the path with 400
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Failed != 1 || e.fake.PatchCount() != 0 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
}

func TestPlanReadsFromListPages(t *testing.T) {
	e := newEnv(t, ldfake.Empty())
	const flags = 250
	for i := range flags {
		e.fake.SetFlagState("big", "production", fmt.Sprintf("flag-%03d", i), false, 3)
	}
	e.fake.SetFlagState("big", "staging", "flag-000", false, 3)
	for i := range 200 {
		e.change("big", "production", fmt.Sprintf("flag-%03d", i), false, true, ver(3), "")
	}
	e.change("big", "staging", "flag-000", false, true, ver(3), "") // alone in its environment: one GET
	req := &requests{fake: e.fake}
	req.since()
	plan := e.plan()
	if tally := plan.Tally(); tally.Ready != 201 {
		t.Fatalf("plan = %+v", tally)
	}
	for _, it := range plan.Items {
		if it.LD.FlagVersion == 0 || it.LD.Version != 3 {
			t.Fatalf("planned %s with %+v", it.Pending.Flag, it.LD)
		}
	}
	if list, get, patch := req.since(); list != 2 || get != 1 || patch != 0 {
		t.Errorf("plan requests: %d list pages, %d GET, %d PATCH; want 2 (flags 0-199 are on the first two pages of 100), 1, 0", list, get, patch)
	}
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Applied != 201 || counts.Verified != 201 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	if list, get, patch := req.since(); list+get != 0 || patch != 201 {
		t.Errorf("apply requests: %d list, %d GET, %d PATCH; want one PATCH per change", list, get, patch)
	}

	// A few pending flags deep in a big project: a page, then single GETs for what is left.
	for i := range 6 {
		e.change("big", "production", fmt.Sprintf("flag-%03d", 240+i), false, true, ver(3), "")
	}
	plan = e.plan()
	if tally := plan.Tally(); tally.Ready != 6 {
		t.Fatalf("plan = %+v", tally)
	}
	if list, get, _ := req.since(); list+get > 7 {
		t.Errorf("6 flags on the last page: %d list, %d GET; want at most 7 requests", list, get)
	}
}

func TestPlanListedFlagMissingIsReadSingly(t *testing.T) {
	e := newEnv(t, ldfake.Empty())
	for i := range 5 {
		e.fake.SetFlagState("p", "production", fmt.Sprintf("f-%d", i), false, 3)
		e.change("p", "production", fmt.Sprintf("f-%d", i), false, true, ver(3), "")
	}
	e.change("p", "production", "gone", false, true, ver(3), "") // not in LaunchDarkly
	plan := e.plan()
	if got := statuses(plan); got != "ready,ready,ready,ready,ready,not replayable" {
		t.Fatalf("plan = %s", got)
	}
	if !strings.Contains(plan.Items[5].Reason, "404") {
		t.Errorf("reason = %q", plan.Items[5].Reason)
	}
}

// The replay paces by the global limit (every route, shared with other clients) as well as
// the route limit, and reports both waits.
func TestReplayPacedByGlobalAndRouteLimits(t *testing.T) {
	e := newEnv(t, ldfake.Empty())
	for i := range 8 {
		f := fmt.Sprintf("f-%d", i)
		e.fake.SetFlagState("p", "production", f, false, 3)
		e.change("p", "production", f, false, true, ver(3), "")
	}
	plan := e.plan()
	e.fake.SetGlobalLimit(5, 600*time.Millisecond)
	e.fake.SetRouteLimit(3, 200*time.Millisecond)
	// Another client of the account uses part of the global window first.
	other := newTestClient(t, e.fake, e.fake.Token())
	if _, err := other.Projects(context.Background()); err != nil {
		t.Fatal(err)
	}
	counts, events, err := e.apply(context.Background(), plan)
	if err != nil || counts.Applied != 8 || counts.Verified != 8 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	waits := map[string]int{}
	for _, ev := range events {
		if !ev.WaitingUntil.IsZero() {
			waits[strings.SplitN(ev.WaitReason, ",", 2)[0]]++
		}
	}
	if waits["rate limit (global)"] == 0 || waits["rate limit (route)"] == 0 {
		t.Errorf("waits = %v, want paced by both limits", waits)
	}
	for k, n := range waits {
		if strings.HasPrefix(k, "rate limited (429)") {
			t.Errorf("%d 429s: pacing by the headers should avoid them (%v)", n, waits)
		}
	}
	if e.fake.PatchCount() != 8 {
		t.Errorf("patches = %d, want 8", e.fake.PatchCount())
	}
}

// Several environments of one flag in one replay: each patch is conditioned on the _version
// the previous one of this replay left, so none fails its test for our own change.
func TestReplaySameFlagInSeveralEnvironmentsOneRequestEach(t *testing.T) {
	e := newEnv(t)
	for _, envKey := range []string{"production", "staging", "test"} {
		on, v := e.state("web-store", envKey, "checkout-flow")
		e.change("web-store", envKey, "checkout-flow", on, !on, ver(v), "")
	}
	plan := e.plan()
	req := &requests{fake: e.fake}
	req.since()
	counts, _, err := e.apply(context.Background(), plan)
	if err != nil || counts.Applied != 3 || counts.Verified != 3 || counts.Conflicts != 0 {
		t.Fatalf("Apply = %+v, %v", counts, err)
	}
	if list, get, patch := req.since(); list+get != 0 || patch != 3 {
		t.Errorf("requests: %d list, %d GET, %d PATCH; want 3 patches only", list, get, patch)
	}
	// An item planned in sync is read again before it is closed (one GET), nothing sent.
	e.change("web-store", "production", "kill-switch-search", false, true, ver(4), "")
	e.fake.ChangeBehindBack("web-store", "production", "kill-switch-search", true)
	plan = e.plan()
	req.since()
	counts, _, err = e.apply(context.Background(), plan)
	if err != nil || counts.InSync != 1 || counts.Verified != 1 {
		t.Fatalf("Apply in sync = %+v, %v", counts, err)
	}
	if list, get, patch := req.since(); list != 0 || get != 1 || patch != 0 {
		t.Errorf("in sync: %d list, %d GET, %d PATCH; want 0, 1, 0", list, get, patch)
	}
}
