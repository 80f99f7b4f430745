package journal

import (
	"bufio"
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"relaycommander/flags"
	"relaycommander/flags/redistest"
)

const (
	settlePrefix = "ld:web-store:production"
	settleFlag   = "kill-switch-checkout" // ON v3 in the fixture
)

// hostOutcomes maps each host of a change's latest entry to its outcome.
func hostOutcomes(e Entry) map[string]string {
	m := map[string]string{}
	for _, o := range e.Outcomes {
		m[o.Host] = o.Outcome
	}
	return m
}

// The writer died after the intent and after writing host a, before host b and before
// recording anything: reading Redis back settles it, once the writer is known to be gone and
// every host answers.
func TestReconcileOutcomeUnknown(t *testing.T) {
	store, _, b := twoHostStore(t)
	ctx := context.Background()
	dir := t.TempDir()

	writer, err := Open(dir) // the writing process
	if err != nil {
		t.Fatal(err)
	}
	c, err := writer.Begin(Change{Operator: "ann", Prefix: settlePrefix, Flag: settleFlag, Before: true, After: false, BaseVersion: intp(3)})
	if err != nil {
		t.Fatal(err)
	}
	if r := store.Toggle(ctx, settlePrefix, settleFlag, false, "a"); r.Hosts[0].Outcome != flags.Written {
		t.Fatalf("setup write on a: %+v", r.Hosts[0])
	}
	j, err := Open(dir) // the process that settles
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	// Its writer holds its lock: it may still be writing.
	if got, err := j.Reconcile(ctx, store, time.Hour); err != nil || len(got) != 0 {
		t.Fatalf("reconciled while its writer runs: %+v, %v", got, err)
	}
	writer.Close() // gone: no need to wait any grace

	// A host down: it may hold either state, so that host stays unknown.
	b.Stop()
	s, _ := j.Settle(ctx, store)
	if len(s.Settled) != 0 || len(s.Waiting) != 1 || len(s.Pending) != 1 || !s.Pending[0].Interrupted() {
		t.Fatalf("settled with host b down: %+v", s)
	}
	if got := hostOutcomes(s.Waiting[0]); got["a"] != "written" || got["b"] != "unknown" {
		t.Fatalf("with b down: %v, want a written and b unknown", got)
	}
	b.Restart()
	b.LoadFixture()

	got, err := j.Reconcile(ctx, store, time.Hour)
	if err != nil || len(got) != 1 || got[0].ID != c.ID {
		t.Fatalf("Reconcile = %+v, %v", got, err)
	}
	p, err := j.Pending()
	if err != nil || len(p) != 1 || p[0].Interrupted() {
		t.Fatalf("pending: %+v, %v", p, err)
	}
	e := p[0].Entries[0]
	want := map[string]string{"a": "written", "b": "failed"}
	for _, o := range e.Outcomes {
		if o.Outcome != want[o.Host] || !o.Reconciled {
			t.Errorf("host %s: %+v, want %s, reconciled", o.Host, o, want[o.Host])
		}
		if o.Host == "a" && (o.OldVersion != 3 || o.NewVersion != 4) {
			t.Errorf("host a versions: %+v", o)
		}
	}
	if again, _ := j.Reconcile(ctx, store, 0); len(again) != 0 {
		t.Errorf("reconciled twice: %+v", again)
	}
}

// Defect 1: the reply to EXEC is held past the command timeout on both hosts. The write
// landed; the journal must say so (read back at once), keep it pending, and never call it failed.
func TestToggleLostEXECReplyStaysPending(t *testing.T) {
	a := redistest.StartWithFixture(t)
	b := redistest.StartWithFixture(t)
	pa := redistest.StartProxy(t, a.Addr, 0)
	pb := redistest.StartProxy(t, b.Addr, 0)
	store, err := flags.Open([]flags.HostConfig{{Name: "a", Addr: pa.Addr}, {Name: "b", Addr: pb.Addr}},
		flags.Options{CommandTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	pa.HoldReply("exec", 400*time.Millisecond)
	pb.HoldReply("exec", 400*time.Millisecond)
	j := openTemp(t)
	ctx := context.Background()

	_, res, err := j.Toggle(ctx, store, Change{Operator: "ann", Prefix: settlePrefix, Flag: settleFlag, Before: true, After: false, BaseVersion: intp(3)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.UnknownHosts()) != 2 {
		t.Fatalf("toggle result %+v, want both unknown", res.Hosts)
	}
	pa.HoldReply("exec", 0)
	pb.HoldReply("exec", 0)
	p, err := j.Pending()
	if err != nil || len(p) != 1 {
		t.Fatalf("pending after a write whose reply was lost: %+v, %v", p, err)
	}
	if p[0].Interrupted() || p[0].Desired || len(p[0].Hosts) != 2 {
		t.Fatalf("pending %+v: want settled by reading back, desired OFF on both hosts", p[0])
	}
	for _, o := range p[0].Entries[0].Outcomes {
		if o.Outcome != "written" || o.NewVersion != 4 || !o.Reconciled {
			t.Errorf("host %s: %+v, want written v4 (read back)", o.Host, o)
		}
	}
}

// An unknown outcome that read-back cannot decide at once (the host still holds the old
// version) stays pending and unknown, and Settle decides it later as not landed.
func TestUnknownOutcomeSettledLater(t *testing.T) {
	store, _, _ := twoHostStore(t)
	j := openTemp(t)
	ctx := context.Background()
	c, err := j.Begin(Change{Operator: "ann", Prefix: settlePrefix, Flag: settleFlag, Before: true, After: false, BaseVersion: intp(3)})
	if err != nil {
		t.Fatal(err)
	}
	unknown := []HostOutcome{{Host: "a", Outcome: "unknown", OldOn: true, OldVersion: 3, NewVersion: 4, Error: "i/o timeout"},
		{Host: "b", Outcome: "written", OldOn: true, OldVersion: 3, NewVersion: 4}}
	if err := j.Complete(c.ID, unknown); err != nil {
		t.Fatal(err)
	}
	p, _ := j.Pending()
	if len(p) != 1 || !p[0].Interrupted() {
		t.Fatalf("an unknown outcome must keep the change pending and unsettled: %+v", p)
	}
	// a still holds ON v3, but the transaction may still be on its way: wait.
	s, err := j.Settle(ctx, store)
	if err != nil || len(s.Settled) != 0 || len(s.Waiting) != 1 {
		t.Fatalf("Settle right after = %+v, %v; want it left waiting", s, err)
	}
	// Past the grace, a host still at the old version did not get the write.
	settled, err := j.Reconcile(ctx, store, 0)
	if err != nil || len(settled) != 1 {
		t.Fatalf("Reconcile = %+v, %v", settled, err)
	}
	if got := hostOutcomes(settled[0]); got["a"] != "failed" || got["b"] != "written" {
		t.Errorf("outcomes after settling: %v, want a failed, b written", got)
	}
}

// Defect 4: every interrupted change of a flag is settled, not only the latest.
func TestSettleEveryInterruptedChange(t *testing.T) {
	store, _, _ := twoHostStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// off (written on both hosts, v4), then on (never written), then off again (never written).
	first, _ := w.Begin(Change{Operator: "ann", Prefix: settlePrefix, Flag: settleFlag, Before: true, After: false, BaseVersion: intp(3)})
	store.Toggle(ctx, settlePrefix, settleFlag, false)
	w.Begin(Change{Operator: "ann", Prefix: settlePrefix, Flag: settleFlag, Before: false, After: true, BaseVersion: intp(4)})
	w.Begin(Change{Operator: "ann", Prefix: settlePrefix, Flag: settleFlag, Before: false, After: false, BaseVersion: intp(4)})
	w.Close()

	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	s, err := j.Settle(ctx, store)
	if err != nil || len(s.Settled) != 3 || len(s.Waiting) != 0 {
		t.Fatalf("Settle settled %d, waiting %d, %v; want all 3 settled", len(s.Settled), len(s.Waiting), err)
	}
	if len(s.Pending) != 1 || s.Pending[0].Interrupted() || s.Pending[0].Desired {
		t.Fatalf("pending after settling: %+v", s.Pending)
	}
	got := map[string]string{}
	for _, e := range s.Pending[0].Entries {
		got[e.ID] = hostOutcomes(e)["a"] + "/" + hostOutcomes(e)["b"]
	}
	if got[first.ID] != "written/written" || len(s.Pending[0].Entries) != 2 {
		t.Errorf("entries after settling: %v; want the first written on both, the on dropped (failed), the no-op off unchanged", got)
	}
}

// Defect 3: a writer killed right after its intent wrote no host. While it runs, Settle waits
// for it; once it is killed, Settle reads Redis back at once (no fixed minute) and the change,
// which no host holds, is no longer pending.
func TestSettleWaitsOnlyForALiveWriter(t *testing.T) {
	store, _, _ := twoHostStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	cmd := helper(dir, "hung", 3)
	cmd.Env = append(cmd.Env, "JOURNAL_HELPER_HANG_AFTER_INTENT="+settleFlag, "JOURNAL_HELPER_PREFIX="+settlePrefix)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "begun ") {
		t.Fatalf("helper said %q, %v", line, err)
	}
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	s, err := j.Settle(ctx, store)
	if err != nil || len(s.Waiting) != 1 || len(s.Settled) != 0 || len(s.Pending) != 1 {
		t.Fatalf("Settle with the writer alive = %+v, %v; want the change left waiting", s, err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	s, err = j.Settle(ctx, store)
	if err != nil || len(s.Settled) != 1 || len(s.Pending) != 0 {
		t.Fatalf("Settle after the writer was killed = %+v, %v; want it settled as written nowhere", s, err)
	}
	if got := hostOutcomes(s.Settled[0]); got["a"] != "failed" || got["b"] != "failed" {
		t.Errorf("outcomes %v, want failed on both hosts", got)
	}
}

// Two writers killed after the same intent (off, from v3): Redis holds OFF v4, which only one
// of them can have written. Each version goes to one change.
func TestSettleGivesEachVersionToOneChange(t *testing.T) {
	store, _, _ := twoHostStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	for range 2 {
		w, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Begin(Change{Operator: "ann", Prefix: settlePrefix, Flag: settleFlag, Before: true, After: false, BaseVersion: intp(3)}); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	store.Toggle(ctx, settlePrefix, settleFlag, false)
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	s, err := j.Settle(ctx, store)
	if err != nil || len(s.Settled) != 2 {
		t.Fatalf("Settle = %+v, %v", s, err)
	}
	first, second := hostOutcomes(s.Settled[0]), hostOutcomes(s.Settled[1])
	if first["a"] != "written" || first["b"] != "written" || second["a"] != "failed" || second["b"] != "failed" {
		t.Errorf("outcomes %v and %v; want the first written (v4 on both), the second failed", first, second)
	}
}

// This process began a change a while ago and lost its outcome record (a full disk): it
// cannot still be writing, since every write is bounded to seconds, so Settle reads it back.
func TestSettleOwnChangePastTheGrace(t *testing.T) {
	store, _, _ := twoHostStore(t)
	ctx := context.Background()
	j := openTemp(t)
	c, err := j.Begin(Change{Time: time.Now().Add(-2 * DefaultGrace), Operator: "ann", Prefix: settlePrefix, Flag: settleFlag,
		Before: true, After: false, BaseVersion: intp(3)})
	if err != nil {
		t.Fatal(err)
	}
	store.Toggle(ctx, settlePrefix, settleFlag, false)
	s, err := j.Settle(ctx, store)
	if err != nil || len(s.Settled) != 1 || s.Settled[0].ID != c.ID {
		t.Fatalf("Settle = %+v, %v; want the change settled", s, err)
	}
	if got := hostOutcomes(s.Settled[0]); got["a"] != "written" || got["b"] != "written" {
		t.Errorf("outcomes %v, want written on both", got)
	}
}

// The hosts' versions drifted apart (a write once reached host a only), so the version the
// operator was shown (host a's) is not host b's: an interrupted write that landed on both is
// read back as written on both, judged on each host by what was recorded there before.
func TestSettleJudgesEachHostByItsOwnVersions(t *testing.T) {
	store, _, _ := twoHostStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	interrupted := func(before, after bool, base int, hosts ...string) {
		w, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Begin(Change{Operator: "gone", Prefix: settlePrefix, Flag: settleFlag, Before: before, After: after, BaseVersion: intp(base)}); err != nil {
			t.Fatal(err)
		}
		store.Toggle(ctx, settlePrefix, settleFlag, after, hosts...)
		w.Close()
	}
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	interrupted(true, false, 3, "a") // a: OFF v4, b: ON v3
	if _, err := j.Settle(ctx, store); err != nil {
		t.Fatal(err)
	}
	if _, _, err := j.Toggle(ctx, store, Change{Operator: "ann", Prefix: settlePrefix, Flag: settleFlag, Before: false, After: true, BaseVersion: intp(4)}); err != nil {
		t.Fatal(err) // a: ON v5, b: unchanged ON v3
	}
	interrupted(true, false, 5) // a: OFF v6, b: OFF v4
	s, err := j.Settle(ctx, store)
	if err != nil || len(s.Settled) != 1 {
		t.Fatalf("Settle = %+v, %v", s, err)
	}
	for _, o := range s.Settled[0].Outcomes {
		want := map[string]int{"a": 6, "b": 4}[o.Host]
		if o.Outcome != "written" || o.NewVersion != want {
			t.Errorf("host %s: %+v, want written at v%d", o.Host, o, want)
		}
	}
	if p := s.Pending; len(p) != 1 || p[0].Desired || p[0].Disagreement != "" {
		t.Errorf("pending %+v, want OFF on both hosts", p)
	}
}

// Killed writers leave their lock files behind; the next writer removes those whose lock
// nobody holds, and keeps the living writers'.
func TestDeadWritersLockFilesAreSwept(t *testing.T) {
	dir := t.TempDir()
	for range 3 {
		cmd := helper(dir, "hung", 1)
		cmd.Env = append(cmd.Env, "JOURNAL_HELPER_HANG_AFTER_INTENT=f", "JOURNAL_HELPER_PREFIX=ld:p:e")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.HasPrefix(line, "begun ") {
			t.Fatalf("helper said %q, %v", line, err)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	alive, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer alive.Close()
	if _, err := alive.Begin(Change{Operator: "ann", Prefix: "ld:p:e", Flag: "g", Before: true, After: false, BaseVersion: intp(1)}); err != nil {
		t.Fatal(err)
	}
	locks, _ := filepath.Glob(filepath.Join(dir, writersDir, "*"))
	if len(locks) != 1 || filepath.Base(locks[0]) != filepath.Base(alive.self.Lock) {
		t.Errorf("writer lock files %v, want only the living writer's %s", locks, alive.self.Lock)
	}
}
