package tui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"relaycommander/flags"
)

// progressiveStore is a store that delivers a prefix's flags as each host answers
// (*flags.Store): a hung host then holds up neither the others' flags nor the header.
// Other stores are read whole.
type progressiveStore interface {
	FlagsProgressive(ctx context.Context, prefix string, deliver func(flags.FlagsRead))
}

// applyRefresh takes a refresh's hosts, prefixes and, when it read the selected prefix,
// its flags; otherwise it asks for them.
func (s *flagsScreen) applyRefresh(msg refreshMsg) tea.Cmd {
	s.applyDiscovery(msg.disc)
	if msg.prefix != "" && msg.prefix == s.selPrefix {
		s.applySet(msg.set, msg.setErr)
	} else if s.selPrefix != "" && (!s.setLoaded || s.set.Prefix != s.selPrefix) && s.inFlight != s.selPrefix {
		return s.loadFlagsCmd(s.selPrefix)
	}
	return nil
}

// refreshFlagsCmd reads the selected prefix again for a refresh, unless a read of it still
// runs: its steps arrive on their own.
func (s *flagsScreen) refreshFlagsCmd() tea.Cmd {
	if s.selPrefix == "" || s.inFlight == s.selPrefix {
		return nil
	}
	return s.loadFlagsCmd(s.selPrefix)
}

// applyFlagsRead takes one step of a read host by host: the hosts that answered update the
// header at once (one that failed or timed out is DOWN on the next frame), and the flags
// the answering hosts hold are shown while the others are still read.
func (s *flagsScreen) applyFlagsRead(msg flagsReadMsg) tea.Cmd {
	if msg.seq != s.flagsSeq {
		return nil // a newer read took over: the rest of this one is dropped
	}
	r := msg.read
	wasDown := s.downHosts()
	if msg.prefix == s.selPrefix && (r.Err == nil || r.Done()) {
		s.applySet(r.Set, r.Err)
	} else {
		// no answering host holds the prefix yet: keep "loading" until the others say
		s.mergeHosts(r.Set.Hosts)
	}
	first := len(r.Reading) == len(r.Set.Hosts)-1
	s.reading = r.Reading
	s.noteRead(r, wasDown)
	if r.Done() {
		s.inFlight = ""
		return nil
	}
	next := nextFlagsRead(msg.seq, msg.prefix, msg.next)
	if first {
		// Healthy hosts answer within milliseconds of each other: only a host still not
		// answering a moment later is worth a word.
		seq := msg.seq
		return tea.Batch(next, tea.Tick(slowReadAfter, func(time.Time) tea.Msg { return slowReadMsg{seq: seq} }))
	}
	return next
}

// applySlowRead says which hosts the read still waits for, when it is still the current read
// and they are not already known to be down (then it is no news).
func (s *flagsScreen) applySlowRead(msg slowReadMsg) {
	if msg.seq != s.flagsSeq || s.inFlight == "" {
		return
	}
	down := s.downHosts()
	var slow []string
	for _, h := range s.reading {
		if !down[h] {
			slow = append(slow, h)
		}
	}
	if len(slow) == 0 {
		return
	}
	note := s.inFlight + ": reading " + strings.Join(slow, ", ") + "…"
	if s.setReady() {
		note += "; the other hosts' flags are on screen"
	}
	s.setStatus(note, false)
	s.readNote = s.status
}

// noteRead says why a host that was up is now DOWN; once the read ends it clears its own
// "reading" note, never another message.
func (s *flagsScreen) noteRead(r flags.FlagsRead, wasDown map[string]bool) {
	var answered, failed []string
	for _, h := range r.Set.Hosts {
		switch {
		case errors.Is(h.Err, flags.ErrStillReading):
		case h.Up:
			answered = append(answered, h.Host)
		case !wasDown[h.Host]:
			why := h.Err
			if inner := errors.Unwrap(why); inner != nil {
				why = inner // the error names the host and its address first: said already
			}
			if h.Answered {
				failed = append(failed, h.Host+" refused the read ("+why.Error()+")")
			} else {
				failed = append(failed, h.Host+" did not answer ("+why.Error()+")")
			}
		}
	}
	mine := s.readNote != "" && s.status == s.readNote
	switch {
	case len(failed) > 0:
		note := strings.Join(failed, "; ") + ": DOWN"
		if s.setReady() && len(answered) > 0 {
			note += "; flags shown from " + strings.Join(answered, ", ")
		}
		s.setStatus(note+"; r reads again", true)
		s.readNote = ""
	case r.Done() && mine:
		s.status, s.readNote = "", "" // the slow host answered after all
	}
}

// mergeHosts takes the hosts' states from a read: a host still being read keeps the state
// it had (up or down), one that answered or failed gets the read's.
func (s *flagsScreen) mergeHosts(read []flags.HostStatus) {
	if len(read) == 0 {
		return
	}
	merged := make([]flags.HostStatus, 0, len(read))
	for _, h := range read {
		if errors.Is(h.Err, flags.ErrStillReading) {
			if i := slices.IndexFunc(s.hosts, func(o flags.HostStatus) bool { return o.Host == h.Host }); i >= 0 {
				h = s.hosts[i]
			}
		}
		merged = append(merged, h)
	}
	s.hosts = merged
}

// applyFlags takes the flags of a prefix loaded when the selection changed.
func (s *flagsScreen) applyFlags(msg flagsMsg) {
	if msg.seq != s.flagsSeq || msg.prefix != s.selPrefix {
		return
	}
	s.applySet(msg.set, msg.err)
}

func (s *flagsScreen) loadFlagsCmd(prefix string) tea.Cmd {
	if s.store == nil || prefix == "" {
		return nil
	}
	s.flagsSeq++
	seq, store, ctx := s.flagsSeq, s.store, s.ctx
	ps, ok := store.(progressiveStore)
	if !ok {
		return func() tea.Msg {
			set, err := store.Flags(ctx, prefix)
			return flagsMsg{seq: seq, prefix: prefix, set: set, err: err}
		}
	}
	s.inFlight = prefix
	s.reading = slices.Clone(s.hostNames)
	steps := len(store.HostNames()) // one per host: the channel never blocks the read
	return func() tea.Msg {
		reads := make(chan flags.FlagsRead, steps)
		go ps.FlagsProgressive(ctx, prefix, func(r flags.FlagsRead) { reads <- r })
		return nextFlagsRead(seq, prefix, reads)()
	}
}

// nextFlagsRead waits for the next step of a read host by host.
func nextFlagsRead(seq int, prefix string, reads <-chan flags.FlagsRead) tea.Cmd {
	return func() tea.Msg {
		return flagsReadMsg{seq: seq, prefix: prefix, read: <-reads, next: reads}
	}
}

// setReady says the flag set on screen is loaded and is the selected prefix's: only then
// may a toggle or the details act on it (a set still loading leaves the last one in s.set).
// A set read from some hosts while others are still read is ready: the toggle reads every
// host again itself before it writes (WATCH), and the confirmation names the hosts still
// being read.
func (s *flagsScreen) setReady() bool {
	return s.setLoaded && s.set.Prefix == s.selPrefix
}

// loadingNote is what the toggle keys say while the selected prefix's set loads.
func (s *flagsScreen) loadingNote() string {
	if s.setErr != nil {
		return "flags of " + safe(s.selPrefix) + " not read: " + s.setErr.Error() + "; r tries again"
	}
	if note := s.readingNote(); note != "" {
		return "loading " + safe(s.selPrefix) + ": " + note
	}
	return "loading " + safe(s.selPrefix) + "…"
}

// readingNote names the hosts the selected prefix's read still waits for, e.g.
// "reading relay-b…"; "" when none. Their flags show as HostDown meanwhile (state unknown).
func (s *flagsScreen) readingNote() string {
	if s.inFlight == "" || s.inFlight != s.selPrefix || len(s.reading) == 0 {
		return ""
	}
	return "reading " + strings.Join(s.reading, ", ") + "…"
}

// applyWrite puts a write's outcome into the shown set at once: the row and the next
// confirmation show what Redis holds now, before the refresh reads it again. A toggle opened
// in between took the state before the write and wrote it again ("unchanged").
func (s *flagsScreen) applyWrite(r flags.ToggleResult) {
	if r.Prefix != s.set.Prefix {
		return
	}
	i, ok := slices.BinarySearchFunc(s.set.Flags, r.Flag, func(f flags.Flag, k string) int { return strings.Compare(f.Key, k) })
	if !ok {
		return
	}
	// copies: the set as read may share its arrays with whoever read it
	s.set.Flags = slices.Clone(s.set.Flags)
	hosts := slices.Clone(s.set.Flags[i].Hosts)
	s.set.Flags[i].Hosts = hosts
	for _, hr := range r.Hosts {
		if hr.Outcome != flags.Written && hr.Outcome != flags.Unchanged {
			continue
		}
		for j := range hosts {
			if hosts[j].Host == hr.Host && hosts[j].Present {
				hosts[j].On, hosts[j].Version = r.On, hr.NewVersion
			}
		}
	}
}
