package cli

import (
	"strings"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/tui/termsafe"
)

// This file is how queue and replay show what settling interrupted changes found
// (journal.Settle): the changes read back from Redis, and those still waiting.

// changeName names a change's flag for the messages: project/environment/flag, or
// prefix/flag for an unmapped prefix; escaped for the terminal.
func changeName(c journal.Change) string {
	if c.Project != "" {
		return termsafe.Escape(c.Project + "/" + c.Environment + "/" + c.Flag)
	}
	return termsafe.Escape(c.Prefix + " " + c.Flag)
}

// settledLine is what settling found for one change, per host: "written on relay-a, not on
// relay-b".
func settledLine(e journal.Entry) string {
	var parts []string
	group := func(what string, match func(journal.HostOutcome) bool) {
		var hosts []string
		for _, o := range e.Outcomes {
			if match(o) {
				hosts = append(hosts, o.Host)
			}
		}
		if len(hosts) > 0 {
			parts = append(parts, what+" "+termsafe.Escape(strings.Join(hosts, ", ")))
		}
	}
	is := func(out flags.Outcome) func(journal.HostOutcome) bool {
		return func(o journal.HostOutcome) bool { return o.Outcome == string(out) }
	}
	group("written on", is(flags.Written))
	group("already "+flags.OnOff(e.After)+" on", is(flags.Unchanged))
	group("not on", is(flags.Failed))
	group("still unknown on", is(flags.Unknown))
	return tsprintf("settled from Redis: %s (change %s, set %s): %s", changeName(e.Change), e.ID, flags.OnOff(e.After), strings.Join(parts, ", "))
}

// waitingNote says why a change's outcome is still unknown and what settles it; settledNow
// is false when settling did not run (a dry run, read-only).
func waitingNote(e journal.Entry, settledNow bool) string {
	if !e.OutcomeKnown {
		if w := e.Writer; w != nil && !settledNow {
			return tsprintf("outcome unknown: its writer (pid %d on %s) did not record an outcome; not read back from Redis yet", w.PID, termsafe.Escape(w.Host))
		}
		if w := e.Writer; w != nil {
			return tsprintf("outcome unknown: waiting for the writer pid %d on %s, or until every host answers", w.PID, termsafe.Escape(w.Host))
		}
		return "outcome unknown: its writer is not recorded; read back from Redis a minute after the change, once every host answers"
	}
	var why []string
	for _, o := range e.Outcomes {
		if o.Outcome != string(flags.Unknown) {
			continue
		}
		s := "outcome unknown on " + termsafe.Escape(o.Host)
		if o.Reconciled && o.Error != "" {
			s += " (" + termsafe.Escape(o.Error) + ")"
		} else {
			s += ": it settles once every host answers"
		}
		why = append(why, s)
	}
	return strings.Join(why, "; ")
}
