package tui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg/relayapi"
	"relaycommander/relaycfg/relaytest"
)

// startRelayFlow runs the program over an outage's Redis hosts, with its Relays configured
// (real redis-servers, simulated Relays streaming from ldfake).
func startRelayFlow(t *testing.T, o *relaytest.Outage, ttl time.Duration) *flow {
	t.Helper()
	const w, h = 120, 40
	f := &flow{t: t, drawn: make(chan struct{}, 1), store: o.Store, ld: o.LD}
	for _, s := range o.Sites {
		f.servers = append(f.servers, s.Redis)
	}
	jr, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jr.Close() })
	f.jr = jr
	client, err := ldsync.NewClient(ldsync.ClientConfig{BaseURL: o.LD.URL(), Token: o.LD.Token(), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var relays []relayapi.Relay
	for _, s := range o.Sites {
		relays = append(relays, relayapi.Relay{Name: s.Name, URL: s.Relay.URL(), Timeout: time.Second})
	}
	// and a Relay that accepts and never answers: its own time-out, nobody waits for it
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	relays = append(relays, relayapi.Relay{Name: "relay-hung", URL: hang.URL, Timeout: 300 * time.Millisecond})
	f.cfg = Config{
		Store: o.Store, Journal: jr, LD: client, Operator: "alice", AltScreen: true,
		Refresh:  400 * time.Millisecond,
		RelayTTL: ttl, Protected: []string{"production"},
		Relays:  relays,
		SDKKeys: map[string]relayapi.SDKKey{o.Env.Prefix: relayapi.SDKKey(o.Env.SDKKey)},
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := New(f.cfg, f.cfg.backends()).withContext(ctx)
	f.tm = teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	stop, stopped := make(chan struct{}), make(chan struct{})
	go f.watch(f.tm.Output(), newVterm(w, h), stop, stopped)
	t.Cleanup(func() {
		f.tm.Quit()
		f.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		close(stop)
		<-stopped
	})
	f.waitFor("flags of the first environment", func(s string) bool { return strings.Contains(s, "beta-dashboard") })
	return f
}

// Two Relays streaming web-store/staging from LaunchDarkly: connected, the confirmation
// warns; cut off, the header says so, a write is followed until each Relay serves it (its
// localTtl cache expired); reconnected, the Relays re-sync Redis, the Relays view sees the
// transition and says so, and the banner shows the undone change. (That the re-sync alone
// runs the drift check, with no refresh, is TestRelayResyncChecksDriftAtOnce.)
func TestFlowRelaysServingAndResync(t *testing.T) {
	const flag = "checkout-flow"
	ld := ldfake.New()
	t.Cleanup(ld.Close)
	ttl := time.Second
	o := relaytest.StartOutageSites(t, ld, "web-store", "staging", 2, relaytest.Options{LocalTTL: ttl})
	f := startRelayFlow(t, o, ttl)
	f.selectEnv("web-store / staging")
	f.see("relays: relay-a connected  relay-b connected  relay-hung unreachable")

	f.filterTo(flag)
	f.keys("t")
	f.see("relay-a, relay-b are connected to LaunchDarkly for this environment")
	f.see("In LaunchDarkly")
	f.keys("esc")
	f.see("not changed: " + flag)

	o.CutOff(t)
	f.see("relays: relay-a CUT OFF (INTERRUPTED)  relay-b CUT OFF (INTERRUPTED)  relay-hung unreachable")
	on, v := o.InRedis(t, flag)
	o.WaitServed(t, flag, on, v) // each Relay has it cached, as while serving traffic

	f.keys("t")
	f.waitFor("a confirmation without the warning", func(s string) bool {
		return strings.Contains(s, "Turn OFF "+flag+"?") && !strings.Contains(s, "connected to LaunchDarkly")
	})
	f.typ("cdn down")
	f.keys("tab", "y", "enter")
	f.see("relay-a serves OFF")
	fr := f.see("relay-b serves OFF")
	fr = f.see("relay-hung unknown after")
	if !strings.Contains(fr, "after the write") {
		t.Fatalf("serving check:\n%s", fr)
	}
	if on, _ := o.InRedis(t, flag); on {
		t.Fatal("the write did not reach Redis")
	}

	f.keys("esc")
	o.Restore(t) // the Relays reconnect and rewrite Redis from LaunchDarkly: ON again
	f.see("re-synced from LaunchDarkly")
	f.see("Relay re-sync undid 1 change: staging/" + flag)
}
