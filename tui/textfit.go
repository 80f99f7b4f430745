package tui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"relaycommander/tui/termsafe"
)

// Fitting text to a width, and lists of lines to a height. A helper whose comment says it
// takes plain text makes it safe to print itself (safe); the others take text already made
// safe, and perhaps styled, which escaping again would break.

// clip cuts s to at most w columns, ending in "…" where it cut; a shorter s stays as it is.
func clip(s string, w int) string { return ansi.Truncate(s, w, "…") }

// cell pads or cuts s to exactly w columns, left-aligned.
func cell(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		// a wide character across the edge goes whole, which leaves the cut a column short
		s = clip(s, w)
		sw = ansi.StringWidth(s)
	}
	return s + strings.Repeat(" ", w-sw)
}

// rcell right-aligns s in exactly w columns; an s too wide is cut as cell cuts it.
func rcell(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return cell(s, w)
	}
	return strings.Repeat(" ", w-sw) + s
}

// joinRight puts right at the right edge of a line of w columns, after left; nothing is
// cut: when the two do not fit they stay one space apart and the line is wider than w.
func joinRight(left, right string, w int) string {
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return left + " " + right
	}
	return left + strings.Repeat(" ", gap) + right
}

// wrapText wraps plain text, made safe to print, to lines of w columns (10 at the least):
// at spaces, hyphens and commas; a word is cut only when it is longer than a line.
func wrapText(s string, w int) []string { return wrapWithin(safe(s), max(10, w), ",") }

// wrapStyled wraps text already made safe and styled to lines of w columns (10 at the
// least), at spaces and hyphens only; a word is cut only when it is longer than a line.
func wrapStyled(s string, w int) []string { return wrapWithin(s, max(10, w), "") }

// wrapWithin is ansi.Wrap held to its width: ansi.Wrap puts a hyphen or a breakpoint that
// lands on the edge on the line it ends, with the rest of its word, past the edge. Such a
// line breaks again at its last space within w (or at w), and the text after it wraps anew.
func wrapWithin(s string, w int, breakpoints string) []string {
	lines := strings.Split(ansi.Wrap(s, w, breakpoints), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if ansi.StringWidth(l) <= w {
			continue
		}
		head, tail := ansi.Cut(l, 0, w), ansi.Cut(l, w, ansi.StringWidth(l))
		if sp := strings.LastIndexByte(head, ' '); sp > 0 && ansi.StringWidth(head[:sp]) > 0 {
			head, tail = l[:sp], l[sp+1:]
		}
		rest := strings.Join(append([]string{tail}, lines[i+1:]...), " ")
		lines = append(lines[:i:i], head)
		lines = append(lines, strings.Split(ansi.Wrap(rest, w, breakpoints), "\n")...)
	}
	return lines
}

// hardwrapStored breaks text read from the store (a flag's JSON) into lines of at most w
// columns (10 at the least), cut at w whatever the character, keeping its spaces and line
// breaks so that its layout stays as it was: unlike wrapText it moves no word. Each line is
// made safe to print.
func hardwrapStored(s string, w int) []string {
	return strings.Split(ansi.Hardwrap(strings.Join(termsafe.Lines(s), "\n"), max(10, w), true), "\n")
}

// wrapIndented wraps plain text (made safe) to fit w columns with its indent: the first
// line indented by first spaces, the lines after it by rest.
func wrapIndented(s string, w, first, rest int) []string {
	return hangLines(wrapText(s, w-max(first, rest)), strings.Repeat(" ", first), strings.Repeat(" ", rest))
}

// hangLines puts first before the first line and rest before each line after it.
func hangLines(lines []string, first, rest string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if i == 0 {
			out[i] = first + l
		} else {
			out[i] = rest + l
		}
	}
	return out
}

// joinOrStack writes plain parts on one line, three spaces apart, when they all fit in w
// columns; else each part on lines of its own, wrapped (wrapText). Made safe to print.
func joinOrStack(parts []string, w int) []string {
	if one := strings.Join(parts, "   "); ansi.StringWidth(safe(one)) <= w {
		return []string{safe(one)}
	}
	var out []string
	for _, p := range parts {
		out = append(out, wrapText(p, w)...)
	}
	return out
}

// flowParts puts parts already made safe side by side, two spaces apart, as many on a line
// as fit in w columns; the next part starts a new line, indented by two. No part is cut or
// wrapped, so a part wider than w makes its line wider.
func flowParts(parts []string, w int) []string {
	var out []string
	cur := ""
	for _, p := range parts {
		switch {
		case cur == "":
			cur = p
		case ansi.StringWidth(cur)+2+ansi.StringWidth(p) <= w:
			cur += "  " + p
		default:
			out = append(out, cur)
			cur = "  " + p
		}
	}
	return append(out, cur)
}

// dropToFit deletes the rows that mayGo lets go, the last first, until at most n remain.
func dropToFit[T any](rows []T, n int, mayGo func(T) bool) []T {
	for i := len(rows) - 1; i >= 0 && len(rows) > n; i-- {
		if mayGo(rows[i]) {
			rows = slices.Delete(rows, i, i+1)
		}
	}
	return rows
}

// dropBlanks drops empty lines but the first, the last first, until at most n lines
// remain: spacing goes before text when the screen is short.
func dropBlanks(lines []string, n int) []string {
	if len(lines) == 0 {
		return lines
	}
	return append(lines[:1], dropToFit(lines[1:], n-1, func(l string) bool { return l == "" })...)
}
