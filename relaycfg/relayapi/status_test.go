package relayapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/redistest"
	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg/relaytest"
)

func TestDecodeSampleStatus(t *testing.T) {
	st, err := decodeStatus(relaytest.SampleStatus)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Healthy || st.Version != "8.10.0" || st.ClientVersion != "7.14.6" || len(st.Environments) != 2 {
		t.Fatalf("status %+v", st)
	}
	ps := st.Environments[0] // sorted: "Payments - Staging" first
	if ps.Name != "Payments - Staging" || ps.ProjKey != "payments" || ps.EnvKey != "" || !ps.Connected ||
		ps.Conn.State != Interrupted || ps.Conn.Since != time.UnixMilli(1764582187402) ||
		ps.Conn.LastError == nil || ps.Conn.LastError.Kind != "NETWORK_ERROR" || ps.Conn.LastError.Time != time.UnixMilli(1764582191518) ||
		ps.Store != (Store{State: "VALID", Since: time.UnixMilli(1764582061125), Database: "redis", Server: "redis://redis-a.internal:6379", Prefix: "ld:payments:staging"}) {
		t.Errorf("interrupted environment %+v", ps)
	}
	ws, ok := st.Env("ld:web-store:production")
	if !ok || ws.EnvKey != "production" || ws.EnvName != "Production" || ws.ProjName != "Web Store" || ws.Conn.State != Valid || ws.Conn.LastError != nil ||
		ws.SDKKey != "sdk-********-****-****-****-*******d03ba" {
		t.Errorf("connected environment %+v", ws)
	}
	if _, ok := st.Env("ld:nope:nope"); ok {
		t.Error("Env found an unknown prefix")
	}
}

func TestStatusOfASimulatedRelay(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	o := relaytest.StartOutage(t, ld, "web-store", "staging", relaytest.Options{})
	r := Relay{Name: "relay-a", URL: o.Relay().URL()}
	st, err := r.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e, ok := st.Env("ld:web-store:staging")
	want := o.Relay().State(t, o.Env.Name)
	if !ok || st.Relay != r || !st.Healthy || e.Name != "web-store/staging" || e.ProjKey != "web-store" || !e.Connected ||
		e.Conn.State != Valid || !e.Conn.Since.Equal(want.Since.Truncate(time.Millisecond)) || e.Store.State != "VALID" || e.Store.Database != "redis" {
		t.Fatalf("status %+v, environment %+v (simulator %+v)", st, e, want)
	}
	if e.SDKKey == o.Env.SDKKey || !strings.HasSuffix(e.SDKKey, o.Env.SDKKey[len(o.Env.SDKKey)-5:]) {
		t.Errorf("sdkKey %q: want Relay's mask", e.SDKKey)
	}
}

// hung accepts connections and never answers, like a Relay host that stopped responding.
func hung(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestUnreachableRelayFailsWithinItsTimeout(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	rd := redistest.Start(t)
	e := relaytest.EnvFor(t, ld, "payments", "test")
	good := relaytest.Start(t, relaytest.Options{StreamURL: ld.StreamURL(), RedisAddr: rd.Addr, Environments: []relaytest.Environment{e}})
	relays := []Relay{
		{Name: "relay-hung", URL: hung(t), Timeout: 300 * time.Millisecond},
		{Name: "relay-gone", URL: closedPort(t), Timeout: 300 * time.Millisecond},
		{Name: "relay-ok", URL: good.URL()},
	}
	start := time.Now()
	res := Statuses(context.Background(), relays)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Statuses took %v with a hung Relay of timeout 300ms", took)
	}
	for _, r := range res[:2] {
		if r.Err == nil || !strings.Contains(r.Err.Error(), r.Relay.Name) || !strings.Contains(r.Err.Error(), r.Relay.URL) {
			t.Errorf("%s: error %v, want one naming the Relay and its URL", r.Relay.Name, r.Err)
		}
	}
	if !errors.Is(res[0].Err, context.DeadlineExceeded) {
		t.Errorf("hung Relay: %v, want a deadline", res[0].Err)
	}
	if res[2].Err != nil || len(res[2].Status.Environments) != 1 {
		t.Errorf("the answering Relay: %+v", res[2])
	}
}

func TestStatusRejectsOtherAnswers(t *testing.T) {
	for body, code := range map[string]int{`{}`: 200, `<html>`: 200, `{"environments":{}}`: 503} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		}))
		_, err := Relay{Name: "relay-x", URL: ts.URL}.Status(context.Background())
		ts.Close()
		if err == nil || !strings.Contains(err.Error(), "relay-x") {
			t.Errorf("%d %s: error %v", code, body, err)
		}
	}
	for _, u := range []string{"", "relay-a:8030", "ftp://relay-a"} {
		if _, err := (Relay{Name: "relay-x", URL: u}).Status(context.Background()); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	if s := (Relay{Name: "relay-x", URL: "http://user:secret@relay-x:8030"}).String(); strings.Contains(s, "secret") {
		t.Errorf("Relay.String() = %q shows the password", s)
	}
}
