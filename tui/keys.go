package tui

import (
	"slices"

	"charm.land/bubbles/v2/key"
)

// keyMap is every key of the UI, in one place. Read-only mode unbinds the writing actions,
// so they neither work nor show in help.
type keyMap struct {
	// global
	Quit, Help, ScreenFlags, ScreenQueue, ScreenSync, Refresh, ReplayNow, Arm key.Binding
	DemoLD, DemoResync                                                        key.Binding

	// lists
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding

	// flags
	Pane, Filter, FilterKeep, FilterClear, Details, Toggle, Back key.Binding

	// dialogs
	NextField, PrevField, Left, Right, Yes, No, Confirm, Cancel key.Binding

	// the quit question: what quits and what stays (help shows Yes, No and Cancel)
	QuitYes, QuitStay key.Binding

	// write results
	Retry, LastWrite key.Binding

	// the confirmation's "make the change in LaunchDarkly instead" (relays.go)
	InLD key.Binding

	// queue
	History, Discard, RestoreOpt key.Binding

	// sync
	Replay, Skip, Force, Plan, CancelReplay key.Binding

	// readOnlyRefused are the keys of the writing actions read-only unbound
	readOnlyRefused []string

	// flags: h/l and the arrows switch the panes; while the filter is typed only the arrows move
	PaneLeft, PaneRight, FilterMove key.Binding
}

func defaultKeyMap(readOnly bool) keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	k := keyMap{
		Quit:        b("q", "quit", "q", "ctrl+c"),
		Help:        b("?", "help", "?"),
		ScreenFlags: b("1", "flags", "1"),
		ScreenQueue: b("2", "queue", "2"),
		ScreenSync:  b("3", "sync", "3"),
		Refresh:     b("r", "refresh", "r"),
		ReplayNow:   b("R", "replay now", "R"),
		Arm:         b("A", "arm replay", "A"),
		DemoLD:      b("L", "demo: LaunchDarkly up/down", "L"),
		DemoResync:  b("X", "demo: Relay re-sync", "X"),

		Up:       b("↑/k", "up", "up", "k"),
		Down:     b("↓/j", "down", "down", "j"),
		PageUp:   b("pgup", "page up", "pgup"),
		PageDown: b("pgdn", "page down", "pgdown"),
		Top:      b("g/home", "top", "g", "home"),
		Bottom:   b("G/end", "bottom", "G", "end"),

		Pane:   b("tab", "pane", "tab"),
		Filter: b("/", "filter", "/"),
		// while the filter is typed; esc also clears it from the flags
		FilterKeep:  b("enter", "keep filter", "enter"),
		FilterClear: b("esc", "clear filter", "esc"),
		Details:     b("enter", "details", "enter"),
		Toggle:      b("space/t", "toggle", "space", "t"),
		Back:        b("esc", "back", "esc"),

		NextField: b("tab", "next field", "tab"),
		PrevField: b("shift+tab", "previous field", "shift+tab"),
		Left:      b("←", "choose", "left"),
		Right:     b("→", "choose", "right"),
		Yes:       b("y", "choose Yes", "y"),
		No:        b("n", "choose No", "n"),
		Confirm:   b("enter", "activate", "enter"),
		Cancel:    b("esc", "cancel", "esc"),
		QuitYes:   b("y", "quit", "y", "Y"),
		QuitStay:  b("n/esc", "stay", "n", "N", "esc", "enter", "q"),

		// T, not t: t toggles on the flags screen, and a retry must never be mistaken for one
		Retry:     b("T", "retry failed hosts", "T"),
		LastWrite: b("w", "last write results", "w"),
		InLD:      b("l", "in LaunchDarkly instead", "l"),

		History:    b("enter", "history", "enter"),
		Discard:    b("d", "discard", "d"),
		RestoreOpt: b("space", "restore base in Redis", "space", "x"),

		Replay:       b("enter/a", "replay ready", "enter", "a"),
		Skip:         b("s", "skip conflict", "s"),
		Force:        b("f", "force conflict", "f"),
		Plan:         b("p", "plan again", "p"),
		CancelReplay: b("esc", "cancel after item in flight", "esc"),

		PaneLeft:   b("h/←", "environments pane", "h", "left"),
		PaneRight:  b("l/→", "flags pane", "l", "right"),
		FilterMove: b("↑/↓", "move", "up", "down"),
	}
	if readOnly {
		// Nothing that writes exists: not bound, not in help. Its keys, but enter (which
		// also opens details and history), say why nothing happens (refusedInReadOnly).
		for _, kb := range []*key.Binding{&k.Toggle, &k.Retry, &k.Discard, &k.RestoreOpt, &k.Replay, &k.Skip, &k.Force, &k.ReplayNow, &k.Arm} {
			for _, key := range kb.Keys() {
				if key != "enter" && !slices.Contains(k.readOnlyRefused, key) {
					k.readOnlyRefused = append(k.readOnlyRefused, key)
				}
			}
			kb.Unbind()
		}
	}
	return k
}

// helpKeys is one screen's keys for bubbles/help.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }

// enabled drops unbound keys so that help never shows an action that does not exist.
func enabled(bs ...key.Binding) []key.Binding {
	out := make([]key.Binding, 0, len(bs))
	for _, b := range bs {
		if b.Enabled() {
			out = append(out, b)
		}
	}
	return out
}
