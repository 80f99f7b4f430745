package journal

import (
	"context"
	"fmt"

	"relaycommander/flags"
)

// outcomesOf converts a store's per-host results into what the journal keeps.
func outcomesOf(r flags.ToggleResult) []HostOutcome {
	out := make([]HostOutcome, 0, len(r.Hosts))
	for _, h := range r.Hosts {
		o := HostOutcome{
			Host:       h.Host,
			Outcome:    string(h.Outcome),
			OldOn:      h.OldOn,
			OldVersion: h.OldVersion,
			NewVersion: h.NewVersion,
		}
		if h.Err != nil {
			o.Error = h.Err.Error()
		}
		out = append(out, o)
	}
	return out
}

// Toggle is the one write-ahead path for an operator's change: it records c's intent (Begin),
// writes Redis through store, then records the per-host outcomes (Complete); a host whose
// outcome is unknown (the reply to EXEC never came) is read back at once when store can read
// (FlagReader), and recorded as written if it holds the write. The caller fills
// Before and BaseVersion from the state it showed the operator. When c.ID is set and hosts are
// named, it is a retry of those hosts for an already recorded change: only outcomes are added.
func (j *Journal) Toggle(ctx context.Context, store Toggler, c Change, hosts ...string) (Change, flags.ToggleResult, error) {
	if c.ID != "" && len(hosts) > 0 {
		return j.retry(ctx, store, c.ID, hosts)
	}
	// Write-ahead: without a durable intent, Redis is not touched.
	c, err := j.Begin(c)
	if err != nil {
		return c, flags.ToggleResult{Prefix: c.Prefix, Flag: c.Flag, On: c.After}, fmt.Errorf("%s %s not changed: %w", c.Prefix, c.Flag, err)
	}
	res := store.Toggle(ctx, c.Prefix, c.Flag, c.After, hosts...)
	if err := j.Complete(c.ID, outcomesOf(res)); err != nil {
		return c, res, fmt.Errorf("%s %s was written but its outcome is not recorded (the change shows as outcome unknown): %w",
			c.Prefix, c.Flag, err)
	}
	j.readBackLanded(ctx, store, res)
	return c, res, nil
}

// readBackLanded reads the hosts whose outcome is unknown back at once, when the store can
// read, and records those that hold the write: a Relay full sync later would erase the proof.
// A host without the write stays unknown (the write may still be on its way) for Settle.
func (j *Journal) readBackLanded(ctx context.Context, store Toggler, res flags.ToggleResult) {
	fr, ok := store.(FlagReader)
	if !ok || len(res.UnknownHosts()) == 0 {
		return
	}
	_, _ = j.settle(ctx, fr, DefaultGrace, &flagKey{res.Prefix, res.Flag}) // what it cannot decide stays for Settle
}

// retry writes an already recorded change again on the named hosts and adds their outcomes.
func (j *Journal) retry(ctx context.Context, store Toggler, id string, hosts []string) (Change, flags.ToggleResult, error) {
	var c Change
	var found bool
	if err := j.read(func(s *state) {
		if e, ok := s.byID[id]; ok {
			c, found = e.Change, true
		}
	}); err != nil {
		return c, flags.ToggleResult{}, err
	}
	if !found {
		return c, flags.ToggleResult{}, fmt.Errorf("journal %s: no change %s to retry", j.dir, id)
	}
	res := store.Toggle(ctx, c.Prefix, c.Flag, c.After, hosts...)
	if err := j.Complete(c.ID, outcomesOf(res)); err != nil {
		return c, res, fmt.Errorf("%s %s was written again but the retry's outcome is not recorded: %w", c.Prefix, c.Flag, err)
	}
	j.readBackLanded(ctx, store, res)
	return c, res, nil
}
