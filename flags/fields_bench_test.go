package flags

import (
	"context"
	"fmt"
	"testing"

	"relaycommander/flags/redistest"
)

// benchPending is 50 pending changes spread over 5 prefixes of the big store, as drift
// detection watches them.
func benchPending(prefixes []string) map[string][]string {
	want := map[string][]string{}
	for i := 0; i < 50; i++ {
		p := prefixes[i%5]
		want[p] = append(want[p], fmt.Sprintf("flag-%04d", i*17%benchFlagsPerPrefix))
	}
	return want
}

// BenchmarkReadFieldsPending is drift detection's read of 50 pending flags: one round trip.
// Compare with BenchmarkFlagPerPending, the whole-prefix read per change it replaces.
func BenchmarkReadFieldsPending(b *testing.B) {
	srv := redistest.Start(b)
	want := benchPending(loadBigStore(b, srv))
	s := openStore(b, Options{}, srv)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.ReadFields(ctx, want); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFlagPerPending(b *testing.B) {
	srv := redistest.Start(b)
	want := benchPending(loadBigStore(b, srv))
	s := openStore(b, Options{}, srv)
	ctx := context.Background()
	for b.Loop() {
		for p, keys := range want {
			for _, k := range keys {
				if _, err := s.Flag(ctx, p, k); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
