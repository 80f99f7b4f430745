package relaytest

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// The /status document as Relay v8 writes it, fields in its order.
type statusRep struct {
	Environments  map[string]envStatusRep `json:"environments"`
	Status        string                  `json:"status"`
	Version       string                  `json:"version"`
	ClientVersion string                  `json:"clientVersion"`
}

type envStatusRep struct {
	SDKKey           string         `json:"sdkKey"`
	EnvID            string         `json:"envId,omitempty"`
	EnvKey           string         `json:"envKey,omitempty"`
	EnvName          string         `json:"envName,omitempty"`
	ProjKey          string         `json:"projKey,omitempty"`
	ProjName         string         `json:"projName,omitempty"`
	MobileKey        string         `json:"mobileKey,omitempty"`
	Status           string         `json:"status"`
	ConnectionStatus connStatusRep  `json:"connectionStatus"`
	DataStoreStatus  storeStatusRep `json:"dataStoreStatus"`
}

type connStatusRep struct {
	State      string        `json:"state"`
	StateSince int64         `json:"stateSince"`
	LastError  *lastErrorRep `json:"lastError,omitempty"`
}

type lastErrorRep struct {
	Kind string `json:"kind"`
	Time int64  `json:"time"`
}

type storeStatusRep struct {
	State      string `json:"state"`
	StateSince int64  `json:"stateSince"`
	Database   string `json:"database,omitempty"`
	DBServer   string `json:"dbServer,omitempty"`
	DBPrefix   string `json:"dbPrefix,omitempty"`
}

// clientVersion is the Go SDK version Relay v8.10.0 embeds.
const clientVersion = "7.14.6"

// serveStatus is GET /status (no authentication), as Relay answers it: an environment is
// "disconnected" until its first data set, and once it has been other than VALID for
// DisconnectedStatusTime; the Relay is "degraded" when any environment is disconnected.
func (r *Relay) serveStatus(w http.ResponseWriter, _ *http.Request) {
	now := time.Now()
	rep := statusRep{Environments: map[string]envStatusRep{}, Status: "healthy", Version: r.opts.Version, ClientVersion: clientVersion}
	server := (&url.URL{Scheme: "redis", Host: r.opts.RedisAddr}).String()
	r.mu.Lock()
	for _, e := range r.envs {
		er := envStatusRep{
			SDKKey: ObscureKey(e.cfg.SDKKey), EnvID: e.cfg.EnvID, EnvKey: e.cfg.EnvKey, EnvName: e.cfg.EnvName,
			ProjKey: e.cfg.ProjKey, ProjName: e.cfg.ProjName, MobileKey: ObscureKey(e.cfg.MobileKey),
			Status:           "connected",
			ConnectionStatus: connStatusRep{State: e.conn.state, StateSince: e.conn.since.UnixMilli()},
			DataStoreStatus: storeStatusRep{State: e.store.state, StateSince: e.store.since.UnixMilli(),
				Database: "redis", DBServer: server, DBPrefix: e.cfg.Prefix},
		}
		if e.conn.errKind != "" {
			er.ConnectionStatus.LastError = &lastErrorRep{Kind: e.conn.errKind, Time: e.conn.errTime.UnixMilli()}
		}
		if !e.received || (e.conn.state != StateValid && now.Sub(e.conn.since) >= r.opts.DisconnectedStatusTime) {
			er.Status = "disconnected"
			rep.Status = "degraded"
		}
		rep.Environments[e.cfg.Name] = er
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(rep)
}

// ObscureKey masks an SDK or mobile key as Relay's /status does: a three-letter prefix such
// as "sdk-" and the last five characters stay, every other hex digit becomes '*'
// ("sdk-********-****-****-****-*******d03ba").
func ObscureKey(key string) string {
	prefix := ""
	if len(key) >= 4 && key[3] == '-' && lowerASCII(key[:3]) {
		prefix, key = key[:4], key[4:]
	}
	if len(key) <= 4 {
		return prefix + key
	}
	b := []byte(key)
	for i := range len(b) - 5 {
		if isHexDigit(b[i]) {
			b[i] = '*'
		}
	}
	return prefix + string(b)
}

func lowerASCII(s string) bool {
	for i := range len(s) {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// SampleStatus is testdata/status.json: a /status answer in Relay v8.10.0's shape, for the
// tests of clients that decode it.
//
//go:embed testdata/status.json
var SampleStatus []byte
