package relayapi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultLocalTTL is Relay's default localTtl.
const DefaultLocalTTL = 30 * time.Second

// Expect is a flag just written to Redis, and the state a Relay should come to serve.
type Expect struct {
	Prefix  string // store prefix of the environment
	Flag    string
	On      bool
	Version int // the version written; a higher one with the same on also counts as served
}

// ServeCheck asks the Relays until each serves the flags just written.
type ServeCheck struct {
	Relays  []Relay
	SDKKeys map[string]SDKKey // store prefix -> that environment's SDK key
	Flags   []Expect
	Written time.Time     // when the write finished: delays count from it (zero: when WaitServed starts)
	Every   time.Duration // poll interval per Relay; default 1s
	// LocalTTL is the Relays' localTtl (0: DefaultLocalTTL); Timeout defaults to twice it.
	LocalTTL time.Duration
	Timeout  time.Duration
}

// Served is one Relay's answer about one flag.
type Served struct {
	Relay  Relay
	Expect Expect
	Served bool          // it served the expected state
	After  time.Duration // served: since the write, at the first poll that saw it; else how long it was asked
	// Not served: the last answer, or the reason polling stopped early.
	LastOn      bool
	LastVersion int
	Err         error // the last request failed (unreachable, refused key, ...)
}

// String reads as a results line: "relay-a serves kill-switch-checkout OFF, 1.4 s after the write".
func (s Served) String() string {
	switch {
	case s.Served:
		return fmt.Sprintf("%s serves %s %s, %s after the write", s.Relay.Name, s.Expect.Flag, onOff(s.Expect.On), seconds(s.After))
	case errors.Is(s.Err, ErrSDKKeyRefused):
		return fmt.Sprintf("%s does not serve %s (SDK key refused)", s.Relay.Name, s.Expect.Prefix)
	case s.Err != nil:
		return fmt.Sprintf("%s: %s unknown after %s: %v", s.Relay.Name, s.Expect.Flag, seconds(s.After), s.Err)
	default:
		return fmt.Sprintf("%s still serves %s %s after %s", s.Relay.Name, s.Expect.Flag, onOff(s.LastOn), seconds(s.After))
	}
}

func onOff(on bool) string {
	if on {
		return "ON"
	}
	return "OFF"
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func (c ServeCheck) withDefaults() ServeCheck {
	if c.Every <= 0 {
		c.Every = time.Second
	}
	if c.LocalTTL == 0 {
		c.LocalTTL = DefaultLocalTTL
	}
	if c.Timeout <= 0 {
		ttl := c.LocalTTL
		if ttl < 0 { // cached forever: the Relay will not serve it until restarted; still look for a while
			ttl = DefaultLocalTTL
		}
		c.Timeout = max(2*ttl, 2*c.Every)
	}
	if c.Written.IsZero() {
		c.Written = time.Now()
	}
	return c
}

// WaitServed polls every Relay about every flag (each Relay once per Every, its flags
// concurrently) until each serves the expected state, refuses the SDK key, or Timeout
// passes since Written (the last poll falls on it). progress, when set, is called once per
// pair: as soon as it is served or refused, else when polling ends; calls are serialized.
// The result lists every pair, Relay-major in the order given. A flag whose prefix has no SDK key is reported at once with an error.
func WaitServed(ctx context.Context, c ServeCheck, progress func(Served)) []Served {
	c = c.withDefaults()
	deadline := c.Written.Add(c.Timeout)
	out := make([]Served, len(c.Relays)*len(c.Flags))
	var mu sync.Mutex // serializes progress
	report := func(s Served) {
		if progress != nil {
			mu.Lock()
			progress(s)
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for ri, r := range c.Relays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := out[ri*len(c.Flags) : (ri+1)*len(c.Flags)]
			pollRelay(ctx, c, r, deadline, res, report)
		}()
	}
	wg.Wait()
	return out
}

// pollRelay settles one Relay's flags.
func pollRelay(ctx context.Context, c ServeCheck, r Relay, deadline time.Time, res []Served, report func(Served)) {
	open := 0
	for i, e := range c.Flags {
		res[i] = Served{Relay: r, Expect: e}
		if _, ok := c.SDKKeys[e.Prefix]; !ok {
			res[i].Err = fmt.Errorf("no SDK key configured for the environment of prefix %s", e.Prefix)
			report(res[i])
			continue
		}
		open++
	}
	// A hung request must not hold up the next round for long: at most a poll interval
	// (but a second at least, so that a busy Relay still gets to answer).
	r.Timeout = min(r.timeout(), max(c.Every, time.Second))
	settled := make([]bool, len(res))
	for i := range res {
		settled[i] = res[i].Err != nil
	}
	defer func() { // what is still open is reported as it was last seen
		for i := range res {
			if !settled[i] {
				report(res[i])
			}
		}
	}()
	for open > 0 {
		var wg sync.WaitGroup
		for i := range res {
			if settled[i] {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := res[i].Expect
				on, version, err := r.ServedFlag(ctx, c.SDKKeys[e.Prefix], e.Flag)
				res[i].After = time.Since(c.Written)
				res[i].LastOn, res[i].LastVersion, res[i].Err = on, version, err
				res[i].Served = err == nil && on == e.On && version >= e.Version
			}()
		}
		wg.Wait()
		for i := range res {
			if !settled[i] && (res[i].Served || errors.Is(res[i].Err, ErrSDKKeyRefused)) {
				settled[i] = true
				open--
				report(res[i])
			}
		}
		now := time.Now()
		if open == 0 || !now.Before(deadline) {
			return
		}
		t := time.NewTimer(min(c.Every, deadline.Sub(now))) // the last poll falls on the deadline
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
