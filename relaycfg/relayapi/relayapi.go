// Package relayapi asks LaunchDarkly Relay Proxies about themselves over their own HTTP API:
// GET /status (is each environment connected to LaunchDarkly, since when, its store) and
// GET /sdk/flags/{key} (what a Relay serves now). On top of those: a serving check that polls
// until every Relay serves what was just written to Redis, and a detector of the moment a
// Relay re-syncs an environment (and so overwrites edits made in Redis).
//
// Every request has its own short timeout, so an unreachable Relay never blocks the caller.
// SDK keys are secrets: they travel as SDKKey, which prints masked, and never appear in errors.
package relayapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one request to a Relay when Relay.Timeout is zero.
const DefaultTimeout = 2 * time.Second

// maxBody bounds what is read of an answer; a /status with hundreds of environments fits.
const maxBody = 8 << 20

// Relay is one Relay Proxy to ask.
type Relay struct {
	Name    string // display name, e.g. relay-a
	URL     string // base URL, e.g. http://relay-a.internal:8030
	Timeout time.Duration
}

// String is the name and the URL with any password hidden.
func (r Relay) String() string { return r.Name + " (" + redactURL(r.URL) + ")" }

func (r Relay) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

// Errors, wrapped with the Relay (and flag) they concern.
var (
	ErrSDKKeyRefused  = errors.New("SDK key refused: this Relay does not serve that environment")
	ErrFlagNotFound   = errors.New("flag not found (missing or deleted)")
	ErrNotInitialized = errors.New("store not initialized for this environment")
)

// SDKKey is an environment's SDK key. It prints masked (sdk-…d03ba) with every verb, so
// logging a value that holds one leaks nothing; Reveal gives the key itself.
type SDKKey string

func (k SDKKey) String() string {
	s := string(k)
	if len(s) <= 9 {
		return "[redacted]"
	}
	return s[:4] + "…" + s[len(s)-5:]
}

// GoString keeps %#v masked too.
func (k SDKKey) GoString() string { return fmt.Sprintf("relayapi.SDKKey(%q)", k.String()) }

// Reveal is the key itself, for the Authorization header.
func (k SDKKey) Reveal() string { return string(k) }

var transport = &http.Transport{
	DialContext:           (&net.Dialer{Timeout: DefaultTimeout, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConnsPerHost:   4,
	IdleConnTimeout:       90 * time.Second,
	ResponseHeaderTimeout: DefaultTimeout,
}

var client = &http.Client{Transport: transport}

// get does one GET with the Relay's timeout and returns the status and body.
func (r Relay) get(ctx context.Context, path string, key SDKKey) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	base, err := url.Parse(strings.TrimRight(r.URL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return 0, nil, fmt.Errorf("relay %s: URL must be http(s)://host[:port]", r)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+path, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("relay %s: GET %s: %w", r, path, err)
	}
	if key != "" {
		req.Header.Set("Authorization", key.Reveal())
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("relay %s: GET %s: %w", r, path, scrub(err, key))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("relay %s: GET %s: reading the answer: %w", r, path, scrub(err, key))
	}
	return resp.StatusCode, body, nil
}

// scrub keeps a key out of an error's text (net/http's errors name the URL, never headers,
// but an error can come from anywhere).
func scrub(err error, key SDKKey) error {
	if key == "" || !strings.Contains(err.Error(), key.Reveal()) {
		return err
	}
	return scrubbed{msg: strings.ReplaceAll(err.Error(), key.Reveal(), key.String()), err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (s scrubbed) Error() string { return s.msg }

// Is keeps errors.Is working without Unwrap, which would hand out the unscrubbed text.
func (s scrubbed) Is(target error) bool { return errors.Is(s.err, target) }

// snippet is the start of an answer for an error message, with the key scrubbed.
func snippet(body []byte, key SDKKey) string {
	s := strings.TrimSpace(string(body))
	if key != "" {
		s = strings.ReplaceAll(s, key.Reveal(), key.String())
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
