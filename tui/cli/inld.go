package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/tui/termsafe"
)

// How long update waits for LaunchDarkly's answer: before asking, a moment a human hardly
// notices; with --yes, after the write (never before it) and shorter, since during an
// outage every scripted update would pay it when LaunchDarkly hangs rather than refuses.
const (
	ldCheckWait       = 1500 * time.Millisecond
	ldCheckWaitScript = 300 * time.Millisecond
)

// ldAnswers asks LaunchDarkly, in the background, whether it answers: an edit made in Redis
// while it does is undone by a connected Relay's next update. The channel yields true once
// it answered, false when it did not (or no token is configured), and is then closed.
func (a *app) ldAnswers(ctx context.Context) <-chan bool {
	ch := make(chan bool, 1)
	ld, err := a.ldClient(false)
	if err != nil || ld == nil {
		ch <- false
		close(ch)
		return ch
	}
	go func() {
		defer close(ch)
		cctx, cancel := context.WithTimeout(ctx, ldCheckWait)
		defer cancel()
		ch <- ld.Check(cctx) == nil
	}()
	return ch
}

// answered waits up to limit for ldAnswers' result.
func answered(ch <-chan bool, limit time.Duration) bool {
	select {
	case ok := <-ch:
		return ok
	case <-time.After(limit):
		return false
	}
}

// ldReachableWarning is what update says when LaunchDarkly answered: the Redis edit will not
// hold, and the command that makes the change where it holds.
func ldReachableWarning(opts *updateOptions, at location) string {
	next := "  make the change in LaunchDarkly instead.\n"
	if at.mapped {
		state := "off"
		if opts.on {
			state = "on"
		}
		cmd := tsprintf("relaycommander update -p %s -e %s -f %s -s %s", at.Project, at.Environment, opts.flag, state)
		if opts.reason != "" {
			cmd += " --reason " + shellQuote(termsafe.Escape(opts.reason)) // the audit comment
		}
		next = "  make it in LaunchDarkly instead:\n    " + cmd + " --in-launchdarkly\n"
	}
	return "  LaunchDarkly answers (checked just now): a Relay connected to it undoes this Redis edit with its\n" +
		"  next update, and a Relay that reconnects re-syncs the old state. To keep the change,\n" + next
}

type inLDJSON struct {
	InLaunchDarkly bool   `json:"inLaunchDarkly"`
	Project        string `json:"project"`
	Environment    string `json:"environment"`
	Flag           string `json:"flag"`
	On             bool   `json:"on"`
	Version        int    `json:"version"`
	Comment        string `json:"comment"`
	// ClosedChanges are the pending changes of the flag it closed; FailedHosts the Redis
	// hosts that kept their state instead of taking LaunchDarkly's
	ClosedChanges []string `json:"closedChanges"`
	FailedHosts   []string `json:"failedHosts,omitempty"`
	LeftHosts     []string `json:"leftHosts,omitempty"` // a Relay wrote them since the change: left as they are
}

// updateInLD makes the change in LaunchDarkly itself (update --in-launchdarkly): one PATCH
// with the operator and reason as its comment. Redis is not edited and the journal, which
// records the edits made in Redis, records nothing: LaunchDarkly's audit log has the change,
// and the Relays connected to LaunchDarkly stream it into Redis.
func updateInLD(ctx context.Context, opts *updateOptions, at location, store *flags.Store) error {
	a := opts.app
	if !at.mapped {
		return fmt.Errorf("prefix %s is unmapped: its project and environment in LaunchDarkly are unknown; "+
			"give -p PROJECT -e ENVIRONMENT, or map the prefix under prefixes: in the configuration; nothing was changed", at.prefix)
	}
	ld, err := a.ldClient(true)
	if err != nil {
		return fmt.Errorf("--in-launchdarkly: %w; nothing was changed", err)
	}
	out := a.planOut(opts.json)
	where := describe(at.prefix, at.Target)
	j, err := a.openJournal()
	if err != nil {
		return fmt.Errorf("--in-launchdarkly: the journal, which must close any pending change of %s: %w; nothing was changed", opts.flag, err)
	}
	shown, pending, err := pendingOf(j, at.prefix, opts.flag)
	if err != nil {
		return fmt.Errorf("--in-launchdarkly: reading the journal for a pending change of %s: %w; nothing was changed", opts.flag, err)
	}
	if pending {
		tprintf(out, "Flag %s in %s: set %s in LaunchDarkly itself.\n", opts.flag, where, flags.OnOff(opts.on))
	} else {
		tprintf(out, "Flag %s in %s: set %s in LaunchDarkly itself; Redis is not edited.\n", opts.flag, where, flags.OnOff(opts.on))
	}
	if pending {
		first := shown.Entries[0]
		why := "replayed, it would undo this change"
		if shown.Desired == opts.on {
			why = "LaunchDarkly gets its state now instead"
		}
		tprintf(out, "This closes the pending change of %s (%s since %s by %s, not replayed yet): %s; the Redis hosts that hold it get LaunchDarkly's state.\n",
			opts.flag, flags.OnOff(shown.Desired), first.Time.Local().Format("15:04"), first.Operator, why)
	}
	question := tsprintf("Set %s %s in LaunchDarkly (project %s, environment %s)?", opts.flag, flags.OnOff(opts.on), at.Project, at.Environment)
	if err := a.confirmWrite(question, opts.flag, at.Target, at.mapped, opts.yes); err != nil {
		return err
	}
	comment := ldsync.DirectComment(a.cfg.Operator, opts.reason)
	st, err := ld.SetOn(ctx, at.Project, opts.flag, at.Environment, opts.on, comment)
	if err != nil {
		return fmt.Errorf("set %s %s in LaunchDarkly (%s/%s): %w; Redis was not edited; %s",
			opts.flag, flags.OnOff(opts.on), at.Project, at.Environment, err, inLDNext(err))
	}
	tprintf(out, "%s is %s in LaunchDarkly (version %d), with the comment %q.\n", opts.flag, flags.OnOff(st.On), st.Version, comment)
	result := inLDJSON{InLaunchDarkly: true, Project: at.Project, Environment: at.Environment, Flag: opts.flag,
		On: st.On, Version: st.Version, Comment: comment, ClosedChanges: []string{}}
	sup, err := j.Supersede(ctx, store, at.prefix, opts.flag, shown, a.cfg.Operator, st.On, st.Version)
	if err != nil {
		return err // a change recorded meanwhile: said, with what to do
	}
	if !pending {
		fmt.Fprintln(out, "Redis was not edited and the journal records no change: LaunchDarkly's audit log has this one.\n"+
			"Relays connected to LaunchDarkly stream it into Redis; a Relay cut off keeps serving the old state until it reconnects.")
	}
	result.ClosedChanges = append(result.ClosedChanges, sup.Closed...)
	if len(sup.Closed) > 0 {
		tprintf(out, "The pending change of %s is closed (%s): it is not replayed.\n", opts.flag, strings.Join(sup.Closed, ", "))
	}
	kept := sup.Kept()
	if sup.Redis != nil {
		printSupersededHosts(out, sup, st.On, st.Version)
		result.LeftHosts = []string{}
		for _, h := range sup.Left {
			result.LeftHosts = append(result.LeftHosts, h.Host)
		}
		result.FailedHosts = kept
	}
	if opts.json {
		if err := a.writeJSON(result); err != nil {
			return err
		}
	}
	if len(kept) > 0 {
		holds, whose := "holds", "its"
		if len(kept) > 1 {
			holds, whose = "hold", "their"
		}
		return &exitErr{code: ExitPartial, msg: tsprintf("%s is %s in LaunchDarkly, but %s still %s the closed change's state in Redis: "+
			"restart %s Relay (a full re-sync writes LaunchDarkly's state)", opts.flag, flags.OnOff(st.On), strings.Join(kept, ", "), holds, whose)}
	}
	return nil
}

// printSupersededHosts says, per host, what Supersede's write of LaunchDarkly's state did.
func printSupersededHosts(out io.Writer, sup journal.Superseded, on bool, version int) {
	for _, h := range sup.Redis.Hosts {
		switch h.Outcome {
		case flags.Written:
			tprintf(out, "  %s: now %s v%d, as LaunchDarkly has it\n", h.Host, flags.OnOff(on), version)
		case flags.Unchanged:
			tprintf(out, "  %s: already %s\n", h.Host, flags.OnOff(on))
		default:
			tprintf(out, "  %s: still holds the pending change's state (%v): restart its Relay, which re-syncs it from LaunchDarkly\n", h.Host, h.Err)
		}
	}
	for _, h := range sup.Left {
		tprintf(out, "  %s: left as it is: a Relay wrote v%d since\n", h.Host, h.OldVersion)
	}
}

// inLDNext is what happened (ldsync's words) and the next step after LaunchDarkly did not
// confirm a change made there. Setting the same state again is harmless, so where the patch
// may have landed unseen (an outage: no answer, 5xx) the advice is to run the command again.
func inLDNext(err error) string {
	const orRedis = "or make the change in Redis without --in-launchdarkly"
	tr := ldsync.TroubleOf(err)
	var next string
	switch tr.Kind {
	case ldsync.TroubleUnknown:
		return "run the same command again (setting the same state twice is harmless), " + orRedis
	case ldsync.TroubleNotAnswering, ldsync.TroubleFailing:
		next = "the patch may have landed without an answer: run the same command again (setting the same state twice is harmless), " + orRedis
	case ldsync.TroubleTokenRefused:
		next = lowerFirst(ldsync.TokenFix) + ", then run the same command again"
	case ldsync.TroubleNotFound:
		next = "check the project, environment and flag keys (relaycommander flags lists them)"
	case ldsync.TroubleApprovalRequired:
		next = "request the change in LaunchDarkly's UI, " + orRedis
	case ldsync.TroubleConflict:
		next = "run the same command again"
	case ldsync.TroubleRateLimited:
		next = "run the same command again " + afterReset(tr)
	default:
		next = "LaunchDarkly did not take it (see its message above): make the change in LaunchDarkly's UI, " + orRedis
	}
	return tr.What() + ": " + next
}

// afterReset is when a rate-limited command can run again: after the limit's reset, or in a
// minute when LaunchDarkly did not say.
func afterReset(tr ldsync.Trouble) string {
	if tr.Resets.IsZero() {
		return "in a minute"
	}
	return "after " + tr.Resets.Local().Format("15:04:05") + ", when the limit resets"
}

// lowerFirst is s with its first letter in lower case, to go on a sentence.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// shellQuote quotes s for a POSIX shell, so that a suggested command can be pasted as it is.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// pendingOf is the journal's pending change of a flag, if any.
func pendingOf(j *journal.Journal, prefix, flag string) (journal.Pending, bool, error) {
	ps, err := j.Pending()
	if err != nil {
		return journal.Pending{}, false, err
	}
	for _, p := range ps {
		if p.Prefix == prefix && p.Flag == flag && len(p.Entries) > 0 {
			return p, true, nil
		}
	}
	return journal.Pending{}, false, nil
}
