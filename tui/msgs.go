package tui

import (
	"time"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
)

// Every message of the UI. Messages that carry a sequence number are dropped when a newer
// request was made since.

// ---- timers ----

type refreshTickMsg struct{}
type ldTickMsg struct{}

// clockMsg redraws a running replay's countdown every second.
type clockMsg struct{}

// ---- data read in the background ----

// refreshMsg is one full refresh: hosts, prefixes, the selected prefix's flags and the
// journal's pending changes. Their drift follows in a driftMsg.
type refreshMsg struct {
	seq     int
	pendSeq int
	disc    flags.Discovery
	prefix  string
	set     flags.FlagSet
	setErr  error
	pending []journal.Pending
	pendErr error
	// reconciled are changes whose outcome was unknown, settled from Redis by this refresh.
	reconciled   []journal.Entry
	reconcileErr error
}

// flagsMsg is the flags of one prefix, loaded when the selection changed.
// driftMsg is the pending changes that Redis no longer holds (Relay re-synced them away).
type driftMsg struct {
	seq    int
	undone []journal.Undone
	err    error
}

type flagsMsg struct {
	seq    int
	prefix string
	set    flags.FlagSet
	err    error
}

type pendingMsg struct {
	seq     int
	pending []journal.Pending
	err     error
}

type ldCheckMsg struct {
	seq int
	at  time.Time
	err error
}

// ---- dialog results: what the operator decided; the root turns them into commands ----

// confirmedToggleMsg is a toggle the operator confirmed, as captured when the dialog opened.
type confirmedToggleMsg struct{ c confirmState }

// toggleCancelledMsg is a toggle confirmation closed without writing.
type toggleCancelledMsg struct{ flag string }

// discardConfirmedMsg is a discard the operator confirmed.
type discardConfirmedMsg struct {
	p       journal.Pending
	reason  string
	restore bool
}

// quitConfirmedMsg is the operator quitting while a replay runs.
type quitConfirmedMsg struct{}

// ---- writes and replays ----

// toggleDoneMsg is a recorded toggle's outcome (or a retry's).
type toggleDoneMsg struct {
	change  journal.Change
	result  flags.ToggleResult
	err     error
	retry   bool
	elapsed time.Duration
	// finished is when the write returned (wall clock), for the Relays' serving check
	finished time.Time
}

type discardDoneMsg struct {
	flag     string
	err      error
	restored *flags.ToggleResult
	left     []flags.HostResult // hosts a Relay rewrote since the change: not restored
}

type historyMsg struct {
	prefix, flag string
	entries      []journal.Entry
	events       []journal.ReplayEvent
	err          error
}

type planMsg struct {
	seq      int
	checkErr error
	plan     ldsync.Plan
	err      error
	at       time.Time
}

type progressMsg struct{ p ldsync.Progress }

type replayDoneMsg struct {
	counts ldsync.Counts
	err    error
}

type demoDoneMsg struct {
	what string
	err  error
}

// queueRetryMsg is T on a queue row: retry the failed hosts of its latest recorded change,
// shown with the outcomes the journal recorded for it.
type queueRetryMsg struct {
	change   journal.Change
	recorded flags.ToggleResult
}

// flagsReadMsg is one step of a prefix's flags read host by host (flags.FlagsProgressive):
// next brings the following step, until every host answered or gave up.
type flagsReadMsg struct {
	seq    int
	prefix string
	read   flags.FlagsRead
	next   <-chan flags.FlagsRead
}

// slowReadMsg is a moment after a read host by host began: a host still not answering is
// named in the status line.
type slowReadMsg struct{ seq int }

// statusTickMsg redraws the status line every statusTick: information expires and a
// problem's age grows even while nothing else happens.
type statusTickMsg struct{}
