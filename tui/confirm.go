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
		case key.Matches(msg, k.Left, k.Right):
			c.yes = !c.yes
		case key.Matches(msg, k.Yes):
			c.yes = true
		case key.Matches(msg, k.No):
			c.yes = false
		case key.Matches(msg, k.Confirm):
			if !c.yes {
				return toggleCancelledMsg{flag: c.flag}, true
			}
			if c.protected && c.typed.value() != c.flag {
				c.problem = "type the flag key exactly to confirm"
				c.field = fieldTyped
				return nil, false
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
	return dialogBox(title, lines, w, h, st)
}
