package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"relaycommander/flags"
	"relaycommander/journal"
)

// updateJSON is update --json.
type updateJSON struct {
	Change      *journal.Change  `json:"change"` // null when there was nothing to do
	NothingToDo bool             `json:"nothingToDo,omitempty"`
	Hosts       []hostResultJSON `json:"hosts"`
	FailedHosts []string         `json:"failedHosts"`
	Journal     string           `json:"journal"`
}

// updateOptions are the update command's flags.
type updateOptions struct {
	app                               *app
	project, env, prefix, flag, state string
	reason                            string
	yes, json                         bool
	on                                bool // the state, parsed
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
'relaycommander replay'.`,
		Example: `  relaycommander update -p web-store -e production -f new-checkout -s off --reason "checkout 500s"
  relaycommander update --prefix launchdarkly -p web-store -e staging -f banner -s on --yes`,
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
	j, err := a.openJournal()
	if err != nil {
		return err
	}
	at, err := a.resolve(st, opts.project, opts.env, opts.prefix)
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
	f, err := st.Flag(ctx, prefix, key)
	if err != nil {
		return fmt.Errorf("%w; nothing was changed (see the flags with: relaycommander flags --prefix %s)", err, prefix)
	}
	cur, ok := f.Primary()
	if !ok {
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
		fmt.Fprintf(out, "Flag %s in %s is already %s on every host (version %d); nothing to do.\n", key, where, flags.OnOff(on), cur.Version)
		if asJSON {
			return writeJSON(a.sys.Stdout, updateJSON{NothingToDo: true, Hosts: []hostResultJSON{}, FailedHosts: []string{}, Journal: j.Dir()})
		}
		return nil
	}
	fmt.Fprintf(out, "Flag %s in %s: %s -> %s\n", key, where, flags.OnOff(cur.On), flags.OnOff(on))
	printHostStates(out, f)
	if ag := f.Agreement(); !ag.Same() {
		fmt.Fprintf(out, "  The hosts differ (%s); every host will be set %s.\n", ag.Difference, flags.OnOff(on))
	}
	if !mapped {
		fmt.Fprintf(out, "  Prefix %s is unmapped: replaying this change later needs a prefixes: mapping for it.\n", prefix)
	}
	if len(f.Dependants) > 0 && !on {
		fmt.Fprintf(out, "  These flags have %s as a prerequisite and serve their off variation while it is off: %s\n",
			key, strings.Join(f.Dependants, ", "))
	}
	if len(cur.Prerequisites) > 0 && on {
		fmt.Fprintf(out, "  %s serves its off variation unless its prerequisites are met too: %s\n", key, strings.Join(cur.Prerequisites, ", "))
	}
	if !on && cur.OffVariation == nil {
		fmt.Fprintf(out, "  This flag has no off variation: when off, applications serve their own default value.\n")
	}
	question := fmt.Sprintf("Set %s %s on all %d Redis hosts of %s?", key, flags.OnOff(on), len(f.Hosts), where)
	if err := a.confirmWrite(question, key, t, mapped, yes); err != nil {
		return err
	}

	c, res, err := j.Toggle(ctx, st, journal.Change{
		Operator: a.cfg.Operator, Reason: reason, Prefix: prefix, Project: t.Project, Environment: t.Environment,
		Flag: key, Before: cur.On, After: on, BaseVersion: &cur.Version,
	})
	if err != nil && len(res.Hosts) == 0 {
		return err // the journal refused the intent: Redis was not touched
	}
	recordErr := err // Redis was written but the outcome is not recorded: show what happened, then fail
	if asJSON {
		uj := updateJSON{Change: &c, Journal: j.Dir()}
		uj.Hosts, uj.FailedHosts = hostResultsJSON(res)
		if err := writeJSON(a.sys.Stdout, uj); err != nil {
			return err
		}
	}
	printHostResults(out, res)
	fmt.Fprintf(out, "Recorded as change %s in the journal %s.\n", c.ID, j.Dir())
	fmt.Fprint(out, a.reachNote())
	fmt.Fprintln(out, "Next: once LaunchDarkly is back, run 'relaycommander replay'. When Relay reconnects it re-syncs from\n"+
		"LaunchDarkly and undoes this edit until the change is replayed.")
	if recordErr != nil {
		return fmt.Errorf("%w; the hosts' state is shown above, and relaycommander queue lists the change", recordErr)
	}
	return hostsFailedErr(res, "Run the same command again when they are back: the hosts already written report unchanged")
}
