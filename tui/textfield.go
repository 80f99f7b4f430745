package tui

import (
	tea "charm.land/bubbletea/v2"
)

// textField is one line the operator types: a reason, a flag key, the filter. Every text
// field of the UI edits the same way: typed text goes in at the end, backspace takes the
// last character back, ctrl+u clears. It is drawn as the text with a block cursor when
// focused.
//
// (bubbles' textinput would do this, but it pulls in a clipboard module this build's go.sum
// does not have.)
type textField struct {
	text []rune
}

func newTextField() textField { return textField{} }

// update edits the text with a key press.
func (f *textField) update(msg tea.KeyPressMsg) {
	switch msg.String() {
	case "backspace":
		if len(f.text) > 0 {
			f.text = f.text[:len(f.text)-1]
		}
		return
	case "ctrl+u":
		f.text = nil
		return
	}
	if msg.Text != "" && (msg.Mod == 0 || msg.Mod == tea.ModShift) {
		f.text = append(f.text, []rune(msg.Text)...)
	}
}

// insert adds text, as a paste does.
func (f *textField) insert(s string) { f.text = append(f.text, []rune(s)...) }

func (f *textField) reset() { f.text = nil }

func (f textField) value() string { return string(f.text) }

// view is the text, with a block cursor after it when focused.
func (f textField) view(focused bool) string {
	if focused {
		return safe(string(f.text)) + "█"
	}
	return safe(string(f.text))
}
