package tui

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/journal"
)

// Minimum terminal size; below it the UI says so instead of drawing. 23 rows: tmux takes
// one of an 80x24 terminal for its status line.
const (
	minWidth  = 80
	minHeight = 23
)

const ldCheckInterval = 15 * time.Second

// ldBackCheckInterval is how often LaunchDarkly is checked while changes are pending and
// nothing is armed: Relay reconnects within seconds of it answering, and re-syncs.
const ldBackCheckInterval = 2 * time.Second

// Model is the root of the UI: it owns the shared context, the four screens and the open
// dialog, and routes every message once. Update and View never do I/O: every Redis, journal
// and LaunchDarkly call runs in a tea.Cmd and comes back as a typed message (msgs.go).
type Model struct {
	*common

	flagsScreen   *flagsScreen
	resultsScreen *resultsScreen
	queueScreen   *queueScreen
	syncScreen    *syncScreen

	dialog   dialog // owns the keyboard while open
	showHelp bool
	helpTop  int // the first help line shown: help scrolls when it is longer than the screen

	refreshSeq  int
	pendSeq     int
	refreshing  bool
	lastRefresh time.Time
	ldSeq       int
	ldPending   bool
}

// New builds the UI model from the configuration and its collaborators. The configuration
// comes resolved (tui/cli/config holds every default): zero means zero, a RelayTTL of 0 is a
// Relay without a cache. Only a missing clock and operator name are filled in. It does no I/O. Run passes the configuration's own Store, Journal and LD.
func New(cfg Config, be Backends) *Model {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Operator == "" {
		cfg.Operator = "unknown"
	}
	c := &common{
		cfg:          cfg,
		now:          cfg.Now,
		log:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		keys:         defaultKeyMap(cfg.ReadOnly),
		st:           defaultStyles(),
		help:         help.New(),
		ctx:          context.Background(),
		store:        be.Store,
		jr:           be.Journal,
		ld:           be.LD,
		rep:          be.Replayer,
		ra:           be.Relays,
		ldw:          be.LDWriter,
		guard:        be.Guard,
		pendingByKey: map[string]int{},
		width:        minWidth,
		height:       minHeight,
	}
	if be.Store != nil {
		c.hostNames = be.Store.HostNames()
	}
	if be.Journal != nil {
		c.journalPath = be.Journal.Dir()
		if w := be.Journal.Warnings(); len(w) > 0 {
			c.status, c.statusBad, c.statusAt = strings.Join(w, "; "), true, cfg.Now()
		}
	}
	c.help.ShortSeparator = "  "
	c.help.Styles = helpStyles(c.st)
	c.help.SetWidth(minWidth - 1)
	m := &Model{common: c}
	c.refresh = m.refreshCmd
	m.resultsScreen = &resultsScreen{common: c}
	m.flagsScreen = newFlagsScreen(c, m.resultsScreen)
	m.queueScreen = &queueScreen{common: c}
	m.syncScreen = &syncScreen{common: c}
	return m
}

// withLogger sets where the UI logs.
func (m *Model) withLogger(l *slog.Logger) *Model { m.log = l; return m }

// withContext sets the context every command runs under.
func (m *Model) withContext(ctx context.Context) *Model { m.ctx = ctx; return m }

// Init starts the first refresh, the LaunchDarkly check and the refresh timer.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.refreshCmd(), m.ldCheckCmd(), m.refreshTick(), m.ldTick(), m.relayPollCmd(), m.relayTick(), statusTick())
}

// screen is the screen on show.
func (m *Model) screen() screen {
	switch m.active {
	case screenResults:
		return m.resultsScreen
	case screenQueue:
		return m.queueScreen
	case screenSync:
		return m.syncScreen
	}
	return m.flagsScreen
}

// Update routes a message: a size to everyone, a key to the open dialog first, then to the
// global keys, then to the active screen; data to whoever owns it.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width - 1)
	case tea.PasteMsg:
		if !m.tooSmall() { // as for keys: nothing lands on the hidden screen
			m.paste(strings.Join(strings.Fields(msg.Content), " "))
		}
	case tea.KeyPressMsg:
		cmd = m.handleKey(msg)
	default:
		cmd = m.handleData(msg)
	}
	m.settle()
	return m, cmd
}

// settle keeps every cursor and scroll position inside what the screens now show (the
// filter line and the banner change how many rows fit), so that View only reads.
func (m *Model) settle() {
	m.flagsScreen.clampFlagWindow()
	m.flagsScreen.settleDetails()
	m.queueScreen.settleHistory()
	m.syncScreen.sync.bar.SetWidth(min(40, (m.width-2)/3))
	if m.showHelp {
		m.helpTop = max(0, min(m.helpTop, len(m.helpLines())-m.helpRows(m.bodyHeight())))
	}
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		if _, asking := m.dialog.(*quitDialog); !asking {
			// ctrl+c works from every dialog and field; it asks only while a replay runs
			return m.quit()
		}
	}
	if _, asking := m.dialog.(*quitDialog); m.tooSmall() && !asking {
		// The screen shows only the request to enlarge the window: no key may act on what
		// the responder cannot see (a toggle confirmed blind, a reason typed into a hidden field).
		if key.Matches(msg, m.keys.Quit) {
			return m.quit()
		}
		return nil
	}
	if m.dialog != nil {
		result, done := m.dialog.Update(msg)
		if done {
			var under dialog
			if q, ok := m.dialog.(*quitDialog); ok {
				under = q.under // staying: back to the dialog the question covered
			}
			m.dialog = under
		}
		if result != nil {
			return m.handleData(result)
		}
		return nil
	}
	sc := m.screen()
	if c, ok := sc.(capturer); ok && c.capturing() {
		return m.screenUpdate(sc, msg)
	}
	if m.showHelp {
		// The list keys scroll help, any other key closes it; q still quits.
		if m.scrollHelp(msg) {
			return nil
		}
		m.showHelp = false
		if !key.Matches(msg, m.keys.Quit) {
			return nil
		}
	}
	if m.cfg.ReadOnly && m.refusedInReadOnly(msg) {
		return nil
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.quit()
	case key.Matches(msg, m.keys.Help):
		m.showHelp, m.helpTop = true, 0
		return nil
	case key.Matches(msg, m.keys.ScreenFlags):
		m.active = screenFlags
		return nil
	case key.Matches(msg, m.keys.ScreenQueue):
		m.active = screenQueue
		return m.pendingCmd()
	case key.Matches(msg, m.keys.ScreenSync):
		return m.syncScreen.enterSync(false)
	case key.Matches(msg, m.keys.ReplayNow) && (m.bannerShown() || len(m.pending) > 0):
		// R sits next to r: it opens the plan and asks there (enter), as the command line asks
		return m.syncScreen.enterConfirm()
	case key.Matches(msg, m.keys.ReplayNow):
		m.setStatus("nothing pending: nothing to replay", false)
		return nil
	case key.Matches(msg, m.keys.Arm) && m.canArm() && (m.arm.on || m.active == screenQueue || m.active == screenSync || m.bannerShown()) &&
		(m.arm.on || len(m.pending) > 0):
		return m.toggleArm()
	case key.Matches(msg, m.keys.Arm):
		m.setStatus(m.whyNotArm(), false)
		return nil
	case key.Matches(msg, m.keys.Refresh):
		return m.refreshCmd()
	case m.cfg.Demo != nil && key.Matches(msg, m.keys.DemoLD):
		return m.demoToggleLD()
	case m.cfg.Demo != nil && key.Matches(msg, m.keys.DemoResync):
		return m.demoResyncCmd()
	}
	return m.screenUpdate(sc, msg)
}

// handleData routes every message that is not a key press to whoever owns it.
func (m *Model) handleData(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case relayTickMsg, relaysMsg, servedMsg, servedDoneMsg, ldChangeMsg, ldSetDoneMsg:
		return m.handleRelays(msg)
	case statusTickMsg:
		return statusTick() // the redraw after Update is the point
	case refreshTickMsg:
		var cmd tea.Cmd
		if !m.refreshing { // a slow refresh is not abandoned by the next tick
			cmd = m.refreshCmd()
		}
		return tea.Batch(cmd, m.refreshTick())
	case ldTickMsg:
		var cmd tea.Cmd
		if !m.ldPending && m.ldCheckDue() {
			cmd = m.ldCheckCmd()
		}
		return tea.Batch(cmd, m.ldTick())
	case refreshMsg:
		if msg.seq != m.refreshSeq {
			return nil
		}
		m.refreshing = false
		m.lastRefresh = m.now()
		cmd := m.flagsScreen.applyRefresh(msg)
		if m.jr != nil && msg.pendSeq == m.pendSeq {
			m.applyPending(msg.pending, msg.pendErr)
			if msg.pendErr == nil {
				cmd = tea.Batch(cmd, m.driftCmd(msg.pending))
			}
		}
		if msg.reconcileErr != nil {
			m.log.Info("reconcile", "err", msg.reconcileErr)
		}
		if n := len(msg.reconciled); n > 0 {
			var names []string
			for _, e := range msg.reconciled {
				names = append(names, e.Flag)
			}
			m.setStatus(sprintf("outcome of %d interrupted %s read back from Redis: %s (see the queue)", n, changesWord(n), strings.Join(names, ", ")), false)
		}
		return cmd
	case driftMsg:
		if msg.seq != m.driftSeq {
			return nil
		}
		if msg.err != nil {
			m.log.Info("drift check", "err", msg.err) // no host answered: the header says so
			return nil
		}
		m.drift = msg.undone
		m.clearUndoneWrite(msg.seq)
		return nil
	case flagsMsg:
		m.flagsScreen.applyFlags(msg)
		return m.relaysEnvChanged()
	case flagsReadMsg:
		return tea.Batch(m.flagsScreen.applyFlagsRead(msg), m.relaysEnvChanged())
	case slowReadMsg:
		m.flagsScreen.applySlowRead(msg)
		return nil
	case pendingMsg:
		if msg.seq == m.pendSeq {
			m.applyPending(msg.pending, msg.err)
		}
		return nil
	case ldCheckMsg:
		if msg.seq != m.ldSeq {
			return nil
		}
		m.ldPending = false
		m.ldChecked, m.ldErr = msg.at, msg.err
		if msg.err != nil {
			m.log.Info("LaunchDarkly check failed", "err", msg.err)
		}
		return nil
	case confirmedToggleMsg:
		return m.resultsScreen.start(msg.c)
	case toggleCancelledMsg:
		m.setStatus("not changed: "+msg.flag, false)
		return nil
	case toggleDoneMsg:
		m.flagsScreen.applyWrite(msg.result)
		return m.resultsScreen.applyToggleDone(msg)
	case queueRetryMsg:
		return m.resultsScreen.retryFromQueue(msg)
	case historyMsg:
		m.queueScreen.applyHistory(msg)
		return nil
	case discardConfirmedMsg:
		return m.discardCmd(msg)
	case discardDoneMsg:
		return m.applyDiscardDone(msg)
	case quitConfirmedMsg:
		m.syncScreen.cancelReplay()
		m.cancelArm()
		return tea.Quit
	case guardEventMsg:
		return m.applyGuardEvent(msg)
	case armDoneMsg:
		return m.applyArmDone(msg)
	case planMsg:
		return m.syncScreen.applyPlan(msg)
	case progressMsg:
		return m.syncScreen.applyProgress(msg)
	case replayDoneMsg:
		return m.syncScreen.applyReplayDone(msg)
	case clockMsg:
		if m.syncScreen.sync.running {
			return m.syncScreen.clockTick()
		}
		return nil
	case demoDoneMsg:
		if msg.err != nil {
			m.setStatus("demo: "+msg.what+": "+msg.err.Error(), true)
		} else {
			m.setStatus("demo: "+msg.what, false)
		}
		return tea.Batch(m.refreshCmd(), m.ldCheckCmd())
	}
	return nil
}

func (m *Model) applyPending(p []journal.Pending, err error) {
	m.pendErr = err
	if err != nil {
		m.setStatus("journal: "+err.Error(), true)
		return
	}
	m.pending = p
	m.pendingByKey = make(map[string]int, len(p))
	for i, pp := range p {
		m.pendingByKey[pp.Prefix+"\x00"+pp.Flag] = i
	}
	m.queueScreen.clampCursor()
}

// screenUpdate gives a key to a screen and opens the dialog it asks for.
func (m *Model) screenUpdate(sc screen, msg tea.KeyPressMsg) tea.Cmd {
	cmd, d := sc.Update(msg)
	if d != nil {
		m.dialog = d
	}
	return cmd
}

// quit ends the program, or asks first while a replay runs or the replay is armed.
func (m *Model) quit() tea.Cmd {
	if m.syncScreen.sync.running || m.arm.on {
		m.dialog = &quitDialog{keys: m.keys, st: m.st, under: m.dialog, armed: m.arm.on && !m.arm.replaying, changes: m.arm.changes}
		return nil
	}
	return tea.Quit
}

// tooSmall says the window is below the size every screen needs.
func (m *Model) tooSmall() bool { return m.width < minWidth || m.height < minHeight }

// View draws the frame: header, recovery banner, the screen, status line and keys.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = m.cfg.AltScreen
	v.MouseMode = tea.MouseModeNone
	v.WindowTitle = "Relay Commander"
	return v
}

// paste puts pasted text into the open dialog's text field or the filter being typed.
func (m *Model) paste(text string) {
	if p, ok := m.dialog.(paster); ok {
		p.paste(text)
		return
	}
	if m.dialog == nil && m.active == screenFlags && m.flagsScreen.filtering {
		m.flagsScreen.paste(text)
	}
}

// refusedInReadOnly says, for a key that would write (keyMap.readOnlyRefused), that this session writes nothing,
// where read-only was set, and what writes instead; it reports whether it took the key.
func (m *Model) refusedInReadOnly(msg tea.KeyPressMsg) bool {
	if !slices.Contains(m.keys.readOnlyRefused, msg.String()) {
		return false
	}
	from := m.cfg.ReadOnlyFrom
	if from == "" {
		from = "the configuration"
	}
	m.setStatus("read-only (ui.read_only, from "+from+"): this session writes nothing; "+
		"start relaycommander without it to change flags, or run relaycommander update from a shell", true)
	return true
}
