package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/tui/termsafe"
)

// itemJSON is one plan item in replay --json, with its result once applied.
type itemJSON struct {
	Prefix      string    `json:"prefix"`
	Project     string    `json:"project,omitempty"`
	Environment string    `json:"environment,omitempty"`
	Flag        string    `json:"flag"`
	Desired     bool      `json:"desired"`
	BaseVersion *int      `json:"baseVersion"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason,omitempty"`
	LDOn        bool      `json:"ldOn"`
	LDVersion   int       `json:"ldVersion"`
	LDModified  time.Time `json:"ldModified,omitzero"`
	Force       bool      `json:"force,omitempty"`
	ChangeIDs   []string  `json:"changeIds"`
	Result      string    `json:"result,omitempty"`
	Error       string    `json:"error,omitempty"`
}

// replayJSON is replay --json.
type replayJSON struct {
	Journal   string         `json:"journal"`
	DryRun    bool           `json:"dryRun"`
	Items     []itemJSON     `json:"items"`
	Counts    *ldsync.Counts `json:"counts,omitempty"`
	Undecided int            `json:"undecidedConflicts"`
	// Unsettled counts the items not replayable because their outcome in Redis is unknown or
	// their hosts disagree. Settled are the interrupted changes read back from Redis before
	// planning, SettleError why some could not be; Settling is "done", or why it was skipped
	// (a dry run and read-only record nothing, not even what Redis holds).
	Unsettled   int          `json:"unsettled"`
	Settled     []changeJSON `json:"settled"`
	SettleError string       `json:"settleError,omitempty"`
	Settling    string       `json:"settling"`
}

// replayOptions are the replay command's flags.
type replayOptions struct {
	app               *app
	dryRun, yes, json bool
	force             []string
}

func newReplayCmd(a *app) *cobra.Command {
	opts := &replayOptions{app: a}
	wait := &waitOptions{}
	cmd := &cobra.Command{
		Use:     "replay [--dry-run] [--yes] [--force FLAG...] [--json] | replay --wait [--yes] [--poll DURATION] [--timeout DURATION]",
		Aliases: []string{"playback"},
		Short:   "Send the pending changes to LaunchDarkly: plan, confirm, apply, verify",
		Long: `Reads LaunchDarkly's current state for every pending change and classifies it (in sync, ready,
conflict, unknown base, not replayable), prints the plan, asks for confirmation, sends the
ready changes paced by LaunchDarkly's rate limits, and reads each one back to verify it.

A conflict means someone changed the flag in LaunchDarkly during the outage: it is never
overwritten unless named with --force (a flag key, or PROJECT/ENVIRONMENT/FLAG).
Exit codes: 0 done, 3 some changes failed or are not replayable, 4 conflicts await a decision.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if wait.on {
				return runReplayWait(cmd.Context(), opts, wait)
			}
			return runReplay(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.dryRun, "dry-run", false, "print the plan and send nothing")
	f.BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	f.StringSliceVar(&opts.force, "force", nil, "overwrite LaunchDarkly's state for this conflicting flag (FLAG or PROJECT/ENVIRONMENT/FLAG; repeatable)")
	f.BoolVar(&opts.json, "json", false, "print the plan and the results as JSON")
	wait.register(f)
	return cmd
}

// itemToJSON is a plan item as replay --json shows it, before its result.
func itemToJSON(it ldsync.Item) itemJSON {
	p := it.Pending
	return itemJSON{Prefix: p.Prefix, Project: p.Project, Environment: p.Environment, Flag: p.Flag, Desired: p.Desired,
		BaseVersion: p.BaseVersion, Status: string(it.Status), Reason: it.Reason, LDOn: it.LD.On, LDVersion: it.LD.Version,
		LDModified: it.LD.LastModified, Force: it.Force, ChangeIDs: p.ChangeIDs()}
}

// runReplay plans the replay of every pending change, asks, applies and verifies.
func runReplay(ctx context.Context, opts *replayOptions) error {
	a, dryRun, yes, asJSON, force := opts.app, opts.dryRun, opts.yes, opts.json, opts.force
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if !dryRun {
		if err := a.refuseWrites("replay (use --dry-run to see the plan)"); err != nil {
			return err
		}
	}
	j, err := a.openJournal()
	if err != nil {
		return err
	}
	client, err := a.ldClient(true)
	if err != nil {
		return err
	}
	// Apply takes the journal's replay lock itself: a second replay fails there, naming the journal.
	pending, err := j.Pending()
	if err != nil {
		return err
	}
	out := a.planOut(asJSON)
	result := replayJSON{Journal: j.Dir(), DryRun: dryRun, Items: []itemJSON{}, Settled: []changeJSON{}, Settling: "done"}
	if len(pending) == 0 {
		tprintf(out, "Nothing pending in the journal %s: nothing to replay.\n", j.Dir())
		if asJSON {
			return a.writeJSON(result)
		}
		return nil
	}
	r := &ldsync.Replayer{Client: client, Journal: j, Operator: cfg.Operator}
	plan, settling, err := a.planReplay(ctx, r, pending, dryRun)
	result.Settling = settling
	if err != nil {
		return fmt.Errorf("planning the replay against %s: %w; nothing was sent, the %s pending in %s. %s",
			cfg.LDBaseURL, err, count(len(pending), "change stays", "changes stay"), j.Dir(), ldHint(err))
	}
	if err := markForced(&plan, force); err != nil {
		return err
	}
	for _, e := range plan.Settled {
		fmt.Fprintln(out, settledLine(e))
		result.Settled = append(result.Settled, entryToJSON(e))
	}
	if plan.SettleErr != nil {
		result.SettleError = plan.SettleErr.Error()
		tprintf(out, "Not read back from Redis: %s\n  Those changes stay pending and are not sent; run relaycommander replay again once every host answers.\n",
			termsafe.Escape(plan.SettleErr.Error()))
	}
	printPlan(out, plan, settling == "done")
	tally := plan.Tally()
	result.Undecided, result.Unsettled = tally.Undecided, tally.Unsettled
	for _, it := range plan.Items {
		result.Items = append(result.Items, itemToJSON(it))
	}
	finish := func(counts *ldsync.Counts) error {
		result.Counts = counts
		if asJSON {
			if err := a.writeJSON(result); err != nil {
				return err
			}
		}
		failed := tally.NotReplayable
		if counts != nil {
			failed += counts.Failed + counts.Mismatched
		}
		switch {
		case failed > 0:
			unsettled := ""
			if tally.Unsettled > 0 {
				unsettled = tsprintf(" (%d of them unsettled: outcome unknown in Redis, or hosts that disagree)", tally.Unsettled)
			}
			return &exitErr{code: ExitPartial, msg: tsprintf("%s failed or cannot be replayed%s: see the reasons above; they stay pending in %s", count(failed, "change", "changes"), unsettled, j.Dir())}
		case result.Undecided > 0:
			return &exitErr{code: ExitConflicts, msg: tsprintf("%s a decision: someone changed these flags in LaunchDarkly during the outage. "+
				"Check them in LaunchDarkly, then overwrite with relaycommander replay --force FLAG, or discard them with relaycommander discard -p PROJECT -e ENVIRONMENT -f FLAG (or in the UI)", count(result.Undecided, "conflict awaits", "conflicts await"))}
		}
		return nil
	}
	if dryRun {
		tprintf(out, "Dry run: nothing sent. %s would be sent", count(tally.ToSend, "change", "changes"))
		if tally.NotReplayable > 0 {
			tprintf(out, "; %d not replayable, %d of them unsettled (outcome unknown in Redis, or hosts that disagree)", tally.NotReplayable, tally.Unsettled)
		}
		fmt.Fprintln(out, ".")
		if settling != "done" && slices.ContainsFunc(pending, journal.Pending.Interrupted) {
			tprintf(out, "Interrupted changes were not read back from Redis (%s): run relaycommander replay without --dry-run (or relaycommander queue) to settle them.\n", settling)
		}
		return finish(nil)
	}
	switch {
	case tally.Process == 0:
		fmt.Fprintln(out, "Nothing to send.")
		return finish(nil)
	case tally.ToSend == 0:
		// In-sync changes are closed only by Apply recording them; it sends nothing for them.
		tprintf(out, "Nothing to send; recording %s as already in sync.\n", count(tally.Process, "change", "changes"))
	default:
		if err := a.confirm(tsprintf("Send %s to LaunchDarkly at %s?", count(tally.ToSend, "change", "changes"), cfg.LDBaseURL), "", yes); err != nil {
			return err
		}
	}
	progress := make(chan ldsync.Progress, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.showProgress(out, progress, result.Items)
	}()
	counts, err := r.Apply(ctx, plan, progress)
	<-done
	if err != nil {
		if asJSON {
			result.Counts = &counts
			a.writeJSON(result)
		}
		return fmt.Errorf("replay stopped: %w; what was sent is recorded in %s. %s", err, j.Dir(), ldHint(err))
	}
	tprintf(out, "Applied %d, already in sync %d, verified %d, mismatched %d, failed %d, conflicts %d, skipped %d.\n",
		counts.Applied, counts.InSync, counts.Verified, counts.Mismatched, counts.Failed, counts.Conflicts, counts.Skipped)
	if counts.Conflicts > result.Undecided {
		result.Undecided = counts.Conflicts // found only while applying: changed since the plan
	}
	return finish(&counts)
}

// planReplay plans the pending changes. Outside a dry run it settles interrupted changes
// first (PlanAll reads Redis back and records what it finds), so a change that no host holds
// is never sent. A dry run records nothing, not even that (and read-only allows only a dry
// run): it plans without settling, and the interrupted changes are planned not replayable.
// settling is "done", or why settling was skipped.
func (a *app) planReplay(ctx context.Context, r *ldsync.Replayer, pending []journal.Pending, dryRun bool) (ldsync.Plan, string, error) {
	if dryRun {
		plan, err := r.Plan(ctx, pending)
		return plan, "a dry run records nothing", err
	}
	st, err := a.openStore()
	if err != nil {
		plan, perr := r.Plan(ctx, pending)
		plan.SettleErr = fmt.Errorf("Redis could not be opened: %w", err)
		return plan, "Redis could not be opened", perr
	}
	r.Store = st
	plan, err := r.PlanAll(ctx)
	return plan, "done", err
}

// notReplayableWhy is the plan's reason for an unsettled item, naming hosts: what is unknown
// where, or what each host holds.
func notReplayableWhy(it ldsync.Item, settledNow bool) string {
	p := it.Pending
	if it.Status != ldsync.NotReplayable {
		return ""
	}
	if p.Interrupted() {
		var why []string
		for _, e := range p.Entries {
			if e.Unsettled() {
				why = append(why, waitingNote(e, settledNow))
			}
		}
		return "not replayable: " + strings.Join(why, "; ") + "; it is not sent until Redis is read back"
	}
	if p.Disagreement != "" {
		hosts := make([]string, len(p.Hosts))
		for i, h := range p.Hosts {
			hosts[i] = tsprintf("%s %s v%d", termsafe.Escape(h.Host), flags.OnOff(h.On), h.Version)
		}
		return "hosts disagree: " + strings.Join(hosts, ", ") + "; set it again or discard it"
	}
	return ""
}

// markForced marks the conflicts each --force name designates; a name that designates no
// conflict is a usage error.
func markForced(plan *ldsync.Plan, names []string) error {
	for _, name := range names {
		found := false
		for i := range plan.Items {
			if it := &plan.Items[i]; it.Status == ldsync.Conflict && it.Matches(name) {
				it.Force, found = true, true
			}
		}
		if !found {
			return usageErr("--force %s: no conflicting pending change has that flag; the plan's conflicts are listed by: relaycommander replay --dry-run", name)
		}
	}
	return nil
}

// ldHint is what happened to a replay's LaunchDarkly call (ldsync's words) and what to do
// about it.
func ldHint(err error) string {
	const again = "then run relaycommander replay again"
	tr := ldsync.TroubleOf(err)
	switch {
	case errors.Is(err, context.Canceled), tr.Kind == ldsync.TroubleUnknown:
		return "Run relaycommander replay again to continue; nothing is sent twice."
	case tr.TokenRefused():
		return tr.What() + ". " + ldsync.TokenFix + ", " + again + "."
	case tr.Kind == ldsync.TroubleNotAnswering:
		return tr.What() + ". Check launchdarkly.base_url and the network, " + again + " once LaunchDarkly answers " +
			"(relaycommander replay --wait replays the moment it does)."
	case tr.Kind == ldsync.TroubleFailing:
		return tr.What() + ". Run relaycommander replay again once LaunchDarkly answers " +
			"(relaycommander replay --wait replays the moment it does); nothing is sent twice."
	case tr.Kind == ldsync.TroubleRateLimited:
		return tr.What() + ". Run relaycommander replay again " + afterReset(tr) + "; nothing is sent twice."
	}
	return tr.What() + ". Run relaycommander replay again to continue; nothing is sent twice."
}

// printPlan is the plan as a table.
func printPlan(out io.Writer, plan ldsync.Plan, settledNow bool) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PROJECT/ENVIRONMENT\tFLAG\tWANTED\tLAUNCHDARKLY\tPLAN\tWHY")
	for _, it := range plan.Items {
		p := it.Pending
		where := p.Prefix
		if p.Project != "" {
			where = p.Project + "/" + p.Environment
		}
		ld := "-"
		if it.LD.Version != 0 {
			ld = tsprintf("%s v%d", flags.OnOff(it.LD.On), it.LD.Version)
		}
		status := string(it.Status)
		if it.Force {
			status += " (forced)"
		}
		reason := termsafe.Escape(it.Reason)
		if why := notReplayableWhy(it, settledNow); why != "" {
			reason = why
		}
		if it.Status == ldsync.Conflict && !it.LD.LastModified.IsZero() {
			reason = strings.TrimSpace(reason + " changed in LaunchDarkly " + it.LD.LastModified.Local().Format("2006-01-02 15:04"))
		}
		tprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", termsafe.Escape(where), termsafe.Escape(p.Flag), flags.OnOff(p.Desired), ld, status, reason)
	}
	w.Flush()
}

// showProgress prints each finished item, and on a terminal a progress bar under them.
func (a *app) showProgress(out io.Writer, ch <-chan ldsync.Progress, items []itemJSON) {
	bar := a.sys.StdoutTTY && out == a.sys.Stdout
	var lastWait time.Time
	finished := map[int]bool{}
	clear := func() {
		if bar {
			fmt.Fprint(out, "\r\x1b[K")
		}
	}
	for p := range ch {
		name, planned, forced := "", "", false
		if p.Index >= 0 && p.Index < len(items) {
			it := &items[p.Index]
			planned, forced = it.Status, it.Force
			name = it.Flag
			if it.Project != "" {
				name = it.Project + "/" + it.Environment + "/" + name
			}
			if p.Done {
				it.Result, it.Error = p.Result, errString(p.Err)
			}
		}
		switch {
		case p.Done && (p.Result == string(journal.ReplayVerified) || p.Result == string(journal.ReplayMismatch)):
			clear()
			line := tsprintf("%s: %s", p.Result, name)
			if p.Err != nil {
				line += ": " + p.Err.Error()
			}
			tprintf(out, "%s\n", line)
		case p.Done && planned == string(ldsync.Conflict) && !forced:
			// A conflict the plan found and nobody forced: recorded, not sent.
			clear()
			tprintf(out, "conflict, left pending: %s\n", name)
		case p.Done && !finished[p.Index]:
			finished[p.Index] = true
			clear()
			line := tsprintf("%d/%d %s: %s", len(finished), p.Total, name, p.Result)
			if p.Err != nil {
				line += ": " + p.Err.Error()
			}
			tprintf(out, "%s\n", line)
		case !p.WaitingUntil.IsZero() && !bar && !p.WaitingUntil.Equal(lastWait):
			lastWait = p.WaitingUntil
			tprintf(out, "waiting until %s: %s\n", p.WaitingUntil.Local().Format("15:04:05"), p.WaitReason)
		}
		if bar && len(finished) < p.Total {
			// The bar is redrawn on its own line under the finished items.
			const width = 30
			filled := width * len(finished) / p.Total
			status := "sending " + name
			if !p.WaitingUntil.IsZero() {
				status = tsprintf("waiting %s: %s", time.Until(p.WaitingUntil).Round(time.Second), p.WaitReason)
			} else if p.Attempt > 1 {
				status += tsprintf(" (attempt %d)", p.Attempt)
			}
			tprintf(out, "\r\x1b[K[%s%s] %d/%d %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), len(finished), p.Total, status)
		}
	}
	clear()
}
