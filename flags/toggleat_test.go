package flags

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"relaycommander/flags/fixture"
	"relaycommander/flags/redistest"
)

// ToggleAt writes a host only while it holds the version the caller saw: at that version it
// writes as Toggle does; at another it writes nothing and says what the host holds; a host
// already in the requested state is unchanged; with no host named nothing is asked.
func TestToggleAtWritesOnlyTheVersionSeen(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a, b)
	ctx := context.Background()
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	v0 := int(decodeMap(t, fixture.Load()[prefix].Features[key])["version"].(float64))
	ha, hb := s.HostNames()[0], s.HostNames()[1]

	res := s.ToggleAt(ctx, prefix, key, false, map[string]int{ha: v0, hb: v0 - 1, "nowhere": v0})
	if len(res.Hosts) != 3 {
		t.Fatalf("hosts %+v; want a, b and the unknown one", res.Hosts)
	}
	if r := res.Hosts[0]; r.Host != ha || r.Outcome != Written || r.OldVersion != v0 || r.NewVersion != v0+1 {
		t.Errorf("at the version seen: %+v; want written v%d", r, v0+1)
	}
	if r := res.Hosts[1]; r.Host != hb || r.Outcome != Failed || !errors.Is(r.Err, ErrVersionMoved) ||
		r.OldVersion != v0 || !r.OldOn || r.NewVersion != v0 || !strings.Contains(r.Err.Error(), key) {
		t.Errorf("at another version: %+v; want failed with ErrVersionMoved, holding v%d on", r, v0)
	}
	if r := res.Hosts[2]; r.Host != "nowhere" || r.Outcome != Failed || r.Err == nil {
		t.Errorf("unknown host: %+v", r)
	}
	if got := decodeMap(t, b.Client().HGet(ctx, prefix+":features", key).Val()); got["on"] != true || got["version"] != float64(v0) {
		t.Errorf("b written at another version: %v", got)
	}
	if r := s.ToggleAt(ctx, prefix, key, false, map[string]int{ha: v0}).Hosts[0]; r.Outcome != Unchanged {
		t.Errorf("already off: %+v; want unchanged", r)
	}
	if res := s.ToggleAt(ctx, prefix, key, false, nil); len(res.Hosts) != 0 {
		t.Errorf("no host named: %+v; want none asked (not every host)", res.Hosts)
	}
}

// A writer (a Relay's streamed upsert) between the read and EXEC: EXEC fails, the attempt
// starts over, reads the writer's version and writes nothing.
func TestToggleAtLosesTheWatchRaceToANewerVersion(t *testing.T) {
	a := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a)
	ctx := context.Background()
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	orig := fixture.Load()[prefix].Features[key]
	v0 := int(decodeMap(t, orig)["version"].(float64))
	newer, err := SetOnAndVersion(orig, true, v0+1)
	if err != nil {
		t.Fatal(err)
	}
	var attempts []int
	beforeExec = func(_ string, attempt int) {
		attempts = append(attempts, attempt)
		if attempt == 0 {
			if err := a.Client().HSet(ctx, prefix+":features", key, newer).Err(); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { beforeExec = nil }()

	r := s.ToggleAt(ctx, prefix, key, false, map[string]int{s.HostNames()[0]: v0}).Hosts[0]
	if r.Outcome != Failed || !errors.Is(r.Err, ErrVersionMoved) || r.OldVersion != v0+1 {
		t.Errorf("%+v; want failed with ErrVersionMoved at v%d", r, v0+1)
	}
	if !reflect.DeepEqual(attempts, []int{0}) {
		t.Errorf("attempts reaching EXEC %v; want only the first, lost to the writer", attempts)
	}
	if got := a.Client().HGet(ctx, prefix+":features", key).Val(); got != newer {
		t.Errorf("stored %s; want the writer's v%d", got, v0+1)
	}
}

// RestoreAt undoes this tool's write: back to the state and the version LaunchDarkly still
// has (not old+1), only where the host holds the write's version; a host a Relay rewrote
// since keeps what the Relay wrote.
func TestRestoreAtWritesTheVersionBeforeTheWrite(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a, b)
	ctx := context.Background()
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	orig := fixture.Load()[prefix].Features[key]
	v0 := int(decodeMap(t, orig)["version"].(float64))
	ha, hb := s.HostNames()[0], s.HostNames()[1]
	for _, r := range s.Toggle(ctx, prefix, key, false).Hosts {
		if r.Outcome != Written {
			t.Fatalf("kill: %+v", r)
		}
	}
	// b's Relay streams LaunchDarkly's newer change meanwhile.
	newer, err := SetOnAndVersion(orig, false, v0+5)
	if err != nil {
		t.Fatal(err)
	}
	b.Client().HSet(ctx, prefix+":features", key, newer)

	res := s.RestoreAt(ctx, prefix, key, true, v0, map[string]int{ha: v0 + 1, hb: v0 + 1})
	if r := res.Hosts[0]; r.Host != ha || r.Outcome != Written || r.NewVersion != v0 {
		t.Errorf("restore on a: %+v; want written at v%d", r, v0)
	}
	if got := a.Client().HGet(ctx, prefix+":features", key).Val(); got != orig {
		t.Errorf("a after the restore:\n%s\nwant the flag as it was before the kill:\n%s", got, orig)
	}
	if r := res.Hosts[1]; r.Outcome != Failed || !errors.Is(r.Err, ErrVersionMoved) {
		t.Errorf("restore on b: %+v; want ErrVersionMoved", r)
	}
	if got := b.Client().HGet(ctx, prefix+":features", key).Val(); got != newer {
		t.Errorf("b after the restore: %s; want the Relay's write kept", got)
	}
}

// A restore of a change that ended where it started (off, then on again: v3 to v5, ON) still
// puts the version back, although `on` already matches: Redis ahead of LaunchDarkly would
// make a Relay skip LaunchDarkly's next changes as not newer.
func TestRestoreAtPutsTheVersionBackWhenTheStateAlreadyMatches(t *testing.T) {
	a := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a)
	ctx := context.Background()
	const prefix, key = "ld:web-store:production", "kill-switch-checkout"
	orig := fixture.Load()[prefix].Features[key]
	v0 := int(decodeMap(t, orig)["version"].(float64))
	s.Toggle(ctx, prefix, key, false)
	s.Toggle(ctx, prefix, key, true) // back on, at v0+2
	host := s.HostNames()[0]

	r := s.RestoreAt(ctx, prefix, key, true, v0, map[string]int{host: v0 + 2}).Hosts[0]
	if r.Outcome != Written || r.NewVersion != v0 {
		t.Errorf("%+v; want written at v%d", r, v0)
	}
	if got := a.Client().HGet(ctx, prefix+":features", key).Val(); got != orig {
		t.Errorf("after the restore:\n%s\nwant the flag as it was:\n%s", got, orig)
	}
	// Done already (a Relay re-synced LaunchDarkly's state): unchanged, nothing written.
	if r := s.RestoreAt(ctx, prefix, key, true, v0, map[string]int{host: v0 + 2}).Hosts[0]; r.Outcome != Unchanged {
		t.Errorf("at LaunchDarkly's state already: %+v; want unchanged", r)
	}
}
