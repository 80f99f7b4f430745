package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// The text-fitting helpers (textfit.go) keep to the widths they promise.

// TestCellIsExactlyItsWidth: cell pads or cuts to exactly w columns, also when a wide
// character stands across the edge, and rcell right-aligns what fits.
func TestCellIsExactlyItsWidth(t *testing.T) {
	for _, s := range []string{"", "staging", "production-europe-west", "ld:決済本番環境", "a決済本番", "決済本番環境"} {
		for w := 1; w <= 12; w++ {
			if got := cell(s, w); ansi.StringWidth(got) != w {
				t.Errorf("cell(%q, %d) = %q, %d columns", s, w, got, ansi.StringWidth(got))
			}
			if got := rcell(s, w); ansi.StringWidth(got) != w {
				t.Errorf("rcell(%q, %d) = %q, %d columns", s, w, got, ansi.StringWidth(got))
			}
		}
	}
	if got := cell("production", 6); got != "produ…" {
		t.Errorf("cell cuts with …: %q", got)
	}
	if got := rcell("42", 5); got != "   42" {
		t.Errorf("rcell right-aligns: %q", got)
	}
}

// TestWrapTextFitsItsWidth: no line of wrapText is wider than w, wherever its commas,
// hyphens and spaces fall, and no text is lost.
func TestWrapTextFitsItsWidth(t *testing.T) {
	texts := []string{
		"aaaa bbbbb, cccc",
		"undone on relay-a, relay-b, relay-c by a Relay re-sync (now OFF)",
		"relay-a written v3->v4, relay-b FAILED (dial tcp 10.0.3.7:6379: i/o timeout), relay-c outcome unknown",
		"hosts disagree: relay-a,relay-b ON v4; relay-c OFF v3; not replayed until they agree",
		"outcome unknown - the tool stopped - waiting for the writer -- then read back",
	}
	for _, s := range texts {
		for w := 10; w <= 40; w++ {
			lines := wrapText(s, w)
			for _, l := range lines {
				if ansi.StringWidth(l) > w {
					t.Errorf("wrapText(%q, %d): line %q is %d columns", s, w, l, ansi.StringWidth(l))
				}
			}
			if got, want := strings.Join(strings.Fields(strings.Join(lines, " ")), ""), strings.Join(strings.Fields(s), ""); got != want {
				t.Errorf("wrapText(%q, %d) lost text: %q", s, w, lines)
			}
		}
	}
}

// TestDropToFit: rows that may go are dropped the last first, only until n remain; the
// blank lines of a short screen go, but never its first line.
func TestDropToFit(t *testing.T) {
	rows := []confirmRow{{"flag", 0}, {"", 1}, {"keys", 2}, {"", 1}, {"buttons", 0}, {"", 1}}
	if got := strings.Join(fitRows(slices.Clone(rows), 4), "|"); got != "flag||keys|buttons" {
		t.Errorf("fitRows to 4: %q", got)
	}
	if got := strings.Join(fitRows(slices.Clone(rows), 2), "|"); got != "flag|buttons" {
		t.Errorf("fitRows to 2: %q", got)
	}
	if got := strings.Join(fitRows(slices.Clone(rows), 9), "|"); got != "flag||keys||buttons|" {
		t.Errorf("fitRows with room: %q", got)
	}
	lines := []string{"", "head", "", "text", "", "T retry"}
	if got := strings.Join(dropBlanks(slices.Clone(lines), 4), "|"); got != "|head|text|T retry" {
		t.Errorf("dropBlanks to 4: %q", got)
	}
	if got := strings.Join(dropBlanks(slices.Clone(lines), 1), "|"); got != "|head|text|T retry" {
		t.Errorf("dropBlanks keeps the first line and the text: %q", got)
	}
}
