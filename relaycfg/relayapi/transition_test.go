package relayapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg/relaytest"
)

func statusWith(r Relay, states ...any) Status {
	st := Status{Relay: r}
	for i := 0; i < len(states); i += 3 {
		st.Environments = append(st.Environments, Environment{Name: states[i].(string),
			Conn: Connection{State: states[i+1].(ConnState), Since: time.UnixMilli(int64(states[i+2].(int)))}})
	}
	return st
}

func TestWatcherTransitions(t *testing.T) {
	a, b := Relay{Name: "relay-a", URL: "http://a"}, Relay{Name: "relay-b", URL: "http://b"}
	var w Watcher
	if got := w.Observe(statusWith(a, "prod", Initializing, 1, "test", Valid, 1)); got != nil {
		t.Fatalf("first status: %v", got)
	}
	if got := w.Observe(statusWith(b, "prod", Interrupted, 1)); got != nil {
		t.Fatalf("another Relay's first status: %v", got)
	}
	steps := []struct {
		st   Status
		want string // "env FROM->TO resynced", comma-separated
	}{
		{statusWith(a, "prod", Initializing, 1, "test", Valid, 1), ""},
		{statusWith(a, "prod", Valid, 5, "test", Interrupted, 6), "prod INITIALIZING->VALID true,test VALID->INTERRUPTED false"},
		{statusWith(a, "prod", Valid, 5, "test", Interrupted, 6, "new", Valid, 7), ""},
		{statusWith(a, "prod", Valid, 9, "test", Valid, 9), "prod VALID->VALID true,test INTERRUPTED->VALID true"},
		{statusWith(b, "prod", Off, 3), "prod INTERRUPTED->OFF false"},
	}
	for i, s := range steps {
		var got []string
		for _, tr := range w.Observe(s.st) {
			if tr.Relay != s.st.Relay {
				t.Errorf("step %d: transition of %v from %v", i, tr.Relay, s.st.Relay)
			}
			got = append(got, tr.Env.Name+" "+string(tr.From)+"->"+string(tr.To)+" "+map[bool]string{true: "true", false: "false"}[tr.Resynced])
		}
		if strings.Join(got, ",") != s.want {
			t.Errorf("step %d: %q, want %q", i, strings.Join(got, ","), s.want)
		}
	}
}

// Against the simulator: an outage and its end are seen, the end as a re-sync.
func TestWatchSeesTheResync(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	o := relaytest.StartOutage(t, ld, "mobile-api", "production", relaytest.Options{})
	r := Relay{Name: "relay-a", URL: o.Relay().URL()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan Transition, 8)
	rounds := make(chan []StatusResult, 1)
	go Watch(ctx, []Relay{r}, 20*time.Millisecond, func(res []StatusResult, trs []Transition) {
		for _, tr := range trs {
			seen <- tr
		}
		select {
		case rounds <- res:
		default:
		}
	})
	next := func() Transition {
		t.Helper()
		select {
		case tr := <-seen:
			return tr
		case <-time.After(5 * time.Second):
			t.Fatal("no transition within 5s")
		}
		return Transition{}
	}
	select { // Watch has seen the Relay VALID before LaunchDarkly goes away
	case res := <-rounds:
		if res[0].Err != nil || res[0].Status.Environments[0].Conn.State != Valid {
			t.Fatalf("first round: %+v", res[0])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no round within 5s")
	}
	o.CutOff(t)
	if tr := next(); tr.From != Valid || tr.To != Interrupted || tr.Resynced {
		t.Fatalf("outage seen as %v", tr)
	}
	o.Restore(t)
	tr := next()
	if tr.From != Interrupted || tr.To != Valid || !tr.Resynced || tr.Env.Store.Prefix != "ld:mobile-api:production" {
		t.Fatalf("reconnect seen as %v", tr)
	}
	if !strings.Contains(tr.String(), "relay-a: mobile-api/production INTERRUPTED -> VALID since") || !strings.HasSuffix(tr.String(), "(re-synced ld:mobile-api:production)") {
		t.Errorf("String() = %q", tr.String())
	}
}
