package tui

import (
	"errors"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/tui/termsafe"
)

// discardDialog asks before a pending change is discarded: a reason, and whether to write
// the base state back to Redis. A restore writes Redis as a toggle does, so in a protected
// environment (or an unmapped prefix) it needs the flag key typed out. It ends with
// discardConfirmedMsg, or closes without one.
type discardDialog struct {
	*discardState
	keys keyMap
	st   styles
}

// discardState is the discard confirmation, captured when it opens.
type discardState struct {
	p         journal.Pending
	protected bool // a restore needs the flag key typed (flags.Protection.NeedsTypedKey)
	reason    textField
	typed     textField
	restore   bool
	field     int // see fields()
	yes       bool
	problem   string
}

const (
	discardReason = iota
	discardRestore
	discardTyped
	discardButtons
)

// newDiscardDialog opens the discard confirmation of p.
func newDiscardDialog(c *common, p journal.Pending) *discardDialog {
	t, mapped := p.Target()
	return &discardDialog{
		discardState: &discardState{p: p, protected: c.isProtected(t, mapped),
			reason: newTextField(), typed: newTextField()},
		keys: c.keys, st: c.st,
	}
}

// needsTyped reports whether the confirmation needs the flag key typed: a restore chosen
// where writes are protected.
func (d *discardState) needsTyped() bool { return d.restore && d.protected }

func (d *discardState) fields() []int {
	if d.needsTyped() {
		return []int{discardReason, discardRestore, discardTyped, discardButtons}
	}
	return []int{discardReason, discardRestore, discardButtons}
}

// Update handles a key; it ends with the confirmed discard, or closes without one.
func (d *discardDialog) Update(msg tea.KeyPressMsg) (tea.Msg, bool) {
	k := d.keys
	fields := d.fields()
	pos := slices.Index(fields, d.field)
	next := fields[(pos+1)%len(fields)]
	switch {
	case key.Matches(msg, k.Cancel):
		return nil, true
	case key.Matches(msg, k.NextField):
		d.field = next
		return nil, false
	case key.Matches(msg, k.PrevField):
		d.field = fields[(pos+len(fields)-1)%len(fields)]
		return nil, false
	}
	switch d.field {
	case discardReason, discardTyped:
		if key.Matches(msg, k.Confirm) {
			d.field = next
			return nil, false
		}
		if d.field == discardReason {
			d.reason.update(msg)
		} else {
			d.typed.update(msg)
		}
		if msg.Text != "" {
			d.problem = ""
		}
	case discardRestore:
		switch {
		case key.Matches(msg, k.RestoreOpt):
			d.restore = !d.restore
			d.problem = ""
		case key.Matches(msg, k.Confirm):
			d.field = next
		}
	case discardButtons:
		switch {
		case key.Matches(msg, k.Left, k.Right):
			d.yes = !d.yes
		case key.Matches(msg, k.Yes):
			d.yes = true
		case key.Matches(msg, k.No):
			d.yes = false
		case key.Matches(msg, k.Confirm):
			if !d.yes {
				return nil, true
			}
			if problem := typedKeyProblem(d.typed.value(), d.p.Flag, "to restore it in Redis"); d.needsTyped() && problem != "" {
				d.problem = problem
				d.field = discardTyped
				return nil, false
			}
			return discardConfirmedMsg{p: d.p, reason: d.reason.value(), restore: d.restore}, true
		}
	}
	return nil, false
}

// paste adds pasted text to the reason. The flag key must be typed: a paste there is ignored.
func (d *discardDialog) paste(text string) {
	if d.field == discardReason {
		d.reason.insert(text)
	}
}

// Keys are the dialog's keys.
func (d *discardDialog) Keys() helpKeys {
	k := d.keys
	ks := enabled(k.NextField, k.RestoreOpt, k.Yes, k.No, k.Confirm, k.Cancel)
	return helpKeys{short: ks, full: [][]key.Binding{ks}}
}

// View draws the dialog; it only reads.
func (d *discardDialog) View(w, h int) []string {
	st := d.st
	p := d.p
	cur := func(n int) string {
		if d.field == n {
			return ">"
		}
		return " "
	}
	reason := d.reason.view(d.field == discardReason)
	box := "[ ]"
	if d.restore {
		box = "[x]"
	}
	whereLine := where(p.Project, p.Environment, p.Prefix)
	if d.protected {
		whereLine += "  " + st.protected.Render(protectedWord)
	}
	no, yes := st.buttonOn.Render("[ No ]"), st.button.Render("  Yes  ")
	if d.yes {
		no, yes = st.button.Render("  No  "), st.buttonOn.Render("[ Yes ]")
	}
	lines := []string{
		"  " + cell("flag", 12) + st.bold.Render(safe(p.Flag)),
		"  " + cell("where", 12) + whereLine,
		"  " + cell("pending", 12) + sprintf("%s -> %s, %d %s", flags.OnOff(p.BaseOn), flags.OnOff(p.Desired), len(p.Entries), changesWord(len(p.Entries))),
		"  It will not be replayed to LaunchDarkly. The journal keeps the record.",
		"",
		cur(0) + " " + cell("reason", 12) + reason,
		cur(discardRestore) + " " + box + sprintf(" also write %s (the base state) back where Redis holds the change", flags.OnOff(p.BaseOn)),
		"      " + st.dim.Render("(not a new change: LaunchDarkly already has the base state)"),
	}
	if d.needsTyped() {
		lines = append(lines, cur(discardTyped)+" "+cell("type the key", 12)+" "+d.typed.view(d.field == discardTyped))
		if d.problem != "" {
			for _, l := range wrapText(d.problem, max(20, min(w, 76)-6)) {
				lines = append(lines, "  "+st.errText.Render(l))
			}
		}
	}
	lines = append(lines,
		"",
		cur(discardButtons)+" "+strings.Repeat(" ", 12)+no+"   "+yes,
		st.dim.Render("  tab next field · space ticks · y/n choose · enter activates · esc cancels"),
	)
	title := "Discard the pending change of " + p.Flag + "?"
	if d.needsTyped() {
		// the restore writes a protected environment: its border and title say so, as the
		// toggle confirmation's do
		title = protectedWord + ": discard " + p.Flag + " and write " + flags.OnOff(p.BaseOn) + " back to Redis?"
		st.borderOn = st.protected
	}
	return dialogBox(title, lines, w, h, st)
}

func where(project, env, prefix string) string {
	if project == "" {
		return safe(prefix)
	}
	return safe(project + " / " + env)
}

// discardCmd has the journal close a confirmed discard and, when asked, write the base state
// back to Redis (journal.Journal.Discard).
func (c *common) discardCmd(d discardConfirmedMsg) tea.Cmd {
	if c.jr == nil {
		return nil
	}
	p := d.p
	req := journal.DiscardRequest{By: c.cfg.Operator, Why: d.reason, Restore: d.restore, Time: c.now()}
	jr, ctx := c.jr, c.ctx
	var store journal.DiscardStore
	if c.store != nil {
		store = c.store
	}
	c.setStatus("discarding "+termsafe.Escape(p.Flag)+"…", false)
	return c.writing(func() tea.Msg {
		res, err := jr.Discard(ctx, store, p, req)
		return discardDoneMsg{flag: p.Flag, err: err, restored: res.Restored, left: res.Left}
	})
}

// applyDiscardDone says what the discard did, host by host for a restore.
func (c *common) applyDiscardDone(msg discardDoneMsg) tea.Cmd {
	flag := termsafe.Escape(msg.flag)
	switch {
	case errors.Is(msg.err, journal.ErrPendingMoved):
		c.setStatus("not discarded: "+flag+"'s pending change moved on (replayed, or changed again) since it was shown; look at the queue again", true)
	case msg.err != nil:
		c.setStatus("discard "+flag+": "+termsafe.Escape(msg.err.Error()), true)
	case msg.restored != nil && len(msg.restored.FailedHosts()) > 0:
		c.setStatus("discarded "+flag+"; "+restoreSummary(*msg.restored)+leftSummary(msg.left), true)
	case msg.restored != nil && len(msg.restored.Hosts) == 0 && len(msg.left) > 0:
		c.setStatus("discarded "+flag+"; Redis left as the Relays wrote it"+leftSummary(msg.left), false)
	case msg.restored != nil:
		c.setStatus("discarded "+flag+" and restored its base state in Redis: "+restoreSummary(*msg.restored)+leftSummary(msg.left), false)
	default:
		c.setStatus("discarded "+flag+": it will not be replayed", false)
	}
	return c.refresh()
}

// leftSummary names the hosts a restore left because a Relay rewrote them since the change.
func leftSummary(left []flags.HostResult) string {
	if len(left) == 0 {
		return ""
	}
	names := make([]string, len(left))
	for i, h := range left {
		names[i] = sprintf("%s (v%d)", h.Host, h.OldVersion)
	}
	return "; left " + strings.Join(names, ", ") + ": a Relay wrote LaunchDarkly's newer state there"
}

// restoreSummary is a restore's outcome per host, failures first so that a short status line
// keeps them: "restoring failed on relay-c: connection refused; ON on relay-a, relay-b".
func restoreSummary(r flags.ToggleResult) string {
	var ok, failed []string
	for _, h := range r.Hosts {
		if h.Outcome == flags.Failed {
			msg := h.Host
			if h.Err != nil {
				msg += ": " + h.Err.Error()
			}
			failed = append(failed, termsafe.Escape(msg))
		} else {
			ok = append(ok, h.Host)
		}
	}
	var parts []string
	if len(failed) > 0 {
		parts = append(parts, "restoring failed on "+strings.Join(failed, "; "))
	}
	if len(ok) > 0 {
		parts = append(parts, flags.OnOff(r.On)+" on "+strings.Join(ok, ", "))
	}
	return strings.Join(parts, "; ")
}
