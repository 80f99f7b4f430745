package relaytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	featuresKey = "features"
	segmentsKey = "segments"
	initedKey   = "$inited"
	// maxUpsertRetries bounds the WATCH retries of one upsert; the SDK retries until it wins.
	maxUpsertRetries = 50
)

// fullSync is Relay's init on every (re)connect: in one MULTI/EXEC, DEL each hash, HSET
// every item, SET $inited. No version check: whatever Redis held is replaced. The cache is
// replaced too, so Relay serves the new data at once.
func (r *Relay) fullSync(ctx context.Context, e *env, flagItems, segmentItems map[string]json.RawMessage) error {
	p := e.cfg.Prefix
	_, err := r.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, kind := range []struct {
			hash  string
			items map[string]json.RawMessage
		}{{featuresKey, flagItems}, {segmentsKey, segmentItems}} {
			pipe.Del(ctx, p+":"+kind.hash)
			for _, k := range sortedKeys(kind.items) {
				pipe.HSet(ctx, p+":"+kind.hash, k, string(kind.items[k]))
			}
		}
		pipe.Set(ctx, p+":"+initedKey, "", 0)
		return nil
	})
	now := time.Now()
	if err != nil {
		r.storeFailed(e, now)
		return fmt.Errorf("full sync of %s on %s: %w", p, r.opts.RedisAddr, err)
	}
	r.update(e, func(e *env) {
		e.storeOK(now)
		e.initialized, e.received = true, true
		e.syncs++
		if e.conn.state != StateValid {
			e.conn.state, e.conn.since = StateValid, now
		}
		e.cache = map[string]cached{}
		for k, raw := range flagItems {
			e.cache[k] = cached{raw: string(raw), present: true, at: now}
		}
	})
	return nil
}

// upsert is Relay's write of one streamed item: WATCH the hash, HGET the item, skip unless
// the new version is higher, else MULTI/HSET/EXEC; start over when EXEC returns nil.
func (r *Relay) upsert(ctx context.Context, e *env, hash, key, item string, version int) error {
	full := e.cfg.Prefix + ":" + hash
	var updated bool
	var err error
	for range maxUpsertRetries {
		updated = false
		err = r.rdb.Watch(ctx, func(tx *redis.Tx) error {
			old, err := tx.HGet(ctx, full, key).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			if err == nil && storedVersion(old) >= version {
				return nil // not newer: skipped
			}
			_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.HSet(ctx, full, key, item)
				return nil
			})
			updated = err == nil
			return err
		}, full)
		if !errors.Is(err, redis.TxFailedErr) {
			break
		}
	}
	now := time.Now()
	if err != nil {
		r.storeFailed(e, now)
		return fmt.Errorf("upsert %s %s on %s: %w", full, key, r.opts.RedisAddr, err)
	}
	r.update(e, func(e *env) {
		e.storeOK(now)
		e.patches++
		if !updated {
			e.skipped++
		}
		if hash != featuresKey {
			return
		}
		if updated {
			e.cache[key] = cached{raw: item, present: true, at: now}
		} else {
			delete(e.cache, key) // Redis holds something newer: read it next time
		}
	})
	return nil
}

// storedVersion is the version of an item as stored; unreadable JSON counts as version 0
// (the SDK overwrites what it cannot parse).
func storedVersion(raw string) int {
	var v struct {
		Version int `json:"version"`
	}
	_ = json.Unmarshal([]byte(raw), &v)
	return v.Version
}

func (r *Relay) storeFailed(e *env, now time.Time) {
	r.update(e, func(e *env) {
		if e.store.state != StateInterrupted {
			e.store = storeStatus{state: StateInterrupted, since: now}
		}
	})
}

// storeOK marks the store available again. Caller holds Relay.mu.
func (e *env) storeOK(now time.Time) {
	if e.store.state != StateValid {
		e.store = storeStatus{state: StateValid, since: now}
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
