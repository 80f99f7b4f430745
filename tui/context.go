package tui

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
)

type screenID int

const (
	screenFlags screenID = iota
	screenQueue
	screenSync
	screenResults
)

// common is what every screen and dialog shares (soft-serve's common.Common, gh-dash's
// ProgramContext): the terminal's size, styles, keys, clock, configuration (read-only among
// it), logger, collaborators, and the data several screens show. The root model owns it and
// hands the same pointer to each screen.
type common struct {
	cfg  Config
	now  func() time.Time
	log  *slog.Logger
	keys keyMap
	st   styles
	help help.Model
	ctx  context.Context

	store flagStore
	jr    changeJournal
	ld    ldChecker
	rep   replayer
	ra    relayAsker  // nil: no Relays configured
	ldw   ldWriter    // nil: no LaunchDarkly token
	guard guardRunner // nil: A does not exist (no token, journal or store; read-only)

	width, height int
	active        screenID // the screen on show; a screen may hand over to another

	status    string
	statusBad bool
	statusAt  time.Time // when it was set: information expires, a problem shows its age
	// statusWrite is the prefix and flag of the write the status reports ("" when it is about
	// none): a Relay re-sync that undoes that write clears it (clearUndoneWrite).
	statusWrite string
	// statusWriteDrift is the last drift check started when that status was set: only a
	// later one has read Redis after the write.
	statusWriteDrift int

	// Redis hosts, as the last refresh found them
	hostNames []string
	hosts     []flags.HostStatus

	// journal data
	pending      []journal.Pending
	pendingByKey map[string]int
	pendErr      error
	journalPath  string
	drift        []journal.Undone // pending changes that Redis no longer holds
	driftSeq     int              // the last drift check started (driftCmd)

	// LaunchDarkly reachability, as last checked
	ldChecked time.Time
	ldErr     error

	// refresh starts a refresh of everything the screens show (the root's)
	refresh func() tea.Cmd

	relays relaysState // what the Relays say about themselves (relays.go)

	arm armState // the replay held armed by the guard (arm.go), for as long as this process runs

	writes atomic.Int32 // Redis or journal writes running in commands; Run lets them finish
}

func (c *common) setStatus(s string, bad bool) {
	s = safe(s) // statuses quote flag keys and errors
	c.status, c.statusBad, c.statusAt, c.statusWrite = s, bad, c.now(), ""
	if bad {
		c.log.Warn(s)
	} else {
		c.log.Info(s)
	}
}

// setWriteStatus is setStatus for the outcome of a write to prefix's flag.
func (c *common) setWriteStatus(prefix, flag, s string, bad bool) {
	c.setStatus(s, bad)
	c.statusWrite, c.statusWriteDrift = prefix+"\x00"+flag, c.driftSeq
}

// statusInfoLife is how long a status that reports no problem stays on screen; a problem
// stays until something newer replaces it, with its age.
const statusInfoLife = 10 * time.Second

// shownStatus is the status line's text now: "" once information has expired; a problem
// older than statusInfoLife says how old it is.
func (c *common) shownStatus() string {
	if c.status == "" {
		return ""
	}
	age := c.now().Sub(c.statusAt)
	switch {
	case !c.statusBad && age >= statusInfoLife:
		return ""
	case c.statusBad && age >= statusInfoLife:
		return c.status + " (" + fmtAgo(age) + ")"
	}
	return c.status
}

// clearUndoneWrite drops the status of a write that a Relay re-sync has since undone: the
// banner says so, and the status must not still say the write holds.
func (c *common) clearUndoneWrite(driftSeq int) {
	if c.statusWrite == "" || driftSeq <= c.statusWriteDrift {
		return // no write status, or the drift check started before the write: it read Redis before it
	}
	for _, d := range c.drift {
		if d.Prefix+"\x00"+d.Flag == c.statusWrite {
			c.status, c.statusBad, c.statusWrite = "", false, ""
			return
		}
	}
}

// writing wraps a command that writes, so that quitting waits for it instead of leaving a
// change with an unknown outcome in the journal.
func (c *common) writing(cmd func() tea.Msg) tea.Cmd {
	return func() tea.Msg {
		c.writes.Add(1)
		defer c.writes.Add(-1)
		return cmd()
	}
}

// waitWrites waits, up to limit, for writes in flight.
func (c *common) waitWrites(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for c.writes.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := c.writes.Load(); n > 0 {
		c.log.Warn("quit with writes still running", "writes", n)
	}
}

// bodyHeight is the rows between the header (and banner) and the status and key lines.
func (c *common) bodyHeight() int {
	h := c.height - 2 - 2
	if c.bannerShown() {
		h--
	}
	if len(c.cfg.Relays) > 0 {
		h-- // the Relays line of the header
	}
	return h
}

// bannerShown says the recovery banner is drawn: a Relay re-sync undid pending changes, or
// LaunchDarkly answers while changes are pending and nothing is armed (before Relay's re-sync).
func (c *common) bannerShown() bool { return len(c.drift) > 0 || c.ldBack() }

// ldBack says LaunchDarkly answered the last check while changes are pending, none undone yet,
// and nothing is armed: Relay's re-sync will undo them when it reconnects.
func (c *common) ldBack() bool {
	return c.ldAnswered() && len(c.pending) > 0 && len(c.drift) == 0 && !c.arm.on
}

// ldAnswered says a LaunchDarkly token is configured and LaunchDarkly answered its last
// check: a Relay reconnects within seconds and its next update undoes a Redis edit.
func (c *common) ldAnswered() bool {
	return c.ld != nil && !c.ldChecked.IsZero() && c.ldErr == nil
}

// downNames are the hosts that did not answer the last refresh, for flags.Flag.Agreement.
func (c *common) downNames() []string {
	var d []string
	for _, h := range c.hosts {
		if !h.Up {
			d = append(d, h.Host)
		}
	}
	return d
}

func (c *common) downHosts() map[string]bool {
	d := map[string]bool{}
	for _, h := range c.hosts {
		if !h.Up {
			d[h.Host] = true
		}
	}
	return d
}

// pendingFor is the journal's pending change of a flag, if any.
func (c *common) pendingFor(prefix, flag string) (journal.Pending, bool) {
	i, ok := c.pendingByKey[prefix+"\x00"+flag]
	if !ok || i >= len(c.pending) {
		return journal.Pending{}, false
	}
	return c.pending[i], true
}

func (c *common) journalDir() string {
	if c.journalPath == "" {
		return "the journal"
	}
	return c.journalPath
}

// protectedWord marks a protected environment in words on every screen (with st.protected;
// never colour alone). protectedShort is its form where a column is narrow.
const (
	protectedWord  = "PROTECTED"
	protectedShort = "PROT"
)

// isProtected says a write to the prefix's environment needs the flag key typed
// (flags.Protection.NeedsTypedKey): every screen marks it, every write to Redis asks for it.
func (c *common) isProtected(t flags.Target, mapped bool) bool {
	return flags.Protection(c.cfg.Protected).NeedsTypedKey(t, mapped)
}
