package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"relaycommander/tui/termsafe"
)

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// safe is text read from Redis, the journal or LaunchDarkly made printable: every control
// character written out (termsafe.Escape), so that a flag key or a reason cannot retitle the
// window, recolour rows or move the cursor. Every such text passes through it, or through
// wrapText, a box title or the status line, which apply it, before it is drawn.
func safe(s string) string { return termsafe.Escape(s) }

func safeJoin(ss []string, sep string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = safe(s)
	}
	return strings.Join(out, sep)
}

// fmtLatency writes a round trip the way an operator reads it: 0.4ms, 12ms, 1.2s.
func fmtLatency(d time.Duration) string {
	switch {
	case d <= 0:
		return "0ms"
	case d < 10*time.Millisecond:
		return sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return sprintf("%dms", d/time.Millisecond)
	default:
		return sprintf("%.1fs", d.Seconds())
	}
}

// fmtAgo writes an age: "just now", "12s ago", "4m ago", "2h ago".
func fmtAgo(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return sprintf("%dm ago", int(d.Minutes()))
	default:
		return sprintf("%dh ago", int(d.Hours()))
	}
}

// box draws a bordered pane of exactly w by h with a title in the top border. The focused
// pane gets a heavy border, so focus shows without colour too.
func box(title string, lines []string, w, h int, focused bool, st styles) []string {
	if w < 4 || h < 2 {
		return nil
	}
	bs := st.border
	tl, tr, bl, br, hz, vt := "┌", "┐", "└", "┘", "─", "│"
	if focused {
		bs = st.borderOn
		tl, tr, bl, br, hz, vt = "┏", "┓", "┗", "┛", "━", "┃"
	}
	inner := w - 2
	t := ""
	if title != "" {
		t = " " + clip(safe(title), inner-3) + " "
	}
	top := bs.Render(tl+hz) + t + bs.Render(strings.Repeat(hz, max(0, inner-1-ansi.StringWidth(t)))+tr)
	out := make([]string, 0, h)
	out = append(out, top)
	v := bs.Render(vt)
	for i := 0; i < h-2; i++ {
		l := ""
		if i < len(lines) {
			l = lines[i]
		}
		out = append(out, v+cell(l, inner)+v)
	}
	out = append(out, bs.Render(bl+strings.Repeat(hz, inner)+br))
	return out
}

// sideBySide joins two columns of lines.
func sideBySide(a, b []string) []string {
	n := max(len(a), len(b))
	wa := 0
	if len(a) > 0 {
		wa = ansi.StringWidth(a[0])
	}
	out := make([]string, n)
	for i := range n {
		l := strings.Repeat(" ", wa)
		if i < len(a) {
			l = a[i]
		}
		if i < len(b) {
			l += b[i]
		}
		out[i] = l
	}
	return out
}

// dialogBox centres a bordered box of lines in a body of width w and height h.
func dialogBox(title string, lines []string, w, h int, st styles) []string {
	bw := 0
	for _, l := range lines {
		bw = max(bw, ansi.StringWidth(l))
	}
	bw = min(max(bw+4, ansi.StringWidth(title)+8, 50), w-2)
	bh := min(len(lines)+2, h)
	b := box(title, hangLines(lines, " ", " "), bw, bh, true, st)
	pad := strings.Repeat(" ", max(0, (w-bw)/2))
	out := make([]string, 0, h)
	topPad := max(0, (h-bh)/3)
	for range topPad {
		out = append(out, "")
	}
	for _, l := range b {
		out = append(out, pad+l)
	}
	return out
}
