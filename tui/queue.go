package tui

import (
	"slices"

	"charm.land/bubbles/v2/viewport"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
)

// queueScreen lists the journal's pending changes, coalesced per flag, and a flag's history.
type queueScreen struct {
	*common
	cursor  int
	history *historyState // open while a flag's history is shown
}

// Keys are the screen's keys: the list's, or the history's.
func (q *queueScreen) Keys() helpKeys {
	k := q.keys
	var acts []key.Binding
	if len(q.pending) > 0 { // an empty queue has nothing to open or discard
		acts = enabled(k.History, k.Discard)
	}
	ks := append(slices.Clone(acts), q.armKey()...)
	ks = append(ks, enabled(k.Up, k.Down, k.Top, k.Bottom, k.Back)...)
	short := append(slices.Clone(acts), q.armKey()...)
	if q.history != nil {
		ks = enabled(k.Up, k.Down, k.Back)
		short = enabled(k.Back)
	}
	return helpKeys{short: short, full: [][]key.Binding{ks}}
}

// clampCursor keeps the cursor on the list after it changed.
func (q *queueScreen) clampCursor() {
	if q.cursor >= len(q.pending) {
		q.cursor = max(0, len(q.pending)-1)
	}
}

// historyState is every recorded change and replay event of one flag.
type historyState struct {
	prefix, flag string
	entries      []journal.Entry
	events       []journal.ReplayEvent
	err          error
	loaded       bool
	view         viewport.Model // the history's scroll
}

// Update handles a key: the list, or the history of the selected flag.
func (q *queueScreen) Update(msg tea.KeyPressMsg) (tea.Cmd, dialog) {
	k := q.keys
	if h := q.history; h != nil {
		switch {
		case key.Matches(msg, k.Back):
			q.history = nil
		case key.Matches(msg, k.Up):
			h.view.ScrollUp(1)
		case key.Matches(msg, k.Down):
			h.view.ScrollDown(1)
		}
		return nil, nil
	}
	switch {
	case key.Matches(msg, k.Up):
		q.cursor = max(0, q.cursor-1)
	case key.Matches(msg, k.Down):
		q.cursor = min(len(q.pending)-1, q.cursor+1)
	case key.Matches(msg, k.Top):
		q.cursor = 0
	case key.Matches(msg, k.Bottom):
		q.cursor = len(q.pending) - 1
	case key.Matches(msg, k.History):
		if p, ok := q.queueSelected(); ok {
			return q.historyCmd(p.Prefix, p.Flag), nil
		}
	case key.Matches(msg, k.Discard):
		if p, ok := q.queueSelected(); ok && !q.cfg.ReadOnly {
			return nil, newDiscardDialog(q.common, p)
		}
	case key.Matches(msg, k.Back):
		q.active = screenFlags
	}
	q.cursor = max(0, q.cursor)
	return nil, nil
}

func (q *queueScreen) queueSelected() (journal.Pending, bool) {
	if q.cursor < 0 || q.cursor >= len(q.pending) {
		return journal.Pending{}, false
	}
	return q.pending[q.cursor], true
}

func (q *queueScreen) historyCmd(prefix, flag string) tea.Cmd {
	q.history = &historyState{prefix: prefix, flag: flag, view: viewport.New()}
	if q.jr == nil {
		return nil
	}
	jr := q.jr
	return func() tea.Msg {
		e, ev, err := jr.History(prefix, flag)
		return historyMsg{prefix: prefix, flag: flag, entries: e, events: ev, err: err}
	}
}

func (q *queueScreen) applyHistory(msg historyMsg) {
	h := q.history
	if h == nil || h.prefix != msg.prefix || h.flag != msg.flag {
		return
	}
	h.entries, h.events, h.err, h.loaded = msg.entries, msg.events, msg.err, true
}

// View draws the pending changes and the selected one's entries, or a flag's history.
func (q *queueScreen) View(width, h int) []string {
	st := q.st
	if q.jr == nil {
		return box("Queue", []string{"no journal configured"}, q.width, h, true, st)
	}
	if hs := q.history; hs != nil {
		return q.historyView(h, hs)
	}
	w := q.width - 2
	var lines []string
	if q.pendErr != nil {
		lines = append(lines, st.errText.Render(safe("journal: "+q.pendErr.Error())))
	}
	if len(q.pending) == 0 {
		lines = append(lines, "Nothing waits to be replayed: every change in the journal reached LaunchDarkly or was discarded.")
		return box("Queue: pending changes", lines, q.width, h, true, st)
	}
	keyW := 12
	for _, p := range q.pending {
		keyW = max(keyW, len(safe(p.Flag)))
	}
	keyW = min(keyW, 32)
	const changeW, baseW, countW, hostsW = 11, 8, 6, 16
	whereW := max(8, w-2-keyW-1-changeW-baseW-countW-hostsW-1)
	row := func(cur, flag, where, change, base, count, hosts string) string {
		return cur + cell(flag, keyW) + " " + cell(where, whereW) + " " + cell(change, changeW) + cell(base, baseW) + cell(count, countW) + cell(hosts, hostsW)
	}
	lines = append(lines, st.dim.Render(row("  ", "FLAG", "WHERE", "CHANGE", "BASE", "COUNT", "HOSTS")))
	listH := max(3, (h-2)/2)
	top := max(0, q.cursor-listH+2)
	for i := top; i < len(q.pending) && i < top+listH-1; i++ {
		p := q.pending[i]
		cur := "  "
		if i == q.cursor {
			cur = "> "
		}
		base := "unknown"
		if p.BaseVersion != nil {
			base = sprintf("v%d", *p.BaseVersion)
		}
		change := flags.OnOff(p.BaseOn) + " -> " + flags.OnOff(p.Desired)
		if p.NoNetEffect() {
			change = flags.OnOff(p.Desired) + " (none)"
		}
		whereS := p.Prefix
		if p.Project != "" {
			whereS = p.Project + "/" + p.Environment
		}
		line := row(cur, safe(p.Flag), safe(whereS), change, base, sprintf("%dx", len(p.Entries)), hostsOutcome(p))
		if i == q.cursor {
			line = st.cursor.Render(cell(line, w))
		}
		lines = append(lines, line)
	}
	if p, ok := q.queueSelected(); ok {
		lines = append(lines, "", st.bold.Render(safe(p.Flag))+" "+where(p.Project, p.Environment, p.Prefix)+"  prefix "+safe(p.Prefix))
		lines = append(lines, disagreementLines(p, q.cfg.ReadOnly, w)...)
		for _, e := range p.Entries {
			lines = append(lines, q.entryLines(e, w)...)
		}
		if p.Last != nil {
			lines = append(lines, "  last replay: "+q.replayLine(*p.Last))
		}
	}
	return box(sprintf("Queue: %d pending change(s), coalesced per flag", len(q.pending)), lines, q.width, h, true, st)
}

// hostsOutcome summarises the latest change's per-host outcome; an unknown outcome is never
// counted as failed, and hosts that disagree say so.
func hostsOutcome(p journal.Pending) string {
	if len(p.Entries) == 0 {
		return ""
	}
	if p.Disagreement != "" {
		return "hosts disagree"
	}
	e := p.Entries[len(p.Entries)-1]
	if !e.OutcomeKnown {
		return "outcome unknown"
	}
	ok, failed, unknown := 0, 0, 0
	for _, o := range e.Outcomes {
		switch o.Outcome {
		case string(flags.Failed):
			failed++
		case string(flags.Unknown):
			unknown++
		default:
			ok++
		}
	}
	switch {
	case unknown > 0:
		return sprintf("%d/%d, %d unknown", ok, len(e.Outcomes), unknown)
	case p.Interrupted():
		return "outcome unknown" // an earlier change's: the net state waits for it
	case failed > 0:
		return sprintf("%d/%d, %d FAILED", ok, len(e.Outcomes), failed)
	}
	return sprintf("%d/%d written", ok, len(e.Outcomes))
}

// entryLines writes one recorded change: when, who, what, why, then its host outcomes, and
// for an outcome not known yet what it waits for.
func (q *queueScreen) entryLines(e journal.Entry, w int) []string {
	s := sprintf("%s %s %s -> %s by %s", e.Time.In(q.now().Location()).Format("15:04:05"), fmtAgoShort(q.now().Sub(e.Time)), flags.OnOff(e.Before), flags.OnOff(e.After), e.Operator)
	if e.BaseVersion != nil {
		s += sprintf(" (base v%d)", *e.BaseVersion)
	}
	if e.Reason != "" {
		s += ": \"" + e.Reason + "\""
	}
	out := []string{"  " + safe(s)} // operator and reason come from the journal
	if !e.OutcomeKnown {
		why := "outcome unknown: the tool stopped between the intent and the write's result; waiting for the writer, then read back from Redis"
		if q.cfg.ReadOnly {
			why = "outcome unknown: the tool stopped between the intent and the write's result; a writable session reads it back from Redis"
		}
		for _, l := range wrapText(why, w-8) {
			out = append(out, "      "+l)
		}
		return out
	}
	var hs, waits []string
	for _, o := range e.Outcomes {
		t := o.Host + " " + o.Outcome
		switch o.Outcome {
		case string(flags.Written):
			t += sprintf(" v%d->v%d", o.OldVersion, o.NewVersion)
		case string(flags.Failed):
			t = o.Host + " FAILED"
			if o.Error != "" {
				t += " (" + o.Error + ")"
			}
		case string(flags.Unknown):
			t = o.Host + " outcome unknown"
			waits = append(waits, q.unknownWait(o))
		}
		hs = append(hs, t)
	}
	for _, l := range wrapText(safe(strings.Join(hs, ", ")), w-8) {
		out = append(out, "      "+l)
	}
	for _, wt := range waits {
		for _, l := range wrapText(safe(wt), w-8) {
			out = append(out, "      "+l)
		}
	}
	return out
}

// unknownWait says what an unknown outcome on one host waits for.
func (q *queueScreen) unknownWait(o journal.HostOutcome) string {
	s := "outcome unknown on " + o.Host + ": "
	switch {
	case o.Reconciled && o.Error != "" && !strings.Contains(o.Error, "did not answer"):
		return s + o.Error // read back, and still undecidable: the operator decides
	case q.downHosts()[o.Host] || o.Reconciled:
		return s + "waiting until every host answers, then read back from Redis"
	case q.cfg.ReadOnly:
		return s + "the reply to the write was lost; a writable session reads it back from Redis"
	}
	return s + "the reply to the write was lost; waiting for the writer, then read back from Redis"
}

// disagreementLines tell the operator that hosts hold different changes' states, and what to do.
func disagreementLines(p journal.Pending, readOnly bool, w int) []string {
	if p.Disagreement == "" {
		return nil
	}
	s := "hosts disagree: " + p.Disagreement + "; not replayed until they agree"
	if !readOnly {
		s += ": set the flag again from the flags screen (1), or discard the change (d)"
	}
	var out []string
	for _, l := range wrapText(safe(s), w-4) {
		out = append(out, "  "+l)
	}
	return out
}

// readBackNote is what the journal now knows of a write whose reply was lost on a host: the
// write results screen shows it instead of FAILED.
func (c *common) readBackNote(ch journal.Change, host string) string {
	p, _ := c.pendingFor(ch.Prefix, ch.Flag)
	for _, e := range p.Entries {
		if e.ID != ch.ID {
			continue
		}
		for i := len(e.Outcomes) - 1; i >= 0; i-- {
			o := e.Outcomes[i]
			if o.Host != host {
				continue
			}
			switch o.Outcome {
			case string(flags.Written):
				return sprintf("written v%d, the write landed", o.NewVersion)
			case string(flags.Unchanged):
				return "the host already held it"
			case string(flags.Failed):
				return "not there, the write did not land"
			}
		}
	}
	if c.cfg.ReadOnly {
		return "not settled yet"
	}
	return "not settled yet, the next refresh reads it back from Redis once every host answers"
}

func fmtAgoShort(d time.Duration) string {
	s := int(d.Seconds())
	switch {
	case s < 60:
		return sprintf("(%ds)", s)
	case s < 3600:
		return sprintf("(%dm)", s/60)
	default:
		return sprintf("(%dh)", s/3600)
	}
}

func (c *common) replayLine(e journal.ReplayEvent) string {
	s := e.Time.In(c.now().Location()).Format("15:04:05") + " " + strings.ToUpper(string(e.Kind))
	if e.LDVersion != 0 {
		s += sprintf(" LaunchDarkly v%d", e.LDVersion)
	}
	if e.LDOn != nil {
		s += " " + flags.OnOff(*e.LDOn)
	}
	if e.Forced {
		s += " forced"
	}
	if e.By != "" {
		s += " by " + e.By
	}
	if e.Why != "" {
		s += " \"" + e.Why + "\""
	}
	if e.Error != "" {
		s += ": " + e.Error
	}
	return safe(s)
}

func (q *queueScreen) historyView(h int, hs *historyState) []string {
	lines := q.historyLines(hs)
	top := min(hs.view.YOffset(), max(0, len(lines)-(h-2)))
	return box("History of "+hs.flag+"  ("+hs.prefix+")", lines[top:], q.width, h, true, q.st)
}

// settleHistory keeps the history's scroll inside its text.
func (q *queueScreen) settleHistory() {
	if hs := q.history; hs != nil {
		hs.view.SetWidth(q.width)
		hs.view.SetHeight(q.bodyHeight() - 2)
		hs.view.SetContentLines(q.historyLines(hs))
	}
}

func (q *queueScreen) historyLines(hs *historyState) []string {
	var lines []string
	switch {
	case !hs.loaded:
		lines = append(lines, q.st.dim.Render("reading the journal…"))
	case hs.err != nil:
		lines = append(lines, q.st.errText.Render(safe(hs.err.Error())))
	default:
		lines = append(lines, q.st.bold.Render(sprintf("%d change(s)", len(hs.entries))))
		for _, e := range hs.entries {
			lines = append(lines, q.entryLines(e, q.width-2)...)
		}
		lines = append(lines, "", q.st.bold.Render(sprintf("%d replay event(s)", len(hs.events))))
		for _, e := range hs.events {
			lines = append(lines, "  "+q.replayLine(e))
		}
	}
	return lines
}
