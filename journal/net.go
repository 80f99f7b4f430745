package journal

import (
	"fmt"
	"strings"

	"relaycommander/flags"
)

// netState fills a pending flag's Hosts, Desired and Disagreement from the versions its
// changes' writes produced: on each host, the write with the highest version is the one Redis
// holds, whatever order the intents were recorded in (a slow link can land an earlier intent
// last).
func netState(p *Pending) {
	var hosts []HostState
	for _, e := range p.Entries {
		for _, o := range e.Outcomes {
			if o.Outcome != string(flags.Written) {
				continue
			}
			i := -1
			for k := range hosts {
				if hosts[k].Host == o.Host {
					i = k
				}
			}
			hs := HostState{Host: o.Host, On: e.After, Version: o.NewVersion, ChangeID: e.ID}
			switch {
			case i < 0:
				hosts = append(hosts, hs)
			case o.NewVersion >= hosts[i].Version: // a tie cannot happen on one host; the later record wins
				hosts[i] = hs
			}
		}
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
