package tui

import (
	"strings"
	"time"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
)

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
	if sc.arm.on && !s.running {
		lines = append(lines, sc.armedLines(w)...)
		lines = append(lines, "")
	}
	switch {
	case sc.arm.on && !s.running && s.plan == nil:
		// waiting for LaunchDarkly: the armed lines say so
	case s.planning && !s.checked:
		lines = append(lines, st.dim.Render("checking LaunchDarkly and reading the plan…"))
	case s.checkErr != nil:
		lines = append(lines, sc.checkErrLines(s.checkErr, w)...)
	case s.planErr != nil:
		lines = append(lines, st.ok.Render("LaunchDarkly reachable, token accepted"))
		lines = append(lines, st.errText.Render(safe("plan: "+s.planErr.Error())))
	case s.plan != nil:
		lines = append(lines, sc.syncSummary()...)
	}
	if s.plan != nil && s.checkErr == nil {
		if s.running || s.finished {
			lines = append(lines, sc.progressLines(w)...)
		}
		if s.asking && !s.running && !s.finished && !sc.arm.on {
			lines = append(lines, "", sc.askLine())
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

// checkErrLines say which failure the check met, in words, and the next step; LaunchDarkly's
// own error text only as a dim, escaped detail.
func (sc *syncScreen) checkErrLines(err error, w int) []string {
	st := sc.st
	tr := sc.ldTroubleOf(err)
	var lines []string
	for _, l := range wrapText(tr.what+"; last check "+fmtAgo(sc.now().Sub(sc.sync.plannedAt)), w-2) {
		lines = append(lines, st.bad.Render(l))
	}
	for _, step := range tr.next {
		lines = append(lines, wrapText(safe(step), w-2)...)
	}
	lines = append(lines, "")
	for _, l := range wrapText(safe("detail: "+err.Error()), w-2) {
		lines = append(lines, st.dim.Render(l))
	}
	return lines
}

// askLine is R's question: what enter sends, and the other ways out.
func (sc *syncScreen) askLine() string {
	n := sc.sync.plan.Tally().Process
	q := sprintf("Replay %d %s to LaunchDarkly now? enter replays", n, changesWord(n))
	if n == 0 {
		q = "Nothing can be replayed yet: see the plan"
	}
	if sc.canArm() {
		q += ", A arms instead"
	}
	return sc.st.bold.Render(q + ", esc back")
}

func (sc *syncScreen) syncSummary() []string {
	s := &sc.sync
	n := s.plan.Tally()
	head := "LaunchDarkly " + sc.st.ok.Render("reachable, token accepted") + ", checked " + s.plannedAt.In(sc.now().Location()).Format("15:04:05")
	if sc.cfg.ReadOnly {
		head += "   read-only: plan only"
	}
	counts := sprintf("plan: %d ready  %d in sync  %d conflict  %d unknown base  %d not replayable",
		n.Ready, n.InSync, n.Conflict, n.UnknownBase, n.NotReplayable)
	return append([]string{head, counts}, sc.settleLines(n)...)
}

// settleLines say what the plan's settling read back from Redis, what it could not read, and
// which changes wait because their outcome is unknown or the hosts disagree.
func (sc *syncScreen) settleLines(n ldsync.PlanTally) []string {
	st := sc.st
	p := sc.sync.plan
	w := sc.width - 4
	var out []string
	if len(p.Settled) > 0 {
		var parts []string
		for _, e := range p.Settled {
			parts = append(parts, e.Flag+" ("+settledHosts(e)+")")
		}
		out = append(out, wrapText(safe("read back from Redis first: "+countWords(len(p.Settled), "interrupted change", "interrupted changes")+": "+strings.Join(parts, ", ")), w)...)
	}
	if p.SettleErr != nil {
		for _, l := range wrapText(safe(p.SettleErr.Error()+"; those changes stay not replayable until Redis answers (p plans again)"), w) {
			out = append(out, st.errText.Render(l))
		}
	}
	if n.Unsettled > 0 {
		why := sprintf("%d of them: outcome unknown in Redis, or the Redis hosts disagree; never sent until settled", n.Unsettled)
		for _, l := range wrapText(why, w) {
			out = append(out, st.warn.Render(l))
		}
		interrupted := 0
		for _, it := range p.Items {
			if it.Pending.Interrupted() {
				interrupted++
			}
		}
		if sc.cfg.ReadOnly && interrupted > 0 {
			note := "read-only: " + countWords(interrupted, "interrupted change", "interrupted changes") + " not read back from Redis (a writable session settles them)"
			for _, l := range wrapText(note, w) {
				out = append(out, st.warn.Render(l))
			}
		}
	}
	return out
}

// settledHosts is a settled change's outcome per host, in words: "written on relay-a, relay-b".
func settledHosts(e journal.Entry) string {
	var order []string
	by := map[string][]string{}
	for _, o := range e.Outcomes {
		word := o.Outcome
		if word == string(flags.Unknown) {
			word = "still unknown"
		}
		if _, ok := by[word]; !ok {
			order = append(order, word)
		}
		by[word] = append(by[word], o.Host)
	}
	if !e.OutcomeKnown || len(order) == 0 {
		return "still unknown"
	}
	var parts []string
	for _, word := range order {
		parts = append(parts, word+" on "+strings.Join(by[word], ", "))
	}
	return strings.Join(parts, "; ")
}

// progressLines is the bar with the tally, then what is in flight or being waited for.
func (sc *syncScreen) progressLines(w int) []string {
	s := &sc.sync
	p := s.last
	doneN := 0
	for i := range s.results {
		if i < len(s.plan.Items) && s.plan.Items[i].Sends() {
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
	return []string{line, safe(now)}
}

func itemName(p journal.Pending) string {
	if p.Project != "" {
		return safe(p.Project + "/" + p.Environment + "/" + p.Flag)
	}
	return safe(p.Prefix + "/" + p.Flag)
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
	line := cur + cell(status, 15) + cell(flags.OnOff(it.Pending.Desired), 5) + itemName(it.Pending)
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
