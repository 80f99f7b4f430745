package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/tui/termsafe"
)

// updateJSON is update --json.
type updateJSON struct {
	Change      *journal.Change  `json:"change"` // null when there was nothing to do
	NothingToDo bool             `json:"nothingToDo,omitempty"`
	Hosts       []hostResultJSON `json:"hosts"`
	FailedHosts []string         `json:"failedHosts"`
	// UnknownHosts lost the reply to the write and reading them back did not settle it:
	// neither failed nor written yet (queue settles them).
	UnknownHosts []string    `json:"unknownHosts"`
	Journal      string      `json:"journal"`
	Served       *servedJSON `json:"served,omitempty"` // with --wait-served
	// LDAnswers: LaunchDarkly answered while the edit was made; a connected Relay undoes it
	LDAnswers bool `json:"launchDarklyAnswers,omitempty"`
}

// updateOptions are the update command's flags.
type updateOptions struct {
	app                               *app
	project, env, prefix, flag, state string
	reason                            string
	yes, json                         bool
	on                                bool // the state, parsed
	waitServed                        bool
	servedTimeout                     time.Duration
	inLD                              bool // in LaunchDarkly itself, not Redis
}

func newUpdateCmd(a *app) *cobra.Command {
	opts := &updateOptions{app: a}
	cmd := &cobra.Command{
		Use:     "update -p PROJECT -e ENVIRONMENT -f FLAG -s on|off [--reason TEXT] [--yes]",
		Aliases: []string{"update-redis"},
		Short:   "Set a flag on or off in every Redis host of the Relay, and record it in the journal",
		Long: `Sets one flag on or off in every configured Redis host at once, after showing what will change
and asking for confirmation (in protected environments, by typing the flag's key). The change is
recorded in the journal before Redis is written, and replayed to LaunchDarkly later with
'relaycommander replay'.

With --wait-served it then asks each Relay (relays:) about once a second what it serves of
the flag, as an SDK would (with the environment's SDK key: relay.sdk_keys or relay_configs),
and says per Relay when it serves the new state, until all do or --served-timeout passes
(default twice relay.local_ttl). Exit 3 if some Relay still serves the old state then.

While LaunchDarkly answers, a Relay connected to it undoes a Redis edit with its next update:
update says so (it asks LaunchDarkly while it reads Redis), and --in-launchdarkly makes the
change in LaunchDarkly itself instead (one patch, your name and --reason as its comment,
confirmed the same way); Redis is not edited and nothing is journaled.`,
		Example: `  relaycommander update -p web-store -e production -f new-checkout -s off --reason "checkout 500s"
  relaycommander update -p web-store -e production -f new-checkout -s off --wait-served --served-timeout 1m
  relaycommander update --prefix launchdarkly -p web-store -e staging -f banner -s on --yes
  relaycommander update -p web-store -e production -f new-checkout -s off --reason "checkout 500s" --in-launchdarkly`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runUpdate(cmd.Context(), opts) },
	}
	f := cmd.Flags()
	f.StringVarP(&opts.project, "project", "p", "", "LaunchDarkly project key")
	f.StringVarP(&opts.env, "environment", "e", "", "LaunchDarkly environment key")
	f.StringVar(&opts.prefix, "prefix", "", "store prefix, for prefixes that are not ld:{project}:{environment}")
	f.StringVarP(&opts.flag, "flag", "f", "", "flag key")
	f.StringVarP(&opts.state, "state", "s", "", "on or off")
	f.StringVar(&opts.reason, "reason", "", "why: goes to the journal and into LaunchDarkly's comment on replay")
	f.BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	f.BoolVar(&opts.json, "json", false, "print the result as JSON")
	f.BoolVar(&opts.waitServed, "wait-served", false, "after the write, ask each Relay (relays:) until it serves the new state")
	f.DurationVar(&opts.servedTimeout, "served-timeout", 0, "how long --wait-served asks (default twice relay.local_ttl)")
	f.BoolVar(&opts.inLD, "in-launchdarkly", false, "make the change in LaunchDarkly itself (while it answers) instead of in Redis; nothing is journaled")
	return cmd
}

// runUpdate checks the command line, opens the store and the journal, and toggles the flag.
func runUpdate(ctx context.Context, opts *updateOptions) error {
	a := opts.app
	if opts.flag == "" || opts.state == "" {
		return usageErr("update needs -f FLAG and -s on|off")
	}
	if opts.project == "" && opts.prefix == "" {
		return usageErr("update needs -p PROJECT -e ENVIRONMENT, or --prefix PREFIX")
	}
	if opts.inLD && opts.waitServed {
		return usageErr("--wait-served follows a Redis edit; with --in-launchdarkly, relaycommander status shows when the Relays have it")
	}
	if opts.servedTimeout < 0 || (opts.servedTimeout > 0 && !opts.waitServed) {
		return usageErr("--served-timeout %s: give a positive duration, with --wait-served", opts.servedTimeout)
	}
	switch strings.ToLower(opts.state) {
	case "on", "true":
		opts.on = true
	case "off", "false":
	default:
		return usageErr("-s %q: the state is on or off", opts.state)
	}
	if _, err := a.config(); err != nil {
		return err
	}
	if err := a.refuseWrites("update"); err != nil {
		return err
	}
	st, err := a.openStore()
	if err != nil {
		return err
	}
	at, err := a.resolve(st, opts.project, opts.env, opts.prefix)
	if err != nil {
		return err
	}
	if opts.inLD {
		return updateInLD(ctx, opts, at, st)
	}
	j, err := a.openJournal()
	if err != nil {
		return err
	}
	return update(ctx, opts, st, j, at)
}

// update shows the plan, asks, records the change and writes every host, then reports.
func update(ctx context.Context, opts *updateOptions, st *flags.Store, j *journal.Journal, at location) error {
	a, prefix, t, mapped := opts.app, at.prefix, at.Target, at.mapped
	key, on, reason, yes, asJSON := opts.flag, opts.on, opts.reason, opts.yes, opts.json
	out := a.planOut(asJSON)
	ldUp := a.ldAnswers(ctx) // while the hosts are read
	f, toggler, dependantsKnown, err := readForUpdate(ctx, a, st, prefix, key, on, yes)
	if p, ok := toggler.(*flags.PreparedToggle); ok {
		defer p.Abort() // nothing written unless the journal's Toggle ran
	}
	if err != nil {
		if errors.Is(err, flags.ErrWrongType) {
			return fmt.Errorf("%w; nothing was changed: %s:features is not a Relay store on those hosts; check the prefix (relaycommander flags lists the Relay's store prefixes)", err, prefix)
		}
		if errors.Is(err, flags.ErrUnknownFlag) || errors.Is(err, flags.ErrUnknownPrefix) {
			return a.notFound(ctx, st, opts.project, opts.env, opts.prefix, prefix, key)
		}
		return fmt.Errorf("%w; nothing was changed (see the flags with: relaycommander flags --prefix %s)", err, prefix)
	}
	cur, ok := f.Primary()
	if !ok {
		if uerr := f.Unreadable(); uerr != nil {
			return fmt.Errorf("prefix %s: %w; nothing was changed. Relay rewrites the flag on its next sync from LaunchDarkly; "+
				"until then change it in LaunchDarkly, or repair the JSON on those hosts by hand", prefix, uerr)
		}
		return fmt.Errorf("flag %s in prefix %s: no host has a readable copy; nothing was changed", key, prefix)
	}
	if cur.Deleted {
		return fmt.Errorf("flag %s in prefix %s is deleted (tombstone) in LaunchDarkly: it cannot be toggled; nothing was changed", key, prefix)
	}
	where := describe(prefix, t)
	already := true
	for _, h := range f.Hosts {
		if !h.Present || h.On != on {
			already = false
		}
	}
	if already {
		printWrapped(out, "", tsprintf("Flag %s in %s is already %s on every host (version %d); nothing to do.", key, where, flags.OnOff(on), cur.Version))
		if asJSON {
			return a.writeJSON(updateJSON{NothingToDo: true, Hosts: []hostResultJSON{}, FailedHosts: []string{}, Journal: j.Dir()})
		}
		return nil
	}
	plan := flags.OnOff(cur.On) + "\x00->\x00" + flags.OnOff(on) // \x00: a space where the line does not break
	if cur.On == on {
		// some host is down or lacks the flag: the write is for those
		var so []string
		for _, h := range f.Hosts {
			if h.Present && h.On == on {
				so = append(so, h.Host)
			}
		}
		plan = tsprintf("already %s on %s; set %s on every host", flags.OnOff(on), strings.Join(so, ", "), flags.OnOff(on))
	}
	for _, l := range wrap(tsprintf("Flag %s in %s:", key, where)+" "+plan, 80) {
		fmt.Fprintln(out, strings.ReplaceAll(l, "\x00", " "))
	}
	printHostStates(out, f)
	if ag := f.Agreement(); !ag.Same() {
		printWrapped(out, "  ", tsprintf("The hosts differ (%s); every host will be set %s.", ag.Difference, flags.OnOff(on)))
	}
	if !mapped {
		printWrapped(out, "  ", tsprintf("Prefix %s is unmapped: replaying this change later needs a prefixes: mapping for it.", prefix))
	}
	switch servingOff := f.DependantsServingOff(on); {
	case on:
	case !dependantsKnown:
		printWrapped(out, "  ", tsprintf("Flags that have %s as a prerequisite were not looked up (only this flag was read): "+
			"relaycommander flags --prefix %s lists them.", key, prefix))
	case len(servingOff) > 0:
		printWrapped(out, "  ", tsprintf("These flags have %s as a prerequisite and serve their off variation while it is off: %s",
			key, strings.Join(servingOff, ", ")))
	}
	if len(cur.Prerequisites) > 0 && on {
		printWrapped(out, "  ", tsprintf("%s serves its off variation unless its prerequisites are met too: %s", key, strings.Join(cur.Prerequisites, ", ")))
	}
	if !on && cur.OffVariation == nil {
		printWrapped(out, "  ", "This flag has no off variation: when off, applications serve their own default value.")
	}
	printPendingNote(out, j, prefix, key, on)
	warnedLD := false
	if !yes && answered(ldUp, ldCheckWait) {
		fmt.Fprint(out, ldReachableWarning(opts, at))
		warnedLD = true
	}
	question := tsprintf("Set %s %s on %s of %s?", key, flags.OnOff(on), allHosts(len(f.Hosts)), where)
	if err := a.confirmWrite(question, key, t, mapped, yes); err != nil {
		return err
	}

	c, res, err := j.Toggle(ctx, toggler, journal.Change{
		Operator: a.cfg.Operator, Reason: reason, Prefix: prefix, Project: t.Project, Environment: t.Environment,
		Flag: key, Before: cur.On, After: on, BaseVersion: &cur.Version,
	})
	written := time.Now()
	if err != nil && len(res.Hosts) == 0 {
		return err // the journal refused the intent: Redis was not touched
	}
	recordErr := err // Redis was written but the outcome is not recorded: show what happened, then fail
	var rb readBack
	if len(res.UnknownHosts()) > 0 {
		// The journal reads such hosts back when its Toggler can read; whatever wrote, read
		// them back here when it did not settle them (a reply lost after the write was sent).
		if rb = readBackOf(j, prefix, key, c.ID); len(rb.stillUnknown(res)) > 0 {
			_, _ = j.Settle(ctx, st) // what it cannot decide yet stays unknown, for queue
			rb = readBackOf(j, prefix, key, c.ID)
		}
	}
	printHostResults(out, res, rb)
	printWrapped(out, "", tsprintf("Recorded as change %s in the journal %s.", c.ID, j.Dir()))
	fmt.Fprint(out, a.reachNote())
	uj := updateJSON{Change: &c, Journal: j.Dir(), LDAnswers: warnedLD}
	if !warnedLD && answered(ldUp, ldCheckWaitScript) {
		fmt.Fprint(out, ldReachableWarning(opts, at))
		uj.LDAnswers = true
	}
	uj.Hosts, uj.FailedHosts = hostResultsJSON(res)
	uj.UnknownHosts = append([]string{}, rb.stillUnknown(res)...)
	for i := range uj.Hosts {
		if o, ok := rb[uj.Hosts[i].Host]; ok && uj.Hosts[i].Outcome == string(flags.Unknown) && o.Outcome != string(flags.Unknown) {
			uj.Hosts[i].ReadBack = o.Outcome
		}
	}
	var servedErr error
	if opts.waitServed {
		uj.Served, servedErr = a.waitServed(ctx, out, servedCheck{prefix: prefix, flag: key, on: on, res: res, written: written, timeout: opts.servedTimeout})
	}
	if asJSON {
		if err := a.writeJSON(uj); err != nil {
			return err
		}
	}
	if len(res.FailedHosts()) == len(res.Hosts) {
		printWrapped(out, "", "Nothing was written on any host: the change is recorded as failed and will not be replayed.")
	} else {
		printWrapped(out, "", "Next: when Relay reconnects it re-syncs from LaunchDarkly and undoes this edit until the change "+
			"is replayed. Replay it once LaunchDarkly is back: relaycommander replay. Or arm it now: relaycommander replay --wait "+
			"holds the change in Redis against Relay re-syncs and replays it the moment LaunchDarkly is back.")
	}
	if recordErr != nil {
		return fmt.Errorf("%w; the hosts' state is shown above, and relaycommander queue lists the change", recordErr)
	}
	back := "they are"
	if failed := res.FailedHosts(); len(failed) == 1 {
		back = failed[0] + " is"
	}
	retry := tsprintf("When %s back, run it again (the hosts that have it report unchanged): relaycommander update %s -f %s -s %s",
		back, opts.targetArgs(), key, strings.ToLower(flags.OnOff(on)))
	if reason != "" {
		retry += " --reason " + shellQuote(termsafe.Escape(reason))
	}
	if err := hostsFailedErr(res, rb, retry); err != nil {
		return err
	}
	return servedErr
}

// printPendingNote says, before the question, the flag's change pending in the journal and
// what the replay sends after this toggle: in the words of the UI's confirmation
// (journal.Pending.ToggleNote), times in the local zone as queue shows them.
func printPendingNote(out io.Writer, j *journal.Journal, prefix, key string, on bool) {
	pending, err := j.Pending()
	if err != nil {
		return // the journal's own error comes with the toggle that follows, which writes it
	}
	for _, p := range pending {
		if p.Prefix == prefix && p.Flag == key {
			what, then := p.ToggleNote(on, time.Now())
			printWrapped(out, "  ", "In the journal: "+termsafe.Escape(what))
			printWrapped(out, "  ", then)
			return
		}
	}
}

// targetArgs names update's prefix as its command line did: -p/-e, --prefix, or both.
func (opts *updateOptions) targetArgs() string {
	var args []string
	if opts.prefix != "" {
		args = append(args, "--prefix "+opts.prefix)
	}
	if opts.project != "" {
		args = append(args, "-p "+opts.project)
	}
	if opts.env != "" {
		args = append(args, "-e "+opts.env)
	}
	return strings.Join(args, " ")
}

// readForUpdate reads what update shows and journals of the flag, as cheaply as the command
// allows, and returns the Toggler that will write it:
//   - --yes: nobody reads a plan before the write, so the toggle's own WATCH+HGET is the read
//     (flags.PrepareToggle): the command costs 2 round trips per host whatever the prefix's
//     size. Dependants are not looked up (that would be the whole prefix).
//   - a prompt turning the flag off: the whole prefix (one HGETALL per host), since which
//     flags depend on this one is what the operator weighs before confirming, and nothing
//     but the whole prefix says it; a human is waiting on the prompt anyway.
//   - a prompt turning it on (or no terminal to prompt on, to be refused): the one flag, one
//     HMGET per host; a flag's own prerequisites are in its own JSON.
func readForUpdate(ctx context.Context, a *app, st *flags.Store, prefix, key string, on, yes bool) (flags.Flag, journal.Toggler, bool, error) {
	if yes {
		p := st.PrepareToggle(ctx, prefix, key, on)
		f := p.Read()
		err := presentSomewhere(f, prefix)
		if err != nil {
			var errs []error
			for _, r := range p.Abort().Hosts {
				if r.Err != nil && !errors.Is(r.Err, flags.ErrNotCommitted) {
					errs = append(errs, r.Err)
				}
			}
			for _, e := range errs {
				if errors.Is(e, flags.ErrWrongType) {
					return f, p, false, e // the host answered: say what it said
				}
			}
			if len(errs) > 0 {
				err = fmt.Errorf("%w: %w", err, errors.Join(errs...))
			}
		}
		return f, p, false, err
	}
	if !on && a.sys.StdinTTY {
		f, err := st.Flag(ctx, prefix, key)
		return f, st, true, err
	}
	fs, err := st.ReadFields(ctx, map[string][]string{prefix: {key}})
	if err != nil {
		return flags.Flag{}, st, false, err
	}
	f, _ := fs.Flag(prefix, key)
	return f, st, false, presentSomewhere(f, prefix)
}

// presentSomewhere is the error for a flag that no host holds (unknown flag or prefix), or
// that no host could be asked about.
func presentSomewhere(f flags.Flag, prefix string) error {
	var up, hostErrs []string
	for _, h := range f.Hosts {
		if h.Present {
			return nil
		}
		if h.HostDown {
			hostErrs = append(hostErrs, h.Host)
		} else {
			up = append(up, h.Host)
		}
	}
	if len(up) == 0 {
		return fmt.Errorf("flag %q in prefix %q: no Redis host answered (%s)", f.Key, prefix, strings.Join(hostErrs, ", "))
	}
	return fmt.Errorf("flag %q in prefix %q on %s: %w (or no such prefix)", f.Key, prefix, strings.Join(up, ", "), flags.ErrUnknownFlag)
}
