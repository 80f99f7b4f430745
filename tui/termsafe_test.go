package tui

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
)

// Issue 11 item 11: text read from Redis, the journal or LaunchDarkly is drawn escaped.
const (
	evil        = "evil\x1b]0;PWNED\a\x1b[31mRED\x1b[0m"
	evilEscaped = `evil\x1b]0;PWNED\x07\x1b[31mRED\x1b[0m`
)

// ourSGR is the styling the UI itself draws: select graphic rendition only.
var ourSGR = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// evilPending is a pending change of the evil flag: its reason, operator and host error
// carry escape sequences too. Redis (the store) still holds it ON: it drifted.
func evilPending(prefix string) journal.Pending {
	v := 1
	return journal.Pending{
		Prefix: prefix, Project: "internal-tools", Environment: "production", Flag: evil, BaseOn: true, BaseVersion: &v, Desired: false,
		Entries: []journal.Entry{{
			Change: journal.Change{ID: "c-evil", Time: testNow.Add(-time.Minute), Operator: "op-" + evil, Reason: "why-" + evil,
				Prefix: prefix, Flag: evil, Before: true, After: false, BaseVersion: &v},
			OutcomeKnown: true,
			Outcomes: []journal.HostOutcome{
				{Host: "relay-a", Outcome: "written", OldOn: true, OldVersion: 1, NewVersion: 2},
				{Host: "relay-b", Outcome: "failed", Error: "err-" + evil},
			},
		}},
	}
}

func TestTextFromTheStoresIsEscapedOnEveryScreen(t *testing.T) {
	u := newUnit(t, 160, 50, func(c *Config) { c.Protected = []string{"none"} })
	prefix := u.m.flagsScreen.selPrefix
	set := u.fs.sets[prefix]
	host := func(name string) flags.HostFlag {
		h := hf(name, true, 1, evil)
		h.Raw = `{"key":"` + evil + `","on":true,"version":1}` // raw control characters: not JSON, shown as stored
		return h
	}
	set.Flags = append([]flags.Flag{{Key: evil, Hosts: []flags.HostFlag{host("relay-a"), host("relay-b"), {Host: "relay-c", HostDown: true}}, Dependants: []string{evil}}}, set.Flags...)
	u.fs.sets[prefix] = set
	p := evilPending(prefix)
	u.fj.pending = []journal.Pending{p}
	u.fj.history = p.Entries
	u.fj.events = []journal.ReplayEvent{{Time: testNow, Kind: journal.ReplayFailed, Prefix: prefix, Flag: evil, By: "by-" + evil, Why: "why-" + evil, Error: "ld-" + evil}}
	u.withLD(ldsync.Plan{Items: []ldsync.Item{{Pending: p, Status: ldsync.NotReplayable, Reason: "reason-" + evil}}})

	check := func(screen string, want ...string) {
		t.Helper()
		raw := u.m.View().Content
		if rest := ourSGR.ReplaceAllString(raw, ""); strings.ContainsAny(rest, "\x1b\a") {
			i := strings.IndexAny(rest, "\x1b\a")
			t.Fatalf("%s: a control byte from the data reached the terminal at %q", screen, rest[max(0, i-20):min(len(rest), i+30)])
		}
		v := ansi.Strip(raw)
		for _, w := range append([]string{evilEscaped}, want...) {
			if !strings.Contains(v, w) {
				t.Fatalf("%s: screen lacks %q:\n%s", screen, w, v)
			}
		}
	}
	u.gotoFlag(evil)
	check("flags table and drift banner", "Relay re-sync undid 1 change: production/"+evilEscaped)
	u.key("enter")
	check("details", "dependants (flags that require this one): "+evilEscaped, `"key":"`+evilEscaped)
	u.key("esc", "space")
	check("confirm dialog", "Turn OFF "+evilEscaped+"?")
	// a pasted reason loses its control characters on the way in (textinput sanitises input)
	u.m.Update(tea.PasteMsg{Content: "reason-" + evil})
	check("confirm dialog with a pasted reason", "reason-evil]0;PWNED[31mRED[0m█")
	u.key("tab", "y")
	u.apply(u.key("enter"))
	check("results", evilEscaped+" -> OFF", "by alice: reason-evil]0;PWNED[31mRED[0m")
	u.key("esc", "2")
	check("queue", "op-"+evilEscaped, "why-"+evilEscaped, "err-"+evilEscaped)
	u.apply(u.key("enter"))
	check("history", "History of "+evilEscaped, "by-"+evilEscaped, "ld-"+evilEscaped)
	u.key("esc", "d")
	check("discard dialog", "Discard the pending change of "+evilEscaped)
	u.key("esc")
	u.apply(u.key("3"))
	check("sync plan", "reason-"+evilEscaped)
	u.startFakeReplay()
	u.m.Update(progressMsg{p: ldsync.Progress{Index: 0, Total: 1, Done: true, Result: "failed", Err: errors.New("patch-" + evil), Item: u.m.syncScreen.sync.plan.Items[0]}})
	u.m.Update(replayDoneMsg{err: errors.New("stop-" + evil)})
	check("sync results", "patch-"+evilEscaped, "stop-"+evilEscaped)
}
