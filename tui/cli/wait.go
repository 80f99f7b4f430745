package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/tui/termsafe"
)

// waitOptions are replay's --wait flags: arm the replay instead of sending now.
type waitOptions struct {
	on            bool
	poll, timeout time.Duration
}

func (w *waitOptions) register(f *pflag.FlagSet) {
	f.BoolVar(&w.on, "wait", false, "arm the replay: hold the pending changes in Redis (writing back what a Relay re-sync undoes) "+
		"and replay them the moment LaunchDarkly answers")
	f.DurationVar(&w.poll, "poll", ldsync.MinPoll, "with --wait: how often to check whether LaunchDarkly answers (at least 1s)")
	f.DurationVar(&w.timeout, "timeout", 0, "with --wait: give up after this long if LaunchDarkly has not answered (exit 1, nothing sent; default: wait until Ctrl-C)")
}

// runReplayWait is replay --wait: confirm once, hold the changes and wait (ldsync.Guard), then
// replay as replay does and exit with its code.
func runReplayWait(ctx context.Context, opts *replayOptions, w *waitOptions) error {
	a := opts.app
	switch {
	case w.poll < ldsync.MinPoll:
		return usageErr("--poll %s: LaunchDarkly is checked at most once a second; use 1s or more", w.poll)
	case w.timeout < 0:
		return usageErr("--timeout %s: must not be negative", w.timeout)
	case opts.dryRun || opts.json || len(opts.force) > 0:
		return usageErr("--wait cannot be combined with --dry-run, --json or --force: see the plan with relaycommander replay --dry-run, " +
			"and decide conflicts with replay --force once LaunchDarkly answers")
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if err := a.refuseWrites("replay --wait"); err != nil {
		return err
	}
	j, err := a.openJournal()
	if err != nil {
		return err
	}
	client, err := a.ldClient(true)
	if err != nil {
		return err
	}
	store, err := a.openStore()
	if err != nil {
		return err
	}
	out := a.sys.Stdout
	pending, err := j.Pending()
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		fmt.Fprintf(out, "Nothing pending in the journal %s: nothing to arm.\n", j.Dir())
		return nil
	}
	printPlan(out, armedPlan(pending), false)
	if err := a.confirm(fmt.Sprintf("Arm the replay? It holds these %s in Redis and sends them to LaunchDarkly at %s the moment it answers.",
		count(len(pending), "change", "changes"), cfg.LDBaseURL), "", opts.yes); err != nil {
		return err
	}

	g := &ldsync.Guard{Client: client, Journal: j, Store: store, Operator: cfg.Operator, Poll: w.poll, Timeout: w.timeout}
	events := make(chan ldsync.GuardEvent, 16)
	view := &guardView{a: a, out: &lockedWriter{w: out}, live: a.sys.StdoutTTY, ld: cfg.LDBaseURL}
	shown := make(chan struct{})
	go func() {
		defer close(shown)
		view.show(events)
	}()
	counts, err := g.Run(ctx, events)
	<-shown
	plan := view.plan
	switch {
	case errors.Is(err, ldsync.ErrNothingPending):
		fmt.Fprintf(out, "Nothing pending in the journal %s any more: nothing to replay.\n", j.Dir())
		return nil
	case errors.Is(err, ldsync.ErrWaitTimeout):
		return &exitErr{code: ExitError, msg: fmt.Sprintf("gave up after %s: LaunchDarkly at %s did not answer; nothing was sent, the %s stay pending in %s",
			w.timeout, cfg.LDBaseURL, count(len(pending), "change", "changes"), j.Dir())}
	case err != nil && plan == nil && errors.Is(err, context.Canceled):
		return &exitErr{code: ExitError, msg: fmt.Sprintf("stopped waiting: nothing was sent; the %s stay pending in %s", count(len(pending), "change", "changes"), j.Dir())}
	case err != nil && plan == nil:
		return fmt.Errorf("replay --wait stopped before sending anything: %w; the %s stay pending in %s. %s", err, count(len(pending), "change", "changes"), j.Dir(), ldHint(err))
	case err != nil:
		return fmt.Errorf("replay stopped: %w; what was sent is recorded in %s. %s", err, j.Dir(), ldHint(err))
	}
	fmt.Fprintf(out, "Applied %d, already in sync %d, verified %d, mismatched %d, failed %d, conflicts %d, skipped %d.\n",
		counts.Applied, counts.InSync, counts.Verified, counts.Mismatched, counts.Failed, counts.Conflicts, counts.Skipped)
	tally := plan.Tally()
	failed := tally.NotReplayable + counts.Failed + counts.Mismatched
	conflicts := max(tally.Undecided, counts.Conflicts)
	switch {
	case failed > 0:
		return &exitErr{code: ExitPartial, msg: fmt.Sprintf("%s failed or cannot be replayed: see the reasons above; they stay pending in %s", count(failed, "change", "changes"), j.Dir())}
	case conflicts > 0:
		return &exitErr{code: ExitConflicts, msg: fmt.Sprintf("%s a decision: someone changed these flags in LaunchDarkly during the outage, "+
			"so they were neither written back in Redis nor sent. Check them in LaunchDarkly, then overwrite with relaycommander replay --force FLAG, "+
			"or discard them with relaycommander discard -p PROJECT -e ENVIRONMENT -f FLAG (or in the UI)", count(conflicts, "conflict awaits", "conflicts await"))}
	}
	return nil
}

// armedPlan is the pending changes as the plan table shows them before LaunchDarkly answers:
// its state is not known yet.
func armedPlan(pending []journal.Pending) ldsync.Plan {
	var plan ldsync.Plan
	for _, p := range pending {
		it := ldsync.Item{Pending: p, Status: "armed", Reason: "planned and sent the moment LaunchDarkly answers"}
		if p.Interrupted() {
			it.Reason = "outcome in Redis unknown: read back before the replay"
		}
		plan.Items = append(plan.Items, it)
	}
	return plan
}

// guardView shows a guard's events: on a terminal one live status line (and a line per
// re-assertion or conflict), otherwise one line per change of state; then the replay as
// replay shows it.
type guardView struct {
	a    *app
	out  io.Writer
	live bool
	ld   string

	plan     *ldsync.Plan // set once LaunchDarkly answered
	state    string       // the last state line printed without a terminal
	drawn    bool         // a live line is on screen
	progress chan ldsync.Progress
	replayed chan struct{}
}

func (v *guardView) show(events <-chan ldsync.GuardEvent) {
	defer func() {
		if v.progress != nil {
			close(v.progress)
			<-v.replayed
		}
		v.clear()
	}()
	for ev := range events {
		switch ev.Kind {
		case ldsync.GuardArmed:
			v.status(fmt.Sprintf("armed: %s; waiting for LaunchDarkly at %s", count(ev.Pending, "change", "changes"), v.ld), "armed")
		case ldsync.GuardChecked:
			if ev.Check.Err == nil {
				v.status(fmt.Sprintf("LaunchDarkly answered at %s: replaying", ev.Check.Time.Format("15:04:05")), "answered")
				continue
			}
			// ldsync's words for the failure, as the UI's armed wait says them; the raw error
			// (its local port changes with each check) only when it is of no known kind
			why := termsafe.Escape(ev.Check.Err.Error())
			if tr := ldsync.TroubleOf(ev.Check.Err); tr.Kind != ldsync.TroubleUnknown && (tr.Kind != ldsync.TroubleNotAnswering || tr.How != "") {
				why = termsafe.Escape(tr.What())
			}
			v.status(fmt.Sprintf("waiting for LaunchDarkly: %s armed; last check %s: %s",
				count(ev.Pending, "change", "changes"), ev.Check.Time.Format("15:04:05"), why), "waiting: "+why)
		case ldsync.GuardReasserted:
			u := ev.Undone
			v.line(fmt.Sprintf("%s re-asserted %s %s=%s on %s: a Relay re-sync had undone it", ev.Time.Format("15:04:05"),
				termsafe.Escape(u.Prefix), termsafe.Escape(u.Flag), flags.OnOff(u.Desired), termsafe.Escape(strings.Join(ev.Hosts, ", "))))
		case ldsync.GuardConflict, ldsync.GuardHoldFailed:
			v.line(fmt.Sprintf("%s %s: %s", ev.Time.Format("15:04:05"), ev.Kind, termsafe.Escape(errString(ev.Err))))
		case ldsync.GuardPlanned:
			v.clear()
			v.plan = ev.Plan
			printPlan(v.out, *ev.Plan, true)
			items := make([]itemJSON, len(ev.Plan.Items))
			for i, it := range ev.Plan.Items {
				items[i] = itemToJSON(it)
			}
			v.progress, v.replayed = make(chan ldsync.Progress, 16), make(chan struct{})
			go func() {
				defer close(v.replayed)
				v.a.showProgress(v.out, v.progress, items)
			}()
		case ldsync.GuardProgress:
			if v.progress != nil {
				v.progress <- *ev.Progress
			}
		}
	}
}

// status shows the guard's state: redrawn in place on a terminal; otherwise printed when its
// key (the state without the time of the check) changes.
func (v *guardView) status(text, key string) {
	if v.live {
		fmt.Fprintf(v.out, "\r\x1b[K%s", text)
		v.drawn = true
		return
	}
	if key != v.state {
		v.state = key
		fmt.Fprintln(v.out, text)
	}
}

// line prints an event on its own line, above the live status line.
func (v *guardView) line(text string) {
	v.clear()
	fmt.Fprintln(v.out, text)
}

func (v *guardView) clear() {
	if v.drawn {
		fmt.Fprint(v.out, "\r\x1b[K")
		v.drawn = false
	}
}

// lockedWriter serialises the writes of the status view and of the replay's progress.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
