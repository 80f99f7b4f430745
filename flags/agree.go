package flags

import (
	"slices"
	"strconv"
	"strings"
)

// Agreement is how a flag's hosts compare: the one rule behind the flags screen's HOSTS
// column, the listing's notes and the toggle's warning.
type Agreement struct {
	Hosts   int      // configured hosts
	Down    []string // hosts that did not answer: their state is unknown, they neither agree nor differ
	Present []string // answering hosts that hold the flag
	Missing []string // answering hosts without the flag
	// Differ are the present hosts whose state differs from the first present host's, each
	// as "host: STATE".
	Differ []string
	// Difference compares every answering host with the first of them, e.g.
	// "relay-a: OFF v5; relay-b: ON v4, relay-c: missing"; "" when they all hold the same.
	Difference string
}

// Agreement compares the flag across its hosts. Hosts marked HostDown are skipped, and so
// are the hosts named in down that do not hold the flag (for a caller that learned of a
// host going down after the read).
func (f Flag) Agreement(down ...string) Agreement {
	a := Agreement{Hosts: len(f.Hosts)}
	var first, ref *HostFlag // first answering host; first present host
	var diff []string
	for i := range f.Hosts {
		h := &f.Hosts[i]
		switch {
		case h.Present:
			a.Present = append(a.Present, h.Host)
		case h.HostDown || slices.Contains(down, h.Host):
			a.Down = append(a.Down, h.Host)
			continue
		default:
			a.Missing = append(a.Missing, h.Host)
		}
		if first == nil {
			first = h
		} else if !sameState(*h, *first) {
			diff = append(diff, h.Host+": "+h.State())
		}
		if !h.Present {
			continue
		}
		if ref == nil {
			ref = h
		} else if !sameState(*h, *ref) {
			a.Differ = append(a.Differ, h.Host+": "+h.State())
		}
	}
	if len(diff) > 0 {
		a.Difference = first.Host + ": " + first.State() + "; " + strings.Join(diff, ", ")
	}
	return a
}

// sameState reports whether two answering hosts hold the flag alike: both without it, the
// same unreadable JSON, or the same on, version and tombstone.
// StoredAlike reports, cheaply, that every answering host stores the flag as the first does
// (the same JSON, or none), skipping down hosts as Agreement does: then Agreement's
// Difference is "" without building its lists and texts. false means only that Agreement
// must say.
func (f Flag) StoredAlike() bool {
	var first *HostFlag
	for i := range f.Hosts {
		h := &f.Hosts[i]
		if h.HostDown && !h.Present {
			continue
		}
		if first == nil {
			first = h
		} else if h.Present != first.Present || h.Raw != first.Raw {
			return false
		}
	}
	return true
}

func sameState(h, r HostFlag) bool {
	switch {
	case !h.Present || !r.Present:
		return h.Present == r.Present
	case h.Unreadable != "" || r.Unreadable != "":
		return h.Unreadable != "" && r.Unreadable != "" && h.Raw == r.Raw
	}
	return h.On == r.On && h.Version == r.Version && h.Deleted == r.Deleted
}

// Same reports whether every host that answered holds the same (also when none holds the flag).
func (a Agreement) Same() bool { return a.Difference == "" }

// Agree reports whether the flag is present on at least one answering host and every
// answering host holds it in the same state.
func (a Agreement) Agree() bool {
	return len(a.Present) > 0 && len(a.Missing) == 0 && len(a.Differ) == 0
}

// Short is the flags screen's word for it: "2/3 agree" (present hosts of all configured
// ones), "DIFFER", "MISSING" (present ones agree, some answering host lacks it) or "NONE"
// (no answering host holds it).
func (a Agreement) Short() string {
	switch {
	case len(a.Present) == 0:
		return "NONE"
	case len(a.Differ) > 0:
		return "DIFFER"
	case len(a.Missing) > 0:
		return "MISSING"
	}
	return strconv.Itoa(len(a.Present)) + "/" + strconv.Itoa(a.Hosts) + " agree"
}

// ShortDown is Short, except that while hosts are down and the others agree it says so
// instead of looking like a disagreement ("2/3 agree"): "2 agree, 1 down", or "1 up, 1 down"
// when a single host answered (it agrees with nobody). It fits the flags table's HOSTS
// column at 80 columns, where "1 up agree, 1 down" did not.
func (a Agreement) ShortDown() string {
	if len(a.Down) > 0 && a.Agree() {
		down := ", " + strconv.Itoa(len(a.Down)) + " down"
		if len(a.Present) == 1 {
			return "1 up" + down
		}
		return strconv.Itoa(len(a.Present)) + " agree" + down
	}
	return a.Short()
}

// Detail says what Short summarises: "on no reachable host", the differing hosts'
// states, then "missing on HOSTS"; "" when the hosts agree.
func (a Agreement) Detail() string {
	if len(a.Present) == 0 {
		return "on no reachable host"
	}
	parts := slices.Clone(a.Differ)
	if len(a.Missing) > 0 {
		parts = append(parts, "missing on "+strings.Join(a.Missing, ", "))
	}
	return strings.Join(parts, "; ")
}
