package ldsync

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"relaycommander/journal"
)

// ReplayLocker is a Recorder that can also hold the journal's replay lock (*journal.Journal
// does): Apply takes it so that two replays never run at once.
type ReplayLocker interface {
	LockReplay() (unlock func() error, err error)
}

// Retry bounds for one call.
const (
	maxAttempts   = 6                      // 409, 5xx, timeouts, dropped connections: ~6 s of backoff
	max429        = 20                     // rate-limited answers in a row
	backoffBase   = 200 * time.Millisecond // doubled per attempt
	backoffCap    = 5 * time.Second
	maxJitter     = 30 * time.Millisecond // added past a rate-limit reset
	default429Gap = time.Second           // when a 429 names no reset
)

// ErrAborted wraps the error that stopped a whole replay (a token refused, a journal that
// cannot be written).
var ErrAborted = errors.New("replay aborted")

// Plan reads LaunchDarkly's state for every pending change and classifies it: per project and
// environment from the paginated flag list when it has listAtLeast pending flags, else one
// GET per flag (readAll). Each item's LD holds the flag's _version, on which Apply conditions
// its patch.
func (r *Replayer) Plan(ctx context.Context, pending []journal.Pending) (Plan, error) {
	rn := &run{r: r, ctx: ctx}
	plan := Plan{Items: make([]Item, 0, len(pending))}
	var mapped []int
	for i, p := range pending {
		if unsendable(p) == "" {
			mapped = append(mapped, i)
		}
	}
	states, errs := rn.readAll(pending, mapped, false)
	for i, p := range pending {
		it := Item{Pending: p}
		if why := unsendable(p); why != "" {
			it.Status, it.Reason = NotReplayable, why
			plan.Items = append(plan.Items, it)
			continue
		}
		st, err := states[i], errs[i]
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			it.Status = NotReplayable
			it.Reason = ae.Error()
		case err != nil:
			return plan, fmt.Errorf("plan %s %s: %w", p.Prefix, p.Flag, err)
		default:
			it.LD = st
			it.Status, it.Reason = classify(p, st)
		}
		plan.Items = append(plan.Items, it)
	}
	return plan, nil
}

// unsendable says why a pending change must not be sent whatever LaunchDarkly holds, or "".
func unsendable(p journal.Pending) string {
	if p.Project == "" || p.Environment == "" {
		return fmt.Sprintf("prefix %s is not mapped to a LaunchDarkly project and environment", p.Prefix)
	}
	return unsettled(p)
}

// unsettled says why a pending change's net state is not known, or "".
func unsettled(p journal.Pending) string {
	switch {
	case p.Interrupted():
		return "outcome unknown: whether the change reached Redis is not settled yet (its writer may still be running, " +
			"or a Redis host did not answer); it is not sent until Redis is read back"
	case p.Disagreement != "":
		return p.Disagreement + "; set the flag again in Redis (or discard the change) so that every host agrees"
	}
	return ""
}

// classify compares a pending change with LaunchDarkly's state. LaunchDarkly at the version
// recorded before the offline changes, or at the version this tool's last replay of the flag
// left it, is ready: only someone else's change is a conflict.
func classify(p journal.Pending, st FlagState) (Status, string) {
	switch {
	case st.On == p.Desired:
		return InSync, ""
	case p.BaseVersion == nil && p.LDVersion == nil:
		return UnknownBase, "imported change: the version before it is unknown, so a change made in LaunchDarkly meanwhile cannot be detected"
	case p.BaseVersion != nil && st.Version == *p.BaseVersion, p.LDVersion != nil && st.Version == *p.LDVersion:
		return Ready, ""
	}
	modified := st.LastModified.UTC().Format(time.RFC3339)
	if p.LDVersion != nil {
		if st.Version > *p.LDVersion {
			return Conflict, fmt.Sprintf("changed in LaunchDarkly since this tool's last replay of it: now on=%t at version %d (the replay left %d), last modified %s",
				st.On, st.Version, *p.LDVersion, modified)
		}
		return Conflict, fmt.Sprintf("LaunchDarkly's version %d is lower than the %d this tool's last replay left (was the flag recreated?); now on=%t, last modified %s",
			st.Version, *p.LDVersion, st.On, modified)
	}
	if st.Version > *p.BaseVersion {
		return Conflict, fmt.Sprintf("changed in LaunchDarkly during the outage: now on=%t at version %d (was %d before the offline change), last modified %s",
			st.On, st.Version, *p.BaseVersion, modified)
	}
	return Conflict, fmt.Sprintf("LaunchDarkly's version %d is lower than the %d recorded before the offline change (was the flag recreated?); now on=%t, last modified %s",
		st.Version, *p.BaseVersion, st.On, modified)
}

// run is one Plan or Apply in progress.
type run struct {
	r        *Replayer
	ctx      context.Context
	progress chan<- Progress
	plan     Plan
	total    int
	counts   Counts

	// ours maps, per project and flag, a _version a patch of this run was conditioned on to
	// the _version it left: that step was only our own change (of one environment), so an item
	// of another environment of the flag read at the first is still as read at the second.
	ours map[[2]string]map[int]int
}

// Apply sends every ready, unknown-base and forced item, paced by LaunchDarkly's rate-limit
// headers (route and global), recording each attempt and result in the journal before the
// next item starts, and verifies each from LaunchDarkly's answer. Progress goes to the channel
// (never blocking the replay for long); cancel the context to stop after the item in flight.
// It closes progress when done.
//
// A patch is conditional: it tests the flag's _version the plan read, so that it applies
// nothing when the flag changed since — someone else's change, or a retry of a patch whose
// answer was lost. Only then does Apply read the flag again, to tell those apart. Items
// planned in sync (or without the flag's _version) are read again first: closing an item
// rests on a fresh read.
func (r *Replayer) Apply(ctx context.Context, plan Plan, progress chan<- Progress) (counts Counts, err error) {
	if progress != nil {
		defer close(progress)
	}
	if r.Client == nil || r.Journal == nil {
		return Counts{}, errors.New("ldsync: Replayer needs a Client and a Journal")
	}
	if l, ok := r.Journal.(ReplayLocker); ok {
		unlock, err := l.LockReplay()
		if err != nil {
			return Counts{}, err
		}
		defer func() {
			if uerr := unlock(); uerr != nil && err == nil {
				err = uerr
			}
		}()
	}
	rn := &run{r: r, ctx: ctx, progress: progress, plan: plan}
	pending := make([]journal.Pending, len(plan.Items))
	var again []int
	for i, it := range plan.Items {
		pending[i] = it.Pending
		if it.Sends() {
			rn.total++
			if it.Status == InSync || it.LD.FlagVersion == 0 {
				again = append(again, i)
			}
		}
	}
	reread := make([]bool, len(plan.Items))
	for _, i := range again {
		reread[i] = true
	}
	states, errs := rn.readAll(pending, again, true)

	for i, it := range plan.Items {
		if !it.Sends() {
			if it.Status == Conflict && !it.Skip {
				// Left for the operator: record it so the journal shows why it is still pending.
				if err := rn.record(it, journal.ReplayConflict, it.LD, false, ""); err != nil {
					return rn.counts, err
				}
				rn.counts.Conflicts++
				rn.emit(Progress{Index: i, Item: it, Done: true, Result: string(journal.ReplayConflict)})
			} else {
				rn.counts.Skipped++
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return rn.counts, err
		}
		var err error
		if reread[i] {
			_, err = rn.replayItem(i, it, &states[i], errs[i])
		} else {
			_, err = rn.replayItem(i, it, nil, nil)
		}
		if err != nil {
			return rn.counts, err
		}
	}
	return rn.counts, ctx.Err()
}

// readers is how many single reads Plan and Apply run at once: reads don't change anything,
// and a few in parallel keep a slow or flaky LaunchDarkly from stretching the plan.
const readers = 8

// listAtLeast is how many pending flags of one project and environment make the read use
// LaunchDarkly's flag list (one request per 100 flags of the project, stopping early) instead
// of one GET per flag. Below it, single GETs cost no more than a page or two would, and run in
// parallel. A list also stops paging, reading the rest singly, once fewer flags are missing
// than pages are left: a few flags of a project of thousands cost a page and a few GETs.
const listAtLeast = 5

// readAll reads the state of pending[i] for every i in idx: per project and environment from
// the flag list when listAtLeast of its flags are wanted, else (and for what the list did not
// hold) one GET per flag, a few at a time. Results are indexed like pending.
func (rn *run) readAll(pending []journal.Pending, idx []int, report bool) ([]FlagState, []error) {
	states := make([]FlagState, len(pending))
	errs := make([]error, len(pending))
	type group struct {
		project, env string
		idx          []int
	}
	groups := map[[2]string]*group{}
	var order []*group
	for _, i := range idx {
		k := [2]string{pending[i].Project, pending[i].Environment}
		g := groups[k]
		if g == nil {
			g = &group{project: k[0], env: k[1]}
			groups[k] = g
			order = append(order, g)
		}
		g.idx = append(g.idx, i)
	}
	var singles []int
	for _, g := range order {
		want := map[string]bool{}
		for _, i := range g.idx {
			want[pending[i].Flag] = true
		}
		if len(want) < listAtLeast {
			singles = append(singles, g.idx...)
			continue
		}
		at := -1
		if report {
			at = g.idx[0]
		}
		got, err := rn.r.Client.ListFlagStates(rn.ctx, g.project, g.env, want, func(fn func(context.Context) error) error {
			return rn.call(at, Item{Pending: pending[g.idx[0]]}, routeListFlags, fn, nil)
		})
		for _, i := range g.idx {
			switch st, ok := got[pending[i].Flag]; {
			case ok:
				states[i] = st
			case err != nil:
				errs[i] = err
			default:
				singles = append(singles, i) // not in the list (archived?), or left for a GET
			}
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(readers, len(singles)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				at := i
				if !report {
					at = -1
				}
				states[i], errs[i] = rn.read(at, pending[i])
			}
		}()
	}
	for _, i := range singles {
		next <- i
	}
	close(next)
	wg.Wait()
	return states, errs
}

// replayItem sends one item: record the attempt, patch on condition of the flag's _version
// the plan read (or fresh, the state read again just now), record the result and its
// verification. The returned kind is the item's final replay event before verification; the
// error stops the whole replay.
func (rn *run) replayItem(i int, it Item, fresh *FlagState, readErr error) (journal.ReplayKind, error) {
	p := it.Pending
	if readErr != nil {
		return rn.finish(i, it, readErr)
	}
	if fresh != nil {
		// Read again now: a patch that reached LaunchDarkly before a crash is found in sync
		// here instead of being sent twice, and an item closed in sync is closed on a fresh read.
		st := *fresh
		status, reason := classify(p, st)
		planned := it.LD
		it.LD = st
		switch {
		case status == InSync:
			return rn.closeInSync(i, it, st)
		case status == Conflict && !it.Force:
			it.Status, it.Reason = Conflict, reason
			rn.counts.Conflicts++
			return rn.done(i, it, journal.ReplayConflict, st, "")
		case status == Conflict && st.Version != planned.Version:
			return rn.changedSincePlan(i, it, st, planned)
		}
	}
	cur := it.LD // the state the patch is conditioned on
	fk := [2]string{p.Project, p.Flag}
	for seen := 0; seen < 100; seen++ { // bounded: a chain of our own patches of this flag
		to, ok := rn.ours[fk][cur.FlagVersion]
		if !ok {
			break
		}
		cur.FlagVersion = to
	}
	if err := rn.record(it, journal.ReplayAttempted, cur, it.Force, ""); err != nil {
		return "", err
	}
	comment := Comment(p, rn.r.Operator)
	attempt := 0
	landed := false // a try may have reached LaunchDarkly without its answer reaching us
	for tests := 1; ; tests++ {
		var st FlagState
		err := rn.call(i, it, routePatchFlag, func(ctx context.Context) error {
			attempt++
			rn.emit(Progress{Index: i, Item: it, Attempt: attempt})
			after, err := rn.r.Client.SetOnIf(ctx, p.Project, p.Flag, p.Environment, p.Desired, comment, cur.FlagVersion)
			var ae *APIError
			if errors.As(err, &ae) && (ae.Status == 0 || ae.Status >= 500) {
				landed = true
			}
			st = after
			return err
		}, nil)
		if err == nil {
			if st.FlagVersion > cur.FlagVersion {
				if rn.ours == nil {
					rn.ours = map[[2]string]map[int]int{}
				}
				if rn.ours[fk] == nil {
					rn.ours[fk] = map[int]int{}
				}
				rn.ours[fk][cur.FlagVersion] = st.FlagVersion
			}
			rn.counts.Applied++
			return rn.appliedAndVerified(i, it, st)
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
			return rn.finish(i, it, err)
		}
		// 400: the flag's _version moved since cur (the test failed: our own earlier try
		// landed, or someone changed the flag in some environment), or LaunchDarkly refused
		// the patch for another reason. Read again to tell.
		now, rerr := rn.read(i, p)
		if rerr != nil {
			return rn.finish(i, it, rerr)
		}
		switch {
		case now.FlagVersion == cur.FlagVersion:
			return rn.finish(i, it, err) // not the test: the patch itself was refused
		case now.On == p.Desired && landed:
			it.LD = now
			rn.counts.Applied++
			return rn.appliedAndVerified(i, it, now)
		case now.On == p.Desired:
			it.LD = now
			return rn.closeInSync(i, it, now) // someone made the same change meanwhile
		case now.Version != cur.Version && it.Force:
			return rn.changedSincePlan(i, it, now, cur)
		case now.Version != cur.Version:
			it.LD = now
			it.Status, it.Force = Conflict, false
			it.Reason = fmt.Sprintf("changed in LaunchDarkly while replaying: now on=%t at version %d (the replay saw %d)", now.On, now.Version, cur.Version)
			rn.counts.Conflicts++
			return rn.done(i, it, journal.ReplayConflict, now, "")
		case tests >= maxAttempts:
			return rn.finish(i, it, fmt.Errorf("the flag kept changing in other environments (%d conditional patches failed their test): %w", tests, err))
		}
		// Only other environments of the flag changed: not a conflict for this one. Send again
		// on condition of the new _version.
		cur = now
	}
}

// closeInSync records an item LaunchDarkly already holds, and its verification.
func (rn *run) closeInSync(i int, it Item, st FlagState) (journal.ReplayKind, error) {
	if _, err := rn.done(i, it, journal.ReplayInSync, st, ""); err != nil {
		return "", err
	}
	return journal.ReplayInSync, rn.verify(i, it, st, nil)
}

// appliedAndVerified records an applied item and verifies it from LaunchDarkly's state after
// the change (the PATCH's answer, or the read after a lost one).
func (rn *run) appliedAndVerified(i int, it Item, st FlagState) (journal.ReplayKind, error) {
	if _, err := rn.done(i, it, journal.ReplayApplied, st, ""); err != nil {
		return "", err
	}
	return journal.ReplayApplied, rn.verify(i, it, st, nil)
}

// changedSincePlan records a forced conflict that changed again after the operator decided.
func (rn *run) changedSincePlan(i int, it Item, st, planned FlagState) (journal.ReplayKind, error) {
	// The operator forced over the state the plan showed; this is another one.
	it.Status, it.Force = Conflict, false
	it.Reason = fmt.Sprintf("changed again in LaunchDarkly since the plan: now on=%t at version %d (the plan showed %d)", st.On, st.Version, planned.Version)
	rn.counts.Conflicts++
	return rn.done(i, it, journal.ReplayConflict, st, "")
}

// finish records an item that failed. 401 and 403 abort the whole replay, as does a cancelled
// context (the item stays pending with its attempt recorded).
func (rn *run) finish(i int, it Item, err error) (journal.ReplayKind, error) {
	if rn.ctx.Err() != nil && errors.Is(err, rn.ctx.Err()) {
		return "", err
	}
	var ae *APIError
	isAPI := errors.As(err, &ae)
	rn.counts.Failed++
	if _, rerr := rn.doneErr(i, it, err); rerr != nil {
		return "", rerr
	}
	switch {
	case isAPI && ae.Status == http.StatusUnauthorized:
		return journal.ReplayFailed, fmt.Errorf("%w: the LaunchDarkly API token is invalid: %w", ErrAborted, err)
	case isAPI && ae.Status == http.StatusForbidden:
		return journal.ReplayFailed, fmt.Errorf("%w: the LaunchDarkly API token lacks write rights (it needs a writer role): %w", ErrAborted, err)
	case isAPI && (ae.Status == 0 || ae.Status >= 500):
		// Retries are used up: LaunchDarkly is down again. Every next change would fail the
		// same way, slowly; they stay pending for a later replay.
		return journal.ReplayFailed, fmt.Errorf("%w: LaunchDarkly stopped answering; the remaining changes stay pending, replay again later: %w", ErrAborted, err)
	}
	return journal.ReplayFailed, nil
}

func (rn *run) doneErr(i int, it Item, err error) (journal.ReplayKind, error) {
	if rerr := rn.record(it, journal.ReplayFailed, it.LD, it.Force, err.Error()); rerr != nil {
		return "", rerr
	}
	rn.emit(Progress{Index: i, Item: it, Done: true, Result: string(journal.ReplayFailed), Err: err})
	return journal.ReplayFailed, nil
}

func (rn *run) done(i int, it Item, kind journal.ReplayKind, st FlagState, msg string) (journal.ReplayKind, error) {
	if kind == journal.ReplayInSync {
		rn.counts.InSync++
	}
	if err := rn.record(it, kind, st, it.Force && kind == journal.ReplayApplied, msg); err != nil {
		return "", err
	}
	it.LD = st
	rn.emit(Progress{Index: i, Item: it, Done: true, Result: string(kind)})
	return kind, nil
}

// verify records whether LaunchDarkly has the item, from its state after the change (or the
// read that found it in sync), or the error that kept it from being known.
func (rn *run) verify(i int, it Item, st FlagState, err error) error {
	if err != nil {
		if rn.ctx.Err() != nil {
			return err
		}
		rn.counts.Mismatched++
		if rerr := rn.record(it, journal.ReplayMismatch, FlagState{}, false, "could not read back: "+err.Error()); rerr != nil {
			return rerr
		}
		rn.emit(Progress{Index: i, Item: it, Done: true, Result: string(journal.ReplayMismatch), Err: err})
		return nil
	}
	kind := journal.ReplayVerified
	if st.On == it.Pending.Desired {
		rn.counts.Verified++
	} else {
		kind = journal.ReplayMismatch
		rn.counts.Mismatched++
	}
	if err := rn.record(it, kind, st, false, ""); err != nil {
		return err
	}
	it.LD = st
	rn.emit(Progress{Index: i, Item: it, Done: true, Result: string(kind)})
	return nil
}

// record appends a replay event; failing to record stops the replay.
func (rn *run) record(it Item, kind journal.ReplayKind, st FlagState, forced bool, msg string) error {
	p := it.Pending
	ev := journal.ReplayEvent{
		Time:      time.Now().UTC(),
		Kind:      kind,
		ChangeIDs: p.ChangeIDs(),
		Prefix:    p.Prefix,
		Flag:      p.Flag,
		Desired:   p.Desired,
		Forced:    forced,
		Error:     rn.r.Client.redact(msg),
		By:        rn.r.Operator,
	}
	if st.Version != 0 || !st.LastModified.IsZero() {
		on := st.On
		ev.LDVersion, ev.LDOn, ev.LDModified = st.Version, &on, st.LastModified.UTC()
	}
	if err := rn.r.Journal.RecordReplay(ev); err != nil {
		return fmt.Errorf("%w: cannot record %s of %s %s in the journal: %v", ErrAborted, kind, p.Prefix, p.Flag, err)
	}
	return nil
}

// read reads a pending change's flag state, paced and retried.
func (rn *run) read(i int, p journal.Pending) (FlagState, error) {
	var st FlagState
	err := rn.call(i, Item{Pending: p}, routeGetFlag, func(ctx context.Context) error {
		var err error
		st, err = rn.r.Client.GetFlagState(ctx, p.Project, p.Flag, p.Environment)
		return err
	}, nil)
	return st, err
}

// call runs one API call: it waits for the rate limit, retries 429 after the reset and other
// retryable failures with bounded exponential backoff. beforeRetry (optional) runs before a
// retry other than a 429's; stop ends the call successfully. Waits and reads end with the
// context; a patch in flight does not.
func (rn *run) call(i int, it Item, route string, fn func(context.Context) error, beforeRetry func() (stop bool, err error)) error {
	callCtx := rn.ctx
	if route == routePatchFlag {
		// A patch in flight finishes, so that its result is known and recorded.
		callCtx = context.WithoutCancel(rn.ctx)
	}
	failures, limited := 0, 0
	for {
		if until, why := rn.r.Client.paceFor(route); !until.IsZero() {
			if err := rn.wait(i, it, until.Add(jitter(maxJitter)), fmt.Sprintf("%s, resets %s", why, until.Local().Format("15:04:05"))); err != nil {
				return err
			}
		}
		err := fn(callCtx)
		if err == nil {
			return nil
		}
		var ae *APIError
		if !errors.As(err, &ae) || !ae.Retryable() {
			return err
		}
		if ae.Status == http.StatusTooManyRequests {
			limited++
			if limited > max429 {
				return err
			}
			until := ae.RetryAfter
			if !until.After(time.Now()) {
				until = time.Now().Add(default429Gap)
			}
			if err := rn.wait(i, it, until.Add(jitter(maxJitter)), "rate limited (429), resets "+until.Local().Format("15:04:05")); err != nil {
				return err
			}
			continue
		}
		failures++
		if failures >= maxAttempts {
			return err
		}
		d := backoff(failures)
		if err := rn.wait(i, it, time.Now().Add(d), fmt.Sprintf("retry %d of %d in %s after: %v", failures+1, maxAttempts, d.Round(time.Millisecond), err)); err != nil {
			return err
		}
		if beforeRetry != nil {
			stop, err := beforeRetry()
			if stop || err != nil {
				return err
			}
		}
	}
}

// backoff is the wait before retry n (1-based): exponential, capped, with jitter in its upper half.
func backoff(n int) time.Duration {
	d := backoffBase << (n - 1)
	if d > backoffCap || d <= 0 {
		d = backoffCap
	}
	return d/2 + jitter(d/2)
}

func jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}

// wait sleeps until a time, telling the progress channel why; the context ends it early.
func (rn *run) wait(i int, it Item, until time.Time, why string) error {
	rn.emit(Progress{Index: i, Item: it, WaitingUntil: until, WaitReason: why})
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-rn.ctx.Done():
		return rn.ctx.Err()
	}
}

// emit sends progress without holding the replay up for long: a slow reader loses
// intermediate events, never for more than a moment the final ones.
func (rn *run) emit(p Progress) {
	if rn.progress == nil || p.Index < 0 {
		return
	}
	p.Total, p.Counts = rn.total, rn.counts
	wait := 20 * time.Millisecond
	if p.Done {
		wait = time.Second
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case rn.progress <- p:
	case <-t.C:
	}
}

// Comment is the audit comment sent with a replayed patch: an offline change replayed by this
// tool, who made it and when, and the reasons given.
func Comment(p journal.Pending, replayedBy string) string {
	var ops, times, reasons []string
	for _, e := range p.Entries {
		if e.Operator != "" && !slices.Contains(ops, e.Operator) {
			ops = append(ops, e.Operator)
		}
		times = append(times, e.Time.UTC().Format("2006-01-02 15:04:05Z"))
		if r := strings.TrimSpace(e.Reason); r != "" && !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	if len(times) > 5 {
		times = append(times[:2], fmt.Sprintf("%d more, last %s", len(times)-3, times[len(times)-1]))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Offline change replayed by Relay Commander: set on=%t in %s", p.Desired, p.Environment)
	if len(ops) > 0 {
		fmt.Fprintf(&b, "; made by %s", strings.Join(ops, ", "))
	}
	if len(times) > 0 {
		fmt.Fprintf(&b, " at %s", strings.Join(times, ", "))
	}
	b.WriteString(" during a LaunchDarkly outage")
	if replayedBy != "" {
		fmt.Fprintf(&b, "; replayed by %s", replayedBy)
	}
	if len(reasons) > 0 {
		fmt.Fprintf(&b, "; reason: %s", strings.Join(reasons, "; "))
	}
	return b.String()
}

// DirectComment is the audit comment of a change made in LaunchDarkly itself instead of in
// Redis (while LaunchDarkly answers): who made it, and why.
func DirectComment(operator, reason string) string {
	c := "Relay Commander, by " + operator
	if r := strings.TrimSpace(reason); r != "" {
		c += ": " + r
	}
	return c
}
