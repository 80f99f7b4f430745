package tui

import (
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
)

// flagsScreen is the home screen: the environments of every Redis host on the left, the
// flags of the selected one on the right, a filter, and a flag's details.
type flagsScreen struct {
	*common
	results *resultsScreen // a write still running holds off the next toggle

	discovered bool
	envRows    []envRow
	envCursor  int
	selPrefix  string
	set        flags.FlagSet
	setLoaded  bool
	setErr     error
	lower      []string // pre-lowercased flag keys, for the filter
	filter     textField
	filtering  bool
	filtered   []int // indexes into set.Flags, best match first
	// the filter's working lists, kept between keys so that typing allocates nothing
	containsBuf []int
	fuzzyBuf    []fuzzyHit
	windowBuf   []int
	flagCursor  int // index into filtered
	flagTop     int // first visible row
	focus       pane
	details     bool
	detail      viewport.Model // the details' scroll
	flagsSeq    int

	// A read host by host (progressiveStore): the prefix it reads ("" when none runs), the
	// hosts it still waits for, and the status note it put up about them.
	inFlight string
	reading  []string
	readNote string
}

type pane int

const (
	paneEnvs pane = iota
	paneFlags
)

func newFlagsScreen(c *common, results *resultsScreen) *flagsScreen {
	return &flagsScreen{common: c, results: results, focus: paneFlags, filter: newTextField(), detail: viewport.New()}
}

// Update handles a key: the filter while it is typed, else the panes or the details.
func (s *flagsScreen) Update(msg tea.KeyPressMsg) (tea.Cmd, dialog) {
	if s.filtering {
		return s.updateFilter(msg), nil
	}
	return s.updateFlags(msg)
}

// capturing says the filter is being typed: it takes every key, global ones too.
func (s *flagsScreen) capturing() bool { return s.filtering }

// slowReadAfter is how long a host may take to answer a read before the status says that
// it is still being read.
const slowReadAfter = 250 * time.Millisecond

// envRow is one line of the environments pane: a project heading or a selectable prefix.
type envRow struct {
	heading  bool
	label    string
	prefix   string
	flags    int
	marks    string // short marks: ! no $inited, ? unmapped, ~ only on some hosts
	warnings []string
	target   flags.Target // the prefix's project and environment, when mapped
	mapped   bool
}

func (s *flagsScreen) applyDiscovery(d flags.Discovery) {
	s.discovered = true
	s.hosts = d.Hosts
	if len(s.hostNames) == 0 {
		for _, h := range d.Hosts {
			s.hostNames = append(s.hostNames, h.Host)
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
		r := envRow{prefix: p.Prefix, label: p.Target.Environment, target: p.Target, mapped: p.Mapped}
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
	s.envRows = rows
	s.envCursor = -1
	for i, r := range rows {
		if !r.heading && r.prefix == s.selPrefix {
			s.envCursor = i
		}
	}
	if s.envCursor < 0 {
		// first start, or the selected prefix is gone from every host: take the first
		for i, r := range rows {
			if !r.heading {
				s.envCursor = i
				if s.selPrefix != r.prefix {
					s.selPrefix = r.prefix
					s.flagCursor, s.flagTop = 0, 0
				}
				break
			}
		}
	}
}

func (s *flagsScreen) selectedEnv() (envRow, bool) {
	if s.envCursor < 0 || s.envCursor >= len(s.envRows) {
		return envRow{}, false
	}
	return s.envRows[s.envCursor], true
}

// applySet installs a prefix's flags, keeping the cursor on the same flag and the filter.
func (s *flagsScreen) applySet(set flags.FlagSet, err error) {
	s.mergeHosts(set.Hosts)
	if err != nil {
		s.setErr = err
		s.setStatus(err.Error(), true)
		if s.set.Prefix != s.selPrefix {
			s.set = flags.FlagSet{Prefix: s.selPrefix}
			s.lower = nil
			s.refilter("")
		}
		return
	}
	s.setErr = nil
	keep := ""
	if f, ok := s.cursorFlag(); ok && s.set.Prefix == set.Prefix {
		keep = f.Key
	}
	s.set = set
	s.setLoaded = true
	s.lower = make([]string, len(set.Flags))
	for i, f := range set.Flags {
		s.lower[i] = strings.ToLower(f.Key)
	}
	s.refilter(keep)
}

func (s *flagsScreen) cursorFlag() (flags.Flag, bool) {
	if s.flagCursor < 0 || s.flagCursor >= len(s.filtered) {
		return flags.Flag{}, false
	}
	return s.set.Flags[s.filtered[s.flagCursor]], true
}

// flagRows is how many table rows fit in the flags pane.
func (s *flagsScreen) flagRows() int {
	h := s.bodyHeight() - 2 - 1 // border, column heading
	if env, ok := s.selectedEnv(); ok {
		_, flagsW := s.paneWidths()
		h -= len(envWarningLines(env, flagsW-2))
	}
	if s.filtering || s.filter.value() != "" {
		h--
	}
	h -= len(s.cfg.Relays) // the Relays' lines (relays.go)
	return max(1, h)
}

func (s *flagsScreen) clampFlagWindow() {
	n := len(s.filtered)
	if s.flagCursor >= n {
		s.flagCursor = n - 1
	}
	if s.flagCursor < 0 {
		s.flagCursor = 0
	}
	rows := s.flagRows()
	if s.flagCursor < s.flagTop {
		s.flagTop = s.flagCursor
	}
	if s.flagCursor >= s.flagTop+rows {
		s.flagTop = s.flagCursor - rows + 1
	}
	if s.flagTop > max(0, n-rows) {
		s.flagTop = max(0, n-rows)
	}
	if s.flagTop < 0 {
		s.flagTop = 0
	}
}

func (s *flagsScreen) updateFlags(msg tea.KeyPressMsg) (tea.Cmd, dialog) {
	k := s.keys
	if s.details {
		switch {
		case key.Matches(msg, k.Back):
			s.details = false
		case key.Matches(msg, k.Up):
			s.detail.ScrollUp(1)
		case key.Matches(msg, k.Down):
			s.detail.ScrollDown(1)
		case key.Matches(msg, k.Toggle):
			return nil, s.openConfirm()
		}
		return nil, nil
	}
	switch {
	case key.Matches(msg, k.Pane):
		if s.focus == paneEnvs {
			s.focus = paneFlags
		} else {
			s.focus = paneEnvs
		}
		return nil, nil
	case key.Matches(msg, k.PaneLeft):
		s.focus = paneEnvs
		return nil, nil
	case key.Matches(msg, k.PaneRight):
		s.focus = paneFlags
		return nil, nil
	case key.Matches(msg, k.Filter):
		s.filtering = true
		s.focus = paneFlags
		return nil, nil
	case key.Matches(msg, k.Back):
		if s.filter.value() != "" {
			s.filter.reset()
			s.refilterKeep()
		}
		return nil, nil
	case key.Matches(msg, k.LastWrite):
		s.showLastWrite()
		return nil, nil
	case key.Matches(msg, k.Retry):
		return s.retryFailed(), nil
	case key.Matches(msg, k.Toggle):
		if s.focus != paneFlags {
			s.setStatus("choose a flag first: tab or l moves to the flags", false)
			return nil, nil
		}
		return nil, s.openConfirm()
	case key.Matches(msg, k.Details):
		if s.focus == paneEnvs {
			s.focus = paneFlags
			return nil, nil
		}
		if !s.setReady() {
			s.setStatus(s.loadingNote(), false)
			return nil, nil
		}
		if _, ok := s.cursorFlag(); ok {
			s.details = true
			s.detail.GotoTop()
		}
		return nil, nil
	}
	if s.focus == paneEnvs {
		return s.moveEnv(msg), nil
	}
	s.moveFlag(msg)
	return nil, nil
}

func (s *flagsScreen) moveFlag(msg tea.KeyPressMsg) {
	k := s.keys
	n := len(s.filtered)
	switch {
	case key.Matches(msg, k.Up):
		s.flagCursor--
	case key.Matches(msg, k.Down):
		s.flagCursor++
	case key.Matches(msg, k.PageUp):
		s.flagCursor -= s.flagRows()
	case key.Matches(msg, k.PageDown):
		s.flagCursor += s.flagRows()
	case key.Matches(msg, k.Top):
		s.flagCursor = 0
	case key.Matches(msg, k.Bottom):
		s.flagCursor = n - 1
	default:
		return
	}
	s.clampFlagWindow()
}

func (s *flagsScreen) moveEnv(msg tea.KeyPressMsg) tea.Cmd {
	k := s.keys
	step := 0
	switch {
	case key.Matches(msg, k.Up):
		step = -1
	case key.Matches(msg, k.Down):
		step = 1
	case key.Matches(msg, k.Top):
		step = -len(s.envRows)
	case key.Matches(msg, k.Bottom):
		step = len(s.envRows)
	default:
		return nil
	}
	i := s.envCursor
	dir := 1
	if step < 0 {
		dir = -1
	}
	for moved := 0; moved < abs(step); {
		j := i + dir
		for j >= 0 && j < len(s.envRows) && s.envRows[j].heading {
			j += dir
		}
		if j < 0 || j >= len(s.envRows) {
			break
		}
		i = j
		moved++
	}
	if i == s.envCursor || i < 0 {
		return nil
	}
	s.envCursor = i
	s.selPrefix = s.envRows[i].prefix
	s.flagCursor, s.flagTop = 0, 0
	s.setLoaded = false
	return s.loadFlagsCmd(s.selPrefix)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// settleDetails closes the details when their flag is gone and keeps their scroll inside
// the text.
func (s *flagsScreen) settleDetails() {
	if !s.details {
		return
	}
	f, ok := s.cursorFlag()
	if !ok {
		s.details = false
		return
	}
	s.detail.SetWidth(s.width)
	s.detail.SetHeight(s.bodyHeight() - 2)
	s.detail.SetContentLines(s.detailLines(f))
}

// failedWrite is the flag's latest write's failed hosts, when that write is the last one
// and some of its hosts failed.
func (s *flagsScreen) failedWrite(prefix, flag string) []string {
	r := s.results.results
	if r == nil || r.running || r.inLD || r.change.Prefix != prefix || r.change.Flag != flag {
		return nil
	}
	return r.failedHosts()
}

// cursorFailed is the failed hosts of the cursor flag's latest write, if any.
func (s *flagsScreen) cursorFailed() []string {
	f, ok := s.cursorFlag()
	if !ok || !s.setReady() {
		return nil
	}
	return s.failedWrite(s.set.Prefix, f.Key)
}

// retryFailed retries the cursor flag's failed hosts and shows the results.
func (s *flagsScreen) retryFailed() tea.Cmd {
	if len(s.cursorFailed()) == 0 {
		if s.results.results != nil && len(s.results.results.failedHosts()) > 0 {
			c := s.results.results.change
			s.setStatus("T retries the last write's failed hosts on its flag ("+safe(c.Flag)+"); w shows its results", false)
		}
		return nil
	}
	cmd := s.results.retryCmd()
	if cmd != nil {
		s.active = screenResults
	}
	return cmd
}

// showLastWrite reopens the last write's results.
func (s *flagsScreen) showLastWrite() {
	if s.results.results == nil {
		s.setStatus("no write yet", false)
		return
	}
	s.results.results.back = screenFlags // reopened from the flags: esc returns here
	s.active = screenResults
}

func (s *flagsScreen) openConfirm() dialog {
	if s.cfg.ReadOnly {
		return nil
	}
	if s.results.busy() {
		s.setStatus("a write is still in progress: wait for its results", true)
		return nil
	}
	if !s.setReady() {
		s.setStatus(s.loadingNote(), false)
		return nil
	}
	f, ok := s.cursorFlag()
	if !ok {
		return nil
	}
	p, readable := primary(f)
	switch {
	case !readable && hasUnreadable(f):
		s.setStatus(f.Key+": its JSON is unreadable on "+firstUnreadable(f)+"; not toggling it", true)
		return nil
	case !readable:
		s.setStatus(f.Key+": not on any reachable host", true)
		return nil
	case p.Deleted:
		s.setStatus(f.Key+": deleted (tombstone); a deleted flag cannot be toggled", true)
		return nil
	}
	note := f.Agreement(s.downNames()...).Detail()
	c := &confirmState{
		prefix:    s.set.Prefix,
		project:   s.set.Target.Project,
		env:       s.set.Target.Environment,
		mapped:    s.set.Mapped,
		flag:      f.Key,
		before:    p.On,
		version:   p.Version,
		after:     !p.On,
		hosts:     slices.Clone(s.hostNames),
		agreeNote: note,
		reason:    newTextField(),
		typed:     newTextField(),
	}
	if len(c.hosts) == 0 {
		for _, h := range f.Hosts {
			c.hosts = append(c.hosts, h.Host)
		}
	}
	c.protected = s.isProtected(s.set.Target, c.mapped)
	c.connected = s.connectedRelays(c.prefix)
	c.canLD = s.ldw != nil && c.mapped
	c.servingOff = f.DependantsServingOff(c.after)
	c.ldReachable = s.ldAnswered()
	if p, ok := s.pendingFor(c.prefix, c.flag); ok && len(p.Entries) > 0 {
		pending, then := p.ToggleNote(c.after, s.now()) // update says it in the same words
		c.pendingNote = []string{safe(pending), safe(then)}
		c.pending = &p
	}
	var down []string
	for _, h := range c.hosts {
		if s.downHosts()[h] {
			down = append(down, h)
		}
	}
	switch len(c.hosts) {
	case 1:
		c.hostsNote = "on the only host"
	case 2:
		c.hostsNote = "on both hosts"
	default:
		c.hostsNote = "on all " + countWords(len(c.hosts), "host", "hosts")
	}
	if len(down) > 0 {
		c.hostsNote = "on " + countWords(len(c.hosts)-len(down), "host", "hosts") + "; DOWN: " + strings.Join(down, ", ") + " (will fail)"
	}
	if note := s.readingNote(); note != "" {
		c.hostsNote += "; still " + strings.TrimSuffix(note, "…") + " (may fail)"
	}
	return &confirmDialog{confirmState: c, keys: s.keys, st: s.st}
}

func firstUnreadable(f flags.Flag) string {
	for _, h := range f.Hosts {
		if h.Unreadable != "" {
			return h.Host + " (" + h.Unreadable + ")"
		}
	}
	return ""
}

// paste adds pasted text to the filter being typed.
func (s *flagsScreen) paste(text string) {
	s.filter.insert(text)
	s.flagCursor, s.flagTop = 0, 0
	s.refilter("")
}

// Keys are the screen's keys: the filter's while it is typed, the details', or the panes'.
func (s *flagsScreen) Keys() helpKeys {
	k := s.keys
	if s.filtering {
		// every other key types into the filter: k and j too
		ks := []key.Binding{k.FilterMove, k.FilterKeep, k.FilterClear}
		return helpKeys{short: ks, full: [][]key.Binding{ks}}
	}
	if s.details {
		ks := enabled(k.Toggle, k.Up, k.Down, k.Back)
		return helpKeys{short: ks, full: [][]key.Binding{ks}}
	}
	nav := enabled(k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom)
	act := enabled(k.Toggle, k.Details, k.Filter, k.FilterClear, k.Pane, k.PaneLeft, k.PaneRight)
	short := enabled(k.Toggle, k.Details, k.Filter, k.Pane)
	if s.focus == paneEnvs {
		// toggle and details act on a flag: there, enter moves to the flags
		toFlags := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "flags"))
		nav = enabled(k.Up, k.Down, k.Top, k.Bottom)
		act = []key.Binding{toFlags, k.Filter, k.FilterClear, k.Pane, k.PaneRight}
		short = []key.Binding{toFlags, k.Filter, k.Pane}
	}
	var write []key.Binding
	if len(s.cursorFailed()) > 0 {
		write = append(write, enabled(k.Retry)...)
	}
	if s.results.results != nil {
		write = append(write, enabled(k.LastWrite)...)
	}
	if len(write) > 0 {
		short = append(slices.Clone(write), short...)
		act = append(act, write...)
	}
	return helpKeys{short: short, full: [][]key.Binding{act, nav}}
}
