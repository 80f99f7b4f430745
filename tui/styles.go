package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// styles holds every style of the UI in one place. Colours are ANSI 256 so they survive SSH
// (TERM is forwarded, COLORTERM is not); the renderer downsamples them for the terminal's
// profile and drops them under NO_COLOR. State is always written in words too, and the cursor
// row is marked with ">" and reverse video, so nothing depends on colour alone.
type styles struct {
	title    lipgloss.Style
	tabOn    lipgloss.Style
	tabOff   lipgloss.Style
	readOnly lipgloss.Style
	ok       lipgloss.Style
	bad      lipgloss.Style
	warn     lipgloss.Style
	dim      lipgloss.Style
	bold     lipgloss.Style
	cursor   lipgloss.Style // the selected row: reverse video
	banner   lipgloss.Style
	border   lipgloss.Style
	borderOn lipgloss.Style // border of the focused pane
	on       lipgloss.Style
	off      lipgloss.Style
	key      lipgloss.Style
	status   lipgloss.Style
	errText  lipgloss.Style
	button   lipgloss.Style
	buttonOn lipgloss.Style
	// protected marks a protected environment (production) on every screen, always beside
	// the word protectedWord: bold magenta, unlike any pane border or state colour
	protected lipgloss.Style
}

func defaultStyles() styles {
	c := lipgloss.Color
	return styles{
		title:     lipgloss.NewStyle().Bold(true).Foreground(c("81")),
		tabOn:     lipgloss.NewStyle().Reverse(true).Bold(true),
		tabOff:    lipgloss.NewStyle().Foreground(c("245")),
		readOnly:  lipgloss.NewStyle().Bold(true).Reverse(true).Foreground(c("214")),
		ok:        lipgloss.NewStyle().Foreground(c("42")),
		bad:       lipgloss.NewStyle().Bold(true).Foreground(c("203")),
		warn:      lipgloss.NewStyle().Foreground(c("214")),
		dim:       lipgloss.NewStyle().Foreground(c("245")),
		bold:      lipgloss.NewStyle().Bold(true),
		cursor:    lipgloss.NewStyle().Reverse(true),
		banner:    lipgloss.NewStyle().Bold(true).Reverse(true).Foreground(c("203")),
		border:    lipgloss.NewStyle().Foreground(c("240")),
		borderOn:  lipgloss.NewStyle().Foreground(c("81")).Bold(true),
		on:        lipgloss.NewStyle().Foreground(c("42")).Bold(true),
		off:       lipgloss.NewStyle().Foreground(c("203")).Bold(true),
		key:       lipgloss.NewStyle().Bold(true).Foreground(c("81")),
		status:    lipgloss.NewStyle().Foreground(c("250")),
		errText:   lipgloss.NewStyle().Foreground(c("203")),
		button:    lipgloss.NewStyle().Foreground(c("250")),
		buttonOn:  lipgloss.NewStyle().Reverse(true).Bold(true),
		protected: lipgloss.NewStyle().Bold(true).Foreground(c("205")),
	}
}

// helpStyles are the footer's and help's colours, readable on a dark theme (the bubbles
// defaults, 239 and 241, nearly vanish there): keys as every key is drawn, descriptions as
// the status, separators dim.
func helpStyles(st styles) help.Styles {
	desc := lipgloss.NewStyle().Foreground(lipgloss.Color("250"))
	sep := lipgloss.NewStyle().Foreground(lipgloss.Color("245"))
	return help.Styles{
		Ellipsis:       sep,
		ShortKey:       st.key,
		ShortDesc:      desc,
		ShortSeparator: sep,
		FullKey:        st.key,
		FullDesc:       desc,
		FullSeparator:  sep,
	}
}
