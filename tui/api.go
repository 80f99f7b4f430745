// Package tui is Relay Commander's terminal UI (Bubble Tea v2).
//
// Config and Run are what main.go uses; New builds the model over the UI's collaborators
// (Backends), which is how the tests hand in stand-ins.
//
// Layout: model.go is the root model, which routes every message once (a key to the open
// dialog, then the global keys, then the active screen) and owns the shared context
// (context.go). Each screen is its own type under the screen contract (screen.go): flags.go
// and flagsview.go, results.go, queue.go, sync.go and syncview.go. The dialogs (confirm.go,
// discard.go, quit.go) own the keyboard while open and end with a result message (msgs.go)
// that the root turns into the write. frame.go draws the header, banner, status and keys
// around the screens; cmds.go has the background reads. relays.go asks the Relay Proxies
// about themselves: the Relays view, the serving check after a write, the re-sync trigger.
// arm.go arms the replay (A): ldsync.Guard in the background, for as long as the process runs.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/relaycfg/relayapi"
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

// Config is everything the UI needs, resolved by the command line (tui/cli): New fills in no
// defaults but the clock and the operator name.
type Config struct {
	Store     *flags.Store
	Journal   *journal.Journal
	LD        *ldsync.Client // nil when no LaunchDarkly token is configured
	Operator  string
	Protected []string // environment keys that need the flag key typed to confirm
	ReadOnly  bool     // no action that writes exists
	// ReadOnlyFrom says where read-only was set (--read-only, RC_UI_READ_ONLY, a file), for
	// the message a writing key gets.
	ReadOnlyFrom string
	Refresh      time.Duration // Redis refresh interval; 0: no periodic refresh (r still refreshes)
	AltScreen    bool          // use the alternate screen (default true in main)
	RelayTTL     time.Duration // Relay's localTtl, for the reach note; 0 is no cache (Relay reads Redis now)
	Demo         Demo
	LogPath      string           // where the UI logs; never the terminal
	Now          func() time.Time // clock; nil = time.Now (tests fix it)
	// Relays are the Relay Proxies to ask about themselves (relays.go); none: no Relays view.
	Relays []relayapi.Relay
	// SDKKeys are the environments' SDK keys by store prefix, for the serving check.
	SDKKeys map[string]relayapi.SDKKey
}

// frameRate caps how often Bubble Tea writes a frame. Its renderer writes only on a ticker of
// this rate (nothing flushes a frame at once), so a key press waits for the next tick: on
// average half of 1/frameRate. 120 is Bubble Tea's maximum (4 ms on average, at most 8.3 ms,
// instead of 17 and 33 at 30). It costs nothing while nothing changes: a tick with an
// unchanged view writes nothing, and on a slow link frames still carry only what changed.
const frameRate = 120

// Run runs the UI until the operator quits or ctx is cancelled.
func Run(ctx context.Context, cfg Config) error {
	logger, closeLog, err := openLog(cfg.LogPath)
	if err != nil {
		return err
	}
	defer closeLog()
	m := New(cfg, cfg.backends()).withLogger(logger).withContext(ctx)
	logger.Info("ui start", "hosts", m.hostNames, "readOnly", cfg.ReadOnly, "ld", m.ld != nil)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(frameRate))
	_, err = p.Run()
	m.syncScreen.cancelReplay()
	m.cancelArm()
	m.syncScreen.waitReplay(30 * time.Second)
	m.waitArm(30 * time.Second)
	m.waitWrites(10 * time.Second)
	if err != nil && ctx.Err() != nil && errors.Is(err, tea.ErrProgramKilled) {
		return nil // the caller cancelled: a normal end
	}
	if err != nil {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}

// openLog opens the UI's log file (appending); the terminal never gets log lines.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open UI log %s: %w", path, err)
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { _ = f.Close() }, nil
}
