package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"relaycommander/flags"
)

// queueLine is the one form relayCommander wrote to its queue files. Keys are restricted to
// the characters LaunchDarkly allows in keys; anything else is reported, never interpreted.
var queueLine = regexp.MustCompile(`^rc update-ld-api -p ([A-Za-z0-9][A-Za-z0-9._-]*) -e ([A-Za-z0-9][A-Za-z0-9._-]*) -f ([A-Za-z0-9][A-Za-z0-9._-]*) -s (on|off)\n?$`)

// maxQueueFile bounds what is read of one queue file: a real one is one short line.
const maxQueueFile = 4096

// queueItem is one parsed queue file.
type queueItem struct {
	file               string
	ctime              time.Time
	project, env, flag string
	on                 bool
}

// parseQueueLine checks one queue file's content. It returns the reason when it is not the
// exact relayCommander form.
func parseQueueLine(content []byte) (project, env, flag string, on bool, reason string) {
	m := queueLine.FindSubmatch(content)
	if m == nil {
		switch {
		case len(content) == 0:
			return "", "", "", false, "empty file"
		case strings.Count(strings.TrimSuffix(string(content), "\n"), "\n") > 0:
			return "", "", "", false, "more than one line"
		default:
			return "", "", "", false, "not of the form `rc update-ld-api -p PROJECT -e ENV -f FLAG -s on|off` with plain keys"
		}
	}
	return string(m[1]), string(m[2]), string(m[3]), string(m[4]) == "on", ""
}

// queueDir finds toDo/ in dir, which is the replay directory or its parent.
func queueDir(dir string) (string, error) {
	for _, d := range []string{filepath.Join(dir, "toDo"), filepath.Join(dir, "replay", "toDo")} {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d, nil
		}
	}
	return "", fmt.Errorf("relayCommander queue: neither %s nor %s is a directory",
		filepath.Join(dir, "toDo"), filepath.Join(dir, "replay", "toDo"))
}

// ReadRelayCommanderQueue reads an original relayCommander replay/ directory (replay/toDo/*.txt,
// by file time), collapsing the per-host duplicates into changes with unknown base version.
// Nothing read is ever executed.
func ReadRelayCommanderQueue(dir string) ([]Change, []ImportProblem, error) {
	todo, err := queueDir(dir)
	if err != nil {
		return nil, nil, err
	}
	names, err := filepath.Glob(filepath.Join(todo, "*.txt"))
	if err != nil {
		return nil, nil, fmt.Errorf("relayCommander queue %s: %w", todo, err)
	}
	var items []queueItem
	var problems []ImportProblem
	for _, name := range names {
		it, content, reason := readQueueFile(name)
		if reason != "" {
			problems = append(problems, ImportProblem{File: name, Line: content, Reason: reason})
			continue
		}
		items = append(items, it)
	}
	// relayCommander replayed in file ctime order; the name breaks ties deterministically.
	sort.SliceStable(items, func(a, b int) bool {
		if !items[a].ctime.Equal(items[b].ctime) {
			return items[a].ctime.Before(items[b].ctime)
		}
		return items[a].file < items[b].file
	})
	return collapse(items), problems, nil
}

// readQueueFile reads and parses one queue file; reason is set when it is skipped, with what
// was read (shortened) as content.
func readQueueFile(name string) (it queueItem, content, reason string) {
	// relayCommander wrote plain files; a link could point anywhere.
	if fi, err := os.Lstat(name); err != nil {
		return it, "", err.Error()
	} else if !fi.Mode().IsRegular() {
		return it, "", "not a regular file"
	}
	f, err := os.Open(name)
	if err != nil {
		return it, "", err.Error()
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return it, "", err.Error()
	}
	if !fi.Mode().IsRegular() {
		return it, "", "not a regular file"
	}
	data, err := io.ReadAll(io.LimitReader(f, maxQueueFile+1))
	if err != nil {
		return it, "", err.Error()
	}
	content = shorten(string(data))
	if len(data) > maxQueueFile {
		return it, content, fmt.Sprintf("larger than %d bytes", maxQueueFile)
	}
	project, env, flag, on, reason := parseQueueLine(data)
	if reason != "" {
		return it, content, reason
	}
	it = queueItem{file: name, ctime: ctimeOf(fi), project: project, env: env, flag: flag, on: on}
	return it, content, ""
}

func ctimeOf(fi os.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctim.Sec, st.Ctim.Nsec).UTC()
	}
	return fi.ModTime().UTC()
}

func shorten(s string) string {
	s = strings.TrimSuffix(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return fmt.Sprintf("%q", s)[1 : len(fmt.Sprintf("%q", s))-1]
}

// collapse turns the queue into changes: relayCommander wrote one file per Redis host per
// change, so consecutive identical commands are one change.
func collapse(items []queueItem) []Change {
	var out []Change
	for i, it := range items {
		if i > 0 {
			p := items[i-1]
			if p.project == it.project && p.env == it.env && p.flag == it.flag && p.on == it.on {
				continue
			}
		}
		out = append(out, Change{
			Time:        it.ctime,
			Reason:      "imported from relayCommander queue file " + filepath.Base(it.file),
			Prefix:      flags.ConventionPrefix(it.project, it.env),
			Project:     it.project,
			Environment: it.env,
			Flag:        it.flag,
			Before:      !it.on, // relayCommander did not record it: assume the command changed the state
			After:       it.on,
			BaseVersion: nil,
			Source:      SourceRelayCommander,
		})
	}
	return out
}

// Import records changes read from relayCommander's queue (ReadRelayCommanderQueue).
//
// Imported changes are ordinary pending changes with an unknown base version (nil): replay
// cannot detect a conflict for them and must confirm them against LaunchDarkly. They are
// marked Source "relaycommander" and have OutcomeKnown true with no host outcomes, because
// relayCommander, not this tool, wrote Redis: there is nothing to reconcile. A change already
// imported (same source, prefix, flag, state, time and reason) is skipped, so importing the
// same queue twice records it once. It returns the changes recorded, with their ids.
func (j *Journal) Import(changes []Change) ([]Change, error) {
	now := time.Now().UTC()
	var recorded []Change
	for i, c := range changes {
		if c.Prefix == "" || c.Flag == "" {
			return nil, fmt.Errorf("journal: imported change %d has no prefix or flag; nothing imported", i+1)
		}
		if c.Source == "" {
			c.Source = SourceRelayCommander
		}
		if c.Time.IsZero() {
			c.Time = now
		}
		if c.ID == "" {
			c.ID = newID(c.Time.Add(time.Duration(i)))
		}
		if c.Operator == "" {
			c.Operator = osOperator()
		}
		recorded = append(recorded, c)
	}
	err := j.appendRecords(func(s *state) ([]record, error) {
		var recs []record
		kept := recorded[:0]
		for _, c := range recorded {
			if s.byID[c.ID] != nil || importedBefore(s, c) {
				continue
			}
			kept = append(kept, c)
			recs = append(recs, record{Type: typeIntent, Change: &c})
		}
		recorded = kept
		if len(recs) == 0 {
			return nil, errNothingNew
		}
		return recs, nil
	})
	if errors.Is(err, errNothingNew) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return recorded, nil
}

var errNothingNew = errors.New("nothing new to import")

func importedBefore(s *state, c Change) bool {
	for _, e := range s.entries {
		if e.Source == c.Source && e.Prefix == c.Prefix && e.Flag == c.Flag && e.After == c.After &&
			e.Reason == c.Reason && e.Time.Equal(c.Time) {
			return true
		}
	}
	return false
}
