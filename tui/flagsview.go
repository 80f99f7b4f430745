package tui

import (
	"bytes"
	"encoding/json"
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
	envW := min(max(s.width/4, 22), 34)
	flagsW := s.width - envW
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

// envProtected says which rows of the environments pane are protected environments. envRow
// keeps no Target, so it is read back from the rows applyDiscovery builds: the project is the
// heading's label, the environment the row's label, and a ? mark means unmapped.
func (s *flagsScreen) envProtected() []bool {
	out := make([]bool, len(s.envRows))
	for i, r := range s.envRows {
		out[i] = !r.heading && s.isProtected(r.target, r.mapped)
	}
	return out
}

// envLayout is the environments pane's columns after the name, from the right edge: the
// protected word, the marks, the flag count.
type envLayout struct {
	countW int    // 0: the counts gave way
	marksW int    // 0: no row has marks
	word   string // protectedWord or protectedShort; "" when no row is protected
}

// tailW is the columns right of the name.
func (l envLayout) tailW(marks, word bool) int {
	w := l.countW
	if marks && l.marksW > 0 {
		w += 1 + l.marksW
	}
	if word && l.word != "" {
		w += 1 + ansi.StringWidth(l.word)
	}
	return w
}

// envLayoutFor decides, for the whole pane so that its columns line up, what gives way when
// the pane is narrow (20 columns at 80): the flag counts, then the long protected word. A
// row's marks give way next (envRowLine), the environment name last of all.
func (s *flagsScreen) envLayoutFor(w int, protected []bool) envLayout {
	var countW, marksW int
	words := []string{""}
	for i, r := range s.envRows {
		if r.heading {
			continue
		}
		countW = max(countW, len(sprintf("%d", r.flags))+1)
		marksW = max(marksW, ansi.StringWidth(r.marks))
		if protected[i] {
			words = []string{protectedWord, protectedShort}
		}
	}
	fits := func(l envLayout) bool {
		for _, r := range s.envRows {
			if !r.heading && ansi.StringWidth(safe(r.label)) > w-2-l.tailW(true, true) {
				return false
			}
		}
		return true
	}
	for _, counts := range []int{countW, 0} {
		for _, word := range words {
			l := envLayout{countW: counts, marksW: marksW, word: word}
			if fits(l) {
				return l
			}
		}
	}
	return envLayout{marksW: marksW, word: words[len(words)-1]}
}

func (s *flagsScreen) envLines(h, w int) []string {
	if !s.discovered {
		return []string{s.st.dim.Render("reading Redis…")}
	}
	if len(s.envRows) == 0 {
		return s.noPrefixLines(w, false)
	}
	protected := s.envProtected()
	layout := s.envLayoutFor(w, protected)
	p := s.painter(s.focus == paneEnvs)
	// keep the cursor visible
	top := 0
	if s.envCursor >= h {
		top = s.envCursor - h + 1
	}
	out := make([]string, 0, h)
	for i := top; i < len(s.envRows) && len(out) < h; i++ {
		r := s.envRows[i]
		if r.heading {
			out = append(out, s.st.bold.Render(cell(safe(r.label), w)))
			continue
		}
		out = append(out, s.envRowLine(p, r, protected[i], i == s.envCursor, layout, w))
	}
	return out
}

// envRowLine draws one environment: "> production  10 !  PROT". A name too long for its
// row takes the marks' columns, then (unprotected) the protected word's, before it is cut.
func (s *flagsScreen) envRowLine(p *painter, r envRow, protected, cursor bool, l envLayout, w int) string {
	name := safe(r.label)
	marks, word := l.marksW > 0, l.word != ""
	room := func() int { return w - 2 - l.tailW(marks, word) }
	if ansi.StringWidth(name) > room() {
		marks = false
	}
	if ansi.StringWidth(name) > room() && !protected {
		word = false
	}
	cur := "  "
	if cursor {
		cur = "> "
	}
	spans := []span{plainSpan(cur + cell(name, room()))}
	if l.countW > 0 {
		spans = append(spans, plainSpan(rcell(sprintf("%d", r.flags), l.countW)))
	}
	if marks {
		spans = append(spans, plainSpan(" "), styledSpan(cell(r.marks, l.marksW), &s.st.warn))
	}
	if word {
		mark := strings.Repeat(" ", ansi.StringWidth(l.word))
		if protected {
			spans = append(spans, plainSpan(" "), styledSpan(l.word, &s.st.protected))
		} else {
			spans = append(spans, plainSpan(" "+mark))
		}
	}
	return p.paint(spans, cursor)
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

func (s *flagsScreen) flagLines(h, w int) []string {
	var out []string
	env, _ := s.selectedEnv()
	if len(env.warnings) > 0 {
		out = append(out, s.st.warn.Render(cell(env.marks+" "+strings.Join(env.warnings, "; "), w)))
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
type note struct{ full, short string }

func (s *flagsScreen) flagCells(f flags.Flag, downNames []string) flagCells {
	a := f.Agreement(downNames...)
	c := flagCells{key: safe(f.Key), state: s.stateSpans(f)}
	if p, ok := primary(f); ok {
		c.ver = sprintf("%d", p.Version)
	}
	c.hosts = plainSpan(s.hostsWord(a))
	if !a.Agree() {
		c.hosts = styledSpan(a.ShortDown(), &s.st.warn) // DIFFER, MISSING, NONE
	}
	c.notes = s.flagNotes(f, a)
	return c
}

// hostsWord is the HOSTS column's word (flags.Agreement.ShortDown), except that hosts the
// selected prefix's read still waits for are "reading", not down: "1 up, 1 reading".
func (s *flagsScreen) hostsWord(a flags.Agreement) string {
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
			notes = append(notes, note{"unreadable JSON on " + safe(h.Host), "bad JSON"})
			break
		}
	}
	if p, ok := s.pendingFor(s.set.Prefix, f.Key); ok {
		n := "pending " + flags.OnOff(p.Desired)
		if p.BaseVersion != nil {
			n += sprintf(" (was %s v%d)", flags.OnOff(p.BaseOn), *p.BaseVersion)
		}
		notes = append(notes, note{n, "pending"})
	}
	if failed := s.failedWrite(s.set.Prefix, f.Key); len(failed) > 0 {
		notes = append(notes, note{"write failed on " + safeJoin(failed, ", ") + ": T retries", "T retries"})
	}
	if d := a.Detail(); d != "" && len(a.Present) > 0 {
		short := ""
		switch {
		case len(a.Differ) > 0:
			short = versions(f) // STATE and HOSTS say the rest
		case len(a.Missing) > 0:
			short = sprintf("missing %d", len(a.Missing))
		}
		notes = append(notes, note{safe(d), short})
	}
	if p, ok := primary(f); ok && len(p.Prerequisites) > 0 {
		notes = append(notes, note{"requires " + safeJoin(p.Prerequisites, ", "), sprintf("needs %d", len(p.Prerequisites))})
	}
	if len(f.Dependants) > 0 {
		notes = append(notes, note{"required by " + safeJoin(f.Dependants, ", "), sprintf("used by %d", len(f.Dependants))})
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
func fitNotes(notes []note, w int) string {
	var parts []string
	used, hidden := 0, 0
	for _, n := range notes {
		sep := 0
		if len(parts) > 0 {
			sep = 2
		}
		switch {
		case used+sep+ansi.StringWidth(n.full) <= w:
			parts = append(parts, n.full)
			used += sep + ansi.StringWidth(n.full)
		case n.short == "":
			// the other columns say it
		case used+sep+ansi.StringWidth(n.short) <= w:
			parts = append(parts, n.short)
			used += sep + ansi.StringWidth(n.short)
		default:
			hidden++
		}
	}
	out := strings.Join(parts, "; ")
	if more := sprintf("+%d", hidden); hidden > 0 && used+1+len(more) <= w {
		out = strings.TrimSpace(out + " " + more)
	}
	return out
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
		spans = append(spans, plainSpan(" "+cell(fitNotes(r.notes, c.note), c.note)))
	}
	return spans
}

func (s *flagsScreen) detailsView(h int) []string {
	f, ok := s.cursorFlag()
	if !ok {
		return s.flagsView(h) // the flag is gone; Update closes the details
	}
	lines := s.detailLines(f)
	top := min(s.detail.YOffset(), max(0, len(lines)-(h-2)))
	title := s.protectedLead() + f.Key + "  " + s.flagsTitleShort()
	pane := box(title, lines[top:], s.width, h, true, s.st)
	if s.paneProtected() {
		pane = s.paintProtectedTitle(pane)
	}
	return pane
}

// detailLines is everything the details say about one flag.
func (s *flagsScreen) detailLines(f flags.Flag) []string {
	w := s.width - 2
	var lines []string
	a := f.Agreement(s.downNames()...)
	short, detail := s.hostsWord(a), a.Detail()
	head := "hosts " + short
	if detail != "" {
		head += ": " + safe(detail)
	}
	lines = append(lines, head, "")
	lines = append(lines, s.st.dim.Render(sprintf("%-14s %-10s %5s  %-12s %s", "HOST", "STATE", "VER", "OFF SERVES", "PREREQUISITES")))
	for _, hf := range f.Hosts {
		state := flags.OnOff(hf.On)
		if hf.Deleted {
			state = "deleted"
		}
		if !hf.Present {
			state = "absent"
			if hf.HostDown || s.downHosts()[hf.Host] {
				state = "host DOWN"
			}
		}
		off := "-"
		if hf.Present && hf.Unreadable == "" && !hf.Deleted {
			off = "app default"
			if hf.OffVariation != nil {
				off = sprintf("variation %d", *hf.OffVariation)
			}
		}
		ver := ""
		if hf.Present {
			ver = sprintf("%d", hf.Version)
		}
		if hf.Unreadable != "" {
			state = "unreadable"
			off = hf.Unreadable
		}
		lines = append(lines, sprintf("%-14s %s %5s  %-12s %s", cell(hf.Host, 14), s.hostStateCell(state, 10), ver, safe(off), safeJoin(hf.Prerequisites, ", ")))
	}
	lines = append(lines, "")
	if len(f.Dependants) > 0 {
		lines = append(lines, "dependants (flags that require this one): "+safeJoin(f.Dependants, ", "))
	} else {
		lines = append(lines, "dependants: none")
	}
	if p, ok := s.pendingFor(s.set.Prefix, f.Key); ok {
		lines = append(lines, sprintf("pending: %s -> %s, %d %s, not yet in LaunchDarkly", flags.OnOff(p.BaseOn), flags.OnOff(p.Desired), len(p.Entries), changesWord(len(p.Entries))))
	}
	lines = append(lines, "")
	if p, ok := primaryRaw(f); ok {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(p.Raw), "", "  "); err == nil {
			lines = append(lines, s.st.dim.Render("raw JSON on "+p.Host+" (indented; ↑/↓ scroll):"))
			lines = append(lines, strings.Split(ansiHardwrap(pretty.String(), w-2), "\n")...)
		} else {
			lines = append(lines, s.st.dim.Render("raw JSON on "+p.Host+" (unreadable, as stored):"))
			lines = append(lines, strings.Split(ansiHardwrap(p.Raw, w-2), "\n")...)
		}
	}
	return lines
}

// hostStateCell is a host's state in the details, w wide, in its colour.
func (s *flagsScreen) hostStateCell(state string, w int) string {
	text := cell(state, w)
	switch state {
	case "ON":
		return s.st.on.Render(text)
	case "OFF":
		return s.st.off.Render(text)
	case "host DOWN", "unreadable":
		return s.st.bad.Render(text)
	case "absent":
		return s.st.warn.Render(text)
	case "deleted":
		return s.st.dim.Render(text)
	}
	return text
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
