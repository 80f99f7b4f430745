package tui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"

	"relaycommander/journal"
	"relaycommander/ldsync"
)

// syncScreen is the sync screen: the plan against LaunchDarkly and a replay in progress.
type syncScreen struct {
	*common
	sync syncState
}

// syncState is the sync screen: the plan against LaunchDarkly and a replay in progress.
type syncState struct {
	seq       int
	planning  bool
	checked   bool
	checkErr  error
	plan      *ldsync.Plan
	planErr   error
	plannedAt time.Time
	cursor    int
	auto      bool // replay as soon as the plan is in (enter on a finished replay)
	asking    bool // R: the plan is shown with a question; enter replays

	running    bool
	cancelling bool
	cancel     context.CancelFunc
	ch         chan ldsync.Progress
	done       chan replayDoneMsg
	stopped    chan struct{} // closed when Apply has returned
	last       ldsync.Progress
	results    map[int]itemResult
	finished   bool
	counts     ldsync.Counts
	finalErr   error
	bar        progress.Model
}

// itemResult is what the replay did with one item: its latest event (kind), and what became
// of it before verification (outcome: applied, in sync, conflict or failed).
type itemResult struct {
	kind    string
	outcome string
	err     error
	taken   bool // Apply took it up (it Sent when the replay began): it counts on the bar
}

func (sc *syncScreen) enterSync(auto bool) tea.Cmd {
	sc.active = screenSync
	if sc.ld == nil || sc.sync.running || sc.arm.on {
		return nil // armed: the guard plans the moment LaunchDarkly answers
	}
	sc.sync.auto = auto && !sc.cfg.ReadOnly
	return sc.planCmd()
}

// enterConfirm is R: the sync screen with the plan, asking for enter before anything is sent.
func (sc *syncScreen) enterConfirm() tea.Cmd {
	cmd := sc.enterSync(false)
	sc.sync.asking = sc.ld != nil && !sc.sync.running && !sc.cfg.ReadOnly
	if sc.sync.asking && sc.sync.finished {
		sc.sync.finished = false // the old plan is spent: the new one is asked about
		sc.sync.results = nil
	}
	return cmd
}

// planCmd checks LaunchDarkly and the token, then classifies every pending change.
func (sc *syncScreen) planCmd() tea.Cmd {
	if sc.ld == nil || sc.rep == nil || sc.jr == nil {
		return nil
	}
	sc.sync.seq++
	sc.sync.planning = true
	seq, ld, rep, jr, ctx, now, readOnly := sc.sync.seq, sc.ld, sc.rep, sc.jr, sc.ctx, sc.now, sc.cfg.ReadOnly
	return func() tea.Msg {
		msg := planMsg{seq: seq}
		msg.checkErr = ld.Check(ctx)
		msg.at = now()
		if msg.checkErr != nil {
			return msg
		}
		if !readOnly {
			// Interrupted changes are read back from Redis (and recorded) first: a change no
			// host holds is never planned, one still unknown is planned not replayable.
			msg.plan, msg.err = rep.PlanAll(ctx)
			return msg
		}
		// Read-only records nothing, so nothing is settled: interrupted changes are planned
		// not replayable, and the screen says that a writable session settles them.
		pending, err := jr.Pending()
		if err != nil {
			msg.err = err
			return msg
		}
		msg.plan, msg.err = rep.Plan(ctx, pending)
		return msg
	}
}

func (sc *syncScreen) applyPlan(msg planMsg) tea.Cmd {
	s := &sc.sync
	if msg.seq != s.seq {
		return nil
	}
	s.planning = false
	s.checked = true
	s.checkErr = msg.checkErr
	s.plannedAt = msg.at
	sc.ldChecked, sc.ldErr = msg.at, msg.checkErr
	if msg.checkErr != nil {
		s.plan = nil
		s.auto = false
		return nil
	}
	s.planErr = msg.err
	if msg.err != nil {
		s.auto = false
		return nil
	}
	p := msg.plan
	if s.auto && s.plan != nil {
		keepDecisions(*s.plan, p) // enter after a replay: the conflicts decided since stay decided
	}
	s.plan = &p
	s.results = nil
	s.finished = false
	s.cursor = min(s.cursor, max(0, len(p.Items)-1))
	if s.auto {
		s.auto = false
		return sc.startReplay()
	}
	return nil
}

func (sc *syncScreen) startReplay() tea.Cmd {
	s := &sc.sync
	if sc.cfg.ReadOnly || s.running || s.plan == nil || sc.rep == nil {
		return nil
	}
	if sc.arm.on {
		sc.setStatus("armed: the replay goes the moment LaunchDarkly answers; A disarms first to replay from here", false)
		return nil
	}
	s.asking = false
	// Apply takes up every item that Sends: those it patches and the in-sync ones it closes.
	tally := s.plan.Tally()
	n := tally.Process
	switch {
	case n == 0 && tally.Undecided > 0:
		sc.setStatus("nothing to replay yet: decide "+theConflicts(tally.Undecided)+" with s or f", false)
		return nil
	case n == 0:
		sc.setStatus("nothing to replay: no pending change can be replayed from here", false)
		return nil
	}
	plan := ldsync.Plan{Items: append([]ldsync.Item(nil), s.plan.Items...)}
	ctx, cancel := context.WithCancel(sc.ctx)
	s.begin(cancel, n)
	sc.setStatus(sprintf("replaying %d %s to LaunchDarkly…", n, changesWord(n)), false)
	sc.log.Info("replay start", "items", n)
	rep, ch, done, stopped := sc.rep, s.ch, s.done, s.stopped
	start := func() tea.Msg {
		go func() {
			defer close(stopped)
			// Apply takes the journal's replay lock itself and closes the channel when done.
			counts, err := rep.Apply(ctx, plan, ch)
			done <- replayDoneMsg{counts: counts, err: err}
		}()
		return nextProgress(ch, done)()
	}
	return tea.Batch(start, sc.clockTick())
}

// begin puts the state into a replay of n items, fed by the replay's goroutine (started by
// startReplay's command) through ch and done; cancel stops it.
func (s *syncState) begin(cancel context.CancelFunc, n int) {
	s.running, s.cancelling, s.finished = true, false, false
	s.cancel = cancel
	s.ch = make(chan ldsync.Progress, 16)
	s.done = make(chan replayDoneMsg, 1)
	s.results = map[int]itemResult{}
	s.last = ldsync.Progress{Total: n, Index: -1}
	s.bar = newBar()
	s.stopped = make(chan struct{})
}

// nextProgress waits for the replay's next event; when the channel closes, for its end.
func nextProgress(ch <-chan ldsync.Progress, done <-chan replayDoneMsg) tea.Cmd {
	return func() tea.Msg {
		if p, ok := <-ch; ok {
			return progressMsg{p: p}
		}
		return <-done
	}
}

func (sc *syncScreen) clockTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

func (sc *syncScreen) applyProgress(msg progressMsg) tea.Cmd {
	s := &sc.sync
	if !s.running {
		return nil
	}
	sc.takeProgress(msg.p)
	return nextProgress(s.ch, s.done)
}

// takeProgress shows one event of a replay, started here or by the armed guard.
func (sc *syncScreen) takeProgress(p ldsync.Progress) {
	s := &sc.sync
	s.last = p
	s.counts = p.Counts
	if p.Done && s.plan != nil && p.Index < len(s.plan.Items) {
		r, seen := s.results[p.Index]
		if !seen {
			r.taken = s.plan.Items[p.Index].Sends()
		}
		r.kind, r.err = p.Result, p.Err
		switch journal.ReplayKind(p.Result) {
		case journal.ReplayVerified, journal.ReplayMismatch:
			// verification: what became of the item stays
		default:
			r.outcome = p.Result
		}
		if journal.ReplayKind(p.Result) == journal.ReplayConflict {
			// The conflict stands as the replay saw it, undecided: a force over another state
			// is no decision on this one.
			it := &s.plan.Items[p.Index]
			it.Status, it.Force, it.Skip, it.LD = ldsync.Conflict, false, false, p.Item.LD
			if p.Item.Reason != "" {
				it.Reason = p.Item.Reason
			}
		}
		s.results[p.Index] = r
		sc.log.Info("replay item", "index", p.Index, "flag", p.Item.Pending.Flag, "result", p.Result, "err", p.Err)
	}
}

func (sc *syncScreen) applyReplayDone(msg replayDoneMsg) tea.Cmd {
	s := &sc.sync
	if s.cancel != nil {
		s.cancel()
	}
	s.running = false
	s.finished = true
	s.counts = msg.counts
	s.finalErr = msg.err
	if msg.err == nil && s.plan != nil {
		// Apply returned: it finished every item it took up, even those whose event a busy
		// screen never saw (its progress drops events rather than wait for the screen).
		for i, it := range s.plan.Items {
			r, seen := s.results[i]
			switch {
			case !seen && it.Sends():
				s.results[i] = itemResult{outcome: "done", taken: true}
			case seen && r.taken && r.outcome == "":
				// only its verification was seen: its outcome's event was dropped
				r.outcome = "done"
				s.results[i] = r
			}
		}
	}
	c := msg.counts
	switch {
	case msg.err != nil && s.cancelling:
		sc.setStatus("replay cancelled after the change in flight; the rest stays pending", false)
	case errors.As(msg.err, new(*ldsync.APIError)):
		sc.setStatus("replay stopped: "+sc.ldTroubleOf(msg.err).what+"; the rest stays pending (see the sync screen)", true)
	case msg.err != nil:
		sc.setStatus("replay: "+msg.err.Error(), true)
	default:
		sc.setStatus(replayDoneText(c), c.Failed+c.Mismatched+c.Conflicts > 0)
	}
	sc.log.Info("replay done", "counts", c, "err", msg.err)
	return sc.refresh()
}

// replayDoneText is a finished replay in words: what it did (counts that are not zero),
// then what is left and the key that decides it.
func replayDoneText(c ldsync.Counts) string {
	parts := append([]string{sprintf("%d applied", c.Applied)}, nonZero(tally{c.InSync, "in sync"}, tally{c.Verified, "verified"},
		tally{c.Mismatched, "mismatched"}, tally{c.Failed, "failed"}, tally{c.Skipped, "skipped"})...)
	text := "replay done: " + strings.Join(parts, ", ")
	if c.Conflicts > 0 {
		text += "; " + countWords(c.Conflicts, "conflict", "conflicts") + " left: s skips, f forces"
	}
	return text
}

// waitReplay waits, up to limit, for a replay to stop, so that quitting never leaves the
// change in flight unrecorded.
func (sc *syncScreen) waitReplay(limit time.Duration) {
	if sc.sync.stopped == nil {
		return
	}
	select {
	case <-sc.sync.stopped:
	case <-time.After(limit):
		sc.log.Warn("replay still running after quit; its change in flight may be unrecorded")
	}
}

func (sc *syncScreen) cancelReplay() {
	if sc.sync.running && sc.sync.cancel != nil {
		sc.sync.cancelling = true
		sc.sync.cancel()
	}
}

// Keys are the screen's keys now; the short help leaves out moving and back.
func (sc *syncScreen) Keys() helpKeys {
	ks := sc.syncKeys()
	short := slices.DeleteFunc(slices.Clone(ks), func(b key.Binding) bool {
		d := b.Help().Desc
		return d == "up" || d == "down" || d == "back"
	})
	return helpKeys{short: short, full: [][]key.Binding{ks}}
}

func (sc *syncScreen) syncKeys() []key.Binding {
	k := sc.keys
	s := &sc.sync
	if sc.ld == nil {
		return enabled(k.Back)
	}
	if s.running && sc.arm.on {
		return append(enabled(k.CancelReplay), sc.armKey()...)
	}
	if s.running {
		return enabled(k.CancelReplay)
	}
	if sc.arm.on {
		return append(sc.armKey(), enabled(k.Up, k.Down, k.Back)...)
	}
	ks := enabled(k.Plan)
	if s.replayable() > 0 {
		ks = append(enabled(k.Replay), ks...) // offered only when enter would send or close something
	}
	if s.checkErr == nil || sc.ldTroubleOf(s.checkErr).down {
		ks = append(ks, sc.armKey()...) // arming waits out an outage, never a refused token
	}
	if it, ok := sc.syncSelected(); ok && s.openConflict(s.cursor) {
		// each key offered changes something: a decision already taken is not offered again
		if !it.Skip {
			ks = append(ks, enabled(k.Skip)...)
		}
		if !it.Force {
			ks = append(ks, enabled(k.Force)...)
		}
	}
	return append(ks, enabled(k.Up, k.Down, k.Back)...)
}

func (sc *syncScreen) syncSelected() (ldsync.Item, bool) {
	s := &sc.sync
	if s.plan == nil || s.cursor < 0 || s.cursor >= len(s.plan.Items) {
		return ldsync.Item{}, false
	}
	return s.plan.Items[s.cursor], true
}

// Update handles a key: decide conflicts, plan again, replay, or cancel a replay.
func (sc *syncScreen) Update(msg tea.KeyPressMsg) (tea.Cmd, dialog) {
	return sc.updateSync(msg), nil
}

func (sc *syncScreen) updateSync(msg tea.KeyPressMsg) tea.Cmd {
	k := sc.keys
	s := &sc.sync
	if s.running {
		if key.Matches(msg, k.CancelReplay) && !s.cancelling {
			sc.cancelReplay()
			sc.setStatus("cancelling after the change in flight…", false)
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Up):
		s.cursor = max(0, s.cursor-1)
	case key.Matches(msg, k.Down):
		if s.plan != nil {
			s.cursor = min(len(s.plan.Items)-1, s.cursor+1)
		}
	case key.Matches(msg, k.Plan) && !sc.arm.on:
		return sc.planCmd()
	case key.Matches(msg, k.Replay):
		if s.finished && s.replayable() == 0 {
			sc.setStatus("nothing left to replay from here; p plans again", false) // the results stay on screen
			return nil
		}
		if s.finished && !sc.cfg.ReadOnly {
			// the old plan is spent: plan again, then replay what is ready
			s.auto = true
			return sc.planCmd()
		}
		return sc.startReplay()
	case key.Matches(msg, k.Skip), key.Matches(msg, k.Force):
		if s.plan == nil || s.cursor >= len(s.plan.Items) {
			return nil
		}
		it := &s.plan.Items[s.cursor]
		if !s.openConflict(s.cursor) {
			sc.setStatus("only a conflict not yet replayed takes a decision", false)
			return nil
		}
		force := key.Matches(msg, k.Force)
		it.Force, it.Skip = force, !force
		if force {
			sc.setStatus(it.Pending.Flag+": will overwrite LaunchDarkly's newer change", false)
		} else {
			sc.setStatus(it.Pending.Flag+": left pending for later", false)
		}
	case key.Matches(msg, k.Back):
		s.asking = false
		sc.active = screenFlags
	}
	return nil
}

// keepDecisions copies the operator's force or skip of a conflict to the new plan's same
// conflict, when LaunchDarkly still holds the version the decision was made on.
func keepDecisions(old, fresh ldsync.Plan) {
	for i := range fresh.Items {
		n := &fresh.Items[i]
		if n.Status != ldsync.Conflict {
			continue
		}
		for _, o := range old.Items {
			if o.Status == ldsync.Conflict && (o.Force || o.Skip) && o.Pending.Prefix == n.Pending.Prefix &&
				o.Pending.Flag == n.Pending.Flag && o.LD.Version == n.LD.Version {
				n.Force, n.Skip = o.Force, o.Skip
			}
		}
	}
}

// replayable is how many items enter would send or close now: the plan's, or after a replay,
// those it did not finish (failed, not reached) and the conflicts decided since.
func (s *syncState) replayable() int {
	if s.plan == nil {
		return 0
	}
	if !s.finished {
		return s.plan.Tally().Process
	}
	n := 0
	for i, it := range s.plan.Items {
		r, ok := s.results[i]
		if it.Sends() && (!ok || r.outcome == string(journal.ReplayFailed) || r.outcome == string(journal.ReplayConflict)) {
			n++
		}
	}
	return n
}

// openConflict says the item is a conflict that still takes a decision: not replayed yet, or
// left by the replay.
func (s *syncState) openConflict(i int) bool {
	if s.plan == nil || i < 0 || i >= len(s.plan.Items) || s.plan.Items[i].Status != ldsync.Conflict {
		return false
	}
	r, ok := s.results[i]
	return !ok || r.outcome == string(journal.ReplayConflict)
}

func newBar() progress.Model {
	return progress.New(progress.WithFillCharacters('#', '.'), progress.WithoutPercentage())
}

// ldTrouble is a failed call of LaunchDarkly as the UI tells it: ldsync's words for what
// happened, and the UI's next steps.
type ldTrouble struct {
	what  string   // "LaunchDarkly does not answer (connection reset by peer at host:port)"
	short string   // the header's word: "unreachable", "failing", "token refused", "rate-limited"
	next  []string // one step a line
	down  bool     // not answering: waiting (arming) may mend it, unlike a refused token
}

// tokenRefused says LaunchDarkly refused the API token (401, 403): waiting does not mend it.
func tokenRefused(err error) bool { return ldsync.TroubleOf(err).TokenRefused() }

// ldTroubleOf is ldsync.TroubleOf (which judges by LaunchDarkly's status, never by the
// error's text) with the UI's next steps.
func (c *common) ldTroubleOf(err error) ldTrouble {
	waits := "The queue waits: every change is safe in " + c.journalDir() + "."
	if len(c.pending) == 0 {
		waits = "Nothing is pending, so nothing waits."
	}
	tr := ldsync.TroubleOf(err)
	out := ldTrouble{what: tr.What(), short: tr.Short(), down: tr.Outage(), next: []string{waits, "p checks again."}}
	switch {
	case tr.Kind == ldsync.TroubleUnknown:
		out.what, out.short = "LaunchDarkly did not pass the check", "check failed"
	case tr.Outage():
		out.next = []string{"It is still down or the network blocks it. " + waits, "p checks again."}
		if len(c.armKey()) > 0 {
			out.next[1] = "A arms the replay: Redis holds the changes against Relay re-syncs, and they go the moment LaunchDarkly answers. p checks again."
		}
	case tr.TokenRefused():
		out.next = []string{ldsync.TokenFix + ", then start relaycommander again.", waits}
	case tr.Kind == ldsync.TroubleRateLimited:
		when := "in a minute"
		if !tr.Resets.IsZero() {
			when = "after " + tr.Resets.In(c.now().Location()).Format("15:04:05") + ", when the limit resets"
		}
		out.next = []string{"p checks again " + when + ".", waits}
	}
	return out
}
