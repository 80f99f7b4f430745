package ldsync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"relaycommander/ldsync/ldfake"
)

func newTestClient(t *testing.T, fake *ldfake.Server, token string) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{BaseURL: fake.URL(), Token: token, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func startFake(t *testing.T, opts ...ldfake.Option) *ldfake.Server {
	t.Helper()
	fake := ldfake.New(opts...)
	t.Cleanup(fake.Close)
	return fake
}

func TestNewClientRejectsBadConfig(t *testing.T) {
	if _, err := NewClient(ClientConfig{BaseURL: "app.launchdarkly.com", Token: "x"}); err == nil || !strings.Contains(err.Error(), "app.launchdarkly.com") {
		t.Errorf("base URL without scheme: err = %v, want one naming the URL", err)
	}
	if _, err := NewClient(ClientConfig{Token: " "}); err == nil || !strings.Contains(err.Error(), "token is empty") {
		t.Errorf("empty token: err = %v", err)
	}
	c, err := NewClient(ClientConfig{Token: "t"})
	if err != nil || c.BaseURL() != CommercialURL {
		t.Errorf("default base URL = %v, %v; want %s", c, err, CommercialURL)
	}
}

func TestCheck(t *testing.T) {
	fake := startFake(t, ldfake.WithReadOnlyToken("api-readonly"))
	ctx := context.Background()
	if err := newTestClient(t, fake, fake.Token()).Check(ctx); err != nil {
		t.Fatalf("Check with the right token: %v", err)
	}
	if err := newTestClient(t, fake, "api-readonly").Check(ctx); err != nil {
		t.Fatalf("Check with a read-only token: %v", err)
	}

	bad := "api-wrong-secret-token"
	err := newTestClient(t, fake, bad).Check(ctx)
	if !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Check with a wrong token: err = %v, want ErrInvalidToken", err)
	}
	if strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "invalid") {
		t.Errorf("401 error %q: must say the token is invalid and not contain it", err)
	}

	fake.SetUnreachable(true)
	err = newTestClient(t, fake, fake.Token()).Check(ctx)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Check while unreachable: err = %v, want ErrUnreachable", err)
	}
	if strings.Contains(err.Error(), fake.Token()) {
		t.Errorf("error %q contains the token", err)
	}
	fake.SetUnreachable(false)
	if err := newTestClient(t, fake, fake.Token()).Check(ctx); err != nil {
		t.Fatalf("Check after reachable again: %v", err)
	}
}

func TestCheckClosedPort(t *testing.T) {
	fake := ldfake.New()
	url := fake.URL()
	fake.Close()
	c, err := NewClient(ClientConfig{BaseURL: url, Token: "t", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(context.Background()); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Check on a closed port: err = %v, want ErrUnreachable", err)
	}
}

func TestProjectsAndEnvironmentsFromFixture(t *testing.T) {
	fake := startFake(t)
	c := newTestClient(t, fake, fake.Token())
	ctx := context.Background()
	ps, err := c.Projects(ctx)
	if err != nil {
		t.Fatalf("Projects: %v", err)
	}
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	if got, want := strings.Join(keys, ","), "internal-tools,mobile-api,payments,web-store"; got != want {
		t.Fatalf("projects = %s, want %s", got, want)
	}
	p, err := c.Project(ctx, "web-store")
	if err != nil || p.Name != "Web Store" {
		t.Fatalf("Project(web-store) = %+v, %v; want name Web Store", p, err)
	}
	if _, err := c.Project(ctx, "nope"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("Project(nope): err = %v, want a 404 naming it", err)
	}
	envs, err := c.Environments(ctx, "web-store")
	if err != nil {
		t.Fatalf("Environments: %v", err)
	}
	if len(envs) != 3 {
		t.Fatalf("web-store environments = %+v, want 3", envs)
	}
	for _, e := range envs {
		if !strings.HasPrefix(e.SDKKey, "sdk-") || !strings.HasPrefix(e.MobileKey, "mob-") || e.ClientSideID == "" || e.Name == "" {
			t.Errorf("environment %+v lacks keys or name", e)
		}
	}
}

func TestEnvironmentsPaginate(t *testing.T) {
	fake := startFake(t, ldfake.Empty())
	for i := range 45 {
		fake.AddEnvironment("big", "env-"+string(rune('a'+i/26))+string(rune('a'+i%26)))
	}
	for i := range 23 {
		fake.AddEnvironment("proj-"+string(rune('a'+i)), "production")
	}
	c := newTestClient(t, fake, fake.Token())
	envs, err := c.Environments(context.Background(), "big")
	if err != nil || len(envs) != 45 {
		t.Fatalf("Environments(big) = %d, %v; want 45 over 3 pages", len(envs), err)
	}
	seen := map[string]bool{}
	for _, e := range envs {
		if seen[e.Key] {
			t.Errorf("environment %s listed twice", e.Key)
		}
		seen[e.Key] = true
	}
	ps, err := c.Projects(context.Background())
	if err != nil || len(ps) != 24 {
		t.Fatalf("Projects = %d, %v; want 24 over 2 pages", len(ps), err)
	}
}

func TestGetFlagStateAndSetOn(t *testing.T) {
	fake := startFake(t)
	c := newTestClient(t, fake, fake.Token())
	ctx := context.Background()
	st, err := c.GetFlagState(ctx, "web-store", "kill-switch-search", "production")
	if err != nil {
		t.Fatalf("GetFlagState: %v", err)
	}
	// from the fixture: ld:web-store:production kill-switch-search is off at version 4
	if st.On || st.Version != 4 || st.LastModified.IsZero() {
		t.Fatalf("state = %+v, want off, version 4, a last-modified time", st)
	}
	after, err := c.SetOn(ctx, "web-store", "kill-switch-search", "production", true, "test comment")
	if err != nil {
		t.Fatalf("SetOn: %v", err)
	}
	if !after.On || after.Version != 5 {
		t.Fatalf("after SetOn = %+v, want on at version 5", after)
	}
	again, err := c.GetFlagState(ctx, "web-store", "kill-switch-search", "production")
	if err != nil || again != after {
		t.Fatalf("read back = %+v, %v; want %+v", again, err, after)
	}
	other, _ := c.GetFlagState(ctx, "web-store", "kill-switch-search", "staging")
	if !other.On || other.Version != 5 {
		t.Errorf("staging changed too: %+v (fixture has on at version 5)", other)
	}
	ps := fake.Patches()
	if len(ps) != 1 || ps[0].Comment != "test comment" || ps[0].Env != "production" || !ps[0].On {
		t.Errorf("patches recorded by the fake = %+v", ps)
	}
}

func TestFlagErrors(t *testing.T) {
	fake := startFake(t, ldfake.WithReadOnlyToken("api-readonly"))
	fake.RequireApprovals("web-store", "production", true)
	c := newTestClient(t, fake, fake.Token())
	ctx := context.Background()
	cases := []struct {
		name                     string
		project, flag, env, want string
		status                   int
	}{
		{"unknown project", "nope", "checkout-flow", "production", "nope", 404},
		{"unknown flag", "web-store", "no-such-flag", "production", "no-such-flag", 404},
		{"unknown env", "web-store", "checkout-flow", "qa", "qa", 404},
	}
	for _, tc := range cases {
		_, err := c.GetFlagState(ctx, tc.project, tc.flag, tc.env)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != tc.status || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: read err = %v, want %d naming %s", tc.name, err, tc.status, tc.want)
		}
		_, err = c.SetOn(ctx, tc.project, tc.flag, tc.env, true, "")
		if !errors.As(err, &ae) || ae.Status != tc.status || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: patch err = %v, want %d naming %s", tc.name, err, tc.status, tc.want)
		}
	}
	_, err := c.SetOn(ctx, "web-store", "checkout-flow", "production", false, "")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusMethodNotAllowed || !strings.Contains(ae.Message, "Approval") {
		t.Errorf("approvals: err = %v, want 405 with LaunchDarkly's message", err)
	}
	_, err = newTestClient(t, fake, "api-readonly").SetOn(ctx, "web-store", "checkout-flow", "staging", false, "")
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "lacks") {
		t.Errorf("read-only token: err = %v, want 403 saying it lacks rights", err)
	}
	if fake.PatchCount() != 0 {
		t.Errorf("failed patches changed the fake: %d patches", fake.PatchCount())
	}
}

func TestRateLimitHeadersArePaced(t *testing.T) {
	fake := startFake(t)
	fake.SetRouteLimit(2, time.Second)
	c := newTestClient(t, fake, fake.Token())
	ctx := context.Background()
	if until, _ := c.paceFor(routePatchFlag); !until.IsZero() {
		t.Fatalf("paced before any response: %v", until)
	}
	for i := range 2 {
		if _, err := c.SetOn(ctx, "web-store", "checkout-flow", "staging", i == 0, ""); err != nil {
			t.Fatalf("patch %d: %v", i, err)
		}
	}
	until, why := c.paceFor(routePatchFlag)
	if until.Before(time.Now()) || until.After(time.Now().Add(1100*time.Millisecond)) || why != "rate limit (route)" {
		t.Fatalf("after using the window: pace until %v (%q), want within the next second", until, why)
	}
	if u, _ := c.paceFor(routeGetFlag); !u.IsZero() {
		t.Errorf("the read route is paced too: %v", u)
	}
	_, err := c.SetOn(ctx, "web-store", "checkout-flow", "staging", true, "")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || ae.RetryAfter.IsZero() || !ae.Retryable() {
		t.Fatalf("third patch in the window: err = %v, want a retryable 429 with the reset time", err)
	}
	time.Sleep(time.Until(ae.RetryAfter) + 20*time.Millisecond)
	if _, err := c.SetOn(ctx, "web-store", "checkout-flow", "staging", true, ""); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
}

func TestTimeoutIsAnAPIError(t *testing.T) {
	fake := startFake(t, ldfake.WithHang(5*time.Second))
	fake.SetFailureRate(1, 7)
	c, err := NewClient(ClientConfig{BaseURL: fake.URL(), Token: fake.Token(), Timeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for range 30 {
		_, err := c.GetFlagState(context.Background(), "web-store", "checkout-flow", "production")
		var ae *APIError
		if !errors.As(err, &ae) || !ae.Retryable() {
			t.Fatalf("injected failure: err = %v, want a retryable *APIError", err)
		}
		switch {
		case ae.Timeout:
			kinds["timeout"] = true
		case ae.Status == 0:
			kinds["dropped"] = true
		case ae.Status >= 500:
			kinds["5xx"] = true
		}
		if strings.Contains(err.Error(), fake.Token()) {
			t.Fatalf("error contains the token: %v", err)
		}
	}
	if len(kinds) != 3 {
		t.Errorf("failure kinds seen = %v, want timeout, dropped and 5xx", kinds)
	}
}

func TestResponseMissingARequiredFieldIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// a flag without "_links" and others that api-client-go requires
		fmt.Fprint(w, `{"name":"x","kind":"boolean","key":"x","_version":1,"creationDate":1,"variations":[],"temporary":false,"tags":[]}`)
	}))
	defer srv.Close()
	c, err := NewClient(ClientConfig{BaseURL: srv.URL, Token: "api-secret-xyz"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFlagState(context.Background(), "p", "x", "production")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 200 || !strings.Contains(err.Error(), "did not decode") || !strings.Contains(err.Error(), "flag x in p/production") {
		t.Fatalf("err = %v, want a decode error naming the call", err)
	}
}

func TestGlobalLimitPacesEveryRoute(t *testing.T) {
	fake := startFake(t)
	fake.SetGlobalLimit(3, time.Second)
	c := newTestClient(t, fake, fake.Token())
	ctx := context.Background()
	for range 3 {
		if _, err := c.GetFlagState(ctx, "web-store", "checkout-flow", "production"); err != nil {
			t.Fatal(err)
		}
	}
	for _, route := range []string{routePatchFlag, routeGetFlag, routeProjects} {
		if until, why := c.paceFor(route); until.IsZero() || why != "rate limit (global)" {
			t.Errorf("%s: pace %v %q, want the global limit", route, until, why)
		}
	}
	if _, err := c.Projects(ctx); !errors.Is(err, ErrRateLimited) {
		t.Errorf("4th request: %v, want 429", err)
	}
}
