package tui

import (
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
)

// refreshTick is the next periodic refresh; a Refresh of zero has none (r still refreshes).
func (m *Model) refreshTick() tea.Cmd {
	if m.cfg.Refresh <= 0 {
		return nil
	}
	return tea.Tick(m.cfg.Refresh, func(time.Time) tea.Msg { return refreshTickMsg{} })
}

// statusTick is the status line's clock (shownStatus): a second is as fine as its ages go.
func statusTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return statusTickMsg{} })
}

func (m *Model) ldTick() tea.Cmd {
	if m.ld == nil {
		return nil
	}
	return tea.Tick(ldBackCheckInterval, func(time.Time) tea.Msg { return ldTickMsg{} })
}

// ldCheckDue says the periodic LaunchDarkly check is due: every ldCheckInterval, and every
// ldBackCheckInterval while changes wait and nothing is armed (the guard checks every second
// itself), so that the banner sees LaunchDarkly back before Relay's re-sync undoes them.
func (m *Model) ldCheckDue() bool {
	every := ldCheckInterval
	if len(m.pending) > 0 && !m.arm.on {
		every = ldBackCheckInterval
	}
	return m.ldChecked.IsZero() || m.now().Sub(m.ldChecked) >= every-ldBackCheckInterval/4
}

// refreshCmd reads everything the screens show, in the background.
func (m *Model) refreshCmd() tea.Cmd {
	if m.store == nil && m.jr == nil {
		return nil
	}
	m.refreshSeq++
	m.pendSeq++
	m.refreshing = true
	seq, pseq, prefix, store, jr, ctx := m.refreshSeq, m.pendSeq, m.flagsScreen.selPrefix, m.store, m.jr, m.ctx
	settle := store != nil && jr != nil && !m.cfg.ReadOnly // read-only records nothing
	// A store read host by host reads the flags beside the discovery, not after it: a hung
	// host then holds up neither, and the others' flags show at once. On the first refresh
	// no prefix is chosen yet: the discovery's answer starts the read (applyRefresh).
	var flagsCmd tea.Cmd
	_, progressive := store.(progressiveStore)
	if progressive {
		flagsCmd = m.flagsScreen.refreshFlagsCmd()
	}
	discover := func() tea.Msg {
		msg := refreshMsg{seq: seq, pendSeq: pseq}
		if store != nil {
			msg.disc = store.Discover(ctx)
			if !progressive { // read whole, after the discovery
				if prefix == "" {
					prefix = firstPrefix(msg.disc)
				}
				if prefix != "" {
					msg.prefix = prefix
					msg.set, msg.setErr = store.Flags(ctx, prefix)
				}
			}
		}
		if jr != nil {
			msg.pending, msg.pendErr = jr.Pending()
			if settle && msg.pendErr == nil && slices.ContainsFunc(msg.pending, journal.Pending.Interrupted) {
				// journal.Settle waits for writers that may still run, and not for those gone.
				s, err := jr.Settle(ctx, store)
				msg.reconciled, msg.reconcileErr = s.Settled, err
				if err == nil || s.Pending != nil {
					msg.pending = s.Pending
				}
			}
		}
		return msg
	}
	if flagsCmd == nil {
		return discover
	}
	return tea.Batch(discover, flagsCmd)
}

func firstPrefix(d flags.Discovery) string {
	if len(d.Prefixes) == 0 {
		return ""
	}
	return d.Prefixes[0].Prefix
}

// driftCmd checks the pending changes against Redis in the background (journal.Drift reads
// only their flags, one round trip per host). It runs after a refresh has drawn the flags,
// never before: the first frame does not wait for it.
func (m *Model) driftCmd(pending []journal.Pending) tea.Cmd {
	m.driftSeq++
	if m.store == nil || len(pending) == 0 {
		m.drift = nil
		return nil
	}
	seq, store, ctx := m.driftSeq, m.store, m.ctx
	return func() tea.Msg {
		undone, err := journal.Drift(ctx, store, pending)
		return driftMsg{seq: seq, undone: undone, err: err}
	}
}

func (m *Model) pendingCmd() tea.Cmd {
	if m.jr == nil {
		return nil
	}
	m.pendSeq++
	jr, seq := m.jr, m.pendSeq
	return func() tea.Msg {
		p, err := jr.Pending()
		return pendingMsg{seq: seq, pending: p, err: err}
	}
}

func (m *Model) ldCheckCmd() tea.Cmd {
	if m.ld == nil {
		return nil
	}
	m.ldSeq++
	m.ldPending = true
	seq, ld, ctx, now := m.ldSeq, m.ld, m.ctx, m.now
	return func() tea.Msg {
		err := ld.Check(ctx)
		return ldCheckMsg{seq: seq, at: now(), err: err}
	}
}

func (m *Model) demoToggleLD() tea.Cmd {
	d := m.cfg.Demo
	return func() tea.Msg {
		up := !d.LaunchDarklyReachable()
		d.SetLaunchDarklyReachable(up)
		if up {
			return demoDoneMsg{what: "LaunchDarkly is back"}
		}
		return demoDoneMsg{what: "LaunchDarkly is unreachable"}
	}
}

func (m *Model) demoResyncCmd() tea.Cmd {
	d, ctx := m.cfg.Demo, m.ctx
	m.setStatus("demo: Relay re-syncing from LaunchDarkly…", false)
	return func() tea.Msg {
		return demoDoneMsg{what: "Relay re-synced Redis from LaunchDarkly", err: d.SimulateRelayResync(ctx)}
	}
}
