// Package ldfake is an in-process LaunchDarkly REST API (v2) for tests and the demo: projects,
// environments (with SDK keys) and flags in memory, seeded from the project's Relay fixture so
// that the demo's LaunchDarkly and its Redis agree. Responses carry every field api-client-go
// v22 requires. Knobs make it unreachable, rate limited, flaky, or change flags behind the
// client's back.
//
// It deliberately uses only net/http and encoding/json: api-client-go is heavy to compile.
package ldfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"relaycommander/flags"
	"relaycommander/flags/fixture"
)

// DefaultToken is the API token the server accepts unless WithToken says otherwise.
const DefaultToken = "api-00000000-fake-token-0000-000000000000"

// Option configures a Server.
type Option func(*Server)

// WithToken sets the accepted (read-write) API token.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithReadOnlyToken adds a token that may read but gets 403 on writes.
func WithReadOnlyToken(token string) Option { return func(s *Server) { s.readOnly = token } }

// WithStore seeds from the given Relay dump instead of the embedded fixture.
func WithStore(st fixture.Store) Option { return func(s *Server) { s.seed = st } }

// Empty starts with no projects at all.
func Empty() Option { return func(s *Server) { s.seed = fixture.Store{} } }

// WithHang sets how long an injected timeout holds a request (default 30s; the request ends
// earlier when the client gives up).
func WithHang(d time.Duration) Option { return func(s *Server) { s.hang = d } }

// Patch is one JSON Patch request the server applied.
type Patch struct {
	Time    time.Time
	Project string
	Flag    string
	Env     string
	On      bool
	Comment string
}

// Server is a fake LaunchDarkly API on a loopback port.
type Server struct {
	ts       *httptest.Server
	token    string
	readOnly string
	seed     fixture.Store
	hang     time.Duration

	mu          sync.Mutex
	projects    map[string]*project
	unreachable bool
	routeLimit  limit
	globalLimit limit
	routes      map[string]*window
	global      window
	failRate    float64
	rng         *rand.Rand
	latency     time.Duration
	patches     []Patch
	requests    int
	byRoute     map[string]int       // requests per route ("GET /api/v2/flags/{projectKey}")
	loseNext    map[string]int       // per method: requests to handle, then drop without an answer
	subs        map[*subscriber]bool // open streams (stream.go)
}

type limit struct {
	n      int
	window time.Duration
}

// window is a fixed rate-limit window.
type window struct {
	start time.Time
	count int
}

type project struct {
	key, name, id string
	envs          []*environment
	flags         map[string]*flag
	flagOrder     []string
}

type environment struct {
	key, name, id, sdkKey, mobileKey, color string
	approvals                               bool
}

type flag struct {
	key, name  string
	variations []any
	created    time.Time
	version    int
	envs       map[string]*flagEnv
}

type flagEnv struct {
	on           bool
	version      int
	lastModified time.Time
	salt         string
	trackEvents  bool
	offVariation *int
}

// New starts a fake LaunchDarkly API on a loopback port, seeded from the embedded Relay fixture
// (every `ld:{project}:{env}` prefix) unless an option says otherwise.
func New(opts ...Option) *Server {
	s := &Server{
		token:    DefaultToken,
		hang:     30 * time.Second,
		projects: map[string]*project{},
		routes:   map[string]*window{},
		byRoute:  map[string]int{},
		loseNext: map[string]int{},
		rng:      rand.New(rand.NewPCG(1, 2)),
	}
	for _, o := range opts {
		o(s)
	}
	if s.seed == nil {
		s.seed = fixture.Load()
	}
	s.load(s.seed)
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the base URL to give the client (no trailing slash, no /api/v2).
func (s *Server) URL() string { return s.ts.URL }

// Token is the accepted read-write API token.
func (s *Server) Token() string { return s.token }

// ReadOnlyToken is the read-only token, empty unless WithReadOnlyToken was given.
func (s *Server) ReadOnlyToken() string { return s.readOnly }

// Close stops the server.
func (s *Server) Close() {
	s.SetUnreachable(false)
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// load builds projects, environments and flags from a Relay dump.
func (s *Server) load(st fixture.Store) {
	created := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	for _, prefix := range st.Prefixes() {
		t, ok := flags.ParseConventionPrefix(prefix)
		if !ok {
			continue // "launchdarkly" and custom prefixes don't name a project
		}
		p := s.ensureProject(t.Project)
		e := s.ensureEnv(p, t.Environment)
		for key, raw := range st[prefix].Features {
			var f struct {
				Key          string `json:"key"`
				On           bool   `json:"on"`
				Version      int    `json:"version"`
				Deleted      bool   `json:"deleted"`
				Salt         string `json:"salt"`
				TrackEvents  bool   `json:"trackEvents"`
				OffVariation *int   `json:"offVariation"`
				Variations   []any  `json:"variations"`
			}
			if err := json.Unmarshal([]byte(raw), &f); err != nil || f.Deleted {
				continue
			}
			fl := s.ensureFlag(p, key)
			if len(f.Variations) > 0 {
				fl.variations = f.Variations
			}
			fe := fl.envs[e.key]
			fe.on, fe.version, fe.lastModified = f.On, f.Version, created
			fe.salt, fe.trackEvents, fe.offVariation = f.Salt, f.TrackEvents, f.OffVariation
		}
	}
}

func (s *Server) ensureProject(key string) *project {
	if p, ok := s.projects[key]; ok {
		return p
	}
	p := &project{key: key, name: title(key), id: objectID("project:" + key), flags: map[string]*flag{}}
	s.projects[key] = p
	return p
}

var colors = []string{"417505", "F5A623", "D0021B", "4A90E2", "7ED321", "9013FE"}

func (s *Server) ensureEnv(p *project, key string) *environment {
	for _, e := range p.envs {
		if e.key == key {
			return e
		}
	}
	id := p.key + ":" + key
	e := &environment{
		key: key, name: title(key), id: objectID("env:" + id),
		sdkKey: "sdk-" + uuidFrom("sdk:"+id), mobileKey: "mob-" + uuidFrom("mob:"+id),
		color: colors[len(p.envs)%len(colors)],
	}
	p.envs = append(p.envs, e)
	for _, f := range p.flags {
		f.envs[key] = &flagEnv{version: 1, lastModified: f.created, salt: hexOf("salt:" + id + f.key)[:16]}
	}
	return e
}

func (s *Server) ensureFlag(p *project, key string) *flag {
	if f, ok := p.flags[key]; ok {
		return f
	}
	created := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	f := &flag{key: key, name: title(key), variations: []any{true, false}, created: created, version: 1, envs: map[string]*flagEnv{}}
	for _, e := range p.envs {
		f.envs[e.key] = &flagEnv{version: 1, lastModified: created, salt: hexOf("salt:" + p.key + e.key + key)[:16]}
	}
	p.flags[key] = f
	p.flagOrder = append(p.flagOrder, key)
	sort.Strings(p.flagOrder)
	return f
}

// title turns "web-store" into "Web Store".
func title(key string) string {
	words := strings.FieldsFunc(key, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

func hexOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func objectID(s string) string { return hexOf(s)[:24] }

func uuidFrom(s string) string {
	h := hexOf(s)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// --- knobs -----------------------------------------------------------------------------

// SetUnreachable makes every request's connection drop without a response (true), or serves
// again (false).
func (s *Server) SetUnreachable(on bool) {
	s.mu.Lock()
	s.unreachable = on
	s.mu.Unlock()
	if on {
		s.ts.CloseClientConnections()
	}
}

// SetRouteLimit limits writes (PATCH of a flag, the route a replay saturates) to n requests
// per fixed window, with LaunchDarkly's X-Ratelimit-Route-Remaining and X-Ratelimit-Reset
// headers and 429 beyond. n <= 0 removes the limit.
func (s *Server) SetRouteLimit(n int, per time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routeLimit = limit{n, per}
	s.routes = map[string]*window{}
}

// SetGlobalLimit limits every request together, as LaunchDarkly's account-wide limit does:
// every route, verb and token (read-only or not) counts in one fixed window; every
// authenticated response carries X-Ratelimit-Global-Remaining and X-Ratelimit-Reset (epoch
// ms), and a request beyond the limit gets 429 (not counted, nothing applied). n <= 0 removes
// the limit.
func (s *Server) SetGlobalLimit(n int, per time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.globalLimit = limit{n, per}
	s.global = window{}
}

// SetFailureRate makes a fraction of requests fail, chosen deterministically from seed: a 500
// or 503, a timeout (the request hangs until the client gives up), or a dropped connection.
// Some timeouts and drops happen after a patch was applied, as on a real network. 0 stops it.
func (s *Server) SetFailureRate(rate float64, seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRate = rate
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// LoseResponses makes the next n requests with this method (e.g. "PATCH") be handled — a
// patch applied — and then their connection dropped without an answer, as a response lost on
// the network. (Authentication and rate limits come first: a refused request is not handled.)
func (s *Server) LoseResponses(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseNext[method] = n
}

// SetLatency delays every response.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// RequireApprovals makes patches in that environment answer 405, as LaunchDarkly does when
// approvals are required.
func (s *Server) RequireApprovals(projectKey, envKey string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.projects[projectKey]; ok {
		for _, e := range p.envs {
			if e.key == envKey {
				e.approvals = on
			}
		}
	}
}

// AddEnvironment creates a project and an environment if missing.
func (s *Server) AddEnvironment(projectKey, envKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureEnv(s.ensureProject(projectKey), envKey)
}

// SetFlagState sets a flag's state in one environment, creating the project, environment and
// flag as needed. It is not recorded as a patch.
func (s *Server) SetFlagState(projectKey, envKey, flagKey string, on bool, version int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.ensureProject(projectKey)
	s.ensureEnv(p, envKey)
	f := s.ensureFlag(p, flagKey)
	f.version++ // any change of any environment bumps the flag's _version
	fe := f.envs[envKey]
	fe.on, fe.version, fe.lastModified = on, version, time.Now()
	s.notifyFlag(projectKey, envKey, flagKey)
}

// ChangeBehindBack changes a flag as someone in LaunchDarkly's UI would: on is set and the
// version goes up by one. It is not recorded as a patch. It panics on an unknown flag.
func (s *Server) ChangeBehindBack(projectKey, envKey, flagKey string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fe := s.lookup(projectKey, envKey, flagKey)
	if fe == nil {
		panic(fmt.Sprintf("ldfake: ChangeBehindBack: no flag %s in %s/%s", flagKey, projectKey, envKey))
	}
	s.projects[projectKey].flags[flagKey].version++ // the flag's _version follows any environment's change
	fe.on, fe.version, fe.lastModified = on, fe.version+1, time.Now()
	s.notifyFlag(projectKey, envKey, flagKey)
}

// FlagState reads a flag's state in one environment.
func (s *Server) FlagState(projectKey, envKey, flagKey string) (on bool, version int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fe := s.lookup(projectKey, envKey, flagKey)
	if fe == nil {
		return false, 0, false
	}
	return fe.on, fe.version, true
}

func (s *Server) lookup(projectKey, envKey, flagKey string) *flagEnv {
	p, ok := s.projects[projectKey]
	if !ok {
		return nil
	}
	f, ok := p.flags[flagKey]
	if !ok {
		return nil
	}
	return f.envs[envKey]
}

// PatchCount is how many patch operations were applied (one per environment changed).
func (s *Server) PatchCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.patches)
}

// Patches lists the applied patch operations, oldest first.
func (s *Server) Patches() []Patch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Patch(nil), s.patches...)
}

// Requests is how many HTTP requests reached the server.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// RequestsByRoute counts the requests that reached the server per route, keyed as
// LaunchDarkly's route limits name them: "GET /api/v2/flags/{projectKey}" (the flag list),
// "GET /api/v2/flags/{projectKey}/{featureFlagKey}", "PATCH ...", and so on. Every request
// counts, answered or not (429, injected failures, dropped connections).
func (s *Server) RequestsByRoute() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.byRoute))
	for k, v := range s.byRoute {
		out[k] = v
	}
	return out
}

// FlagVersion is a flag's own _version (it goes up with a change in any environment), 0 for
// an unknown flag.
func (s *Server) FlagVersion(projectKey, flagKey string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.projects[projectKey]; ok {
		if f, ok := p.flags[flagKey]; ok {
			return f.version
		}
	}
	return 0
}
