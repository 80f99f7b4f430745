package ldsync

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MinPoll is the shortest time between two reachability checks: one cheap request a second
// sees LaunchDarkly back within about a second and costs its rate limits nothing to speak of.
const MinPoll = time.Second

// Checker is LaunchDarkly as a wait for it needs it (*Client satisfies it).
type Checker interface {
	Check(ctx context.Context) error
}

// Check is one reachability check: Err is nil when LaunchDarkly answered and took the token.
type Check struct {
	Time time.Time
	Err  error
}

// WaitReachable checks LaunchDarkly at once, then every poll (never more often than MinPoll;
// jittered up by up to a tenth, so that many waiting processes do not check in step) until it
// answers. each, when set, sees every check. A refused token (401, 403) ends the wait at once
// with an ErrAborted error: it will not get better by waiting. The context ends it too.
func WaitReachable(ctx context.Context, c Checker, poll time.Duration, each func(Check)) error {
	if poll < MinPoll {
		return fmt.Errorf("ldsync: poll interval %s is below the minimum %s", poll, MinPoll)
	}
	for {
		err := c.Check(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if each != nil {
			each(Check{Time: time.Now(), Err: err})
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrInvalidToken), errors.Is(err, ErrForbidden):
			return fmt.Errorf("%w: waiting for LaunchDarkly: %w", ErrAborted, err)
		}
		t := time.NewTimer(poll + jitter(poll/10))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
