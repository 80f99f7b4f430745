package flags

import (
	"slices"
	"testing"
)

func hfOn(host string, v int) HostFlag {
	return HostFlag{Host: host, Present: true, On: true, Version: v}
}
func hfOff(host string, v int) HostFlag { return HostFlag{Host: host, Present: true, Version: v} }
func hfMissing(host string) HostFlag    { return HostFlag{Host: host} }
func hfDown(host string) HostFlag       { return HostFlag{Host: host, HostDown: true} }
func hfUnreadable(host, raw string) HostFlag {
	return HostFlag{Host: host, Present: true, Unreadable: "bad JSON", Raw: raw}
}

func TestAgreementWords(t *testing.T) {
	cases := []struct {
		name                     string
		hosts                    []HostFlag
		down                     []string
		short, shortDown, detail string
		agree, same              bool
		difference               string
	}{
		{name: "all agree", hosts: []HostFlag{hfOn("a", 4), hfOn("b", 4), hfOn("c", 4)},
			short: "3/3 agree", shortDown: "3/3 agree", agree: true, same: true},
		{name: "one host down", hosts: []HostFlag{hfOn("a", 4), hfDown("b")},
			short: "1/2 agree", shortDown: "1 up, 1 down", agree: true, same: true},
		{name: "down named by the caller", hosts: []HostFlag{hfOn("a", 4), hfMissing("b")}, down: []string{"b"},
			short: "1/2 agree", shortDown: "1 up, 1 down", agree: true, same: true},
		{name: "missing on one", hosts: []HostFlag{hfOn("a", 4), hfOn("b", 4), hfMissing("c")},
			short: "MISSING", shortDown: "MISSING", detail: "missing on c",
			difference: "a: ON v4; c: missing"},
		{name: "differ and missing", hosts: []HostFlag{hfMissing("a"), hfOff("b", 5), hfOn("c", 4)},
			short: "DIFFER", shortDown: "DIFFER", detail: "c: ON v4; missing on a",
			difference: "a: missing; b: OFF v5, c: ON v4"},
		{name: "version differs", hosts: []HostFlag{hfOn("a", 4), hfOn("b", 5)},
			short: "DIFFER", shortDown: "DIFFER", detail: "b: ON v5", difference: "a: ON v4; b: ON v5"},
		{name: "none present", hosts: []HostFlag{hfMissing("a"), hfDown("b")},
			short: "NONE", shortDown: "NONE", detail: "on no reachable host", same: true},
		{name: "all down", hosts: []HostFlag{hfDown("a"), hfDown("b")},
			short: "NONE", shortDown: "NONE", detail: "on no reachable host", same: true},
		{name: "same unreadable JSON", hosts: []HostFlag{hfUnreadable("a", "{"), hfUnreadable("b", "{")},
			short: "2/2 agree", shortDown: "2/2 agree", agree: true, same: true},
		{name: "different unreadable JSON", hosts: []HostFlag{hfUnreadable("a", "{"), hfUnreadable("b", "{x")},
			short: "DIFFER", shortDown: "DIFFER", detail: "b: unreadable", difference: "a: unreadable; b: unreadable"},
		{name: "tombstone against live", hosts: []HostFlag{{Host: "a", Present: true, Deleted: true, Version: 9}, hfOff("b", 9)},
			short: "DIFFER", shortDown: "DIFFER", detail: "b: OFF v9", difference: "a: deleted v9; b: OFF v9"},
	}
	for _, c := range cases {
		a := Flag{Key: "f", Hosts: c.hosts}.Agreement(c.down...)
		if got := a.Short(); got != c.short {
			t.Errorf("%s: Short() = %q, want %q", c.name, got, c.short)
		}
		if got := a.ShortDown(); got != c.shortDown {
			t.Errorf("%s: ShortDown() = %q, want %q", c.name, got, c.shortDown)
		}
		if got := a.Detail(); got != c.detail {
			t.Errorf("%s: Detail() = %q, want %q", c.name, got, c.detail)
		}
		if got := a.Agree(); got != c.agree {
			t.Errorf("%s: Agree() = %v, want %v", c.name, got, c.agree)
		}
		if got := a.Same(); got != c.same {
			t.Errorf("%s: Same() = %v, want %v", c.name, got, c.same)
		}
		if a.Difference != c.difference {
			t.Errorf("%s: Difference = %q, want %q", c.name, a.Difference, c.difference)
		}
		if len(c.down) == 0 {
			ok, why := Flag{Hosts: c.hosts}.Agree()
			if ok != c.same || why != c.difference {
				t.Errorf("%s: Flag.Agree() = %v, %q; want %v, %q", c.name, ok, why, c.same, c.difference)
			}
		}
	}
}

func TestAgreementLists(t *testing.T) {
	a := Flag{Hosts: []HostFlag{hfOn("a", 4), hfDown("b"), hfMissing("c"), hfOff("d", 4)}}.Agreement()
	if a.Hosts != 4 || !slices.Equal(a.Present, []string{"a", "d"}) || !slices.Equal(a.Down, []string{"b"}) ||
		!slices.Equal(a.Missing, []string{"c"}) || !slices.Equal(a.Differ, []string{"d: OFF v4"}) {
		t.Errorf("Agreement = %+v", a)
	}
}

func TestStateAndOnOff(t *testing.T) {
	cases := map[string]HostFlag{
		"ON v4":      hfOn("a", 4),
		"OFF v5":     hfOff("a", 5),
		"missing":    hfMissing("a"),
		"down":       hfDown("a"),
		"unreadable": hfUnreadable("a", "{"),
		"deleted v9": {Host: "a", Present: true, Deleted: true, Version: 9},
	}
	for want, h := range cases {
		if got := h.State(); got != want {
			t.Errorf("State(%+v) = %q, want %q", h, got, want)
		}
	}
	if OnOff(true) != "ON" || OnOff(false) != "OFF" {
		t.Errorf("OnOff: %q, %q", OnOff(true), OnOff(false))
	}
}
