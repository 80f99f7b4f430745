package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// refilter recomputes the visible flags from the pre-lowercased keys and puts the cursor on
// keep when it is still visible.
func (s *flagsScreen) refilter(keep string) {
	q := strings.ToLower(s.filter.value())
	s.filtered = s.filtered[:0]
	if q == "" {
		for i := range s.lower {
			s.filtered = append(s.filtered, i)
		}
	} else {
		s.match(q)
	}
	if keep != "" {
		for i, fi := range s.filtered {
			if s.set.Flags[fi].Key == keep {
				s.flagCursor = i
				s.clampFlagWindow()
				return
			}
		}
	}
	s.clampFlagWindow()
}

// match lists the flags whose key matches q, best first, as fzf and k9s users expect: the
// key itself, then keys that start with q, keys that contain it, and last the keys that hold
// its characters in order (a fuzzy match), the tightest first; key order within each.
// One pass, no allocation once the buffers have grown: it runs on every key typed.
func (s *flagsScreen) match(q string) {
	exact := 0
	contains := s.containsBuf[:0]
	fuzzy := s.fuzzyBuf[:0]
	for i, k := range s.lower {
		switch at := strings.Index(k, q); {
		case at == 0 && len(k) == len(q):
			s.filtered = slices.Insert(s.filtered, exact, i)
			exact++
		case at == 0:
			s.filtered = append(s.filtered, i)
		case at > 0:
			contains = append(contains, i)
		default:
			if w := fuzzyWindow(k, q); w > 0 {
				fuzzy = append(fuzzy, fuzzyHit{flag: i, window: w})
			}
		}
	}
	s.filtered = append(s.filtered, contains...)
	// The fuzzy hits, tightest first and in key order within a window: a counting sort, as
	// windows are short and sorting 20,000 hits would cost a good part of a frame.
	widest := 0
	for _, h := range fuzzy {
		widest = max(widest, h.window)
	}
	starts := slices.Grow(s.windowBuf[:0], widest+2)[:widest+2]
	clear(starts)
	for _, h := range fuzzy {
		starts[h.window+1]++
	}
	for w := 1; w < len(starts); w++ {
		starts[w] += starts[w-1]
	}
	base := len(s.filtered)
	s.filtered = slices.Grow(s.filtered, len(fuzzy))[:base+len(fuzzy)]
	for _, h := range fuzzy {
		s.filtered[base+starts[h.window]] = h.flag
		starts[h.window]++
	}
	s.containsBuf, s.fuzzyBuf, s.windowBuf = contains, fuzzy, starts
}

// fuzzyHit is a flag whose key holds the filter's characters in order, within window bytes.
type fuzzyHit struct{ flag, window int }

// fuzzyWindow is the length of the shortest stretch of k, from the first place where it
// holds all of q's characters in order, that still holds them (fzf's first algorithm:
// forward to the end of the first match, then back to its latest start); 0 when k does not
// hold them. Keys and filter are compared byte by byte: flag keys are ASCII.
func fuzzyWindow(k, q string) int {
	end := -1
	for qi := range len(q) {
		at := strings.IndexByte(k[end+1:], q[qi])
		if at < 0 {
			return 0
		}
		end += at + 1
	}
	qi := len(q) - 1
	for i := end; ; i-- {
		if k[i] == q[qi] {
			if qi--; qi < 0 {
				return end - i + 1
			}
		}
	}
}

func (s *flagsScreen) refilterKeep() {
	keep := ""
	if f, ok := s.cursorFlag(); ok {
		keep = f.Key
	}
	s.refilter(keep)
}

func (s *flagsScreen) updateFilter(msg tea.KeyPressMsg) tea.Cmd {
	k := s.keys
	switch {
	case key.Matches(msg, k.FilterKeep):
		s.filtering = false
		return nil
	case key.Matches(msg, k.FilterClear):
		s.filtering = false
		s.filter.reset()
		s.refilterKeep()
		return nil
	case key.Matches(msg, k.Up, k.Down, k.PageUp, k.PageDown) && msg.Text == "":
		s.moveFlag(msg)
		return nil
	}
	before := s.filter.value()
	s.filter.update(msg)
	switch after := s.filter.value(); {
	case after == before:
	case len(after) > len(before) && after[:len(before)] == before:
		// typed on: the matches are fewer, start from the top
		s.flagCursor, s.flagTop = 0, 0
		s.refilter("")
	default:
		s.refilterKeep()
	}
	return nil
}
