package ldsync

import (
	"context"
	"errors"

	"relaycommander/journal"
)

func (r *Replayer) plan(ctx context.Context, pending []journal.Pending) (Plan, error) {
	return Plan{}, errors.New("ldsync: plan not implemented yet")
}

func (r *Replayer) apply(ctx context.Context, plan Plan, progress chan<- Progress) (Counts, error) {
	if progress != nil {
		close(progress)
	}
	return Counts{}, errors.New("ldsync: apply not implemented yet")
}
