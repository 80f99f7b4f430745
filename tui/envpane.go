package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// envProtected says which rows of the environments pane are protected environments.
func (s *flagsScreen) envProtected() []bool {
	out := make([]bool, len(s.envRows))
	for i, r := range s.envRows {
		out[i] = !r.heading && s.isProtected(r.target, r.mapped)
	}
	return out
}

// envLayout is the environments pane's columns after the name, from the right edge: the
// protected word, the marks, the flag count.
type envLayout struct {
	countW int    // 0: the counts gave way
	marksW int    // 0: no row has marks
	word   string // protectedWord or protectedShort; "" when no row is protected
}

// tailW is the columns right of the name.
func (l envLayout) tailW(marks, word bool) int {
	w := l.countW
	if marks && l.marksW > 0 {
		w += 1 + l.marksW
	}
	if word && l.word != "" {
		w += 1 + ansi.StringWidth(l.word)
	}
	return w
}

// envLayoutFor decides, for the whole pane so that its columns line up, what gives way when
// the pane is narrow (20 columns at 80): the flag counts, then the long protected word. A
// row's marks give way next (envRowLine), the environment name last of all. Counts show only
// where every row fits with its marks: a row that drops them would move its count.
func (s *flagsScreen) envLayoutFor(w int, protected []bool) envLayout {
	var countW, marksW int
	words := []string{""}
	for i, r := range s.envRows {
		if r.heading {
			continue
		}
		countW = max(countW, len(sprintf("%d", r.flags))+1)
		marksW = max(marksW, ansi.StringWidth(r.marks))
		if protected[i] {
			words = []string{protectedWord, protectedShort}
		}
	}
	fits := func(l envLayout) bool {
		for _, r := range s.envRows {
			if !r.heading && ansi.StringWidth(safe(r.label)) > w-2-l.tailW(true, true) {
				return false
			}
		}
		return true
	}
	for _, counts := range []int{countW, 0} {
		for _, word := range words {
			l := envLayout{countW: counts, marksW: marksW, word: word}
			if fits(l) {
				return l
			}
		}
	}
	return envLayout{marksW: marksW, word: words[len(words)-1]}
}

func (s *flagsScreen) envLines(h, w int) []string {
	if !s.discovered {
		return []string{s.st.dim.Render("reading Redis…")}
	}
	if len(s.envRows) == 0 {
		return s.noPrefixLines(w, false)
	}
	protected := s.envProtected()
	layout := s.envLayoutFor(w, protected)
	p := s.painter(s.focus == paneEnvs)
	// keep the cursor visible
	top := 0
	if s.envCursor >= h {
		top = s.envCursor - h + 1
	}
	out := make([]string, 0, h)
	for i := top; i < len(s.envRows) && len(out) < h; i++ {
		r := s.envRows[i]
		if r.heading {
			out = append(out, s.st.bold.Render(cell(safe(r.label), w)))
			continue
		}
		out = append(out, s.envRowLine(p, r, protected[i], i == s.envCursor, layout, w))
	}
	return out
}

// envRowLine draws one environment: "> production  10 !  PROT". A name too long for its
// row takes the marks' columns, then (unprotected) the protected word's, before it is cut.
func (s *flagsScreen) envRowLine(p *painter, r envRow, protected, cursor bool, l envLayout, w int) string {
	name := safe(r.label)
	marks, word := l.marksW > 0, l.word != ""
	room := func() int { return w - 2 - l.tailW(marks, word) }
	if ansi.StringWidth(name) > room() {
		marks = false
	}
	if ansi.StringWidth(name) > room() && !protected {
		word = false
	}
	cur := "  "
	if cursor {
		cur = "> "
	}
	spans := []span{plainSpan(cur + cell(name, room()))}
	if l.countW > 0 {
		spans = append(spans, plainSpan(rcell(sprintf("%d", r.flags), l.countW)))
	}
	if marks {
		spans = append(spans, plainSpan(" "), styledSpan(cell(r.marks, l.marksW), &s.st.warn))
	}
	if word {
		mark := strings.Repeat(" ", ansi.StringWidth(l.word))
		if protected {
			spans = append(spans, plainSpan(" "), styledSpan(l.word, &s.st.protected))
		} else {
			spans = append(spans, plainSpan(" "+mark))
		}
	}
	return p.paint(spans, cursor)
}
