// Package ldsync talks to LaunchDarkly's REST API (through api-client-go) and replays the
// journal's pending changes to it: plan, paced apply, verification.
//
// api.go holds the exported API that tui/, relaycfg/ and main.go use; the work is in the other files.
package ldsync

import (
	"context"
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
}

// Client is a LaunchDarkly REST API client.
type Client struct{ clientImpl }

// NewClient builds a client; it does not connect.
func NewClient(cfg ClientConfig) (*Client, error) { return newClient(cfg) }

// FlagState is a flag's state in one environment.
type FlagState struct {
	On           bool
	Version      int
	LastModified time.Time
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

// Check reports whether LaunchDarkly is reachable and the token is accepted.
func (c *Client) Check(ctx context.Context) error { return c.check(ctx) }

// GetFlagState reads a flag's state in one environment.
func (c *Client) GetFlagState(ctx context.Context, project, flag, env string) (FlagState, error) {
	return c.getFlagState(ctx, project, flag, env)
}

// SetOn patches a flag's on in one environment with a comment, and returns the state after.
func (c *Client) SetOn(ctx context.Context, project, flag, env string, on bool, comment string) (FlagState, error) {
	return c.setOn(ctx, project, flag, env, on, comment)
}

// Projects lists every project (all pages).
func (c *Client) Projects(ctx context.Context) ([]Project, error) { return c.projects(ctx) }

// Project reads one project.
func (c *Client) Project(ctx context.Context, key string) (Project, error) {
	return c.project(ctx, key)
}

// Environments lists every environment of a project (all pages).
func (c *Client) Environments(ctx context.Context, project string) ([]Environment, error) {
	return c.environments(ctx, project)
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

	beforeVerify func() // tests: runs between apply and verify
}

// Plan reads LaunchDarkly's state for every pending change and classifies it.
func (r *Replayer) Plan(ctx context.Context, pending []journal.Pending) (Plan, error) {
	return r.plan(ctx, pending)
}

// Apply sends every ready, unknown-base and forced item, paced by LaunchDarkly's rate-limit
// headers, recording each attempt and result in the journal before the next item starts,
// then verifies. Progress goes to the channel (never blocking the replay for long); cancel
// the context to stop after the item in flight. It closes progress when done.
func (r *Replayer) Apply(ctx context.Context, plan Plan, progress chan<- Progress) (Counts, error) {
	return r.apply(ctx, plan, progress)
}
