package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"relaycommander/journal"
	"relaycommander/relaycfg/relayapi"
)

// withRelays rebuilds the unit's model with the three test Relays (connected, cut off,
// unreachable), a LaunchDarkly that can be written, and the first poll applied.
func (u *unit) withRelays() (*fakeRelays, *fakeLDWriter) {
	u.t.Helper()
	fr := &fakeRelays{results: testRelayResults()}
	lw := &fakeLDWriter{}
	u.cfg.Relays = testRelays
	u.cfg.SDKKeys = map[string]relayapi.SDKKey{}
	for _, p := range u.fs.disc.Prefixes {
		u.cfg.SDKKeys[p.Prefix] = relayapi.SDKKey("sdk-00000000-0000-0000-0000-0000000" + sprintf("%05d", len(u.cfg.SDKKeys)))
	}
	u.build(Backends{Store: u.fs, Journal: u.fj, Relays: fr, LDWriter: lw})
	u.apply(u.m.relayPollCmd())
	return fr, lw
}

// follow runs a command to its message, applies it, and follows the write's and the
// serving check's own follow-ups (never a timer).
func (u *unit) follow(cmd tea.Cmd) {
	u.t.Helper()
	if cmd == nil {
		return
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			u.follow(c)
		}
		return
	}
	_, next := u.m.Update(msg)
	switch msg.(type) {
	case toggleDoneMsg, servedMsg, ldSetDoneMsg:
		u.follow(next)
	}
}

// servedAnswers are the serving check's answers: relay-east serves the new state, relay-west
// still serves the old one at the time-out, relay-dr does not answer.
func servedAnswers(prefix, flag string, on bool) []relayapi.Served {
	e := relayapi.Expect{Prefix: prefix, Flag: flag, On: on, Version: 10}
	return []relayapi.Served{
		{Relay: testRelays[0], Expect: e, Served: true, After: 1400 * time.Millisecond},
		{Relay: testRelays[1], Expect: e, After: 60 * time.Second, LastOn: !on, LastVersion: 9},
		{Relay: testRelays[2], Expect: e, After: 60 * time.Second, Err: errors.New("GET /sdk/flags/" + flag + ": dial tcp 10.0.9.1:8030: connect: connection refused")},
	}
}

// The Relays view: each Relay's word about the selected environment, in the header and in
// the environment's pane, in words.
func TestRelaysView(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	u.withRelays()
	u.mustSee("relays: relay-east connected  relay-west CUT OFF (INTERRUPTED)  relay-dr unreachable")
	u.mustSee("Relay relay-east  connected since 03:02:30 (10m ago); store VALID")
	u.mustSee("Relay relay-west  CUT OFF (INTERRUPTED) since 03:11:48 (42s ago); store VALID; last err")
	u.mustSee("Relay relay-dr    unreachable: relay-dr (http://relay-dr:8030): GET /status: dial tcp")

	// a prefix no Relay stores
	fr := &fakeRelays{results: []relayapi.StatusResult{{Relay: testRelays[0], Status: relayapi.Status{Relay: testRelays[0]}}}}
	u.cfg.Relays = testRelays[:1]
	u.build(Backends{Store: u.fs, Journal: u.fj, Relays: fr})
	u.apply(u.m.relayPollCmd())
	u.mustSee("relays: relay-east not serving this prefix")
}

// Text from a Relay passes through termsafe like every stored text.
func TestRelaysTextIsEscaped(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	fr, _ := u.withRelays()
	bad := testRelayResults()
	bad[1].Status.Environments[0].Conn.State = "INTERRUPTED\x1b]0;pwned\x07"
	bad[1].Status.Environments[0].Store.State = "VALID\x1b[2J"
	bad[2].Err = errors.New("refused \x1b[31mred")
	fr.set(bad)
	u.apply(u.m.relayPollCmd())
	raw := u.m.View().Content
	for _, evil := range []string{"\x1b]0;pwned", "\x1b[2J", "\x1b[31mred"} {
		if strings.Contains(raw, evil) {
			t.Errorf("the view passes %q from a Relay to the terminal", evil)
		}
	}
}

// A toggle in an environment that a Relay reports connected says so, and offers the change
// in LaunchDarkly instead: it goes to LaunchDarkly with the reason as its comment, and
// neither Redis nor the journal gets a change.
func TestConfirmOffersLaunchDarklyWhenARelayIsConnected(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	fr, lw := u.withRelays()
	fr.served = servedAnswers("ld:web-store:staging", "checkout-flow", false)
	u.gotoEnv("ld:web-store:staging")
	u.gotoFlag("checkout-flow")
	u.key("t")
	u.mustSee("relay-east is connected to LaunchDarkly for this environment")
	u.mustSee("In LaunchDarkly")
	u.typeText("cdn down")
	u.key("tab", "l")
	if c := u.confirm(); !c.inLD || c.yes {
		t.Fatalf("l selects In LaunchDarkly: inLD %v yes %v", c.inLD, c.yes)
	}
	u.follow(u.key("enter"))
	if len(lw.comments) != 1 || lw.comments[0] != "web-store/staging/checkout-flow: Relay Commander, by alice: cdn down" {
		t.Fatalf("LaunchDarkly got %q", lw.comments)
	}
	if len(u.fs.toggles) != 0 || len(u.fj.changes) != 0 {
		t.Fatalf("Redis or the journal got a change: toggles %v, changes %v", u.fs.toggles, u.fj.changes)
	}
	u.mustSee("checkout-flow -> OFF in LaunchDarkly   done: LaunchDarkly has it OFF, v47")
	u.mustSee("relay-east serves OFF, 1.4 s after the write")
	if len(fr.checks) != 1 || fr.checks[0].Flags[0].Version != 47 {
		t.Fatalf("serving check: %+v", fr.checks)
	}
}

// With every Relay cut off, the confirmation neither warns nor offers LaunchDarkly; the
// arrow keys still switch only between No and Yes.
func TestConfirmWithoutConnectedRelay(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	fr, _ := u.withRelays()
	res := testRelayResults()
	res[0] = relayapi.StatusResult{Relay: testRelays[0], Status: relayStatus(testRelays[0], relayapi.Interrupted, testNow.Add(-time.Minute))}
	fr.set(res)
	u.apply(u.m.relayPollCmd())
	u.gotoEnv("ld:web-store:staging")
	u.gotoFlag("checkout-flow")
	u.key("t")
	u.mustNotSee("connected to LaunchDarkly for this environment")
	u.mustNotSee("In LaunchDarkly")
	u.key("tab", "right", "right")
	if c := u.confirm(); c.yes || c.inLD {
		t.Fatalf("two arrows: back on No; inLD %v yes %v", c.inLD, c.yes)
	}
}

// After a write the serving check asks every Relay about that flag only, for twice the
// localTtl (2 s without a cache), from when the write finished; the screen shows each
// Relay's answer.
func TestServingCheckAfterAWrite(t *testing.T) {
	for _, tc := range []struct {
		ttl, timeout time.Duration
		still        string
	}{
		{30 * time.Second, 60 * time.Second, "relay-west still ON after 60.0 s (localTtl 30s): restart it or wait"},
		{0, 2 * time.Second, "relay-west still ON after 60.0 s (localTtl 0s): restart it or wait"},
		{-1, 2 * time.Second, "relay-west still ON after 60.0 s (localTtl negative: it caches forever): restart it"},
	} {
		t.Run(tc.ttl.String(), func(t *testing.T) {
			u := newUnit(t, 120, 40, func(c *Config) { c.RelayTTL = tc.ttl })
			fr, _ := u.withRelays()
			fr.served = servedAnswers("ld:web-store:staging", "checkout-flow", false)
			u.gotoEnv("ld:web-store:staging")
			u.gotoFlag("checkout-flow")
			u.key("t", "tab", "y")
			before := time.Now()
			u.follow(u.key("enter"))
			if len(fr.checks) != 1 {
				t.Fatalf("%d serving checks", len(fr.checks))
			}
			c := fr.checks[0]
			if c.Timeout != tc.timeout || c.LocalTTL != tc.ttl || len(c.Flags) != 1 ||
				c.Flags[0] != (relayapi.Expect{Prefix: "ld:web-store:staging", Flag: "checkout-flow", On: false, Version: 10}) ||
				c.SDKKeys["ld:web-store:staging"] == "" || len(c.SDKKeys) != 1 || c.Written.Before(before) || len(c.Relays) != 3 {
				t.Fatalf("serving check %+v", c)
			}
			u.mustSee("relay-east serves OFF, 1.4 s after the write")
			u.mustSee(tc.still)
			u.mustSee("relay-dr unknown after 60.0 s: GET /sdk/flags/checkout-flow: dial tcp")
		})
	}
}

// A Relay that reconnects to LaunchDarkly (INTERRUPTED -> VALID) for an environment with
// pending changes has just re-synced it: the drift check runs at once, and the banner shows
// the undone change without waiting for the next refresh.
func TestRelayResyncChecksDriftAtOnce(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	fr, _ := u.withRelays() // relay-west INTERRUPTED
	// the pending change is OFF; the fake Redis holds ON: a drift check finds it undone
	u.fj.pending = []journal.Pending{pendingKill(false)}
	u.m.applyPending(u.fj.pending, nil) // as a refresh would, without its drift check
	u.mustNotSee("Relay re-sync undid")
	res := testRelayResults()
	res[1] = relayapi.StatusResult{Relay: testRelays[1], Status: relayStatus(testRelays[1], relayapi.Valid, testNow)}
	fr.set(res)
	cmd := u.m.relayPollCmd()
	_, next := u.m.Update(cmd())
	if next == nil {
		t.Fatal("the re-sync starts no drift check")
	}
	u.mustSee("re-synced from LaunchDarkly: relay-west (ld:web-store:production); checking the pending changes now")
	u.apply(next)
	u.mustSee("Relay re-sync undid 1 change: production/kill-switch-checkout")

	// the next round, nothing changed: no check
	_, next = u.m.Update(u.m.relayPollCmd()())
	if next != nil {
		t.Fatal("a round without transitions starts a drift check")
	}
}

// Selecting another environment asks the Relays at once, not at the next poll.
func TestRelaysAskedOnEnvironmentChange(t *testing.T) {
	u := newUnit(t, 120, 40, nil)
	fr, _ := u.withRelays()
	fr.set(nil) // the next answer: no Relay answered yet
	u.key("tab")
	load := u.key("down") // the next environment's flags
	if load == nil {
		t.Fatal("no flags load on an environment change")
	}
	_, ask := u.m.Update(load())
	if ask == nil {
		t.Fatal("an environment change does not ask the Relays")
	}
	if _, ok := ask().(relaysMsg); !ok {
		t.Fatal("the command is not the Relays' status")
	}
}
