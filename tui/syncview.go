package tui

import (
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

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
		paras := []string{
			"No LaunchDarkly API token is configured, so nothing can be replayed from here.",
			"",
			"Every change is safe in " + sc.journalDir() + ".",
			"To replay: give relaycommander an API access token with the Writer role: " +
				"RC_LAUNCHDARKLY_API_TOKEN (or relayCommander's LD_API_KEY) in the environment, or " +
				"launchdarkly.api_token in the config file; then start it again and open this screen (3), " +
				"or run `relaycommander replay`.",
		}
		if n := len(sc.drift); n > 0 {
			back := "it"
			if n > 1 {
				back = "them"
			}
			paras = append(paras, "", sprintf("A Relay re-sync undid %d %s: to put %s back in Redis now, toggle the flag again on the flags screen (1).",
				n, changesWord(n), back))
		}
		var lines []string
		for _, p := range paras {
			if p == "" {
				lines = append(lines, "")
				continue
			}
			lines = append(lines, wrapText(p, w)...)
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
		var tail []string
		if s.finished {
			c := s.counts
			tail = append(tail, "", sprintf("verification: %d verified, %d mismatched in LaunchDarkly after the replay", c.Verified, c.Mismatched))
			if c.Applied > 0 {
				// Redis still holds the re-synced state until Relay hears of the change.
				next := "Relay writes LaunchDarkly's new state to Redis with its next update from LaunchDarkly."
				if sc.cfg.Demo != nil {
					next += " (demo: press X)"
				}
				tail = append(tail, wrapText(next, w-2)...)
			}
		}
		lines = append(lines, "")
		lines = append(lines, sc.planLines(w, h-2-len(lines)-len(tail))...)
		lines = append(lines, tail...)
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
		lines = append(lines, wrapText(step, w-2)...)
	}
	lines = append(lines, "")
	for _, l := range wrapText("detail: "+err.Error(), w-2) {
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
	head := sc.checkLine()
	if sc.cfg.ReadOnly {
		head += "   read-only: plan only"
	}
	counts := packCounts(sc.countsLine(n), sc.width-2)
	return append(append(wrapStyled(head, sc.width-2), counts...), sc.settleLines(n)...)
}

// packCounts wraps a counts line to w columns between its counts (two spaces apart), never
// inside one ("1 fo…" said nothing); the lines after the first are indented under the counts.
func packCounts(line string, w int) []string {
	parts := strings.Split(line, "  ")
	lead, indent := parts[0], ""
	if i := strings.Index(lead, ": "); i >= 0 {
		indent = strings.Repeat(" ", i+2)
	}
	var out []string
	cur := lead
	for _, p := range parts[1:] {
		if ansi.StringWidth(cur)+2+ansi.StringWidth(p) > w {
			out = append(out, cur)
			cur = indent + p
			continue
		}
		cur += "  " + p
	}
	return append(out, cur)
}

// lastCheck is when LaunchDarkly was last checked: the plan's check, or the header's newer one.
func (sc *syncScreen) lastCheck() time.Time {
	if sc.ldChecked.After(sc.sync.plannedAt) {
		return sc.ldChecked
	}
	return sc.sync.plannedAt
}

// checkLine says how LaunchDarkly answered its latest check, and its age as the header says
// it; the plan's own time when a check came after it, since the plan is what LaunchDarkly
// held then.
func (sc *syncScreen) checkLine() string {
	at := sc.lastCheck()
	ago := " (" + fmtAgo(sc.now().Sub(at)) + ")"
	planned := ""
	if at.Sub(sc.sync.plannedAt) >= time.Second {
		planned = ", plan of " + sc.sync.plannedAt.In(sc.now().Location()).Format("15:04:05")
	}
	if at.Equal(sc.ldChecked) && sc.ldErr != nil && planned != "" {
		return "LaunchDarkly " + sc.st.bad.Render(sc.ldTroubleOf(sc.ldErr).short) + ago + planned + ", when it answered"
	}
	return "LaunchDarkly " + sc.st.ok.Render("reachable, token accepted") + ago + planned
}

// isoUTC matches the times LaunchDarkly's answers are written in ("2026-12-01T15:40:46Z").
var isoUTC = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b`)

// localTimes writes the ISO UTC times in a plan's text as the rest of the screen writes
// times: local hh:mm:ss, with the date when it is not today's.
func (c *common) localTimes(s string) string {
	now := c.now()
	return isoUTC.ReplaceAllStringFunc(s, func(iso string) string {
		t, err := time.Parse(time.RFC3339, iso)
		if err != nil {
			return iso
		}
		t = t.In(now.Location())
		if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
			return t.Format("15:04:05")
		}
		return t.Format("2006-01-02 15:04:05")
	})
}

// countsLine counts the items as they stand: the plan with the decisions taken, and once a
// replay ran, what it did with each ("now: 2 applied  1 conflict  1 not replayable").
func (sc *syncScreen) countsLine(n ldsync.PlanTally) string {
	s := &sc.sync
	if len(s.results) == 0 && !s.running && !s.finished {
		// ready always (what R sends), the others when there are any
		parts := append([]string{sprintf("%d ready", n.Ready)}, nonZero(
			tally{n.InSync, "in sync"}, tally{n.Undecided, ""}, tally{n.UnknownBase, "unknown base"},
			tally{n.NotReplayable, "not replayable"}, tally{n.Forced, "forced"}, tally{n.Skipped, "skipped"})...)
		return "plan: " + strings.Join(parts, "  ")
	}
	c := sc.itemCounts()
	waiting := "to send"
	if s.finished {
		waiting = "not sent"
	}
	parts := nonZero(tally{c.applied, "applied"}, tally{c.inSync, "in sync"}, tally{c.verified, "verified"}, tally{c.finished, "done"},
		tally{c.mismatched, "mismatched"}, tally{c.failed, "failed"}, tally{c.toSend, waiting}, tally{c.forced, "forced"},
		tally{c.skipped, "skipped"}, tally{c.conflicts, ""}, tally{c.notReplayable, "not replayable"})
	return "now: " + strings.Join(parts, "  ")
}

// tally is one count of a line that lists only the counts that are not zero.
type tally struct {
	n    int
	word string // "" for conflicts, whose word agrees with the count
}

// nonZero are the tallies that are not zero, in words: "2 applied", "1 conflict".
func nonZero(ts ...tally) []string {
	var out []string
	for _, t := range ts {
		switch {
		case t.n == 0:
		case t.word == "":
			out = append(out, countWords(t.n, "conflict", "conflicts"))
		default:
			out = append(out, sprintf("%d %s", t.n, t.word))
		}
	}
	return out
}

// itemCounts is every item counted once, by what it is now.
type itemCounts struct {
	applied, inSync, verified, finished, mismatched, failed, toSend, forced, skipped, conflicts, notReplayable int
}

func (sc *syncScreen) itemCounts() itemCounts {
	s := &sc.sync
	var c itemCounts
	for i, it := range s.plan.Items {
		r, done := s.results[i]
		switch {
		case done && r.kind == string(journal.ReplayMismatch):
			c.mismatched++
		case done && r.outcome == string(journal.ReplayApplied):
			c.applied++
		case done && r.outcome == string(journal.ReplayInSync):
			c.inSync++
		case done && r.outcome == string(journal.ReplayFailed):
			c.failed++
		case done && r.outcome == "":
			c.verified++ // its first event was lost; verified all the same
		case done && r.outcome == "done":
			c.finished++ // finished by Apply, its events lost
		case it.Status == ldsync.Conflict && it.Force:
			c.forced++
		case it.Status == ldsync.Conflict && it.Skip:
			c.skipped++
		case it.Status == ldsync.Conflict:
			c.conflicts++
		case it.Status == ldsync.NotReplayable || !it.Sends():
			c.notReplayable++
		default:
			c.toSend++
		}
	}
	return c
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
		out = append(out, wrapText("read back from Redis first: "+countWords(len(p.Settled), "interrupted change", "interrupted changes")+": "+strings.Join(parts, ", "), w)...)
	}
	if p.SettleErr != nil {
		for _, l := range wrapText(p.SettleErr.Error()+"; those changes stay not replayable until Redis answers (p plans again)", w) {
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

// progressLines is the bar with the tally, then what is in flight or being waited for, or,
// once the replay ended, what is left and why.
func (sc *syncScreen) progressLines(w int) []string {
	s := &sc.sync
	p := s.last
	total := p.Total
	doneN := 0
	for _, r := range s.results {
		if r.taken && r.outcome != "" {
			doneN++
		}
	}
	doneN = min(doneN, total)
	frac := 1.0
	if total > 0 {
		frac = float64(doneN) / float64(total)
	}
	c := s.counts
	line := "[" + s.bar.ViewAs(frac) + "]" + sprintf(" %d/%d done   %d applied  %d in sync  %d failed", doneN, total, c.Applied, c.InSync, c.Failed)
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
		// one line, the protected mark in its colour: not wrapped (wrapping escapes styles)
		now = "sending " + itemName(p.Item.Pending)
		if p.Attempt > 1 {
			now += sprintf(" (attempt %d)", p.Attempt)
		}
		return []string{line, cell(now+sc.protectedMark(p.Item.Pending), w-2)}
	case s.running:
		now = "working…"
	case s.finished && s.finalErr != nil && s.cancelling:
		now = "cancelled: the rest stays pending. Left: " + sc.leftText()
	case s.finished && s.finalErr != nil:
		out := []string{line}
		if errors.As(s.finalErr, new(*ldsync.APIError)) {
			tr := sc.ldTroubleOf(s.finalErr)
			out = append(out, wrapText("stopped: "+tr.what+". "+tr.next[0], w-2)...)
			for _, l := range wrapText("detail: "+s.finalErr.Error(), w-2) {
				out = append(out, sc.st.dim.Render(l))
			}
		} else {
			out = append(out, wrapText("stopped: "+s.finalErr.Error(), w-2)...)
		}
		return append(out, wrapText("left: "+sc.leftText(), w-2)...)
	case s.finished:
		now = "done: " + sc.leftText()
	}
	return append([]string{line}, wrapText(now, w-2)...)
}

// leftText says what a finished replay left, why, and the key that goes on.
func (sc *syncScreen) leftText() string {
	c := sc.itemCounts()
	var left []string
	them := func(n int) string {
		if n == 1 {
			return "it"
		}
		return "them"
	}
	if c.conflicts > 0 {
		how := "s skip or f force"
		if sc.cfg.ReadOnly {
			how = "a writable session decides it"
		}
		left = append(left, countWords(c.conflicts, "conflict waits", "conflicts wait")+": "+how+" on its row")
	}
	if c.forced > 0 {
		left = append(left, sprintf("%d forced: enter sends %s", c.forced, them(c.forced)))
	}
	if c.failed > 0 {
		left = append(left, sprintf("%d failed (see the row): enter tries %s again", c.failed, them(c.failed)))
	}
	if c.toSend > 0 {
		left = append(left, sprintf("%d not sent: enter replays %s", c.toSend, them(c.toSend)))
	}
	if c.mismatched > 0 {
		left = append(left, sprintf("%d mismatched: LaunchDarkly does not show %s after the replay; p plans again", c.mismatched, them(c.mismatched)))
	}
	if c.skipped > 0 {
		left = append(left, sprintf("%d skipped: stays pending for a later replay", c.skipped))
	}
	if c.notReplayable > 0 {
		left = append(left, sprintf("%d not replayable from here (see the row)", c.notReplayable))
	}
	if len(left) == 0 {
		return "nothing left to replay"
	}
	return strings.Join(left, "; ")
}

// protectedMark is " PROTECTED" after a change of a protected environment; "" otherwise.
func (sc *syncScreen) protectedMark(p journal.Pending) string {
	if !sc.isProtected(p.Target()) {
		return ""
	}
	return " " + sc.st.protected.Render(protectedWord)
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
	shown := func(limit int) ([]string, int) {
		o, i := out, top
		for ; i < len(rows) && len(o)+len(rows[i]) <= limit; i++ {
			o = append(o, rows[i]...)
		}
		return o, i
	}
	lines, end := shown(h + 1)
	if end < len(rows) {
		// say that more items follow, so that none is missed on a small terminal
		lines, end = shown(h)
		lines = append(lines, st.dim.Render(sprintf("  ↓ %d more below (↓/j)", len(rows)-end)))
	}
	return lines
}

// planItemLines is one plan item: its status and flag, why (whole, wrapped at words), and
// under the selected conflict the keys that decide it.
func (sc *syncScreen) planItemLines(i, w int) []string {
	st := sc.st
	s := &sc.sync
	it := s.plan.Items[i]
	status := strings.ToUpper(string(it.Status))
	reason := sc.localTimes(it.Reason)
	detail := reason
	open := s.openConflict(i)
	if open {
		switch {
		case it.Force:
			status, detail = "FORCE", "will overwrite: "+detail
		case it.Skip:
			status, detail = "SKIP", "left pending: "+detail
		}
	}
	if r, ok := s.results[i]; ok && !(open && (it.Force || it.Skip)) {
		status = resultWord(r.kind)
		if r.kind == string(journal.ReplayVerified) && r.outcome == string(journal.ReplayInSync) {
			status = resultWord(r.outcome) // nothing was sent: LaunchDarkly had it already
		}
		switch {
		case r.err != nil:
			detail = r.err.Error()
		case r.outcome == string(journal.ReplayConflict):
			detail = reason + "; still pending"
		default:
			detail = ""
		}
	} else if s.running && s.last.Index == i && !s.last.Done {
		status = "SENDING"
	}
	selected := i == s.cursor && !s.running
	cur := "  "
	if selected {
		cur = "> "
	}
	name := itemName(it.Pending)
	mark := sc.protectedMark(it.Pending)
	head := cur + cell(status, 15) + cell(flags.OnOff(it.Pending.Desired), 5)
	if mark != "" && ansi.StringWidth(head+name+mark) > w {
		mark = " " + st.protected.Render(protectedShort)
	}
	if room := max(10, w-ansi.StringWidth(head+mark)); ansi.StringWidth(name) > room {
		name = cell(name, room)
	}
	line := head + name + mark
	if selected {
		line = st.cursor.Render(cell(line, w))
	}
	out := []string{line}
	const indent = 17
	if detail != "" {
		wrapped := wrapText(detail, max(w-indent, 10))
		if len(wrapped) > 6 { // an error can run long; the journal's history has it whole
			wrapped = append(wrapped[:5], "…")
		}
		for _, l := range wrapped {
			out = append(out, strings.Repeat(" ", indent)+st.dim.Render(l))
		}
	}
	if selected && open && !sc.cfg.ReadOnly {
		var hint string
		switch {
		case it.Force:
			hint = "s skips it instead: it stays pending"
		case it.Skip:
			hint = "f forces it instead: overwrites LaunchDarkly's change"
		default:
			hint = "s skip: stays pending   f force: overwrites LaunchDarkly"
		}
		for _, l := range wrapText(hint, max(w-indent, 10)) {
			out = append(out, strings.Repeat(" ", indent)+st.key.Render(l))
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
