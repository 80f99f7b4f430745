package tui

import (
	"testing"

	"relaycommander/journal"
)

// The dialogs decide; the root writes. Each dialog ends with a result message and starts
// nothing itself.
func TestDialogsReturnResultsAndStartNothing(t *testing.T) {
	u := newUnit(t, 80, 24, func(c *Config) { c.Protected = []string{"none"} })

	// toggle: Yes and enter end the dialog with the confirmed toggle, nothing written yet
	u.gotoFlag("beta-dashboard")
	u.key("space")
	d := u.confirm()
	if d == nil {
		t.Fatal("space did not open the toggle confirmation")
	}
	u.typeText("drill")
	u.key("tab", "y")
	res, done := d.Update(keyMsg("enter"))
	got, ok := res.(confirmedToggleMsg)
	if !done || !ok {
		t.Fatalf("enter on Yes ended with %T (done %v), want confirmedToggleMsg", res, done)
	}
	if got.c.flag != "beta-dashboard" || !got.c.after || got.c.reason.value() != "drill" {
		t.Fatalf("confirmed toggle %+v", got.c)
	}
	if len(u.fj.changes) != 0 || len(u.fs.toggles) != 0 {
		t.Fatal("the dialog wrote by itself")
	}
	u.apply(u.key("enter")) // the same key through the root, which still holds the dialog: the write runs
	if len(u.fj.changes) != 1 || u.fj.changes[0].Flag != "beta-dashboard" || u.fj.changes[0].Reason != "drill" {
		t.Fatalf("journal after the root's write: %+v", u.fj.changes)
	}

	// esc ends it with a cancel
	u.key("esc")
	u.gotoFlag("legacy-export")
	u.key("space")
	if res, done := u.confirm().Update(keyMsg("esc")); !done || res != (toggleCancelledMsg{flag: "legacy-export"}) {
		t.Fatalf("esc ended with %#v (done %v)", res, done)
	}

	// discard: the confirmed discard carries the change, the reason and the restore choice
	u.key("esc")
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.refresh()
	u.key("2", "d")
	dd := u.discardDialog()
	if dd == nil {
		t.Fatal("d did not open the discard confirmation")
	}
	u.typeText("by hand")
	u.key("tab", "space", "tab", "y")
	res, done = dd.Update(keyMsg("enter"))
	dm, ok := res.(discardConfirmedMsg)
	if !done || !ok || dm.p.Flag != "kill-switch-checkout" || dm.reason != "by hand" || !dm.restore {
		t.Fatalf("discard ended with %#v (done %v)", res, done)
	}
	if len(u.fj.events) != 0 {
		t.Fatal("the discard dialog recorded by itself")
	}

	// quit: y quits, n stays
	q := &quitDialog{keys: u.m.keys, st: u.m.st}
	if res, done := q.Update(keyMsg("y")); !done || res != (quitConfirmedMsg{}) {
		t.Fatalf("y ended with %#v (done %v)", res, done)
	}
	if res, done := q.Update(keyMsg("n")); !done || res != nil {
		t.Fatalf("n ended with %#v (done %v)", res, done)
	}
}

// A key in the footer or in help is a bound key: read-only unbinds the writing actions, and
// they are not shown either, on any screen or dialog.
func TestShownKeysAreBound(t *testing.T) {
	for _, readOnly := range []bool{false, true} {
		u := newUnit(t, 120, 40, func(c *Config) { c.ReadOnly = readOnly; c.Protected = []string{"none"} })
		u.fj.pending = []journal.Pending{pendingKill(false)}
		u.refresh()
		check := func(where string) {
			t.Helper()
			k := u.m.screenKeys()
			all := k.ShortHelp()
			for _, g := range k.FullHelp() {
				all = append(all, g...)
			}
			if len(k.ShortHelp()) == 0 {
				t.Fatalf("%s (read-only %v): no keys in the footer", where, readOnly)
			}
			for _, b := range all {
				if !b.Enabled() {
					t.Fatalf("%s (read-only %v): %q shown but not bound", where, readOnly, b.Help().Key)
				}
				if readOnly && (b.Help().Desc == "toggle" || b.Help().Desc == "discard" || b.Help().Desc == "replay ready") {
					t.Fatalf("%s: read-only shows %q", where, b.Help().Desc)
				}
			}
		}
		check("flags")
		u.key("/")
		check("filter")
		u.key("esc", "enter")
		check("details")
		u.key("esc", "space")
		check("toggle confirmation")
		u.key("esc", "2")
		check("queue")
		u.key("d")
		check("discard")
		u.key("esc")
		u.apply(u.key("enter"))
		check("history")
		u.key("esc")
		u.withLD(samplePlan())
		u.apply(u.key("3"))
		check("sync")
	}
}
