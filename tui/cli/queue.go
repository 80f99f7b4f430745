package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/tui/termsafe"
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
	// Disagreement is "" when every host holds the same change's state, else how they differ:
	// such a change is not replayed until set again or discarded.
	Disagreement string `json:"disagreement,omitempty"`
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
	// Unsettled: whether it reached Redis is not known yet (no outcome, or a host "unknown");
	// it is not replayed until settled.
	Unsettled bool `json:"unsettled"`
}

func entryToJSON(e journal.Entry) changeJSON {
	hosts := e.Outcomes
	if hosts == nil {
		hosts = []journal.HostOutcome{}
	}
	return changeJSON{Change: e.Change, OutcomeKnown: e.OutcomeKnown, Hosts: hosts, Unsettled: e.Unsettled()}
}

func pendingToJSON(ps []journal.Pending, undone map[flagRef][]journal.UndoneHost) []pendingJSON {
	out := []pendingJSON{}
	for _, p := range ps {
		pj := pendingJSON{Prefix: p.Prefix, Project: p.Project, Environment: p.Environment, Flag: p.Flag, BaseOn: p.BaseOn,
			BaseVersion: p.BaseVersion, Desired: p.Desired, NoNetEffect: p.NoNetEffect(), Last: p.Last, Changes: []changeJSON{},
			Undone: []undoneJSON{}, Disagreement: p.Disagreement}
		for _, u := range undone[flagRef{p.Prefix, p.Flag}] {
			pj.Undone = append(pj.Undone, undoneJSON(u))
		}
		for _, e := range p.Entries {
			pj.Changes = append(pj.Changes, entryToJSON(e))
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
	// Settled are the interrupted changes this run read back from Redis (journal.Settle), as
	// recorded; SettleError why some could not be (naming the hosts); Settling "skipped" in
	// read-only mode or without Redis hosts (settling records outcomes), else "done".
	Settled     []changeJSON `json:"settled"`
	SettleError string       `json:"settleError,omitempty"`
	Settling    string       `json:"settling"`
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
	st := a.settle(ctx, j, ps)
	if st.ran {
		ps = st.pending
	}
	undone, checked := a.undone(ctx, ps)
	if opts.json {
		qj := queueJSON{Journal: j.Dir(), Pending: pendingToJSON(ps, undone), UndoneChecked: checked, Settled: []changeJSON{},
			SettleError: errString(st.err), Settling: st.settling}
		for _, e := range st.settled {
			qj.Settled = append(qj.Settled, entryToJSON(e))
		}
		return a.writeJSON(qj)
	}
	out := a.sys.Stdout
	if len(ps) == 0 {
		tprintf(out, "Nothing pending in the journal %s.\n", j.Dir())
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
		change := tsprintf("%s -> %s", flags.OnOff(p.BaseOn), flags.OnOff(p.Desired))
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
			change += tsprintf(" (from v%d)", *p.BaseVersion)
		}
		if p.Project == "" {
			notes = append(notes, "unmapped prefix: add it under prefixes: to replay")
		}
		if p.Disagreement != "" {
			notes = append(notes, termsafe.Escape(p.Disagreement)+"; not replayed: set it again or discard it")
		}
		for _, e := range p.Entries {
			if e.Unsettled() {
				why := waitingNote(e, st.settling == "done")
				if st.settling != "done" {
					why += " (not read back: " + st.settling + ")"
				}
				notes = append(notes, "change "+e.ID+" "+why)
			}
			for _, o := range e.Outcomes {
				if o.Outcome == string(flags.Failed) {
					notes = append(notes, "failed on "+termsafe.Escape(o.Host))
				}
			}
		}
		if p.Last != nil {
			notes = append(notes, "last replay: "+string(p.Last.Kind)+lastDetail(p.Last))
		}
		tprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", where, p.Flag, change, len(p.Entries), last.Operator,
			last.Time.Local().Format("2006-01-02 15:04"), strings.Join(notes, "; "))
	}
	w.Flush()
	fmt.Fprintln(out)
	printWrapped(out, "", tsprintf("%s in the journal %s.", count(len(ps), "flag with a pending change", "flags with pending changes"), j.Dir()))
	fmt.Fprintln(out, "Replay by hand: relaycommander replay --dry-run, then relaycommander replay")
	fmt.Fprintln(out, "Or arm it until LaunchDarkly answers: relaycommander replay --wait")
	return nil
}

// settled is what queue's settling did.
type settled struct {
	ran      bool              // Settle ran and returned the pending changes
	pending  []journal.Pending // after settling
	settled  []journal.Entry
	err      error
	settling string // "done", or why it was skipped
}

// settle decides, from what Redis holds now, the interrupted changes (journal.Settle) and says
// on stderr what it found and what it could not read. Read-only mode (settling records
// outcomes) and a configuration without hosts leave them as they are.
func (a *app) settle(ctx context.Context, j *journal.Journal, ps []journal.Pending) settled {
	cfg, err := a.config()
	switch {
	case err != nil || len(cfg.Hosts) == 0:
		return settled{settling: "no Redis hosts configured"}
	case cfg.ReadOnly:
		return settled{settling: "read-only, from " + readOnlySource(cfg)}
	case !slices.ContainsFunc(ps, journal.Pending.Interrupted):
		return settled{settling: "done"}
	}
	st, err := a.openStore()
	if err != nil {
		tprintf(a.sys.Stderr, "relaycommander: interrupted changes not read back from Redis: %s\n", termsafe.Escape(err.Error()))
		return settled{err: err, settling: "Redis could not be opened"}
	}
	s, err := j.Settle(ctx, st)
	if err != nil {
		tprintf(a.sys.Stderr, "relaycommander: reading interrupted changes back from Redis: %s\n", termsafe.Escape(err.Error()))
	}
	for _, e := range s.Settled {
		tprintf(a.sys.Stderr, "relaycommander: %s\n", settledLine(e))
	}
	// Settle returns no pending list only when it could not read the journal.
	return settled{ran: err == nil || s.Pending != nil, pending: s.Pending, settled: s.Settled, err: err, settling: "done"}
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
		tprintf(a.sys.Stderr, "relaycommander: not checked whether Redis still holds the pending changes: %v\n", err)
		return nil, false
	}
	us, err := journal.Drift(ctx, st, ps)
	if err != nil {
		tprintf(a.sys.Stderr, "relaycommander: not checked whether Redis still holds the pending changes: %v\n", err)
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
		where[i] = tsprintf("%s (%s v%d)", h.Host, flags.OnOff(h.On), h.Version)
	}
	return "UNDONE on " + strings.Join(where, ", ") + ": Relay re-synced from LaunchDarkly; replay to make it stick"
}

// lastDetail is what the queue says after the last replay's kind.
func lastDetail(e *journal.ReplayEvent) string {
	switch {
	case e.Error != "":
		return " (" + e.Error + ")"
	case e.Kind == journal.ReplayConflict:
		return tsprintf(" (LaunchDarkly at v%d)", e.LDVersion)
	}
	return ""
}
