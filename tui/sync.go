package tui

import (
	"context"
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
	auto      bool // R: replay as soon as the plan is in

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

type itemResult struct {
	kind string
	err  error
}

func (sc *syncScreen) enterSync(auto bool) tea.Cmd {
	sc.active = screenSync
	if sc.ld == nil || sc.sync.running {
		return nil
	}
	sc.sync.auto = auto && !sc.cfg.ReadOnly
	return sc.planCmd()
}

// planCmd checks LaunchDarkly and the token, then classifies every pending change.
func (sc *syncScreen) planCmd() tea.Cmd {
	if sc.ld == nil || sc.rep == nil || sc.jr == nil {
		return nil
	}
	sc.sync.seq++
	sc.sync.planning = true
	seq, ld, rep, jr, ctx, now := sc.sync.seq, sc.ld, sc.rep, sc.jr, sc.ctx, sc.now
	return func() tea.Msg {
		msg := planMsg{seq: seq}
		msg.checkErr = ld.Check(ctx)
		msg.at = now()
		if msg.checkErr != nil {
			return msg
		}
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

func sendable(it ldsync.Item) bool {
	switch it.Status {
	case ldsync.Ready, ldsync.UnknownBase:
		return !it.Skip
	case ldsync.Conflict:
		return it.Force && !it.Skip
	}
	return false
}

func (sc *syncScreen) startReplay() tea.Cmd {
	s := &sc.sync
	if sc.cfg.ReadOnly || s.running || s.plan == nil || sc.rep == nil {
		return nil
	}
	n := 0
	for _, it := range s.plan.Items {
		if sendable(it) {
			n++
		}
	}
	if n == 0 {
		sc.setStatus("nothing to replay: no change is ready (decide conflicts with s or f)", false)
		return nil
	}
	plan := ldsync.Plan{Items: append([]ldsync.Item(nil), s.plan.Items...)}
	ctx, cancel := context.WithCancel(sc.ctx)
	s.begin(cancel, n)
	sc.setStatus(sprintf("replaying %d change(s) to LaunchDarkly…", n), false)
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
	p := msg.p
	s.last = p
	s.counts = p.Counts
	if p.Done {
		s.results[p.Index] = itemResult{kind: p.Result, err: p.Err}
		sc.log.Info("replay item", "index", p.Index, "flag", p.Item.Pending.Flag, "result", p.Result, "err", p.Err)
	}
	return nextProgress(s.ch, s.done)
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
	c := msg.counts
	switch {
	case msg.err != nil && s.cancelling:
		sc.setStatus("replay cancelled after the change in flight; the rest stays pending", false)
	case msg.err != nil:
		sc.setStatus("replay: "+msg.err.Error(), true)
	default:
		sc.setStatus(sprintf("replay done: %d applied, %d in sync, %d verified, %d mismatched, %d failed", c.Applied, c.InSync, c.Verified, c.Mismatched, c.Failed), c.Failed+c.Mismatched > 0)
	}
	sc.log.Info("replay done", "counts", c, "err", msg.err)
	return sc.refresh()
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
	if s.running {
		return enabled(k.CancelReplay)
	}
	ks := enabled(k.Replay, k.Plan)
	if it, ok := sc.syncSelected(); ok && it.Status == ldsync.Conflict {
		ks = append(ks, enabled(k.Skip, k.Force)...)
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
	case key.Matches(msg, k.Plan):
		return sc.planCmd()
	case key.Matches(msg, k.Replay):
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
		if it.Status != ldsync.Conflict {
			sc.setStatus("only a conflict takes a decision", false)
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
		sc.active = screenFlags
	}
	return nil
}

// View draws the plan against LaunchDarkly and a replay's progress; it only reads.
func (sc *syncScreen) View(width, h int) []string {
	st := sc.st
	s := &sc.sync
	w := sc.width - 2
	if sc.ld == nil {
		lines := []string{
			"No LaunchDarkly API token is configured, so nothing can be replayed from here.",
			"",
			"Every change is safe in " + sc.journalDir() + ".",
			"To replay: give relaycommander an API access token with the Writer role:",
			"RC_LAUNCHDARKLY_API_TOKEN (or relayCommander's LD_API_KEY) in the",
			"environment, or launchdarkly.api_token in the config file; then start it",
			"again and open this screen (3), or run `relaycommander replay`.",
		}
		return box("Sync to LaunchDarkly", lines, sc.width, h, true, st)
	}
	var lines []string
	switch {
	case s.planning && !s.checked:
		lines = append(lines, st.dim.Render("checking LaunchDarkly and reading the plan…"))
	case s.checkErr != nil:
		lines = append(lines, st.bad.Render("LaunchDarkly unreachable or token refused")+"  "+fmtAgo(sc.now().Sub(s.plannedAt)))
		lines = append(lines, wrapText(s.checkErr.Error(), w-2)...)
		lines = append(lines, "", "Changes stay in the journal. p checks again.")
	case s.planErr != nil:
		lines = append(lines, st.ok.Render("LaunchDarkly reachable, token accepted"))
		lines = append(lines, st.errText.Render("plan: "+s.planErr.Error()))
	case s.plan != nil:
		lines = append(lines, sc.syncSummary()...)
	}
	if s.plan != nil && s.checkErr == nil {
		if s.running || s.finished {
			lines = append(lines, sc.progressLines(w)...)
		}
		lines = append(lines, "")
		lines = append(lines, sc.planLines(w, h-2-len(lines)-2)...)
		if s.finished {
			c := s.counts
			lines = append(lines, "", sprintf("verification: %d verified, %d mismatched in LaunchDarkly after the replay", c.Verified, c.Mismatched))
			if c.Applied > 0 {
				// Redis still holds the re-synced state until Relay hears of the change.
				next := "Relay writes LaunchDarkly's new state to Redis with its next update from LaunchDarkly."
				if sc.cfg.Demo != nil {
					next += " (demo: press X)"
				}
				lines = append(lines, wrapText(next, w-2)...)
			}
		}
	}
	return box("Sync to LaunchDarkly", lines, sc.width, h, true, st)
}

func (sc *syncScreen) syncSummary() []string {
	s := &sc.sync
	n := map[ldsync.Status]int{}
	for _, it := range s.plan.Items {
		n[it.Status]++
	}
	head := "LaunchDarkly " + sc.st.ok.Render("reachable, token accepted") + ", checked " + s.plannedAt.In(sc.now().Location()).Format("15:04:05")
	if sc.cfg.ReadOnly {
		head += "   read-only: plan only"
	}
	counts := sprintf("plan: %d ready  %d in sync  %d conflict  %d unknown base  %d not replayable",
		n[ldsync.Ready], n[ldsync.InSync], n[ldsync.Conflict], n[ldsync.UnknownBase], n[ldsync.NotReplayable])
	return []string{head, counts}
}

// progressLines is the bar with the tally, then what is in flight or being waited for.
func (sc *syncScreen) progressLines(w int) []string {
	s := &sc.sync
	p := s.last
	doneN := 0
	for i := range s.results {
		if i < len(s.plan.Items) && sendable(s.plan.Items[i]) {
			doneN++
		}
	}
	total := max(p.Total, 1)
	c := s.counts
	line := "[" + s.bar.ViewAs(float64(doneN)/float64(total)) + "]" + sprintf(" %d/%d done   %d applied  %d in sync  %d failed", doneN, p.Total, c.Applied, c.InSync, c.Failed)
	var now string
	switch {
	case s.running && s.cancelling:
		now = "cancelling after the change in flight…"
	case s.running && !p.WaitingUntil.IsZero() && p.WaitingUntil.After(sc.now()):
		left := p.WaitingUntil.Sub(sc.now()).Round(time.Second)
		now = sprintf("waiting %s: %s", left, p.WaitReason)
		if !strings.Contains(p.WaitReason, "resets") {
			now += ", until " + p.WaitingUntil.In(sc.now().Location()).Format("15:04:05")
		}
		if p.Item.Pending.Flag != "" {
			now += ", then " + p.Item.Pending.Flag
		}
	case s.running && p.Index >= 0 && !p.Done:
		now = "sending " + itemName(p.Item.Pending)
		if p.Attempt > 1 {
			now += sprintf(" (attempt %d)", p.Attempt)
		}
	case s.running:
		now = "working…"
	case s.finished && s.finalErr != nil && s.cancelling:
		now = "cancelled: the rest stays pending"
	case s.finished && s.finalErr != nil:
		now = "stopped: " + s.finalErr.Error()
	case s.finished:
		now = sprintf("done: %d applied, %d already in sync, %d failed, %d conflict(s) left pending", c.Applied, c.InSync, c.Failed, c.Conflicts)
	}
	return []string{line, now}
}

func itemName(p journal.Pending) string {
	if p.Project != "" {
		return p.Project + "/" + p.Environment + "/" + p.Flag
	}
	return p.Prefix + "/" + p.Flag
}

func (sc *syncScreen) planLines(w, h int) []string {
	st := sc.st
	s := &sc.sync
	if len(s.plan.Items) == 0 {
		return []string{"Nothing pending: LaunchDarkly has every change."}
	}
	out := []string{st.dim.Render("  " + cell("STATUS", 15) + cell("WANT", 5) + "PROJECT/ENVIRONMENT/FLAG")}
	h = max(2, h-1)
	// items take one to three lines: start where the cursor's item still fits
	var rows [][]string
	for i := range s.plan.Items {
		rows = append(rows, sc.planItemLines(i, w))
	}
	top, used := s.cursor, 0
	for top >= 0 && top < len(rows) && used+len(rows[top]) <= h {
		used += len(rows[top])
		top--
	}
	top = max(0, top+1)
	for i := top; i < len(rows) && len(out)+len(rows[i]) <= h+1; i++ {
		out = append(out, rows[i]...)
	}
	return out
}

// planItemLines is one plan item: its status and flag, then why, wrapped to two lines.
func (sc *syncScreen) planItemLines(i, w int) []string {
	st := sc.st
	s := &sc.sync
	var out []string
	it := s.plan.Items[i]
	status := strings.ToUpper(string(it.Status))
	detail := it.Reason
	if it.Status == ldsync.Conflict {
		switch {
		case it.Force:
			status = "FORCE"
			detail = "will overwrite: " + detail
		case it.Skip:
			status = "SKIP"
			detail = "left pending: " + detail
		default:
			if !sc.cfg.ReadOnly {
				detail += "   s skip  f force"
			}
		}
	}
	if r, ok := s.results[i]; ok {
		status = resultWord(r.kind)
		switch {
		case r.err != nil:
			detail = r.err.Error()
		case r.kind == string(journal.ReplayConflict):
			detail = it.Reason + "; still pending"
		default:
			detail = ""
		}
	} else if s.running && s.last.Index == i && !s.last.Done {
		status = "SENDING"
	}
	cur := "  "
	if i == s.cursor && !s.running {
		cur = "> "
	}
	line := cur + cell(status, 15) + cell(onOff(it.Pending.Desired), 5) + itemName(it.Pending)
	if i == s.cursor && !s.running {
		line = st.cursor.Render(cell(line, w))
	}
	out = append(out, line)
	if detail != "" {
		wrapped := wrapText(detail, max(w-17, 10))
		if len(wrapped) > 2 {
			wrapped = wrapped[:2]
			wrapped[1] = cell(wrapped[1]+" …", max(w-17, 10))
		}
		for _, l := range wrapped {
			out = append(out, strings.Repeat(" ", 17)+st.dim.Render(l))
		}
	}
	return out
}

func resultWord(kind string) string {
	switch journal.ReplayKind(kind) {
	case journal.ReplayApplied:
		return "APPLIED"
	case journal.ReplayVerified:
		return "VERIFIED"
	case journal.ReplayInSync:
		return "IN SYNC"
	case journal.ReplayConflict:
		return "CONFLICT"
	case journal.ReplayMismatch:
		return "MISMATCH"
	case journal.ReplayFailed:
		return "FAILED"
	case "":
		return "DONE"
	}
	return strings.ToUpper(kind)
}

func newBar() progress.Model {
	return progress.New(progress.WithFillCharacters('#', '.'), progress.WithoutPercentage())
}
