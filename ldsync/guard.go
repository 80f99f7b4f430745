package ldsync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"relaycommander/flags"
	"relaycommander/journal"
)

// DefaultWatch is how often a Guard looks at Redis: a Relay's re-sync that undid a pending
// change is noticed, and the change written again, within about that long.
const DefaultWatch = 250 * time.Millisecond

// GuardJournal is the journal as a Guard needs it (*journal.Journal satisfies it): the
// replay's needs, plus re-assertion and the armed lock.
type GuardJournal interface {
	Recorder
	Settler
	Pending() ([]journal.Pending, error)
	Reassert(ctx context.Context, store journal.VersionToggler, id string, seen map[string]int) (flags.ToggleResult, error)
	Arm(changes int) (*journal.ArmLock, error)
}

// GuardStore is Redis as a Guard needs it (*flags.Store satisfies it): the pending flags'
// fields to watch, a toggle at the version watched to re-assert, a flag to settle.
type GuardStore interface {
	journal.FieldReader
	journal.VersionToggler
	journal.FlagReader
}

// Guard holds the replay armed: while changes are pending it watches Redis and writes back a
// change a Relay's re-sync undid (when LaunchDarkly still has the state from before it),
// checks LaunchDarkly's reachability every Poll, and the moment LaunchDarkly answers it
// settles, plans and applies the replay as Replayer.PlanAll and Apply do, holding the changes
// in Redis until the replay has landed them.
type Guard struct {
	Client   *Client
	Journal  GuardJournal
	Store    GuardStore
	Operator string
	Poll     time.Duration // between reachability checks; default and minimum MinPoll
	Watch    time.Duration // between looks at Redis; default DefaultWatch
	// Timeout gives up waiting for LaunchDarkly after this long (0: never) with
	// ErrWaitTimeout, nothing sent; a replay once begun is not cut short.
	Timeout time.Duration
	// Decide, when set, sees the plan before it is applied and returns it with the operator's
	// decisions (Force, Skip); nil applies it as planned: conflicts wait for a decision.
	Decide func(Plan) Plan
}

// Errors of Guard.Run that are not LaunchDarkly's or the journal's.
var (
	ErrNothingPending = errors.New("nothing pending: nothing to arm")
	ErrWaitTimeout    = errors.New("LaunchDarkly did not answer in time: nothing was sent")
)

// GuardEventKind says what a GuardEvent reports.
type GuardEventKind string

const (
	GuardArmed      GuardEventKind = "armed"       // Pending changes are held; waiting begins
	GuardChecked    GuardEventKind = "checked"     // a reachability check: Check.Err nil means LaunchDarkly answered
	GuardReasserted GuardEventKind = "reasserted"  // Undone written again on Hosts
	GuardConflict   GuardEventKind = "conflict"    // Undone on Hosts at a version above its base: changed in LaunchDarkly; not written
	GuardHoldFailed GuardEventKind = "hold-failed" // watching or re-asserting failed (Err); tried again at the next look
	GuardPlanned    GuardEventKind = "planned"     // LaunchDarkly answered: Plan is what will be applied
	GuardProgress   GuardEventKind = "progress"    // one event of the replay (Progress)
)

// GuardEvent is one event of a Guard, for the UI or the command line.
type GuardEvent struct {
	Time     time.Time
	Kind     GuardEventKind
	Pending  int // changes pending (armed) when it happened
	Check    Check
	Undone   journal.Undone // GuardReasserted, GuardConflict: the flag and what its hosts held
	Hosts    []string       // GuardReasserted: where it landed; GuardConflict: where it was left alone
	Err      error
	Plan     *Plan
	Progress *Progress
}

// Run arms the journal's pending changes and holds them until the replay has landed them, or
// until ctx ends (nothing sent while waiting; a replay in flight stops after the item in
// flight), Timeout passes, or LaunchDarkly refuses the token (ErrAborted). It returns the
// replay's counts. Events go to the channel, never blocking Run for long; Run closes it.
// Armed state is published in the journal's armed.lock for its whole run (journal.ArmedBy).
func (g *Guard) Run(ctx context.Context, events chan<- GuardEvent) (Counts, error) {
	if events != nil {
		defer close(events)
	}
	poll, watch := g.Poll, g.Watch
	if poll == 0 {
		poll = MinPoll
	}
	if watch <= 0 {
		watch = DefaultWatch
	}
	if g.Client == nil || g.Journal == nil || g.Store == nil {
		return Counts{}, errors.New("ldsync: Guard needs a Client, a Journal and a Store")
	}
	if poll < MinPoll {
		return Counts{}, fmt.Errorf("ldsync: Guard poll interval %s is below the minimum %s", poll, MinPoll)
	}
	pending, err := g.Journal.Pending()
	if err != nil {
		return Counts{}, err
	}
	if len(pending) == 0 {
		return Counts{}, ErrNothingPending
	}
	lock, err := g.Journal.Arm(len(pending))
	if err != nil {
		return Counts{}, err
	}
	defer lock.Release()

	e := &emitter{ch: events, count: len(pending)}
	holdCtx, stopHolding := context.WithCancel(ctx)
	var holding sync.WaitGroup
	holding.Add(1)
	go func() {
		defer holding.Done()
		g.hold(holdCtx, watch, lock, e)
	}()
	defer func() {
		stopHolding()
		holding.Wait() // no event after Run closes the channel
	}()
	e.emit(GuardEvent{Kind: GuardArmed})

	waitCtx, stopWaiting := ctx, context.CancelFunc(func() {})
	if g.Timeout > 0 {
		waitCtx, stopWaiting = context.WithTimeoutCause(ctx, g.Timeout, ErrWaitTimeout)
	}
	err = WaitReachable(waitCtx, g.Client, poll, func(c Check) { e.emit(GuardEvent{Kind: GuardChecked, Check: c}) })
	stopWaiting()
	switch {
	case err != nil && ctx.Err() == nil && errors.Is(context.Cause(waitCtx), ErrWaitTimeout):
		return Counts{}, fmt.Errorf("%w (waited %s)", ErrWaitTimeout, g.Timeout)
	case err != nil:
		return Counts{}, err
	}

	r := &Replayer{Client: g.Client, Journal: g.Journal, Operator: g.Operator, Store: g.Store}
	plan, err := r.PlanAll(ctx)
	if err != nil {
		return Counts{}, err
	}
	if g.Decide != nil {
		plan = g.Decide(plan)
	}
	e.emit(GuardEvent{Kind: GuardPlanned, Plan: &plan})
	progress := make(chan Progress, 16)
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		for p := range progress {
			e.emit(GuardEvent{Kind: GuardProgress, Progress: &p})
		}
	}()
	counts, err := r.Apply(ctx, plan, progress)
	<-forwarded
	return counts, err
}

// emitter sends a Guard's events without holding it up for long, as Apply's progress does.
type emitter struct {
	ch    chan<- GuardEvent
	mu    sync.Mutex
	count int // changes pending, as the hold loop last saw them
}

func (e *emitter) setPending(n int) {
	e.mu.Lock()
	e.count = n
	e.mu.Unlock()
}

// emit sends an event, waiting up to a second for a slow reader.
func (e *emitter) emit(ev GuardEvent) { e.send(ev, time.Second) }

// emitBrief is emit for the hold loop, which must not fall behind a Relay's re-sync.
func (e *emitter) emitBrief(ev GuardEvent) { e.send(ev, 20*time.Millisecond) }

func (e *emitter) send(ev GuardEvent, wait time.Duration) {
	if e.ch == nil {
		return
	}
	e.mu.Lock()
	ev.Pending = e.count
	e.mu.Unlock()
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case e.ch <- ev:
	case <-t.C:
	}
}
