package ldfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"time"
)

// failure kinds injected by SetFailureRate
const (
	fail500 = iota
	fail503
	failHangBefore
	failDropBefore
	failHangAfter // the request is handled (a patch applied), then the response never comes
	failDropAfter
	failKinds
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.byRoute[r.Method+" "+routeOf(r.URL.Path)]++
	unreachable, latency := s.unreachable, s.latency
	failure := -1
	if s.failRate > 0 && s.rng.Float64() < s.failRate {
		failure = s.rng.IntN(failKinds)
	}
	if s.loseNext[r.Method] > 0 && r.URL.Path != StreamPath {
		s.loseNext[r.Method]--
		failure = failDropAfter
	}
	s.mu.Unlock()
	if unreachable {
		drop(w)
		return
	}
	if latency > 0 {
		sleep(r, latency)
	}
	if r.URL.Path == StreamPath {
		s.serveStream(w, r) // authenticated by SDK key, not API token
		return
	}

	auth := r.Header.Get("Authorization")
	if auth == "" || (auth != s.token && auth != s.readOnly) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "Invalid access token")
		return
	}
	if !s.rateLimit(w, r) {
		return
	}

	switch failure {
	case fail500:
		writeError(w, http.StatusInternalServerError, "internal_server_error", "Internal server error (injected)")
		return
	case fail503:
		writeError(w, http.StatusServiceUnavailable, "service_unavailable", "Service unavailable (injected)")
		return
	case failHangBefore:
		sleep(r, s.hang)
		writeError(w, http.StatusGatewayTimeout, "gateway_timeout", "Gateway timeout (injected)")
		return
	case failDropBefore:
		drop(w)
		return
	case failHangAfter, failDropAfter:
		s.route(httptest.NewRecorder(), r, auth)
		if failure == failHangAfter {
			sleep(r, s.hang)
			writeError(w, http.StatusGatewayTimeout, "gateway_timeout", "Gateway timeout (injected)")
		} else {
			drop(w)
		}
		return
	}
	s.route(w, r, auth)
}

// sleep waits d or until the client gives up.
func sleep(r *http.Request, d time.Duration) {
	// With the body read, the server watches the connection and ends r.Context() when the
	// client hangs up.
	_, _ = io.Copy(io.Discard, r.Body)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// drop resets the connection without a response.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("ldfake: response writer cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with a reset, as a dropped connection looks to the client
	}
	conn.Close()
}

// rateLimit counts the request against the global (account-wide) and route windows, sets
// LaunchDarkly's headers, and answers 429 when a window is exhausted. A refused request is
// counted by neither window. X-Ratelimit-Reset is the reset of the window that binds: the one
// that refused, else the one with fewer requests left (the later on a tie).
func (s *Server) rateLimit(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	type applies struct {
		win    *window
		l      limit
		header string
	}
	var ws []applies
	if s.globalLimit.n > 0 {
		ws = append(ws, applies{&s.global, s.globalLimit, "X-Ratelimit-Global-Remaining"})
	}
	if s.routeLimit.n > 0 && r.Method == http.MethodPatch {
		key := r.Method + " " + routeOf(r.URL.Path)
		win := s.routes[key]
		if win == nil {
			win = &window{}
			s.routes[key] = win
		}
		ws = append(ws, applies{win, s.routeLimit, "X-Ratelimit-Route-Remaining"})
	}
	ok := true
	for _, a := range ws {
		if a.win.start.IsZero() || !now.Before(a.win.start.Add(a.l.window)) {
			a.win.start, a.win.count = now, 0
		}
		if a.win.count >= a.l.n {
			ok = false
		}
	}
	var reset time.Time
	bindLeft := -1
	for _, a := range ws {
		if ok {
			a.win.count++
		}
		left := a.l.n - a.win.count
		w.Header().Set(a.header, strconv.Itoa(left))
		rs := a.win.start.Add(a.l.window)
		binds := bindLeft < 0 || left < bindLeft || (left == bindLeft && rs.After(reset))
		if !ok {
			binds = left == 0 && (bindLeft != 0 || rs.After(reset))
		}
		if binds {
			reset, bindLeft = rs, left
		}
	}
	if !reset.IsZero() {
		// rounded up: a client waiting until this millisecond is past the reset
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt((reset.UnixNano()+999_999)/1_000_000, 10))
	}
	if !ok {
		secs := int(time.Until(reset).Seconds()) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, "rate_limited", "You've exceeded the API rate limit. Try again later.")
	}
	return ok
}

// routeOf reduces a path to its route template, as LaunchDarkly's route limits count.
func routeOf(path string) string {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(seg) == 4 && seg[2] == "flags":
		return "/api/v2/flags/{projectKey}"
	case len(seg) == 5 && seg[2] == "flags":
		return "/api/v2/flags/{projectKey}/{featureFlagKey}"
	case len(seg) == 4 && seg[2] == "projects":
		return "/api/v2/projects/{projectKey}"
	case len(seg) == 5 && seg[2] == "projects" && seg[4] == "environments":
		return "/api/v2/projects/{projectKey}/environments"
	}
	return path
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, auth string) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 3 || parts[0] != "api" || parts[1] != "v2" {
		writeError(w, http.StatusNotFound, "not_found", "Unknown path "+r.URL.Path)
		return
	}
	parts = parts[2:]
	switch {
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "projects":
		s.getProjects(w, r)
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "projects":
		s.getProject(w, parts[1])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "projects" && parts[2] == "environments":
		s.getEnvironments(w, r, parts[1])
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "flags":
		s.listFlags(w, r, parts[1])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "flags":
		s.getFlag(w, r, parts[1], parts[2])
	case r.Method == http.MethodPatch && len(parts) == 3 && parts[0] == "flags":
		if auth != s.token {
			writeError(w, http.StatusForbidden, "forbidden", "Access to the requested resource was denied: this token is read-only")
			return
		}
		s.patchFlag(w, r, parts[1], parts[2])
	default:
		writeError(w, http.StatusNotFound, "not_found", "Unknown route "+r.Method+" "+r.URL.Path)
	}
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"code": code, "message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type link struct {
	Href string `json:"href"`
	Type string `json:"type"`
}

func links(self string) map[string]link {
	return map[string]link{"self": {Href: self, Type: "application/json"}}
}

// page reads limit (default 20) and offset.
func page(r *http.Request, total int) (from, to int, err error) {
	lim, off := 20, 0
	if v := r.URL.Query().Get("limit"); v != "" {
		if lim, err = strconv.Atoi(v); err != nil || lim < 1 {
			return 0, 0, fmt.Errorf("invalid limit %q", v)
		}
	}
	if v := r.URL.Query().Get("offset"); v != "" {
		if off, err = strconv.Atoi(v); err != nil || off < 0 {
			return 0, 0, fmt.Errorf("invalid offset %q", v)
		}
	}
	from = min(off, total)
	return from, min(from+lim, total), nil
}

func (p *project) rep() map[string]any {
	return map[string]any{
		"_links":                    links("/api/v2/projects/" + p.key),
		"_id":                       p.id,
		"key":                       p.key,
		"includeInSnippetByDefault": false,
		"name":                      p.name,
		"tags":                      []string{},
	}
}

func (e *environment) rep(p *project) map[string]any {
	return map[string]any{
		"_links":             links("/api/v2/projects/" + p.key + "/environments/" + e.key),
		"_id":                e.id,
		"key":                e.key,
		"name":               e.name,
		"apiKey":             e.sdkKey,
		"mobileKey":          e.mobileKey,
		"color":              e.color,
		"defaultTtl":         0,
		"secureMode":         false,
		"defaultTrackEvents": false,
		"requireComments":    false,
		"confirmChanges":     false,
		"tags":               []string{},
		"critical":           e.key == "production",
	}
}

func (s *Server) getProjects(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.projects))
	for k := range s.projects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	from, to, err := page(r, len(keys))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	items := []map[string]any{}
	for _, k := range keys[from:to] {
		items = append(items, s.projects[k].rep())
	}
	writeJSON(w, http.StatusOK, map[string]any{"_links": links("/api/v2/projects"), "items": items, "totalCount": len(keys)})
}

func (s *Server) getProject(w http.ResponseWriter, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[key]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "Unknown project key "+key)
		return
	}
	writeJSON(w, http.StatusOK, p.rep())
}

func (s *Server) getEnvironments(w http.ResponseWriter, r *http.Request, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[key]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "Unknown project key "+key)
		return
	}
	from, to, err := page(r, len(p.envs))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	items := []map[string]any{}
	for _, e := range p.envs[from:to] {
		items = append(items, e.rep(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"_links": links("/api/v2/projects/" + key + "/environments"), "items": items, "totalCount": len(p.envs)})
}

// flagRep is a FeatureFlag with the environments named (all when only is empty).
func (p *project) flagRep(f *flag, only string) map[string]any {
	vars := make([]map[string]any, len(f.variations))
	for i, v := range f.variations {
		vars[i] = map[string]any{"_id": objectID(fmt.Sprint(p.key, f.key, i)), "value": v}
	}
	kind := "multivariate"
	if len(f.variations) == 2 {
		if _, ok := f.variations[0].(bool); ok {
			kind = "boolean"
		}
	}
	envs := map[string]any{}
	for _, e := range p.envs {
		if only != "" && e.key != only {
			continue
		}
		fe := f.envs[e.key]
		cfg := map[string]any{
			"on":                     fe.on,
			"archived":               false,
			"salt":                   fe.salt,
			"sel":                    hexOf("sel:" + p.key + e.key + f.key)[:32],
			"lastModified":           fe.lastModified.UnixMilli(),
			"version":                fe.version,
			"_site":                  link{Href: "/" + p.key + "/" + e.key + "/features/" + f.key, Type: "text/html"},
			"_environmentName":       e.name,
			"trackEvents":            fe.trackEvents,
			"trackEventsFallthrough": false,
		}
		if fe.offVariation != nil {
			cfg["offVariation"] = *fe.offVariation
		}
		envs[e.key] = cfg
	}
	return map[string]any{
		"name":             f.name,
		"kind":             kind,
		"key":              f.key,
		"_version":         f.version,
		"creationDate":     f.created.UnixMilli(),
		"variations":       vars,
		"temporary":        false,
		"tags":             []string{},
		"_links":           map[string]link{"self": {Href: "/api/v2/flags/" + p.key + "/" + f.key, Type: "application/json"}, "parent": {Href: "/api/v2/flags/" + p.key, Type: "application/json"}},
		"experiments":      map[string]any{"baselineIdx": 0, "items": []any{}},
		"customProperties": map[string]any{},
		"archived":         false,
		"environments":     envs,
	}
}

// findFlag looks up a project and flag, answering 404 itself when either is unknown.
func (s *Server) findFlag(w http.ResponseWriter, projectKey, flagKey string) (*project, *flag) {
	p, ok := s.projects[projectKey]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "Unknown project key "+projectKey)
		return nil, nil
	}
	f, ok := p.flags[flagKey]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "Unknown feature flag key "+flagKey+" in project "+projectKey)
		return nil, nil
	}
	return p, f
}

func (p *project) env(key string) *environment {
	for _, e := range p.envs {
		if e.key == key {
			return e
		}
	}
	return nil
}

func (s *Server) getFlag(w http.ResponseWriter, r *http.Request, projectKey, flagKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, f := s.findFlag(w, projectKey, flagKey)
	if f == nil {
		return
	}
	env := r.URL.Query().Get("env")
	if env != "" && p.env(env) == nil {
		writeError(w, http.StatusNotFound, "not_found", "Unknown environment key "+env+" in project "+projectKey)
		return
	}
	writeJSON(w, http.StatusOK, p.flagRep(f, env))
}

// maxFlagPage is the largest page of the flag list LaunchDarkly serves (limit is capped to it).
const maxFlagPage = 100

// listFlags is GET /api/v2/flags/{projectKey}: the project's flags a page at a time (limit,
// default 20, at most 100; offset), each with its _version and, with ?env=, only that
// environment's configuration; totalCount counts them all, _links has self and next.
func (s *Server) listFlags(w http.ResponseWriter, r *http.Request, projectKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[projectKey]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "Unknown project key "+projectKey)
		return
	}
	env := r.URL.Query().Get("env")
	if env != "" && p.env(env) == nil {
		writeError(w, http.StatusNotFound, "not_found", "Unknown environment key "+env+" in project "+projectKey)
		return
	}
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > maxFlagPage {
			q.Set("limit", strconv.Itoa(maxFlagPage))
			r.URL.RawQuery = q.Encode()
		}
	}
	from, to, err := page(r, len(p.flagOrder))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	items := []map[string]any{}
	for _, k := range p.flagOrder[from:to] {
		items = append(items, p.flagRep(p.flags[k], env))
	}
	self := "/api/v2/flags/" + projectKey + "?" + r.URL.RawQuery
	ls := map[string]link{"self": {Href: self, Type: "application/json"}}
	if to < len(p.flagOrder) {
		nq := r.URL.Query()
		nq.Set("offset", strconv.Itoa(to))
		nq.Set("limit", strconv.Itoa(to-from))
		ls["next"] = link{Href: "/api/v2/flags/" + projectKey + "?" + nq.Encode(), Type: "application/json"}
	}
	writeJSON(w, http.StatusOK, map[string]any{"_links": ls, "items": items, "totalCount": len(p.flagOrder)})
}

type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

func (s *Server) patchFlag(w http.ResponseWriter, r *http.Request, projectKey, flagKey string) {
	var body struct {
		Comment string    `json:"comment"`
		Patch   []patchOp `json:"patch"`
	}
	dec := json.NewDecoder(r.Body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "Request body is not JSON: "+err.Error())
		return
	}
	// LaunchDarkly takes either {"comment","patch":[...]} or a bare JSON Patch array.
	if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
		if err := json.Unmarshal(raw, &body.Patch); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", "Invalid JSON Patch: "+err.Error())
			return
		}
	} else if err := json.Unmarshal(raw, &body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "Invalid patch body: "+err.Error())
		return
	}
	if len(body.Patch) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request", "The patch is empty")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	p, f := s.findFlag(w, projectKey, flagKey)
	if f == nil {
		return
	}
	type change struct {
		env *environment
		on  bool
	}
	var changes []change
	var failedTest string
	for i, op := range body.Patch {
		if op.Op == "test" {
			// A conditional patch: LaunchDarkly documents a test of the flag's own /version
			// (its _version, which any environment's change bumps); when it fails, the whole
			// patch fails with 400 and nothing is applied.
			if op.Path != "/version" {
				writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("Unsupported patch path %q for test at index %d (this server supports only /version)", op.Path, i))
				return
			}
			var want int
			if err := json.Unmarshal(op.Value, &want); err != nil {
				writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("Invalid value for test of /version at index %d: must be an integer", i))
				return
			}
			if want != f.version && failedTest == "" {
				failedTest = fmt.Sprintf("Test operation at index %d failed: /version is %d, not %d", i, f.version, want)
			}
			continue
		}
		if op.Op != "replace" {
			writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("Unsupported patch operation %q at index %d (this server supports only replace and test)", op.Op, i))
			return
		}
		seg := strings.Split(op.Path, "/")
		if len(seg) != 4 || seg[0] != "" || seg[1] != "environments" || seg[3] != "on" {
			writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("Unsupported patch path %q at index %d", op.Path, i))
			return
		}
		e := p.env(seg[2])
		if e == nil {
			writeError(w, http.StatusNotFound, "not_found", "Unknown environment key "+seg[2]+" in project "+projectKey)
			return
		}
		var on bool
		if err := json.Unmarshal(op.Value, &on); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("Invalid value for %s at index %d: must be a boolean", op.Path, i))
			return
		}
		if e.approvals {
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Approval is required to change flags in environment "+e.name)
			return
		}
		changes = append(changes, change{e, on})
	}
	if failedTest != "" {
		writeError(w, http.StatusBadRequest, "invalid_request", failedTest)
		return
	}
	now := time.Now()
	for _, c := range changes {
		fe := f.envs[c.env.key]
		fe.on, fe.version, fe.lastModified = c.on, fe.version+1, now
		s.patches = append(s.patches, Patch{Time: now, Project: p.key, Flag: f.key, Env: c.env.key, On: c.on, Comment: body.Comment})
		s.notifyFlag(p.key, c.env.key, f.key)
	}
	if len(changes) > 0 {
		f.version++
	}
	writeJSON(w, http.StatusOK, p.flagRep(f, ""))
}
