package relayapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"
)

// ConnState is an environment's connection to LaunchDarkly, as Relay reports it.
type ConnState string

const (
	Valid        ConnState = "VALID"        // streaming: Redis edits will be overwritten by the next update
	Initializing ConnState = "INITIALIZING" // no data from LaunchDarkly yet since Relay started
	Interrupted  ConnState = "INTERRUPTED"  // was connected, lost it: reconnecting with back-off
	Off          ConnState = "OFF"          // gave up (e.g. SDK key refused)
)

// Status is what one Relay says about itself.
type Status struct {
	Relay         Relay
	Healthy       bool          // "status": "healthy" (every environment connected) or "degraded"
	Version       string        // Relay's version
	ClientVersion string        // the Go SDK version inside it
	Environments  []Environment // sorted by Name
}

// Environment is one environment of a Relay.
type Environment struct {
	Name      string // the key in /status: the configured name, or the environment id
	EnvID     string
	EnvKey    string // optional: Relay reports envKey, envName, projName only when auto-configured
	EnvName   string
	ProjKey   string // optional: from the configuration's projKey
	ProjName  string
	SDKKey    string // masked by Relay (sdk-********-...-*******d03ba): not a secret
	Connected bool   // "status": "connected"; Relay flips it only after disconnectedStatusTime
	Conn      Connection
	Store     Store
}

// Connection is the environment's stream from LaunchDarkly.
type Connection struct {
	State     ConnState
	Since     time.Time
	LastError *ConnError // nil when Relay reports none
}

// ConnError is the last error of the stream.
type ConnError struct {
	Kind string // NETWORK_ERROR, ERROR_RESPONSE, INVALID_DATA, STORE_ERROR, UNKNOWN
	Time time.Time
}

// Store is the environment's persistent store.
type Store struct {
	State    string // VALID or INTERRUPTED; "" when Relay has no store
	Since    time.Time
	Database string // "redis"
	Server   string // e.g. redis://redis-a:6379
	Prefix   string // the store prefix: what ties the environment to a prefix in Redis
}

// Env finds an environment by its store prefix.
func (s Status) Env(prefix string) (Environment, bool) {
	for _, e := range s.Environments {
		if e.Store.Prefix == prefix {
			return e, true
		}
	}
	return Environment{}, false
}

// wire format of GET /status
type statusDoc struct {
	Environments map[string]struct {
		SDKKey           string `json:"sdkKey"`
		EnvID            string `json:"envId"`
		EnvKey           string `json:"envKey"`
		EnvName          string `json:"envName"`
		ProjKey          string `json:"projKey"`
		ProjName         string `json:"projName"`
		Status           string `json:"status"`
		ConnectionStatus struct {
			State      ConnState `json:"state"`
			StateSince int64     `json:"stateSince"`
			LastError  *struct {
				Kind string `json:"kind"`
				Time int64  `json:"time"`
			} `json:"lastError"`
		} `json:"connectionStatus"`
		DataStoreStatus *struct {
			State      string `json:"state"`
			StateSince int64  `json:"stateSince"`
			Database   string `json:"database"`
			DBServer   string `json:"dbServer"`
			DBPrefix   string `json:"dbPrefix"`
		} `json:"dataStoreStatus"`
	} `json:"environments"`
	Status        string `json:"status"`
	Version       string `json:"version"`
	ClientVersion string `json:"clientVersion"`
}

// Status asks the Relay for GET /status.
func (r Relay) Status(ctx context.Context) (Status, error) {
	code, body, err := r.get(ctx, "/status", "")
	if err != nil {
		return Status{}, err
	}
	if code != http.StatusOK {
		return Status{}, fmt.Errorf("relay %s: GET /status: HTTP %d: %s", r, code, snippet(body, ""))
	}
	st, err := decodeStatus(body)
	if err != nil {
		return Status{}, fmt.Errorf("relay %s: GET /status: %w", r, err)
	}
	st.Relay = r
	return st, nil
}

func decodeStatus(body []byte) (Status, error) {
	var doc statusDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return Status{}, fmt.Errorf("not a Relay status document: %w", err)
	}
	if doc.Environments == nil {
		return Status{}, fmt.Errorf("not a Relay status document: no \"environments\" in %s", snippet(body, ""))
	}
	st := Status{Healthy: doc.Status == "healthy", Version: doc.Version, ClientVersion: doc.ClientVersion}
	for name, e := range doc.Environments {
		env := Environment{
			Name: name, EnvID: e.EnvID, EnvKey: e.EnvKey, EnvName: e.EnvName, ProjKey: e.ProjKey, ProjName: e.ProjName,
			SDKKey: e.SDKKey, Connected: e.Status == "connected",
			Conn: Connection{State: e.ConnectionStatus.State, Since: millis(e.ConnectionStatus.StateSince)},
		}
		if le := e.ConnectionStatus.LastError; le != nil {
			env.Conn.LastError = &ConnError{Kind: le.Kind, Time: millis(le.Time)}
		}
		if ds := e.DataStoreStatus; ds != nil {
			env.Store = Store{State: ds.State, Since: millis(ds.StateSince), Database: ds.Database, Server: ds.DBServer, Prefix: ds.DBPrefix}
		}
		st.Environments = append(st.Environments, env)
	}
	sort.Slice(st.Environments, func(i, j int) bool { return st.Environments[i].Name < st.Environments[j].Name })
	return st, nil
}

func millis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// StatusResult is one Relay's answer to Statuses.
type StatusResult struct {
	Relay  Relay
	Status Status
	Err    error // the Relay did not answer, or not with a status document
}

// Statuses asks every Relay at once; each answer is bounded by its Relay's timeout.
func Statuses(ctx context.Context, relays []Relay) []StatusResult {
	out := make([]StatusResult, len(relays))
	var wg sync.WaitGroup
	for i, r := range relays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := r.Status(ctx)
			out[i] = StatusResult{Relay: r, Status: st, Err: err}
		}()
	}
	wg.Wait()
	return out
}
