package relaycfg

import (
	"fmt"
	"time"
)

// GoSDKCacheTTL is how long a daemon-mode Go SDK caches what it read from Redis by default.
const GoSDKCacheTTL = 15 * time.Second

// RelaySees is when Relay serves an edit made in Redis, by its localTtl.
type RelaySees int

const (
	RelaySeesNow          RelaySees = iota // localTtl 0: no cache, Relay reads Redis on every request
	RelaySeesWithinTTL                     // localTtl > 0: once its cache of the flag expires
	RelaySeesAfterRestart                  // localTtl < 0: it caches forever
)

// Reach says when applications see an edit made in Redis: the one home of the note that both
// the write results screen and `update` show. Zero means zero: a localTtl of 0 is "now", not
// "unset"; a caller whose setting is unset passes DefaultLocalTTL (see Config.EffectiveLocalTTL).
type Reach struct {
	LocalTTL time.Duration
	Relay    RelaySees
	// When each audience sees the edit, worded to follow its name ("Relay: " + RelayWhen).
	RelayWhen     string // "now: localTtl 0, ..." / "within its localTtl (30s)" / "only after Relay restarts: ..."
	DaemonWhen    string // SDKs in daemon mode reading Redis directly
	StreamingWhen string // SDKs streaming from Relay (proxy mode)
}

// ReachOf is the reach of an edit for a Relay whose localTtl is localTTL.
func ReachOf(localTTL time.Duration) Reach {
	r := Reach{
		LocalTTL:      localTTL,
		Relay:         RelaySeesWithinTTL,
		RelayWhen:     fmt.Sprintf("within its localTtl (%s)", localTTL),
		DaemonWhen:    fmt.Sprintf("within their own cache TTL (Go SDK default %s)", GoSDKCacheTTL),
		StreamingWhen: "only after Relay restarts (Redis edits send no stream event)",
	}
	switch {
	case localTTL < 0:
		r.Relay, r.RelayWhen = RelaySeesAfterRestart, "only after Relay restarts: its localTtl is negative (cache forever)"
	case localTTL == 0:
		r.Relay, r.RelayWhen = RelaySeesNow, "now: localTtl 0, Relay reads Redis on every request"
	}
	return r
}

// Lines is the note as a labelled table, one audience a line, without a heading:
//
//	Relay:                        within its localTtl (30s)
//	SDKs in daemon mode on Redis: within their own cache TTL (Go SDK default 15s)
//	SDKs streaming from Relay:    only after Relay restarts (Redis edits send no stream event)
func (r Reach) Lines() []string {
	return []string{
		"Relay:                        " + r.RelayWhen,
		"SDKs in daemon mode on Redis: " + r.DaemonWhen,
		"SDKs streaming from Relay:    " + r.StreamingWhen,
	}
}

// Sentence is the note as one sentence, for a screen that wraps it.
func (r Reach) Sentence() string {
	relay := "Reaches Relay " + r.RelayWhen + "; "
	switch r.Relay {
	case RelaySeesAfterRestart:
		relay = "Relay caches forever (negative localTtl): it sees this only after a restart; "
	case RelaySeesNow:
		relay = "Reaches Relay now (localTtl 0: Relay reads Redis on every request); "
	}
	return relay + "SDKs streaming from Relay see it only after Relay restarts; daemon-mode SDKs within their cache TTL (Go SDK default " + GoSDKCacheTTL.String() + ")."
}

// EffectiveLocalTTL is the localTtl Relay runs with: the configured one, zero included, or
// Relay's default when the configuration does not set it.
func (c Config) EffectiveLocalTTL() time.Duration {
	if c.LocalTTLSet {
		return c.LocalTTL
	}
	return DefaultLocalTTL
}
