package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"relaycommander/flags"
	"relaycommander/relaycfg"
)

// This file is what the commands that write Redis (update, discard) share: the confirmation,
// the per-host states and results, and the note on when applications see the write.

// planOut is where a command says what it is about to do: beside the JSON on stderr with
// --json, so that standard output holds only the JSON.
func (a *app) planOut(asJSON bool) io.Writer {
	if asJSON {
		return a.sys.Stderr
	}
	return a.sys.Stdout
}

// describe names a prefix for the messages: "project/environment (prefix P)" where the target
// is known, else the prefix.
func describe(prefix string, t flags.Target) string {
	if t.Project == "" {
		return prefix
	}
	return fmt.Sprintf("%s/%s (prefix %s)", t.Project, t.Environment, prefix)
}

// hostResultJSON is one host's write result in --json.
type hostResultJSON struct {
	Host       string  `json:"host"`
	Outcome    string  `json:"outcome"`
	OldOn      bool    `json:"oldOn"`
	OldVersion int     `json:"oldVersion"`
	NewVersion int     `json:"newVersion"`
	LatencyMS  float64 `json:"latencyMs"`
	Error      string  `json:"error,omitempty"`
}

// hostResultsJSON is a write's result per host for --json, and the hosts that failed (both
// empty, never null, when nothing was written).
func hostResultsJSON(res flags.ToggleResult) (hosts []hostResultJSON, failed []string) {
	hosts, failed = []hostResultJSON{}, []string{}
	for _, h := range res.Hosts {
		hosts = append(hosts, hostResultJSON{Host: h.Host, Outcome: string(h.Outcome), OldOn: h.OldOn,
			OldVersion: h.OldVersion, NewVersion: h.NewVersion, LatencyMS: ms(h.Latency), Error: errString(h.Err)})
	}
	return hosts, append(failed, res.FailedHosts()...)
}

// confirmWrite asks before a write to Redis of flag key in the prefix that t and mapped
// describe: by typing the key where flags.Protection says so (protected environments,
// unmapped prefixes), else y/N.
func (a *app) confirmWrite(question, key string, t flags.Target, mapped, yes bool) error {
	want := ""
	if flags.Protection(a.cfg.Protected).NeedsTypedKey(t, mapped) {
		want = key
	}
	return a.confirm(question, want, yes)
}

// printHostStates prints what every host holds of a flag now, before a write.
func printHostStates(out io.Writer, f flags.Flag) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, h := range f.Hosts {
		fmt.Fprintf(w, "  %s\tnow %s\n", h.Host, h.State())
	}
	w.Flush()
}

// printHostResults prints a write's result per host.
func printHostResults(out io.Writer, res flags.ToggleResult) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, h := range res.Hosts {
		switch h.Outcome {
		case flags.Written:
			fmt.Fprintf(w, "  %s\twritten\tv%d -> v%d in %s\n", h.Host, h.OldVersion, h.NewVersion, h.Latency.Round(100*time.Microsecond))
		case flags.Unchanged:
			fmt.Fprintf(w, "  %s\tunchanged\talready %s at v%d\n", h.Host, flags.OnOff(res.On), h.OldVersion)
		default:
			fmt.Fprintf(w, "  %s\tFAILED\t%v\n", h.Host, h.Err)
		}
	}
	w.Flush()
}

// hostsFailedErr is exit 3 when some hosts failed the write, saying what to do next; nil when
// none failed.
func hostsFailedErr(res flags.ToggleResult, next string) error {
	failed := res.FailedHosts()
	if len(failed) == 0 {
		return nil
	}
	return &exitErr{code: ExitPartial, msg: fmt.Sprintf("%d of %d hosts failed (%s): the hosts now disagree. %s",
		len(failed), len(res.Hosts), strings.Join(failed, ", "), next)}
}

// reachNote says when the applications see a change made in Redis (relaycfg.Reach), and
// which setting the Relay's localTtl comes from.
func (a *app) reachNote() string {
	var b strings.Builder
	b.WriteString("How applications see it:\n")
	for _, l := range relaycfg.ReachOf(a.cfg.LocalTTL).Lines() {
		b.WriteString("  " + l + "\n")
	}
	fmt.Fprintf(&b, "  The Relays' localTtl is relay.local_ttl (%s, from %s).\n", a.cfg.LocalTTL, a.cfg.From("relay.local_ttl"))
	return b.String()
}
