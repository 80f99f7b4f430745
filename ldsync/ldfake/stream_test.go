package ldfake

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

type sse struct {
	name string
	data string
}

// openStream connects to /all and returns the events as they arrive; the channel closes
// when the connection ends.
func openStream(t *testing.T, s *Server, sdkKey string) (*http.Response, <-chan sse) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", s.StreamURL()+StreamPath, nil)
	req.Header.Set("Authorization", sdkKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /all: %v", err)
	}
	ch := make(chan sse, 16)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				ch <- ev
				ev = sse{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return resp, ch
}

func nextEvent(t *testing.T, ch <-chan sse) sse {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return sse{}
}

type flagModel struct {
	Key           string `json:"key"`
	On            bool   `json:"on"`
	Version       int    `json:"version"`
	Prerequisites []struct {
		Key string `json:"key"`
	} `json:"prerequisites"`
	Salt string `json:"salt"`
}

func TestStreamPutThenPatches(t *testing.T) {
	s := New()
	defer s.Close()
	key, ok := s.SDKKey("web-store", "production")
	if !ok {
		t.Fatal("no SDK key for web-store/production")
	}
	resp, ch := openStream(t, s, key)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /all: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	put := nextEvent(t, ch)
	var body struct {
		Path string `json:"path"`
		Data struct {
			Flags    map[string]flagModel      `json:"flags"`
			Segments map[string]map[string]any `json:"segments"`
		} `json:"data"`
	}
	if put.name != "put" {
		t.Fatalf("first event %q, want put", put.name)
	}
	if err := json.Unmarshal([]byte(put.data), &body); err != nil {
		t.Fatalf("put data %q: %v", put.data, err)
	}
	cf := body.Data.Flags["checkout-flow"]
	if body.Path != "/" || !cf.On || cf.Version != 40 || len(cf.Prerequisites) != 1 || cf.Prerequisites[0].Key != "kill-switch-checkout" {
		t.Fatalf("put: path %q, checkout-flow %+v; want the fixture's flag at version 40", body.Path, cf)
	}
	if _, ok := body.Data.Flags["removed-experiment"]; ok {
		t.Error("put holds the fixture's tombstone")
	}
	if _, ok := body.Data.Segments["beta-testers"]; !ok {
		t.Errorf("put segments %v lack beta-testers", body.Data.Segments)
	}

	s.ChangeBehindBack("web-store", "production", "kill-switch-checkout", false)
	wantPatch(t, nextEvent(t, ch), "kill-switch-checkout", false, 4)

	code, _, _ := call(t, s, "PATCH", "/api/v2/flags/web-store/kill-switch-checkout", s.Token(),
		`{"patch":[{"op":"replace","path":"/environments/production/on","value":true}]}`)
	if code != 200 {
		t.Fatalf("PATCH: %d", code)
	}
	wantPatch(t, nextEvent(t, ch), "kill-switch-checkout", true, 5)

	s.SetFlagState("web-store", "production", "brand-new", true, 7)
	wantPatch(t, nextEvent(t, ch), "brand-new", true, 7)

	// Another environment's change is not this stream's business.
	s.ChangeBehindBack("web-store", "staging", "kill-switch-checkout", false)
	s.ChangeBehindBack("web-store", "production", "maintenance-banner", false)
	if ev := nextEvent(t, ch); !strings.Contains(ev.data, `"/flags/maintenance-banner"`) {
		t.Fatalf("got %s %s, want only production's patch", ev.name, ev.data)
	}
}

func wantPatch(t *testing.T, ev sse, key string, on bool, version int) {
	t.Helper()
	var p struct {
		Path string    `json:"path"`
		Data flagModel `json:"data"`
	}
	if ev.name != "patch" || json.Unmarshal([]byte(ev.data), &p) != nil {
		t.Fatalf("event %s %s, want a patch", ev.name, ev.data)
	}
	if p.Path != "/flags/"+key || p.Data.Key != key || p.Data.On != on || p.Data.Version != version || p.Data.Salt == "" {
		t.Fatalf("patch %s, want %s on=%v version=%d with the rest of the flag", ev.data, key, on, version)
	}
}

func TestStreamRejectsUnknownSDKKey(t *testing.T) {
	s := New()
	defer s.Close()
	for _, key := range []string{"", "sdk-00000000-0000-0000-0000-000000000000", s.Token()} {
		req, _ := http.NewRequest("GET", s.StreamURL()+StreamPath, nil)
		if key != "" {
			req.Header.Set("Authorization", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("key %.8q: %d, want 401", key, resp.StatusCode)
		}
	}
}

func TestStreamDropsWhileUnreachable(t *testing.T) {
	s := New()
	defer s.Close()
	key, _ := s.SDKKey("payments", "staging")
	_, ch := openStream(t, s, key)
	nextEvent(t, ch) // put
	if n := s.Streams(); n != 1 {
		t.Errorf("Streams() = %d with one open", n)
	}
	s.SetUnreachable(true)
	deadline := time.After(5 * time.Second)
	for ended := false; !ended; {
		select {
		case _, ok := <-ch:
			ended = !ok
		case <-deadline:
			t.Fatal("stream still open 5s after SetUnreachable(true)")
		}
	}
	req, _ := http.NewRequest("GET", s.StreamURL()+StreamPath, nil)
	req.Header.Set("Authorization", key)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("new stream while unreachable: %d, want a network error", resp.StatusCode)
	}
	for deadline := time.Now().Add(5 * time.Second); s.Streams() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Streams() = %d 5s after the drop", s.Streams())
		}
	}
	s.SetUnreachable(false)
	_, ch = openStream(t, s, key)
	if ev := nextEvent(t, ch); ev.name != "put" {
		t.Fatalf("after reachable again: %s, want put", ev.name)
	}
}
