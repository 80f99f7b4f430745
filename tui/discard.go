package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
	"relaycommander/journal"
)

// discardDialog asks before a pending change is discarded: a reason, and whether to write
// the base state back to Redis. It ends with discardConfirmedMsg, or closes without one.
type discardDialog struct {
	*discardState
	keys keyMap
	st   styles
}

// discardState is the discard confirmation, captured when it opens.
type discardState struct {
	p       journal.Pending
	reason  textField
	restore bool
	field   int // 0 reason, 1 restore, 2 buttons
	yes     bool
}

// Update handles a key; it ends with the confirmed discard, or closes without one.
func (d *discardDialog) Update(msg tea.KeyPressMsg) (tea.Msg, bool) {
	k := d.keys
	switch {
	case key.Matches(msg, k.Cancel):
		return nil, true
	case key.Matches(msg, k.NextField):
		d.field = (d.field + 1) % 3
		return nil, false
	case key.Matches(msg, k.PrevField):
		d.field = (d.field + 2) % 3
		return nil, false
	}
	switch d.field {
	case 0:
		if key.Matches(msg, k.Confirm) {
			d.field = 1
		} else {
			d.reason.update(msg)
		}
	case 1:
		switch {
		case key.Matches(msg, k.RestoreOpt):
			d.restore = !d.restore
		case key.Matches(msg, k.Confirm):
			d.field = 2
		}
	case 2:
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
			return discardConfirmedMsg{p: d.p, reason: d.reason.value(), restore: d.restore}, true
		}
	}
	return nil, false
}

// paste adds pasted text to the reason.
func (d *discardDialog) paste(text string) {
	if d.field == 0 {
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
	reason := d.reason.view(d.field == 0)
	box := "[ ]"
	if d.restore {
		box = "[x]"
	}
	no, yes := st.buttonOn.Render("[ No ]"), st.button.Render("  Yes  ")
	if d.yes {
		no, yes = st.button.Render("  No  "), st.buttonOn.Render("[ Yes ]")
	}
	lines := []string{
		"  " + cell("flag", 12) + st.bold.Render(p.Flag),
		"  " + cell("where", 12) + where(p.Project, p.Environment, p.Prefix),
		"  " + cell("pending", 12) + sprintf("%s -> %s, %d change(s)", flags.OnOff(p.BaseOn), flags.OnOff(p.Desired), len(p.Entries)),
		"  It will not be replayed to LaunchDarkly. The journal keeps the record.",
		"",
		cur(0) + " " + cell("reason", 12) + reason,
		cur(1) + " " + box + sprintf(" also write %s (the base state) back to Redis on every host", flags.OnOff(p.BaseOn)),
		"      " + st.dim.Render("(not a new change: LaunchDarkly already has the base state)"),
		"",
		cur(2) + " " + strings.Repeat(" ", 12) + no + "   " + yes,
		st.dim.Render("  tab next field · space ticks · y/n choose · enter activates · esc cancels"),
	}
	return dialogBox("Discard the pending change of "+p.Flag+"?", lines, w, h, st)
}

func where(project, env, prefix string) string {
	if project == "" {
		return prefix
	}
	return project + " / " + env
}

// discardCmd records a confirmed discard in the journal and, when asked, writes the base
// state back to Redis.
func (c *common) discardCmd(d discardConfirmedMsg) tea.Cmd {
	if c.jr == nil {
		return nil
	}
	p := d.p
	ev := journal.ReplayEvent{
		Time:      c.now(),
		Kind:      journal.ReplayDiscarded,
		ChangeIDs: p.ChangeIDs(),
		Prefix:    p.Prefix,
		Flag:      p.Flag,
		Desired:   p.Desired,
		By:        c.cfg.Operator,
		Why:       strings.TrimSpace(d.reason),
	}
	restore := d.restore
	if restore {
		ev.Why = strings.TrimSpace(ev.Why + sprintf(" (base state %s restored in Redis)", flags.OnOff(p.BaseOn)))
	}
	jr, store, ctx := c.jr, c.store, c.ctx
	c.setStatus("discarding "+p.Flag+"…", false)
	return c.writing(func() tea.Msg {
		if err := jr.RecordReplay(ev); err != nil {
			return discardDoneMsg{flag: p.Flag, err: err}
		}
		if !restore || store == nil {
			return discardDoneMsg{flag: p.Flag}
		}
		res, err := restoreBase(ctx, store, p)
		return discardDoneMsg{flag: p.Flag, err: err, restored: res}
	})
}

// restoreBase writes the pending change's base state back to Redis. It is not a new change to
// replay (LaunchDarkly already has the base state): the discard event recorded just before
// says that the base is being restored.
func restoreBase(ctx context.Context, store flagStore, p journal.Pending) (*flags.ToggleResult, error) {
	f, err := store.Flag(ctx, p.Prefix, p.Flag)
	if err != nil {
		return nil, err
	}
	cur, ok := primary(f)
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", p.Prefix, p.Flag, flags.ErrUnknownFlag)
	}
	if cur.Deleted {
		return nil, fmt.Errorf("%s %s: %w", p.Prefix, p.Flag, flags.ErrTombstone)
	}
	res := store.Toggle(ctx, p.Prefix, p.Flag, p.BaseOn)
	return &res, nil
}

func (c *common) applyDiscardDone(msg discardDoneMsg) tea.Cmd {
	switch {
	case msg.err != nil:
		c.setStatus("discard "+msg.flag+": "+msg.err.Error(), true)
	case msg.restored != nil && len(msg.restored.FailedHosts()) > 0:
		c.setStatus("discarded "+msg.flag+"; restoring failed on "+strings.Join(msg.restored.FailedHosts(), ", "), true)
	case msg.restored != nil:
		c.setStatus("discarded "+msg.flag+" and restored its base state in Redis", false)
	default:
		c.setStatus("discarded "+msg.flag+": it will not be replayed", false)
	}
	return c.refresh()
}
