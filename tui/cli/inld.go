package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"relaycommander/flags"
	"relaycommander/ldsync"
)

// ldCheckWait bounds how long update waits for LaunchDarkly's answer before asking (a human
// waits on the prompt anyway) and, with --yes, after the write (never before it).
const ldCheckWait = 2 * time.Second

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
		next = "  make it in LaunchDarkly instead:\n" + tsprintf("    relaycommander update -p %s -e %s -f %s -s %s --in-launchdarkly\n",
			at.Project, at.Environment, opts.flag, state)
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
}

// updateInLD makes the change in LaunchDarkly itself (update --in-launchdarkly): one PATCH
// with the operator and reason as its comment. Redis is not edited and the journal, which
// records the edits made in Redis, records nothing: LaunchDarkly's audit log has the change,
// and the Relays connected to LaunchDarkly stream it into Redis.
func updateInLD(ctx context.Context, opts *updateOptions, at location) error {
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
	tprintf(out, "Flag %s in %s: set %s in LaunchDarkly itself; Redis is not edited.\n", opts.flag, where, flags.OnOff(opts.on))
	question := tsprintf("Set %s %s in LaunchDarkly (project %s, environment %s)?", opts.flag, flags.OnOff(opts.on), at.Project, at.Environment)
	if err := a.confirmWrite(question, opts.flag, at.Target, at.mapped, opts.yes); err != nil {
		return err
	}
	comment := ldsync.DirectComment(a.cfg.Operator, opts.reason)
	st, err := ld.SetOn(ctx, at.Project, opts.flag, at.Environment, opts.on, comment)
	if err != nil {
		next := "check the project, environment and flag keys (relaycommander flags lists them)"
		var apiErr *ldsync.APIError
		switch {
		case !errors.As(err, &apiErr) || apiErr.Status == 0 || apiErr.Status >= 500 || apiErr.Status == 429:
			next = "LaunchDarkly did not take it: retry, or make the change in Redis (the same command without --in-launchdarkly)"
		case apiErr.Status == 401 || apiErr.Status == 403:
			next = "LaunchDarkly refused the API token: RC_LAUNCHDARKLY_API_TOKEN needs writer rights in this project"
		}
		return fmt.Errorf("set %s %s in LaunchDarkly (%s/%s): %w; nothing was changed in Redis; %s",
			opts.flag, flags.OnOff(opts.on), at.Project, at.Environment, err, next)
	}
	tprintf(out, "%s is %s in LaunchDarkly (version %d), with the comment %q.\n", opts.flag, flags.OnOff(st.On), st.Version, comment)
	fmt.Fprintln(out, "Redis was not edited and the journal records nothing: LaunchDarkly's audit log has the change.\n"+
		"Relays connected to LaunchDarkly stream it into Redis; a Relay cut off keeps serving the old state until it reconnects.")
	if opts.json {
		return a.writeJSON(inLDJSON{InLaunchDarkly: true, Project: at.Project, Environment: at.Environment, Flag: opts.flag,
			On: st.On, Version: st.Version, Comment: comment})
	}
	return nil
}
