package tui

import (
	"strings"
	"testing"
)

// Issue 13 item 1: moving to another environment and pressing tab and space before its flag
// set arrives must not open a confirmation for the set just left, and the header must not
// mix the two environments.
func TestToggleWhileSetLoadsDoesNothing(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.gotoEnv("ld:web-store:production")
	u.mustSee("web-store / production")

	u.key("tab") // to the environments
	load := u.key("down")
	if got := u.m.flagsScreen.selPrefix; got != "ld:web-store:staging" {
		t.Fatalf("selected %s, want ld:web-store:staging", got)
	}
	if load == nil {
		t.Fatal("moving to staging asked for no flags")
	}
	// the set is late: its message is held back
	u.key("tab", "space")
	if d := u.confirm(); d != nil {
		t.Fatalf("a confirmation opened for %s while staging's flags load", d.prefix)
	}
	u.mustSee("loading ld:web-store:staging…")
	u.mustNotSee("web-store / production")
	u.key("t")
	if u.confirm() != nil {
		t.Fatal("t opened a confirmation while staging's flags load")
	}

	u.apply(load)
	u.mustSee("web-store / staging")
	u.mustNotSee("web-store / production")
	u.key("space")
	d := u.confirm()
	if d == nil {
		t.Fatalf("no confirmation once staging's flags arrived:\n%s", u.view())
	}
	if d.prefix != "ld:web-store:staging" || d.env != "staging" {
		t.Fatalf("confirmation for %s (%s), want ld:web-store:staging (staging)", d.prefix, d.env)
	}
	if !strings.Contains(u.view(), "ld:web-store:staging") {
		t.Fatalf("the dialog does not name staging's prefix:\n%s", u.view())
	}
}
