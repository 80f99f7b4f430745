package tui

import (
	"context"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/relaycfg/relayapi"
)

// The UI's view of its collaborators: what it calls, nothing more. *flags.Store,
// *journal.Journal, *ldsync.Client and *ldsync.Replayer satisfy them.

type flagStore interface {
	HostNames() []string
	Discover(ctx context.Context) flags.Discovery
	Flags(ctx context.Context, prefix string) (flags.FlagSet, error)
	Flag(ctx context.Context, prefix, key string) (flags.Flag, error)
	journal.DiscardStore // Toggle, and RestoreAt for a discard's restore
	journal.FieldReader  // the pending flags only, for journal.Drift
}

type changeJournal interface {
	Toggle(ctx context.Context, store journal.Toggler, c journal.Change, hosts ...string) (journal.Change, flags.ToggleResult, error)
	Pending() ([]journal.Pending, error)
	History(prefix, flag string) ([]journal.Entry, []journal.ReplayEvent, error)
	RecordReplay(e journal.ReplayEvent) error
	Discard(ctx context.Context, store journal.DiscardStore, p journal.Pending, d journal.DiscardRequest) (journal.DiscardResult, error)
	// Supersede closes a flag's pending change after the operator set it in LaunchDarkly.
	Supersede(ctx context.Context, store journal.DiscardStore, prefix, flag string, shown journal.Pending, by string, on bool, version int) (journal.Superseded, error)
	// Settle reads interrupted changes back from Redis and records what it found (not in
	// read-only).
	Settle(ctx context.Context, store journal.FlagReader) (journal.Settlement, error)
	Dir() string
	Warnings() []string
}

// guardRunner holds the replay armed (ldsync.Guard.Run): it holds the pending changes in
// Redis and replays them the moment LaunchDarkly answers, reporting on events, which it closes.
type guardRunner interface {
	Run(ctx context.Context, events chan<- ldsync.GuardEvent) (ldsync.Counts, error)
}

type ldChecker interface {
	Check(ctx context.Context) error
}

type replayer interface {
	Plan(ctx context.Context, pending []journal.Pending) (ldsync.Plan, error)
	// PlanAll settles interrupted changes first (journal.Settle through the Replayer's
	// Store), then plans every pending change; read-only sessions use Plan instead.
	PlanAll(ctx context.Context) (ldsync.Plan, error)
	Apply(ctx context.Context, plan ldsync.Plan, progress chan<- ldsync.Progress) (ldsync.Counts, error)
}

// Backends are the UI's collaborators as the interfaces it calls; New takes them, so that
// tests hand in stand-ins. A nil field is a collaborator that is not configured.
type Backends struct {
	Store    flagStore
	Journal  changeJournal
	LD       ldChecker   // nil when no LaunchDarkly token is configured
	Replayer replayer    // nil without LD
	Relays   relayAsker  // nil when no Relays are configured
	LDWriter ldWriter    // nil without LD: the confirmation's "in LaunchDarkly" needs it
	Guard    guardRunner // nil without LD, a journal or a store, and in read-only: A does not exist
}

// backends are the configuration's concrete collaborators behind the UI's interfaces. A nil
// pointer stays a nil interface.
func (c Config) backends() Backends {
	var b Backends
	if c.Store != nil {
		b.Store = c.Store
	}
	if c.Journal != nil {
		b.Journal = c.Journal
	}
	if c.LD != nil {
		b.LD = c.LD
		var rec ldsync.Recorder
		if c.Journal != nil {
			rec = c.Journal
		}
		r := &ldsync.Replayer{Client: c.LD, Journal: rec, Operator: c.Operator}
		if c.Store != nil {
			r.Store = c.Store // PlanAll reads interrupted changes back from Redis
		}
		b.Replayer = r
		b.LDWriter = c.LD
		if c.Store != nil && c.Journal != nil && !c.ReadOnly {
			b.Guard = &ldsync.Guard{Client: c.LD, Journal: c.Journal, Store: c.Store, Operator: c.Operator}
		}
	}
	if len(c.Relays) > 0 {
		b.Relays = relayClient{}
	}
	return b
}

var (
	_ flagStore     = (*flags.Store)(nil)
	_ changeJournal = (*journal.Journal)(nil)
	_ ldChecker     = (*ldsync.Client)(nil)
	_ replayer      = (*ldsync.Replayer)(nil)
	_ ldWriter      = (*ldsync.Client)(nil)
	_ relayAsker    = relayClient{}
	_ guardRunner   = (*ldsync.Guard)(nil)
)

// relayAsker asks the Relays about themselves (relayapi); every Relay has its own time-out.
type relayAsker interface {
	Statuses(ctx context.Context, relays []relayapi.Relay) []relayapi.StatusResult
	WaitServed(ctx context.Context, c relayapi.ServeCheck, progress func(relayapi.Served)) []relayapi.Served
}

// ldWriter sets a flag in LaunchDarkly itself: the confirmation's "in LaunchDarkly" instead
// of the Redis edit.
type ldWriter interface {
	SetOn(ctx context.Context, project, flag, env string, on bool, comment string) (ldsync.FlagState, error)
}

// relayClient is relayapi's functions behind relayAsker.
type relayClient struct{}

func (relayClient) Statuses(ctx context.Context, relays []relayapi.Relay) []relayapi.StatusResult {
	return relayapi.Statuses(ctx, relays)
}

func (relayClient) WaitServed(ctx context.Context, c relayapi.ServeCheck, progress func(relayapi.Served)) []relayapi.Served {
	return relayapi.WaitServed(ctx, c, progress)
}
