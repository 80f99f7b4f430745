package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// quitDialog asks before quitting while a replay runs. It ends with quitConfirmedMsg, or
// closes to stay.
type quitDialog struct {
	keys  keyMap
	st    styles
	under dialog // the dialog open when the question came, shown again to stay
	// armed: the replay is armed and waiting (no replay running yet), holding changes
	armed   bool
	changes int
}

// Update handles a key: y quits; n, esc, enter or q stay.
func (d *quitDialog) Update(msg tea.KeyPressMsg) (tea.Msg, bool) {
	switch {
	case key.Matches(msg, d.keys.QuitYes):
		return quitConfirmedMsg{}, true
	case key.Matches(msg, d.keys.QuitStay):
		return nil, true
	}
	return nil, false
}

// Keys are the dialog's keys.
func (d *quitDialog) Keys() helpKeys {
	k := d.keys
	ks := enabled(k.Yes, k.No, k.Cancel)
	return helpKeys{short: ks, full: [][]key.Binding{ks}}
}

// question is the dialog's title: what quitting would end.
func (d *quitDialog) question() string {
	if d.armed {
		return sprintf("The replay is ARMED, holding %d %s. Quit?", d.changes, changesWord(d.changes))
	}
	return "A replay to LaunchDarkly is running. Quit?"
}

// View draws the question; it only reads.
func (d *quitDialog) View(w, h int) []string {
	why := "Quitting cancels it after the change in flight; what was sent is recorded in the journal and the rest stays pending."
	if d.armed {
		why = "Quitting disarms it: nothing is sent, the changes stay pending in the journal, and nothing holds them in Redis against a Relay re-sync any more (relaycommander replay --wait arms it from a terminal)."
	}
	lines := []string{"", "  " + d.st.bold.Render(d.question())}
	for _, l := range wrapText(why, w-4) {
		lines = append(lines, "  "+l)
	}
	lines = append(lines, "", "  "+d.st.buttonOn.Render("[ No ]")+"   "+d.st.button.Render("  Yes  ")+"     y quit  n/esc stay")
	return lines
}
