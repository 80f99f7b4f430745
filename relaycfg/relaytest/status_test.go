package relaytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"relaycommander/flags/redistest"
	"relaycommander/ldsync/ldfake"
)

// shape lists every path of a JSON document with its JSON type; environment names become *.
func shape(v any, path string, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		out[path] = "object"
		for k, c := range x {
			if path == ".environments" {
				k = "*"
			}
			shape(c, path+"."+k, out)
		}
	case []any:
		out[path] = "array"
	case string:
		out[path] = "string"
	case float64:
		out[path] = "number"
	case bool:
		out[path] = "bool"
	default:
		out[path] = "null"
	}
}

func shapeOf(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("status %q: %v", raw, err)
	}
	out := map[string]string{}
	shape(v, "", out)
	return out
}

func getStatus(t *testing.T, r *Relay) []byte {
	t.Helper()
	resp, err := http.Get(r.URL() + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /status: %d %s %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	return raw
}

// The simulator's /status has exactly the field names and types of the real one, given
// environments configured like the testdata's (one with every optional field, one with a
// lastError).
func TestStatusHasRelaysShape(t *testing.T) {
	real, err := os.ReadFile("testdata/status.json")
	if err != nil {
		t.Fatal(err)
	}
	ld := ldfake.New()
	defer ld.Close()
	rd := redistest.Start(t)
	full := EnvFor(t, ld, "web-store", "production")
	full.Name, full.EnvKey, full.EnvName, full.ProjName = "Web Store - Production", "production", "Production", "Web Store"
	full.MobileKey, full.EnvID = "mob-0c3b35a8-1f0e-4d1b-9a55-52b3c9a7c1e4", "65a4f0c2e1b7d3a9f8c61e02"
	refused := Environment{Name: "Payments - Staging", SDKKey: "sdk-11111111-2222-3333-4444-555555555555",
		MobileKey: "mob-11111111-2222-3333-4444-555555555555", EnvID: "65a4f0c2e1b7d3a9f8c61e0b",
		ProjKey: "payments", Prefix: "ld:payments:staging"}
	r := Start(t, Options{StreamURL: ld.StreamURL(), RedisAddr: rd.Addr, Environments: []Environment{full, refused}})
	r.WaitSyncs(t, full.Name, 1, 5*time.Second)
	r.WaitConnection(t, refused.Name, StateOff, 5*time.Second)

	got, want := shapeOf(t, getStatus(t, r)), shapeOf(t, real)
	var diffs []string
	for p, typ := range want {
		if got[p] != typ {
			diffs = append(diffs, fmt.Sprintf("%s: simulator %q, Relay %q", p, got[p], typ))
		}
	}
	for p, typ := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: simulator %q, not in Relay's", p, typ))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("/status shape differs from testdata/status.json:\n%s", strings.Join(diffs, "\n"))
	}
}

func TestStatusValues(t *testing.T) {
	ld := ldfake.New()
	defer ld.Close()
	rd := redistest.Start(t)
	e := EnvFor(t, ld, "web-store", "production")
	before := time.Now().UnixMilli()
	r := Start(t, Options{StreamURL: ld.StreamURL(), RedisAddr: rd.Addr, Environments: []Environment{e}, DisconnectedStatusTime: 300 * time.Millisecond})
	r.WaitSyncs(t, e.Name, 1, 5*time.Second)

	var st statusRep
	decode := func() envStatusRep {
		t.Helper()
		st = statusRep{}
		if err := json.Unmarshal(getStatus(t, r), &st); err != nil {
			t.Fatal(err)
		}
		return st.Environments[e.Name]
	}
	es := decode()
	if st.Status != "healthy" || st.Version != "8.10.0" || es.Status != "connected" || es.ConnectionStatus.State != StateValid ||
		es.ConnectionStatus.StateSince < before || es.ConnectionStatus.LastError != nil {
		t.Fatalf("connected: %+v %+v", st, es)
	}
	if ds := es.DataStoreStatus; ds.State != StateValid || ds.Database != "redis" || ds.DBServer != "redis://"+rd.Addr || ds.DBPrefix != "ld:web-store:production" {
		t.Errorf("data store status %+v", ds)
	}
	if strings.Contains(string(getStatus(t, r)), e.SDKKey) || es.SDKKey != ObscureKey(e.SDKKey) {
		t.Errorf("sdkKey %q: want it masked", es.SDKKey)
	}

	ld.SetUnreachable(true)
	cut := r.WaitConnection(t, e.Name, StateInterrupted, 5*time.Second)
	es = decode()
	if es.ConnectionStatus.State != StateInterrupted || es.ConnectionStatus.StateSince != cut.Since.UnixMilli() ||
		es.ConnectionStatus.LastError == nil || es.ConnectionStatus.LastError.Kind != errNetwork {
		t.Fatalf("interrupted: %+v", es.ConnectionStatus)
	}
	// Still "connected" until disconnectedStatusTime has passed, then "disconnected" and degraded.
	deadline := time.Now().Add(5 * time.Second)
	for es.Status == "connected" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		es = decode()
	}
	if es.Status != "disconnected" || st.Status != "degraded" || time.Since(cut.Since) < 300*time.Millisecond {
		t.Fatalf("after disconnectedStatusTime: %s / %s after %v", es.Status, st.Status, time.Since(cut.Since))
	}
}

func TestObscureKey(t *testing.T) {
	for in, want := range map[string]string{
		"sdk-6b1c1a5e-8f2d-4c3e-9b7a-0f1e2d3d03ba": "sdk-********-****-****-****-*******d03ba",
		"mob-6b1c1a5e-8f2d-4c3e-9b7a-0f1e2d37c1e4": "mob-********-****-****-****-*******7c1e4",
		"":     "",
		"abcd": "abcd",
	} {
		if got := ObscureKey(in); got != want {
			t.Errorf("ObscureKey(%q) = %q, want %q", in, got, want)
		}
	}
}
