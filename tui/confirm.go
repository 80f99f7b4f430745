package tui

import (
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
)

// confirmState is what the operator confirms, captured when the dialog opens: a refresh or a
// late filter result cannot change it.
type confirmState struct {
	prefix, project, env, flag string
	mapped                     bool
	before                     bool
	version                    int
	after                      bool
	hosts                      []string
	agreeNote                  string // how the hosts differ, when they do
	hostsNote                  string // where the state was read
	protected                  bool
	reason                     string
	typed                      string
	field                      int  // focused field: see fields()
	yes                        bool // the selected button; No is the default
	problem                    string
}

const (
	fieldReason = iota
	fieldTyped
	fieldButtons
)

func (c *confirmState) fields() []int {
	if c.protected {
		return []int{fieldReason, fieldTyped, fieldButtons}
	}
	return []int{fieldReason, fieldButtons}
}

func (m *Model) isProtected(env string, mapped bool) bool {
	if !mapped || env == "" {
		return true // an unmapped prefix may well be production
	}
	return slices.Contains(m.cfg.Protected, env)
}

func (m *Model) openConfirm() tea.Cmd {
	if m.cfg.ReadOnly {
		return nil
	}
	if m.results != nil && m.results.running {
		m.setStatus("a write is still in progress: wait for its results", true)
		return nil
	}
	f, ok := m.cursorFlag()
	if !ok {
		return nil
	}
	p, readable := primary(f)
	switch {
	case !readable && hasUnreadable(f):
		m.setStatus(f.Key+": its JSON is unreadable on "+firstUnreadable(f)+"; not toggling it", true)
		return nil
	case !readable:
		m.setStatus(f.Key+": not on any reachable host", true)
		return nil
	case p.Deleted:
		m.setStatus(f.Key+": deleted (tombstone); a deleted flag cannot be toggled", true)
		return nil
	}
	_, _, note := hostsAgree(f, m.downHosts())
	c := &confirmState{
		prefix:    m.set.Prefix,
		project:   m.set.Target.Project,
		env:       m.set.Target.Environment,
		mapped:    m.set.Mapped,
		flag:      f.Key,
		before:    p.On,
		version:   p.Version,
		after:     !p.On,
		hosts:     slices.Clone(m.hostNames),
		agreeNote: note,
	}
	if len(c.hosts) == 0 {
		for _, h := range f.Hosts {
			c.hosts = append(c.hosts, h.Host)
		}
	}
	c.protected = m.isProtected(c.env, c.mapped)
	var down []string
	for _, h := range c.hosts {
		if m.downHosts()[h] {
			down = append(down, h)
		}
	}
	c.hostsNote = sprintf("on all %d hosts", len(c.hosts))
	if len(down) > 0 {
		c.hostsNote = sprintf("on %d hosts; DOWN: %s (will fail)", len(c.hosts)-len(down), strings.Join(down, ", "))
	}
	m.confirm = c
	return nil
}

func firstUnreadable(f flags.Flag) string {
	for _, h := range f.Hosts {
		if h.Unreadable != "" {
			return h.Host + " (" + h.Unreadable + ")"
		}
	}
	return ""
}

func (m *Model) updateConfirm(msg tea.KeyPressMsg) tea.Cmd {
	c := m.confirm
	k := m.keys
	fields := c.fields()
	pos := slices.Index(fields, c.field)
	switch {
	case key.Matches(msg, k.Cancel):
		m.confirm = nil
		m.setStatus("not changed: "+c.flag, false)
		return nil
	case key.Matches(msg, k.NextField):
		c.field = fields[(pos+1)%len(fields)]
		return nil
	case key.Matches(msg, k.PrevField):
		c.field = fields[(pos+len(fields)-1)%len(fields)]
		return nil
	}
	if c.field == fieldButtons {
		switch {
		case key.Matches(msg, k.Left, k.Right):
			c.yes = !c.yes
		case key.Matches(msg, k.Yes):
			c.yes = true
		case key.Matches(msg, k.No):
			c.yes = false
		case key.Matches(msg, k.Confirm):
			if !c.yes {
				m.confirm = nil
				m.setStatus("not changed: "+c.flag, false)
				return nil
			}
			if c.protected && c.typed != c.flag {
				c.problem = "type the flag key exactly to confirm"
				c.field = fieldTyped
				return nil
			}
			m.confirm = nil
			return m.toggleCmd(c)
		}
		return nil
	}
	// a text field
	target := &c.reason
	if c.field == fieldTyped {
		target = &c.typed
	}
	switch msg.String() {
	case "enter":
		c.field = fields[(pos+1)%len(fields)]
		return nil
	case "backspace":
		if r := []rune(*target); len(r) > 0 {
			*target = string(r[:len(r)-1])
		}
		return nil
	case "ctrl+u":
		*target = ""
		return nil
	}
	if msg.Text != "" && (msg.Mod == 0 || msg.Mod == tea.ModShift) {
		*target += msg.Text
		c.problem = ""
	}
	return nil
}

func (m *Model) confirmView(h int) []string {
	c := m.confirm
	st := m.st
	title := sprintf("Turn %s %s?", onOff(c.after), c.flag)
	envLine := c.env
	if !c.mapped {
		envLine = "unknown (unmapped prefix)"
	}
	if c.protected {
		envLine += "  (protected)"
	}
	project := c.project
	if project == "" {
		project = "unknown"
	}
	now := sprintf("%s, v%d", onOff(c.before), c.version)
	if c.agreeNote != "" {
		now += "  (hosts differ: " + c.agreeNote + ")"
	} else {
		now += " " + c.hostsNote
	}
	field := func(n int, label, val string) string {
		cur := " "
		if c.field == n {
			cur = ">"
			val += "█"
		}
		return cur + " " + cell(label, 13) + val
	}
	lines := []string{
		"  " + cell("prefix", 13) + c.prefix,
		"  " + cell("project", 13) + project,
		"  " + cell("environment", 13) + envLine,
		"  " + cell("flag", 13) + st.bold.Render(c.flag),
		"  " + cell("now", 13) + now,
		"  " + cell("after", 13) + st.bold.Render(sprintf("%s, v%d", onOff(c.after), c.version+1)),
		"  " + cell("hosts", 13) + strings.Join(c.hosts, ", "),
		field(fieldReason, "reason", c.reason),
	}
	if c.protected {
		lines = append(lines, field(fieldTyped, "type the key", c.typed))
		if c.problem != "" {
			lines = append(lines, "  "+st.errText.Render(c.problem))
		}
	}
	no, yes := "  No  ", "  Yes  "
	if c.yes {
		yes = st.buttonOn.Render("[ Yes ]")
		no = st.button.Render(no)
	} else {
		no = st.buttonOn.Render("[ No ]")
		yes = st.button.Render(yes)
	}
	cur := " "
	if c.field == fieldButtons {
		cur = ">"
	}
	lines = append(lines, "", cur+" "+strings.Repeat(" ", 13)+no+"   "+yes)
	lines = append(lines, st.dim.Render("  tab next field · ←/→ or y/n choose · enter activates · esc cancels"))
	return dialog(title, lines, m.width, h, st)
}

// toggleDoneMsg is a recorded toggle's outcome (or a retry's).
type toggleDoneMsg struct {
	change  journal.Change
	result  flags.ToggleResult
	err     error
	retry   bool
	elapsed time.Duration
}

func (m *Model) toggleCmd(c *confirmState) tea.Cmd {
	if m.jr == nil || m.store == nil {
		m.setStatus("no journal or store configured: nothing written", true)
		return nil
	}
	base := c.version
	ch := journal.Change{
		Time:        m.now(),
		Operator:    m.cfg.Operator,
		Reason:      strings.TrimSpace(c.reason),
		Prefix:      c.prefix,
		Project:     c.project,
		Environment: c.env,
		Flag:        c.flag,
		Before:      c.before,
		After:       c.after,
		BaseVersion: &base,
	}
	m.results = &resultsState{change: ch, running: true, hosts: c.hosts}
	m.screen = screenResults
	m.setStatus(sprintf("writing %s %s to %d hosts…", c.flag, onOff(c.after), len(c.hosts)), false)
	jr, store, ctx, hosts, now := m.jr, m.store, m.ctx, slices.Clone(c.hosts), m.now
	return m.writing(func() tea.Msg {
		start := now()
		rec, res, err := jr.Toggle(ctx, store, ch, hosts...)
		return toggleDoneMsg{change: rec, result: res, err: err, elapsed: now().Sub(start)}
	})
}

func (m *Model) retryCmd() tea.Cmd {
	r := m.results
	if r == nil || r.running || m.cfg.ReadOnly || m.jr == nil || m.store == nil {
		return nil
	}
	failed := r.failedHosts()
	if len(failed) == 0 || r.change.ID == "" {
		return nil
	}
	r.running = true
	m.setStatus("retrying "+strings.Join(failed, ", ")+"…", false)
	jr, store, ctx, ch, now := m.jr, m.store, m.ctx, r.change, m.now
	return m.writing(func() tea.Msg {
		start := now()
		rec, res, err := jr.Toggle(ctx, store, ch, failed...)
		if rec.ID == "" {
			rec = ch
		}
		return toggleDoneMsg{change: rec, result: res, err: err, retry: true, elapsed: now().Sub(start)}
	})
}
