package tui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"relaycommander/flags"
	"relaycommander/flags/redistest"
)

// readModel is the UI over a real flags.Store of two real redis-servers (relay-a, relay-b),
// loaded with the first environment's flags; the test drives every command itself.
func readModel(t *testing.T) (*Model, []*redistest.Server) {
	t.Helper()
	var servers []*redistest.Server
	var hcs []flags.HostConfig
	for i := range 2 {
		s := redistest.StartWithFixture(t)
		servers = append(servers, s)
		hcs = append(hcs, flags.HostConfig{Name: "relay-" + string(rune('a'+i)), Addr: s.Addr})
	}
	timeout := 300 * time.Millisecond
	store, err := flags.Open(hcs, flags.Options{DialTimeout: timeout, CommandTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m := New(Config{Now: fixedClock, Operator: "alice", RelayTTL: 30 * time.Second, Protected: []string{"production"}}, Backends{Store: store})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	_, next := m.Update(m.refreshCmd()())
	for r := firstRead(t, next); ; r = nextRead(t, r) {
		m.Update(r)
		if r.read.Done() {
			break
		}
	}
	if !m.flagsScreen.setReady() || len(m.flagsScreen.set.Flags) == 0 {
		t.Fatalf("first environment not loaded: %+v", m.flagsScreen.set)
	}
	return m, servers
}

// firstRead runs a command (and the batch it may be) to its flagsReadMsg.
func firstRead(t *testing.T, cmd tea.Cmd) flagsReadMsg {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command: no read started")
	}
	switch msg := cmd().(type) {
	case flagsReadMsg:
		return msg
	case tea.BatchMsg:
		for _, c := range msg {
			if c == nil {
				continue
			}
			if r, ok := c().(flagsReadMsg); ok {
				return r
			}
		}
	}
	t.Fatal("the command read no flags")
	return flagsReadMsg{}
}

func nextRead(t *testing.T, r flagsReadMsg) flagsReadMsg {
	t.Helper()
	return nextFlagsRead(r.seq, r.prefix, r.next)().(flagsReadMsg)
}

func screenOf(m *Model) string { return ansi.Strip(m.View().Content) }

// Issue 13 item 2, without the terminal: while a hung host is read, the live host's flags
// are on screen and may be toggled, the hung host is "reading", neither up-to-date nor down;
// once its read timed out it is DOWN in the header, in downNames and in every flag's hosts.
func TestLoadHungHostIsReadingThenDown(t *testing.T) {
	m, servers := readModel(t)
	servers[1].Pause()
	defer servers[1].Resume()
	s := m.flagsScreen

	m.Update(keyMsg("tab"))
	_, cmd := m.Update(keyMsg("down"))
	r := firstRead(t, cmd)
	m.Update(r)
	if r.read.Done() || !reflect.DeepEqual(r.read.Reading, []string{"relay-b"}) {
		t.Fatalf("first step reading %v", r.read.Reading)
	}
	if !s.setReady() || s.set.Prefix != "ld:mobile-api:production" || len(s.set.Flags) != 10 {
		t.Fatalf("relay-a's flags not on screen: ready %v, %s, %d flags", s.setReady(), s.set.Prefix, len(s.set.Flags))
	}
	if down := m.downNames(); len(down) != 0 {
		t.Fatalf("relay-b is still being read, not down: downNames %v", down)
	}
	if v := screenOf(m); strings.Contains(v, "DOWN") || !strings.Contains(v, "beta-dashboard") {
		t.Fatalf("screen while relay-b is read:\n%s", v)
	}
	if got := s.readingNote(); got != "reading relay-b…" {
		t.Fatalf("readingNote %q", got)
	}
	f, _ := s.cursorFlag()
	if got := s.hostsCell(f.Agreement(m.downNames()...)); got != "1 up, 1 reading" {
		t.Fatalf("%s while relay-b is read: HOSTS %q", f.Key, got)
	}
	// a moment later the status names it
	m.Update(slowReadMsg{seq: r.seq})
	if !strings.Contains(m.status, "reading relay-b…") {
		t.Fatalf("status %q", m.status)
	}
	// a refresh does not start a second read of the prefix while this one runs
	if _, batch := m.refreshCmd()().(tea.BatchMsg); batch {
		t.Fatal("the refresh read the prefix again while its read still runs")
	}
	// the partly read set may be toggled: the confirmation says relay-b is still being read
	m.Update(keyMsg("tab"))
	m.Update(keyMsg("space"))
	if c, ok := m.dialog.(*confirmDialog); !ok || !strings.Contains(c.hostsNote, "still reading relay-b (may fail)") {
		t.Fatalf("confirmation over a partly read set: %#v", m.dialog)
	}
	m.Update(keyMsg("esc"))

	// relay-b's read times out: DOWN everywhere at once
	last := nextRead(t, r)
	m.Update(last)
	if !last.read.Done() {
		t.Fatalf("second step still reading %v", last.read.Reading)
	}
	if down := m.downNames(); !reflect.DeepEqual(down, []string{"relay-b"}) {
		t.Fatalf("downNames %v", down)
	}
	if v := screenOf(m); !strings.Contains(v, "relay-b DOWN") || !strings.Contains(v, "relay-b did not answer") {
		t.Fatalf("screen after relay-b's read timed out:\n%s", v)
	}
	if s.readingNote() != "" || s.inFlight != "" {
		t.Fatalf("read still in flight: %q %q", s.readingNote(), s.inFlight)
	}
	for _, f := range s.set.Flags {
		if f.Key == "beta-dashboard" {
			if got := s.hostsCell(f.Agreement(m.downNames()...)); got != "1 up, 1 down" {
				t.Fatalf("%s after the timeout: HOSTS %q", f.Key, got)
			}
		}
	}
}

// A read that a newer one replaced is dropped, step by step.
func TestLoadReplacedReadIsDropped(t *testing.T) {
	m, _ := readModel(t)
	s := m.flagsScreen
	m.Update(keyMsg("tab"))
	_, cmd := m.Update(keyMsg("down"))
	old := firstRead(t, cmd)
	_, cmd = m.Update(keyMsg("down"))
	newer := firstRead(t, cmd)
	if next := func() tea.Cmd { _, c := m.Update(old); return c }(); next != nil {
		t.Fatal("a replaced read asked for its next step")
	}
	if s.setReady() {
		t.Fatalf("a replaced read's flags (%s) were taken for %s", s.set.Prefix, s.selPrefix)
	}
	m.Update(newer)
	if s.set.Prefix != newer.prefix || s.set.Prefix != s.selPrefix {
		t.Fatalf("set %s, selected %s, newest read %s", s.set.Prefix, s.selPrefix, newer.prefix)
	}
}

// The refresh reads the flags beside the discovery, not after it: with a hung host the live
// host's flags arrive while the discovery still waits for the hung host's PING to time out.
func TestLoadRefreshShowsTheLiveHostsFlagsBeforeItsDiscoveryEnds(t *testing.T) {
	m, servers := readModel(t)
	servers[1].Pause()
	defer servers[1].Resume()
	batch, ok := m.refreshCmd()().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("the refresh should be its discovery and a flags read: %#v", batch)
	}
	arrived := make(chan tea.Msg, len(batch))
	for _, c := range batch {
		go func() { arrived <- c() }()
	}
	first := <-arrived
	r, ok := first.(flagsReadMsg)
	if !ok {
		t.Fatalf("the refresh's %T arrived before the live host's flags", first)
	}
	m.Update(r)
	if !reflect.DeepEqual(r.read.Reading, []string{"relay-b"}) || !m.flagsScreen.setReady() || len(m.flagsScreen.set.Flags) == 0 {
		t.Fatalf("first step: reading %v, ready %v", r.read.Reading, m.flagsScreen.setReady())
	}
	if d, ok := (<-arrived).(refreshMsg); !ok || d.disc.Hosts[1].Up {
		t.Fatalf("the discovery should find relay-b down: %#v", d)
	}
}
