package tui

import (
	"context"
	"errors"
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
	keyW       int      // longest flag key of the set
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

// progressiveStore is a store that delivers a prefix's flags as each host answers
// (*flags.Store): a hung host then holds up neither the others' flags nor the header.
// Other stores are read whole.
type progressiveStore interface {
	FlagsProgressive(ctx context.Context, prefix string, deliver func(flags.FlagsRead))
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

// applyRefresh takes a refresh's hosts, prefixes and, when it read the selected prefix,
// its flags; otherwise it asks for them.
func (s *flagsScreen) applyRefresh(msg refreshMsg) tea.Cmd {
	s.applyDiscovery(msg.disc)
	if msg.prefix != "" && msg.prefix == s.selPrefix {
		s.applySet(msg.set, msg.setErr)
	} else if s.selPrefix != "" && (!s.setLoaded || s.set.Prefix != s.selPrefix) && s.inFlight != s.selPrefix {
		return s.loadFlagsCmd(s.selPrefix)
	}
	return nil
}

// refreshFlagsCmd reads the selected prefix again for a refresh, unless a read of it still
// runs: its steps arrive on their own.
func (s *flagsScreen) refreshFlagsCmd() tea.Cmd {
	if s.selPrefix == "" || s.inFlight == s.selPrefix {
		return nil
	}
	return s.loadFlagsCmd(s.selPrefix)
}

// applyFlagsRead takes one step of a read host by host: the hosts that answered update the
// header at once (one that failed or timed out is DOWN on the next frame), and the flags
// the answering hosts hold are shown while the others are still read.
func (s *flagsScreen) applyFlagsRead(msg flagsReadMsg) tea.Cmd {
	if msg.seq != s.flagsSeq {
		return nil // a newer read took over: the rest of this one is dropped
	}
	r := msg.read
	wasDown := s.downHosts()
	if msg.prefix == s.selPrefix && (r.Err == nil || r.Done()) {
		s.applySet(r.Set, r.Err)
	} else {
		// no answering host holds the prefix yet: keep "loading" until the others say
		s.mergeHosts(r.Set.Hosts)
	}
	first := len(r.Reading) == len(r.Set.Hosts)-1
	s.reading = r.Reading
	s.noteRead(r, wasDown)
	if r.Done() {
		s.inFlight = ""
		return nil
	}
	next := nextFlagsRead(msg.seq, msg.prefix, msg.next)
	if first {
		// Healthy hosts answer within milliseconds of each other: only a host still not
		// answering a moment later is worth a word.
		seq := msg.seq
		return tea.Batch(next, tea.Tick(slowReadAfter, func(time.Time) tea.Msg { return slowReadMsg{seq: seq} }))
	}
	return next
}

// slowReadAfter is how long a host may take to answer a read before the status says that
// it is still being read.
const slowReadAfter = 250 * time.Millisecond

// applySlowRead says which hosts the read still waits for, when it is still the current read
// and they are not already known to be down (then it is no news).
func (s *flagsScreen) applySlowRead(msg slowReadMsg) {
	if msg.seq != s.flagsSeq || s.inFlight == "" {
		return
	}
	down := s.downHosts()
	var slow []string
	for _, h := range s.reading {
		if !down[h] {
			slow = append(slow, h)
		}
	}
	if len(slow) == 0 {
		return
	}
	note := s.inFlight + ": reading " + strings.Join(slow, ", ") + "…"
	if s.setReady() {
		note += "; the other hosts' flags are on screen"
	}
	s.setStatus(note, false)
	s.readNote = s.status
}

// noteRead says why a host that was up is now DOWN; once the read ends it clears its own
// "reading" note, never another message.
func (s *flagsScreen) noteRead(r flags.FlagsRead, wasDown map[string]bool) {
	var answered, failed []string
	for _, h := range r.Set.Hosts {
		switch {
		case errors.Is(h.Err, flags.ErrStillReading):
		case h.Up:
			answered = append(answered, h.Host)
		case !wasDown[h.Host]:
			why := h.Err
			if inner := errors.Unwrap(why); inner != nil {
				why = inner // the error names the host and its address first: said already
			}
			failed = append(failed, h.Host+" did not answer ("+why.Error()+")")
		}
	}
	mine := s.readNote != "" && s.status == s.readNote
	switch {
	case len(failed) > 0:
		note := strings.Join(failed, "; ") + ": DOWN"
		if s.setReady() && len(answered) > 0 {
			note += "; flags shown from " + strings.Join(answered, ", ")
		}
		s.setStatus(note+"; r reads again", true)
		s.readNote = ""
	case r.Done() && mine:
		s.status, s.readNote = "", "" // the slow host answered after all
	}
}

// mergeHosts takes the hosts' states from a read: a host still being read keeps the state
// it had (up or down), one that answered or failed gets the read's.
func (s *flagsScreen) mergeHosts(read []flags.HostStatus) {
	if len(read) == 0 {
		return
	}
	merged := make([]flags.HostStatus, 0, len(read))
	for _, h := range read {
		if errors.Is(h.Err, flags.ErrStillReading) {
			if i := slices.IndexFunc(s.hosts, func(o flags.HostStatus) bool { return o.Host == h.Host }); i >= 0 {
				h = s.hosts[i]
			}
		}
		merged = append(merged, h)
	}
	s.hosts = merged
}

// applyFlags takes the flags of a prefix loaded when the selection changed.
func (s *flagsScreen) applyFlags(msg flagsMsg) {
	if msg.seq != s.flagsSeq || msg.prefix != s.selPrefix {
		return
	}
	s.applySet(msg.set, msg.err)
}

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
	s.keyW = 0
	for i, f := range set.Flags {
		s.lower[i] = strings.ToLower(f.Key)
		s.keyW = max(s.keyW, len(safe(f.Key)))
	}
	s.refilter(keep)
}

// refilter recomputes the visible flags from the pre-lowercased keys and puts the cursor on
// keep when it is still visible.
func (s *flagsScreen) refilter(keep string) {
	q := strings.ToLower(s.filter.value())
	s.filtered = s.filtered[:0]
	if q == "" {
		for i := range s.lower {
			s.filtered = append(s.filtered, i)
		}
	} else {
		s.match(q)
	}
	if keep != "" {
		for i, fi := range s.filtered {
			if s.set.Flags[fi].Key == keep {
				s.flagCursor = i
				s.clampFlagWindow()
				return
			}
		}
	}
	s.clampFlagWindow()
}

// match lists the flags whose key matches q, best first, as fzf and k9s users expect: the
// key itself, then keys that start with q, keys that contain it, and last the keys that hold
// its characters in order (a fuzzy match), the tightest first; key order within each.
// One pass, no allocation once the buffers have grown: it runs on every key typed.
func (s *flagsScreen) match(q string) {
	exact := 0
	contains := s.containsBuf[:0]
	fuzzy := s.fuzzyBuf[:0]
	for i, k := range s.lower {
		switch at := strings.Index(k, q); {
		case at == 0 && len(k) == len(q):
			s.filtered = slices.Insert(s.filtered, exact, i)
			exact++
		case at == 0:
			s.filtered = append(s.filtered, i)
		case at > 0:
			contains = append(contains, i)
		default:
			if w := fuzzyWindow(k, q); w > 0 {
				fuzzy = append(fuzzy, fuzzyHit{flag: i, window: w})
			}
		}
	}
	s.filtered = append(s.filtered, contains...)
	// The fuzzy hits, tightest first and in key order within a window: a counting sort, as
	// windows are short and sorting 20,000 hits would cost a good part of a frame.
	widest := 0
	for _, h := range fuzzy {
		widest = max(widest, h.window)
	}
	starts := slices.Grow(s.windowBuf[:0], widest+2)[:widest+2]
	clear(starts)
	for _, h := range fuzzy {
		starts[h.window+1]++
	}
	for w := 1; w < len(starts); w++ {
		starts[w] += starts[w-1]
	}
	base := len(s.filtered)
	s.filtered = slices.Grow(s.filtered, len(fuzzy))[:base+len(fuzzy)]
	for _, h := range fuzzy {
		s.filtered[base+starts[h.window]] = h.flag
		starts[h.window]++
	}
	s.containsBuf, s.fuzzyBuf, s.windowBuf = contains, fuzzy, starts
}

// fuzzyHit is a flag whose key holds the filter's characters in order, within window bytes.
type fuzzyHit struct{ flag, window int }

// fuzzyWindow is the length of the shortest stretch of k, from the first place where it
// holds all of q's characters in order, that still holds them (fzf's first algorithm:
// forward to the end of the first match, then back to its latest start); 0 when k does not
// hold them. Keys and filter are compared byte by byte: flag keys are ASCII.
func fuzzyWindow(k, q string) int {
	end := -1
	for qi := range len(q) {
		at := strings.IndexByte(k[end+1:], q[qi])
		if at < 0 {
			return 0
		}
		end += at + 1
	}
	qi := len(q) - 1
	for i := end; ; i-- {
		if k[i] == q[qi] {
			if qi--; qi < 0 {
				return end - i + 1
			}
		}
	}
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
	if env, ok := s.selectedEnv(); ok && len(env.warnings) > 0 {
		h--
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

func (s *flagsScreen) refilterKeep() {
	keep := ""
	if f, ok := s.cursorFlag(); ok {
		keep = f.Key
	}
	s.refilter(keep)
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

func (s *flagsScreen) updateFilter(msg tea.KeyPressMsg) tea.Cmd {
	k := s.keys
	switch {
	case key.Matches(msg, k.FilterKeep):
		s.filtering = false
		return nil
	case key.Matches(msg, k.FilterClear):
		s.filtering = false
		s.filter.reset()
		s.refilterKeep()
		return nil
	case key.Matches(msg, k.Up, k.Down, k.PageUp, k.PageDown) && msg.Text == "":
		s.moveFlag(msg)
		return nil
	}
	before := s.filter.value()
	s.filter.update(msg)
	switch after := s.filter.value(); {
	case after == before:
	case len(after) > len(before) && after[:len(before)] == before:
		// typed on: the matches are fewer, start from the top
		s.flagCursor, s.flagTop = 0, 0
		s.refilter("")
	default:
		s.refilterKeep()
	}
	return nil
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

func (s *flagsScreen) loadFlagsCmd(prefix string) tea.Cmd {
	if s.store == nil || prefix == "" {
		return nil
	}
	s.flagsSeq++
	seq, store, ctx := s.flagsSeq, s.store, s.ctx
	ps, ok := store.(progressiveStore)
	if !ok {
		return func() tea.Msg {
			set, err := store.Flags(ctx, prefix)
			return flagsMsg{seq: seq, prefix: prefix, set: set, err: err}
		}
	}
	s.inFlight = prefix
	s.reading = slices.Clone(s.hostNames)
	steps := len(store.HostNames()) // one per host: the channel never blocks the read
	return func() tea.Msg {
		reads := make(chan flags.FlagsRead, steps)
		go ps.FlagsProgressive(ctx, prefix, func(r flags.FlagsRead) { reads <- r })
		return nextFlagsRead(seq, prefix, reads)()
	}
}

// nextFlagsRead waits for the next step of a read host by host.
func nextFlagsRead(seq int, prefix string, reads <-chan flags.FlagsRead) tea.Cmd {
	return func() tea.Msg {
		return flagsReadMsg{seq: seq, prefix: prefix, read: <-reads, next: reads}
	}
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

// setReady says the flag set on screen is loaded and is the selected prefix's: only then
// may a toggle or the details act on it (a set still loading leaves the last one in s.set).
// A set read from some hosts while others are still read is ready: the toggle reads every
// host again itself before it writes (WATCH), and the confirmation names the hosts still
// being read.
func (s *flagsScreen) setReady() bool {
	return s.setLoaded && s.set.Prefix == s.selPrefix
}

// loadingNote is what the toggle keys say while the selected prefix's set loads.
func (s *flagsScreen) loadingNote() string {
	if s.setErr != nil {
		return "flags of " + safe(s.selPrefix) + " not read: " + s.setErr.Error() + "; r tries again"
	}
	if note := s.readingNote(); note != "" {
		return "loading " + safe(s.selPrefix) + ": " + note
	}
	return "loading " + safe(s.selPrefix) + "…"
}

// readingNote names the hosts the selected prefix's read still waits for, e.g.
// "reading relay-b…"; "" when none. Their flags show as HostDown meanwhile (state unknown).
func (s *flagsScreen) readingNote() string {
	if s.inFlight == "" || s.inFlight != s.selPrefix || len(s.reading) == 0 {
		return ""
	}
	return "reading " + strings.Join(s.reading, ", ") + "…"
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
