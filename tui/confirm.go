package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
)

// confirmDialog asks before a toggle: it shows what will change where, takes a reason and,
// in a protected environment, the flag key typed out. It ends with confirmedToggleMsg or
// toggleCancelledMsg.
type confirmDialog struct {
	*confirmState
	keys keyMap
	st   styles
}

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
	reason                     textField
	typed                      textField
	field                      int  // focused field: see fields()
	yes                        bool // the selected button; No is the default
	problem                    string
	// connected are the Relays connected to LaunchDarkly for this environment, as last
	// polled: their next update overwrites an edit in Redis.
	connected []string
	canLD     bool // a LaunchDarkly token and a mapped prefix: the change can be made there
	inLD      bool // the "in LaunchDarkly" button is selected (yes is false then)
}

// offerLD says the dialog offers to make the change in LaunchDarkly instead of Redis: some
// Relay is connected, and LaunchDarkly can be written.
func (c *confirmState) offerLD() bool { return len(c.connected) > 0 && c.canLD }

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

// Update handles a key; it ends with the confirmed toggle, or with a cancel.
func (c *confirmDialog) Update(msg tea.KeyPressMsg) (tea.Msg, bool) {
	k := c.keys
	fields := c.fields()
	pos := slices.Index(fields, c.field)
	switch {
	case key.Matches(msg, k.Cancel):
		return toggleCancelledMsg{flag: c.flag}, true
	case key.Matches(msg, k.NextField):
		c.field = fields[(pos+1)%len(fields)]
		return nil, false
	case key.Matches(msg, k.PrevField):
		c.field = fields[(pos+len(fields)-1)%len(fields)]
		return nil, false
	}
	if c.field == fieldButtons {
		switch {
		case key.Matches(msg, k.Left, k.Right) && c.offerLD():
			c.cycleButtons(key.Matches(msg, k.Right))
		case key.Matches(msg, k.Left, k.Right):
			c.yes = !c.yes
		case key.Matches(msg, k.Yes):
			c.yes, c.inLD = true, false
		case key.Matches(msg, k.No):
			c.yes, c.inLD = false, false
		case key.Matches(msg, k.InLD) && c.offerLD():
			c.yes, c.inLD = false, true
		case key.Matches(msg, k.Confirm):
			if !c.yes && !c.inLD {
				return toggleCancelledMsg{flag: c.flag}, true
			}
			if c.protected && c.typed.value() != c.flag {
				c.problem = "type the flag key exactly to confirm"
				c.field = fieldTyped
				return nil, false
			}
			if c.inLD {
				return ldChangeMsg{c: *c.confirmState}, true
			}
			return confirmedToggleMsg{c: *c.confirmState}, true
		}
		return nil, false
	}
	// a text field
	if key.Matches(msg, k.Confirm) {
		c.field = fields[(pos+1)%len(fields)]
		return nil, false
	}
	target := &c.reason
	if c.field == fieldTyped {
		target = &c.typed
	}
	target.update(msg)
	if msg.Text != "" {
		c.problem = ""
	}
	return nil, false
}

// connectedWarning says which Relays will overwrite a Redis edit.
func (c *confirmState) connectedWarning() string {
	names := make([]string, len(c.connected))
	for i, n := range c.connected {
		names[i] = safe(n)
	}
	if len(names) == 1 {
		return names[0] + " is connected to LaunchDarkly for this environment: its next update will overwrite this edit. Make the change in LaunchDarkly instead?"
	}
	return strings.Join(names, ", ") + " are connected to LaunchDarkly for this environment: their next update will overwrite this edit. Make the change in LaunchDarkly instead?"
}

// cycleButtons moves the selection among No, Yes (Redis) and In LaunchDarkly.
func (c *confirmState) cycleButtons(right bool) {
	i := 0
	switch {
	case c.yes:
		i = 1
	case c.inLD:
		i = 2
	}
	if right {
		i = (i + 1) % 3
	} else {
		i = (i + 2) % 3
	}
	c.yes, c.inLD = i == 1, i == 2
}

// paste adds pasted text to the reason. The flag key of a protected environment must be
// typed: a paste there is ignored.
func (c *confirmDialog) paste(text string) {
	if c.field == fieldReason {
		c.reason.insert(text)
	}
}

// Keys are the dialog's keys.
func (c *confirmDialog) Keys() helpKeys {
	k := c.keys
	ks := enabled(k.NextField, k.PrevField, k.Left, k.Yes, k.No, k.Confirm, k.Cancel)
	if c.offerLD() {
		ks = enabled(k.NextField, k.PrevField, k.Left, k.Yes, k.No, k.InLD, k.Confirm, k.Cancel)
	}
	return helpKeys{short: ks, full: [][]key.Binding{ks}}
}

// View draws the dialog; it only reads.
func (c *confirmDialog) View(w, h int) []string {
	st := c.st
	title := sprintf("Turn %s %s?", flags.OnOff(c.after), c.flag)
	envLine := safe(c.env)
	if !c.mapped {
		envLine = "unknown (unmapped prefix)"
	}
	if c.protected {
		envLine += "  (protected)"
	}
	project := safe(c.project)
	if project == "" {
		project = "unknown"
	}
	now := sprintf("%s, v%d", flags.OnOff(c.before), c.version)
	if c.agreeNote != "" {
		now += "  (hosts differ: " + safe(c.agreeNote) + ")"
	} else {
		now += " " + c.hostsNote
	}
	field := func(n int, label string, val textField) string {
		cur := " "
		if c.field == n {
			cur = ">"
		}
		return cur + " " + cell(label, 13) + val.view(c.field == n)
	}
	lines := []string{
		"  " + cell("prefix", 13) + safe(c.prefix),
		"  " + cell("project", 13) + project,
		"  " + cell("environment", 13) + envLine,
		"  " + cell("flag", 13) + st.bold.Render(safe(c.flag)),
		"  " + cell("now", 13) + now,
		"  " + cell("after", 13) + st.bold.Render(sprintf("%s, v%d", flags.OnOff(c.after), c.version+1)),
		"  " + cell("hosts", 13) + strings.Join(c.hosts, ", "),
	}
	if len(c.connected) > 0 {
		lines = append(lines, "")
		for _, l := range wrapText("! "+c.connectedWarning(), max(20, min(w, 76)-6)) {
			lines = append(lines, "  "+st.warn.Render(l))
		}
		if !c.canLD {
			lines = append(lines, "  "+st.dim.Render("(no LaunchDarkly token here: make it in LaunchDarkly's own UI)"))
		}
		if h > 20 { // 80x24 with the Relays line: the protected dialog needs that row
			lines = append(lines, "")
		}
	}
	lines = append(lines, field(fieldReason, "reason", c.reason))
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
	buttons := no + "   " + yes
	if c.offerLD() {
		yes = strings.Replace(yes, "Yes", "Yes, in Redis", 1)
		inLD := st.button.Render("  In LaunchDarkly  ")
		if c.inLD {
			inLD = st.buttonOn.Render("[ In LaunchDarkly ]")
		}
		buttons = no + "   " + yes + "   " + inLD
	}
	lines = append(lines, "", cur+" "+strings.Repeat(" ", 13)+buttons)
	if c.offerLD() {
		lines = append(lines, st.dim.Render("  tab next field · ←/→ or y/n/l choose · enter activates · esc cancels"))
	} else {
		lines = append(lines, st.dim.Render("  tab next field · ←/→ or y/n choose · enter activates · esc cancels"))
	}
	return dialogBox(title, lines, w, h, st)
}
