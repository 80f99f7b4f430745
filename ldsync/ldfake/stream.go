package ldfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"relaycommander/flags"
)

// StreamPath is the server-side streaming endpoint, as LaunchDarkly's stream host serves it.
const StreamPath = "/all"

// streamBuffer is how many events a slow stream reader may fall behind before its
// connection is dropped (it then reconnects and gets a fresh put, as with LaunchDarkly).
const streamBuffer = 256

// StreamURL is the base URL to give a streaming client (Relay's streamUri); the stream
// itself is StreamURL()+StreamPath. It is the same server as URL().
func (s *Server) StreamURL() string { return s.ts.URL }

// SDKKey is the SDK key (apiKey) of an environment; ok is false when it does not exist.
func (s *Server) SDKKey(projectKey, envKey string) (key string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, found := s.projects[projectKey]; found {
		if e := p.env(envKey); e != nil {
			return e.sdkKey, true
		}
	}
	return "", false
}

// Streams is how many stream connections are open now.
func (s *Server) Streams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// subscriber is one open stream connection of one environment.
type subscriber struct {
	project, env string
	events       chan []byte
	overflow     chan struct{} // closed when events was full: the connection is dropped
}

// serveStream is GET /all: Server-Sent Events, a put with the environment's whole data set,
// then a patch for every change of one of its flags. The SDK key authenticates and selects
// the environment. Failure injection does not apply to it; SetUnreachable does (the
// connection drops and new ones fail, as in a network outage).
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Use GET for "+StreamPath)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		panic("ldfake: response writer cannot flush")
	}
	key := r.Header.Get("Authorization")
	s.mu.Lock()
	p, e := s.envBySDKKey(key)
	if e == nil {
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, "unauthorized", "Invalid SDK key")
		return
	}
	put := s.putEvent(p, e)
	sub := &subscriber{project: p.key, env: e.key, events: make(chan []byte, streamBuffer), overflow: make(chan struct{})}
	if s.subs == nil {
		s.subs = map[*subscriber]bool{}
	}
	s.subs[sub] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, sub)
		s.mu.Unlock()
	}()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(put); err != nil {
		return
	}
	flusher.Flush()
	for {
		select {
		case ev := <-sub.events:
			if _, err := w.Write(ev); err != nil {
				return
			}
			flusher.Flush()
		case <-sub.overflow:
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) envBySDKKey(key string) (*project, *environment) {
	if key == "" {
		return nil, nil
	}
	for _, p := range s.projects {
		for _, e := range p.envs {
			if e.sdkKey == key {
				return p, e
			}
		}
	}
	return nil, nil
}

// putEvent is the put event with every flag and segment of the environment. Caller holds s.mu.
func (s *Server) putEvent(p *project, e *environment) []byte {
	fl := map[string]json.RawMessage{}
	keys := append([]string(nil), p.flagOrder...)
	sort.Strings(keys)
	for _, k := range keys {
		fl[k] = s.flagJSON(p, e, p.flags[k])
	}
	segs := map[string]json.RawMessage{}
	for k, raw := range s.seed[flags.ConventionPrefix(p.key, e.key)].Segments {
		if json.Valid([]byte(raw)) {
			segs[k] = json.RawMessage(raw)
		}
	}
	data := map[string]any{"path": "/", "data": map[string]any{"flags": fl, "segments": segs}}
	return sseEvent("put", data)
}

// notifyFlag sends a patch event with the flag's new state to the environment's streams.
// Caller holds s.mu. A subscriber that cannot keep up is dropped rather than blocking.
func (s *Server) notifyFlag(projectKey, envKey, flagKey string) {
	if len(s.subs) == 0 {
		return
	}
	p := s.projects[projectKey]
	if p == nil || p.flags[flagKey] == nil || p.env(envKey) == nil {
		return
	}
	ev := sseEvent("patch", map[string]any{"path": "/flags/" + flagKey, "data": s.flagJSON(p, p.env(envKey), p.flags[flagKey])})
	for sub := range s.subs {
		if sub.project != projectKey || sub.env != envKey {
			continue
		}
		select {
		case sub.events <- ev:
		default:
			delete(s.subs, sub)
			close(sub.overflow)
		}
	}
}

func sseEvent(name string, data any) []byte {
	b, err := json.Marshal(data)
	if err != nil {
		panic(fmt.Sprintf("ldfake: encode %s event: %v", name, err))
	}
	return []byte("event: " + name + "\ndata: " + string(b) + "\n\n")
}

// flagJSON is the flag in the SDK data model, as Relay stores it: the seed's JSON of that
// flag with on and version set to this server's state, or a plain boolean flag in
// LaunchDarkly's field order when the seed has none. Caller holds s.mu.
func (s *Server) flagJSON(p *project, e *environment, f *flag) json.RawMessage {
	fe := f.envs[e.key]
	raw := s.seed[flags.ConventionPrefix(p.key, e.key)].Features[f.key]
	var probe struct {
		Deleted bool `json:"deleted"`
	}
	if raw != "" && json.Unmarshal([]byte(raw), &probe) == nil && !probe.Deleted {
		if out, err := flags.SetOnAndVersion(raw, fe.on, fe.version); err == nil {
			return json.RawMessage(out)
		}
	}
	b, err := json.Marshal(sdkFlag{
		Key: f.key, On: fe.on, Prerequisites: []any{}, Targets: []any{}, ContextTargets: []any{}, Rules: []any{},
		Fallthrough: map[string]int{"variation": 0}, OffVariation: fe.offVariation, Variations: f.variations,
		Salt: fe.salt, TrackEvents: fe.trackEvents, Version: fe.version,
	})
	if err != nil {
		panic(fmt.Sprintf("ldfake: encode flag %s: %v", f.key, err))
	}
	return b
}

// sdkFlag is the SDK data model of a flag, fields in LaunchDarkly's serializer order.
type sdkFlag struct {
	Key                    string         `json:"key"`
	On                     bool           `json:"on"`
	Prerequisites          []any          `json:"prerequisites"`
	Targets                []any          `json:"targets"`
	ContextTargets         []any          `json:"contextTargets"`
	Rules                  []any          `json:"rules"`
	Fallthrough            map[string]int `json:"fallthrough"`
	OffVariation           *int           `json:"offVariation,omitempty"`
	Variations             []any          `json:"variations"`
	ClientSide             bool           `json:"clientSide"`
	Salt                   string         `json:"salt"`
	TrackEvents            bool           `json:"trackEvents"`
	TrackEventsFallthrough bool           `json:"trackEventsFallthrough"`
	DebugEventsUntilDate   *int64         `json:"debugEventsUntilDate"`
	Version                int            `json:"version"`
	Deleted                bool           `json:"deleted"`
}
