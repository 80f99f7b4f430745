package tui

import (
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"relaycommander/flags"
	"relaycommander/journal"
)

// queueScreen lists the journal's pending changes, coalesced per flag, and a flag's history.
type queueScreen struct {
	*common
	cursor  int
	top     int           // the list's first row shown (listTop)
	history *historyState // open while a flag's history is shown
}

// Keys are the screen's keys: the list's, or the history's.
func (q *queueScreen) Keys() helpKeys {
	k := q.keys
	var acts []key.Binding
	if len(q.pending) > 0 { // an empty queue has nothing to open or discard
		acts = enabled(k.History, k.Discard)
	}
	if p, ok := q.queueSelected(); ok && len(q.failedHosts(p)) > 0 && q.canRetry() {
		acts = append(enabled(k.Retry), acts...)
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
	q.scrollToCursor()
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
	case key.Matches(msg, k.Retry):
		return q.retryCmd(), nil
	case key.Matches(msg, k.Back):
		q.active = screenFlags
	}
	q.cursor = max(0, q.cursor)
	q.scrollToCursor()
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
		for _, l := range wrapText("journal: "+q.pendErr.Error(), w) {
			lines = append(lines, st.errText.Render(l))
		}
	}
	n := len(q.pending)
	if n == 0 {
		lines = append(lines, wrapText("Nothing waits to be replayed: every change in the journal reached LaunchDarkly or was discarded.", w)...)
		return box("Queue: no pending changes", lines, q.width, h, true, st)
	}
	cols := q.columns(w)
	lines = append(lines, st.dim.Render(cols.row("  ", "FLAG", "WHERE", cols.tail("CHANGE", "BASE", "COUNT", "HOSTS"))))
	rows := queueListRows(h)
	top := listTop(q.top, q.cursor, rows, n)
	for i := top; i < n && i < top+rows; i++ {
		lines = append(lines, q.listRow(q.pending[i], cols, i == q.cursor, w))
	}
	if p, ok := q.queueSelected(); ok {
		lines = append(lines, "")
		head := []string{st.bold.Render(safe(p.Flag)) + " " + q.whereMarked(p)}
		if ansi.StringWidth(head[0]) > w {
			head = []string{st.bold.Render(safe(p.Flag)), q.whereMarked(p)}
		}
		lines = append(lines, flowParts(append(head, "prefix "+safe(p.Prefix)), w)...)
		lines = append(lines, disagreementLines(p, q.cfg.ReadOnly, w)...)
		for _, e := range p.Entries {
			lines = append(lines, q.entryLines(e, w)...)
		}
		lines = append(lines, q.undoneLines(p, w)...)
		if failed := q.failedHosts(p); len(failed) > 0 && q.canRetry() {
			lines = append(lines, "  "+st.key.Render("T")+" retries "+safe(strings.Join(failed, ", "))+" (the same change; the write results show each host)")
		}
		if p.Last != nil {
			lines = append(lines, wrapIndented("last replay: "+q.replayLine(*p.Last), w, 2, 4)...)
		}
	}
	in := ""
	if cols.droppedProject != "" {
		in = " in " + safe(cols.droppedProject)
	}
	title := sprintf("Queue: %d pending %s%s, coalesced per flag   %d of %d", n, changesWord(n), in, q.cursor+1, n)
	return box(title, lines, q.width, h, true, st)
}

// queueListRows is how many pending changes the list shows in a body h rows high: about
// half of it, the selected change's entries below.
func queueListRows(h int) int { return max(3, (h-2)/2) - 1 }

// listTop is the first row shown: top moved only as far as it takes to show the cursor.
func listTop(top, cursor, rows, n int) int {
	top = min(top, cursor)
	top = max(top, cursor-rows+1)
	return max(0, min(top, n-rows))
}

// scrollToCursor keeps the list's window around the cursor after it moved.
func (q *queueScreen) scrollToCursor() {
	q.top = listTop(q.top, q.cursor, queueListRows(q.bodyHeight()), len(q.pending))
}

// Fixed columns of the queue's list, each with the space after it.
const (
	queueChangeW = 11 // "OFF (none) "
	queueBaseW   = 8  // "unknown "
	queueCountW  = 6  // "COUNT "
)

// queueColumns is the list's layout at one width. When it is narrow, the project is
// shortened first, then COUNT and BASE go, then the HOSTS column's long form, then the flag
// key shortens: the environment and its protected mark are the last to give way.
type queueColumns struct {
	key, where, hosts int
	base, count       bool
	longHosts         bool // "undone on relay-a, relay-b" rather than "undone by re-sync"
	mark              string
	// the widths that hold every key and WHERE whole, and the project every row shares when
	// WHERE leaves it out (the title names it)
	keyFull, whereFull int
	droppedProject     string
}

func (q *queueScreen) columns(w int) queueColumns {
	c := q.columnsWith(w, "")
	if shared := q.sharedProject(); shared != "" && (c.where < c.whereFull || c.key < c.keyFull) {
		// the project would be cut, or the flag keys: every row has the same, the title says it
		c = q.columnsWith(w, shared)
	}
	return c
}

// sharedProject is the project every pending change is in; "" when they differ or one is
// unmapped.
func (q *queueScreen) sharedProject() string {
	shared := ""
	for i, p := range q.pending {
		if p.Project == "" || (i > 0 && p.Project != shared) {
			return ""
		}
		shared = p.Project
	}
	return shared
}

// columnsWith lays the list out with the project left out of WHERE when dropped names it.
func (q *queueScreen) columnsWith(w int, dropped string) queueColumns {
	c := queueColumns{key: 12, hosts: 16, base: true, count: true, longHosts: true, mark: protectedWord, droppedProject: dropped}
	whereFull, whereEnv, shortHosts := 8, 8, 16
	for _, p := range q.pending {
		c.key = max(c.key, ansi.StringWidth(safe(p.Flag)))
		c.hosts = max(c.hosts, ansi.StringWidth(q.hostsOutcome(p, true)))
		shortHosts = max(shortHosts, ansi.StringWidth(q.hostsOutcome(p, false)))
		project, env := q.whereText(p)
		if dropped != "" {
			project = ""
		}
		// at least "web-st…/": a project cut shorter says nothing
		full, least := ansi.StringWidth(project+env), ansi.StringWidth(env)+min(ansi.StringWidth(project), 8)
		if q.protectedPending(p) {
			full += 1 + len(protectedWord)
			least += 1 + len(protectedShort)
		}
		whereFull, whereEnv = max(whereFull, full), max(whereEnv, least)
	}
	c.key = min(c.key, 32)
	c.keyFull, c.whereFull = c.key, whereFull
	c.hosts = min(c.hosts, 32)
	fits := func() bool { c.where = w - c.fixed(); return c.where >= whereEnv }
	switch {
	case fits():
	case func() bool { c.count = false; return fits() }():
	case func() bool { c.base = false; return fits() }():
	case func() bool { c.longHosts, c.hosts = false, shortHosts; return fits() }():
	default:
		c.key = max(12, c.key-(whereEnv-c.where))
		fits()
	}
	if c.where < whereFull {
		c.mark = protectedShort
	}
	c.where = max(c.where, 4)
	return c
}

// fixed is every column's width but WHERE's.
func (c queueColumns) fixed() int {
	n := 2 + c.key + 1 + 1 + queueChangeW + c.hosts
	if c.base {
		n += queueBaseW
	}
	if c.count {
		n += queueCountW
	}
	return n
}

// row lays out one line of the list: tail is the columns after WHERE.
func (c queueColumns) row(cur, flag, where, tail string) string {
	return cur + cell(flag, c.key) + " " + cell(where, c.where) + " " + tail
}

// tail is the columns after WHERE.
func (c queueColumns) tail(change, base, count, hosts string) string {
	s := cell(change, queueChangeW)
	if c.base {
		s += cell(base, queueBaseW)
	}
	if c.count {
		s += cell(count, queueCountW)
	}
	return s + cell(hosts, c.hosts)
}

// listRow is one pending change in the list: the cursor's row in reverse video, and the
// protected mark in its own style on every row.
func (q *queueScreen) listRow(p journal.Pending, c queueColumns, atCursor bool, w int) string {
	st := q.st
	cur := "  "
	if atCursor {
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
	mark := ""
	if q.protectedPending(p) {
		mark = c.mark
	}
	project, env := q.whereText(p)
	if c.droppedProject != "" {
		project = ""
	}
	where := whereCell(project, env, mark, c.where)
	tail := c.tail(change, base, sprintf("%dx", len(p.Entries)), q.hostsOutcome(p, c.longHosts))
	paint, markStyle := func(s string) string { return s }, st.protected
	if atCursor {
		paint, markStyle = func(s string) string { return st.cursor.Render(s) }, st.protected.Reverse(true)
	}
	if mark == "" {
		return paint(cell(c.row(cur, safe(p.Flag), where, tail), w))
	}
	left := cur + cell(safe(p.Flag), c.key) + " " + strings.TrimSuffix(where, mark)
	right := strings.Repeat(" ", max(0, c.where-ansi.StringWidth(where))) + " " + tail
	right = cell(right, max(0, w-ansi.StringWidth(left)-len(mark)))
	return paint(left) + markStyle.Render(mark) + paint(right)
}

// whereText is the pending change's project (with its "/") and environment, made safe; an
// unmapped prefix is all environment.
func (q *queueScreen) whereText(p journal.Pending) (project, env string) {
	if p.Project == "" {
		return "", safe(p.Prefix)
	}
	return safe(p.Project) + "/", safe(p.Environment)
}

// whereCell fits project, environment and mark into w columns: the project shortens first,
// the environment last.
func whereCell(project, env, mark string, w int) string {
	if mark != "" {
		mark = " " + mark
	}
	room := w - ansi.StringWidth(env) - len(mark)
	switch {
	case room >= ansi.StringWidth(project):
	case room >= 2:
		project = clip(project, room-1) + "/"
	default:
		project = ""
		env = clip(env, max(1, w-len(mark)))
	}
	return project + env + mark
}

// whereMarked is the pending change's environment in words, with PROTECTED beside a
// protected one.
func (q *queueScreen) whereMarked(p journal.Pending) string {
	s := where(p.Project, p.Environment, p.Prefix)
	if q.protectedPending(p) {
		s += " " + q.st.protected.Render(protectedWord)
	}
	return s
}

// protectedPending says the change's environment is protected (a write there needs the key
// typed).
func (q *queueScreen) protectedPending(p journal.Pending) bool {
	return q.isProtected(p.Target())
}

// undoneOf is what the last drift check found of the pending change: the hosts where Redis
// no longer holds it.
func (c *common) undoneOf(p journal.Pending) (journal.Undone, bool) {
	for _, u := range c.drift {
		if u.Prefix == p.Prefix && u.Flag == p.Flag && len(u.Hosts) > 0 {
			return u, true
		}
	}
	return journal.Undone{}, false
}

// undoneLines say where a re-sync undid the pending change, and what brings it back.
func (q *queueScreen) undoneLines(p journal.Pending, w int) []string {
	u, ok := q.undoneOf(p)
	if !ok {
		return nil
	}
	s := "undone on " + strings.Join(u.HostNames(), ", ") + " by a Relay re-sync (now " + undoneState(u) + ")"
	if q.keys.ReplayNow.Enabled() {
		s += ": R replays it to LaunchDarkly"
		if q.canArm() {
			s += ", A arms the replay"
		}
	}
	var out []string
	for _, l := range wrapIndented(s, w, 6, 8) {
		out = append(out, q.st.warn.Render(l))
	}
	return out
}

// undoneState is what the hosts hold in place of an undone change: "ON v9", or per host
// when they differ.
func undoneState(u journal.Undone) string {
	var each []string
	same := true
	for _, h := range u.Hosts {
		each = append(each, sprintf("%s %s v%d", h.Host, flags.OnOff(h.On), h.Version))
		same = same && h.On == u.Hosts[0].On && h.Version == u.Hosts[0].Version
	}
	if same {
		return sprintf("%s v%d", flags.OnOff(u.Hosts[0].On), u.Hosts[0].Version)
	}
	return strings.Join(each, ", ")
}

// failedHosts are the hosts where the pending change's latest write failed, for T.
func (q *queueScreen) failedHosts(p journal.Pending) []string {
	if len(p.Entries) == 0 {
		return nil
	}
	e := p.Entries[len(p.Entries)-1]
	if !e.OutcomeKnown || e.ID == "" {
		return nil
	}
	var hs []string
	for _, o := range e.Outcomes {
		if o.Outcome == string(flags.Failed) {
			hs = append(hs, o.Host)
		}
	}
	return hs
}

// canRetry says T can write: a key bound (not read-only), a journal and a store.
func (q *queueScreen) canRetry() bool {
	return q.keys.Retry.Enabled() && q.jr != nil && q.store != nil
}

// hostsOutcome summarises the latest change's per-host outcome; an unknown outcome is never
// counted as failed, hosts that disagree say so, and a change a re-sync undid says where
// (long) or that it was (short).
func (q *queueScreen) hostsOutcome(p journal.Pending, long bool) string {
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
	}
	if u, undone := q.undoneOf(p); undone {
		if long {
			return "undone on " + strings.Join(u.HostNames(), ", ")
		}
		return "undone by re-sync"
	}
	if failed > 0 {
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
	out := wrapIndented(s, w, 2, 6) // wrapped, not cut, and made safe: operator and reason come from the journal
	if !e.OutcomeKnown {
		why := "outcome unknown: the tool stopped between the intent and the write's result; waiting for the writer, then read back from Redis"
		if q.cfg.ReadOnly {
			why = "outcome unknown: the tool stopped between the intent and the write's result; a writable session reads it back from Redis"
		}
		return append(out, wrapIndented(why, w-2, 6, 6)...)
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
	out = append(out, wrapIndented(strings.Join(hs, ", "), w-2, 6, 6)...)
	for _, wt := range waits {
		out = append(out, wrapIndented(wt, w-2, 6, 6)...)
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
	return wrapIndented(s, w-2, 2, 2)
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
		n, ne := len(hs.entries), len(hs.events)
		if n > 0 {
			// where the changes were made, marked when a write there is protected
			c := hs.entries[0].Change
			lines = append(lines, q.whereMarked(journal.Pending{Prefix: c.Prefix, Project: c.Project, Environment: c.Environment}), "")
		}
		lines = append(lines, q.st.bold.Render(sprintf("%d %s", n, changesWord(n))))
		for _, e := range hs.entries {
			lines = append(lines, q.entryLines(e, q.width-2)...)
		}
		if p, ok := q.pendingFor(hs.prefix, hs.flag); ok {
			lines = append(lines, q.undoneLines(p, q.width-2)...)
		}
		lines = append(lines, "", q.st.bold.Render(countWords(ne, "replay event", "replay events")))
		for _, e := range hs.events {
			lines = append(lines, wrapIndented(q.replayLine(e), q.width-2, 2, 4)...)
		}
	}
	return lines
}
