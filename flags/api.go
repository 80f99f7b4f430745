// Package flags reads and toggles feature flags in the Redis store that the LaunchDarkly
// Relay Proxy serves from, on every configured Redis host at once.
//
// api.go holds the exported API that tui/, journal/, relaycfg/ and main.go use; the work is in the
// other files.
package flags

import (
	"context"
	"errors"
	"strings"
	"time"
)

// HostConfig names one Redis host of the Relay.
type HostConfig struct {
	Name     string // display name; defaults to the address
	Addr     string // "host:port", "redis://..." or "rediss://..." (username, password, db, TLS)
	Username string // overrides the URL's, when set
	Password string // overrides the URL's, when set
	TLS      bool   // force TLS for a host:port address
}

// Target is the LaunchDarkly project and environment a store prefix holds.
type Target struct {
	Project     string
	Environment string
}

// Options tune a Store. Zero values mean the defaults.
type Options struct {
	DialTimeout     time.Duration     // default 2s
	CommandTimeout  time.Duration     // default 2s
	MaxWatchRetries int               // lost WATCH races retried per host; default 5
	Mapping         map[string]Target // explicit prefix -> project/environment; wins over the convention
}

// Sentinel errors, always wrapped with the prefix, flag and host they concern.
var (
	ErrUnknownPrefix = errors.New("no such store prefix")
	ErrUnknownFlag   = errors.New("no such flag")
	ErrTombstone     = errors.New("flag is deleted (tombstone)")
	ErrUnreadable    = errors.New("flag JSON is unreadable")
)

// HostStatus is one host's reachability.
type HostStatus struct {
	Host    string
	Up      bool
	Latency time.Duration // round trip of a PING (Discover) or of the read (Flags)
	Err     error
}

// PrefixOnHost is what one host holds for a prefix.
type PrefixOnHost struct {
	Host    string
	Present bool // P:features exists there
	Inited  bool // P:$inited exists there
	Flags   int  // fields in P:features
}

// PrefixInfo is one store prefix found on the hosts.
type PrefixInfo struct {
	Prefix string
	Target Target // when unmapped: empty, or only the project an explicit mapping gave
	Mapped bool   // false: neither the explicit mapping nor the convention names it
	Hosts  []PrefixOnHost
}

// Discovery is every prefix on every host, plus the hosts' reachability.
type Discovery struct {
	Hosts    []HostStatus
	Prefixes []PrefixInfo // sorted by project, environment, prefix; unmapped last
}

// HostFlag is one flag as one host stores it.
type HostFlag struct {
	Host          string
	Present       bool // the field exists on this host (false also when the host is down)
	On            bool
	Version       int
	Deleted       bool // tombstone
	OffVariation  *int // nil: absent or null, an off flag then serves the application's default
	Variations    int
	Prerequisites []string
	Unreadable    string // why the JSON could not be parsed; "" when it could
	Raw           string // the JSON as stored
	HostDown      bool   // the host did not answer: its state is unknown (Agree skips it)
}

// Flag is one flag of a prefix across all hosts.
type Flag struct {
	Key        string
	Hosts      []HostFlag // one per configured host, in host order
	Dependants []string   // flags of the same prefix that have this one as a prerequisite
}

// FlagSet is every flag of one prefix.
type FlagSet struct {
	Prefix string
	Target Target
	Mapped bool
	Flags  []Flag       // sorted by key
	Hosts  []HostStatus // hosts that failed to answer have Up == false
}

// Outcome of a toggle on one host.
type Outcome string

const (
	Written   Outcome = "written"
	Unchanged Outcome = "unchanged" // already in the requested state: nothing written
	Failed    Outcome = "failed"
)

// HostResult is a toggle's result on one host.
type HostResult struct {
	Host       string
	Outcome    Outcome
	OldOn      bool
	OldVersion int
	NewVersion int // equals OldVersion when unchanged or failed
	Latency    time.Duration
	Err        error
}

// ToggleResult is a toggle's result on every host it was asked to write.
type ToggleResult struct {
	Prefix string
	Flag   string
	On     bool
	Hosts  []HostResult
}

// Store talks to every Redis host of the Relay. It is safe for concurrent use. Every
// operation runs on the hosts concurrently; each command is bounded by CommandTimeout and
// each host's part of Flags and Toggle by DialTimeout + 2*CommandTimeout, so a dead or hung
// host fails on its own and never holds up the others.
type Store struct{ impl }

// Open validates the host addresses and prepares clients; it does not connect.
func Open(hosts []HostConfig, opts Options) (*Store, error) { return open(hosts, opts) }

// Close closes every client.
func (s *Store) Close() error { return s.close() }

// HostNames returns the hosts' display names in configuration order.
func (s *Store) HostNames() []string { return s.hostNames() }

// Locate names the project and environment of a prefix: the explicit mapping first, then the
// convention ld:{project}:{environment}. ok is false when neither names it.
func (s *Store) Locate(prefix string) (t Target, ok bool) { return s.locate(prefix) }

// Discover finds every store prefix on every host (SCAN, never KEYS). A down host is reported
// in Discovery.Hosts, never as an error.
func (s *Store) Discover(ctx context.Context) Discovery { return s.discover(ctx) }

// Flags reads every flag of a prefix from every host. The error is ErrUnknownPrefix when no
// reachable host has the prefix, and names every host's failure when none answered; a
// down host otherwise shows in FlagSet.Hosts and as HostFlag.HostDown.
func (s *Store) Flags(ctx context.Context, prefix string) (FlagSet, error) {
	return s.flags(ctx, prefix)
}

// Flag reads one flag of a prefix from every host.
func (s *Store) Flag(ctx context.Context, prefix, key string) (Flag, error) {
	return s.flag(ctx, prefix, key)
}

// Toggle sets `on` of one flag on the named hosts (all hosts when none are named),
// concurrently, with WATCH/MULTI/EXEC and version = old+1.
func (s *Store) Toggle(ctx context.Context, prefix, key string, on bool, hosts ...string) ToggleResult {
	return s.toggle(ctx, prefix, key, on, hosts)
}

// ConventionPrefix is the store prefix the convention gives a project's environment:
// ld:{project}:{environment}. The one place that owns the convention (with Locate).
func ConventionPrefix(project, environment string) string { return "ld:" + project + ":" + environment }

// ParseConventionPrefix reads ld:{project}:{environment}, the inverse of ConventionPrefix.
func ParseConventionPrefix(prefix string) (Target, bool) {
	parts := strings.Split(prefix, ":")
	if len(parts) != 3 || parts[0] != "ld" || parts[1] == "" || parts[2] == "" {
		return Target{}, false
	}
	return Target{Project: parts[1], Environment: parts[2]}, true
}

// SetOnAndVersion returns a flag's stored JSON with "on" and "version" replaced and every
// other byte as stored: what a toggle writes, and what a Relay full sync would write.
func SetOnAndVersion(raw string, on bool, version int) (string, error) {
	return setOnAndVersion(raw, on, version)
}

// Agree reports whether every host that should hold the flag has it with the same on and
// version, and if not, a short description of how they differ.
func (f Flag) Agree() (bool, string) { return f.agree() }

// Primary is the first host's readable state: what the screen shows as the flag's state.
func (f Flag) Primary() (HostFlag, bool) { return f.primary() }

// FailedHosts names the hosts whose write failed, for a retry.
func (r ToggleResult) FailedHosts() []string {
	var out []string
	for _, h := range r.Hosts {
		if h.Outcome == Failed {
			out = append(out, h.Host)
		}
	}
	return out
}
