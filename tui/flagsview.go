package tui

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"relaycommander/flags"
)

// View draws the panes, or the details of the flag under the cursor.
func (s *flagsScreen) View(width, height int) []string { return s.flagsView(height) }

// primary is the state the table shows: the first reachable host's readable state.
func primary(f flags.Flag) (flags.HostFlag, bool) { return f.Primary() }

func (s *flagsScreen) flagsView(h int) []string {
	if s.details {
		return s.detailsView(h)
	}
	envW := min(max(s.width/4, 22), 34)
	flagsW := s.width - envW
	left := box("Environments", s.envLines(h-2, envW-2), envW, h, s.focus == paneEnvs, s.st)
	right := box(s.flagsTitle(), s.flagLines(h-2, flagsW-2), flagsW, h, s.focus == paneFlags, s.st)
	return sideBySide(left, right)
}

func (s *flagsScreen) envLines(h, w int) []string {
	if !s.discovered {
		return []string{s.st.dim.Render("reading Redis…")}
	}
	if len(s.envRows) == 0 {
		return s.noPrefixLines(w, false)
	}
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
		marks := r.marks
		label := cell(safe(r.label), w-2-4-1-2)
		line := "  " + label + rcell(sprintf("%d", r.flags), 4) + " " + marks
		if i == s.envCursor {
			line = "> " + line[2:]
			line = cell(line, w)
			if s.focus == paneEnvs {
				line = s.st.cursor.Render(line)
			} else {
				line = s.st.bold.Render(line)
			}
		} else if marks != "" {
			line = "  " + label + rcell(sprintf("%d", r.flags), 4) + " " + s.st.warn.Render(marks)
		}
		out = append(out, line)
	}
	return out
}

func (s *flagsScreen) flagsTitle() string {
	env, ok := s.selectedEnv()
	if !ok {
		return "Flags"
	}
	if !s.setReady() {
		// the set on screen is another prefix's: name only the selected one
		if s.setErr != nil {
			return safe(env.prefix) + "  flags not read"
		}
		return safe(env.prefix) + "  loading…"
	}
	t := s.set.Target
	name := safe(env.prefix)
	if s.set.Mapped && t.Project != "" {
		name = safe(t.Project + " / " + t.Environment)
	}
	tail := sprintf("  %d flags", len(s.set.Flags))
	if name != safe(env.prefix) && ansi.StringWidth(name+"  "+safe(env.prefix)+tail) < s.width*3/4-4 {
		name += "  " + safe(env.prefix)
	}
	return name + tail
}

// noPrefixLines says why there is nothing to browse: every host down (with each one's error),
// or hosts that hold no Relay store. The left pane gets the headline, the wider right pane
// the details.
func (s *flagsScreen) noPrefixLines(w int, details bool) []string {
	var down []flags.HostStatus
	for _, h := range s.hosts {
		if !h.Up {
			down = append(down, h)
		}
	}
	if len(s.hosts) > 0 && len(down) == len(s.hosts) {
		if !details {
			return []string{s.st.bad.Render("no Redis host answered")}
		}
		var out []string
		for _, h := range down {
			err := "no answer"
			if h.Err != nil {
				err = h.Err.Error()
			}
			out = append(out, wrapText(err, w)...)
		}
		return append(out, "", "Check redis.hosts in the configuration and the network; r tries again.")
	}
	if !details {
		return []string{"no store prefixes found"}
	}
	return wrapText("No reachable host holds a Relay store (no hash named PREFIX:features). "+
		"Check that redis.hosts names the Redis the Relay Proxy uses; r tries again.", w)
}

func (s *flagsScreen) flagLines(h, w int) []string {
	var out []string
	env, _ := s.selectedEnv()
	if len(env.warnings) > 0 {
		out = append(out, s.st.warn.Render(cell(env.marks+" "+strings.Join(env.warnings, "; "), w)))
	}
	out = append(out, s.relayPaneLines(w)...)
	if s.filtering || s.filter.value() != "" {
		in := s.filter.view(s.filtering)
		out = append(out, s.st.key.Render("filter /")+in+s.st.dim.Render(sprintf("   %d of %d match", len(s.filtered), len(s.set.Flags))))
	}
	out = append(out, s.st.dim.Render(s.flagRow(w, "  ", "FLAG", "STATE", "VER", "HOSTS", "NOTE")))
	if s.discovered && len(s.envRows) == 0 {
		return append(out, s.noPrefixLines(w, true)...)
	}
	if !s.setLoaded && s.setErr == nil {
		return append(out, s.st.dim.Render("reading flags…"))
	}
	if s.setErr != nil && len(s.set.Flags) == 0 {
		return append(out, wrapText(s.setErr.Error(), w)...)
	}
	if len(s.filtered) == 0 {
		if s.filter.value() != "" {
			return append(out, "no flag key contains \""+s.filter.value()+"\"")
		}
		return append(out, "no flags under this prefix")
	}
	rows := h - len(out)
	end := min(len(s.filtered), s.flagTop+rows)
	downNames := s.downNames()
	for i := s.flagTop; i < end; i++ {
		f := s.set.Flags[s.filtered[i]]
		cur := "  "
		if i == s.flagCursor {
			cur = "> "
		}
		state, ver := "ABSENT", ""
		if p, ok := primary(f); ok {
			ver = sprintf("%d", p.Version)
			state = flags.OnOff(p.On)
			if p.Deleted {
				state = "deleted"
			}
		} else if hasUnreadable(f) {
			state = "BROKEN"
		}
		a := f.Agreement(downNames...)
		note := s.flagNote(f, a.Detail())
		hosts := a.Short()
		line := s.flagRow(w, cur, f.Key, state, ver, hosts, note)
		if i == s.flagCursor {
			if s.focus == paneFlags {
				line = s.st.cursor.Render(line)
			} else {
				line = s.st.bold.Render(line)
			}
		}
		out = append(out, line)
	}
	return out
}

func hasUnreadable(f flags.Flag) bool {
	for _, h := range f.Hosts {
		if h.Unreadable != "" {
			return true
		}
	}
	return false
}

func (s *flagsScreen) flagNote(f flags.Flag, hostDetail string) string {
	var notes []string
	if hasUnreadable(f) {
		notes = append(notes, "unreadable JSON on "+firstUnreadable(f))
	}
	if p, ok := s.pendingFor(s.set.Prefix, f.Key); ok {
		n := "pending " + flags.OnOff(p.Desired)
		if p.BaseVersion != nil {
			n += sprintf(" (was %s v%d)", flags.OnOff(p.BaseOn), *p.BaseVersion)
		}
		notes = append(notes, n)
	}
	if failed := s.failedWrite(s.set.Prefix, f.Key); len(failed) > 0 {
		notes = append(notes, "write failed on "+strings.Join(failed, ", ")+": T retries")
	}
	if hostDetail != "" {
		notes = append(notes, hostDetail)
	}
	if p, ok := primary(f); ok && len(p.Prerequisites) > 0 {
		notes = append(notes, "requires "+strings.Join(p.Prerequisites, ", "))
	}
	if len(f.Dependants) > 0 {
		notes = append(notes, sprintf("%d dependant(s)", len(f.Dependants)))
	}
	return strings.Join(notes, "; ")
}

// flagRow lays out one table row; the flag key gets what it needs of what the fixed columns
// leave, the note the rest.
func (s *flagsScreen) flagRow(w int, cur, flag, state, ver, hosts, note string) string {
	const stateW, verW, hostsW = 7, 4, 10
	rest := w - 2 - 1 - stateW - verW - 1 - hostsW
	keyW := min(max(s.keyW, 12), max(rest-8, 12), 48)
	noteW := max(0, rest-keyW)
	return cur + cell(safe(flag), keyW) + " " + cell(state, stateW) + rcell(ver, verW) + " " + cell(hosts, hostsW) + cell(safe(note), noteW)
}

func (s *flagsScreen) detailsView(h int) []string {
	f, ok := s.cursorFlag()
	if !ok {
		return s.flagsView(h) // the flag is gone; Update closes the details
	}
	lines := s.detailLines(f)
	top := min(s.detail.YOffset(), max(0, len(lines)-(h-2)))
	title := f.Key + "  " + s.flagsTitleShort()
	return box(title, lines[top:], s.width, h, true, s.st)
}

// detailLines is everything the details say about one flag.
func (s *flagsScreen) detailLines(f flags.Flag) []string {
	w := s.width - 2
	var lines []string
	a := f.Agreement(s.downNames()...)
	short, detail := a.Short(), a.Detail()
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
		lines = append(lines, sprintf("%-14s %-10s %5s  %-12s %s", cell(hf.Host, 14), state, ver, safe(off), safeJoin(hf.Prerequisites, ", ")))
	}
	lines = append(lines, "")
	if len(f.Dependants) > 0 {
		lines = append(lines, "dependants (flags that require this one): "+safeJoin(f.Dependants, ", "))
	} else {
		lines = append(lines, "dependants: none")
	}
	if p, ok := s.pendingFor(s.set.Prefix, f.Key); ok {
		lines = append(lines, sprintf("pending: %s -> %s, %d change(s), not yet in LaunchDarkly", flags.OnOff(p.BaseOn), flags.OnOff(p.Desired), len(p.Entries)))
	}
	lines = append(lines, "")
	if p, ok := primaryRaw(f); ok {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(p.Raw), "", "  "); err == nil {
			lines = append(lines, s.st.dim.Render("raw JSON on "+p.Host+" (indented; ↑/↓ scroll):"))
			lines = append(lines, strings.Split(ansiHardwrap(pretty.String(), w-2), "\n")...)
		} else {
			lines = append(lines, s.st.dim.Render("raw JSON on "+p.Host+" (unreadable, as stored):"))
			lines = append(lines, strings.Split(ansiHardwrap(p.Raw, w-2), "\n")...)
		}
	}
	return lines
}

func (s *flagsScreen) flagsTitleShort() string {
	t := s.set.Target
	if s.set.Mapped && t.Project != "" {
		return t.Project + " / " + t.Environment
	}
	return s.set.Prefix
}

func primaryRaw(f flags.Flag) (flags.HostFlag, bool) {
	i := slices.IndexFunc(f.Hosts, func(h flags.HostFlag) bool { return h.Present })
	if i < 0 {
		return flags.HostFlag{}, false
	}
	return f.Hosts[i], true
}
