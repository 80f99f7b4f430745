package flags

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"relaycommander/flags/redistest"
)

func readProgressively(t *testing.T, s *Store, prefix string) []FlagsRead {
	t.Helper()
	var reads []FlagsRead
	s.FlagsProgressive(context.Background(), prefix, func(r FlagsRead) { reads = append(reads, r) })
	if len(reads) != len(s.hosts) {
		t.Fatalf("%d deliveries for %d hosts", len(reads), len(s.hosts))
	}
	for i, r := range reads {
		if r.Done() != (i == len(reads)-1) {
			t.Fatalf("delivery %d of %d: Done %v (reading %v)", i+1, len(reads), r.Done(), r.Reading)
		}
	}
	return reads
}

// A hung host (SIGSTOP) cannot answer before its timeout: the live host's flags come first,
// the hung host marked as still reading (not down), then the last step marks it down.
func TestFlagsProgressiveDeliversTheLiveHostFirst(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	timeout := 300 * time.Millisecond
	s := openStore(t, Options{DialTimeout: timeout, CommandTimeout: timeout}, a, b)
	b.Pause()
	defer b.Resume()

	reads := readProgressively(t, s, "ld:web-store:production")
	first, last := reads[0], reads[1]
	if first.Err != nil || len(first.Set.Flags) != 10 || !reflect.DeepEqual(first.Reading, []string{"relay-b"}) {
		t.Fatalf("first step: err %v, %d flags, reading %v", first.Err, len(first.Set.Flags), first.Reading)
	}
	if h := first.Set.Hosts; !h[0].Up || h[1].Up || !errors.Is(h[1].Err, ErrStillReading) {
		t.Fatalf("first step hosts %+v", h)
	}
	for _, f := range first.Set.Flags {
		if !f.Hosts[0].Present || !f.Hosts[1].HostDown {
			t.Fatalf("first step %s: %+v", f.Key, f.Hosts)
		}
		if got := f.Agreement().ShortDown(); got != "1 up, 1 down" {
			t.Fatalf("first step %s agreement %q", f.Key, got)
		}
	}
	if last.Err != nil || len(last.Set.Flags) != 10 {
		t.Fatalf("last step: err %v, %d flags", last.Err, len(last.Set.Flags))
	}
	if h := last.Set.Hosts; !h[0].Up || h[1].Up || h[1].Err == nil || errors.Is(h[1].Err, ErrStillReading) {
		t.Fatalf("last step hosts %+v", h)
	}
}

// No verdict on a prefix while the host that may hold it is still reading.
func TestFlagsProgressiveWaitsForAVerdictOnThePrefix(t *testing.T) {
	a := redistest.Start(t) // empty: no prefix
	b := redistest.StartWithFixture(t)
	timeout := 300 * time.Millisecond
	s := openStore(t, Options{DialTimeout: timeout, CommandTimeout: timeout}, a, b)
	b.Pause()
	defer b.Resume()

	reads := readProgressively(t, s, "ld:web-store:production")
	if !errors.Is(reads[0].Err, ErrStillReading) || errors.Is(reads[0].Err, ErrUnknownPrefix) {
		t.Fatalf("first step: %v", reads[0].Err)
	}
	if !errors.Is(reads[1].Err, ErrUnknownPrefix) {
		t.Fatalf("last step: %v", reads[1].Err)
	}
}

// With every host answering, the last step is what Flags reads.
func TestFlagsProgressiveEndsAsFlags(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	s := openStore(t, Options{}, a, b)
	const prefix = "ld:web-store:production"
	want, err := s.Flags(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	reads := readProgressively(t, s, prefix)
	last := reads[len(reads)-1]
	if last.Err != nil || !reflect.DeepEqual(last.Set.Flags, want.Flags) {
		t.Fatalf("last step differs from Flags: %v\n%+v\n%+v", last.Err, last.Set.Flags, want.Flags)
	}
	for i, h := range last.Set.Hosts {
		if !h.Up || h.Err != nil || h.Host != want.Hosts[i].Host {
			t.Fatalf("host %d: %+v", i, h)
		}
	}
	if _, err := s.Flags(context.Background(), "ld:nope:nope"); !errors.Is(err, ErrUnknownPrefix) {
		t.Fatal(err)
	}
	if r := readProgressively(t, s, "ld:nope:nope"); !errors.Is(r[1].Err, ErrUnknownPrefix) {
		t.Fatalf("unknown prefix: %v", r[1].Err)
	}
}
