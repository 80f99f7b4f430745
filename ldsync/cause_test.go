package ldsync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"relaycommander/ldsync/ldfake"
)

// A check that gets no answer says what the connection did, in words, and where: the screens
// tell a reset from a refused connection or a time-out without reading Go's error text.
func TestCheckNamesTheConnectionsFailure(t *testing.T) {
	ctx := context.Background()

	fake := startFake(t)
	host := mustHost(t, fake.URL())
	fake.SetUnreachable(true) // every connection reset without an answer
	ae := checkErr(t, newTestClient(t, fake, fake.Token()).Check(ctx))
	if ae.Cause != "connection reset by peer" || ae.Addr != host {
		t.Errorf("reset: Cause %q Addr %q, want %q at %s (error: %v)", ae.Cause, ae.Addr, "connection reset by peer", host, ae)
	}

	closed := ldfake.New()
	closedURL := closed.URL()
	closed.Close()
	c, err := NewClient(ClientConfig{BaseURL: closedURL, Token: "t", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ae = checkErr(t, c.Check(ctx))
	if ae.Cause != "connection refused" || ae.Addr != mustHost(t, closedURL) {
		t.Errorf("closed port: Cause %q Addr %q, want connection refused at %s (error: %v)", ae.Cause, ae.Addr, mustHost(t, closedURL), ae)
	}

	slow := startFake(t, ldfake.WithHang(5*time.Second))
	slow.SetLatency(3 * time.Second)
	c, err = NewClient(ClientConfig{BaseURL: slow.URL(), Token: slow.Token(), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ae = checkErr(t, c.Check(ctx))
	if ae.Cause != "no answer in time" || !ae.Timeout {
		t.Errorf("time-out: Cause %q Timeout %v, want no answer in time (error: %v)", ae.Cause, ae.Timeout, ae)
	}

	// a certificate this machine does not trust (a TLS-intercepting proxy, a wrong host)
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	c, err = NewClient(ClientConfig{BaseURL: tlsSrv.URL, Token: "t", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ae = checkErr(t, c.Check(ctx))
	if ae.Cause != "its TLS certificate was not accepted" {
		t.Errorf("untrusted certificate: Cause %q (error: %v)", ae.Cause, ae)
	}

	// an answer, even a refusal, has no connection failure to name
	ae = checkErr(t, newTestClient(t, startFake(t), "wrong-token").Check(ctx))
	if ae.Status != 401 || ae.Cause != "" {
		t.Errorf("401: Status %d Cause %q, want 401 and no cause", ae.Status, ae.Cause)
	}
}

func checkErr(t *testing.T, err error) *APIError {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Check: err = %v (%T), want an *APIError", err, err)
	}
	return ae
}

func mustHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || !strings.Contains(u.Host, ":") {
		t.Fatalf("URL %q: %v", raw, err)
	}
	return u.Host
}
