package ldfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func call(t *testing.T, s *Server, method, path, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
	}
	return resp.StatusCode, resp.Header, m
}

func requireKeys(t *testing.T, what string, m map[string]any, keys string) {
	t.Helper()
	for _, k := range strings.Split(keys, ",") {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks required field %s: %v", what, k, m)
		}
	}
}

func TestSeededFromFixture(t *testing.T) {
	s := New()
	defer s.Close()
	on, version, ok := s.FlagState("web-store", "production", "checkout-flow")
	if !ok || !on || version != 40 {
		t.Fatalf("checkout-flow in web-store/production = %v %d %v, want on at 40 (fixture)", on, version, ok)
	}
	if _, _, ok := s.FlagState("web-store", "production", "removed-experiment"); ok {
		t.Error("the tombstone removed-experiment became a flag")
	}
	code, _, m := call(t, s, "GET", "/api/v2/projects", s.Token(), "")
	if code != 200 || m["totalCount"].(float64) != 4 {
		t.Fatalf("projects: %d %v, want 4 projects (launchdarkly prefix skipped)", code, m)
	}
	requireKeys(t, "projects", m, "_links,items,totalCount")
	requireKeys(t, "project", m["items"].([]any)[0].(map[string]any), "_links,_id,key,includeInSnippetByDefault,name,tags")

	code, _, m = call(t, s, "GET", "/api/v2/projects/web-store/environments?limit=2&offset=1", s.Token(), "")
	items := m["items"].([]any)
	if code != 200 || m["totalCount"].(float64) != 3 || len(items) != 2 {
		t.Fatalf("environments page: %d %v", code, m)
	}
	env := items[0].(map[string]any)
	requireKeys(t, "environment", env, "_links,_id,key,name,apiKey,mobileKey,color,defaultTtl,secureMode,defaultTrackEvents,requireComments,confirmChanges,tags,critical")
	if !strings.HasPrefix(env["apiKey"].(string), "sdk-") {
		t.Errorf("SDK key %v", env["apiKey"])
	}

	code, _, m = call(t, s, "GET", "/api/v2/flags/web-store/checkout-flow?env=production", s.Token(), "")
	if code != 200 {
		t.Fatalf("flag: %d %v", code, m)
	}
	requireKeys(t, "flag", m, "name,kind,key,_version,creationDate,variations,temporary,tags,_links,experiments,customProperties,archived")
	envs := m["environments"].(map[string]any)
	if len(envs) != 1 {
		t.Fatalf("?env=production returned environments %v", envs)
	}
	requireKeys(t, "flag config", envs["production"].(map[string]any), "on,archived,salt,sel,lastModified,version,_site,_environmentName,trackEvents,trackEventsFallthrough")
}

func TestAuth(t *testing.T) {
	s := New(WithToken("secret"), WithReadOnlyToken("reader"))
	defer s.Close()
	if code, _, m := call(t, s, "GET", "/api/v2/projects", "", ""); code != 401 || m["code"] != "unauthorized" {
		t.Errorf("no token: %d %v", code, m)
	}
	if code, _, _ := call(t, s, "GET", "/api/v2/projects", "wrong", ""); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	if code, _, _ := call(t, s, "GET", "/api/v2/projects", "reader", ""); code != 200 {
		t.Errorf("read-only token reading: %d", code)
	}
	patch := `{"patch":[{"op":"replace","path":"/environments/production/on","value":false}]}`
	if code, _, _ := call(t, s, "PATCH", "/api/v2/flags/web-store/checkout-flow", "reader", patch); code != 403 {
		t.Errorf("read-only token writing: %d, want 403", code)
	}
	if s.PatchCount() != 0 {
		t.Error("a refused patch was applied")
	}
}

func TestPatch(t *testing.T) {
	s := New()
	defer s.Close()
	path := "/api/v2/flags/web-store/checkout-flow"
	bad := []struct{ body, want string }{
		{`{"patch":[{"op":"replace","path":"/environments/production/name","value":"x"}]}`, "path"},
		{`{"patch":[{"op":"remove","path":"/environments/production/on"}]}`, "operation"},
		{`{"patch":[{"op":"replace","path":"/environments/production/on","value":"off"}]}`, "boolean"},
		{`{"patch":[]}`, "empty"},
		{`not json`, "JSON"},
	}
	for _, b := range bad {
		code, _, m := call(t, s, "PATCH", path, s.Token(), b.body)
		if code != 400 || m["code"] != "invalid_request" || !strings.Contains(m["message"].(string), b.want) {
			t.Errorf("patch %s: %d %v, want 400 mentioning %q", b.body, code, m, b.want)
		}
	}
	if code, _, _ := call(t, s, "PATCH", path, s.Token(), `{"patch":[{"op":"replace","path":"/environments/qa/on","value":true}]}`); code != 404 {
		t.Errorf("unknown environment: %d, want 404", code)
	}
	if code, _, _ := call(t, s, "PATCH", "/api/v2/flags/web-store/nope", s.Token(), `{"patch":[{"op":"replace","path":"/environments/production/on","value":true}]}`); code != 404 {
		t.Errorf("unknown flag: %d, want 404", code)
	}
	if s.PatchCount() != 0 {
		t.Fatalf("invalid patches were applied: %v", s.Patches())
	}

	code, _, m := call(t, s, "PATCH", path, s.Token(), `{"comment":"why","patch":[{"op":"replace","path":"/environments/production/on","value":false}]}`)
	if code != 200 {
		t.Fatalf("patch: %d %v", code, m)
	}
	cfg := m["environments"].(map[string]any)["production"].(map[string]any)
	if cfg["on"] != false || cfg["version"].(float64) != 41 {
		t.Errorf("after patch: %v, want off at 41", cfg)
	}
	// a bare JSON Patch array is accepted too
	if code, _, _ := call(t, s, "PATCH", path, s.Token(), `[{"op":"replace","path":"/environments/production/on","value":true}]`); code != 200 {
		t.Errorf("bare array patch: %d", code)
	}
	if on, v, _ := s.FlagState("web-store", "production", "checkout-flow"); !on || v != 42 {
		t.Errorf("state = %v %d, want on at 42", on, v)
	}
	if p := s.Patches(); len(p) != 2 || p[0].Comment != "why" || p[0].On {
		t.Errorf("patches = %+v", p)
	}

	s.ChangeBehindBack("web-store", "production", "checkout-flow", false)
	if on, v, _ := s.FlagState("web-store", "production", "checkout-flow"); on || v != 43 || s.PatchCount() != 2 {
		t.Errorf("behind back: %v %d (patches %d), want off at 43, not counted", on, v, s.PatchCount())
	}

	s.RequireApprovals("web-store", "production", true)
	if code, _, m := call(t, s, "PATCH", path, s.Token(), `[{"op":"replace","path":"/environments/production/on","value":true}]`); code != 405 {
		t.Errorf("approvals required: %d %v, want 405", code, m)
	}
}

func TestRouteLimit(t *testing.T) {
	s := New()
	defer s.Close()
	s.SetRouteLimit(3, 500*time.Millisecond)
	body := `[{"op":"replace","path":"/environments/production/on","value":true}]`
	for i := range 3 {
		code, h, _ := call(t, s, "PATCH", "/api/v2/flags/web-store/checkout-flow", s.Token(), body)
		if code != 200 || h.Get("X-Ratelimit-Route-Remaining") != strconv.Itoa(2-i) || h.Get("X-Ratelimit-Reset") == "" {
			t.Fatalf("patch %d: %d remaining %q reset %q", i, code, h.Get("X-Ratelimit-Route-Remaining"), h.Get("X-Ratelimit-Reset"))
		}
	}
	code, h, m := call(t, s, "PATCH", "/api/v2/flags/web-store/checkout-flow", s.Token(), body)
	if code != 429 || m["code"] != "rate_limited" {
		t.Fatalf("4th patch: %d %v, want 429", code, m)
	}
	ms, _ := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
	time.Sleep(time.Until(time.UnixMilli(ms)) + 10*time.Millisecond)
	if code, _, _ := call(t, s, "PATCH", "/api/v2/flags/web-store/checkout-flow", s.Token(), body); code != 200 {
		t.Fatalf("after reset: %d", code)
	}
	if code, _, _ := call(t, s, "GET", "/api/v2/flags/web-store/checkout-flow", s.Token(), ""); code != 200 {
		t.Errorf("reads are limited too: %d", code)
	}
	if s.PatchCount() != 4 {
		t.Errorf("patch count %d, want 4 (the 429 not applied)", s.PatchCount())
	}
}

func TestUnreachable(t *testing.T) {
	s := New()
	defer s.Close()
	s.SetUnreachable(true)
	if _, err := http.Get(s.URL() + "/api/v2/projects"); err == nil {
		t.Fatal("request succeeded while unreachable")
	}
	s.SetUnreachable(false)
	if code, _, _ := call(t, s, "GET", "/api/v2/projects", s.Token(), ""); code != 200 {
		t.Fatalf("after reachable: %d", code)
	}
}

func TestFailureRateIsDeterministic(t *testing.T) {
	run := func() []int {
		s := New(WithHang(time.Millisecond))
		defer s.Close()
		s.SetFailureRate(0.5, 42)
		var codes []int
		for range 20 {
			req, _ := http.NewRequest("GET", s.URL()+"/api/v2/projects", nil)
			req.Header.Set("Authorization", s.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				codes = append(codes, 0)
				continue
			}
			resp.Body.Close()
			codes = append(codes, resp.StatusCode)
		}
		return codes
	}
	a, b := run(), run()
	ok, failed := 0, 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different outcomes: %v vs %v", a, b)
		}
		if a[i] == 200 {
			ok++
		} else {
			failed++
		}
	}
	if ok == 0 || failed == 0 {
		t.Errorf("rate 0.5 gave %d ok and %d failed: %v", ok, failed, a)
	}
}

func TestListFlagsPaginatesWithEnvFilter(t *testing.T) {
	s := New(Empty())
	defer s.Close()
	for i := range 7 {
		s.SetFlagState("big", "production", fmt.Sprintf("flag-%02d", i), i%2 == 0, 10+i)
	}
	s.AddEnvironment("big", "staging")
	seen := map[string]bool{}
	for offset := 0; ; {
		code, _, m := call(t, s, "GET", fmt.Sprintf("/api/v2/flags/big?env=production&limit=3&offset=%d", offset), s.Token(), "")
		if code != 200 {
			t.Fatalf("list: %d %v", code, m)
		}
		requireKeys(t, "flag list", m, "items,_links,totalCount")
		if m["totalCount"].(float64) != 7 {
			t.Fatalf("totalCount = %v", m["totalCount"])
		}
		items := m["items"].([]any)
		for _, it := range items {
			f := it.(map[string]any)
			requireKeys(t, "listed flag", f, "name,kind,key,_version,creationDate,variations,temporary,tags,_links,experiments,customProperties,archived")
			envs := f["environments"].(map[string]any)
			if len(envs) != 1 || envs["production"] == nil {
				t.Fatalf("env filter: %v", envs)
			}
			requireKeys(t, "listed flag config", envs["production"].(map[string]any), "on,archived,salt,sel,lastModified,version,_site,_environmentName,trackEvents,trackEventsFallthrough")
			seen[f["key"].(string)] = true
		}
		_, hasNext := m["_links"].(map[string]any)["next"]
		offset += len(items)
		if hasNext != (offset < 7) {
			t.Fatalf("next link at offset %d: %v", offset, hasNext)
		}
		if offset >= 7 {
			break
		}
	}
	if len(seen) != 7 {
		t.Fatalf("listed %d flags, want 7", len(seen))
	}
	if code, _, m := call(t, s, "GET", "/api/v2/flags/big?env=production&limit=1000", s.Token(), ""); code != 200 || len(m["items"].([]any)) != 7 {
		t.Fatalf("big limit: %d", code)
	}
	if code, _, _ := call(t, s, "GET", "/api/v2/flags/big?env=qa", s.Token(), ""); code != 404 {
		t.Errorf("unknown env: %d, want 404", code)
	}
	if code, _, _ := call(t, s, "GET", "/api/v2/flags/nope", s.Token(), ""); code != 404 {
		t.Errorf("unknown project: %d, want 404", code)
	}
	got := s.RequestsByRoute()
	if got["GET /api/v2/flags/{projectKey}"] != 6 || got["GET /api/v2/flags/{projectKey}/{featureFlagKey}"] != 0 {
		t.Errorf("requests by route = %v", got)
	}
}

func TestPatchTestVersion(t *testing.T) {
	s := New()
	defer s.Close()
	path := "/api/v2/flags/web-store/checkout-flow"
	v := s.FlagVersion("web-store", "checkout-flow")
	patch := func(version int, on bool) (int, map[string]any) {
		code, _, m := call(t, s, "PATCH", path, s.Token(), fmt.Sprintf(`{"patch":[{"op":"test","path":"/version","value":%d},{"op":"replace","path":"/environments/production/on","value":%t}]}`, version, on))
		return code, m
	}
	code, m := patch(v, false)
	if code != 200 || m["_version"].(float64) != float64(v+1) {
		t.Fatalf("patch at the current version: %d %v", code, m)
	}
	// the same patch again (a retry whose first answer was lost) fails its test
	code, m = patch(v, true)
	if code != 400 || m["code"] != "invalid_request" || !strings.Contains(m["message"].(string), "/version") {
		t.Fatalf("stale test: %d %v, want 400", code, m)
	}
	if on, _, _ := s.FlagState("web-store", "production", "checkout-flow"); on || s.PatchCount() != 1 {
		t.Fatalf("a failed test applied something: on=%v, %d patches", on, s.PatchCount())
	}
	// another environment's change bumps the flag's version too
	s.ChangeBehindBack("web-store", "staging", "checkout-flow", false)
	if code, _ = patch(v+1, true); code != 400 {
		t.Fatalf("after another environment changed: %d, want 400", code)
	}
	if code, _ = patch(v+2, true); code != 200 {
		t.Fatalf("at the new version: %d", code)
	}
	if code, _, _ := call(t, s, "PATCH", path, s.Token(), `[{"op":"test","path":"/environments/production/version","value":1},{"op":"replace","path":"/environments/production/on","value":true}]`); code != 400 {
		t.Errorf("an environment-level test is not supported: %d", code)
	}
}

func TestGlobalLimitAcrossRoutesAndTokens(t *testing.T) {
	s := New(WithReadOnlyToken("api-read-only"))
	defer s.Close()
	s.SetGlobalLimit(3, 10*time.Second)
	calls := []struct{ method, path, token, body string }{
		{"GET", "/api/v2/projects", s.Token(), ""},
		{"GET", "/api/v2/flags/web-store?env=production", "api-read-only", ""},
		{"PATCH", "/api/v2/flags/web-store/checkout-flow", s.Token(), `[{"op":"replace","path":"/environments/production/on","value":false}]`},
	}
	for i, c := range calls {
		code, h, _ := call(t, s, c.method, c.path, c.token, c.body)
		ms, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
		if code != 200 || h.Get("X-Ratelimit-Global-Remaining") != strconv.Itoa(2-i) || err != nil || time.Until(time.UnixMilli(ms)) < 9*time.Second {
			t.Fatalf("%s %s: %d remaining %q reset %q", c.method, c.path, code, h.Get("X-Ratelimit-Global-Remaining"), h.Get("X-Ratelimit-Reset"))
		}
	}
	code, h, m := call(t, s, "GET", "/api/v2/flags/web-store/checkout-flow", "api-read-only", "")
	if code != 429 || m["code"] != "rate_limited" || h.Get("X-Ratelimit-Global-Remaining") != "0" || h.Get("X-Ratelimit-Reset") == "" {
		t.Fatalf("4th request: %d %v %v, want 429", code, m, h)
	}
	code, _, _ = call(t, s, "PATCH", "/api/v2/flags/web-store/checkout-flow", s.Token(), `[{"op":"replace","path":"/environments/production/on","value":true}]`)
	if code != 429 || s.PatchCount() != 1 {
		t.Fatalf("patch over the limit: %d, %d patches", code, s.PatchCount())
	}
}

func TestResetNamesTheBindingWindow(t *testing.T) {
	s := New()
	defer s.Close()
	s.SetGlobalLimit(100, 10*time.Second)
	s.SetRouteLimit(2, time.Second)
	body := `[{"op":"replace","path":"/environments/production/on","value":true}]`
	resetIn := func(h http.Header) time.Duration {
		ms, _ := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
		return time.Until(time.UnixMilli(ms))
	}
	for i := range 3 {
		code, h, _ := call(t, s, "PATCH", "/api/v2/flags/web-store/checkout-flow", s.Token(), body)
		if d := resetIn(h); d > 1100*time.Millisecond || h.Get("X-Ratelimit-Global-Remaining") == "" {
			t.Fatalf("patch %d (%d): reset in %s, want the route's (1 s): %v", i, code, d, h)
		}
		if i == 2 && (code != 429 || h.Get("X-Ratelimit-Global-Remaining") != "98") {
			t.Fatalf("3rd patch: %d, global %s; want 429, the refused request not counted", code, h.Get("X-Ratelimit-Global-Remaining"))
		}
	}
	_, h, _ := call(t, s, "GET", "/api/v2/projects", s.Token(), "")
	if d := resetIn(h); d < 9*time.Second {
		t.Fatalf("a read: reset in %s, want the global window's", d)
	}
}
