package tui

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"relaycommander/flags"
	"relaycommander/journal"
)

// Minimum terminal size; below it the UI says so instead of drawing.
const (
	minWidth  = 80
	minHeight = 24
)

const ldCheckInterval = 15 * time.Second

type screen int

const (
	screenFlags screen = iota
	screenQueue
	screenSync
	screenResults
)

type pane int

const (
	paneEnvs pane = iota
	paneFlags
)

// Model is the whole UI. Update and View never do I/O: every Redis, journal and LaunchDarkly
// call runs in a tea.Cmd and comes back as a typed message.
type Model struct {
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	keys   keyMap
	st     styles
	help   help.Model
	ctx    context.Context
	store  flagStore
	jr     changeJournal
	ld     ldChecker
	rep    replayer
	width  int
	height int

	screen    screen
	showHelp  bool
	status    string
	statusBad bool

	// modals own the keyboard while open
	confirm *confirmState
	discard *discardState
	quitAsk bool

	// Redis data
	hostNames  []string
	hosts      []flags.HostStatus
	discovered bool
	envRows    []envRow
	envCursor  int
	selPrefix  string
	set        flags.FlagSet
	setLoaded  bool
	setErr     error
	lower      []string // pre-lowercased flag keys, for the filter
	keyW       int      // longest flag key of the set
	filter     string
	filtering  bool
	filtered   []int // indexes into set.Flags
	flagCursor int   // index into filtered
	flagTop    int   // first visible row
	focus      pane
	details    bool
	detailTop  int

	refreshSeq  int
	flagsSeq    int
	refreshing  bool
	lastRefresh time.Time

	// journal data
	pending      []journal.Pending
	pendingByKey map[string]int
	pendErr      error
	pendSeq      int
	journalPath  string
	drift        []driftItem

	// LaunchDarkly reachability
	ldSeq     int
	ldChecked time.Time
	ldErr     error
	ldPending bool

	results *resultsState
	queue   queueState
	sync    syncState

	writes atomic.Int32 // Redis or journal writes running in commands; Run lets them finish
}

// New builds the UI model from the configuration and its collaborators, filling defaults.
// It does no I/O. Run passes the configuration's own Store, Journal and LD.
func New(cfg Config, be Backends) *Model {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 5 * time.Second
	}
	if cfg.RelayTTL == 0 {
		cfg.RelayTTL = 30 * time.Second
	}
	if cfg.Protected == nil {
		cfg.Protected = []string{"production"}
	}
	if cfg.Operator == "" {
		cfg.Operator = "unknown"
	}
	m := &Model{
		cfg:          cfg,
		now:          cfg.Now,
		log:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		keys:         defaultKeyMap(cfg.ReadOnly),
		st:           defaultStyles(),
		help:         help.New(),
		ctx:          context.Background(),
		pendingByKey: map[string]int{},
		focus:        paneFlags,
		width:        minWidth,
		height:       minHeight,
		store:        be.Store,
		jr:           be.Journal,
		ld:           be.LD,
		rep:          be.Replayer,
	}
	if be.Store != nil {
		m.hostNames = be.Store.HostNames()
	}
	if be.Journal != nil {
		m.journalPath = be.Journal.Dir()
		if w := be.Journal.Warnings(); len(w) > 0 {
			m.status, m.statusBad = strings.Join(w, "; "), true
		}
	}
	m.help.ShortSeparator = "  "
	m.help.SetWidth(minWidth - 1)
	return m
}

// withLogger sets where the UI logs.
func (m *Model) withLogger(l *slog.Logger) *Model { m.log = l; return m }

// withContext sets the context every command runs under.
func (m *Model) withContext(ctx context.Context) *Model { m.ctx = ctx; return m }

// Init starts the first refresh, the LaunchDarkly check and the refresh timer.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.refreshCmd(), m.ldCheckCmd(), m.refreshTick(), m.ldTick())
}

// Update routes a message: modal dialogs first, then global keys, then the active screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width - 1)
		m.settle()
		return m, nil
	case tea.PasteMsg:
		m.paste(strings.Join(strings.Fields(msg.Content), " "))
		m.settle()
		return m, nil
	case tea.KeyPressMsg:
		cmd := m.handleKey(msg)
		m.settle()
		return m, cmd
	}
	cmd := m.handleData(msg)
	m.settle()
	return m, cmd
}

// settle keeps every cursor and scroll position inside what the screens now show (the
// filter line and the banner change how many rows fit), so that View only reads.
func (m *Model) settle() {
	m.clampFlagWindow()
	m.settleDetails()
	m.settleHistory()
	m.sync.bar.SetWidth(min(40, (m.width-2)/3))
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" && !m.quitAsk {
		// ctrl+c works from every dialog and field; it asks only while a replay runs
		if m.sync.running {
			m.quitAsk = true
			return nil
		}
		return tea.Quit
	}
	if m.quitAsk {
		return m.updateQuitAsk(msg)
	}
	if m.confirm != nil {
		return m.updateConfirm(msg)
	}
	if m.discard != nil {
		return m.updateDiscard(msg)
	}
	if m.filtering {
		return m.updateFilter(msg)
	}
	if m.showHelp {
		// Any key closes help; q still quits.
		m.showHelp = false
		if !key.Matches(msg, m.keys.Quit) {
			return nil
		}
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		if m.sync.running {
			m.quitAsk = true
			return nil
		}
		return tea.Quit
	case key.Matches(msg, m.keys.Help):
		m.showHelp = true
		return nil
	case key.Matches(msg, m.keys.ScreenFlags):
		m.screen = screenFlags
		return nil
	case key.Matches(msg, m.keys.ScreenQueue):
		m.screen = screenQueue
		return m.pendingCmd()
	case key.Matches(msg, m.keys.ScreenSync):
		return m.enterSync(false)
	case key.Matches(msg, m.keys.ReplayNow) && len(m.drift) > 0:
		return m.enterSync(true)
	case key.Matches(msg, m.keys.Refresh):
		return m.refreshCmd()
	case m.cfg.Demo != nil && key.Matches(msg, m.keys.DemoLD):
		return m.demoToggleLD()
	case m.cfg.Demo != nil && key.Matches(msg, m.keys.DemoResync):
		return m.demoResyncCmd()
	}
	switch m.screen {
	case screenFlags:
		return m.updateFlags(msg)
	case screenResults:
		return m.updateResults(msg)
	case screenQueue:
		return m.updateQueue(msg)
	case screenSync:
		return m.updateSync(msg)
	}
	return nil
}

func (m *Model) updateQuitAsk(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "y", "Y":
		m.quitAsk = false
		m.cancelReplay()
		return tea.Quit
	case "n", "N", "esc", "enter", "q":
		m.quitAsk = false
	}
	return nil
}

func (m *Model) setStatus(s string, bad bool) {
	m.status, m.statusBad = s, bad
	if bad {
		m.log.Warn(s)
	} else {
		m.log.Info(s)
	}
}

// View draws the frame: header, recovery banner, the screen, status line and keys.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = m.cfg.AltScreen
	v.MouseMode = tea.MouseModeNone
	v.WindowTitle = "Relay Commander"
	return v
}

func (m *Model) render() string {
	if m.width < minWidth || m.height < minHeight {
		return fitLines(padLines([]string{
			"Terminal too small for Relay Commander:",
			sprintf("%dx%d, needs at least %dx%d.", m.width, m.height, minWidth, minHeight),
			"Enlarge the window; q quits.",
		}, m.height), m.width, m.height)
	}
	var top []string
	top = append(top, m.headerLines()...)
	if b := m.bannerLine(); b != "" {
		top = append(top, b)
	}
	bottom := []string{m.statusLine(), m.footerLine()}
	bodyH := m.height - len(top) - len(bottom)
	var body []string
	switch {
	case m.quitAsk:
		body = m.quitDialog(bodyH)
	case m.showHelp:
		body = m.helpBody(bodyH)
	case m.confirm != nil:
		body = m.confirmView(bodyH)
	case m.discard != nil:
		body = m.discardView(bodyH)
	default:
		switch m.screen {
		case screenFlags:
			body = m.flagsView(bodyH)
		case screenResults:
			body = m.resultsView(bodyH)
		case screenQueue:
			body = m.queueView(bodyH)
		case screenSync:
			body = m.syncView(bodyH)
		}
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
		if ansi.StringWidth(l) > w {
			l = ansi.Truncate(l, w, "…")
		}
		b.WriteString(l)
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
	tab := func(n, name string, sc screen) string {
		if m.screen == sc || (sc == screenFlags && m.screen == screenResults) {
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
		return "LaunchDarkly: " + s.bad.Render("unreachable") + " (" + ago + ")"
	}
	return "LaunchDarkly: " + s.ok.Render("reachable") + " (" + ago + ")"
}

func (m *Model) bannerLine() string {
	if len(m.drift) == 0 {
		return ""
	}
	names := make([]string, 0, len(m.drift))
	for _, d := range m.drift {
		names = append(names, d.flag)
	}
	what := "change"
	if len(m.drift) > 1 {
		what = "changes"
	}
	action := "  R replay now "
	if m.cfg.ReadOnly {
		action = "  read-only: replay from a writable session "
	}
	lead := sprintf(" ! Relay re-sync undid %d %s: ", len(m.drift), what)
	room := m.width - ansi.StringWidth(lead) - ansi.StringWidth(action)
	list := ansi.Truncate(strings.Join(names, ", "), max(room, 3), "…")
	text := cell(lead+list+action, m.width)
	return m.st.banner.Render(text)
}

func (m *Model) statusLine() string {
	line := ""
	if m.status != "" {
		if m.statusBad {
			line = " " + m.st.errText.Render(m.status)
		} else {
			line = " " + m.st.status.Render(m.status)
		}
	}
	if m.cfg.Demo != nil {
		demo := m.st.dim.Render("demo keys: ") + m.st.key.Render("L") + " LaunchDarkly up/down  " + m.st.key.Render("X") + " Relay re-sync "
		room := m.width - ansi.StringWidth(demo) - 2
		if ansi.StringWidth(line) > room {
			line = ansi.Truncate(line, max(room, 0), "…")
		}
		line = joinRight(line, demo, m.width)
	}
	return line
}

func (m *Model) footerLine() string {
	k := m.screenKeys()
	return " " + m.help.ShortHelpView(k.short)
}

func (m *Model) helpBody(h int) []string {
	k := m.screenKeys()
	lines := []string{" " + m.st.bold.Render("Keys of this screen") + m.st.dim.Render("   (any key closes)"), ""}
	full := m.help.FullHelpView(k.full)
	for _, l := range strings.Split(full, "\n") {
		lines = append(lines, " "+l)
	}
	if m.screen == screenFlags && !m.details {
		lines = append(lines, "", " "+m.st.bold.Render("Marks in the environments pane"),
			" !  $inited missing on a host: Relay answers 503 \"not initialized\" there",
			" ?  unmapped prefix: its project and environment are unknown",
			" ~  the prefix is only on some of the reachable hosts",
			"", " "+m.st.bold.Render("HOSTS column"),
			" 2/3 agree  reachable hosts hold the same state and version",
			" DIFFER     hosts hold different states or versions: see NOTE or the details",
			" MISSING    a reachable host lacks the flag")
	}
	if m.cfg.Demo != nil {
		lines = append(lines, "", " "+m.st.bold.Render("Demo keys"))
		for _, b := range []key.Binding{m.keys.DemoLD, m.keys.DemoResync} {
			lines = append(lines, " "+b.Help().Key+"  "+b.Help().Desc)
		}
	}
	return lines
}

// screenKeys lists the keys of what is on screen now, for the footer and for help.
func (m *Model) screenKeys() helpKeys {
	k := m.keys
	global := enabled(k.Help, k.Quit, k.ScreenFlags, k.ScreenQueue, k.ScreenSync, k.Refresh)
	if len(m.drift) > 0 {
		global = append(enabled(k.ReplayNow), global...)
	}
	switch {
	case m.quitAsk:
		ks := enabled(k.Yes, k.No, k.Cancel)
		return helpKeys{short: ks, full: [][]key.Binding{ks}}
	case m.confirm != nil:
		ks := enabled(k.NextField, k.PrevField, k.Left, k.Yes, k.No, k.Confirm, k.Cancel)
		return helpKeys{short: ks, full: [][]key.Binding{ks}}
	case m.discard != nil:
		ks := enabled(k.NextField, k.RestoreOpt, k.Yes, k.No, k.Confirm, k.Cancel)
		return helpKeys{short: ks, full: [][]key.Binding{ks}}
	case m.filtering:
		ks := []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
			k.Up, k.Down,
		}
		return helpKeys{short: ks, full: [][]key.Binding{ks}}
	}
	switch m.screen {
	case screenFlags:
		if m.details {
			ks := enabled(k.Toggle, k.Up, k.Down, k.Back)
			return helpKeys{short: append(ks, global...), full: [][]key.Binding{ks, global}}
		}
		nav := enabled(k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom)
		clear := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter"))
		act := enabled(k.Toggle, k.Details, k.Filter, clear, k.Pane)
		short := append(enabled(k.Toggle, k.Details, k.Filter, k.Pane), global...)
		return helpKeys{short: short, full: [][]key.Binding{act, nav, global}}
	case screenResults:
		ks := enabled(k.Back)
		if m.results != nil && len(m.results.failedHosts()) > 0 {
			ks = append(enabled(k.Retry), ks...)
		}
		return helpKeys{short: append(ks, global...), full: [][]key.Binding{ks, global}}
	case screenQueue:
		ks := enabled(k.History, k.Discard, k.Up, k.Down, k.Top, k.Bottom, k.Back)
		short := enabled(k.History, k.Discard)
		if m.queue.history != nil {
			ks = enabled(k.Up, k.Down, k.Back)
			short = enabled(k.Back)
		}
		return helpKeys{short: append(short, global...), full: [][]key.Binding{ks, global}}
	case screenSync:
		ks := m.syncKeys()
		short := slices.DeleteFunc(slices.Clone(ks), func(b key.Binding) bool {
			d := b.Help().Desc
			return d == "up" || d == "down" || d == "back"
		})
		return helpKeys{short: append(short, global...), full: [][]key.Binding{ks, global}}
	}
	return helpKeys{short: global, full: [][]key.Binding{global}}
}

func (m *Model) quitDialog(h int) []string {
	lines := []string{"", "  " + m.st.bold.Render("A replay to LaunchDarkly is running. Quit?")}
	for _, l := range wrapText("Quitting cancels it after the change in flight; what was sent is recorded in the journal and the rest stays pending.", m.width-4) {
		lines = append(lines, "  "+l)
	}
	lines = append(lines, "", "  "+m.st.buttonOn.Render("[ No ]")+"   "+m.st.button.Render("  Yes  ")+"     y quit  n/esc stay")
	return lines
}

// writing wraps a command that writes, so that quitting waits for it instead of leaving a
// change with an unknown outcome in the journal.
func (m *Model) writing(cmd func() tea.Msg) tea.Cmd {
	return func() tea.Msg {
		m.writes.Add(1)
		defer m.writes.Add(-1)
		return cmd()
	}
}

// waitWrites waits, up to limit, for writes in flight.
func (m *Model) waitWrites(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for m.writes.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := m.writes.Load(); n > 0 {
		m.log.Warn("quit with writes still running", "writes", n)
	}
}

// paste puts pasted text into the reason fields and the filter. The flag key of a protected
// environment must be typed: a paste there is ignored.
func (m *Model) paste(text string) {
	switch {
	case m.confirm != nil:
		if m.confirm.field == fieldReason {
			m.confirm.reason += text
		}
	case m.discard != nil:
		if m.discard.field == 0 {
			m.discard.reason += text
		}
	case m.filtering:
		m.filter += text
		m.flagCursor, m.flagTop = 0, 0
		m.refilter("")
	}
}
