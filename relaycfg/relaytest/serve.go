package relaytest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// cached is one flag as Relay's in-memory store cache holds it (misses are cached too).
type cached struct {
	raw     string
	present bool
	at      time.Time
}

// serveFlag is GET /sdk/flags/{key}: the flag as Relay serves it now, from memory until
// localTtl expires, then from Redis. 401 for an unknown SDK key, 503 while neither a sync
// nor P:$inited says the store is initialized, 404 for a missing flag or a tombstone.
func (r *Relay) serveFlag(w http.ResponseWriter, req *http.Request) {
	e := r.envBySDKKey(req.Header.Get("Authorization"))
	if e == nil {
		http.Error(w, "invalid SDK key", http.StatusUnauthorized)
		return
	}
	ctx := req.Context()
	ok, err := r.initialized(ctx, e)
	if err != nil {
		http.Error(w, "store error", http.StatusServiceUnavailable)
		return
	}
	if !ok {
		http.Error(w, "not initialized", http.StatusServiceUnavailable)
		return
	}
	c, err := r.flag(ctx, e, req.PathValue("key"))
	if err != nil {
		http.Error(w, "store error", http.StatusServiceUnavailable)
		return
	}
	var probe struct {
		Deleted bool `json:"deleted"`
	}
	if !c.present || (json.Unmarshal([]byte(c.raw), &probe) == nil && probe.Deleted) {
		http.Error(w, "flag not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(c.raw))
}

// envBySDKKey finds the environment of an SDK key ("api_key " prefix allowed, as Relay does).
func (r *Relay) envBySDKKey(auth string) *env {
	key := strings.TrimSpace(strings.TrimPrefix(auth, "api_key "))
	if key == "" {
		return nil
	}
	for _, e := range r.envs {
		if e.cfg.SDKKey == key {
			return e
		}
	}
	return nil
}

// initialized is the SDK store's check: once true it stays true; until then P:$inited decides.
func (r *Relay) initialized(ctx context.Context, e *env) (bool, error) {
	r.mu.Lock()
	ok := e.initialized
	r.mu.Unlock()
	if ok {
		return true, nil
	}
	n, err := r.rdb.Exists(ctx, e.cfg.Prefix+":"+initedKey).Result()
	if err != nil {
		r.storeFailed(e, time.Now())
		return false, err
	}
	if n == 0 {
		return false, nil
	}
	r.mu.Lock()
	e.initialized = true
	r.mu.Unlock()
	return true, nil
}

// flag reads through the localTtl cache.
func (r *Relay) flag(ctx context.Context, e *env, key string) (cached, error) {
	ttl := r.opts.LocalTTL
	if ttl != 0 {
		r.mu.Lock()
		c, ok := e.cache[key]
		r.mu.Unlock()
		if ok && (ttl < 0 || time.Since(c.at) < ttl) {
			return c, nil
		}
	}
	raw, err := r.rdb.HGet(ctx, e.cfg.Prefix+":"+featuresKey, key).Result()
	c := cached{raw: raw, present: err == nil, at: time.Now()}
	if err != nil && !errors.Is(err, redis.Nil) {
		r.storeFailed(e, c.at)
		return cached{}, err
	}
	if ttl != 0 {
		r.mu.Lock()
		e.cache[key] = c
		r.mu.Unlock()
	}
	return c, nil
}
