// Package flags reads and toggles feature flags in the Redis store that the LaunchDarkly
// Relay Proxy serves from, on every configured Redis host at once.
//
// A toggle writes only a flag shaped as Relay stores it, with a version it can raise within
// what a JSON number holds (guard.go); a write whose reply never came is outcome Unknown, to be
// settled by reading the host back, never Failed. api.go holds the types the other packages
// exchange with it; Store and its methods are in store.go, read.go, fields.go, discover.go and
// toggle.go. The rules both faces apply to what they read and write are here too: agree.go
// (hosts' agreement), wording.go (state words), protect.go (when a write needs the flag key
// typed) and redact.go (addresses shown without their password).
package flags

import (
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
	ErrVersionRange  = errors.New("flag version out of range")
	ErrNotRelayFlag  = errors.New("not a flag as Relay stores it")
	ErrWrongType     = errors.New("the key is not a hash as Relay stores its flags in")
)

// MaxVersion is the highest version a toggle writes: 2^53-1, the largest integer a JSON
// number holds exactly in the SDKs that read versions as doubles.
const MaxVersion = 1<<53 - 1

// HostStatus is one host's reachability.
type HostStatus struct {
	Host    string
	Up      bool
	Latency time.Duration // round trip of a PING (Discover) or of the read (Flags)
	Err     error
	// Answered: the host replied, with an error (NOAUTH, WRONGTYPE…): it is up but refused
	// the read, unlike a host that did not answer (FlagsProgressive sets it).
	Answered bool
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
	Failed    Outcome = "failed"    // known not to have been written
	// Unknown: the error came after EXEC was sent (a timeout, a dropped connection), so the
	// write may have landed. Reading the host back tells: the write produced NewVersion
	// (OldVersion+1) with the requested state.
	Unknown Outcome = "unknown"
)

// HostResult is a toggle's result on one host.
type HostResult struct {
	Host       string
	Outcome    Outcome
	OldOn      bool
	OldVersion int
	NewVersion int // equals OldVersion when unchanged or failed; OldVersion+1 when written or unknown
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

// UnknownHosts names the hosts whose write may or may not have landed.
func (r ToggleResult) UnknownHosts() []string {
	var out []string
	for _, h := range r.Hosts {
		if h.Outcome == Unknown {
			out = append(out, h.Host)
		}
	}
	return out
}

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
