package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"relaycommander/flags/fixture"
)

// relayResyncDel does what Relay does when it reconnects, as the issue measured it: DEL every
// prefix's flags, then HSET LaunchDarkly's (older) state, here the fixture's, with its
// versions. It returns when every host has been rewritten.
func (f *flow) relayResyncDel() {
	f.t.Helper()
	st := fixture.Load()
	for _, s := range f.servers {
		c := redis.NewClient(&redis.Options{Addr: s.Addr})
		for prefix := range st {
			if err := c.Del(context.Background(), prefix+":features").Err(); err != nil {
				f.t.Fatal(err)
			}
		}
		if err := st.WriteTo(context.Background(), c); err != nil {
			f.t.Fatal(err)
		}
		c.Close()
	}
}

// offEverywhere waits, at most limit, until every Redis host holds the flag OFF, and says how
// long that took.
func (f *flow) offEverywhere(prefix, key string, limit time.Duration) time.Duration {
	f.t.Helper()
	start := time.Now()
	for {
		off := true
		for i := range f.servers {
			if on, _ := f.redisFlag(i, prefix, key); on {
				off = false
			}
		}
		if off {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			f.t.Fatalf("%s still ON in Redis %s after a re-sync", key, limit)
		}
		time.Sleep(10 * time.Millisecond) // the next look; bounded by limit
	}
}

// With the UI armed, a Relay re-sync during the outage is written back within about a second,
// and the change reaches LaunchDarkly exactly once when it answers.
func TestFlowArmedHoldsTheKillAndReplaysOnce(t *testing.T) {
	const prefix, flag = "ld:web-store:production", "kill-switch-checkout"
	f := startFlow(t, 2)
	f.ld.SetUnreachable(true) // the outage
	f.selectEnv("web-store / production")
	f.filterTo(flag)
	f.toggleProtected(flag, "outage")
	f.see("2 of 2 hosts have it")
	f.keys("esc", "2")
	f.see("A arm replay")
	f.keys("A")
	f.see("ARMED: 1 change")

	// Relay reconnects somewhere and re-syncs from LaunchDarkly's old state, twice
	for range 2 {
		f.relayResyncDel()
		took := f.offEverywhere(prefix, flag, 1500*time.Millisecond)
		t.Logf("the kill was OFF again on every host %s after the re-sync", took)
		if took > 1200*time.Millisecond {
			t.Errorf("the kill came back %s after the re-sync, want about a second", took)
		}
	}
	f.see("re-asserted production/" + flag + " OFF")
	if n := f.ld.PatchCount(); n != 0 {
		t.Fatalf("%d patch(es) sent while LaunchDarkly was down", n)
	}

	// LaunchDarkly answers: the armed replay goes at once, and shows on the sync screen
	f.ld.SetUnreachable(false)
	f.keys("3")
	f.see("VERIFIED")
	f.see("replay done: 1 applied")
	f.waitFor("disarmed once replayed", func(s string) bool { return !containsLine(s, 0, "ARMED") })
	if n := f.ld.PatchCount(); n != 1 {
		t.Fatalf("LaunchDarkly got %d patches, want exactly 1", n)
	}
	if on, _, ok := f.ld.FlagState("web-store", "production", flag); !ok || on {
		t.Fatalf("LaunchDarkly has on=%v ok=%v after the armed replay", on, ok)
	}
	if n := len(f.pending()); n != 0 {
		t.Fatalf("%d pending after the armed replay", n)
	}
	for i := range f.servers {
		if on, _ := f.redisFlag(i, prefix, flag); on {
			t.Fatalf("server %d holds %s ON after the replay", i, flag)
		}
	}
}

// containsLine says line i of a frame contains s.
func containsLine(frame string, i int, s string) bool {
	lines := strings.Split(frame, "\n")
	return i < len(lines) && strings.Contains(lines[i], s)
}

// LaunchDarkly answering again while a change is pending and nothing is armed is in the banner
// at once (the next periodic check), before Relay's re-sync undoes the change.
func TestFlowBannerSaysLaunchDarklyIsBack(t *testing.T) {
	const flag = "kill-switch-checkout"
	f := startFlow(t, 2)
	f.ld.SetUnreachable(true)
	f.selectEnv("web-store / production")
	f.filterTo(flag)
	f.toggleProtected(flag, "outage")
	f.see("2 of 2 hosts have it")
	f.keys("esc")
	f.see("LaunchDarkly: unreachable")
	f.ld.SetUnreachable(false)
	back := time.Now()
	f.see("LaunchDarkly is back: Relay will undo 1 change when it reconnects. R replay now, A arm")
	if took := time.Since(back); took > 5*time.Second {
		t.Errorf("the banner took %s", took)
	}
	if n := f.ld.PatchCount(); n != 0 {
		t.Fatalf("%d patch(es) sent without the operator", n)
	}
	f.relayResyncDel()
	f.see("Relay re-sync undid 1 change: production/" + flag)
}
