package relayapi

import (
	"context"
	"fmt"
	"time"
)

// Transition is a change of one environment's connection state seen between two statuses
// of a Relay.
type Transition struct {
	Relay Relay
	Env   Environment // as the newer status reports it
	From  ConnState
	To    ConnState
	// Resynced: the Relay has just (re)connected and rewritten the environment's store
	// prefix with LaunchDarkly's data, overwriting any edit made there. True for
	// INTERRUPTED or INITIALIZING -> VALID, and for VALID -> VALID with a newer stateSince
	// (an interruption shorter than the polling interval).
	Resynced bool
}

func (t Transition) String() string {
	s := fmt.Sprintf("%s: %s %s -> %s since %s", t.Relay.Name, t.Env.Name, t.From, t.To, t.Env.Conn.Since.Format(time.TimeOnly))
	if t.Resynced {
		s += " (re-synced " + t.Env.Store.Prefix + ")"
	}
	return s
}

// Watcher remembers the last status of each Relay and reports what changed. The zero value
// is ready; it is not safe for concurrent use.
type Watcher struct {
	last map[string]map[string]Connection // Relay URL -> environment name -> connection
}

// Observe takes a Relay's newest status and returns the transitions since the previous one
// (none for the first status of a Relay, or for an environment seen for the first time).
// A Relay that did not answer is simply not observed: its previous status stays.
func (w *Watcher) Observe(s Status) []Transition {
	if w.last == nil {
		w.last = map[string]map[string]Connection{}
	}
	prev, known := w.last[s.Relay.URL]
	now := map[string]Connection{}
	var out []Transition
	for _, e := range s.Environments {
		now[e.Name] = e.Conn
		p, ok := prev[e.Name]
		if !known || !ok {
			continue
		}
		switch {
		case p.State != e.Conn.State:
			out = append(out, Transition{Relay: s.Relay, Env: e, From: p.State, To: e.Conn.State,
				Resynced: e.Conn.State == Valid && (p.State == Interrupted || p.State == Initializing)})
		case e.Conn.State == Valid && e.Conn.Since.After(p.Since):
			out = append(out, Transition{Relay: s.Relay, Env: e, From: p.State, To: e.Conn.State, Resynced: true})
		}
	}
	w.last[s.Relay.URL] = now
	return out
}

// Watch asks every Relay for its status every interval until ctx ends, and calls fn after
// each round (from this goroutine) with every Relay's answer and the transitions since the
// previous round. A Relay that does not answer is not observed that round.
func Watch(ctx context.Context, relays []Relay, every time.Duration, fn func([]StatusResult, []Transition)) {
	var w Watcher
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		res := Statuses(ctx, relays)
		if ctx.Err() != nil {
			return
		}
		var trs []Transition
		for _, r := range res {
			if r.Err == nil {
				trs = append(trs, w.Observe(r.Status)...)
			}
		}
		fn(res, trs)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
