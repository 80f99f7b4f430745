package tui

import (
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// textField is one line the operator types: a reason, a flag key, the filter. It edits with
// bubbles' textinput (cursor movement, word deletion, ctrl+u/ctrl+k, home/end) and draws
// itself: the text, made safe to print, with a block cursor when focused, so that the screens
// look as they always did ("text█" with the cursor at the end).
//
// Pasted text arrives as tea.PasteMsg (the terminal's bracketed paste) and is put in by the
// dialog through insert, only where a paste is allowed: the typed flag key of a protected
// environment never takes one. textinput's own ctrl+v, which reads the clipboard of the
// machine the tool runs on (over SSH, not the operator's), is switched off.
type textField struct {
	in textinput.Model
}

var cursorStyle = lipgloss.NewStyle().Reverse(true)

func newTextField() textField {
	in := textinput.New()
	in.Prompt = ""
	in.KeyMap.Paste.SetEnabled(false)
	in.KeyMap.AcceptSuggestion.SetEnabled(false) // tab moves between fields
	in.KeyMap.NextSuggestion.SetEnabled(false)
	in.KeyMap.PrevSuggestion.SetEnabled(false)
	in.Focus() // the dialog gives a field only the keys meant for it
	return textField{in: in}
}

// update edits the text with a key press.
func (f *textField) update(msg tea.KeyPressMsg) {
	if msg.Text != "" && msg.Mod&^tea.ModShift != 0 {
		return // alt+x and the like are no text
	}
	f.in, _ = f.in.Update(msg)
}

// insert puts text in at the cursor, as a paste does.
func (f *textField) insert(s string) { f.in, _ = f.in.Update(tea.PasteMsg{Content: s}) }

func (f *textField) reset() { f.in.Reset() }

func (f textField) value() string { return f.in.Value() }

// view is the text with a block cursor when focused: after the text, or on the character
// under it.
func (f textField) view(focused bool) string {
	v := []rune(f.in.Value())
	if !focused {
		return safe(string(v))
	}
	pos := min(f.in.Position(), len(v))
	if pos == len(v) {
		return safe(string(v)) + "█"
	}
	return safe(string(v[:pos])) + cursorStyle.Render(safe(string(v[pos]))) + safe(string(v[pos+1:]))
}
