package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
)

type queueState struct {
	cursor  int
	history *historyState
}

// historyState is every recorded change and replay event of one flag.
type historyState struct {
	prefix, flag string
	entries      []journal.Entry
	events       []journal.ReplayEvent
	err          error
	loaded       bool
	top          int
}

type historyMsg struct {
	prefix, flag string
	entries      []journal.Entry
	events       []journal.ReplayEvent
	err          error
}

// discardState is the discard confirmation, captured when it opens.
type discardState struct {
	p       journal.Pending
	reason  string
	restore bool
	field   int // 0 reason, 1 restore, 2 buttons
	yes     bool
}

type discardDoneMsg struct {
	flag     string
	err      error
	restored *flags.ToggleResult
}

func (m *Model) updateQueue(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if h := m.queue.history; h != nil {
		switch {
		case key.Matches(msg, k.Back):
			m.queue.history = nil
		case key.Matches(msg, k.Up):
			h.top = max(0, h.top-1)
		case key.Matches(msg, k.Down):
			h.top++
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Up):
		m.queue.cursor = max(0, m.queue.cursor-1)
	case key.Matches(msg, k.Down):
		m.queue.cursor = min(len(m.pending)-1, m.queue.cursor+1)
	case key.Matches(msg, k.Top):
		m.queue.cursor = 0
	case key.Matches(msg, k.Bottom):
		m.queue.cursor = len(m.pending) - 1
	case key.Matches(msg, k.History):
		if p, ok := m.queueSelected(); ok {
			return m.historyCmd(p.Prefix, p.Flag)
		}
	case key.Matches(msg, k.Discard):
		if p, ok := m.queueSelected(); ok && !m.cfg.ReadOnly {
			m.discard = &discardState{p: p}
		}
	case key.Matches(msg, k.Back):
		m.screen = screenFlags
	}
	m.queue.cursor = max(0, m.queue.cursor)
	return nil
}

func (m *Model) queueSelected() (journal.Pending, bool) {
	if m.queue.cursor < 0 || m.queue.cursor >= len(m.pending) {
		return journal.Pending{}, false
	}
	return m.pending[m.queue.cursor], true
}

func (m *Model) historyCmd(prefix, flag string) tea.Cmd {
	m.queue.history = &historyState{prefix: prefix, flag: flag}
	if m.jr == nil {
		return nil
	}
	jr := m.jr
	return func() tea.Msg {
		e, ev, err := jr.History(prefix, flag)
		return historyMsg{prefix: prefix, flag: flag, entries: e, events: ev, err: err}
	}
}

func (m *Model) applyHistory(msg historyMsg) {
	h := m.queue.history
	if h == nil || h.prefix != msg.prefix || h.flag != msg.flag {
		return
	}
	h.entries, h.events, h.err, h.loaded = msg.entries, msg.events, msg.err, true
}

func (m *Model) updateDiscard(msg tea.KeyPressMsg) tea.Cmd {
	d := m.discard
	k := m.keys
	switch {
	case key.Matches(msg, k.Cancel):
		m.discard = nil
		return nil
	case key.Matches(msg, k.NextField):
		d.field = (d.field + 1) % 3
		return nil
	case key.Matches(msg, k.PrevField):
		d.field = (d.field + 2) % 3
		return nil
	}
	switch d.field {
	case 0:
		switch msg.String() {
		case "enter":
			d.field = 1
		case "backspace":
			if r := []rune(d.reason); len(r) > 0 {
				d.reason = string(r[:len(r)-1])
			}
		default:
			if msg.Text != "" && (msg.Mod == 0 || msg.Mod == tea.ModShift) {
				d.reason += msg.Text
			}
		}
	case 1:
		switch msg.String() {
		case "space", "x":
			d.restore = !d.restore
		case "enter":
			d.field = 2
		}
	case 2:
		switch {
		case key.Matches(msg, k.Left, k.Right):
			d.yes = !d.yes
		case key.Matches(msg, k.Yes):
			d.yes = true
		case key.Matches(msg, k.No):
			d.yes = false
		case key.Matches(msg, k.Confirm):
			m.discard = nil
			if !d.yes {
				return nil
			}
			return m.discardCmd(d)
		}
	}
	return nil
}

func (m *Model) discardCmd(d *discardState) tea.Cmd {
	if m.jr == nil {
		return nil
	}
	p := d.p
	ev := journal.ReplayEvent{
		Time:      m.now(),
		Kind:      journal.ReplayDiscarded,
		ChangeIDs: p.ChangeIDs(),
		Prefix:    p.Prefix,
		Flag:      p.Flag,
		Desired:   p.Desired,
		By:        m.cfg.Operator,
		Why:       strings.TrimSpace(d.reason),
	}
	restore := d.restore
	if restore {
		ev.Why = strings.TrimSpace(ev.Why + sprintf(" (base state %s restored in Redis)", onOff(p.BaseOn)))
	}
	jr, store, ctx := m.jr, m.store, m.ctx
	m.setStatus("discarding "+p.Flag+"…", false)
	return m.writing(func() tea.Msg {
		if err := jr.RecordReplay(ev); err != nil {
			return discardDoneMsg{flag: p.Flag, err: err}
		}
		if !restore || store == nil {
			return discardDoneMsg{flag: p.Flag}
		}
		res, err := restoreBase(ctx, store, p)
		return discardDoneMsg{flag: p.Flag, err: err, restored: res}
	})
}

// restoreBase writes the pending change's base state back to Redis. It is not a new change to
// replay (LaunchDarkly already has the base state): the discard event recorded just before
// says that the base is being restored.
func restoreBase(ctx context.Context, store flagStore, p journal.Pending) (*flags.ToggleResult, error) {
	f, err := store.Flag(ctx, p.Prefix, p.Flag)
	if err != nil {
		return nil, err
	}
	cur, ok := primary(f)
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", p.Prefix, p.Flag, flags.ErrUnknownFlag)
	}
	if cur.Deleted {
		return nil, fmt.Errorf("%s %s: %w", p.Prefix, p.Flag, flags.ErrTombstone)
	}
	res := store.Toggle(ctx, p.Prefix, p.Flag, p.BaseOn)
	return &res, nil
}

func (m *Model) applyDiscardDone(msg discardDoneMsg) tea.Cmd {
	switch {
	case msg.err != nil:
		m.setStatus("discard "+msg.flag+": "+msg.err.Error(), true)
	case msg.restored != nil && len(msg.restored.FailedHosts()) > 0:
		m.setStatus("discarded "+msg.flag+"; restoring failed on "+strings.Join(msg.restored.FailedHosts(), ", "), true)
	case msg.restored != nil:
		m.setStatus("discarded "+msg.flag+" and restored its base state in Redis", false)
	default:
		m.setStatus("discarded "+msg.flag+": it will not be replayed", false)
	}
	return m.refreshCmd()
}

func (m *Model) discardView(h int) []string {
	d := m.discard
	st := m.st
	p := d.p
	cur := func(n int) string {
		if d.field == n {
			return ">"
		}
		return " "
	}
	reason := d.reason
	if d.field == 0 {
		reason += "█"
	}
	box := "[ ]"
	if d.restore {
		box = "[x]"
	}
	no, yes := st.buttonOn.Render("[ No ]"), st.button.Render("  Yes  ")
	if d.yes {
		no, yes = st.button.Render("  No  "), st.buttonOn.Render("[ Yes ]")
	}
	lines := []string{
		"  " + cell("flag", 12) + st.bold.Render(p.Flag),
		"  " + cell("where", 12) + where(p.Project, p.Environment, p.Prefix),
		"  " + cell("pending", 12) + sprintf("%s -> %s, %d change(s)", onOff(p.BaseOn), onOff(p.Desired), len(p.Entries)),
		"  It will not be replayed to LaunchDarkly. The journal keeps the record.",
		"",
		cur(0) + " " + cell("reason", 12) + reason,
		cur(1) + " " + box + sprintf(" also write %s (the base state) back to Redis on every host", onOff(p.BaseOn)),
		"      " + st.dim.Render("(not a new change: LaunchDarkly already has the base state)"),
		"",
		cur(2) + " " + strings.Repeat(" ", 12) + no + "   " + yes,
		st.dim.Render("  tab next field · space ticks · y/n choose · enter activates · esc cancels"),
	}
	return dialog("Discard the pending change of "+p.Flag+"?", lines, m.width, h, st)
}

func where(project, env, prefix string) string {
	if project == "" {
		return prefix
	}
	return project + " / " + env
}

func (m *Model) queueView(h int) []string {
	st := m.st
	if m.jr == nil {
		return box("Queue", []string{"no journal configured"}, m.width, h, true, st)
	}
	if hs := m.queue.history; hs != nil {
		return m.historyView(h, hs)
	}
	w := m.width - 2
	var lines []string
	if m.pendErr != nil {
		lines = append(lines, st.errText.Render("journal: "+m.pendErr.Error()))
	}
	if len(m.pending) == 0 {
		lines = append(lines, "Nothing waits to be replayed: every change in the journal reached LaunchDarkly or was discarded.")
		return box("Queue: pending changes", lines, m.width, h, true, st)
	}
	keyW := 12
	for _, p := range m.pending {
		keyW = max(keyW, len(p.Flag))
	}
	keyW = min(keyW, 32)
	const changeW, baseW, countW, hostsW = 11, 8, 6, 16
	whereW := max(8, w-2-keyW-1-changeW-baseW-countW-hostsW-1)
	row := func(cur, flag, where, change, base, count, hosts string) string {
		return cur + cell(flag, keyW) + " " + cell(where, whereW) + " " + cell(change, changeW) + cell(base, baseW) + cell(count, countW) + cell(hosts, hostsW)
	}
	lines = append(lines, st.dim.Render(row("  ", "FLAG", "WHERE", "CHANGE", "BASE", "COUNT", "HOSTS")))
	listH := max(3, (h-2)/2)
	top := max(0, m.queue.cursor-listH+2)
	for i := top; i < len(m.pending) && i < top+listH-1; i++ {
		p := m.pending[i]
		cur := "  "
		if i == m.queue.cursor {
			cur = "> "
		}
		base := "unknown"
		if p.BaseVersion != nil {
			base = sprintf("v%d", *p.BaseVersion)
		}
		change := onOff(p.BaseOn) + " -> " + onOff(p.Desired)
		if p.NoNetEffect() {
			change = onOff(p.Desired) + " (none)"
		}
		whereS := p.Prefix
		if p.Project != "" {
			whereS = p.Project + "/" + p.Environment
		}
		line := row(cur, p.Flag, whereS, change, base, sprintf("%dx", len(p.Entries)), hostsOutcome(p))
		if i == m.queue.cursor {
			line = st.cursor.Render(cell(line, w))
		}
		lines = append(lines, line)
	}
	if p, ok := m.queueSelected(); ok {
		lines = append(lines, "", st.bold.Render(p.Flag)+" "+where(p.Project, p.Environment, p.Prefix)+"  prefix "+p.Prefix)
		for _, e := range p.Entries {
			lines = append(lines, m.entryLines(e, w)...)
		}
		if p.Last != nil {
			lines = append(lines, "  last replay: "+replayLine(*p.Last, m))
		}
	}
	return box(sprintf("Queue: %d pending change(s), coalesced per flag", len(m.pending)), lines, m.width, h, true, st)
}

// hostsOutcome summarises the latest change's per-host outcome.
func hostsOutcome(p journal.Pending) string {
	if len(p.Entries) == 0 {
		return ""
	}
	e := p.Entries[len(p.Entries)-1]
	if !e.OutcomeKnown {
		return "outcome unknown"
	}
	ok, failed := 0, 0
	for _, o := range e.Outcomes {
		if o.Outcome == string(flags.Failed) {
			failed++
		} else {
			ok++
		}
	}
	if failed > 0 {
		return sprintf("%d/%d, %d FAILED", ok, len(e.Outcomes), failed)
	}
	return sprintf("%d/%d written", ok, len(e.Outcomes))
}

// entryLines writes one recorded change: when, who, what, why, then its host outcomes.
func (m *Model) entryLines(e journal.Entry, w int) []string {
	s := sprintf("%s %s %s -> %s by %s", e.Time.In(m.now().Location()).Format("15:04:05"), fmtAgoShort(m.now().Sub(e.Time)), onOff(e.Before), onOff(e.After), e.Operator)
	if e.BaseVersion != nil {
		s += sprintf(" (base v%d)", *e.BaseVersion)
	}
	if e.Reason != "" {
		s += ": \"" + e.Reason + "\""
	}
	out := []string{"  " + s}
	if !e.OutcomeKnown {
		return append(out, "      outcome unknown: the tool stopped between the intent and the write's result")
	}
	var hs []string
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
		}
		hs = append(hs, t)
	}
	for _, l := range wrapText(strings.Join(hs, ", "), w-8) {
		out = append(out, "      "+l)
	}
	return out
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

func replayLine(e journal.ReplayEvent, m *Model) string {
	s := e.Time.In(m.now().Location()).Format("15:04:05") + " " + strings.ToUpper(string(e.Kind))
	if e.LDVersion != 0 {
		s += sprintf(" LaunchDarkly v%d", e.LDVersion)
	}
	if e.LDOn != nil {
		s += " " + onOff(*e.LDOn)
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
	return s
}

func (m *Model) historyView(h int, hs *historyState) []string {
	lines := m.historyLines(hs)
	top := min(hs.top, max(0, len(lines)-(h-2)))
	return box("History of "+hs.flag+"  ("+hs.prefix+")", lines[top:], m.width, h, true, m.st)
}

// settleHistory keeps the history's scroll inside its text.
func (m *Model) settleHistory() {
	if hs := m.queue.history; hs != nil {
		hs.top = min(hs.top, max(0, len(m.historyLines(hs))-(m.bodyHeight()-2)))
	}
}

func (m *Model) historyLines(hs *historyState) []string {
	var lines []string
	switch {
	case !hs.loaded:
		lines = append(lines, m.st.dim.Render("reading the journal…"))
	case hs.err != nil:
		lines = append(lines, m.st.errText.Render(hs.err.Error()))
	default:
		lines = append(lines, m.st.bold.Render(sprintf("%d change(s)", len(hs.entries))))
		for _, e := range hs.entries {
			lines = append(lines, m.entryLines(e, m.width-2)...)
		}
		lines = append(lines, "", m.st.bold.Render(sprintf("%d replay event(s)", len(hs.events))))
		for _, e := range hs.events {
			lines = append(lines, "  "+replayLine(e, m))
		}
	}
	return lines
}
