package journal

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"relaycommander/flags"
	"relaycommander/flags/redistest"
)

// toggleUntilKilled is the child process of TestKilledTogglerQueueMatchesRedis: it toggles
// the flag back and forth on the hosts "a" and "b" through the journal until it is killed.
func toggleUntilKilled(j *Journal, addrs []string) {
	var hc []flags.HostConfig
	for i, a := range addrs {
		hc = append(hc, flags.HostConfig{Name: string(rune('a' + i)), Addr: a})
	}
	store, err := flags.Open(hc, flags.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	fmt.Println("ready")
	for {
		f, err := store.Flag(ctx, settlePrefix, settleFlag)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		cur, _ := f.Primary()
		if _, _, err := j.Toggle(ctx, store, Change{Operator: "killed", Prefix: settlePrefix, Flag: settleFlag,
			Before: cur.On, After: !cur.On, BaseVersion: intp(cur.Version)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}

// An update killed with SIGKILL at random points (between intent and write, between hosts,
// after the write, mid-append): once settled, the queue's net state is what Redis holds, and
// nothing is left waiting for the dead writer. Bounded: a fixed number of kills, a minute.
func TestKilledTogglerQueueMatchesRedis(t *testing.T) {
	const kills = 12
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	store, err := flags.Open([]flags.HostConfig{{Name: "a", Addr: a.Addr}, {Name: "b", Addr: b.Addr}}, flags.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	settled := 0
	defer func() {
		if ctx.Err() != nil {
			t.Errorf("not done within the time limit: %v", ctx.Err())
		}
		t.Logf("%d kills left %d interrupted changes, all settled", kills, settled)
	}()
	for k := 0; k < kills && ctx.Err() == nil; k++ {
		cmd := helper(dir, "killed", 0)
		cmd.Env = append(cmd.Env, "JOURNAL_HELPER_REDIS="+a.Addr+","+b.Addr)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len("ready\n"))
		if _, err := out.Read(buf); err != nil || !strings.HasPrefix(string(buf), "ready") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper did not start: %q, %v", buf, err)
		}
		time.Sleep(time.Duration(rng.IntN(40_000)) * time.Microsecond) // the random crash point
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		j, err := Open(dir)
		if err != nil {
			t.Fatalf("kill %d: the journal does not open: %v", k, err)
		}
		s, err := j.Settle(ctx, store)
		j.Close()
		if err != nil || len(s.Waiting) != 0 {
			t.Fatalf("kill %d: Settle = %d waiting, %v; want nothing left for a dead writer", k, len(s.Waiting), err)
		}
		settled += len(s.Settled)
		assertQueueMatchesRedis(ctx, t, dir, a, b)
		if t.Failed() {
			t.Fatalf("after kill %d (seed %d)", k, seed)
		}
	}
}
