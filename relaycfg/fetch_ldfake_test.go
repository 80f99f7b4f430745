package relaycfg

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/fixture"
	"relaycommander/ldsync"
	"relaycommander/ldsync/ldfake"
)

var _ EnvironmentSource = (*ldsync.Client)(nil)

func client(t *testing.T, base, token string) *ldsync.Client {
	t.Helper()
	c, err := ldsync.NewClient(ldsync.ClientConfig{BaseURL: base, Token: token, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The generated config names exactly the prefixes the Relay fixture (which ldfake is seeded
// from) holds for those projects: the agreement the original tool broke.
func TestFetchFromLDFake(t *testing.T) {
	srv := ldfake.New()
	defer srv.Close()
	ctx := context.Background()
	projects, err := Fetch(ctx, client(t, srv.URL(), srv.Token()), []string{"web-store", "payments"})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := INI(projects, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ld-relay.conf")
	if err := WriteFile(path, out, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for p := range Mapping(cfg) {
		got = append(got, p)
	}
	for _, p := range fixture.Load().Prefixes() {
		if strings.HasPrefix(p, "ld:web-store:") || strings.HasPrefix(p, "ld:payments:") {
			want = append(want, p)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(want) == 0 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("prefixes %q, want the fixture's %q", got, want)
	}
	for _, e := range cfg.Environments {
		if !strings.HasPrefix(e.SDKKey, "sdk-") || e.MobileKey == "" || e.EnvID == "" || e.Name == "" {
			t.Errorf("environment read back incomplete: %+v", e)
		}
	}
}

func TestFetchAllPages(t *testing.T) {
	srv := ldfake.New()
	defer srv.Close()
	before, err := Fetch(context.Background(), client(t, srv.URL(), srv.Token()), []string{"mobile-api"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 45 {
		srv.AddEnvironment("mobile-api", fmt.Sprintf("extra-%02d", i))
	}
	projects, err := Fetch(context.Background(), client(t, srv.URL(), srv.Token()), []string{"mobile-api"})
	if err != nil {
		t.Fatal(err)
	}
	n := len(projects[0].Environments)
	if n != len(before[0].Environments)+45 {
		t.Fatalf("%d environments, want %d", n, len(before[0].Environments)+45)
	}
	seen := map[string]bool{}
	for _, e := range projects[0].Environments {
		seen[e.Key] = true
	}
	if len(seen) != n || !seen["extra-00"] || !seen["extra-44"] {
		t.Errorf("pages overlap or miss environments: %d distinct of %d", len(seen), n)
	}
}

func TestFetchUnknownProject(t *testing.T) {
	srv := ldfake.New()
	defer srv.Close()
	_, err := Fetch(context.Background(), client(t, srv.URL(), srv.Token()), []string{"web-store", "no-such-project"})
	if err == nil {
		t.Fatal("unknown project accepted")
	}
	if !errors.Is(err, ldsync.ErrNotFound) || !strings.Contains(err.Error(), `"no-such-project"`) || !strings.Contains(err.Error(), "404") {
		t.Errorf("error %q does not say the project is not found", err)
	}
}

func TestFetchBadToken(t *testing.T) {
	srv := ldfake.New()
	defer srv.Close()
	secret := "api-wrong-token-secret"
	_, err := Fetch(context.Background(), client(t, srv.URL(), secret), []string{"web-store"})
	if err == nil {
		t.Fatal("wrong token accepted")
	}
	if !errors.Is(err, ldsync.ErrInvalidToken) || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), `"web-store"`) {
		t.Errorf("error %q does not say the token was rejected", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error shows the token: %q", err)
	}
}

// ldfake forbids only writes; a token that may not read a project is simulated by a proxy in
// front of it answering 403 the way LaunchDarkly does, for that token only.
func TestFetchForbidden(t *testing.T) {
	srv := ldfake.New()
	defer srv.Close()
	const noRights = "api-no-rights"
	target, _ := url.Parse(srv.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == noRights {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"code":"forbidden","message":"Access to the requested resource was denied"}`)
			return
		}
		r.Header.Set("Authorization", srv.Token())
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()

	if _, err := Fetch(context.Background(), client(t, front.URL, "anything-else"), []string{"web-store"}); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	_, err := Fetch(context.Background(), client(t, front.URL, noRights), []string{"web-store"})
	if err == nil {
		t.Fatal("token without rights accepted")
	}
	if !errors.Is(err, ldsync.ErrForbidden) || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), `"web-store"`) {
		t.Errorf("error %q does not say the token lacks rights", err)
	}
}
