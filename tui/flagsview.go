package tui

import (
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"relaycommander/flags"
)

// View draws the panes, or the details of the flag under the cursor.
func (s *flagsScreen) View(width, height int) []string { return s.flagsView(height) }

// primary is the state the table shows: the first reachable host's readable state.
func primary(f flags.Flag) (flags.HostFlag, bool) { return f.Primary() }

func (s *flagsScreen) flagsView(h int) []string {
	if s.details {
		return s.detailsView(h)
	}
	envW, flagsW := s.paneWidths()
	left := box("Environments", s.envLines(h-2, envW-2), envW, h, s.focus == paneEnvs, s.st)
	right := box(s.flagsTitle(), s.flagLines(h-2, flagsW-2), flagsW, h, s.focus == paneFlags, s.st)
	if s.paneProtected() {
		right = s.paintProtectedTitle(right)
	}
	return sideBySide(left, right)
}

// span is a piece of a row, drawn in its style (one of the screen's styles) unless nil.
type span struct {
	text  string
	style *lipgloss.Style
}

func plainSpan(text string) span { return span{text: text} }

func styledSpan(text string, st *lipgloss.Style) span { return span{text: text, style: st} }

// painter draws rows of spans for one pane and frame. It works out each style's escape
// sequences once: lipgloss's Render for every cell cost more than the rest of a frame.
type painter struct {
	row   lipgloss.Style // the cursor row's: reverse video, or bold when the pane has no focus
	cache map[paintKey]sgr
}

type paintKey struct {
	style  *lipgloss.Style
	cursor bool
}

// sgr is a style's opening and closing escape sequences.
type sgr struct{ open, close string }

func (s *flagsScreen) painter(focused bool) *painter {
	p := &painter{row: s.st.bold, cache: map[paintKey]sgr{}}
	if focused {
		p.row = s.st.cursor
	}
	return p
}

func (p *painter) sgr(st *lipgloss.Style, cursor bool) sgr {
	k := paintKey{st, cursor}
	if e, ok := p.cache[k]; ok {
		return e
	}
	style := lipgloss.NewStyle()
	if st != nil {
		style = *st
	}
	if cursor {
		style = style.Inherit(p.row)
	}
	r := style.Render("x")
	i := strings.Index(r, "x")
	e := sgr{r[:i], r[i+1:]}
	p.cache[k] = e
	return e
}

// paint draws a row's spans. The cursor row keeps every span's colour, so that ON, OFF and
// PROTECTED still show there.
func (p *painter) paint(spans []span, cursor bool) string {
	var b strings.Builder
	plain := ""
	flush := func() {
		if plain == "" {
			return
		}
		if cursor {
			e := p.sgr(nil, true)
			plain = e.open + plain + e.close
		}
		b.WriteString(plain)
		plain = ""
	}
	for _, sp := range spans {
		if sp.style == nil {
			plain += sp.text
			continue
		}
		flush()
		e := p.sgr(sp.style, cursor)
		b.WriteString(e.open + sp.text + e.close)
	}
	flush()
	return b.String()
}

// paneProtected says the flags on screen (or the selected environment's, while they load)
// are a protected environment's.
func (s *flagsScreen) paneProtected() bool {
	if s.setReady() {
		return s.isProtected(s.set.Target, s.set.Mapped)
	}
	if _, ok := s.selectedEnv(); !ok {
		return false
	}
	return s.envProtected()[s.envCursor]
}

// paintProtectedTitle colours the protected word that leads a pane's title (box writes its
// title as plain text).
func (s *flagsScreen) paintProtectedTitle(pane []string) []string {
	if len(pane) > 0 {
		pane[0] = strings.Replace(pane[0], protectedWord, s.st.protected.Render(protectedWord), 1)
	}
	return pane
}

// protectedLead is the title's first words in a protected environment: first, so that no
// truncation cuts them.
func (s *flagsScreen) protectedLead() string {
	if s.paneProtected() {
		return protectedWord + "  "
	}
	return ""
}

func (s *flagsScreen) flagsTitle() string {
	env, ok := s.selectedEnv()
	if !ok {
		return "Flags"
	}
	lead := s.protectedLead()
	if !s.setReady() {
		// the set on screen is another prefix's: name only the selected one
		if s.setErr != nil {
			return lead + safe(env.prefix) + "  flags not read"
		}
		return lead + safe(env.prefix) + "  loading…"
	}
	t := s.set.Target
	name := safe(env.prefix)
	if s.set.Mapped && t.Project != "" {
		name = safe(t.Project + " / " + t.Environment)
	}
	tail := "  " + countWords(len(s.set.Flags), "flag", "flags")
	if name != safe(env.prefix) && ansi.StringWidth(lead+name+"  "+safe(env.prefix)+tail) < s.width*3/4-4 {
		name += "  " + safe(env.prefix)
	}
	return lead + name + tail
}

// noPrefixLines says why there is nothing to browse: every host down (with each one's error),
// or hosts that hold no Relay store. The left pane gets the headline, the wider right pane
// the details.
func (s *flagsScreen) noPrefixLines(w int, details bool) []string {
	var down []flags.HostStatus
	for _, h := range s.hosts {
		if !h.Up {
			down = append(down, h)
		}
	}
	if len(s.hosts) > 0 && len(down) == len(s.hosts) {
		if !details {
			return []string{s.st.bad.Render("no Redis host answered")}
		}
		var out []string
		for _, h := range down {
			err := "no answer"
			if h.Err != nil {
				err = h.Err.Error()
			}
			out = append(out, wrapText(err, w)...)
		}
		return append(out, "", "Check redis.hosts in the configuration and the network; r tries again.")
	}
	if !details {
		return []string{"no store prefixes found"}
	}
	return wrapText("No reachable host holds a Relay store (no hash named PREFIX:features). "+
		"Check that redis.hosts names the Redis the Relay Proxy uses; r tries again.", w)
}

// paneWidths are the environments pane's and the flags pane's widths, borders included.
func (s *flagsScreen) paneWidths() (envW, flagsW int) {
	envW = min(max(s.width/4, 22), 34)
	return envW, s.width - envW
}

// envWarningLines are the selected environment's warnings over the flags, wrapped to w
// columns at words (at 80 columns "$inited missing on ...: Relay answers 503 there" lost
// its end to "…"), in two lines at the most: the environments pane's marks and help say the rest.
func envWarningLines(env envRow, w int) []string {
	if len(env.warnings) == 0 {
		return nil
	}
	lines := wrapIndented(env.marks+" "+strings.Join(env.warnings, "; "), w, 0, len(env.marks)+1)
	if len(lines) > 2 {
		lines = append(lines[:1], cell(strings.TrimSpace(strings.Join(lines[1:], " ")), w))
	}
	return lines
}

func (s *flagsScreen) flagLines(h, w int) []string {
	var out []string
	env, _ := s.selectedEnv()
	for _, l := range envWarningLines(env, w) {
		out = append(out, s.st.warn.Render(l))
	}
	out = append(out, s.relayPaneLines(w)...)
	if s.filtering || s.filter.value() != "" {
		in := s.filter.view(s.filtering)
		out = append(out, s.st.key.Render("filter /")+in+s.st.dim.Render(sprintf("   %d of %d match", len(s.filtered), len(s.set.Flags))))
	}
	// the visible rows first: the columns fit what they hold
	var rows []flagCells
	if s.setLoaded || s.setErr != nil {
		end := min(len(s.filtered), s.flagTop+max(0, h-len(out)-1))
		downNames := s.downNames()
		for i := s.flagTop; i < end; i++ {
			rows = append(rows, s.flagCells(s.set.Flags[s.filtered[i]], downNames))
		}
	}
	cols := s.flagColumns(w, rows)
	if len(rows) > 0 { // without rows a heading sized to none says nothing
		out = append(out, s.st.dim.Render(cols.heading()))
	}
	if s.discovered && len(s.envRows) == 0 {
		return append(out, s.noPrefixLines(w, true)...)
	}
	if !s.setLoaded && s.setErr == nil {
		return append(out, s.st.dim.Render("reading flags…"))
	}
	if s.setErr != nil && len(s.set.Flags) == 0 {
		return append(out, wrapText(s.setErr.Error(), w)...)
	}
	if len(s.filtered) == 0 {
		if s.filter.value() != "" {
			return append(out, "no flag key matches \""+safe(s.filter.value())+"\", not even loosely (its letters in order); esc clears the filter")
		}
		return append(out, "no flags under this prefix")
	}
	p := s.painter(s.focus == paneFlags)
	for j, r := range rows {
		cursor := s.flagTop+j == s.flagCursor
		out = append(out, p.paint(cols.row(r, cursor), cursor))
	}
	return out
}

func hasUnreadable(f flags.Flag) bool {
	for _, h := range f.Hosts {
		if h.Unreadable != "" {
			return true
		}
	}
	return false
}

// flagCells is what one table row says, before the columns are sized.
type flagCells struct {
	key   string
	state []span // "ON", or every state the hosts hold: "ON/OFF"
	ver   string
	hosts span
	notes []note
}

// note is one remark of the NOTE column, with the short form it takes when the column is
// narrow ("" when the other columns already say it).
type note struct {
	full, short string
	style       *lipgloss.Style // nil: plain
}

func (s *flagsScreen) flagCells(f flags.Flag, downNames []string) flagCells {
	a := f.Agreement(downNames...)
	c := flagCells{key: safe(f.Key), state: s.stateSpans(f)}
	if p, ok := primary(f); ok {
		c.ver = sprintf("%d", p.Version)
	}
	c.hosts = plainSpan(s.hostsCell(a))
	if !a.Agree() {
		c.hosts = styledSpan(a.ShortDown(), &s.st.warn) // DIFFER, MISSING, NONE
	}
	c.notes = s.flagNotes(f, a)
	return c
}

// hostsCell is the HOSTS column's word (flags.Agreement.ShortDown), except that hosts the
// selected prefix's read still waits for are "reading", not down: "1 up, 1 reading".
func (s *flagsScreen) hostsCell(a flags.Agreement) string {
	if s.readingNote() == "" || len(a.Down) == 0 || !a.Agree() {
		return a.ShortDown()
	}
	for _, h := range a.Down {
		if !slices.Contains(s.reading, h) {
			return a.ShortDown() // one is down indeed
		}
	}
	return sprintf("%d up, %d reading", len(a.Present), len(a.Down))
}

// stateSpans is the STATE cell: the state every readable host holds, in its colour; while
// the hosts differ, each of their states ("ON/OFF"), so that the split shows at a glance.
func (s *flagsScreen) stateSpans(f flags.Flag) []span {
	var words []string
	for _, h := range f.Hosts {
		if !h.Present || h.Unreadable != "" {
			continue
		}
		w := flags.OnOff(h.On)
		if h.Deleted {
			w = "deleted"
		}
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	switch {
	case len(words) == 0 && hasUnreadable(f):
		return []span{styledSpan("BROKEN", &s.st.bad)}
	case len(words) == 0:
		return []span{styledSpan("ABSENT", &s.st.warn)}
	}
	var out []span
	for i, w := range words {
		if i > 0 {
			out = append(out, plainSpan("/"))
		}
		switch {
		case w == "deleted" && len(words) > 1:
			out = append(out, styledSpan("DEL", &s.st.dim)) // "DEL/OFF" fits the column
		case w == "deleted":
			out = append(out, styledSpan(w, &s.st.dim))
		case w == "ON":
			out = append(out, styledSpan(w, &s.st.on))
		default:
			out = append(out, styledSpan(w, &s.st.off))
		}
	}
	return out
}

// flagNotes are the NOTE column's remarks, most urgent first.
func (s *flagsScreen) flagNotes(f flags.Flag, a flags.Agreement) []note {
	var notes []note
	for _, h := range f.Hosts {
		if h.Unreadable != "" {
			notes = append(notes, note{"unreadable JSON on " + safe(h.Host), "bad JSON", nil})
			break
		}
	}
	if p, ok := s.pendingFor(s.set.Prefix, f.Key); ok {
		if _, undone := s.undoneOf(p); undone {
			// a Relay re-sync put LaunchDarkly's state back: the hosts no longer hold the change
			notes = append(notes, note{"UNDONE: pending " + flags.OnOff(p.Desired), "UNDONE", &s.st.warn})
		} else {
			n := "pending " + flags.OnOff(p.Desired)
			if p.BaseVersion != nil {
				n += sprintf(" (was %s v%d)", flags.OnOff(p.BaseOn), *p.BaseVersion)
			}
			notes = append(notes, note{n, "pending", nil})
		}
	}
	if failed := s.failedWrite(s.set.Prefix, f.Key); len(failed) > 0 {
		notes = append(notes, note{"write failed on " + safeJoin(failed, ", ") + ": T retries", "T retries", nil})
	}
	if d := a.Detail(); d != "" && len(a.Present) > 0 {
		short := ""
		switch {
		case len(a.Differ) > 0:
			short = versions(f) // STATE and HOSTS say the rest
		case len(a.Missing) > 0:
			short = sprintf("missing %d", len(a.Missing))
		}
		notes = append(notes, note{safe(d), short, nil})
	}
	if p, ok := primary(f); ok && len(p.Prerequisites) > 0 {
		notes = append(notes, note{"requires " + safeJoin(p.Prerequisites, ", "), sprintf("needs %d", len(p.Prerequisites)), nil})
	}
	if len(f.Dependants) > 0 {
		notes = append(notes, note{"required by " + safeJoin(f.Dependants, ", "), sprintf("used by %d", len(f.Dependants)), nil})
	}
	return notes
}

// versions are the distinct versions the hosts hold, "v5/v4"; "" when they are the same.
func versions(f flags.Flag) string {
	var vs []string
	for _, h := range f.Hosts {
		if v := sprintf("v%d", h.Version); h.Present && !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	if len(vs) < 2 {
		return ""
	}
	return strings.Join(vs, "/")
}

// fitNotes writes the notes in w columns, in whole words: each in full when it fits, else
// in its short form; what still does not fit is counted, "+1", and left to the details.
// Each note keeps its style; the spans are w columns wide.
func fitNotes(notes []note, w int) []span {
	var parts []span
	used, hidden := 0, 0
	for _, n := range notes {
		sep := 0
		if len(parts) > 0 {
			sep = 2
		}
		text := ""
		switch {
		case used+sep+ansi.StringWidth(n.full) <= w:
			text = n.full
		case n.short == "":
			continue // the other columns say it
		case used+sep+ansi.StringWidth(n.short) <= w:
			text = n.short
		default:
			hidden++
			continue
		}
		if sep > 0 {
			parts = append(parts, plainSpan("; "))
		}
		parts = append(parts, span{text: text, style: n.style})
		used += sep + ansi.StringWidth(text)
	}
	if more := sprintf("+%d", hidden); hidden > 0 && used+1+len(more) <= w {
		if used > 0 {
			more = " " + more
		}
		parts = append(parts, plainSpan(more))
		used += ansi.StringWidth(more)
	}
	if used < w {
		parts = append(parts, plainSpan(strings.Repeat(" ", w-used)))
	}
	return parts
}

// flagColumns are the table's column widths for this frame.
type flagColumns struct{ key, state, ver, hosts, note int }

// noteMin is the narrowest NOTE column worth its place: the short forms fit it.
const noteMin = 9

// flagColumns sizes the table to the visible rows (one long key elsewhere in the set does not
// take every row's notes). When the pane is narrow (56 columns at
// 80) what gives way, in order: the notes (to their short forms, then to a count), the VER
// column, and only then the flag key, which otherwise gets all it needs.
func (s *flagsScreen) flagColumns(w int, rows []flagCells) flagColumns {
	c := flagColumns{state: 7, ver: 4, hosts: 9} // "deleted", " VER", "3/3 agree"
	keyW := 4                                    // "FLAG"
	hasNotes := false
	for _, r := range rows {
		keyW = max(keyW, ansi.StringWidth(r.key))
		c.ver = max(c.ver, len(r.ver)+1)
		c.hosts = max(c.hosts, ansi.StringWidth(r.hosts.text))
		hasNotes = hasNotes || len(r.notes) > 0
	}
	base := 2 + 1 + c.state + 1 + c.hosts // cursor, gap, STATE, gap, HOSTS
	c.key = min(keyW, max(w-base-c.ver, 8))
	left := w - base - c.key
	switch {
	case left >= c.ver+1+noteMin || !hasNotes:
		c.note = left - c.ver - 1
	case left >= 1+noteMin:
		c.ver = 0
		c.note = left - 1
	default:
		c.note = left - c.ver - 1
	}
	c.note = max(0, c.note)
	return c
}

func (c flagColumns) heading() string {
	return c.line("  ", "FLAG", "STATE", "VER", "HOSTS", "NOTE")
}

func (c flagColumns) line(cur, key, state, ver, hosts, note string) string {
	l := cur + cell(key, c.key) + " " + cell(state, c.state)
	if c.ver > 0 {
		l += rcell(ver, c.ver)
	}
	l += " " + cell(hosts, c.hosts)
	if c.note > 0 {
		l += " " + cell(note, c.note)
	}
	return l
}

func (c flagColumns) row(r flagCells, cursor bool) []span {
	cur := "  "
	if cursor {
		cur = "> "
	}
	spans := []span{plainSpan(cur + cell(r.key, c.key) + " ")}
	stateW := 0
	for _, sp := range r.state {
		stateW += ansi.StringWidth(sp.text)
	}
	spans = append(spans, r.state...)
	pad := strings.Repeat(" ", max(0, c.state-stateW))
	if c.ver > 0 {
		pad += rcell(r.ver, c.ver)
	}
	spans = append(spans, plainSpan(pad+" "))
	h := r.hosts
	h.text = cell(h.text, c.hosts)
	spans = append(spans, h)
	if c.note > 0 {
		spans = append(spans, plainSpan(" "))
		spans = append(spans, fitNotes(r.notes, c.note)...)
	}
	return spans
}

func (s *flagsScreen) flagsTitleShort() string {
	t := s.set.Target
	if s.set.Mapped && t.Project != "" {
		return t.Project + " / " + t.Environment
	}
	return s.set.Prefix
}

func primaryRaw(f flags.Flag) (flags.HostFlag, bool) {
	i := slices.IndexFunc(f.Hosts, func(h flags.HostFlag) bool { return h.Present })
	if i < 0 {
		return flags.HostFlag{}, false
	}
	return f.Hosts[i], true
}
