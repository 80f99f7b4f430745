package tui

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
)

// reconcileAfter is how old an intent without outcome must be before a refresh settles it
// from Redis: younger, its writer (this process or another) may still be at work.
const reconcileAfter = time.Minute

// driftItem is a pending change whose Redis state no longer matches what was written:
// Relay re-synced from LaunchDarkly and undid it.
type driftItem struct {
	prefix string
	flag   string
	want   bool
	hosts  []string // hosts where it was written and now differs
}

func (m *Model) refreshTick() tea.Cmd {
	return tea.Tick(m.cfg.Refresh, func(time.Time) tea.Msg { return refreshTickMsg{} })
}

func (m *Model) ldTick() tea.Cmd {
	if m.ld == nil {
		return nil
	}
	return tea.Tick(ldCheckInterval, func(time.Time) tea.Msg { return ldTickMsg{} })
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
	reconcile := store != nil && jr != nil && !m.cfg.ReadOnly
	return func() tea.Msg {
		msg := refreshMsg{seq: seq, pendSeq: pseq, prefix: prefix}
		if store != nil {
			msg.disc = store.Discover(ctx)
			if prefix == "" {
				prefix = firstPrefix(msg.disc)
				msg.prefix = prefix
			}
			if prefix != "" {
				msg.set, msg.setErr = store.Flags(ctx, prefix)
			}
		}
		if jr != nil {
			msg.pending, msg.pendErr = jr.Pending()
			if reconcile && msg.pendErr == nil && slices.ContainsFunc(msg.pending, journal.Pending.Interrupted) {
				msg.reconciled, msg.reconcileErr = jr.Reconcile(ctx, store, reconcileAfter)
				if len(msg.reconciled) > 0 {
					msg.pending, msg.pendErr = jr.Pending()
				}
			}
			if store != nil && msg.pendErr == nil {
				msg.drift = findDrift(ctx, store, msg.pending)
			}
		}
		return msg
	}
}

func firstPrefix(d flags.Discovery) string {
	if len(d.Prefixes) == 0 {
		return ""
	}
	return d.Prefixes[0].Prefix
}

// findDrift compares each pending change with Redis: where a host took the write (or already
// had the state) and now holds the other state, something (Relay's re-sync) undid it.
func findDrift(ctx context.Context, store flagStore, pending []journal.Pending) []driftItem {
	var out []driftItem
	for _, p := range pending {
		written := writtenHosts(p)
		if len(written) == 0 {
			continue
		}
		f, err := store.Flag(ctx, p.Prefix, p.Flag)
		if err != nil {
			continue
		}
		var differ []string
		for _, h := range f.Hosts {
			if !written[h.Host] || !h.Present || h.Deleted || h.Unreadable != "" {
				continue
			}
			if h.On != p.Desired {
				differ = append(differ, h.Host)
			}
		}
		if len(differ) > 0 {
			out = append(out, driftItem{prefix: p.Prefix, flag: p.Flag, want: p.Desired, hosts: differ})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].flag < out[j].flag })
	return out
}

// writtenHosts are the hosts that hold the latest change's state according to its outcome.
func writtenHosts(p journal.Pending) map[string]bool {
	for i := len(p.Entries) - 1; i >= 0; i-- {
		e := p.Entries[i]
		if !e.OutcomeKnown {
			continue
		}
		hs := map[string]bool{}
		for _, o := range e.Outcomes {
			if o.Outcome == string(flags.Written) || o.Outcome == string(flags.Unchanged) {
				hs[o.Host] = true
			}
		}
		return hs
	}
	return nil
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

// handleData routes every message that is not a key press to whoever owns it.
func (m *Model) handleData(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case refreshTickMsg:
		var cmd tea.Cmd
		if !m.refreshing { // a slow refresh is not abandoned by the next tick
			cmd = m.refreshCmd()
		}
		return tea.Batch(cmd, m.refreshTick())
	case ldTickMsg:
		var cmd tea.Cmd
		if !m.ldPending {
			cmd = m.ldCheckCmd()
		}
		return tea.Batch(cmd, m.ldTick())
	case refreshMsg:
		if msg.seq != m.refreshSeq {
			return nil
		}
		m.refreshing = false
		m.lastRefresh = m.now()
		cmd := m.flagsScreen.applyRefresh(msg)
		if m.jr != nil && msg.pendSeq == m.pendSeq {
			m.applyPending(msg.pending, msg.pendErr)
			m.drift = msg.drift
		}
		if msg.reconcileErr != nil {
			m.log.Info("reconcile", "err", msg.reconcileErr)
		}
		if n := len(msg.reconciled); n > 0 {
			var names []string
			for _, e := range msg.reconciled {
				names = append(names, e.Flag)
			}
			m.setStatus(sprintf("outcome of %d interrupted change(s) read back from Redis: %s (see the queue)", n, strings.Join(names, ", ")), false)
		}
		return cmd
	case flagsMsg:
		m.flagsScreen.applyFlags(msg)
		return nil
	case pendingMsg:
		if msg.seq == m.pendSeq {
			m.applyPending(msg.pending, msg.err)
		}
		return nil
	case ldCheckMsg:
		if msg.seq != m.ldSeq {
			return nil
		}
		m.ldPending = false
		m.ldChecked, m.ldErr = msg.at, msg.err
		if msg.err != nil {
			m.log.Info("LaunchDarkly check failed", "err", msg.err)
		}
		return nil
	case confirmedToggleMsg:
		return m.resultsScreen.start(msg.c)
	case toggleCancelledMsg:
		m.setStatus("not changed: "+msg.flag, false)
		return nil
	case toggleDoneMsg:
		return m.resultsScreen.applyToggleDone(msg)
	case historyMsg:
		m.queueScreen.applyHistory(msg)
		return nil
	case discardConfirmedMsg:
		return m.discardCmd(msg)
	case discardDoneMsg:
		return m.applyDiscardDone(msg)
	case quitConfirmedMsg:
		m.syncScreen.cancelReplay()
		return tea.Quit
	case planMsg:
		return m.syncScreen.applyPlan(msg)
	case progressMsg:
		return m.syncScreen.applyProgress(msg)
	case replayDoneMsg:
		return m.syncScreen.applyReplayDone(msg)
	case clockMsg:
		if m.syncScreen.sync.running {
			return m.syncScreen.clockTick()
		}
		return nil
	case demoDoneMsg:
		if msg.err != nil {
			m.setStatus("demo: "+msg.what+": "+msg.err.Error(), true)
		} else {
			m.setStatus("demo: "+msg.what, false)
		}
		return tea.Batch(m.refreshCmd(), m.ldCheckCmd())
	}
	return nil
}

func (m *Model) applyPending(p []journal.Pending, err error) {
	m.pendErr = err
	if err != nil {
		m.setStatus("journal: "+err.Error(), true)
		return
	}
	m.pending = p
	m.pendingByKey = make(map[string]int, len(p))
	for i, pp := range p {
		m.pendingByKey[pp.Prefix+"\x00"+pp.Flag] = i
	}
	m.queueScreen.clampCursor()
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
