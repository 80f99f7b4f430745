package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"relaycommander/flags"
	"relaycommander/journal"
)

// pendingJSON is one pending flag in queue --json.
type pendingJSON struct {
	Prefix      string               `json:"prefix"`
	Project     string               `json:"project,omitempty"`
	Environment string               `json:"environment,omitempty"`
	Flag        string               `json:"flag"`
	BaseOn      bool                 `json:"baseOn"`
	BaseVersion *int                 `json:"baseVersion"`
	Desired     bool                 `json:"desired"`
	NoNetEffect bool                 `json:"noNetEffect"`
	Changes     []changeJSON         `json:"changes"`
	Last        *journal.ReplayEvent `json:"lastReplay,omitempty"`
	Undone      []undoneJSON         `json:"undone"` // hosts where Redis no longer holds the change
}

// undoneJSON is a host that took a pending change and now holds the other state.
type undoneJSON struct {
	Host    string `json:"host"`
	On      bool   `json:"on"`
	Version int    `json:"version"`
}

// flagRef names a flag of a prefix.
type flagRef struct{ prefix, flag string }

type changeJSON struct {
	journal.Change
	OutcomeKnown bool                  `json:"outcomeKnown"`
	Hosts        []journal.HostOutcome `json:"hosts"`
}

func pendingToJSON(ps []journal.Pending, undone map[flagRef][]journal.UndoneHost) []pendingJSON {
	out := []pendingJSON{}
	for _, p := range ps {
		pj := pendingJSON{Prefix: p.Prefix, Project: p.Project, Environment: p.Environment, Flag: p.Flag, BaseOn: p.BaseOn,
			BaseVersion: p.BaseVersion, Desired: p.Desired, NoNetEffect: p.NoNetEffect(), Last: p.Last, Changes: []changeJSON{},
			Undone: []undoneJSON{}}
		for _, u := range undone[flagRef{p.Prefix, p.Flag}] {
			pj.Undone = append(pj.Undone, undoneJSON(u))
		}
		for _, e := range p.Entries {
			hosts := e.Outcomes
			if hosts == nil {
				hosts = []journal.HostOutcome{}
			}
			pj.Changes = append(pj.Changes, changeJSON{Change: e.Change, OutcomeKnown: e.OutcomeKnown, Hosts: hosts})
		}
		out = append(out, pj)
	}
	return out
}

// queueOptions are the queue command's flags.
type queueOptions struct {
	app  *app
	json bool
}

func newQueueCmd(a *app) *cobra.Command {
	opts := &queueOptions{app: a}
	cmd := &cobra.Command{
		Use:   "queue [--json]",
		Short: "List the changes waiting to be replayed to LaunchDarkly",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runQueue(cmd.Context(), opts) },
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

// queueJSON is queue --json.
type queueJSON struct {
	Journal string        `json:"journal"`
	Pending []pendingJSON `json:"pending"`
	// UndoneChecked is false when Redis could not be asked (no hosts configured, none
	// answered): the pending changes' "undone" then says nothing.
	UndoneChecked bool `json:"undoneChecked"`
}

// runQueue lists the pending changes, after settling interrupted ones from Redis.
func runQueue(ctx context.Context, opts *queueOptions) error {
	a := opts.app
	j, err := a.openJournal()
	if err != nil {
		return err
	}
	ps, err := j.Pending()
	if err != nil {
		return err
	}
	if settled := a.reconcile(ctx, j, ps); settled > 0 {
		if ps, err = j.Pending(); err != nil {
			return err
		}
	}
	undone, checked := a.undone(ctx, ps)
	if opts.json {
		return a.writeJSON(queueJSON{j.Dir(), pendingToJSON(ps, undone), checked})
	}
	out := a.sys.Stdout
	if len(ps) == 0 {
		fmt.Fprintf(out, "Nothing pending in the journal %s.\n", j.Dir())
		return nil
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PROJECT/ENVIRONMENT\tFLAG\tCHANGE\tTOGGLES\tLAST BY\tWHEN\tNOTES")
	for _, p := range ps {
		where := p.Prefix
		if p.Project != "" {
			where = p.Project + "/" + p.Environment
		}
		last := p.Entries[len(p.Entries)-1]
		change := fmt.Sprintf("%s -> %s", flags.OnOff(p.BaseOn), flags.OnOff(p.Desired))
		var notes []string
		if hs := undone[flagRef{p.Prefix, p.Flag}]; len(hs) > 0 {
			notes = append(notes, undoneNote(hs))
		}
		if p.NoNetEffect() {
			notes = append(notes, "no net effect (replay confirms it)")
		}
		if p.BaseVersion == nil {
			notes = append(notes, "base version unknown (imported)")
		} else {
			change += fmt.Sprintf(" (from v%d)", *p.BaseVersion)
		}
		if p.Project == "" {
			notes = append(notes, "unmapped prefix: add it under prefixes: to replay")
		}
		for _, e := range p.Entries {
			if !e.OutcomeKnown {
				notes = append(notes, "outcome unknown for "+e.ID+": read back from Redis once every host answers and a minute has passed")
			}
			for _, o := range e.Outcomes {
				if o.Outcome == string(flags.Failed) {
					notes = append(notes, "failed on "+o.Host)
				}
			}
		}
		if p.Last != nil {
			notes = append(notes, "last replay: "+string(p.Last.Kind)+lastDetail(p.Last))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", where, p.Flag, change, len(p.Entries), last.Operator,
			last.Time.Local().Format("2006-01-02 15:04"), strings.Join(notes, "; "))
	}
	w.Flush()
	fmt.Fprintf(out, "\n%d pending in %s. Replay them with: relaycommander replay --dry-run, then relaycommander replay\n", len(ps), j.Dir())
	return nil
}

// reconcile settles, from what Redis holds now, the changes whose writer died between the
// intent and the outcome, and says so on stderr. Read-only mode and a configuration without
// hosts leave them as they are.
func (a *app) reconcile(ctx context.Context, j *journal.Journal, ps []journal.Pending) int {
	cfg, err := a.config()
	if err != nil || cfg.ReadOnly || len(cfg.Hosts) == 0 {
		return 0
	}
	if !slices.ContainsFunc(ps, journal.Pending.Interrupted) {
		return 0
	}
	st, err := a.openStore()
	if err != nil {
		return 0
	}
	settled, err := j.Reconcile(ctx, st, time.Minute)
	if err != nil {
		fmt.Fprintf(a.sys.Stderr, "relaycommander: reading interrupted changes back from Redis: %v\n", err)
	}
	for _, e := range settled {
		fmt.Fprintf(a.sys.Stderr, "relaycommander: change %s (%s %s) was interrupted before its outcome was recorded; read back from Redis\n", e.ID, e.Prefix, e.Flag)
	}
	return len(settled)
}

// undone reads back from Redis which pending changes were undone there (by Relay's re-sync
// from LaunchDarkly), by flag. checked is false when no Redis host is configured or none
// answered; the latter is said on stderr, and the queue is listed all the same.
func (a *app) undone(ctx context.Context, ps []journal.Pending) (undone map[flagRef][]journal.UndoneHost, checked bool) {
	cfg, err := a.config()
	if err != nil || len(cfg.Hosts) == 0 {
		return nil, false
	}
	if len(ps) == 0 {
		return nil, true
	}
	st, err := a.openStore()
	if err != nil {
		fmt.Fprintf(a.sys.Stderr, "relaycommander: not checked whether Redis still holds the pending changes: %v\n", err)
		return nil, false
	}
	us, err := journal.Drift(ctx, st, ps)
	if err != nil {
		fmt.Fprintf(a.sys.Stderr, "relaycommander: not checked whether Redis still holds the pending changes: %v\n", err)
		return nil, false
	}
	undone = map[flagRef][]journal.UndoneHost{}
	for _, u := range us {
		undone[flagRef{u.Prefix, u.Flag}] = u.Hosts
	}
	return undone, true
}

// undoneNote is the queue's note on a pending change that Redis no longer holds.
func undoneNote(hs []journal.UndoneHost) string {
	where := make([]string, len(hs))
	for i, h := range hs {
		where[i] = fmt.Sprintf("%s (%s v%d)", h.Host, flags.OnOff(h.On), h.Version)
	}
	return "UNDONE on " + strings.Join(where, ", ") + ": Relay re-synced from LaunchDarkly; replay to make it stick"
}

// lastDetail is what the queue says after the last replay's kind.
func lastDetail(e *journal.ReplayEvent) string {
	switch {
	case e.Error != "":
		return " (" + e.Error + ")"
	case e.Kind == journal.ReplayConflict:
		return fmt.Sprintf(" (LaunchDarkly at v%d)", e.LDVersion)
	}
	return ""
}
