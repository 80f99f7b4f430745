package tui

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
)

// envRow is one line of the environments pane: a project heading or a selectable prefix.
type envRow struct {
	heading  bool
	label    string
	prefix   string
	flags    int
	marks    string // short marks: ! no $inited, ? unmapped, ~ only on some hosts
	warnings []string
}

func (m *Model) applyDiscovery(d flags.Discovery) {
	m.discovered = true
	m.hosts = d.Hosts
	if len(m.hostNames) == 0 {
		for _, h := range d.Hosts {
			m.hostNames = append(m.hostNames, h.Host)
		}
	}
	up := 0
	for _, h := range d.Hosts {
		if h.Up {
			up++
		}
	}
	var rows []envRow
	lastProject := "\x00"
	for _, p := range d.Prefixes {
		project := p.Target.Project
		if !p.Mapped {
			project = "(unmapped prefixes)"
		}
		if project != lastProject {
			rows = append(rows, envRow{heading: true, label: project})
			lastProject = project
		}
		r := envRow{prefix: p.Prefix, label: p.Target.Environment}
		if !p.Mapped || r.label == "" {
			r.label = p.Prefix
		}
		var present, noInit []string
		for _, h := range p.Hosts {
			r.flags = max(r.flags, h.Flags)
			if h.Present {
				present = append(present, h.Host)
				if !h.Inited {
					noInit = append(noInit, h.Host)
				}
			}
		}
		if len(noInit) > 0 {
			r.marks += "!"
			r.warnings = append(r.warnings, "$inited missing on "+strings.Join(noInit, ", ")+": Relay answers 503 there")
		}
		if !p.Mapped {
			r.marks += "?"
			r.warnings = append(r.warnings, "unmapped prefix: project and environment unknown")
		}
		if len(present) < up {
			r.marks += "~"
			r.warnings = append(r.warnings, "only on "+strings.Join(present, ", "))
		}
		rows = append(rows, r)
	}
	m.envRows = rows
	m.envCursor = -1
	for i, r := range rows {
		if !r.heading && r.prefix == m.selPrefix {
			m.envCursor = i
		}
	}
	if m.envCursor < 0 {
		// first start, or the selected prefix is gone from every host: take the first
		for i, r := range rows {
			if !r.heading {
				m.envCursor = i
				if m.selPrefix != r.prefix {
					m.selPrefix = r.prefix
					m.flagCursor, m.flagTop = 0, 0
				}
				break
			}
		}
	}
}

func (m *Model) selectedEnv() (envRow, bool) {
	if m.envCursor < 0 || m.envCursor >= len(m.envRows) {
		return envRow{}, false
	}
	return m.envRows[m.envCursor], true
}

// applySet installs a prefix's flags, keeping the cursor on the same flag and the filter.
func (m *Model) applySet(set flags.FlagSet, err error) {
	if err != nil {
		m.setErr = err
		m.setStatus(err.Error(), true)
		if m.set.Prefix != m.selPrefix {
			m.set = flags.FlagSet{Prefix: m.selPrefix}
			m.lower = nil
			m.refilter("")
		}
		return
	}
	m.setErr = nil
	keep := ""
	if f, ok := m.cursorFlag(); ok && m.set.Prefix == set.Prefix {
		keep = f.Key
	}
	m.set = set
	m.setLoaded = true
	if len(set.Hosts) > 0 {
		m.hosts = set.Hosts
	}
	m.lower = make([]string, len(set.Flags))
	m.keyW = 0
	for i, f := range set.Flags {
		m.lower[i] = strings.ToLower(f.Key)
		m.keyW = max(m.keyW, len(f.Key))
	}
	m.refilter(keep)
}

// refilter recomputes the visible flags from the pre-lowercased keys and puts the cursor on
// keep when it is still visible.
func (m *Model) refilter(keep string) {
	q := strings.ToLower(m.filter)
	m.filtered = m.filtered[:0]
	for i, k := range m.lower {
		if q == "" || strings.Contains(k, q) {
			m.filtered = append(m.filtered, i)
		}
	}
	if keep != "" {
		for i, fi := range m.filtered {
			if m.set.Flags[fi].Key == keep {
				m.flagCursor = i
				m.clampFlagWindow()
				return
			}
		}
	}
	m.clampFlagWindow()
}

func (m *Model) cursorFlag() (flags.Flag, bool) {
	if m.flagCursor < 0 || m.flagCursor >= len(m.filtered) {
		return flags.Flag{}, false
	}
	return m.set.Flags[m.filtered[m.flagCursor]], true
}

// flagRows is how many table rows fit in the flags pane.
func (m *Model) flagRows() int {
	h := m.bodyHeight() - 2 - 1 // border, column heading
	if env, ok := m.selectedEnv(); ok && len(env.warnings) > 0 {
		h--
	}
	if m.filtering || m.filter != "" {
		h--
	}
	return max(1, h)
}

func (m *Model) bodyHeight() int {
	h := m.height - 2 - 2
	if len(m.drift) > 0 {
		h--
	}
	return h
}

func (m *Model) clampFlagWindow() {
	n := len(m.filtered)
	if m.flagCursor >= n {
		m.flagCursor = n - 1
	}
	if m.flagCursor < 0 {
		m.flagCursor = 0
	}
	rows := m.flagRows()
	if m.flagCursor < m.flagTop {
		m.flagTop = m.flagCursor
	}
	if m.flagCursor >= m.flagTop+rows {
		m.flagTop = m.flagCursor - rows + 1
	}
	if m.flagTop > max(0, n-rows) {
		m.flagTop = max(0, n-rows)
	}
	if m.flagTop < 0 {
		m.flagTop = 0
	}
}

func (m *Model) updateFlags(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.details {
		switch {
		case key.Matches(msg, k.Back):
			m.details = false
		case key.Matches(msg, k.Up):
			m.detailTop = max(0, m.detailTop-1)
		case key.Matches(msg, k.Down):
			m.detailTop++
		case key.Matches(msg, k.Toggle):
			return m.openConfirm()
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Pane):
		if m.focus == paneEnvs {
			m.focus = paneFlags
		} else {
			m.focus = paneEnvs
		}
		return nil
	case key.Matches(msg, k.Filter):
		m.filtering = true
		m.focus = paneFlags
		return nil
	case key.Matches(msg, k.Back):
		if m.filter != "" {
			m.filter = ""
			m.refilterKeep()
		}
		return nil
	case key.Matches(msg, k.Toggle):
		if m.focus != paneFlags {
			m.setStatus("choose a flag first: tab moves to the flags", false)
			return nil
		}
		return m.openConfirm()
	case key.Matches(msg, k.Details):
		if m.focus == paneEnvs {
			m.focus = paneFlags
			return nil
		}
		if _, ok := m.cursorFlag(); ok {
			m.details = true
			m.detailTop = 0
		}
		return nil
	}
	if m.focus == paneEnvs {
		return m.moveEnv(msg)
	}
	m.moveFlag(msg)
	return nil
}

func (m *Model) refilterKeep() {
	keep := ""
	if f, ok := m.cursorFlag(); ok {
		keep = f.Key
	}
	m.refilter(keep)
}

func (m *Model) moveFlag(msg tea.KeyPressMsg) {
	k := m.keys
	n := len(m.filtered)
	switch {
	case key.Matches(msg, k.Up):
		m.flagCursor--
	case key.Matches(msg, k.Down):
		m.flagCursor++
	case key.Matches(msg, k.PageUp):
		m.flagCursor -= m.flagRows()
	case key.Matches(msg, k.PageDown):
		m.flagCursor += m.flagRows()
	case key.Matches(msg, k.Top):
		m.flagCursor = 0
	case key.Matches(msg, k.Bottom):
		m.flagCursor = n - 1
	default:
		return
	}
	m.clampFlagWindow()
}

func (m *Model) moveEnv(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	step := 0
	switch {
	case key.Matches(msg, k.Up):
		step = -1
	case key.Matches(msg, k.Down):
		step = 1
	case key.Matches(msg, k.Top):
		step = -len(m.envRows)
	case key.Matches(msg, k.Bottom):
		step = len(m.envRows)
	default:
		return nil
	}
	i := m.envCursor
	dir := 1
	if step < 0 {
		dir = -1
	}
	for moved := 0; moved < abs(step); {
		j := i + dir
		for j >= 0 && j < len(m.envRows) && m.envRows[j].heading {
			j += dir
		}
		if j < 0 || j >= len(m.envRows) {
			break
		}
		i = j
		moved++
	}
	if i == m.envCursor || i < 0 {
		return nil
	}
	m.envCursor = i
	m.selPrefix = m.envRows[i].prefix
	m.flagCursor, m.flagTop = 0, 0
	m.setLoaded = false
	return m.loadFlagsCmd(m.selPrefix)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (m *Model) updateFilter(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.filtering = false
		return nil
	case "esc":
		m.filtering = false
		m.filter = ""
		m.refilterKeep()
		return nil
	case "backspace":
		if r := []rune(m.filter); len(r) > 0 {
			m.filter = string(r[:len(r)-1])
			m.refilterKeep()
		}
		return nil
	case "ctrl+u":
		m.filter = ""
		m.refilterKeep()
		return nil
	}
	if key.Matches(msg, m.keys.Up, m.keys.Down, m.keys.PageUp, m.keys.PageDown) && msg.Text == "" {
		m.moveFlag(msg)
		return nil
	}
	if msg.Text != "" && msg.Mod == 0 || msg.Text != "" && msg.Mod == tea.ModShift {
		m.filter += msg.Text
		m.flagCursor, m.flagTop = 0, 0
		m.refilter("")
	}
	return nil
}

// pendingFor is the journal's pending change of a flag, if any.
func (m *Model) pendingFor(prefix, flag string) (journal.Pending, bool) {
	i, ok := m.pendingByKey[prefix+"\x00"+flag]
	if !ok || i >= len(m.pending) {
		return journal.Pending{}, false
	}
	return m.pending[i], true
}

// primary is the state the table shows: the first reachable host's readable state.
func primary(f flags.Flag) (flags.HostFlag, bool) { return f.Primary() }

// hostsAgree summarises whether the reachable hosts agree on a flag: "2/3 agree", "DIFFER",
// or "MISSING" when an up host lacks it, and describes the difference. Down hosts are in the
// header; they do not make every flag look different.
func hostsAgree(f flags.Flag, down map[string]bool) (short string, agree bool, detail string) {
	var present []flags.HostFlag
	var missing []string
	for _, h := range f.Hosts {
		switch {
		case h.Present:
			present = append(present, h)
		case !down[h.Host] && !h.HostDown:
			missing = append(missing, h.Host)
		}
	}
	if len(present) == 0 {
		return "NONE", false, "on no reachable host"
	}
	p := present[0]
	var diffs []string
	for _, h := range present[1:] {
		if h.On != p.On || h.Version != p.Version || h.Deleted != p.Deleted || (h.Unreadable == "") != (p.Unreadable == "") {
			diffs = append(diffs, h.Host+": "+hostState(h))
		}
	}
	if len(missing) > 0 {
		diffs = append(diffs, "missing on "+strings.Join(missing, ", "))
	}
	if len(diffs) > 0 {
		if len(missing) > 0 && len(diffs) == 1 {
			return "MISSING", false, diffs[0]
		}
		return "DIFFER", false, strings.Join(diffs, "; ")
	}
	return sprintf("%d/%d agree", len(present), len(f.Hosts)), true, ""
}

func (m *Model) downHosts() map[string]bool {
	d := map[string]bool{}
	for _, h := range m.hosts {
		if !h.Up {
			d[h.Host] = true
		}
	}
	return d
}

func hostState(h flags.HostFlag) string {
	switch {
	case !h.Present:
		return "absent"
	case h.Unreadable != "":
		return "unreadable"
	case h.Deleted:
		return sprintf("deleted v%d", h.Version)
	default:
		return sprintf("%s v%d", onOff(h.On), h.Version)
	}
}

func (m *Model) flagsView(h int) []string {
	if m.details {
		return m.detailsView(h)
	}
	envW := min(max(m.width/4, 22), 34)
	flagsW := m.width - envW
	left := box("Environments", m.envLines(h-2, envW-2), envW, h, m.focus == paneEnvs, m.st)
	right := box(m.flagsTitle(), m.flagLines(h-2, flagsW-2), flagsW, h, m.focus == paneFlags, m.st)
	return sideBySide(left, right)
}

func (m *Model) envLines(h, w int) []string {
	if !m.discovered {
		return []string{m.st.dim.Render("reading Redis…")}
	}
	if len(m.envRows) == 0 {
		return m.noPrefixLines(w, false)
	}
	// keep the cursor visible
	top := 0
	if m.envCursor >= h {
		top = m.envCursor - h + 1
	}
	out := make([]string, 0, h)
	for i := top; i < len(m.envRows) && len(out) < h; i++ {
		r := m.envRows[i]
		if r.heading {
			out = append(out, m.st.bold.Render(cell(r.label, w)))
			continue
		}
		marks := r.marks
		label := cell(r.label, w-2-4-1-2)
		line := "  " + label + rcell(sprintf("%d", r.flags), 4) + " " + marks
		if i == m.envCursor {
			line = "> " + line[2:]
			line = cell(line, w)
			if m.focus == paneEnvs {
				line = m.st.cursor.Render(line)
			} else {
				line = m.st.bold.Render(line)
			}
		} else if marks != "" {
			line = "  " + label + rcell(sprintf("%d", r.flags), 4) + " " + m.st.warn.Render(marks)
		}
		out = append(out, line)
	}
	return out
}

func (m *Model) flagsTitle() string {
	env, ok := m.selectedEnv()
	if !ok {
		return "Flags"
	}
	t := m.set.Target
	name := env.prefix
	if m.set.Mapped && t.Project != "" {
		name = t.Project + " / " + t.Environment
	}
	tail := sprintf("  %d flags", len(m.set.Flags))
	if name != env.prefix && ansi.StringWidth(name+"  "+env.prefix+tail) < m.width*3/4-4 {
		name += "  " + env.prefix
	}
	return name + tail
}

// noPrefixLines says why there is nothing to browse: every host down (with each one's error),
// or hosts that hold no Relay store. The left pane gets the headline, the wider right pane
// the details.
func (m *Model) noPrefixLines(w int, details bool) []string {
	var down []flags.HostStatus
	for _, h := range m.hosts {
		if !h.Up {
			down = append(down, h)
		}
	}
	if len(m.hosts) > 0 && len(down) == len(m.hosts) {
		if !details {
			return []string{m.st.bad.Render("no Redis host answered")}
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

func (m *Model) flagLines(h, w int) []string {
	var out []string
	env, _ := m.selectedEnv()
	if len(env.warnings) > 0 {
		out = append(out, m.st.warn.Render(cell(env.marks+" "+strings.Join(env.warnings, "; "), w)))
	}
	if m.filtering || m.filter != "" {
		in := m.filter
		if m.filtering {
			in += "█"
		}
		out = append(out, m.st.key.Render("filter /")+in+m.st.dim.Render(sprintf("   %d of %d match", len(m.filtered), len(m.set.Flags))))
	}
	out = append(out, m.st.dim.Render(m.flagRow(w, "  ", "FLAG", "STATE", "VER", "HOSTS", "NOTE")))
	if m.discovered && len(m.envRows) == 0 {
		return append(out, m.noPrefixLines(w, true)...)
	}
	if !m.setLoaded && m.setErr == nil {
		return append(out, m.st.dim.Render("reading flags…"))
	}
	if m.setErr != nil && len(m.set.Flags) == 0 {
		return append(out, wrapText(m.setErr.Error(), w)...)
	}
	if len(m.filtered) == 0 {
		if m.filter != "" {
			return append(out, "no flag key contains \""+m.filter+"\"")
		}
		return append(out, "no flags under this prefix")
	}
	rows := h - len(out)
	end := min(len(m.filtered), m.flagTop+rows)
	down := m.downHosts()
	for i := m.flagTop; i < end; i++ {
		f := m.set.Flags[m.filtered[i]]
		cur := "  "
		if i == m.flagCursor {
			cur = "> "
		}
		state, ver := "ABSENT", ""
		if p, ok := primary(f); ok {
			ver = sprintf("%d", p.Version)
			state = onOff(p.On)
			if p.Deleted {
				state = "deleted"
			}
		} else if hasUnreadable(f) {
			state = "BROKEN"
		}
		hosts, _, detail := hostsAgree(f, down)
		note := m.flagNote(f, detail)
		line := m.flagRow(w, cur, f.Key, state, ver, hosts, note)
		if i == m.flagCursor {
			if m.focus == paneFlags {
				line = m.st.cursor.Render(line)
			} else {
				line = m.st.bold.Render(line)
			}
		}
		out = append(out, line)
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

func (m *Model) flagNote(f flags.Flag, hostDetail string) string {
	var notes []string
	if hasUnreadable(f) {
		notes = append(notes, "unreadable JSON on "+firstUnreadable(f))
	}
	if p, ok := m.pendingFor(m.set.Prefix, f.Key); ok {
		n := "pending " + onOff(p.Desired)
		if p.BaseVersion != nil {
			n += sprintf(" (was %s v%d)", onOff(p.BaseOn), *p.BaseVersion)
		}
		notes = append(notes, n)
	}
	if hostDetail != "" {
		notes = append(notes, hostDetail)
	}
	if p, ok := primary(f); ok && len(p.Prerequisites) > 0 {
		notes = append(notes, "requires "+strings.Join(p.Prerequisites, ", "))
	}
	if len(f.Dependants) > 0 {
		notes = append(notes, sprintf("%d dependant(s)", len(f.Dependants)))
	}
	return strings.Join(notes, "; ")
}

// flagRow lays out one table row; the flag key gets what it needs of what the fixed columns
// leave, the note the rest.
func (m *Model) flagRow(w int, cur, flag, state, ver, hosts, note string) string {
	const stateW, verW, hostsW = 7, 4, 10
	rest := w - 2 - 1 - stateW - verW - 1 - hostsW
	keyW := min(max(m.keyW, 12), max(rest-8, 12), 48)
	noteW := max(0, rest-keyW)
	return cur + cell(flag, keyW) + " " + cell(state, stateW) + rcell(ver, verW) + " " + cell(hosts, hostsW) + cell(note, noteW)
}

func (m *Model) detailsView(h int) []string {
	f, ok := m.cursorFlag()
	if !ok {
		return m.flagsView(h) // the flag is gone; Update closes the details
	}
	lines := m.detailLines(f)
	top := min(m.detailTop, max(0, len(lines)-(h-2)))
	title := f.Key + "  " + m.flagsTitleShort()
	return box(title, lines[top:], m.width, h, true, m.st)
}

// settleDetails closes the details when their flag is gone and keeps their scroll inside
// the text.
func (m *Model) settleDetails() {
	if !m.details {
		return
	}
	f, ok := m.cursorFlag()
	if !ok {
		m.details = false
		return
	}
	m.detailTop = min(m.detailTop, max(0, len(m.detailLines(f))-(m.bodyHeight()-2)))
}

// detailLines is everything the details say about one flag.
func (m *Model) detailLines(f flags.Flag) []string {
	w := m.width - 2
	var lines []string
	short, _, detail := hostsAgree(f, m.downHosts())
	head := "hosts " + short
	if detail != "" {
		head += ": " + detail
	}
	lines = append(lines, head, "")
	lines = append(lines, m.st.dim.Render(sprintf("%-14s %-10s %5s  %-12s %s", "HOST", "STATE", "VER", "OFF SERVES", "PREREQUISITES")))
	for _, hf := range f.Hosts {
		state := onOff(hf.On)
		if hf.Deleted {
			state = "deleted"
		}
		if !hf.Present {
			state = "absent"
			if hf.HostDown || m.downHosts()[hf.Host] {
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
		lines = append(lines, sprintf("%-14s %-10s %5s  %-12s %s", cell(hf.Host, 14), state, ver, off, strings.Join(hf.Prerequisites, ", ")))
	}
	lines = append(lines, "")
	if len(f.Dependants) > 0 {
		lines = append(lines, "dependants (flags that require this one): "+strings.Join(f.Dependants, ", "))
	} else {
		lines = append(lines, "dependants: none")
	}
	if p, ok := m.pendingFor(m.set.Prefix, f.Key); ok {
		lines = append(lines, sprintf("pending: %s -> %s, %d change(s), not yet in LaunchDarkly", onOff(p.BaseOn), onOff(p.Desired), len(p.Entries)))
	}
	lines = append(lines, "")
	if p, ok := primaryRaw(f); ok {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(p.Raw), "", "  "); err == nil {
			lines = append(lines, m.st.dim.Render("raw JSON on "+p.Host+" (indented; ↑/↓ scroll):"))
			lines = append(lines, strings.Split(ansiHardwrap(pretty.String(), w-2), "\n")...)
		} else {
			lines = append(lines, m.st.dim.Render("raw JSON on "+p.Host+" (unreadable, as stored):"))
			lines = append(lines, strings.Split(ansiHardwrap(p.Raw, w-2), "\n")...)
		}
	}
	return lines
}

func (m *Model) flagsTitleShort() string {
	t := m.set.Target
	if m.set.Mapped && t.Project != "" {
		return t.Project + " / " + t.Environment
	}
	return m.set.Prefix
}

func primaryRaw(f flags.Flag) (flags.HostFlag, bool) {
	i := slices.IndexFunc(f.Hosts, func(h flags.HostFlag) bool { return h.Present })
	if i < 0 {
		return flags.HostFlag{}, false
	}
	return f.Hosts[i], true
}
