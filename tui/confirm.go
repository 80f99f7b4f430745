package tui

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
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
	// ldReachable: LaunchDarkly answered its last check, so a Relay reconnects within seconds
	// and its next update undoes a Redis edit, connected or not as last polled
	ldReachable bool
	// servingOff are the flags that require this one and serve their off variation after the
	// toggle (flags.Flag.DependantsServingOff, the command line's rule too)
	servingOff []string
	// pendingNote says the flag's change waiting for replay and what the replay sends after
	// this toggle; none when nothing is pending
	pendingNote []string
	// pending is that change as shown: a change made in LaunchDarkly closes it (Supersede)
	pending *journal.Pending
}

// offerLD says the dialog offers to make the change in LaunchDarkly instead of Redis: some
// Relay is connected or LaunchDarkly answers, and LaunchDarkly can be written.
func (c *confirmState) offerLD() bool {
	return (len(c.connected) > 0 || c.ldReachable) && c.canLD
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
			if problem := typedKeyProblem(c.typed.value(), c.flag, "to confirm"); c.protected && problem != "" {
				c.problem = problem
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

// typedKeyProblem says why the typed key does not confirm a change of key (for purpose):
// nothing typed, or how it differs; "" when it matches. Spaces around it do not count (a
// key copied from a terminal often carries them); any other difference does.
func typedKeyProblem(typed, key, purpose string) string {
	typed = strings.TrimSpace(typed)
	switch typed {
	case key:
		return ""
	case "":
		return "type the flag key exactly " + purpose
	}
	return "the key is " + safe(key) + "; you typed " + strconv.Quote(safe(typed))
}

// undoWarning says who will undo a Redis edit: the Relays connected to LaunchDarkly, or,
// with none connected as last polled, LaunchDarkly answering; "" when neither.
func (c *confirmState) undoWarning() string {
	ask := ""
	if c.canLD {
		ask = " Make the change in LaunchDarkly instead?"
	}
	switch {
	case len(c.connected) > 0:
		return c.connectedWarning() + ask
	case c.ldReachable:
		return "LaunchDarkly is reachable: Relay's next update will undo this Redis edit." + ask
	}
	return ""
}

// noLDNote says why the change cannot be made in LaunchDarkly from here.
func (c *confirmState) noLDNote() string {
	if !c.mapped {
		return "(unmapped prefix: its LaunchDarkly project and environment are unknown; make it in LaunchDarkly's own UI)"
	}
	return "(no LaunchDarkly token here: make it in LaunchDarkly's own UI)"
}

// servingOffWarning names the flags that serve their off variation after the toggle, in at
// most two lines of w columns; none when no flag does.
func (c *confirmState) servingOffWarning(w int) []string {
	n := len(c.servingOff)
	if n == 0 {
		return nil
	}
	lead := "! " + countWords(n, "flag requires it and serves its", "flags require it and serve their") + " off variation while it is OFF: "
	for shown := n; ; shown-- {
		text := lead + strings.Join(c.servingOff[:shown], ", ")
		if shown < n {
			text += sprintf(" and %d more (enter on the flag lists them)", n-shown)
		}
		if l := wrapText(text, w); len(l) <= 2 || shown == 1 {
			return l
		}
	}
}

// connectedWarning says which Relays will overwrite a Redis edit.
func (c *confirmState) connectedWarning() string {
	names := make([]string, len(c.connected))
	for i, n := range c.connected {
		names[i] = safe(n)
	}
	if len(names) == 1 {
		return names[0] + " is connected to LaunchDarkly for this environment: its next update will overwrite this edit."
	}
	return strings.Join(names, ", ") + " are connected to LaunchDarkly for this environment: their next update will overwrite this edit."
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
	// the choices first: at 80 columns the footer has room for about five keys
	ks := enabled(k.Yes, k.No, k.Confirm, k.Cancel, k.NextField, k.PrevField, k.Left)
	if c.offerLD() {
		ks = enabled(k.Yes, k.No, k.InLD, k.Confirm, k.Cancel, k.NextField, k.PrevField, k.Left)
	}
	return helpKeys{short: ks, full: [][]key.Binding{ks}}
}

// confirmRow is one line of the dialog; optional ones (spacing, the keys the footer also
// lists) go first when the body is too short for every line.
type confirmRow struct {
	text     string
	optional int // 0: always shown; 1 goes first, then 2 (spacing), then 3 (explanations)
}

// View draws the dialog; it only reads. A protected environment's dialog has the protected
// border and says PROTECTED.
func (c *confirmDialog) View(w, h int) []string {
	st := c.st
	title := sprintf("Turn %s %s?", flags.OnOff(c.after), c.flag)
	envLine := safe(c.env)
	if !c.mapped {
		envLine = "unknown (unmapped prefix)"
	}
	if c.protected {
		title += "  " + protectedWord
		envLine += "  " + st.protected.Render(protectedWord)
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
	var rows []confirmRow
	add := func(optional int, lines ...string) {
		for _, l := range lines {
			rows = append(rows, confirmRow{l, optional})
		}
	}
	add(0,
		"  "+cell("prefix", 13)+safe(c.prefix),
		"  "+cell("project", 13)+project,
		"  "+cell("environment", 13)+envLine,
		"  "+cell("flag", 13)+st.bold.Render(safe(c.flag)),
		"  "+cell("now", 13)+now,
		"  "+cell("after", 13)+st.bold.Render(sprintf("%s, v%d", flags.OnOff(c.after), c.version+1)),
		"  "+cell("hosts", 13)+strings.Join(c.hosts, ", "),
	)
	wrapW := max(20, min(w, 76)-6)
	warned := false
	// In a short window the explanations give way (their last lines first) before a field,
	// a button or what enter on In LaunchDarkly does: rows of class 3 go last.
	if l := c.servingOffWarning(wrapW); len(l) > 0 {
		add(2, "")
		for _, l := range l {
			add(3, "  "+st.warn.Render(l))
		}
		warned = true
	}
	if len(c.pendingNote) > 0 {
		add(2, "")
		for _, note := range c.pendingNote {
			for _, l := range wrapText(note, wrapW) {
				add(3, "  "+l)
			}
		}
		if c.offerLD() {
			for _, l := range wrapText("In LaunchDarkly closes the pending change: LaunchDarkly then has your latest choice", wrapW) {
				add(0, "  "+l)
			}
		}
		warned = true
	}
	if warning := c.undoWarning(); warning != "" {
		add(2, "")
		for _, l := range wrapText("! "+warning, wrapW) {
			add(0, "  "+st.warn.Render(l)) // why In LaunchDarkly is offered: it stays
		}
		if !c.canLD {
			for _, l := range wrapText(c.noLDNote(), wrapW) {
				add(3, "  "+st.dim.Render(l))
			}
		}
		warned = true
	}
	if warned {
		add(2, "")
	}
	add(0, field(fieldReason, "reason", c.reason))
	if c.protected {
		add(0, field(fieldTyped, "type the key", c.typed))
		if c.problem != "" {
			for _, l := range wrapText(c.problem, wrapW) {
				add(0, "  "+st.errText.Render(l))
			}
		}
	}
	// One button is marked: the one enter activates.
	no, yes := st.button.Render("  No  "), st.button.Render("  Yes  ")
	switch {
	case c.yes:
		yes = st.buttonOn.Render("[ Yes ]")
	case !c.inLD:
		no = st.buttonOn.Render("[ No ]")
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
	add(2, "")
	add(0, cur+" "+strings.Repeat(" ", 13)+buttons)
	if c.offerLD() {
		add(1, st.dim.Render("  tab next field · ←/→ or y/n/l choose · enter activates · esc cancels"))
	} else {
		add(1, st.dim.Render("  tab next field · ←/→ or y/n choose · enter activates · esc cancels"))
	}
	bst := st
	if c.protected {
		bst.borderOn = st.protected
	}
	return dialogBox(title, fitRows(rows, h-2), w, h, bst)
}

// fitRows drops optional rows, the first-to-go class first and the last rows of a class
// first, until at most n remain.
func fitRows(rows []confirmRow, n int) []string {
	for class := 1; class <= 3; class++ {
		rows = dropToFit(rows, n, func(r confirmRow) bool { return r.optional == class })
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.text
	}
	return out
}
