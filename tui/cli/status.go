package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/ldsync"
	"relaycommander/relaycfg/relayapi"
	"relaycommander/tui/cli/config"
	"relaycommander/tui/termsafe"
)

// statusOptions are the status command's flags.
type statusOptions struct {
	app  *app
	json bool
}

func newStatusCmd(a *app) *cobra.Command {
	opts := &statusOptions{app: a}
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "The incident at a glance: Redis hosts, Relays, LaunchDarkly, pending changes",
		Long: `Asks every component at once, each with its own time-out, so that a dead one never holds up
the others: the Redis hosts (up or down, latency); each Relay (relays:) and, per environment,
its connection to LaunchDarkly and since when, its store and prefix; LaunchDarkly itself (with
a token); the journal's pending changes, how many of them a Relay's re-sync undid in Redis,
and who holds the replay lock. Exit 0 when everything answers, 3 when something is down.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStatus(cmd.Context(), opts) },
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON (compact unless standard output is a terminal)")
	return cmd
}

// statusJSON is status --json.
type statusJSON struct {
	Redis        []redisStatusJSON `json:"redis"`
	Relays       []relayStatusJSON `json:"relays"`
	LaunchDarkly ldStatusJSON      `json:"launchDarkly"`
	Journal      journalStatusJSON `json:"journal"`
	Down         []string          `json:"down"` // what did not answer; empty: exit 0
	Notes        []string          `json:"notes"`
}

type redisStatusJSON struct {
	Name      string  `json:"name"`
	Addr      string  `json:"addr"`
	Up        bool    `json:"up"`
	LatencyMS float64 `json:"latencyMs"`
	Error     string  `json:"error,omitempty"`
}

type relayStatusJSON struct {
	Name         string               `json:"name"`
	URL          string               `json:"url"`
	Reachable    bool                 `json:"reachable"`
	Healthy      bool                 `json:"healthy"`
	Version      string               `json:"version,omitempty"`
	Environments []relayEnvStatusJSON `json:"environments"`
	Error        string               `json:"error,omitempty"`
}

type relayEnvStatusJSON struct {
	Name            string    `json:"name"`
	ProjKey         string    `json:"projKey,omitempty"`
	EnvKey          string    `json:"envKey,omitempty"`
	Prefix          string    `json:"prefix"`
	Connected       bool      `json:"connected"`
	Connection      string    `json:"connection"` // VALID, INITIALIZING, INTERRUPTED, OFF
	ConnectionSince time.Time `json:"connectionSince,omitzero"`
	LastError       string    `json:"lastError,omitempty"`
	LastErrorTime   time.Time `json:"lastErrorTime,omitzero"`
	Store           string    `json:"store"` // VALID, INTERRUPTED, "" without a store
	StoreSince      time.Time `json:"storeSince,omitzero"`
}

type ldStatusJSON struct {
	URL       string  `json:"url"`
	Token     bool    `json:"token"` // false: not asked
	Reachable bool    `json:"reachable"`
	LatencyMS float64 `json:"latencyMs,omitempty"`
	Error     string  `json:"error,omitempty"`
	// trouble is the check's failure, classified, for the text's words
	trouble ldsync.Trouble
}

type journalStatusJSON struct {
	Dir           string `json:"dir"`
	Pending       int    `json:"pending"`
	Undone        int    `json:"undone"`        // pending changes a re-sync undid on some host
	UndoneChecked bool   `json:"undoneChecked"` // false: Redis could not be asked
	ReplayHolder  string `json:"replayHolder,omitempty"`
	ArmedBy       string `json:"armedBy,omitempty"` // a guard holding the replay armed (replay --wait, A in the UI)
	Error         string `json:"error,omitempty"`
}

// statusProbe is the flag field read to ask a Redis host whether it answers: one HMGET, on a
// field no store holds, reads nothing and writes nothing.
var statusProbe = map[string][]string{"launchdarkly": {"relaycommander-status-probe"}}

// runStatus opens what it needs, then asks every component at once.
func runStatus(ctx context.Context, opts *statusOptions) error {
	a := opts.app
	cfg, err := a.config()
	if err != nil {
		return err
	}
	// Opened before the questions start: app is not safe for concurrent use.
	var st *flags.Store
	var storeErr error
	if len(cfg.Hosts) > 0 {
		st, storeErr = a.openStore()
	}
	j, journalErr := a.openJournal()
	ld, ldErr := a.ldClient(false)

	s := statusJSON{Relays: []relayStatusJSON{}, Redis: []redisStatusJSON{}, Down: []string{}, Notes: []string{}}
	var wg sync.WaitGroup
	wg.Go(func() { s.Redis = redisStatus(ctx, cfg, st, storeErr) })
	wg.Go(func() { s.Relays = relayStatuses(ctx, cfg.Relays) })
	wg.Go(func() { s.LaunchDarkly = ldStatus(ctx, cfg, ld, ldErr) })
	wg.Go(func() { s.Journal = journalStatus(ctx, cfg, j, journalErr, st) })
	wg.Wait()
	s.Down, s.Notes = statusDown(cfg, s)

	if opts.json {
		if err := a.writeJSON(s); err != nil {
			return err
		}
	} else {
		printStatus(a.sys.Stdout, s)
	}
	if len(s.Down) > 0 {
		return &exitErr{code: ExitPartial, msg: fmt.Sprintf("not answering: %s", termsafe.Escape(strings.Join(s.Down, ", ")))}
	}
	return nil
}

// redisStatus asks every host with one read, bounded by the store's own time-outs.
func redisStatus(ctx context.Context, cfg *config.Config, st *flags.Store, openErr error) []redisStatusJSON {
	out := []redisStatusJSON{}
	if st == nil {
		for _, h := range cfg.Hosts {
			out = append(out, redisStatusJSON{Name: h.Name, Addr: config.HostName(h.Addr), Error: errString(openErr)})
		}
		return out
	}
	fs, _ := st.ReadFields(ctx, statusProbe) // the error only repeats the hosts' own
	for i, h := range fs.Hosts {
		out = append(out, redisStatusJSON{Name: h.Host, Addr: config.HostName(cfg.Hosts[i].Addr), Up: h.Up,
			LatencyMS: ms(h.Latency), Error: errString(h.Err)})
	}
	return out
}

// relayStatuses asks every Relay for GET /status, each with its own time-out.
func relayStatuses(ctx context.Context, relays []relayapi.Relay) []relayStatusJSON {
	out := []relayStatusJSON{}
	for _, r := range relayapi.Statuses(ctx, relays) {
		rj := relayStatusJSON{Name: r.Relay.Name, URL: redactedRelayURL(r.Relay), Environments: []relayEnvStatusJSON{}, Error: errString(r.Err)}
		if r.Err == nil {
			rj.Reachable, rj.Healthy, rj.Version = true, r.Status.Healthy, r.Status.Version
			for _, e := range r.Status.Environments {
				rj.Environments = append(rj.Environments, relayEnvJSON(e))
			}
		}
		out = append(out, rj)
	}
	return out
}

// redactedRelayURL is the Relay's URL with any password hidden (Relay.String without the name).
func redactedRelayURL(r relayapi.Relay) string {
	s := strings.TrimPrefix(r.String(), r.Name+" (")
	return strings.TrimSuffix(s, ")")
}

func relayEnvJSON(e relayapi.Environment) relayEnvStatusJSON {
	ej := relayEnvStatusJSON{Name: e.Name, ProjKey: e.ProjKey, EnvKey: e.EnvKey, Prefix: e.Store.Prefix, Connected: e.Connected,
		Connection: string(e.Conn.State), ConnectionSince: e.Conn.Since, Store: e.Store.State, StoreSince: e.Store.Since}
	if le := e.Conn.LastError; le != nil {
		ej.LastError, ej.LastErrorTime = le.Kind, le.Time
	}
	return ej
}

// ldStatus asks LaunchDarkly whether it answers and takes the token, within its time-out.
func ldStatus(ctx context.Context, cfg *config.Config, ld *ldsync.Client, clientErr error) ldStatusJSON {
	out := ldStatusJSON{URL: cfg.LDBaseURL, Token: cfg.LDToken != ""}
	if clientErr != nil {
		out.Error = clientErr.Error()
		return out
	}
	if ld == nil {
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.LDTimeout)
	defer cancel()
	start := time.Now()
	if err := ld.Check(ctx); err != nil {
		out.Error, out.trouble = err.Error(), ldsync.TroubleOf(err)
		return out
	}
	out.Reachable, out.LatencyMS = true, ms(time.Since(start))
	return out
}

// journalStatus counts the pending changes and those undone in Redis (journal.Drift), and
// reads who holds the replay lock, without taking it.
func journalStatus(ctx context.Context, cfg *config.Config, j *journal.Journal, openErr error, st *flags.Store) journalStatusJSON {
	out := journalStatusJSON{}
	if openErr != nil {
		out.Error = openErr.Error()
		if dir, err := cfg.JournalDirOrDefault(); err == nil {
			out.Dir = dir
		}
		return out
	}
	out.Dir = j.Dir()
	out.ReplayHolder = replayHolder(j.Dir())
	out.ArmedBy = journal.ArmedBy(j.Dir())
	ps, err := j.Pending()
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.Pending = len(ps)
	if st == nil {
		return out
	}
	us, err := journal.Drift(ctx, st, ps)
	if err != nil {
		return out // no host answered: the Redis section says so
	}
	out.Undone, out.UndoneChecked = len(us), true
	return out
}

// statusDown lists what did not answer, and notes what was not asked.
func statusDown(cfg *config.Config, s statusJSON) (down, notes []string) {
	down, notes = []string{}, []string{}
	for _, h := range s.Redis {
		if !h.Up {
			down = append(down, "Redis "+h.Name)
		}
	}
	for _, r := range s.Relays {
		if !r.Reachable {
			down = append(down, "Relay "+r.Name)
		}
	}
	if s.LaunchDarkly.Error != "" {
		down = append(down, "LaunchDarkly")
	}
	if s.Journal.Error != "" {
		down = append(down, "the journal")
	}
	if len(cfg.Hosts) == 0 {
		notes = append(notes, "no Redis hosts configured: set redis.hosts or RC_REDIS_HOSTS (or REDIS_HOSTS)")
	}
	if len(cfg.Relays) == 0 {
		notes = append(notes, "no Relays configured: list them under relays: (or RC_RELAYS=relay-a=http://relay-a:8030,...) to see their connection to LaunchDarkly")
	}
	if !s.LaunchDarkly.Token {
		notes = append(notes, "LaunchDarkly not asked: no API token (RC_LAUNCHDARKLY_API_TOKEN)")
	}
	return down, notes
}

// printStatus is status as text, readable at 80 columns; everything that came from Redis, a
// Relay or the journal goes through termsafe.Escape.
func printStatus(out io.Writer, s statusJSON) {
	esc := termsafe.Escape
	fmt.Fprintln(out, "Redis")
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, h := range s.Redis {
		name := esc(h.Name)
		if h.Addr != h.Name {
			name += " (" + esc(h.Addr) + ")"
		}
		if h.Up {
			fmt.Fprintf(w, "  %s\tup\t%.1f ms\n", name, h.LatencyMS)
		} else {
			fmt.Fprintf(w, "  %s\tDOWN\t\n", name)
		}
	}
	w.Flush()
	for _, h := range s.Redis {
		if !h.Up {
			printWrapped(out, "    ", esc(h.Error)) // names the host
		}
	}
	if len(s.Redis) == 0 {
		fmt.Fprintln(out, "  no hosts configured")
	}

	fmt.Fprintln(out, "Relays")
	for _, r := range s.Relays {
		printRelay(out, r)
	}
	if len(s.Relays) == 0 {
		fmt.Fprintln(out, "  none configured (relays:)")
	}

	fmt.Fprintln(out, "LaunchDarkly")
	ld := s.LaunchDarkly
	switch {
	case ld.Error != "" && ld.trouble.Kind != ldsync.TroubleUnknown:
		// a refused token or a rate limit is not an outage: say which, and what mends a token
		fmt.Fprintf(out, "  %s  %s\n", esc(ld.URL), strings.ToUpper(ld.trouble.Short()))
		what := ld.trouble.What() + "."
		if ld.trouble.TokenRefused() {
			what += " " + ldsync.TokenFix + "."
		}
		printWrapped(out, "    ", esc(what))
		printWrapped(out, "    ", esc(ld.Error))
	case ld.Error != "":
		fmt.Fprintf(out, "  %s  UNREACHABLE\n", esc(ld.URL))
		printWrapped(out, "    ", esc(ld.Error))
	case !ld.Token:
		fmt.Fprintf(out, "  %s  not asked: no token\n", esc(ld.URL))
	default:
		fmt.Fprintf(out, "  %s  reachable, token accepted (%.0f ms)\n", esc(ld.URL), ld.LatencyMS)
	}

	fmt.Fprintf(out, "Journal %s\n", esc(s.Journal.Dir))
	printJournalStatus(out, s.Journal)

	if len(s.Down) > 0 {
		printWrapped(out, "", fmt.Sprintf("DOWN: %s", esc(strings.Join(s.Down, ", "))))
	} else {
		fmt.Fprintln(out, "Everything answers.")
	}
}

// printRelay is one Relay: its answer, then per environment its prefix, its connection to
// LaunchDarkly and its store.
func printRelay(out io.Writer, r relayStatusJSON) {
	esc := termsafe.Escape
	if !r.Reachable {
		fmt.Fprintf(out, "  %s  %s  UNREACHABLE\n", esc(r.Name), esc(r.URL))
		printWrapped(out, "    ", esc(r.Error))
		return
	}
	health := "degraded"
	if r.Healthy {
		health = "healthy"
	}
	fmt.Fprintf(out, "  %s  %s  Relay %s, %s\n", esc(r.Name), esc(r.URL), esc(r.Version), health)
	for _, e := range r.Environments {
		fmt.Fprintf(out, "    %s  %s\n", esc(e.Name), envStoreText(e))
		conn := "LaunchDarkly " + esc(e.Connection) + sinceText(e.ConnectionSince)
		if e.LastError != "" && e.Connection != string(relayapi.Valid) {
			conn += ", last error " + esc(e.LastError)
		}
		printWrapped(out, "      ", conn)
	}
	if len(r.Environments) == 0 {
		fmt.Fprintln(out, "    no environments")
	}
}

// envStoreText is an environment's prefix and store state; the time only when it is not VALID.
func envStoreText(e relayEnvStatusJSON) string {
	esc := termsafe.Escape
	if e.Store == "" {
		return "no store"
	}
	text := "prefix " + esc(e.Prefix) + ", store " + esc(e.Store)
	if e.Store != "VALID" {
		text += sinceText(e.StoreSince)
	}
	return text
}

func printJournalStatus(out io.Writer, js journalStatusJSON) {
	esc := termsafe.Escape
	if js.Error != "" {
		fmt.Fprintln(out, "  UNREADABLE")
		printWrapped(out, "    ", esc(js.Error))
		return
	}
	line := fmt.Sprintf("  %d pending", js.Pending)
	switch {
	case js.Pending == 0:
	case !js.UndoneChecked:
		line += ", not checked against Redis"
	case js.Undone > 0:
		line += fmt.Sprintf(", %d UNDONE by a Relay re-sync (relaycommander queue)", js.Undone)
	default:
		line += ", all still in Redis"
	}
	fmt.Fprintln(out, line)
	if js.ReplayHolder != "" {
		printWrapped(out, "  ", "replay running: "+esc(js.ReplayHolder))
	} else {
		fmt.Fprintln(out, "  no replay running")
	}
	if js.ArmedBy != "" {
		printWrapped(out, "  ", "replay armed: "+esc(js.ArmedBy))
	}
}

// sinceText is " since 11:02:03 (4m12s ago)", or "" for an unknown time.
func sinceText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	ago := time.Since(t).Round(time.Second)
	if ago < 0 {
		ago = 0
	}
	return fmt.Sprintf(" since %s (%s ago)", t.Local().Format("15:04:05"), ago)
}

// printWrapped prints text wrapped at 80 columns, every line indented.
func printWrapped(out io.Writer, indent, text string) {
	for _, l := range wrap(text, 80-len(indent)) {
		fmt.Fprintln(out, indent+l)
	}
}

// wrap breaks text at spaces into lines of at most width bytes (a longer word stays whole).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}
