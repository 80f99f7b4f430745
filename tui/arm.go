package tui

import (
	"context"
	"errors"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
)

// Arming: A on the queue and sync screens runs the guard (ldsync.Guard) in the background, as
// `relaycommander replay --wait` does: it holds the pending changes in Redis, writing back
// what a Relay re-sync undid, and replays them the moment LaunchDarkly answers. Its events
// come back as guardEventMsg, its end as armDoneMsg; the replay it runs shows on the sync
// screen like one started there. A again disarms (cancels the guard's context). Armed state
// lives only as long as this process.

// armState is the replay held armed, while the guard runs.
type armState struct {
	on        bool // the guard runs
	disarming bool
	replaying bool // LaunchDarkly answered: the guard's replay runs on the sync screen
	cancel    context.CancelFunc
	events    chan ldsync.GuardEvent
	done      chan armDoneMsg
	stopped   chan struct{} // closed when the guard has returned

	changes    int          // pending changes held, as the guard last said
	since      time.Time    // when A armed it
	lastCheck  ldsync.Check // the last reachability check
	reasserted int          // re-assertions so far
	conflicts  int          // undone at a higher version than the base, left alone
	notes      []string     // the latest re-assertions and conflicts, newest last, for the sync screen
}

// guardEventMsg is one event of the guard; armDoneMsg its end.
type guardEventMsg struct{ ev ldsync.GuardEvent }

type armDoneMsg struct {
	counts ldsync.Counts
	err    error
}

// canArm says A exists: a guard is configured (not in read-only, not without a token).
//
// Arming waits out an outage, never a refused token: while LaunchDarkly refuses the token,
// A is not offered (an armed replay that learns it stops by itself, and A still disarms).
func (c *common) canArm() bool {
	return c.guard != nil && !c.cfg.ReadOnly && c.keys.Arm.Enabled() && (c.arm.on || !tokenRefused(c.ldErr))
}

// whyNotArm says why A does nothing here, and where it does something.
func (m *Model) whyNotArm() string {
	switch {
	case m.ld == nil:
		return "A arms the replay, which needs a LaunchDarkly API token: set " + ldsync.TokenSetting + " and start relaycommander again"
	case tokenRefused(m.ldErr):
		return "A arms the replay, but LaunchDarkly refuses the API token: " + ldsync.TokenFix
	case !m.canArm():
		return "A arms the replay, which needs the journal and the Redis hosts as well as LaunchDarkly"
	case len(m.pending) == 0:
		return "nothing pending: nothing to arm"
	}
	return "A arms from the queue (2) or the sync screen (3), or wherever the banner offers it"
}

// toggleArm arms the replay, or disarms it when armed.
func (m *Model) toggleArm() tea.Cmd {
	a := &m.arm
	if a.on {
		if !a.disarming && a.cancel != nil {
			a.disarming = true
			a.cancel()
			if a.replaying {
				m.setStatus("disarming: the replay stops after the change in flight…", false)
			} else {
				m.setStatus("disarming: nothing was sent", false)
			}
		}
		return nil
	}
	if m.syncScreen.sync.running {
		m.setStatus("a replay is running: wait for it, or cancel it with esc, before arming", false)
		return nil
	}
	if len(m.pending) == 0 {
		m.setStatus("nothing pending: nothing to arm", false)
		return nil
	}
	ctx, cancel := context.WithCancel(m.ctx)
	*a = armState{on: true, cancel: cancel, changes: len(m.pending), since: m.now(),
		events: make(chan ldsync.GuardEvent, 16), done: make(chan armDoneMsg, 1), stopped: make(chan struct{})}
	s := &m.syncScreen.sync
	s.seq++ // a plan asked for before is stale: the guard plans when LaunchDarkly answers
	s.auto, s.asking, s.planning, s.plan, s.results, s.finished = false, false, false, nil, nil, false
	m.setStatus(sprintf("armed: holding %d %s; replays when LaunchDarkly answers (A disarms)", a.changes, changesWord(a.changes)), false)
	m.log.Info("armed", "changes", a.changes)
	g, events, done, stopped := m.guard, a.events, a.done, a.stopped
	start := func() tea.Msg {
		go func() {
			defer close(stopped)
			counts, err := g.Run(ctx, events) // Run closes events
			done <- armDoneMsg{counts: counts, err: err}
		}()
		return nextGuardEvent(events, done)()
	}
	return start
}

// nextGuardEvent waits for the guard's next event; when the channel closes, for its end.
func nextGuardEvent(ch <-chan ldsync.GuardEvent, done <-chan armDoneMsg) tea.Cmd {
	return func() tea.Msg {
		if ev, ok := <-ch; ok {
			return guardEventMsg{ev: ev}
		}
		return <-done
	}
}

// applyGuardEvent shows one event of the guard: on the status line, the header and the sync
// screen.
func (m *Model) applyGuardEvent(msg guardEventMsg) tea.Cmd {
	a := &m.arm
	if !a.on {
		return nil
	}
	ev := msg.ev
	if ev.Pending > 0 {
		a.changes = ev.Pending
	}
	s := &m.syncScreen.sync
	var cmd tea.Cmd
	switch ev.Kind {
	case ldsync.GuardChecked:
		a.lastCheck = ev.Check
		m.ldChecked, m.ldErr = ev.Check.Time, ev.Check.Err
		if ev.Check.Err == nil && !a.disarming {
			m.setStatus("LaunchDarkly answered: replaying the armed changes", false)
		}
	case ldsync.GuardReasserted:
		a.reasserted++
		note := sprintf("%s re-asserted %s %s on %s: a Relay re-sync had undone it",
			ev.Time.In(m.now().Location()).Format("15:04:05"), undoneName(ev.Undone), flags.OnOff(ev.Undone.Desired), strings.Join(ev.Hosts, ", "))
		a.note(note)
		m.setStatus(note, false)
		cmd = m.refreshCmd()
	case ldsync.GuardConflict:
		a.conflicts++
		note := sprintf("%s conflict: %s changed in LaunchDarkly (%s); not written back", ev.Time.In(m.now().Location()).Format("15:04:05"),
			undoneName(ev.Undone), undoneVersions(ev))
		a.note(note)
		m.setStatus(note+"; decide on the sync screen (3) once LaunchDarkly answers", true)
	case ldsync.GuardHoldFailed:
		m.setStatus("armed, holding failed (tried again): "+errText(ev.Err), true)
	case ldsync.GuardPlanned:
		// the guard's replay shows on the sync screen as one started there
		a.replaying = true
		p := *ev.Plan
		s.seq++ // a plan asked for before is stale now
		s.planning, s.checked, s.checkErr, s.planErr = false, true, nil, nil
		s.plan, s.plannedAt = &p, m.now()
		s.cursor = min(s.cursor, max(0, len(p.Items)-1))
		s.begin(a.cancel, p.Tally().Process)
		s.stopped = a.stopped
		n := p.Tally().Process
		m.setStatus(sprintf("LaunchDarkly answered: replaying %d armed %s…", n, changesWord(n)), false)
		m.log.Info("armed replay start", "items", p.Tally().Process)
		cmd = m.syncScreen.clockTick()
	case ldsync.GuardProgress:
		if s.running && ev.Progress != nil {
			m.syncScreen.takeProgress(*ev.Progress)
		}
	}
	return tea.Batch(cmd, nextGuardEvent(a.events, a.done))
}

// applyArmDone ends the armed state: the replay's result shows on the sync screen.
func (m *Model) applyArmDone(msg armDoneMsg) tea.Cmd {
	a := &m.arm
	replayed, disarmed := a.replaying, a.disarming
	if a.cancel != nil {
		a.cancel()
	}
	*a = armState{}
	m.log.Info("armed replay done", "replayed", replayed, "counts", msg.counts, "err", msg.err)
	if replayed {
		s := &m.syncScreen.sync
		s.cancelling = s.cancelling || disarmed
		return m.syncScreen.applyReplayDone(replayDoneMsg{counts: msg.counts, err: msg.err})
	}
	switch {
	case errors.Is(msg.err, context.Canceled) || disarmed:
		m.setStatus("disarmed: nothing was sent; the changes stay pending", false)
	case errors.Is(msg.err, ldsync.ErrNothingPending):
		m.setStatus("nothing pending any more: nothing to arm", false)
	case errors.As(msg.err, new(*ldsync.APIError)):
		tr := m.ldTroubleOf(msg.err)
		m.setStatus("armed replay stopped, nothing sent: "+tr.what+". "+tr.next[0], true)
	case msg.err != nil:
		m.setStatus("armed replay stopped, nothing sent: "+msg.err.Error(), true)
	}
	return m.refreshCmd()
}

func (a *armState) note(s string) {
	a.notes = append(a.notes, s)
	if len(a.notes) > 3 {
		a.notes = a.notes[len(a.notes)-3:]
	}
}

// undoneName names an undone change as the banner does: environment/flag, or prefix/flag
// when the prefix is unmapped (the same flag is often killed in staging and production).
func undoneName(u journal.Undone) string {
	if _, mapped := u.Target(); !mapped {
		return u.Prefix + "/" + u.Flag
	}
	return u.Environment + "/" + u.Flag
}

// undoneVersions is what the hosts hold against the change's base version, in words.
func undoneVersions(ev ldsync.GuardEvent) string {
	var parts []string
	for _, h := range ev.Undone.Hosts {
		parts = append(parts, sprintf("v%d on %s", h.Version, h.Host))
	}
	s := strings.Join(parts, ", ")
	if ev.Undone.BaseVersion != nil {
		s += sprintf(", base v%d", *ev.Undone.BaseVersion)
	}
	return s
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// countWords is n with the word that agrees with it: countWords(1, "conflict", "conflicts")
// is "1 conflict". Every count on the sync screen goes through it or changesWord: no "(s)".
func countWords(n int, one, many string) string {
	if n == 1 {
		return sprintf("%d %s", n, one)
	}
	return sprintf("%d %s", n, many)
}

// theConflicts is "the conflict" or "the 3 conflicts".
func theConflicts(n int) string {
	if n == 1 {
		return "the conflict"
	}
	return "the " + countWords(n, "conflict", "conflicts")
}

func changesWord(n int) string {
	if n == 1 {
		return "change"
	}
	return "changes"
}

// armedLines are the sync screen's account of the armed state while it waits.
func (sc *syncScreen) armedLines(w int) []string {
	a := &sc.arm
	st := sc.st
	lines := []string{st.readOnly.Render(sprintf(" ARMED: %d %s ", a.changes, changesWord(a.changes))) +
		" held in Redis since " + a.since.In(sc.now().Location()).Format("15:04:05"),
	}
	lines = append(lines, wrapText("sent to LaunchDarkly the moment it answers; what a Relay re-sync undoes is written back at once", w-2)...)
	check, detail := "waiting for LaunchDarkly: first check…", ""
	if err := a.lastCheck.Err; !a.lastCheck.Time.IsZero() && err != nil {
		why := err.Error()
		var ae *ldsync.APIError
		if errors.As(err, &ae) {
			why, detail = sc.ldTroubleOf(err).what, "detail: "+err.Error()
		}
		check = "waiting for LaunchDarkly: last check " + a.lastCheck.Time.In(sc.now().Location()).Format("15:04:05") + ": " + why
	}
	if a.disarming {
		check, detail = "disarming: nothing was sent", ""
	}
	lines = append(lines, wrapText(check, w-2)...)
	if detail != "" {
		for _, l := range wrapText(detail, w-2) {
			lines = append(lines, st.dim.Render(l))
		}
	}
	tally := "re-asserted " + countWords(a.reasserted, "time", "times") + " after a Relay re-sync; " + countWords(a.conflicts, "conflict", "conflicts") + " left alone"
	if a.reasserted+a.conflicts > len(a.notes) {
		tally += sprintf(" (the last %d below)", len(a.notes))
	}
	lines = append(lines, tally)
	for _, n := range a.notes {
		lines = append(lines, wrapIndented(n, w-2, 2, 11)...) // under the note's text, past its time
	}
	lines = append(lines, st.dim.Render("A disarms. Armed lasts only as long as this process: quitting disarms."))
	return lines
}

// waitArm waits, up to limit, for the guard to stop, so that quitting never leaves the change
// in flight unrecorded.
func (m *Model) waitArm(limit time.Duration) {
	if m.arm.stopped == nil {
		return
	}
	select {
	case <-m.arm.stopped:
	case <-time.After(limit):
		m.log.Warn("armed replay still running after quit; its change in flight may be unrecorded")
	}
}

func (m *Model) cancelArm() {
	if m.arm.on && m.arm.cancel != nil {
		m.arm.disarming = true
		m.arm.cancel()
	}
}
