package tui

import (
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/relaycfg"
)

// resultsScreen shows what the last toggle (or its retry) did on each host.
type resultsScreen struct {
	*common
	results *resultsState // nil before the first write
	served  servedCheck   // the Relays' serving check of the last write (relays.go)
}

// busy says a write is still running.
func (s *resultsScreen) busy() bool { return s.results != nil && s.results.running }

// Keys are the screen's keys: retry while a host failed, and back.
func (s *resultsScreen) Keys() helpKeys {
	k := s.keys
	ks := enabled(k.Back)
	if s.results != nil && len(s.results.failedHosts()) > 0 {
		ks = append(enabled(k.Retry), ks...)
	}
	return helpKeys{short: ks, full: [][]key.Binding{ks}}
}

// resultsState is the write results screen: per host, what happened to the last toggle.
type resultsState struct {
	change  journal.Change
	hosts   []string
	result  flags.ToggleResult
	err     error
	running bool
	done    bool
	took    time.Duration    // the whole write, as the operator waited for it
	inLD    bool             // made in LaunchDarkly instead of Redis (relays.go)
	ldState ldsync.FlagState // LaunchDarkly's answer, when inLD
	// superseded: what closing the flag's pending change did; supersedeErr: why it was not
	superseded   journal.Superseded
	supersedeErr error
	back         screenID // where esc returns: the flags, or the queue for a retry from it
}

// backName is where esc leads from the results, in words.
func (r *resultsState) backName() string {
	if r != nil && r.back == screenQueue {
		return "the queue"
	}
	return "the flags"
}

func (r *resultsState) failedHosts() []string {
	if r == nil || !r.done {
		return nil
	}
	return r.result.FailedHosts()
}

func (s *resultsScreen) applyToggleDone(msg toggleDoneMsg) tea.Cmd {
	r := s.results
	if r == nil {
		r = &resultsState{}
		s.results = r
	}
	r.running = false
	r.done = true
	r.err = msg.err
	r.took = msg.elapsed
	if msg.change.ID != "" || !msg.retry {
		r.change = msg.change
	}
	if msg.retry {
		// a retry reports only the hosts it wrote: merge them into the first result
		for _, nh := range msg.result.Hosts {
			replaced := false
			for i, oh := range r.result.Hosts {
				if oh.Host == nh.Host {
					r.result.Hosts[i] = nh
					replaced = true
				}
			}
			if !replaced {
				r.result.Hosts = append(r.result.Hosts, nh)
			}
		}
	} else {
		r.result = msg.result
	}
	written, failed := 0, 0
	for _, h := range r.result.Hosts {
		switch h.Outcome {
		case flags.Written, flags.Unchanged:
			written++
		case flags.Failed:
			failed++
		}
	}
	var status string
	bad := true
	switch {
	case msg.err != nil && len(r.result.Hosts) == 0:
		status = r.change.Flag + ": " + msg.err.Error()
	case len(r.result.UnknownHosts()) > 0 && failed == 0:
		status = sprintf("%s: outcome unknown on %s; reading it back from Redis", r.change.Flag, strings.Join(r.result.UnknownHosts(), ", "))
	case failed > 0:
		status = sprintf("%s: %d of %s failed; T retries, w reopens this", r.change.Flag, failed, countWords(len(r.result.Hosts), "host", "hosts"))
	default:
		status, bad = sprintf("%s is %s on %d of %s; recorded in the journal", r.change.Flag, flags.OnOff(r.change.After), written, countWords(len(r.result.Hosts), "host", "hosts")), false
	}
	s.setWriteStatus(r.change.Prefix, r.change.Flag, status, bad)
	s.log.Info("toggle", "prefix", r.change.Prefix, "flag", r.change.Flag, "on", r.change.After, "id", r.change.ID, "failed", failed, "err", msg.err)
	if v, ok := writtenVersion(r.result); ok {
		return tea.Batch(s.startServed(r.change.Prefix, r.change.Flag, r.change.After, v, msg.finished), s.refresh())
	}
	return s.refresh()
}

// Update handles a key: retry the failed hosts, or back to the flags.
func (s *resultsScreen) Update(msg tea.KeyPressMsg) (tea.Cmd, dialog) {
	switch {
	case key.Matches(msg, s.keys.Retry):
		return s.retryCmd(), nil
	case key.Matches(msg, s.keys.Back):
		if s.results == nil || !s.results.running {
			s.active = screenFlags
			if s.results != nil {
				s.active = s.results.back
			}
		}
	}
	return nil, nil
}

// View draws the per-host outcome of the last write; it only reads.
func (s *resultsScreen) View(width, h int) []string {
	r := s.results
	if r == nil {
		return []string{" no write yet"}
	}
	if r.inLD {
		return s.ldView(h)
	}
	st := s.st
	c := r.change
	where := c.Prefix
	if c.Project != "" {
		where = c.Project + " / " + c.Environment
	}
	var lines []string
	written := 0
	for _, hr := range r.result.Hosts {
		if hr.Outcome == flags.Written || hr.Outcome == flags.Unchanged {
			written++
		}
	}
	head := sprintf("%s -> %s", st.bold.Render(safe(c.Flag)), st.bold.Render(flags.OnOff(c.After)))
	switch {
	case r.running:
		head += "   writing…"
	case r.done:
		have := "hosts have it"
		if len(r.result.Hosts) == 1 {
			have = "host has it"
		}
		head += sprintf("   %d of %d %s", written, len(r.result.Hosts), have)
		if r.took > 0 {
			head += ", took " + fmtLatency(r.took)
		}
	}
	lines = append(lines, wrapStyled(head, s.width-2)...)
	sub := []string{where + "  " + c.Prefix}
	if c.ID != "" {
		sub = append(sub, "journal change "+shortID(c.ID)+" by "+c.Operator+reasonSuffix(c.Reason))
	}
	lines = append(lines, dimLines(joinOrStack(sub, s.width-2), st)...)
	lines = append(lines, "")
	if r.running && len(r.result.Hosts) == 0 {
		for _, hn := range r.hosts {
			lines = append(lines, "  "+cell(hn, 16)+" "+st.dim.Render("writing…"))
		}
	}
	errW := max(20, s.width-16-12-18-10-6)
	for _, hr := range r.result.Hosts {
		var outcome, vers string
		switch hr.Outcome {
		case flags.Written:
			outcome = st.ok.Render(cell("written", 10))
			vers = sprintf("v%d -> v%d", hr.OldVersion, hr.NewVersion)
		case flags.Unchanged:
			outcome = st.ok.Render(cell("unchanged", 10))
			vers = sprintf("already %s v%d", flags.OnOff(hr.OldOn), hr.OldVersion)
		case flags.Unknown:
			// the reply to EXEC was lost: the write may have landed; never FAILED, never retried
			outcome = st.warn.Render(cell("unknown", 10))
		default:
			outcome = st.bad.Render(cell("FAILED", 10))
		}
		errText := ""
		if hr.Err != nil {
			errText = safe(hr.Err.Error())
		}
		if hr.Outcome == flags.Unknown {
			errText = safe("outcome unknown (read back: "+s.readBackNote(r.change, hr.Host)+")") + "; " + errText
		}
		line := "  " + cell(hr.Host, 16) + " " + outcome + " " + cell(vers, 18) + " " + rcell(latencyCell(hr.Latency), 7)
		if errText != "" && ansi.StringWidth(errText) <= errW {
			line += "  " + st.errText.Render(errText)
			errText = ""
		}
		lines = append(lines, line)
		for _, l := range wrapText(errText, s.width-10) {
			if l != "" {
				lines = append(lines, "      "+st.errText.Render(l))
			}
		}
	}
	if r.err != nil {
		lines = append(lines, "")
		lines = append(lines, wrapText("error: "+r.err.Error(), s.width-4)...)
	}
	lines = append(lines, "")
	if sl := s.servedLines(c.Flag, c.After); len(sl) > 0 {
		lines = append(lines, sl...)
	} else {
		lines = append(lines, wrapText(relaycfg.ReachOf(s.cfg.RelayTTL).Sentence(), s.width-4)...)
	}
	lines = append(lines, "")
	lines = append(lines, s.journalLines(c)...)
	if len(r.failedHosts()) > 0 && !s.cfg.ReadOnly {
		lines = append(lines, "")
		lines = append(lines, wrapStyled(st.key.Render("T")+" retry the failed hosts ("+strings.Join(r.failedHosts(), ", ")+")   "+st.key.Render("esc")+" back to "+r.backName(), s.width-2)...)
	} else if r.back == screenQueue {
		lines = append(lines, "", st.key.Render("esc")+" back to the queue")
	}
	return box("Write results", dropBlanks(lines, h-2), s.width, h, true, st)
}

// journalLines say when the recorded change can go to LaunchDarkly: now, while LaunchDarkly
// answers its checks (and then a Relay reconnecting undoes the Redis edit, as the
// confirmation warned), else when it is back.
func (s *resultsScreen) journalLines(c journal.Change) []string {
	st, w := s.st, s.width-4
	if !s.ldAnswered() {
		return dimLines(wrapText("Recorded in the journal: replay it to LaunchDarkly from the sync screen (3) when it is back.", w), st)
	}
	replay := "Recorded in the journal: R replays it to LaunchDarkly now (the sync screen, 3, shows the plan)."
	if !s.keys.ReplayNow.Enabled() {
		replay = "Recorded in the journal: it can be replayed to LaunchDarkly now, from a session that may write."
	}
	undo := "! LaunchDarkly is reachable: a Relay that reconnects will undo this Redis edit"
	if relays := s.connectedRelays(c.Prefix); len(relays) > 0 {
		undo += "; connected now: " + safeJoin(relays, ", ")
	}
	undo += "."
	out := dimLines(wrapText(replay, w), st)
	for _, l := range wrapText(undo, w) {
		out = append(out, st.warn.Render(l))
	}
	return out
}

// writtenVersion is the version the hosts now hold of the flag (the highest written), for
// the serving check; false when no host has it.
func writtenVersion(res flags.ToggleResult) (int, bool) {
	v, ok := 0, false
	for _, h := range res.Hosts {
		switch h.Outcome {
		case flags.Written:
			v, ok = max(v, h.NewVersion), true
		case flags.Unchanged:
			v, ok = max(v, h.OldVersion), true
		}
	}
	return v, ok
}

// shortID is a journal change's id as the screens write it: its last 8 hex digits, the
// random part (the first 16 are the time, the same for changes seconds apart). The full id
// is in the journal and the command line's output; grep finds it by these 8.
func shortID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[len(id)-8:]
}

// supersededHostLines say per host what writing LaunchDarkly's state over the closed change
// did: a host keeping the change's state needs its Relay restarted (a full re-sync).
func (s *resultsScreen) supersededHostLines(sup journal.Superseded, ld ldsync.FlagState) []string {
	var lines []string
	add := func(host, what string) { lines = append(lines, wrapIndented(host+": "+what, s.width-4, 2, 4)...) }
	for _, h := range sup.Redis.Hosts {
		switch h.Outcome {
		case flags.Written:
			add(h.Host, sprintf("now %s v%d in Redis, as LaunchDarkly has it", flags.OnOff(ld.On), ld.Version))
		case flags.Unchanged:
			add(h.Host, "already "+flags.OnOff(ld.On)+" in Redis")
		default:
			add(h.Host, "still holds the closed change's state ("+errText(h.Err)+"): restart its Relay, which re-syncs it")
		}
	}
	for _, h := range sup.Left {
		add(h.Host, sprintf("left as it is: a Relay wrote v%d since", h.OldVersion))
	}
	return lines
}

// shortIDs are ids as shortID writes each.
func shortIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = shortID(id)
	}
	return out
}

func dimLines(lines []string, st styles) []string {
	for i, l := range lines {
		lines[i] = st.dim.Render(l)
	}
	return lines
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

// ldView is the outcome of a change made in LaunchDarkly instead of Redis.
func (s *resultsScreen) ldView(h int) []string {
	r, st := s.results, s.st
	c := r.change
	head := sprintf("%s -> %s in LaunchDarkly", st.bold.Render(safe(c.Flag)), st.bold.Render(flags.OnOff(c.After)))
	switch {
	case r.running:
		head += "   sending…"
	case r.err != nil:
		head += "   " + st.bad.Render("FAILED")
	default:
		head += sprintf("   done: LaunchDarkly has it %s, v%d", flags.OnOff(r.ldState.On), r.ldState.Version)
	}
	lines := wrapStyled(head, s.width-2)
	lines = append(lines, dimLines(joinOrStack([]string{c.Project + " / " + c.Environment + "  " + c.Prefix, "by " + c.Operator + reasonSuffix(c.Reason)}, s.width-2), st)...)
	lines = append(lines, "")
	if r.err != nil {
		lines = append(lines, wrapText("error: "+r.err.Error(), s.width-4)...)
		lines = append(lines, "", "Nothing was written to Redis. esc back; the Redis edit is still possible from the flags.")
		return box("LaunchDarkly change", lines, s.width, h, true, st)
	}
	about := "Redis was not edited and the journal records no change (it records the edits made in Redis): LaunchDarkly's audit log has this one, with the reason as its comment. A Relay connected to LaunchDarkly streams it into Redis."
	if r.superseded.Redis != nil {
		about = "The journal records no new change (it records the edits made in Redis): LaunchDarkly's audit log has this one, with the reason as its comment."
	}
	lines = append(lines, wrapText(about, s.width-4)...)
	switch {
	case r.supersedeErr != nil:
		lines = append(lines, "")
		lines = append(lines, wrapText("! "+r.supersedeErr.Error(), s.width-4)...)
	case len(r.superseded.Closed) > 0:
		lines = append(lines, "")
		lines = append(lines, wrapText(sprintf("The flag's pending change (%s) is closed: replayed, it would have overridden this one.",
			strings.Join(shortIDs(r.superseded.Closed), ", ")), s.width-4)...)
		if r.superseded.Redis != nil {
			lines = append(lines, s.supersededHostLines(r.superseded, r.ldState)...)
		}
	}
	lines = append(lines, "")
	lines = append(lines, s.servedLines(c.Flag, c.After)...)
	return box("LaunchDarkly change", lines, s.width, h, true, st)
}

// start writes a confirmed toggle to every host, recording it in the journal, and shows
// its results as they come.
func (s *resultsScreen) start(c confirmState) tea.Cmd {
	if s.jr == nil || s.store == nil {
		s.setStatus("no journal or store configured: nothing written", true)
		return nil
	}
	ch := journalChange(c, s.now(), s.cfg.Operator, strings.TrimSpace(c.reason.value()))
	s.served = servedCheck{seq: s.served.seq + 1}
	s.results = &resultsState{change: ch, running: true, hosts: c.hosts}
	s.active = screenResults
	s.setStatus(sprintf("writing %s %s to %s…", c.flag, flags.OnOff(c.after), countWords(len(c.hosts), "host", "hosts")), false)
	jr, store, ctx, hosts, now := s.jr, s.store, s.ctx, slices.Clone(c.hosts), s.now
	return s.writing(func() tea.Msg {
		start := now()
		rec, res, err := jr.Toggle(ctx, store, ch, hosts...)
		return toggleDoneMsg{change: rec, result: res, err: err, elapsed: now().Sub(start), finished: time.Now()}
	})
}

// journalChange is the change a confirmation describes.
func journalChange(c confirmState, at time.Time, operator, reason string) journal.Change {
	base := c.version
	return journal.Change{
		Time:        at,
		Operator:    operator,
		Reason:      reason,
		Prefix:      c.prefix,
		Project:     c.project,
		Environment: c.env,
		Flag:        c.flag,
		Before:      c.before,
		After:       c.after,
		BaseVersion: &base,
	}
}

func (s *resultsScreen) retryCmd() tea.Cmd {
	r := s.results
	if r == nil || r.running || s.cfg.ReadOnly || s.jr == nil || s.store == nil {
		return nil
	}
	failed := r.failedHosts()
	if len(failed) == 0 || r.change.ID == "" {
		return nil
	}
	r.running = true
	s.setStatus("retrying "+strings.Join(failed, ", ")+"…", false)
	jr, store, ctx, ch, now := s.jr, s.store, s.ctx, r.change, s.now
	return s.writing(func() tea.Msg {
		start := now()
		rec, res, err := jr.Toggle(ctx, store, ch, failed...)
		if rec.ID == "" {
			rec = ch
		}
		return toggleDoneMsg{change: rec, result: res, err: err, retry: true, elapsed: now().Sub(start), finished: time.Now()}
	})
}

// latencyCell is a host's write time; none for an outcome read from the journal (a retry
// from the queue shows the hosts it did not write as recorded, with no time).
func latencyCell(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return fmtLatency(d)
}

// backScreen is where esc leads from the results: the tab the header marks meanwhile.
func (s *resultsScreen) backScreen() screenID {
	if s.results == nil {
		return screenFlags
	}
	return s.results.back
}
