// Package tui is Relay Commander's terminal UI (Bubble Tea v2).
//
// CONTRACT FILE: Config and Run are what main.go builds against. Bodies marked
// "unimplemented" are replaced by the terminal UI issue.
package tui

import (
	"context"
	"time"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
)

// Demo lets the demo's screens play the outage: bring the embedded LaunchDarkly back and make
// the Relay re-sync from it. nil outside `relaycommander demo`.
type Demo interface {
	LaunchDarklyReachable() bool
	SetLaunchDarklyReachable(up bool)
	// SimulateRelayResync does what Relay does when it reconnects: overwrite every Redis host
	// with LaunchDarkly's state, undoing the manual edits.
	SimulateRelayResync(ctx context.Context) error
}

// Config is everything the UI needs, built by main.go.
type Config struct {
	Store     *flags.Store
	Journal   *journal.Journal
	LD        *ldsync.Client // nil when no LaunchDarkly token is configured
	Operator  string
	Protected []string      // environment keys that need the flag key typed to confirm; default ["production"]
	ReadOnly  bool          // no action that writes exists
	Refresh   time.Duration // Redis refresh interval; default 5s
	AltScreen bool          // use the alternate screen (default true in main)
	RelayTTL  time.Duration // Relay's localTtl, for the "reaches Relay within" message; default 30s
	Demo      Demo
	LogPath   string           // where the UI logs; never the terminal
	Now       func() time.Time // clock; nil = time.Now (tests fix it)
}

// Run runs the UI until the operator quits or ctx is cancelled.
func Run(ctx context.Context, cfg Config) error { panic("unimplemented") }
