package tui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/relaycfg/relayapi"
)

// The Relays view: what each configured Relay Proxy says about itself (GET /status), polled
// in the background; the serving check after a write (GET /sdk/flags/{key}); and the re-sync
// trigger: a Relay that reconnects to LaunchDarkly rewrites Redis, so the drift check runs
// at once.

// relayPollInterval is how often the Relays are asked for their status.
const relayPollInterval = 3 * time.Second

// relaysState is the last answer of every Relay.
type relaysState struct {
	results []relayapi.StatusResult // in the configuration's order; nil before the first answer
	at      time.Time
	seq     int
	polling bool
	polled  string           // the prefix selected when the last poll started
	watch   relayapi.Watcher // Update only: it is not safe for concurrent use
}

// ---- messages ----

type relayTickMsg struct{}

// relaysMsg is one round of GET /status to every Relay.
type relaysMsg struct {
	seq     int
	results []relayapi.StatusResult
	at      time.Time
}

// servedMsg is one Relay's settled answer of the serving check.
type servedMsg struct {
	seq int
	sv  relayapi.Served
	ch  <-chan relayapi.Served
}

// servedDoneMsg ends a serving check.
type servedDoneMsg struct{ seq int }

// ldChangeMsg is a toggle the operator chose to make in LaunchDarkly instead of Redis.
type ldChangeMsg struct{ c confirmState }

// ldSetDoneMsg is LaunchDarkly's answer to that change.
type ldSetDoneMsg struct {
	state    ldsync.FlagState
	err      error
	finished time.Time
	// superseded is what closing the flag's pending change did (journal.Supersede);
	// supersedeErr says why it could not be closed
	superseded   journal.Superseded
	supersedeErr error
}

// ---- polling ----

func (m *Model) relayTick() tea.Cmd {
	if m.ra == nil || len(m.cfg.Relays) == 0 {
		return nil
	}
	return tea.Tick(relayPollInterval, func(time.Time) tea.Msg { return relayTickMsg{} })
}

// relayPollCmd asks every Relay for its status; each answer is bounded by its Relay's own
// time-out, so an unreachable Relay never holds up the others or the screen.
func (m *Model) relayPollCmd() tea.Cmd {
	if m.ra == nil || len(m.cfg.Relays) == 0 {
		return nil
	}
	m.relays.seq++
	m.relays.polling = true
	m.relays.polled = m.flagsScreen.selPrefix
	seq, ra, ctx, relays, now := m.relays.seq, m.ra, m.ctx, slices.Clone(m.cfg.Relays), m.now
	return func() tea.Msg {
		return relaysMsg{seq: seq, results: ra.Statuses(ctx, relays), at: now()}
	}
}

// relaysEnvChanged asks the Relays at once when another environment was selected.
func (m *Model) relaysEnvChanged() tea.Cmd {
	if m.relays.polling || m.relays.polled == m.flagsScreen.selPrefix {
		return nil
	}
	return m.relayPollCmd()
}

func (m *Model) handleRelays(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case relayTickMsg:
		var cmd tea.Cmd
		if !m.relays.polling {
			cmd = m.relayPollCmd()
		}
		return tea.Batch(cmd, m.relayTick())
	case relaysMsg:
		if msg.seq != m.relays.seq {
			return nil
		}
		m.relays.polling = false
		m.relays.results, m.relays.at = msg.results, msg.at
		return m.observeRelays(msg.results)
	case servedMsg:
		return m.resultsScreen.applyServed(msg)
	case servedDoneMsg:
		m.resultsScreen.applyServedDone(msg)
		return nil
	case ldChangeMsg:
		return m.resultsScreen.startLD(msg.c)
	case ldSetDoneMsg:
		return m.resultsScreen.applyLDDone(msg)
	}
	return nil
}

// observeRelays feeds the statuses to the watcher: a Relay that has just (re)connected to
// LaunchDarkly for an environment with pending changes has rewritten its store, undoing
// them; the drift check runs now instead of at the next refresh.
func (m *Model) observeRelays(results []relayapi.StatusResult) tea.Cmd {
	var resynced []string
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		for _, t := range m.relays.watch.Observe(r.Status) {
			if !t.Resynced {
				continue
			}
			m.log.Info("relay re-synced", "transition", t.String())
			if m.hasPendingIn(t.Env.Store.Prefix) {
				resynced = append(resynced, t.Relay.Name+" ("+t.Env.Store.Prefix+")")
			}
		}
	}
	if len(resynced) == 0 {
		return nil
	}
	m.setStatus("re-synced from LaunchDarkly: "+strings.Join(resynced, ", ")+"; checking the pending changes now", false)
	return m.driftCmd(m.pending)
}

func (c *common) hasPendingIn(prefix string) bool {
	return slices.ContainsFunc(c.pending, func(p journal.Pending) bool { return p.Prefix == prefix })
}

// ---- what a Relay says about one environment ----

// relayEnv is one Relay's word about the selected environment.
type relayEnv struct {
	name      string
	answered  bool // the Relay has been asked and answered this round
	err       error
	found     bool // it has an environment stored under the prefix
	env       relayapi.Environment
	connected bool // connectionStatus VALID: its next update overwrites an edit in Redis
}

// relayEnvs is every configured Relay's word about prefix, in the configuration's order.
func (c *common) relayEnvs(prefix string) []relayEnv {
	out := make([]relayEnv, 0, len(c.cfg.Relays))
	for i, r := range c.cfg.Relays {
		re := relayEnv{name: r.Name}
		if i < len(c.relays.results) {
			res := c.relays.results[i]
			re.answered = true
			re.err = res.Err
			if res.Err == nil {
				re.env, re.found = res.Status.Env(prefix)
				re.connected = re.found && re.env.Conn.State == relayapi.Valid
			}
		}
		out = append(out, re)
	}
	return out
}

// connectedRelays names the Relays connected to LaunchDarkly for prefix.
func (c *common) connectedRelays(prefix string) []string {
	var names []string
	for _, re := range c.relayEnvs(prefix) {
		if re.connected {
			names = append(names, re.name)
		}
	}
	return names
}

// word is the Relay's state for the environment, in words (never colour alone), styled.
func (re relayEnv) word(st styles) string {
	switch {
	case !re.answered:
		return st.dim.Render("checking…")
	case re.err != nil:
		return st.bad.Render("unreachable")
	case !re.found:
		return st.dim.Render("not serving this prefix")
	case re.connected:
		return st.warn.Render("connected")
	}
	return st.ok.Render("CUT OFF (" + safe(string(re.env.Conn.State)) + ")")
}

// detail is since when, the last error and the store state, for the environment's pane.
func (re relayEnv) detail(now time.Time) string {
	switch {
	case !re.answered:
		return ""
	case re.err != nil:
		return safe(re.err.Error())
	case !re.found:
		return "" // the word says it
	}
	var out string
	if c := re.env.Conn; !c.Since.IsZero() {
		out = "since " + c.Since.UTC().Format("15:04:05") + " (" + fmtAgo(now.Sub(c.Since)) + ")"
	}
	if s := re.env.Store; s.State != "" {
		out += "; store " + safe(s.State)
	}
	if e := re.env.Conn.LastError; e != nil && !re.connected {
		out += "; last error " + safe(e.Kind)
	}
	return strings.TrimPrefix(out, "; ")
}

// relaysLine is the header's Relays line for the selected environment, shortened to fit:
// the states in full, then without the connection state's name, then counted. A Relay's
// state is always written in words.
func (m *Model) relaysLine() string {
	envs := m.relayEnvs(m.flagsScreen.selPrefix)
	ago := ""
	if !m.relays.at.IsZero() {
		ago = m.st.dim.Render("  (" + fmtAgo(m.now().Sub(m.relays.at)) + ")")
	}
	for _, short := range []bool{false, true} {
		var parts []string
		for _, re := range envs {
			w := re.word(m.st)
			if short && re.answered && re.err == nil && re.found && !re.connected {
				w = m.st.ok.Render("CUT OFF")
			}
			parts = append(parts, safe(re.name)+" "+w)
		}
		line := " relays: " + strings.Join(parts, "  ")
		if ansi.StringWidth(line+ago) < m.width {
			return line + ago
		}
		if ansi.StringWidth(line) < m.width {
			return line
		}
	}
	counts := map[string]int{}
	var order []string
	for _, re := range envs {
		w := ansi.Strip(re.word(m.st))
		if strings.HasPrefix(w, "CUT OFF") {
			w = "CUT OFF"
		}
		if counts[w] == 0 {
			order = append(order, w)
		}
		counts[w]++
	}
	var parts []string
	for _, w := range order {
		parts = append(parts, sprintf("%d %s", counts[w], w))
	}
	return " relays: " + strings.Join(parts, ", ") + ago
}

// relayPaneLines are the Relays' lines in the selected environment's pane: one per Relay.
func (s *flagsScreen) relayPaneLines(w int) []string {
	if len(s.cfg.Relays) == 0 {
		return nil
	}
	var out []string
	nameW := 0
	for _, r := range s.cfg.Relays {
		nameW = max(nameW, len(safe(r.Name)))
	}
	for _, re := range s.relayEnvs(s.selPrefix) {
		line := "Relay " + cell(safe(re.name), nameW) + "  " + re.word(s.st)
		if d := re.detail(s.now()); d != "" {
			sep := " "
			if re.err != nil || !re.found {
				sep = ": "
			}
			line += s.st.dim.Render(sep + d)
		}
		out = append(out, cell(line, w))
	}
	return out
}

// ---- the serving check after a write ----

// servedCheck is the results screen's serving check of the flag just written.
type servedCheck struct {
	seq     int
	cancel  context.CancelFunc
	timeout time.Duration
	running bool
	served  map[string]relayapi.Served // by Relay name, as each settles
	note    string                     // why there is no check
}

// serveTimeout is how long the Relays are asked: twice localTtl; 2 s when Relay has no
// cache; a Relay that caches forever (negative) is asked 2 s and then must be restarted.
func serveTimeout(ttl time.Duration) time.Duration {
	if ttl > 0 {
		return 2 * ttl
	}
	return 2 * time.Second
}

// startServed starts asking every Relay until it serves flag as on (version or newer).
func (s *resultsScreen) startServed(prefix, flag string, on bool, version int, written time.Time) tea.Cmd {
	if s.served.cancel != nil {
		s.served.cancel()
	}
	s.served = servedCheck{seq: s.served.seq + 1}
	if s.ra == nil || len(s.cfg.Relays) == 0 {
		return nil
	}
	key, ok := s.cfg.SDKKeys[prefix]
	if !ok {
		s.served.note = "Not asked whether the Relays serve it: no SDK key for " + prefix + " (relay.sdk_keys)."
		return nil
	}
	timeout := serveTimeout(s.cfg.RelayTTL)
	ctx, cancel := context.WithCancel(s.ctx)
	s.served.cancel, s.served.timeout, s.served.running = cancel, timeout, true
	s.served.served = map[string]relayapi.Served{}
	check := relayapi.ServeCheck{
		Relays:   slices.Clone(s.cfg.Relays),
		SDKKeys:  map[string]relayapi.SDKKey{prefix: key},
		Flags:    []relayapi.Expect{{Prefix: prefix, Flag: flag, On: on, Version: version}},
		Written:  written,
		LocalTTL: s.cfg.RelayTTL,
		Timeout:  timeout,
	}
	seq, ra := s.served.seq, s.ra
	ch := make(chan relayapi.Served, len(check.Relays)) // one report per Relay: never blocks
	return func() tea.Msg {
		go func() {
			defer close(ch)
			ra.WaitServed(ctx, check, func(sv relayapi.Served) { ch <- sv })
		}()
		return nextServed(seq, ch)()
	}
}

func nextServed(seq int, ch <-chan relayapi.Served) tea.Cmd {
	return func() tea.Msg {
		sv, ok := <-ch
		if !ok {
			return servedDoneMsg{seq: seq}
		}
		return servedMsg{seq: seq, sv: sv, ch: ch}
	}
}

func (s *resultsScreen) applyServed(msg servedMsg) tea.Cmd {
	if msg.seq != s.served.seq {
		return nil
	}
	s.served.served[msg.sv.Relay.Name] = msg.sv
	return nextServed(msg.seq, msg.ch)
}

func (s *resultsScreen) applyServedDone(msg servedDoneMsg) {
	if msg.seq != s.served.seq {
		return
	}
	s.served.running = false
	if s.served.cancel != nil {
		s.served.cancel()
	}
}

// servedLines are the serving check's lines: each Relay as it settles.
func (s *resultsScreen) servedLines(flag string, on bool) []string {
	sc := s.served
	if sc.note != "" {
		return []string{s.st.dim.Render(sc.note)}
	}
	if sc.served == nil {
		return nil
	}
	st := s.st
	head := sprintf("Serving check: each Relay asked about once a second, for up to %.0f s:", sc.timeout.Seconds())
	if !sc.running {
		head = "Serving check:"
	}
	lines := []string{head}
	for _, r := range s.cfg.Relays {
		sv, ok := sc.served[r.Name]
		var text string
		style := st.dim
		switch {
		case !ok && sc.running:
			text = r.Name + " asking…"
		case !ok:
			text = r.Name + " not asked (the check stopped)"
		default:
			var good bool
			text, good = s.servedText(sv, on)
			style = st.bad
			if good {
				style = st.ok
			}
		}
		for i, l := range wrapText(text, s.width-6) {
			if i == 0 {
				l = style.Render(l)
			}
			lines = append(lines, "  "+l)
		}
	}
	return lines
}

// servedText is one Relay's line, and whether it serves the new state: "relay-a serves OFF,
// 1.4 s after the write" or "relay-b still ON after 30.0 s (localTtl 30s): restart it or
// wait". It is plain text, escaped by the caller.
func (s *resultsScreen) servedText(sv relayapi.Served, on bool) (string, bool) {
	name := sv.Relay.Name
	secs := sprintf("%.1f s", sv.After.Seconds())
	ttl := s.cfg.RelayTTL
	switch {
	case sv.Served:
		return name + " serves " + flags.OnOff(on) + ", " + secs + " after the write", true
	case errors.Is(sv.Err, relayapi.ErrSDKKeyRefused):
		return name + " does not serve this environment (SDK key refused)", false
	case sv.Err != nil:
		return name + " unknown after " + secs + ": " + sv.Err.Error(), false
	case ttl < 0:
		return name + " still " + flags.OnOff(sv.LastOn) + " after " + secs + " (localTtl negative: it caches forever): restart it", false
	}
	return name + " still " + flags.OnOff(sv.LastOn) + " after " + secs + " (localTtl " + ttl.String() + "): restart it or wait", false
}

// ---- the change made in LaunchDarkly instead of Redis ----

// startLD sends a confirmed toggle to LaunchDarkly itself (with the reason as its comment)
// instead of editing Redis: a connected Relay then streams it into Redis. Nothing is written
// to Redis, so the journal, which records the edits made in Redis, gets no change:
// LaunchDarkly's audit log holds this one, under the comment.
func (s *resultsScreen) startLD(c confirmState) tea.Cmd {
	if s.ldw == nil || !c.mapped {
		s.setStatus("cannot change "+c.flag+" in LaunchDarkly from here: no token, or an unmapped prefix", true)
		return nil
	}
	reason := strings.TrimSpace(c.reason.value())
	comment := ldsync.DirectComment(s.cfg.Operator, reason)
	ch := journalChange(c, s.now(), s.cfg.Operator, reason)
	s.results = &resultsState{change: ch, running: true, inLD: true}
	s.active = screenResults
	s.setStatus(sprintf("setting %s %s in LaunchDarkly…", c.flag, flags.OnOff(c.after)), false)
	ldw, jr, ctx, by := s.ldw, s.jr, s.ctx, s.cfg.Operator
	var store journal.DiscardStore
	if s.store != nil {
		store = s.store
	}
	return s.writing(func() tea.Msg {
		fs, err := ldw.SetOn(ctx, c.project, c.flag, c.env, c.after, comment)
		msg := ldSetDoneMsg{state: fs, err: err, finished: time.Now()}
		if err == nil && jr != nil {
			// Replayed, the pending change would undo this one; and Redis holds its write. A
			// change recorded since the dialog opened is not closed: the error says so.
			var shown journal.Pending
			if c.pending != nil {
				shown = *c.pending
			}
			msg.superseded, msg.supersedeErr = jr.Supersede(ctx, store, c.prefix, c.flag, shown, by, fs.On, fs.Version)
		}
		return msg
	})
}

func (s *resultsScreen) applyLDDone(msg ldSetDoneMsg) tea.Cmd {
	r := s.results
	if r == nil || !r.inLD {
		return nil
	}
	r.running, r.done, r.err, r.ldState = false, true, msg.err, msg.state
	r.superseded, r.supersedeErr = msg.superseded, msg.supersedeErr
	c := r.change
	s.log.Info("set in LaunchDarkly", "prefix", c.Prefix, "flag", c.Flag, "on", c.After, "err", msg.err)
	if msg.err != nil {
		s.setStatus(c.Flag+": LaunchDarkly: "+msg.err.Error(), true)
		return nil
	}
	if msg.supersedeErr != nil {
		s.setStatus(msg.supersedeErr.Error(), true)
		return tea.Batch(s.startServed(c.Prefix, c.Flag, c.After, msg.state.Version, msg.finished), s.refresh())
	}
	status := sprintf("%s is %s in LaunchDarkly (v%d); Redis not edited", c.Flag, flags.OnOff(msg.state.On), msg.state.Version)
	if msg.superseded.Redis != nil {
		status = sprintf("%s is %s in LaunchDarkly (v%d); its pending change is closed", c.Flag, flags.OnOff(msg.state.On), msg.state.Version)
		if kept := msg.superseded.Kept(); len(kept) > 0 {
			s.setStatus(status+"; "+strings.Join(kept, ", ")+" kept its state in Redis: restart its Relay", true)
			return tea.Batch(s.startServed(c.Prefix, c.Flag, c.After, msg.state.Version, msg.finished), s.refresh())
		}
	}
	s.setStatus(status, false)
	return tea.Batch(s.startServed(c.Prefix, c.Flag, c.After, msg.state.Version, msg.finished), s.refresh())
}
