package journal

import (
	"fmt"
	"strings"

	"relaycommander/flags"
)

// netState fills a pending flag's Hosts, Desired and Disagreement from the writes its changes
// made: on each host, the write that landed last is the one Redis holds, whatever order the
// intents were recorded in (a slow link can land an earlier intent last).
func netState(p *Pending) {
	var last []write // per host, in order of first appearance
	for _, e := range p.Entries {
		for _, o := range e.Outcomes {
			if o.Outcome != string(flags.Written) {
				continue
			}
			i := -1
			for k := range last {
				if last[k].o.Host == o.Host {
					i = k
				}
			}
			switch {
			case i < 0:
				last = append(last, write{e, o})
			case landedLater(e, o, last[i].e, last[i].o):
				last[i] = write{e, o}
			}
		}
	}
	hosts := make([]HostState, len(last))
	for i, w := range last {
		hosts[i] = HostState{Host: w.o.Host, On: w.e.After, Version: w.o.NewVersion, ChangeID: w.e.ID}
	}
	p.Hosts = hosts
	if len(hosts) == 0 {
		return // nothing recorded a version (imports, unchanged writes): the latest intent says
	}
	agree := true
	for _, h := range hosts[1:] {
		agree = agree && h.On == hosts[0].On
	}
	if agree {
		p.Desired = hosts[0].On
		return
	}
	parts := make([]string, len(hosts))
	for i, h := range hosts {
		parts[i] = fmt.Sprintf("%s: %s v%d (change %s)", h.Host, flags.OnOff(h.On), h.Version, h.ChangeID)
	}
	p.Disagreement = "the hosts disagree about which change landed last: " + strings.Join(parts, "; ")
}

// write is one host's outcome of a change.
type write struct {
	e Entry
	o HostOutcome
}

// landedLater reports whether write o of change e landed after write prev of change pe on
// the same host. A write begun after the other's outcome was recorded came later, whatever
// its version: a Relay full sync in between rewrites the host with LaunchDarkly's older
// version. Writes that overlapped in time are ordered by the versions they produced, which
// WATCH makes strictly increasing on one host.
func landedLater(e Entry, o HostOutcome, pe Entry, prev HostOutcome) bool {
	switch {
	case recordedBefore(prev, e):
		return true
	case recordedBefore(o, pe):
		return false
	}
	return o.NewVersion >= prev.NewVersion // a tie cannot happen on one host; the later record wins
}

// recordedBefore reports whether outcome o was recorded before change e's intent: e's write
// began after o's had ended.
func recordedBefore(o HostOutcome, e Entry) bool { return o.seq > 0 && o.seq < e.seq }

// superseded reports whether a host's unknown outcome u of change e no longer matters: another
// change's write, begun after u was recorded, landed on that host since.
func superseded(e Entry, u HostOutcome, entries []Entry) bool {
	for _, x := range entries {
		if x.ID == e.ID {
			continue
		}
		for _, o := range x.Outcomes {
			if o.Host == u.Host && o.Outcome == string(flags.Written) && recordedBefore(u, x) {
				return true
			}
		}
	}
	return false
}
