package tui

import (
	"bytes"
	"encoding/json"
	"strings"

	"relaycommander/flags"
	"relaycommander/journal"
)

func (s *flagsScreen) detailsView(h int) []string {
	f, ok := s.cursorFlag()
	if !ok {
		return s.flagsView(h) // the flag is gone; Update closes the details
	}
	lines := s.detailLines(f)
	top := min(s.detail.YOffset(), max(0, len(lines)-(h-2)))
	title := s.protectedLead() + f.Key + "  " + s.flagsTitleShort()
	pane := box(title, lines[top:], s.width, h, true, s.st)
	if s.paneProtected() {
		pane = s.paintProtectedTitle(pane)
	}
	return pane
}

// detailLines is everything the details say about one flag.
func (s *flagsScreen) detailLines(f flags.Flag) []string {
	w := s.width - 2
	var lines []string
	a := f.Agreement(s.downNames()...)
	short, detail := s.hostsCell(a), a.Detail()
	head := "hosts " + short
	if detail != "" {
		head += ": " + safe(detail)
	}
	lines = append(lines, head, "")
	lines = append(lines, s.st.dim.Render(sprintf("%-14s %-10s %5s  %-12s %s", "HOST", "STATE", "VER", "OFF SERVES", "PREREQUISITES")))
	for _, hf := range f.Hosts {
		state := flags.OnOff(hf.On)
		if hf.Deleted {
			state = "deleted"
		}
		if !hf.Present {
			state = "absent"
			if hf.HostDown || s.downHosts()[hf.Host] {
				state = "host DOWN"
			}
		}
		off := "-"
		if hf.Present && hf.Unreadable == "" && !hf.Deleted {
			off = "app default"
			if hf.OffVariation != nil {
				off = sprintf("variation %d", *hf.OffVariation)
			}
		}
		ver := ""
		if hf.Present {
			ver = sprintf("%d", hf.Version)
		}
		if hf.Unreadable != "" {
			state = "unreadable"
			off = hf.Unreadable
		}
		lines = append(lines, sprintf("%-14s %s %5s  %-12s %s", cell(hf.Host, 14), s.hostStateCell(state, 10), ver, safe(off), safeJoin(hf.Prerequisites, ", ")))
	}
	lines = append(lines, "")
	if len(f.Dependants) > 0 {
		lines = append(lines, "dependants (flags that require this one): "+safeJoin(f.Dependants, ", "))
	} else {
		lines = append(lines, "dependants: none")
	}
	if p, ok := s.pendingFor(s.set.Prefix, f.Key); ok {
		lines = append(lines, sprintf("pending: %s -> %s, %d %s, not yet in LaunchDarkly", flags.OnOff(p.BaseOn), flags.OnOff(p.Desired), len(p.Entries), changesWord(len(p.Entries))))
		if u, undone := s.undoneOf(p); undone {
			note := "UNDONE on " + strings.Join(u.HostNames(), ", ") + " by a Relay re-sync (now " + undoneState(u) + "): toggle it again to put it back in Redis"
			if s.keys.ReplayNow.Enabled() {
				note += ", or R replays it to LaunchDarkly"
			}
			if moved := u.Moved(); len(moved) > 0 {
				// not LaunchDarkly's state from before the change: someone's change there,
				// which a toggle here would overwrite in Redis
				note = "UNDONE on " + strings.Join(u.HostNames(), ", ") + " (now " + undoneState(u) + "): " + strings.Join(journal.Undone{Hosts: moved}.HostNames(), ", ") +
					" holds another version than the one recorded before the change: it changed in LaunchDarkly; decide on the sync screen (3)"
			}
			for _, l := range wrapText(note, w-2) {
				lines = append(lines, s.st.warn.Render(l))
			}
		}
	}
	lines = append(lines, "")
	if p, ok := primaryRaw(f); ok {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(p.Raw), "", "  "); err == nil {
			lines = append(lines, s.st.dim.Render("raw JSON on "+p.Host+" (indented; ↑/↓ scroll):"))
			lines = append(lines, hardwrapStored(pretty.String(), w-2)...)
		} else {
			lines = append(lines, s.st.dim.Render("raw JSON on "+p.Host+" (unreadable, as stored):"))
			lines = append(lines, hardwrapStored(p.Raw, w-2)...)
		}
	}
	return lines
}

// hostStateCell is a host's state in the details, w wide, in its colour.
func (s *flagsScreen) hostStateCell(state string, w int) string {
	text := cell(state, w)
	switch state {
	case "ON":
		return s.st.on.Render(text)
	case "OFF":
		return s.st.off.Render(text)
	case "host DOWN", "unreadable":
		return s.st.bad.Render(text)
	case "absent":
		return s.st.warn.Render(text)
	case "deleted":
		return s.st.dim.Render(text)
	}
	return text
}
