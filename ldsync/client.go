package ldsync

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	ldapi "github.com/launchdarkly/api-client-go/v22"
)

// Routes as LaunchDarkly's route rate limits count them (verb and path template).
const (
	routeGetFlag      = "GET /api/v2/flags/{projectKey}/{featureFlagKey}"
	routeListFlags    = "GET /api/v2/flags/{projectKey}"
	routePatchFlag    = "PATCH /api/v2/flags/{projectKey}/{featureFlagKey}"
	routeProjects     = "GET /api/v2/projects"
	routeProject      = "GET /api/v2/projects/{projectKey}"
	routeEnvironments = "GET /api/v2/projects/{projectKey}/environments"
)

// Errors an *APIError matches with errors.Is.
var (
	ErrUnreachable  = errors.New("LaunchDarkly is unreachable")
	ErrInvalidToken = errors.New("LaunchDarkly rejected the API token (401)")
	ErrForbidden    = errors.New("the API token lacks the rights for this call (403)")
	ErrNotFound     = errors.New("not found in LaunchDarkly (404)")
	ErrRateLimited  = errors.New("rate limited by LaunchDarkly (429)")
)

// APIError is a failed LaunchDarkly call. It names the call and carries LaunchDarkly's own
// message; it never contains the token.
type APIError struct {
	Op         string    // what was called, e.g. "read flag checkout-flow in web-store/production"
	Status     int       // HTTP status; 0 when no response came (unreachable, timeout, dropped)
	Code       string    // LaunchDarkly's error code, e.g. "not_found"
	Message    string    // LaunchDarkly's message, or the transport error
	RetryAfter time.Time // for 429: when the limit resets
	Timeout    bool      // no response within the client's timeout
	// For Status 0: what the connection did, in words ("connection reset by peer",
	// "connection refused", "no answer in time", "host name not found", "connection closed
	// without an answer"; "" when not known), and the address it was made to (host:port), so
	// that a screen can say it without parsing Go's error text.
	Cause string
	Addr  string
	// Untrusted: the TLS certificate met (LaunchDarkly's, or a proxy's in between) was not
	// accepted; waiting does not mend it.
	Untrusted bool
	Err       error // the underlying error (transport or decoding), token removed
}

func (e *APIError) Error() string {
	switch {
	case e.Status == 0 && e.Timeout:
		return fmt.Sprintf("LaunchDarkly: %s: no response in time: %s", e.Op, e.Message)
	case e.Status == 0:
		return fmt.Sprintf("LaunchDarkly unreachable: %s: %s", e.Op, e.Message)
	case e.Status == http.StatusUnauthorized:
		return fmt.Sprintf("LaunchDarkly: %s: 401: the API token is invalid (%s)", e.Op, e.Message)
	case e.Status == http.StatusForbidden:
		return fmt.Sprintf("LaunchDarkly: %s: 403: the API token lacks the rights for this (%s)", e.Op, e.Message)
	case e.Code != "":
		return fmt.Sprintf("LaunchDarkly: %s: %d %s: %s", e.Op, e.Status, e.Code, e.Message)
	default:
		return fmt.Sprintf("LaunchDarkly: %s: %d: %s", e.Op, e.Status, e.Message)
	}
}

func (e *APIError) Unwrap() error { return e.Err }

// Is matches the Err* values by status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnreachable:
		return e.Status == 0
	case ErrInvalidToken:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}
	return false
}

// Retryable reports a failure worth trying again: no response, 409, 429 and 5xx.
func (e *APIError) Retryable() bool {
	return e.Status == 0 || e.Status == http.StatusConflict || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// rateState is what the last response of a route (or the account) said about the limit.
type rateState struct {
	remaining int
	reset     time.Time
}

// Client is a LaunchDarkly REST API client. It is safe for concurrent use and remembers the
// rate-limit headers of the last answers, to pace the next requests.
type Client struct {
	api     *ldapi.APIClient
	token   string
	baseURL string

	mu     sync.Mutex
	global *rateState
	routes map[string]rateState
}

// NewClient builds a client; it does not connect.
func NewClient(cfg ClientConfig) (*Client, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = CommercialURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("LaunchDarkly base URL %q: want https://host (e.g. %s)", cfg.BaseURL, CommercialURL)
	}
	if u.Scheme == "http" && !cfg.AllowInsecureHTTP && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("LaunchDarkly base URL %q is plain http:// to %s, another machine: the API token would cross the network "+
			"in clear; use https://, or allow insecure HTTP explicitly in the configuration", base, u.Hostname())
	}
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("LaunchDarkly API token is empty: set it in the configuration (LD_API_KEY)")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	conf := ldapi.NewConfiguration()
	conf.Servers = ldapi.ServerConfigurations{{URL: base}}
	conf.HTTPClient = &http.Client{Timeout: timeout}
	conf.UserAgent = "relaycommander"
	return &Client{
		api:     ldapi.NewAPIClient(conf),
		token:   cfg.Token,
		baseURL: base,
		routes:  map[string]rateState{},
	}, nil
}

// loopback reports a host name that stays on this machine: plain HTTP to it (a test server,
// a local proxy) exposes the token to nobody else.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// BaseURL is the LaunchDarkly instance this client talks to.
func (c *Client) BaseURL() string { return c.baseURL }

func (c *Client) authed(ctx context.Context) context.Context {
	return context.WithValue(ctx, ldapi.ContextAPIKeys, map[string]ldapi.APIKey{"ApiKey": {Key: c.token}})
}

// finish records the response's rate-limit headers and turns a failure into an *APIError.
func (c *Client) finish(route, op string, resp *http.Response, err error) error {
	c.noteLimits(route, resp)
	if err == nil {
		return nil
	}
	e := &APIError{Op: op}
	if resp != nil {
		e.Status = resp.StatusCode
	}
	var gen *ldapi.GenericOpenAPIError
	switch {
	case errors.As(err, &gen) && resp != nil && resp.StatusCode < 300:
		// a 2xx whose body did not decode (a required field missing)
		e.Message = "the response did not decode: " + c.redact(gen.Error())
		e.Err = errors.New(e.Message)
	case errors.As(err, &gen):
		var body struct{ Code, Message string }
		if json.Unmarshal(gen.Body(), &body) == nil && (body.Code != "" || body.Message != "") {
			e.Code, e.Message = body.Code, c.redact(body.Message)
		} else {
			e.Message = c.redact(strings.TrimSpace(string(gen.Body())))
			if e.Message == "" && resp != nil {
				e.Message = resp.Status
			}
		}
	default:
		var ne net.Error
		e.Timeout = errors.As(err, &ne) && ne.Timeout()
		e.Status = 0
		e.Cause, e.Addr = connFailure(err, e.Timeout)
		e.Untrusted = errors.As(err, new(*tls.CertificateVerificationError))
		e.Message = c.redact(err.Error())
		e.Err = errors.New(e.Message)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			e.Err = err // keep errors.Is(err, context.Canceled) working; these never hold the token
		}
	}
	if e.Status == http.StatusTooManyRequests && resp != nil {
		e.RetryAfter = resetOf(resp.Header)
	}
	return e
}

// connFailure names, from the transport's typed errors, what happened to a connection that
// brought no answer, and the address it was made to.
func connFailure(err error, timeout bool) (cause, addr string) {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			addr = u.Host
		}
	}
	var dns *net.DNSError
	var certErr *tls.CertificateVerificationError
	switch {
	case timeout:
		cause = "no answer in time"
	case errors.As(err, &dns) && dns.IsNotFound:
		cause = "host name not found"
	case errors.As(err, &dns):
		cause = "name lookup failed (" + dns.Err + ")"
	case errors.As(err, &certErr):
		cause = "its TLS certificate was not accepted"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		cause = "no route to it"
	case errors.Is(err, syscall.ECONNRESET):
		cause = "connection reset by peer"
	case errors.Is(err, syscall.ECONNREFUSED):
		cause = "connection refused"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		cause = "connection closed without an answer"
	}
	return cause, addr
}

// redact removes the token from text that came from elsewhere, in case it was echoed.
func (c *Client) redact(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[token]")
}

// resetOf reads when a rate limit resets: X-Ratelimit-Reset (epoch ms), else Retry-After (s).
func resetOf(h http.Header) time.Time {
	if v := h.Get("X-Ratelimit-Reset"); v != "" {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.UnixMilli(ms)
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil {
			return time.Now().Add(time.Duration(s) * time.Second)
		}
		if t, err := http.ParseTime(v); err == nil {
			return t
		}
	}
	return time.Time{}
}

func (c *Client) noteLimits(route string, resp *http.Response) {
	if resp == nil {
		return
	}
	h := resp.Header
	reset := resetOf(h)
	c.mu.Lock()
	defer c.mu.Unlock()
	if v := h.Get("X-Ratelimit-Global-Remaining"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			c.global = &rateState{n, reset}
		}
	}
	if v := h.Get("X-Ratelimit-Route-Remaining"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			c.routes[route] = rateState{n, reset}
		}
	} else if resp.StatusCode == http.StatusTooManyRequests {
		c.routes[route] = rateState{0, reset}
	}
}

// paceFor says until when a call on route should wait so as not to hit a rate limit, and why;
// zero when it may go now.
func (c *Client) paceFor(route string) (time.Time, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	var until time.Time
	var why string
	if g := c.global; g != nil && g.remaining <= 0 && g.reset.After(now) {
		until, why = g.reset, "rate limit (global)"
	}
	if r, ok := c.routes[route]; ok && r.remaining <= 0 && r.reset.After(now) && r.reset.After(until) {
		until, why = r.reset, "rate limit (route)"
	}
	return until, why
}

// Check reports whether LaunchDarkly is reachable and the token is accepted.
func (c *Client) Check(ctx context.Context) error {
	_, resp, err := c.api.ProjectsApi.GetProjects(c.authed(ctx)).Limit(1).Execute()
	return c.finish(routeProjects, "list projects at "+c.baseURL, resp, err)
}

func flagOp(verb, project, flag, env string) string {
	return fmt.Sprintf("%s flag %s in %s/%s", verb, flag, project, env)
}

func stateOf(f *ldapi.FeatureFlag, env string) (FlagState, bool) {
	if f == nil || f.Environments == nil {
		return FlagState{}, false
	}
	cfg, ok := (*f.Environments)[env]
	if !ok {
		return FlagState{}, false
	}
	return FlagState{On: cfg.On, Version: int(cfg.Version), LastModified: time.UnixMilli(cfg.LastModified), FlagVersion: int(f.Version)}, true
}

// GetFlagState reads a flag's state in one environment.
func (c *Client) GetFlagState(ctx context.Context, project, flag, env string) (FlagState, error) {
	op := flagOp("read", project, flag, env)
	f, resp, err := c.api.FeatureFlagsApi.GetFeatureFlag(c.authed(ctx), project, flag).Env(env).Execute()
	if err := c.finish(routeGetFlag, op, resp, err); err != nil {
		return FlagState{}, err
	}
	st, ok := stateOf(f, env)
	if !ok {
		return FlagState{}, &APIError{Op: op, Status: http.StatusNotFound, Code: "not_found", Message: "the response has no environment " + env}
	}
	return st, nil
}

// SetOn patches a flag's on in one environment with a comment, unconditionally, and returns
// the state after (from the PATCH's response).
func (c *Client) SetOn(ctx context.Context, project, flag, env string, on bool, comment string) (FlagState, error) {
	return c.setOn(ctx, project, flag, env, on, comment, 0)
}

// SetOnIf is SetOn conditioned on the flag's _version: the JSON patch starts with
// {"op":"test","path":"/version","value":flagVersion}, so that LaunchDarkly applies nothing
// and answers 400 when the flag changed since (in any environment) — a retry of a patch that
// landed, or someone else's change. Only a read tells that 400 from another refusal: the
// flag's _version has moved or not.
func (c *Client) SetOnIf(ctx context.Context, project, flag, env string, on bool, comment string, flagVersion int) (FlagState, error) {
	if flagVersion <= 0 {
		return FlagState{}, fmt.Errorf("ldsync: SetOnIf %s in %s/%s needs the flag's _version", flag, project, env)
	}
	return c.setOn(ctx, project, flag, env, on, comment, flagVersion)
}

func (c *Client) setOn(ctx context.Context, project, flag, env string, on bool, comment string, flagVersion int) (FlagState, error) {
	op := flagOp(fmt.Sprintf("set on=%t for", on), project, flag, env)
	var patch []ldapi.PatchOperation
	if flagVersion > 0 {
		patch = append(patch, ldapi.PatchOperation{Op: "test", Path: "/version", Value: flagVersion})
	}
	patch = append(patch, ldapi.PatchOperation{Op: "replace", Path: "/environments/" + env + "/on", Value: on})
	body := ldapi.PatchWithComment{Patch: patch}
	if comment != "" {
		body.Comment = &comment
	}
	f, resp, err := c.api.FeatureFlagsApi.PatchFeatureFlag(c.authed(ctx), project, flag).PatchWithComment(body).Execute()
	if err := c.finish(routePatchFlag, op, resp, err); err != nil {
		return FlagState{}, err
	}
	st, ok := stateOf(f, env)
	if !ok {
		return FlagState{}, &APIError{Op: op, Status: resp.StatusCode, Message: "the response has no environment " + env}
	}
	return st, nil
}

// flagPage is the flag list's page size: the most LaunchDarkly serves in one page.
const flagPage = 100

// ListFlagStates reads the state in env of the given flags of a project from the paginated
// flag list (GET /api/v2/flags/{project}?env=&limit=100&offset=), one request per 100 flags
// of the project. It stops paging once every wanted flag was seen, or once fewer are missing
// than pages are left. Flags it did not find (not listed: archived, deleted; or left for
// being cheaper singly) are absent from the map: read them singly. call runs each page
// request (pacing, retries); nil calls it directly.
func (c *Client) ListFlagStates(ctx context.Context, project, env string, want map[string]bool, call func(func(context.Context) error) error) (map[string]FlagState, error) {
	if call == nil {
		call = func(fn func(context.Context) error) error { return fn(ctx) }
	}
	out := map[string]FlagState{}
	missing := len(want)
	for offset := 0; missing > 0; {
		var page *ldapi.FeatureFlags
		err := call(func(ctx context.Context) error {
			p, resp, err := c.api.FeatureFlagsApi.GetFeatureFlags(c.authed(ctx), project).Env(env).Limit(flagPage).Offset(int64(offset)).Execute()
			page = p
			return c.finish(routeListFlags, fmt.Sprintf("list flags of %s/%s (offset %d)", project, env, offset), resp, err)
		})
		if err != nil {
			return out, err
		}
		for i := range page.Items {
			f := &page.Items[i]
			if !want[f.Key] {
				continue
			}
			if st, ok := stateOf(f, env); ok {
				if _, dup := out[f.Key]; !dup {
					missing--
				}
				out[f.Key] = st
			}
		}
		offset += len(page.Items)
		if len(page.Items) == 0 || page.TotalCount == nil || offset >= int(*page.TotalCount) {
			return out, nil
		}
		if pagesLeft := (int(*page.TotalCount) - offset + flagPage - 1) / flagPage; pagesLeft > missing {
			return out, nil // fewer flags missing than pages left: one GET each is cheaper
		}
	}
	return out, nil
}

const pageSize = 20

// Projects lists every project (all pages).
func (c *Client) Projects(ctx context.Context) ([]Project, error) {
	var out []Project
	for offset := 0; ; {
		page, resp, err := c.api.ProjectsApi.GetProjects(c.authed(ctx)).Limit(pageSize).Offset(int64(offset)).Execute()
		if err := c.finish(routeProjects, fmt.Sprintf("list projects (offset %d)", offset), resp, err); err != nil {
			return nil, err
		}
		for _, p := range page.Items {
			out = append(out, Project{Key: p.Key, Name: p.Name})
		}
		offset += len(page.Items)
		if len(page.Items) == 0 || page.TotalCount == nil || offset >= int(*page.TotalCount) {
			return out, nil
		}
	}
}

// Project reads one project.
func (c *Client) Project(ctx context.Context, key string) (Project, error) {
	p, resp, err := c.api.ProjectsApi.GetProject(c.authed(ctx), key).Execute()
	if err := c.finish(routeProject, "read project "+key, resp, err); err != nil {
		return Project{}, err
	}
	return Project{Key: p.Key, Name: p.Name}, nil
}

// Environments lists every environment of a project (all pages).
func (c *Client) Environments(ctx context.Context, project string) ([]Environment, error) {
	var out []Environment
	for offset := 0; ; {
		page, resp, err := c.api.EnvironmentsApi.GetEnvironmentsByProject(c.authed(ctx), project).Limit(pageSize).Offset(int64(offset)).Execute()
		if err := c.finish(routeEnvironments, fmt.Sprintf("list environments of project %s (offset %d)", project, offset), resp, err); err != nil {
			return nil, err
		}
		for _, e := range page.Items {
			out = append(out, Environment{Key: e.Key, Name: e.Name, SDKKey: e.ApiKey, MobileKey: e.MobileKey, ClientSideID: e.Id})
		}
		offset += len(page.Items)
		if len(page.Items) == 0 || page.TotalCount == nil || offset >= int(*page.TotalCount) {
			return out, nil
		}
	}
}
