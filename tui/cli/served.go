package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"relaycommander/flags"
	"relaycommander/relaycfg/relayapi"
	"relaycommander/tui/termsafe"
)

// This file is update --wait-served: after a write, ask each configured Relay what it
// serves (relayapi.WaitServed) until all serve the new state or the time-out passes.

// servedJSON is the serving check in update --json.
type servedJSON struct {
	Checked   bool              `json:"checked"`
	Reason    string            `json:"reason,omitempty"` // why it was not checked
	TimeoutMS float64           `json:"timeoutMs,omitempty"`
	Relays    []servedRelayJSON `json:"relays"`
	Stale     []string          `json:"stale"` // Relays that did not serve the new state at the time-out
}

// servedRelayJSON is one Relay's answer.
type servedRelayJSON struct {
	Relay       string  `json:"relay"`
	Served      bool    `json:"served"`
	AfterMS     float64 `json:"afterMs"` // served: since the write; else how long it was asked
	LastOn      bool    `json:"lastOn"`
	LastVersion int     `json:"lastVersion"`
	Refused     bool    `json:"sdkKeyRefused,omitempty"` // this Relay does not serve the environment
	Error       string  `json:"error,omitempty"`
	Text        string  `json:"text"`
}

// servedCheck is what the serving check needs from the write.
type servedCheck struct {
	prefix, flag string
	on           bool
	res          flags.ToggleResult
	written      time.Time
	timeout      time.Duration // 0: twice relay.local_ttl
}

// waitServed runs the serving check and prints each Relay's answer as it comes. The result is
// for --json; the error is exit 3 when some Relay does not serve the new state at the end.
func (a *app) waitServed(ctx context.Context, out io.Writer, c servedCheck) (*servedJSON, error) {
	sj := &servedJSON{Relays: []servedRelayJSON{}, Stale: []string{}}
	version, ok := writtenVersion(c.res)
	if reason := a.notCheckable(c.prefix, ok); reason != "" {
		sj.Reason = reason
		fmt.Fprintf(out, "Not checked whether the Relays serve it: %s.\n", reason)
		return sj, nil
	}
	timeout := a.servedTimeout(c.timeout)
	sj.Checked, sj.TimeoutMS = true, ms(timeout)
	fmt.Fprintf(out, "Asking each Relay (%d) what it serves of %s, about once a second, for up to %s:\n", len(a.cfg.Relays), termsafe.Escape(c.flag), timeout)
	if a.cfg.LocalTTL < 0 {
		fmt.Fprintln(out, "  relay.local_ttl is negative: a Relay caches forever and serves the change only after a restart.")
	}
	check := relayapi.ServeCheck{
		Relays:   a.cfg.Relays,
		SDKKeys:  map[string]relayapi.SDKKey{c.prefix: a.cfg.SDKKeys[c.prefix]},
		Flags:    []relayapi.Expect{{Prefix: c.prefix, Flag: c.flag, On: c.on, Version: version}},
		Written:  c.written,
		LocalTTL: a.cfg.LocalTTL,
		Timeout:  timeout,
	}
	results := relayapi.WaitServed(ctx, check, func(s relayapi.Served) {
		fmt.Fprintf(out, "  %s\n", a.servedLine(s))
	})
	for _, s := range results {
		sj.Relays = append(sj.Relays, a.servedRelay(s))
		if stale(s) {
			sj.Stale = append(sj.Stale, s.Relay.Name)
		}
	}
	if len(sj.Stale) > 0 {
		verb := "do not serve"
		if len(results) == 1 {
			verb = "does not serve"
		}
		return sj, &exitErr{code: ExitPartial, msg: fmt.Sprintf("%d of %s %s %s %s yet (%s): restart them, or run relaycommander status",
			len(sj.Stale), count(len(results), "Relay", "Relays"), verb, termsafe.Escape(c.flag), flags.OnOff(c.on), termsafe.Escape(strings.Join(sj.Stale, ", ")))}
	}
	return sj, nil
}

// notCheckable says why the serving check cannot run, or "".
func (a *app) notCheckable(prefix string, written bool) string {
	switch {
	case !written:
		return "no Redis host took the write"
	case len(a.cfg.Relays) == 0:
		return "no Relays configured (list them under relays:, or set RC_RELAYS=relay-a=http://relay-a:8030,...)"
	}
	if _, ok := a.cfg.SDKKeys[prefix]; !ok {
		return fmt.Sprintf("no SDK key for prefix %s (name the environment variable holding it under relay.sdk_keys, "+
			"or RC_RELAY_SDK_KEYS=%s=VARIABLE, or list the Relay's configuration under relay_configs)", termsafe.Escape(prefix), termsafe.Escape(prefix))
	}
	return ""
}

// servedTimeout is --served-timeout, else twice relay.local_ttl (2s when Relay has no cache;
// twice Relay's default when it caches forever: a restart may still come).
func (a *app) servedTimeout(flag time.Duration) time.Duration {
	switch ttl := a.cfg.LocalTTL; {
	case flag > 0:
		return flag
	case ttl > 0:
		return 2 * ttl
	case ttl == 0:
		return 2 * time.Second
	default:
		return 2 * relayapi.DefaultLocalTTL
	}
}

// writtenVersion is the lowest version the hosts that took the write hold now: a Relay
// serving it (or newer) with the new state serves the change.
func writtenVersion(res flags.ToggleResult) (int, bool) {
	v, ok := 0, false
	for _, h := range res.Hosts {
		var hv int
		switch h.Outcome {
		case flags.Written:
			hv = h.NewVersion
		case flags.Unchanged:
			hv = h.OldVersion
		default:
			continue
		}
		if !ok || hv < v {
			v, ok = hv, true
		}
	}
	return v, ok
}

// stale is a Relay that, asked until the end, did not serve the new state (a Relay refusing
// the SDK key does not serve the environment at all: it is not waited for).
func stale(s relayapi.Served) bool {
	return !s.Served && !errors.Is(s.Err, relayapi.ErrSDKKeyRefused)
}

// servedLine is one Relay's answer, with what to do when it still serves the old state.
func (a *app) servedLine(s relayapi.Served) string {
	line := termsafe.Escape(s.String())
	if s.Served || s.Err != nil {
		return line
	}
	if s.LastOn == s.Expect.On { // the same state, from before the write: say which version
		line = fmt.Sprintf("%s still serves %s v%d (the write made v%d) after %.1f s", termsafe.Escape(s.Relay.Name),
			termsafe.Escape(s.Expect.Flag), s.LastVersion, s.Expect.Version, s.After.Seconds())
	}
	if ttl := a.cfg.LocalTTL; ttl < 0 {
		return line + " (localTtl negative: cached forever): restart it"
	}
	return fmt.Sprintf("%s (localTtl %s): restart it or wait", line, a.cfg.LocalTTL)
}

func (a *app) servedRelay(s relayapi.Served) servedRelayJSON {
	return servedRelayJSON{Relay: s.Relay.Name, Served: s.Served, AfterMS: ms(s.After), LastOn: s.LastOn, LastVersion: s.LastVersion,
		Refused: errors.Is(s.Err, relayapi.ErrSDKKeyRefused), Error: errString(s.Err), Text: a.servedLine(s)}
}
