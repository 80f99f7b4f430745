package relayapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// ServedFlag asks the Relay for a flag as an SDK would (GET /sdk/flags/{key}): what it serves
// now, from its memory until its localTtl expires. Errors wrap ErrSDKKeyRefused,
// ErrFlagNotFound or ErrNotInitialized when Relay answers 401/403, 404 or 503.
func (r Relay) ServedFlag(ctx context.Context, sdkKey SDKKey, flag string) (on bool, version int, err error) {
	path := "/sdk/flags/" + url.PathEscape(flag)
	code, body, err := r.get(ctx, path, sdkKey)
	if err != nil {
		return false, 0, err
	}
	switch code {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden:
		return false, 0, fmt.Errorf("relay %s: flag %s with SDK key %s: %w", r, flag, sdkKey, ErrSDKKeyRefused)
	case http.StatusNotFound:
		return false, 0, fmt.Errorf("relay %s: flag %s: %w", r, flag, ErrFlagNotFound)
	case http.StatusServiceUnavailable:
		return false, 0, fmt.Errorf("relay %s: flag %s: %w (%s)", r, flag, ErrNotInitialized, snippet(body, sdkKey))
	default:
		return false, 0, fmt.Errorf("relay %s: GET %s: HTTP %d: %s", r, path, code, snippet(body, sdkKey))
	}
	var f struct {
		On      *bool `json:"on"`
		Version int   `json:"version"`
	}
	if err := json.Unmarshal(body, &f); err != nil || f.On == nil {
		return false, 0, fmt.Errorf("relay %s: flag %s: not a flag: %s", r, flag, snippet(body, sdkKey))
	}
	return *f.On, f.Version, nil
}
