package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"relaycommander/flags"
	"relaycommander/journal"
)

// discardJSON is discard --json.
type discardJSON struct {
	Discarded    journal.ReplayEvent `json:"discarded"` // the discard as the journal recorded it
	Restored     bool                `json:"restored"`  // --restore: the base state was written back to Redis
	Hosts        []hostResultJSON    `json:"hosts"`     // the restore's result per host; empty without --restore
	FailedHosts  []string            `json:"failedHosts"`
	UnknownHosts []string            `json:"unknownHosts"` // the restore's reply was lost there, as in update --json
	LeftHosts    []string            `json:"leftHosts"`    // a Relay rewrote them since the change: left as they are
	Journal      string              `json:"journal"`
}

// discardOptions are the discard command's flags.
type discardOptions struct {
	app                        *app
	project, env, prefix, flag string
	reason                     string
	restore, yes, json         bool
}

func newDiscardCmd(a *app) *cobra.Command {
	opts := &discardOptions{app: a}
	cmd := &cobra.Command{
		Use:   "discard -p PROJECT -e ENVIRONMENT -f FLAG [--restore] [--reason TEXT] [--yes] [--json]",
		Short: "Drop a flag's pending change so that it is not replayed; with --restore, write its state before back to Redis",
		Long: `Discards the pending change of one flag (every toggle of it not yet replayed): it is recorded
as discarded in the journal and 'relaycommander replay' no longer sends it. Redis is left as
it is, unless --restore writes the state the flag had before the change back to every Redis
host (after a confirmation that, in protected environments and unmapped prefixes, is typing
the flag's key). 'relaycommander queue' lists what is pending.`,
		Example: `  relaycommander discard -p web-store -e production -f new-checkout --reason "toggled the wrong flag"
  relaycommander discard -p web-store -e production -f new-checkout --restore
  relaycommander discard --prefix launchdarkly -f banner --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDiscard(cmd.Context(), opts) },
	}
	f := cmd.Flags()
	f.StringVarP(&opts.project, "project", "p", "", "LaunchDarkly project key")
	f.StringVarP(&opts.env, "environment", "e", "", "LaunchDarkly environment key")
	f.StringVar(&opts.prefix, "prefix", "", "store prefix, for prefixes that are not ld:{project}:{environment}")
	f.StringVarP(&opts.flag, "flag", "f", "", "flag key")
	f.BoolVar(&opts.restore, "restore", false, "also write the flag's state before the change back to every Redis host")
	f.StringVar(&opts.reason, "reason", "", "why: goes to the journal")
	f.BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	f.BoolVar(&opts.json, "json", false, "print the result as JSON")
	return cmd
}

// runDiscard checks the command line, finds the flag's pending change in the journal and
// discards it.
func runDiscard(ctx context.Context, opts *discardOptions) error {
	a := opts.app
	if opts.flag == "" {
		return usageErr("discard needs -f FLAG")
	}
	if (opts.project == "") != (opts.env == "") || (opts.project == "" && opts.prefix == "") {
		return usageErr("discard needs -p PROJECT -e ENVIRONMENT, or --prefix PREFIX")
	}
	if _, err := a.config(); err != nil {
		return err
	}
	if err := a.refuseWrites("discard"); err != nil {
		return err
	}
	j, err := a.openJournal()
	if err != nil {
		return err
	}
	ps, err := j.Pending()
	if err != nil {
		return err
	}
	p, err := opts.pendingOf(ps)
	if err != nil {
		return err
	}
	var st *flags.Store // only a restore writes Redis
	if opts.restore {
		if st, err = a.openStore(); err != nil {
			return fmt.Errorf("%w; nothing was discarded (without --restore, discard does not need Redis)", err)
		}
	}
	return discard(ctx, opts, j, st, p)
}

// pendingHint suggests the pending flag most likely meant when none matched: in the place the
// options name, else anywhere (then saying where); "" when none is near.
func (opts *discardOptions) pendingHint(ps []journal.Pending) string {
	var here, all []string
	whereOf := map[string]string{}
	for _, p := range ps {
		if (opts.prefix == "" || p.Prefix == opts.prefix) && (opts.project == "" || p.Project == opts.project && p.Environment == opts.env) {
			here = append(here, p.Flag)
		}
		all = append(all, p.Flag)
		t, _ := p.Target()
		whereOf[p.Flag] = describe(p.Prefix, t)
	}
	if n, ok := nearest(opts.flag, here); ok {
		return tsprintf("; did you mean %s?", n)
	}
	if n, ok := nearest(opts.flag, all); ok {
		return tsprintf("; did you mean %s, pending in %s?", n, whereOf[n])
	}
	return ""
}

// pendingOf finds, among the pending changes, the one of the flag the options name.
func (opts *discardOptions) pendingOf(ps []journal.Pending) (journal.Pending, error) {
	var found []journal.Pending
	for _, p := range ps {
		if p.Flag == opts.flag && (opts.prefix == "" || p.Prefix == opts.prefix) &&
			(opts.project == "" || p.Project == opts.project && p.Environment == opts.env) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		where := "prefix " + opts.prefix
		if opts.project != "" {
			where = opts.project + "/" + opts.env
		}
		return journal.Pending{}, fmt.Errorf("nothing pending for flag %s in %s: nothing to discard%s; relaycommander queue lists the pending changes",
			opts.flag, where, opts.pendingHint(ps))
	}
	prefixes := make([]string, len(found))
	for i, p := range found {
		prefixes[i] = p.Prefix
	}
	return journal.Pending{}, usageErr("flag %s of %s/%s is pending in several prefixes (%s): choose one with --prefix",
		opts.flag, opts.project, opts.env, strings.Join(prefixes, ", "))
}

// discard shows the pending change, asks, records the discard (and restores Redis with
// --restore), then reports. st is nil without --restore.
func discard(ctx context.Context, opts *discardOptions, j *journal.Journal, st *flags.Store, p journal.Pending) error {
	a := opts.app
	out := a.planOut(opts.json)
	t, mapped := p.Target()
	where := describe(p.Prefix, t)
	last := p.Entries[len(p.Entries)-1]
	printWrapped(out, "", tsprintf("Pending change of %s in %s: %s -> %s, %s (%s), last by %s at %s.", p.Flag, where,
		flags.OnOff(p.BaseOn), flags.OnOff(p.Desired), count(len(p.Entries), "toggle", "toggles"), strings.Join(p.ChangeIDs(), ", "),
		last.Operator, last.Time.Local().Format("2006-01-02 15:04")))
	if err := opts.confirm(ctx, st, p, where, t, mapped); err != nil {
		return err
	}

	var store journal.DiscardStore // a nil *flags.Store must not pass for a store
	if st != nil {
		store = st
	}
	res, err := j.Discard(ctx, store, p, journal.DiscardRequest{By: a.cfg.Operator, Why: opts.reason, Restore: opts.restore})
	switch {
	case errors.Is(err, journal.ErrPendingMoved):
		return fmt.Errorf("%w; nothing was discarded. Look at relaycommander queue again, then discard what is pending now", err)
	case err != nil:
		return fmt.Errorf("%w; nothing was discarded", err)
	}
	if opts.json {
		dj := discardJSON{Discarded: res.Event, Restored: res.Restored != nil, Journal: j.Dir()}
		restored := flags.ToggleResult{}
		if res.Restored != nil {
			restored = *res.Restored
		}
		dj.Hosts, dj.FailedHosts = hostResultsJSON(restored)
		dj.UnknownHosts = append([]string{}, readBack(nil).stillUnknown(restored)...)
		dj.LeftHosts = []string{}
		for _, h := range res.Left {
			dj.LeftHosts = append(dj.LeftHosts, h.Host)
		}
		if err := a.writeJSON(dj); err != nil {
			return err
		}
	}
	printWrapped(out, "", tsprintf("Discarded %s in %s: it will not be replayed. Recorded in the journal %s.", p.Flag, where, j.Dir()))
	if res.Restored == nil {
		return nil
	}
	printHostResults(out, *res.Restored, nil)
	for _, h := range res.Left {
		printWrapped(out, "  ", tsprintf("%s: left as it is: a Relay wrote v%d %s since the change (LaunchDarkly's newer state, most likely)",
			h.Host, h.OldVersion, flags.OnOff(h.OldOn)))
	}
	fmt.Fprint(out, a.reachNote())
	return hostsFailedErr(*res.Restored, nil, tsprintf("The discard stands; the failed hosts keep %s until Relay re-syncs them "+
		"from LaunchDarkly. To set them now, when they are back: relaycommander update %s -f %s -s %s (replay then finds it in sync)",
		flags.OnOff(p.Desired), targetArgs(p), p.Flag, strings.ToLower(flags.OnOff(p.BaseOn))))
}

// confirm says what the discard will do and asks: like update when --restore writes Redis
// (typing the key where flags.Protection says so), else y/N.
func (opts *discardOptions) confirm(ctx context.Context, st *flags.Store, p journal.Pending, where string, t flags.Target, mapped bool) error {
	a, base := opts.app, flags.OnOff(p.BaseOn)
	out := a.planOut(opts.json)
	if st == nil {
		printWrapped(out, "", tsprintf("It will not be replayed. Redis is left as it is (--restore writes %s back where the change is in Redis).", base))
		return a.confirm(tsprintf("Discard the pending change of %s in %s?", p.Flag, where), "", opts.yes)
	}
	printWrapped(out, "", tsprintf("It will not be replayed, and the Redis hosts that still hold what it wrote are set back to %s, at the version LaunchDarkly has:", base))
	if f, err := st.Flag(ctx, p.Prefix, p.Flag); err == nil {
		printHostStates(out, f)
	} else {
		printWrapped(out, "  ", tsprintf("(the hosts' state could not be read: %v)", err))
	}
	question := tsprintf("Discard it and set %s %s again on %s of %s?", p.Flag, base, allHosts(len(st.HostNames())), where)
	return a.confirmWrite(question, p.Flag, t, mapped, opts.yes)
}

// targetArgs are the command-line arguments that name a pending change's prefix.
func targetArgs(p journal.Pending) string {
	if t, mapped := p.Target(); mapped {
		return "-p " + t.Project + " -e " + t.Environment
	}
	return "--prefix " + p.Prefix
}
