package cli

import (
	"errors"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"relaycommander/flags"
	"relaycommander/journal"
	"relaycommander/relaycfg"
	"relaycommander/tui/termsafe"
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
	return tsprintf("%s/%s (prefix %s)", t.Project, t.Environment, prefix)
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
	// ReadBack is, for an "unknown" outcome, what reading the host back settled it as
	// ("written", "failed"); absent while still unknown.
	ReadBack string `json:"readBack,omitempty"`
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
		tprintf(w, "  %s\tnow %s\n", h.Host, h.State())
	}
	w.Flush()
}

// readBack is what the journal recorded, per host, of a write's outcome once the hosts whose
// reply was lost were read back (journal.Toggle does it at once): nil when not known.
type readBack map[string]journal.HostOutcome

// readBackOf is the latest recorded outcome per host of change id.
func readBackOf(j *journal.Journal, prefix, flag, id string) readBack {
	entries, _, err := j.History(prefix, flag)
	if err != nil {
		return nil
	}
	rb := readBack{}
	for _, e := range entries {
		if e.ID == id {
			for _, o := range e.Outcomes {
				rb[o.Host] = o
			}
		}
	}
	return rb
}

// unknownNote says what reading a host back told of a write whose reply was lost.
func (rb readBack) unknownNote(h flags.HostResult, on bool) string {
	o, ok := rb[h.Host]
	switch {
	case ok && o.Outcome == string(flags.Written):
		return tsprintf("it landed: the host holds %s v%d", flags.OnOff(on), o.NewVersion)
	case ok && o.Outcome == string(flags.Failed):
		return "it did not land" + errSuffix(o.Error)
	}
	return tsprintf("not confirmed yet (the write may still be on its way, or the host did not answer); "+
		"relaycommander queue reads it back again and settles it once every host answers (v%d %s means it landed)", h.NewVersion, flags.OnOff(on))
}

func errSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// stillUnknown are the hosts whose reply was lost and that reading back did not settle.
func (rb readBack) stillUnknown(res flags.ToggleResult) []string {
	var out []string
	for _, h := range res.UnknownHosts() {
		if o, ok := rb[h]; !ok || o.Outcome == string(flags.Unknown) {
			out = append(out, h)
		}
	}
	return out
}

// printHostResults prints a write's result per host; rb (may be nil) is what reading back the
// hosts whose reply was lost found. A lost reply is "outcome unknown", never FAILED.
func printHostResults(out io.Writer, res flags.ToggleResult, rb readBack) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	// A FAILED row's error is wrapped under its column to fit 80 columns: the widest host
	// and outcome set where that column starts.
	hostWidth, outcomeWidth := 0, 0
	for _, h := range res.Hosts {
		hostWidth = max(hostWidth, len(termsafe.Escape(h.Host)))
		outcomeWidth = max(outcomeWidth, len(outcomeWord(h.Outcome)))
	}
	errWidth := max(30, 80-2-hostWidth-2-outcomeWidth-2)
	for _, h := range res.Hosts {
		host := termsafe.Escape(h.Host)
		switch h.Outcome {
		case flags.Written:
			tprintf(w, "  %s\twritten\tv%d -> v%d in %s\n", host, h.OldVersion, h.NewVersion, h.Latency.Round(100*time.Microsecond))
		case flags.Unchanged:
			tprintf(w, "  %s\tunchanged\talready %s at v%d\n", host, flags.OnOff(res.On), h.OldVersion)
		case flags.Unknown:
			tprintf(w, "  %s\toutcome unknown\t(the reply was lost after the write was sent; read back from Redis: %s)\n",
				host, termsafe.Escape(rb.unknownNote(h, res.On)))
		default:
			lines := wrap(termsafe.Escape(hostError(h)), errWidth)
			tprintf(w, "  %s\tFAILED\t%s\n", host, lines[0])
			for _, l := range lines[1:] {
				tprintf(w, "  \t\t%s\n", l)
			}
		}
	}
	w.Flush()
}

// outcomeWord is a host's outcome as printHostResults's second column writes it.
func outcomeWord(o flags.Outcome) string {
	switch o {
	case flags.Written:
		return "written"
	case flags.Unchanged:
		return "unchanged"
	case flags.Unknown:
		return "outcome unknown"
	}
	return "FAILED"
}

// hostError is a failed host's error as its row shows it: without what the row names
// already (the host, and the prefix and flag the plan above named).
func hostError(h flags.HostResult) string {
	msg := strings.TrimPrefix(errString(h.Err), "host "+h.Host+": ")
	if _, rest, ok := strings.Cut(msg, "\", flag "); ok && strings.HasPrefix(msg, "prefix \"") {
		if _, after, ok := strings.Cut(rest, "\": "); ok {
			msg = after
		}
	}
	// a dial error names the address again: "dial tcp 127.0.0.1:6380: connect: ..."
	return strings.ReplaceAll(msg, " "+h.Host+": ", ": ")
}

// failHint is what to do about a host's failed write, by its cause; "" when a retry helps.
func failHint(err error) string {
	switch {
	case errors.Is(err, flags.ErrNotRelayFlag):
		return "the value is not a flag as Relay stores it: this *:features hash may belong to another application, so it was left alone; " +
			"check the prefix (relaycommander flags lists the Relay's store prefixes)"
	case errors.Is(err, flags.ErrVersionRange):
		return tsprintf("the flag's stored version cannot be raised by one within 1..%d (what a JSON number holds exactly): "+
			"change this flag in LaunchDarkly, not in Redis", flags.MaxVersion)
	case errors.Is(err, flags.ErrWrongType):
		return "the key is not a hash as Relay stores its flags in: check the prefix (relaycommander flags lists the Relay's store prefixes)"
	case errors.Is(err, flags.ErrUnreadable):
		return "the flag's JSON there is unreadable: nothing was written; Relay rewrites it on its next sync from LaunchDarkly"
	}
	return ""
}

// hostsFailedErr is exit 3 when some hosts failed the write or its outcome is still unknown
// after reading them back (rb), saying what to do next (next: for failures a retry mends);
// nil when every host holds the write.
func hostsFailedErr(res flags.ToggleResult, rb readBack, next string) error {
	failed, unknown := res.FailedHosts(), rb.stillUnknown(res)
	if len(failed) == 0 && len(unknown) == 0 {
		return nil
	}
	var parts []string
	if len(failed) > 0 {
		var hints, retry []string
		for _, h := range res.Hosts {
			if h.Outcome != flags.Failed {
				continue
			}
			if hint := failHint(h.Err); hint != "" {
				if !slices.Contains(hints, hint) {
					hints = append(hints, hint)
				}
			} else {
				retry = append(retry, h.Host)
			}
		}
		msg := tsprintf("%d of %s failed (%s)", len(failed), count(len(res.Hosts), "host", "hosts"), strings.Join(failed, ", "))
		if holders := holdersNote(res, rb); holders != "" {
			msg += ": " + holders + "; " + strings.Join(failed, ", ") + " did not get it"
		} else if len(failed) == len(res.Hosts) {
			msg += ": nothing was written"
		}
		for _, h := range hints {
			msg += ". " + strings.ToUpper(h[:1]) + h[1:]
		}
		if len(retry) > 0 {
			msg += ". " + next
		}
		parts = append(parts, msg)
	}
	if len(unknown) > 0 {
		parts = append(parts, tsprintf("outcome unknown on %s: the reply was lost after the write was sent, so it may have landed; "+
			"it is not counted as failed (do not retry it): relaycommander queue reads it back from Redis and settles it once every host answers",
			strings.Join(unknown, ", ")))
	}
	return &exitErr{code: ExitPartial, msg: strings.Join(parts, "; ")}
}

// holdersNote names the hosts that hold a write's state now, and whether this write put it
// there or they already had it: "A has OFF (written now)", "A, C have OFF (written now on A;
// already so on C)". "" when none does.
func holdersNote(res flags.ToggleResult, rb readBack) string {
	var written, already []string
	for _, h := range res.Hosts {
		switch {
		case h.Outcome == flags.Written:
			written = append(written, h.Host)
		case h.Outcome == flags.Unchanged:
			already = append(already, h.Host)
		case h.Outcome == flags.Unknown && rb[h.Host].Outcome == string(flags.Written):
			written = append(written, h.Host)
		}
	}
	holders := append(slices.Clone(written), already...)
	if len(holders) == 0 {
		return ""
	}
	has := "has"
	if len(holders) > 1 {
		has = "have"
	}
	how := "written now"
	switch {
	case len(written) == 0:
		how = "already so"
	case len(already) > 0:
		how = tsprintf("written now on %s; already so on %s", strings.Join(written, ", "), strings.Join(already, ", "))
	}
	return tsprintf("%s %s %s (%s)", strings.Join(holders, ", "), has, flags.OnOff(res.On), how)
}

// reachNote says when the applications see a change made in Redis (relaycfg.Reach), and
// which setting the Relay's localTtl comes from.
func (a *app) reachNote() string {
	var b strings.Builder
	b.WriteString("How applications see it:\n")
	for _, l := range relaycfg.ReachOf(a.cfg.LocalTTL).Lines() {
		// "Label:   text", the text wrapped under itself at 80 columns
		label, text, _ := strings.Cut(l, ":")
		pad := len(text) - len(strings.TrimLeft(text, " "))
		lines := wrap(strings.TrimSpace(text), 80-2-len(label)-1-pad)
		indent := strings.Repeat(" ", 2+len(label)+1+pad)
		b.WriteString("  " + label + ":" + strings.Repeat(" ", pad) + strings.Join(lines, "\n"+indent) + "\n")
	}
	tprintf(&b, "  The Relays' localTtl is relay.local_ttl (%s, from %s).\n", a.cfg.LocalTTL, a.cfg.From("relay.local_ttl"))
	return b.String()
}
