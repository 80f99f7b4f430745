package relaytest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Error kinds as the Go SDK reports them in lastError.
const (
	errNetwork     = "NETWORK_ERROR"
	errResponse    = "ERROR_RESPONSE"
	errInvalidData = "INVALID_DATA"
	errStore       = "STORE_ERROR"
)

const (
	streamPath   = "/all"
	maxEventSize = 8 << 20 // a put of a big environment fits
)

// errUnrecoverable ends the environment's stream for good (a refused SDK key), as the SDK does.
var errUnrecoverable = errors.New("unrecoverable")

// run keeps one environment's stream alive until ctx ends: connect, sync, follow patches;
// when the stream is lost, INTERRUPTED and reconnect after the back-off.
func (r *Relay) run(ctx context.Context, e *env) {
	defer r.wg.Done()
	attempt := 0
	for ctx.Err() == nil {
		began := time.Now()
		kind, err := r.stream(ctx, e)
		if ctx.Err() != nil {
			return
		}
		now := time.Now()
		if errors.Is(err, errUnrecoverable) {
			r.update(e, func(e *env) {
				e.conn = connStatus{state: StateOff, since: now, errKind: kind, errTime: now}
			})
			return
		}
		r.update(e, func(e *env) {
			if e.conn.state == StateValid {
				e.conn.state, e.conn.since = StateInterrupted, now
			}
			e.conn.errKind, e.conn.errTime = kind, now
		})
		if now.Sub(began) >= r.opts.Backoff.ResetAfter {
			attempt = 0
		}
		t := time.NewTimer(r.opts.Backoff.delay(attempt))
		attempt++
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (b Backoff) delay(attempt int) time.Duration {
	d := b.Initial
	for i := 0; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if !b.NoJitter {
		d -= time.Duration(rand.Int64N(int64(d/2) + 1))
	}
	return d
}

// stream runs one connection until it ends, returning the error kind for lastError.
func (r *Relay) stream(ctx context.Context, e *env) (kind string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(r.opts.StreamURL, "/")+streamPath, nil)
	if err != nil {
		return errNetwork, errUnrecoverable
	}
	req.Header.Set("Authorization", e.cfg.SDKKey)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := r.client.Do(req)
	if err != nil {
		return errNetwork, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return errResponse, errUnrecoverable
	case resp.StatusCode != http.StatusOK:
		return errResponse, fmt.Errorf("stream answered %s", resp.Status)
	}
	rd := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		name, data, err := readEvent(rd)
		if err != nil {
			return errNetwork, err
		}
		if kind, err := r.handle(ctx, e, name, data); err != nil {
			return kind, err // the SDK restarts the stream after bad data or a failed write
		}
	}
}

// readEvent reads one Server-Sent Event (comments and unknown fields skipped).
func readEvent(rd *bufio.Reader) (name, data string, err error) {
	var lines []string
	size := 0
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", "", err
		}
		size += len(line)
		if size > maxEventSize {
			return "", "", errors.New("event too large")
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if name != "" || lines != nil {
				return name, strings.Join(lines, "\n"), nil
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			name = strings.TrimPrefix(strings.TrimPrefix(line, "event:"), " ")
		case strings.HasPrefix(line, "data:"):
			lines = append(lines, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
}

// handle applies one event: put is a full sync, patch an upsert, delete an upsert of a
// tombstone.
func (r *Relay) handle(ctx context.Context, e *env, name, data string) (kind string, err error) {
	switch name {
	case "put":
		var put struct {
			Path string `json:"path"`
			Data struct {
				Flags    map[string]json.RawMessage `json:"flags"`
				Segments map[string]json.RawMessage `json:"segments"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(data), &put); err != nil || put.Path != "/" {
			return errInvalidData, fmt.Errorf("malformed put event: %v", err)
		}
		if err := r.fullSync(ctx, e, put.Data.Flags, put.Data.Segments); err != nil {
			return errStore, err
		}
		return "", nil
	case "patch":
		var patch struct {
			Path string          `json:"path"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(data), &patch); err != nil {
			return errInvalidData, fmt.Errorf("malformed patch event: %v", err)
		}
		var item struct {
			Version int `json:"version"`
		}
		if err := json.Unmarshal(patch.Data, &item); err != nil {
			return errInvalidData, fmt.Errorf("malformed patch data: %v", err)
		}
		return r.upsertPath(ctx, e, patch.Path, string(patch.Data), item.Version)
	case "delete":
		var del struct {
			Path    string `json:"path"`
			Version int    `json:"version"`
		}
		if err := json.Unmarshal([]byte(data), &del); err != nil {
			return errInvalidData, fmt.Errorf("malformed delete event: %v", err)
		}
		tomb := fmt.Sprintf(`{"key":"$deleted","version":%d,"deleted":true}`, del.Version)
		return r.upsertPath(ctx, e, del.Path, tomb, del.Version)
	}
	return "", nil // unknown events are ignored, as the SDK does
}

func (r *Relay) upsertPath(ctx context.Context, e *env, path, item string, version int) (string, error) {
	var hash, key string
	switch {
	case strings.HasPrefix(path, "/flags/"):
		hash, key = featuresKey, strings.TrimPrefix(path, "/flags/")
	case strings.HasPrefix(path, "/segments/"):
		hash, key = segmentsKey, strings.TrimPrefix(path, "/segments/")
	default:
		return "", nil
	}
	if err := r.upsert(ctx, e, hash, key, item, version); err != nil {
		return errStore, err
	}
	return "", nil
}
