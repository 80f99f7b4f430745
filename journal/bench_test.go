package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkAppend measures appends (one intent each) with flock and fsync.
func BenchmarkAppend(b *testing.B) {
	j, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := j.Begin(Change{Operator: "ann", Prefix: "ld:p:e", Flag: fmt.Sprintf("f%d", i%50), After: i%2 == 0, BaseVersion: intp(i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

// writeBigJournal writes n records straight to a journal file: intents with outcomes over
// 200 flags of 5 prefixes, and replay events closing most of them.
func writeBigJournal(tb testing.TB, dir string, n int) {
	tb.Helper()
	var buf []byte
	t0 := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	for i := 0; len(buf) == 0 || i < n; {
		id := newID(t0.Add(time.Duration(i) * time.Second))
		c := Change{ID: id, Time: t0.Add(time.Duration(i) * time.Second), Operator: "ann", Reason: "incident 42",
			Prefix: fmt.Sprintf("ld:shop:env%d", i%5), Project: "shop", Environment: fmt.Sprintf("env%d", i%5),
			Flag: fmt.Sprintf("flag-%d", i%200), Before: i%2 == 0, After: i%2 != 0, BaseVersion: intp(i)}
		recs := []record{
			{Type: typeIntent, Change: &c},
			{Type: typeOutcome, ID: id, Outcomes: []HostOutcome{
				{Host: "redis-a:6379", Outcome: "written", OldOn: c.Before, OldVersion: i, NewVersion: i + 1},
				{Host: "redis-b:6379", Outcome: "written", OldOn: c.Before, OldVersion: i, NewVersion: i + 1}}},
		}
		if i%3 == 0 {
			recs = append(recs, record{Type: typeReplay, Replay: &ReplayEvent{Time: c.Time, Kind: ReplayApplied,
				ChangeIDs: []string{id}, Prefix: c.Prefix, Flag: c.Flag, Desired: c.After, LDVersion: i + 7}})
		}
		for _, r := range recs {
			if i >= n {
				break
			}
			line, err := encodeRecord(r)
			if err != nil {
				tb.Fatal(err)
			}
			buf = append(buf, line...)
			i++
		}
	}
	if err := os.WriteFile(filepath.Join(dir, journalFile), buf, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkOpenPending100k opens a journal of 100,000 records and coalesces it (goal < 300 ms).
func BenchmarkOpenPending100k(b *testing.B) {
	dir := b.TempDir()
	writeBigJournal(b, dir, 100_000)
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		j, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		p, err := j.Pending()
		if err != nil || len(p) == 0 {
			b.Fatal(len(p), err)
		}
		j.Close()
	}
	// The machine is shared: CPU time per open says what the wall time would be unloaded.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPending100k is Pending on an open journal of 100,000 records that nobody appended
// to since: what a screen refresh costs.
func BenchmarkPending100k(b *testing.B) {
	dir := b.TempDir()
	writeBigJournal(b, dir, 100_000)
	j, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	b.ResetTimer()
	for b.Loop() {
		if p, err := j.Pending(); err != nil || len(p) == 0 {
			b.Fatal(len(p), err)
		}
	}
}
