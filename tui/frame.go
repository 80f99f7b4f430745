package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/tui/termsafe"
)

// The frame around the screens: header, recovery banner, status line, footer and help.

func (m *Model) render() string {
	if m.tooSmall() {
		lines := []string{
			"Terminal too small for Relay Commander:",
			sprintf("%dx%d, needs at least %dx%d.", m.width, m.height, minWidth, minHeight),
			"Enlarge the window: keys do nothing until then; q quits.",
		}
		if q, asking := m.dialog.(*quitDialog); asking {
			lines = append(lines[:2], q.question(), "y quits, n stays.")
		}
		var wrapped []string
		for _, l := range lines {
			wrapped = append(wrapped, wrapText(l, m.width)...)
		}
		return fitLines(padLines(wrapped, m.height), m.width, m.height)
	}
	var top []string
	top = append(top, m.headerLines()...)
	if len(m.cfg.Relays) > 0 {
		top = append(top, m.relaysLine())
	}
	if b := m.bannerLine(); b != "" {
		top = append(top, b)
	}
	bottom := []string{m.statusLine(), m.footerLine()}
	bodyH := m.height - len(top) - len(bottom)
	var body []string
	_, asking := m.dialog.(*quitDialog)
	switch {
	case asking:
		body = m.dialog.View(m.width, bodyH)
	case m.showHelp:
		body = m.helpBody(bodyH)
	case m.dialog != nil:
		body = m.dialog.View(m.width, bodyH)
	default:
		body = m.screen().View(m.width, bodyH)
	}
	lines := make([]string, 0, m.height)
	lines = append(lines, top...)
	lines = append(lines, padLines(body, bodyH)...)
	lines = append(lines, bottom...)
	return fitLines(lines, m.width, m.height)
}

// fitLines truncates every line to width and the whole to height lines.
func fitLines(lines []string, w, h int) string {
	if len(lines) > h {
		lines = lines[:h]
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(clip(l, w))
	}
	return b.String()
}

func padLines(lines []string, h int) []string {
	if h < 0 {
		h = 0
	}
	if len(lines) > h {
		return lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines
}

func (m *Model) headerLines() []string {
	s := m.st
	tab := func(n, name string, sc screenID) string {
		if m.active == sc || (m.active == screenResults && sc == m.resultsScreen.backScreen()) {
			return s.tabOn.Render("[" + n + " " + name + "]")
		}
		return s.tabOff.Render(" " + n + " " + name + " ")
	}
	queueName := "Queue"
	if n := len(m.pending); n > 0 {
		queueName = sprintf("Queue (%d)", n)
	}
	line1 := " " + s.title.Render("Relay Commander") + "  " +
		tab("1", "Flags", screenFlags) + " " + tab("2", queueName, screenQueue) + " " + tab("3", "Sync", screenSync)
	right := sprintf("%d pending", len(m.pending))
	if m.arm.on {
		// in words, not colour alone
		right = s.readOnly.Render(sprintf(" ARMED: %d %s ", m.arm.changes, changesWord(m.arm.changes)))
	}
	if m.cfg.ReadOnly {
		right += "  " + s.readOnly.Render(" READ-ONLY ")
	}
	line1 = joinRight(line1, right+" ", m.width)

	ld := m.ldSummary()
	room := m.width - 1 - ansi.StringWidth(ld) - 4
	hosts := m.hostsSummary(room)
	line2 := joinRight(" "+hosts, ld+" ", m.width)
	return []string{line1, line2}
}

// hostsSummary writes every Redis host's state in at most w columns, shortening as needed;
// a down host is always written DOWN.
func (m *Model) hostsSummary(w int) string {
	s := m.st
	if len(m.hosts) == 0 {
		if len(m.hostNames) == 0 {
			return "redis: " + s.dim.Render("checking…")
		}
		return "redis: " + strings.Join(m.hostNames, " ") + s.dim.Render(" checking…")
	}
	for _, compact := range []bool{false, true} {
		var parts []string
		for _, h := range m.hosts {
			switch {
			case !h.Up:
				parts = append(parts, h.Host+" "+s.bad.Render("DOWN"))
			case compact:
				parts = append(parts, h.Host+" "+fmtLatency(h.Latency))
			default:
				parts = append(parts, h.Host+" "+s.ok.Render("up")+" "+fmtLatency(h.Latency))
			}
		}
		line := "redis: " + strings.Join(parts, "  ")
		if ansi.StringWidth(line) <= w {
			return line
		}
	}
	up := 0
	var down []string
	for _, h := range m.hosts {
		if h.Up {
			up++
		} else {
			down = append(down, h.Host)
		}
	}
	line := sprintf("redis: %d/%d up", up, len(m.hosts))
	if len(down) > 0 {
		line += ", " + s.bad.Render("DOWN") + ": " + strings.Join(down, " ")
	}
	return line
}

func (m *Model) ldSummary() string {
	s := m.st
	if m.ld == nil {
		return "LaunchDarkly: " + s.dim.Render("no token")
	}
	if m.ldChecked.IsZero() {
		return "LaunchDarkly: " + s.dim.Render("checking…")
	}
	ago := fmtAgo(m.now().Sub(m.ldChecked))
	if m.ldErr != nil {
		return "LaunchDarkly: " + s.bad.Render(m.ldTroubleOf(m.ldErr).short) + " (" + ago + ")"
	}
	return "LaunchDarkly: " + s.ok.Render("reachable") + " (" + ago + ")"
}

// bannerLine is the recovery banner: which changes a Relay re-sync undid (env/flag, protected
// ones marked) and what to do about them.
func (m *Model) bannerLine() string {
	if m.ldBack() {
		return m.backBannerLine()
	}
	if len(m.drift) == 0 {
		return ""
	}
	b := m.st.banner.Render
	action := "  R replay now "
	switch {
	case m.cfg.ReadOnly:
		action = "  read-only: replay from a writable session "
	case m.arm.on:
		action = "  ARMED: written back at once "
	case tokenRefused(m.ldErr):
		// R would only show the refusal and A is not offered: say what mends it, in full
		// where a whole name is left room beside it
		action = "  token refused: set " + ldsync.TokenSetting + " "
		if names := m.undoneNames(protectedShort); len(names) > 0 &&
			ansi.StringWidth(sprintf(" ! Relay undid %d %s: ", len(m.drift), changesWord(len(m.drift))))+ansi.StringWidth(names[0])+ansi.StringWidth(action) > m.width {
			action = "  set " + ldsync.TokenSetting + " "
		}
	case untrusted(m.ldErr):
		action = "  TLS certificate not accepted: see 3 "
	case m.onlyConflictsLeft():
		action = "  " + m.decideConflictsText() + " "
	default:
		switch replay, arm := m.recoveryOffer(); {
		case replay && arm:
			action = "  R replay now, A arm "
		case arm:
			action = "  A holds and replays "
		}
	}
	n := len(m.drift)
	lead := sprintf(" ! Relay re-sync undid %d %s: ", n, changesWord(n))
	room := max(3, m.width-ansi.StringWidth(lead)-ansi.StringWidth(action))
	if ansi.StringWidth(strings.Join(m.undoneNames(protectedShort), ", ")) > room {
		lead = sprintf(" ! Relay undid %d %s: ", n, changesWord(n)) // room for the names
		room = max(3, m.width-ansi.StringWidth(lead)-ansi.StringWidth(action))
	}
	list := m.undoneList(room)
	left := b(lead) + list
	gap := max(0, m.width-ansi.StringWidth(left)-ansi.StringWidth(action))
	return left + b(strings.Repeat(" ", gap)+action)
}

// untrusted says LaunchDarkly's TLS certificate (or a proxy's) was not accepted at the last
// check: neither waiting nor replaying mends it.
func untrusted(err error) bool {
	return err != nil && ldsync.TroubleOf(err).Kind == ldsync.TroubleUntrusted
}

// recoveryOffer is what the banner and the footer offer for the pending changes, by one
// rule: R (replay now) and A (arm). Neither in read-only, while armed, or while LaunchDarkly
// refuses the token (the banner says to set it); in an outage A only (R would just show that
// LaunchDarkly does not answer); without a token R only (it explains what is missing).
func (m *Model) recoveryOffer() (replay, arm bool) {
	switch {
	case m.cfg.ReadOnly, m.arm.on, tokenRefused(m.ldErr), untrusted(m.ldErr):
		return false, false
	case m.ld == nil:
		return true, false
	case m.canArm() && m.ldErr != nil && m.ldTroubleOf(m.ldErr).down:
		return false, true
	}
	return true, m.canArm()
}

// undoneList names the undone changes in w columns: each with the protected mark in full,
// then shortened, then as many whole names as fit and how many more; cut only when not one
// name fits.
func (m *Model) undoneList(w int) string {
	b := m.st.banner.Render
	names := m.undoneNames(protectedWord)
	if list := strings.Join(names, b(", ")); ansi.StringWidth(list) <= w {
		return list
	}
	names = m.undoneNames(protectedShort)
	for shown := len(names); shown >= 1; shown-- {
		list := strings.Join(names[:shown], b(", "))
		if shown < len(names) {
			list += b(sprintf(" and %d more: 2 shows the queue", len(names)-shown))
		}
		if ansi.StringWidth(list) <= w {
			return list
		}
	}
	return ansi.Truncate(strings.Join(names, b(", ")), w, b("…"))
}

// undoneNames are the undone changes as the banner names them: environment/flag, with the
// project first when they are not all of one project (the prefix when unmapped), and mark
// after each protected one. Styled: the banner's, the mark in the protected colour.
func (m *Model) undoneNames(mark string) []string {
	b := m.st.banner.Render
	projects := map[string]bool{}
	for _, d := range m.drift {
		projects[d.Project] = true
	}
	parts := make([]string, 0, len(m.drift))
	for _, d := range m.drift {
		name := undoneName(d)
		if _, mapped := d.Target(); mapped && len(projects) > 1 {
			name = d.Project + "/" + name
		}
		part := b(termsafe.Escape(name))
		if m.isProtected(d.Target()) {
			part += b(" ") + m.st.protected.Reverse(true).Render(mark)
		}
		parts = append(parts, part)
	}
	return parts
}

// onlyConflictsLeft says every pending change is a conflict the last plan left undecided
// (not forced): R would replay nothing; the sync screen's s or f decides each. Only a plan
// that still covers exactly the pending changes as they are now says so: one made or
// replayed since makes it old, and R plans again.
func (m *Model) onlyConflictsLeft() bool {
	plan := m.syncScreen.sync.plan
	if plan == nil || len(m.pending) == 0 || !planCoversPending(*plan, m.pending) {
		return false
	}
	for _, it := range plan.Items {
		if it.Status != ldsync.Conflict || it.Force {
			return false
		}
	}
	return true
}

// planCoversPending says the plan's items are the pending changes, one each: the same flags,
// each with the same latest change.
func planCoversPending(plan ldsync.Plan, pending []journal.Pending) bool {
	if len(plan.Items) != len(pending) {
		return false
	}
	for _, p := range pending {
		n := 0
		for _, it := range plan.Items {
			if it.Pending.Prefix == p.Prefix && it.Pending.Flag == p.Flag && latestChange(it.Pending) == latestChange(p) {
				n++
			}
		}
		if n != 1 {
			return false
		}
	}
	return true
}

// latestChange is the id of a pending change's latest contributing change ("" without one).
func latestChange(p journal.Pending) string {
	if len(p.Entries) == 0 {
		return ""
	}
	return p.Entries[len(p.Entries)-1].ID
}

// decideConflictsText is what the banner offers when only conflicts are left.
func (m *Model) decideConflictsText() string { return "3 decide " + theConflicts(len(m.pending)) }

// backBannerLine says, the moment LaunchDarkly answers while changes are pending and nothing
// is armed, that Relay's re-sync is about to undo them, before it does.
func (m *Model) backBannerLine() string {
	n := len(m.pending)
	action := " R replay now"
	switch {
	case m.cfg.ReadOnly:
		action = " Replay from a writable session"
	case m.onlyConflictsLeft():
		action = " " + m.decideConflictsText()
	default:
		if replay, arm := m.recoveryOffer(); replay && arm {
			action = " R replay now, A arm"
		}
	}
	text := sprintf(" ! LaunchDarkly is back: Relay will undo %d %s when it reconnects.", n, changesWord(n)) + action + " "
	if ansi.StringWidth(text) > m.width {
		text = sprintf(" ! LaunchDarkly is back: Relay will undo %d %s.", n, changesWord(n)) + action + " "
	}
	return m.st.banner.Render(cell(text, m.width))
}

// statusLine is the status, then the demo keys where room is left: the status has the row
// first, the demo hint shortens to "L X demo" or goes (? help lists the demo keys).
func (m *Model) statusLine() string {
	line := ""
	if text := m.shownStatus(); text != "" {
		if m.statusBad {
			line = " " + m.st.errText.Render(text)
		} else {
			line = " " + m.st.status.Render(text)
		}
	}
	if m.cfg.Demo == nil {
		return line
	}
	k := m.st.key.Render
	for _, demo := range []string{
		m.st.dim.Render("demo keys: ") + k("L") + " LaunchDarkly up/down  " + k("X") + " Relay re-sync ",
		k("L") + " " + k("X") + m.st.dim.Render(" demo "),
	} {
		if ansi.StringWidth(line)+2+ansi.StringWidth(demo) <= m.width {
			return joinRight(line, demo, m.width)
		}
	}
	return line
}

func (m *Model) footerLine() string {
	if m.showHelp && m.dialog == nil {
		k := m.keys
		closeHelp := key.NewBinding(key.WithKeys("esc", "?"), key.WithHelp("esc/?", "close help"))
		return " " + m.help.ShortHelpView([]key.Binding{k.Down, k.Up, k.PageDown, k.PageUp, closeHelp, k.Quit})
	}
	return " " + m.help.ShortHelpView(m.footerKeys(m.screenKeys().short))
}

// footerKeys are the keys that fit the footer whole: bubbles/help cuts the last with "…"
// ("? hel…"). What gives way, in order: the screen keys 1 2 3, which the header's tabs show,
// and r; then the keys from the end. ? help and q quit stay (help lists the rest), and a
// dialog's enter and esc.
func (m *Model) footerKeys(short []key.Binding) []key.Binding {
	unlimited := m.help
	unlimited.SetWidth(0)
	fits := func(ks []key.Binding) bool { return 1+ansi.StringWidth(unlimited.ShortHelpView(ks)) <= m.width }
	if fits(short) {
		return short
	}
	is := func(b key.Binding, of ...key.Binding) bool {
		return slices.ContainsFunc(of, func(o key.Binding) bool { return o.Help() == b.Help() })
	}
	k := m.keys
	out := slices.DeleteFunc(slices.Clone(short), func(b key.Binding) bool {
		return is(b, k.ScreenFlags, k.ScreenQueue, k.ScreenSync, k.Refresh)
	})
	// pairs go together: s without f, or y without n, would read as the only choice
	pairs := [][2]key.Binding{{k.Skip, k.Force}, {k.Yes, k.No}}
	for i := len(out) - 1; i >= 0 && !fits(out); i-- {
		if i >= len(out) || is(out[i], k.Help, k.Quit, k.Confirm, k.Cancel) {
			continue
		}
		drop := []key.Binding{out[i]}
		for _, p := range pairs {
			if is(out[i], p[0], p[1]) {
				drop = p[:]
			}
		}
		out = slices.DeleteFunc(out, func(b key.Binding) bool { return is(b, drop...) })
	}
	return out
}

// helpBody is help in h rows: its title, then as many of its lines as fit from helpTop,
// with a last row saying how many more there are when they do not all fit.
func (m *Model) helpBody(h int) []string {
	lines := m.helpLines()
	rows := m.helpRows(h)
	title := " " + m.st.bold.Render("Keys of this screen") + m.st.dim.Render("   (esc or ? closes)")
	if rows >= len(lines) {
		return append([]string{title}, lines...)
	}
	title = " " + m.st.bold.Render("Keys of this screen") + m.st.dim.Render("   (j/k, pgup/pgdn scroll; esc or ? closes)")
	top := min(m.helpTop, len(lines)-rows)
	out := append([]string{title}, lines[top:top+rows]...)
	more := " ↓ " + countWords(len(lines)-top-rows, "more line", "more lines") + " below: j or pgdn"
	if top+rows >= len(lines) {
		more = " ↑ " + countWords(top, "more line", "more lines") + " above: k or pgup"
	}
	return append(out, m.st.key.Render(more))
}

// helpRows is how many help lines fit in a body of h rows: all but the title, and the
// last row for the "more" line when they do not all fit.
func (m *Model) helpRows(h int) int {
	if len(m.helpLines()) <= h-1 {
		return h - 1
	}
	return max(1, h-2)
}

// scrollHelp moves help by a line or a page for the list keys, and says whether the key was
// one; esc and ? close help (as any other key does).
func (m *Model) scrollHelp(msg tea.KeyPressMsg) bool {
	k := m.keys
	page := max(1, m.helpRows(m.bodyHeight())-1)
	switch {
	case key.Matches(msg, k.Down):
		m.helpTop++
	case key.Matches(msg, k.Up):
		m.helpTop--
	case key.Matches(msg, k.PageDown):
		m.helpTop += page
	case key.Matches(msg, k.PageUp):
		m.helpTop -= page
	case key.Matches(msg, k.Top):
		m.helpTop = 0
	case key.Matches(msg, k.Bottom):
		m.helpTop = len(m.helpLines())
	default:
		return false
	}
	return true // settle keeps helpTop within the lines
}

// helpLines are every line of help for what is on screen: its keys, then what its marks mean.
func (m *Model) helpLines() []string {
	k := m.screenKeys()
	lines := []string{""}
	full := m.help.FullHelpView(k.full)
	for _, l := range strings.Split(full, "\n") {
		lines = append(lines, " "+l)
	}
	if m.active == screenFlags && !m.flagsScreen.details {
		lines = append(lines, "", " "+m.st.bold.Render("Marks in the environments pane"),
			" "+m.st.protected.Render(protectedShort)+"  protected (PROTECTED where it fits): a write needs the flag key typed",
			" !     $inited missing on a host: Relay answers 503 \"not initialized\" there",
			" ?     unmapped prefix: project and environment unknown (so protected)",
			" ~     the prefix is only on some of the reachable hosts",
			"", " "+m.st.bold.Render("HOSTS column"),
			" 3/3 agree        every host holds the same state and version",
			" 2 agree, 1 down  the hosts that answered agree; the down one is unknown",
			" 1 up, 1 reading  a host has not answered yet: its flags fill in when it does",
			" DIFFER           hosts differ: STATE shows each state (ON/OFF), NOTE how",
			" MISSING          a reachable host lacks the flag (NONE: no reachable one has it)",
			" NOTE, narrow     needs N: requires N flags; used by N: N flags require it; "+
				"v5/v4: the hosts' versions; +N: N more notes (enter shows them)")
		if len(m.cfg.Relays) > 0 {
			lines = append(lines, "", " "+m.st.bold.Render("Relays (header and the environment's pane), asked every few seconds"),
				" connected      streaming from LaunchDarkly: its next update overwrites a Redis edit; "+
					"the confirmation offers l In LaunchDarkly instead (Redis untouched, "+
					"nothing journaled: LaunchDarkly's audit log has it, with the reason)",
				" CUT OFF (...)  not connected: a Redis edit holds until it reconnects and re-syncs",
				" unreachable    did not answer GET /status within its time-out")
		}
		if m.ld != nil && !m.cfg.ReadOnly {
			lines = append(lines, "", " "+m.st.bold.Render("LaunchDarkly reachable (header)"),
				" Relay reconnects within seconds and its next update undoes a Redis edit: the toggle "+
					"confirmation says so and offers l In LaunchDarkly instead")
		}
	}
	if m.canArm() {
		lines = append(lines, "", " "+m.st.bold.Render("Arming the replay (A, on the queue and sync screens)"),
			" A   holds the pending changes in Redis (writes back what a Relay re-sync undid, unless "+
				"LaunchDarkly has a newer version: a conflict, left alone) and replays them the moment "+
				"LaunchDarkly answers; A again disarms. Armed lasts only as long as this process: "+
				"quitting disarms. relaycommander replay --wait arms it from a spare terminal.",
			" R   opens the plan on the sync screen; enter there replays")
	}
	if m.cfg.Demo != nil {
		lines = append(lines, "", " "+m.st.bold.Render("Demo keys"))
		for _, b := range []key.Binding{m.keys.DemoLD, m.keys.DemoResync} {
			lines = append(lines, " "+b.Help().Key+"  "+b.Help().Desc)
		}
	}
	return wrapHelp(lines, min(m.width-1, 96)) // long lines are hard to read, even where they fit
}

// wrapHelp wraps the help lines wider than w under their description: a line " LABEL  text"
// continues at the column where text starts, so that a narrow terminal cuts nothing.
func wrapHelp(lines []string, w int) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if ansi.StringWidth(l) <= w {
			out = append(out, l)
			continue
		}
		indent := helpIndent(ansi.Strip(l))
		if indent > w/2 {
			indent = 1
		}
		head, rest := ansi.Cut(l, 0, indent), ansi.Cut(l, indent, ansi.StringWidth(l))
		out = append(out, hangLines(wrapStyled(rest, w-indent), head, strings.Repeat(" ", indent))...)
	}
	return out
}

// helpIndent is the column where a help line's description starts: after the label and the
// run of two or more spaces that follows it; the leading spaces for a line without a label.
func helpIndent(l string) int {
	lead := len(l) - len(strings.TrimLeft(l, " "))
	if i := strings.Index(l[lead:], "  "); i >= 0 {
		j := lead + i
		for j < len(l) && l[j] == ' ' {
			j++
		}
		return ansi.StringWidth(l[:j])
	}
	return lead
}

// screenKeys lists the keys of what is on screen now, for the footer and for help: the open
// dialog's, or the active screen's followed by the global keys (none while a text field
// takes every key).
func (m *Model) screenKeys() helpKeys {
	if m.dialog != nil {
		return m.dialog.Keys()
	}
	sc := m.screen()
	ks := sc.Keys()
	if c, ok := sc.(capturer); ok && c.capturing() {
		return ks
	}
	k := m.keys
	global := enabled(k.Help, k.Quit, k.ScreenFlags, k.ScreenQueue, k.ScreenSync, k.Refresh)
	// R and A are offered as the banner offers them (recoveryOffer); the queue and sync
	// screens offer A themselves
	if m.bannerShown() && !m.onlyConflictsLeft() {
		replay, arm := m.recoveryOffer()
		var offer []key.Binding
		if replay {
			offer = append(offer, enabled(k.ReplayNow)...)
		}
		if arm && m.active != screenQueue && m.active != screenSync {
			offer = append(offer, enabled(k.Arm)...)
		}
		global = append(offer, global...)
	}
	if m.arm.on && m.active != screenQueue && m.active != screenSync {
		global = append([]key.Binding{m.disarmKey()}, global...)
	}
	return helpKeys{short: append(ks.short, global...), full: append(ks.full, global)}
}

// disarmKey is A while armed.
func (m *Model) disarmKey() key.Binding {
	return key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "disarm"))
}

// armKey is A as the queue and sync screens show it: arm, or disarm while armed.
func (c *common) armKey() []key.Binding {
	if !c.canArm() || (!c.arm.on && len(c.pending) == 0) {
		return nil // nothing to arm: the footer offers no key that does nothing
	}
	if c.arm.on {
		return []key.Binding{key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "disarm"))}
	}
	return []key.Binding{c.keys.Arm}
}
