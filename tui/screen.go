package tui

import (
	tea "charm.land/bubbletea/v2"
)

// screen is the contract of the flags, write results, queue and sync screens.
//
// The root model routes once: a window size to everyone, a key to the open dialog first
// (it owns the keyboard), then to the global keys, then to the active screen; a data
// message to whoever owns it.
type screen interface {
	// Update handles a key the root did not take. It returns a command, and a dialog to
	// open, if the key asks for one.
	Update(msg tea.KeyPressMsg) (tea.Cmd, dialog)
	// View draws the screen's body, width by height. It only reads.
	View(width, height int) []string
	// Keys are the keys that work on the screen now (a help.KeyMap): the footer shows the
	// short help, ? the full help, each with the global keys after them.
	Keys() helpKeys
}

// dialog is the contract of the toggle confirmation, the discard confirmation and the quit
// question. While open, a dialog owns the keyboard. It never starts a write: it ends with a
// result message that the root turns into the command.
type dialog interface {
	// Update handles a key. done says the dialog closes; result is what it decided,
	// for the root to act on (nil: nothing to do).
	Update(msg tea.KeyPressMsg) (result tea.Msg, done bool)
	// View draws the dialog in a body of width by height. It only reads.
	View(width, height int) []string
	// Keys are the dialog's keys, for the footer and help.
	Keys() helpKeys
}

// capturer is a screen whose text field (the flags' filter) is being typed: while capturing,
// it gets every key before the global keys, and the footer shows its keys alone.
type capturer interface {
	capturing() bool
}

// paster is a dialog with a text field that takes pasted text.
type paster interface {
	paste(text string)
}
