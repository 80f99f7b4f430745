package ldsync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"relaycommander/ldsync/ldfake"
)

// answering is a LaunchDarkly that answers every request with status and LaunchDarkly's
// JSON error body of code.
func answering(t *testing.T, status int, code string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"code":%q,"message":"injected"}`, code)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(ClientConfig{BaseURL: srv.URL, Token: "t", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// transportErr is the error the client gets from Go's transport when the connection fails
// with cause, to an address on which the test cannot make it fail for real.
func transportErr(cause error) error {
	return &url.Error{Op: "Get", URL: "https://app.launchdarkly.com/api/v2/projects?limit=1",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: cause}}
}

// Every kind of failure is told from the client's real errors: the kind, the facts each face
// phrases, and the words both faces share.
func TestTroubleOfEveryKind(t *testing.T) {
	ctx := context.Background()
	fake := startFake(t, ldfake.WithReadOnlyToken("api-read-only"))

	reset := startFake(t)
	reset.SetUnreachable(true)
	closed := ldfake.New()
	closedURL := closed.URL()
	closed.Close()
	refused, err := NewClient(ClientConfig{BaseURL: closedURL, Token: "t", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	slow := startFake(t, ldfake.WithHang(5*time.Second))
	slow.SetLatency(3 * time.Second)
	timingOut, err := NewClient(ClientConfig{BaseURL: slow.URL(), Token: slow.Token(), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsSrv.Close)
	untrusted, err := NewClient(ClientConfig{BaseURL: tlsSrv.URL, Token: "t", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	limited := startFake(t)
	limited.SetGlobalLimit(1, time.Hour)
	limitedClient := newTestClient(t, limited, limited.Token())
	if err := limitedClient.Check(ctx); err != nil { // the one request of the window
		t.Fatal(err)
	}
	approvals := startFake(t)
	approvals.RequireApprovals("web-store", "production", true)
	ok := newTestClient(t, fake, fake.Token())
	dnsErr := &net.DNSError{Err: "no such host", Name: "app.launchdarkly.com", IsNotFound: true}

	tests := []struct {
		name    string
		err     func() error
		kind    TroubleKind
		what    string // a part of What
		short   string
		outage  bool
		refused bool
	}{
		{"connection reset", func() error { return newTestClient(t, reset, reset.Token()).Check(ctx) },
			TroubleNotAnswering, "LaunchDarkly does not answer (connection reset by peer at " + mustHost(t, reset.URL()) + ")", "unreachable", true, false},
		{"connection refused", func() error { return refused.Check(ctx) },
			TroubleNotAnswering, "LaunchDarkly does not answer (connection refused at " + mustHost(t, closedURL) + ")", "unreachable", true, false},
		{"time-out", func() error { return timingOut.Check(ctx) },
			TroubleNotAnswering, "LaunchDarkly does not answer (no answer in time at " + mustHost(t, slow.URL()) + ")", "unreachable", true, false},
		{"untrusted certificate", func() error { return untrusted.Check(ctx) },
			TroubleUntrusted, "LaunchDarkly's TLS certificate was not accepted at " + mustHost(t, tlsSrv.URL) +
				" (a proxy in between, or a certificate authority this machine lacks: SSL_CERT_FILE names a CA bundle)", "certificate not accepted", false, false},
		{"name not found", func() error { return ok.finish(routeProjects, "list projects", nil, transportErr(dnsErr)) },
			TroubleNotAnswering, "LaunchDarkly does not answer (host name not found at app.launchdarkly.com)", "unreachable", true, false},
		{"no route", func() error {
			return ok.finish(routeProjects, "list projects", nil, transportErr(syscall.EHOSTUNREACH))
		},
			TroubleNotAnswering, "LaunchDarkly does not answer (no route to it at app.launchdarkly.com)", "unreachable", true, false},
		{"5xx", func() error { return answering(t, 503, "service_unavailable").Check(ctx) },
			TroubleFailing, "LaunchDarkly is failing (it answered HTTP 503 service_unavailable)", "failing", true, false},
		{"401", func() error { return newTestClient(t, fake, "api-not-the-token").Check(ctx) },
			TroubleTokenRefused, "LaunchDarkly refused the API token (401): it is not a valid access token", "token refused", false, true},
		{"403", func() error {
			_, err := newTestClient(t, fake, "api-read-only").SetOn(ctx, "web-store", "kill-switch-checkout", "production", false, "c")
			return err
		}, TroubleTokenRefused, "LaunchDarkly refused the API token (403: it lacks the rights)", "token refused", false, true},
		{"429", func() error { return limitedClient.Check(ctx) },
			TroubleRateLimited, "LaunchDarkly is rate-limiting this token (429)", "rate-limited", false, false},
		{"404", func() error {
			_, err := ok.GetFlagState(ctx, "web-store", "no-such-flag", "production")
			return err
		}, TroubleNotFound, "LaunchDarkly does not know the project, environment or flag (HTTP 404", "not found", false, false},
		{"405", func() error {
			_, err := newTestClient(t, approvals, approvals.Token()).SetOn(ctx, "web-store", "kill-switch-checkout", "production", false, "c")
			return err
		}, TroubleApprovalRequired, "the environment requires approvals in LaunchDarkly (HTTP 405", "approval required", false, false},
		{"409", func() error { return answering(t, 409, "conflict").Check(ctx) },
			TroubleConflict, "someone changed the flag in LaunchDarkly at the same moment (HTTP 409 conflict)", "conflict", false, false},
		{"400", func() error { return answering(t, 400, "invalid_request").Check(ctx) },
			TroubleOther, "LaunchDarkly answered HTTP 400 invalid_request", "HTTP 400", false, false},
		{"not an APIError", func() error { return errors.New("proxy said no") },
			TroubleUnknown, "LaunchDarkly's call failed", "failed", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil {
				t.Fatal("no error")
			}
			tr := TroubleOf(fmt.Errorf("%w: wrapped: %w", ErrAborted, err)) // found through wrapping
			if tr.Kind != tc.kind {
				t.Fatalf("Kind %d, want %d (error: %v)", tr.Kind, tc.kind, err)
			}
			if !strings.Contains(tr.What(), tc.what) {
				t.Errorf("What %q, want it to contain %q (error: %v)", tr.What(), tc.what, err)
			}
			if tr.Short() != tc.short || tr.Outage() != tc.outage || tr.TokenRefused() != tc.refused {
				t.Errorf("Short %q Outage %v TokenRefused %v, want %q %v %v", tr.Short(), tr.Outage(), tr.TokenRefused(), tc.short, tc.outage, tc.refused)
			}
		})
	}
}

// A rate limit says when it resets, as LaunchDarkly's headers said.
func TestTroubleOfRateLimitCarriesTheReset(t *testing.T) {
	fake := startFake(t)
	fake.SetGlobalLimit(1, time.Hour)
	c := newTestClient(t, fake, fake.Token())
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	tr := TroubleOf(c.Check(context.Background()))
	if tr.Kind != TroubleRateLimited || tr.Resets.Before(time.Now().Add(30*time.Minute)) {
		t.Fatalf("Kind %d Resets %s, want rate-limited until about an hour from now", tr.Kind, tr.Resets)
	}
}
