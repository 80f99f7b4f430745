package ldsync

import (
	"context"
	"errors"
	"fmt"

	"relaycommander/journal"
)

// Settler is the journal as PlanAll needs it (*journal.Journal satisfies it).
type Settler interface {
	Settle(ctx context.Context, store journal.FlagReader) (journal.Settlement, error)
}

// PlanAll settles the journal's interrupted changes by reading Redis back through Store
// (journal.Settle), then plans every pending change: a change that no Redis host holds is
// never sent, and one whose outcome is still unknown is planned as not replayable. It needs
// Store, and a Journal that is a Settler.
func (r *Replayer) PlanAll(ctx context.Context) (Plan, error) {
	j, ok := r.Journal.(Settler)
	if !ok || r.Store == nil {
		return Plan{}, errors.New("ldsync: PlanAll needs the Replayer's Store (Redis) and a journal that can settle interrupted changes")
	}
	s, err := j.Settle(ctx, r.Store)
	if err != nil && s.Pending == nil {
		return Plan{}, fmt.Errorf("settling interrupted changes before the replay: %w", err)
	}
	// A flag that could not be read back stays unsettled: Plan marks it not replayable.
	plan, perr := r.Plan(ctx, s.Pending)
	plan.Settled = s.Settled
	if err != nil {
		plan.SettleErr = fmt.Errorf("reading interrupted changes back from Redis: %w", err)
	}
	return plan, perr
}
