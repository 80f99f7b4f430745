package journal

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperProcess is not a test: it is the child process the tests below start and kill.
// JOURNAL_HELPER_DIR names the journal, JOURNAL_HELPER_N how many changes (0 = until killed),
// JOURNAL_HELPER_NAME the operator. It prints "begun ID" and "completed ID" after each
// acknowledged append.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("JOURNAL_HELPER_DIR")
	if dir == "" {
		t.Skip("only run as a child process")
	}
	n, _ := strconv.Atoi(os.Getenv("JOURNAL_HELPER_N"))
	j, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if limit, _ := strconv.Atoi(os.Getenv("JOURNAL_HELPER_FSIZE")); limit > 0 {
		// A full disk, as far as files can tell: no regular file grows past limit bytes.
		signal.Ignore(syscall.SIGXFSZ)
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(limit), Max: uint64(limit)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		for i := 0; i < 2; i++ {
			_, err := j.Begin(Change{Operator: "full", Prefix: "ld:p:e", Flag: "f", Before: true, After: false, BaseVersion: intp(1)})
			fmt.Printf("append %d: %v\n", i, err)
		}
		os.Exit(0)
	}
	if addrs := os.Getenv("JOURNAL_HELPER_REDIS"); addrs != "" {
		toggleUntilKilled(j, strings.Split(addrs, ","))
	}
	if flag := os.Getenv("JOURNAL_HELPER_HANG_AFTER_INTENT"); flag != "" {
		// A writer stopped between its intent and its Redis write, until it is killed.
		c, err := j.Begin(Change{Operator: "hung", Prefix: os.Getenv("JOURNAL_HELPER_PREFIX"), Flag: flag,
			Before: true, After: false, BaseVersion: intp(n)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("begun %s\n", c.ID)
		select {}
	}
	for i := 0; n == 0 || i < n; i++ {
		c, err := j.Begin(Change{Operator: os.Getenv("JOURNAL_HELPER_NAME"), Reason: strconv.Itoa(i),
			Prefix: "ld:p:e", Flag: fmt.Sprintf("f%d", i%7), Before: i%2 == 0, After: i%2 != 0, BaseVersion: intp(i)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if n == 0 {
			fmt.Printf("begun %s\n", c.ID)
		}
		if err := j.Complete(c.ID, written); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if n == 0 {
			fmt.Printf("completed %s\n", c.ID)
		}
	}
	os.Exit(0)
}

func helper(dir, name string, n int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "JOURNAL_HELPER_DIR="+dir, "JOURNAL_HELPER_NAME="+name, "JOURNAL_HELPER_N="+strconv.Itoa(n))
	return cmd
}

// Kill the writer at random points: every acknowledged append survives and the journal opens.
func TestKilledWriterLosesNothingAcknowledged(t *testing.T) {
	trials := 25
	if testing.Short() {
		trials = 5
	}
	dir := t.TempDir()
	begun := map[string]bool{}
	completed := map[string]bool{}
	for trial := range trials {
		cmd := helper(dir, "killed", 0)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Wait for the first acknowledgement, then kill at a random moment.
		first, ok := <-lines
		if !ok {
			cmd.Wait()
			t.Fatalf("trial %d: child printed nothing: %s", trial, stderr.String())
		}
		acks := []string{first}
		deadline := time.After(time.Duration(rand.IntN(40_000)) * time.Microsecond)
	collect:
		for {
			select {
			case l := <-lines:
				acks = append(acks, l)
			case <-deadline:
				break collect
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		for l := range lines { // what it printed before dying was acknowledged too
			acks = append(acks, l)
		}
		cmd.Wait()
		for _, a := range acks {
			kind, id, _ := strings.Cut(a, " ")
			map[string]map[string]bool{"begun": begun, "completed": completed}[kind][id] = true
		}

		j, err := Open(dir)
		if err != nil {
			t.Fatalf("trial %d: the journal does not open after a kill: %v", trial, err)
		}
		if w := j.Warnings(); len(w) > 0 {
			t.Logf("trial %d: %q", trial, w)
		}
		entries, _, err := j.Log()
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]Entry{}
		for _, e := range entries {
			have[e.ID] = e
		}
		for id := range begun {
			if _, ok := have[id]; !ok {
				t.Fatalf("trial %d: acknowledged intent %s is missing", trial, id)
			}
		}
		for id := range completed {
			if e := have[id]; !e.OutcomeKnown || len(e.Outcomes) != 2 {
				t.Fatalf("trial %d: acknowledged outcome of %s is missing: %+v", trial, id, e)
			}
		}
		j.Close()
	}
	if len(begun) < trials {
		t.Fatalf("only %d appends acknowledged over %d trials", len(begun), trials)
	}
}

// Two processes appending at once: every record whole, none interleaved.
func TestConcurrentWriters(t *testing.T) {
	const n = 500
	dir := t.TempDir()
	a, b := helper(dir, "alpha", n), helper(dir, "beta", n)
	var ea, eb bytes.Buffer
	a.Stderr, b.Stderr = &ea, &eb
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	if err := a.Wait(); err != nil {
		t.Fatalf("alpha: %v %s", err, ea.String())
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("beta: %v %s", err, eb.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 4*n {
		t.Fatalf("%d lines, want %d (an intent and an outcome per change)", len(lines), 4*n)
	}
	next := map[string]int{}
	switches := 0
	last := ""
	for i, l := range lines {
		r, err := decodeRecord([]byte(l))
		if err != nil {
			t.Fatalf("line %d is not a whole record: %v: %q", i+1, err, l)
		}
		if r.Type != typeIntent {
			continue
		}
		op := r.Change.Operator
		if r.Change.Reason != strconv.Itoa(next[op]) {
			t.Fatalf("line %d: %s's change %s out of order, want %d", i+1, op, r.Change.Reason, next[op])
		}
		next[op]++
		if op != last {
			switches++
			last = op
		}
	}
	if next["alpha"] != n || next["beta"] != n {
		t.Fatalf("intents per writer %v, want %d each", next, n)
	}
	t.Logf("writers alternated %d times", switches)
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	entries, _, _ := j.Log()
	if len(entries) != 2*n {
		t.Fatalf("%d entries, want %d", len(entries), 2*n)
	}
}

// On a full disk an append fails: it says which journal could not be written, and leaves
// no empty torn-*.txt behind, however often it is tried.
func TestFullDiskAppendLeavesNoEmptyTornFile(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(Change{Operator: "ann", Prefix: "ld:p:e", Flag: "f", Before: false, After: true, BaseVersion: intp(0)}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	path := filepath.Join(dir, journalFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"v":1,"type":"intent","change":{"id":"cut sh`) // a write cut short
	f.Close()

	cmd := helper(dir, "full", 0)
	cmd.Env = append(cmd.Env, "JOURNAL_HELPER_FSIZE=8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("helper said %q", out)
	}
	for _, l := range lines {
		if !strings.Contains(l, path) || strings.HasSuffix(l, "<nil>") || strings.Contains(l, "torn-") {
			t.Errorf("%s: want an error naming the journal %s, not the torn file", l, path)
		}
	}
	torn, _ := filepath.Glob(filepath.Join(dir, "torn-*.txt"))
	if len(torn) != 0 {
		t.Errorf("failed appends left %v", torn)
	}
}
