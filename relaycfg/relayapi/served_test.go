package relayapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"relaycommander/flags/redistest"
	"relaycommander/ldsync/ldfake"
	"relaycommander/relaycfg/relaytest"
)

func TestServedFlag(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	ld.SetUnreachable(true) // the Relay serves what Redis holds
	rd := redistest.StartWithFixture(t)
	ws, it := relaytest.EnvFor(t, ld, "web-store", "production"), relaytest.EnvFor(t, ld, "internal-tools", "production")
	sim := relaytest.Start(t, relaytest.Options{StreamURL: ld.StreamURL(), RedisAddr: rd.Addr, Environments: []relaytest.Environment{ws, it}})
	r := Relay{Name: "relay-a", URL: sim.URL()}
	ctx := context.Background()

	on, version, err := r.ServedFlag(ctx, SDKKey(ws.SDKKey), "checkout-flow")
	if err != nil || !on || version != 40 {
		t.Fatalf("checkout-flow: %v v%d %v, want on at 40", on, version, err)
	}
	for _, tc := range []struct {
		key  string
		flag string
		want error
	}{
		{ws.SDKKey, "removed-experiment", ErrFlagNotFound},
		{ws.SDKKey, "no-such-flag", ErrFlagNotFound},
		{"sdk-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "checkout-flow", ErrSDKKeyRefused},
		{it.SDKKey, "kill-switch-checkout", ErrNotInitialized},
	} {
		_, _, err := r.ServedFlag(ctx, SDKKey(tc.key), tc.flag)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "relay-a") || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("%s: %v, want %v naming the Relay and the flag", tc.flag, err, tc.want)
		}
		if strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: the error shows the SDK key: %v", tc.flag, err)
		}
	}
}

// A server that echoes the key back, and a key inside a value that is printed: the key
// shows nowhere.
func TestSDKKeyNeverPrinted(t *testing.T) {
	const secret = "sdk-12345678-9abc-def0-1234-56789abd03ba"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad key "+r.Header.Get("Authorization"), http.StatusInternalServerError)
	}))
	defer ts.Close()
	_, _, err := Relay{Name: "relay-echo", URL: ts.URL}.ServedFlag(context.Background(), SDKKey(secret), "f")
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "sdk-…d03ba") {
		t.Errorf("error %v: want the key masked", err)
	}
	c := ServeCheck{SDKKeys: map[string]SDKKey{"ld:p:e": secret}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		if s := fmt.Sprintf(verb, c); strings.Contains(s, secret) {
			t.Errorf("%s shows the key: %s", verb, s)
		}
	}
	if SDKKey(secret).Reveal() != secret || SDKKey("short").String() != "[redacted]" {
		t.Error("Reveal or short-key masking wrong")
	}
}
