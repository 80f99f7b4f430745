// Package ldsync talks to LaunchDarkly's REST API (through api-client-go) and replays the
// journal's pending changes to it: plan (from the flag list), paced apply (one conditional
// patch per change), verification (from the patch's answer).
//
// A replay plans with Replayer.PlanAll, which first settles the journal's interrupted changes
// by reading Redis back (journal.Settle): a change whose outcome is unknown, or whose Redis
// hosts disagree, is never sent. api.go holds the types the other packages exchange with it;
// Client is in client.go, PlanAll in settled.go, Plan and Apply in replay.go, and what an item
// sends and closes in item.go. Guard (guard.go, guard_hold.go) arms a replay: it holds the
// pending changes in Redis against Relay's re-sync and replays the moment LaunchDarkly answers
// (WaitReachable, reach.go).
package ldsync

import (
	"time"

	"relaycommander/journal"
)

// Base URLs of LaunchDarkly's instances.
const (
	CommercialURL = "https://app.launchdarkly.com"
	FederalURL    = "https://app.launchdarkly.us"
	EUURL         = "https://app.eu.launchdarkly.com"
)

// ClientConfig configures the API client. The token is never written to the journal, logs,
// errors or the screen.
type ClientConfig struct {
	BaseURL string        // default CommercialURL
	Token   string        // API access token
	Timeout time.Duration // per request; default 10s
	// AllowInsecureHTTP accepts an http:// BaseURL on a host other than this machine's
	// loopback; without it NewClient refuses one, since the token would travel in clear.
	AllowInsecureHTTP bool
}

// FlagState is a flag's state in one environment.
type FlagState struct {
	On           bool
	Version      int // the environment's version (what Relay stores): conflicts are judged by it
	LastModified time.Time
	// FlagVersion is the flag's own _version: any environment's change bumps it. A replayed
	// patch is conditioned on it (a JSON-patch test of /version); 0 when not read.
	FlagVersion int
}

// Project is a LaunchDarkly project.
type Project struct {
	Key  string
	Name string
}

// Environment is one environment of a project, with its keys.
type Environment struct {
	Key          string
	Name         string
	SDKKey       string
	MobileKey    string
	ClientSideID string
}

// Status classifies a pending change against LaunchDarkly's current state.
type Status string

const (
	InSync        Status = "in sync"
	Ready         Status = "ready"
	Conflict      Status = "conflict"
	UnknownBase   Status = "unknown base" // imported from relayCommander: treated as ready
	NotReplayable Status = "not replayable"
)

// Item is one pending change in a plan.
type Item struct {
	Pending journal.Pending
	Status  Status
	Reason  string    // why not replayable, or what the conflict is
	LD      FlagState // LaunchDarkly's state when planned (zero when unreadable)
	Force   bool      // operator decided to overwrite a conflict
	Skip    bool      // operator decided to leave a conflict for later
}

// Plan is the dry run: every pending change classified.
type Plan struct {
	Items []Item
	// Set by PlanAll: the changes whose outcome it read back from Redis first, and why some
	// could not be (those are planned not replayable).
	Settled   []journal.Entry
	SettleErr error
}

// Progress is one event of a replay, sent to the UI or the command line.
type Progress struct {
	Index        int // the item in flight, index into Plan.Items
	Total        int // items to send
	Item         Item
	Attempt      int
	WaitingUntil time.Time // non-zero while waiting on a rate limit or backoff
	WaitReason   string
	Done         bool   // the item finished (and again after verification); Result says how
	Result       string // journal.ReplayKind of the item's final event
	Err          error
	Counts       Counts
}

// Counts is the tally of a replay so far.
type Counts struct {
	Applied, InSync, Conflicts, Failed, Skipped, Verified, Mismatched int
}

// Recorder is the journal as the replay needs it.
type Recorder interface {
	RecordReplay(e journal.ReplayEvent) error
}

// Replayer plans, applies and verifies. When Journal is also a ReplayLocker (as
// *journal.Journal is), Apply holds its replay lock throughout.
type Replayer struct {
	Client   *Client
	Journal  Recorder
	Operator string
	// Store reads Redis back so that PlanAll settles interrupted changes first (Settle);
	// *flags.Store satisfies it.
	Store journal.FlagReader
}
