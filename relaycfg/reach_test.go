package relaycfg

import (
	"strings"
	"testing"
	"time"
)

func TestReachOf(t *testing.T) {
	cases := []struct {
		ttl      time.Duration
		sees     RelaySees
		relay    string
		sentence string
	}{
		// Regression (issue 10): zero is no cache, not "unset, so 30s".
		{0, RelaySeesNow, "now: localTtl 0, Relay reads Redis on every request",
			"Reaches Relay now (localTtl 0: Relay reads Redis on every request); "},
		{30 * time.Second, RelaySeesWithinTTL, "within its localTtl (30s)", "Reaches Relay within its localTtl (30s); "},
		{1500 * time.Millisecond, RelaySeesWithinTTL, "within its localTtl (1.5s)", "Reaches Relay within its localTtl (1.5s); "},
		{-1, RelaySeesAfterRestart, "only after Relay restarts: its localTtl is negative (cache forever)",
			"Relay caches forever (negative localTtl): it sees this only after a restart; "},
	}
	for _, c := range cases {
		r := ReachOf(c.ttl)
		if r.Relay != c.sees || r.RelayWhen != c.relay || r.LocalTTL != c.ttl {
			t.Errorf("ReachOf(%v) = %+v; want %v, %q", c.ttl, r, c.sees, c.relay)
		}
		lines := r.Lines()
		if len(lines) != 3 || lines[0] != "Relay:                        "+c.relay ||
			lines[1] != "SDKs in daemon mode on Redis: within their own cache TTL (Go SDK default 15s)" ||
			lines[2] != "SDKs streaming from Relay:    only after Relay restarts (Redis edits send no stream event)" {
			t.Errorf("ReachOf(%v).Lines() = %q", c.ttl, lines)
		}
		want := c.sentence + "SDKs streaming from Relay see it only after Relay restarts; daemon-mode SDKs within their cache TTL (Go SDK default 15s)."
		if got := r.Sentence(); got != want {
			t.Errorf("ReachOf(%v).Sentence() =\n %q, want\n %q", c.ttl, got, want)
		}
		if strings.Contains(r.Sentence(), "30s") && c.ttl != 30*time.Second {
			t.Errorf("ReachOf(%v) mentions the default: %q", c.ttl, r.Sentence())
		}
	}
}

func TestEffectiveLocalTTL(t *testing.T) {
	if got := (Config{}).EffectiveLocalTTL(); got != DefaultLocalTTL {
		t.Errorf("unset: %v, want %v", got, DefaultLocalTTL)
	}
	if got := (Config{LocalTTLSet: true}).EffectiveLocalTTL(); got != 0 {
		t.Errorf("set to 0: %v, want 0", got)
	}
	if got := (Config{LocalTTL: -time.Second, LocalTTLSet: true}).EffectiveLocalTTL(); got != -time.Second {
		t.Errorf("negative: %v", got)
	}
}
