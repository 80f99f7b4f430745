package journal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relaycommander/flags"
)

func openTemp(t *testing.T) *Journal {
	t.Helper()
	j, err := Open(filepath.Join(t.TempDir(), "j"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func intp(v int) *int { return &v }

// fakeToggler records the order of journal writes and Redis writes.
type fakeToggler struct {
	j     *Journal
	calls []string
	// seen is what the journal held when the store was called.
	seen  []Entry
	fail  map[string]bool // hosts that fail
	hosts []string
}

func (f *fakeToggler) Toggle(ctx context.Context, prefix, key string, on bool, hosts ...string) flags.ToggleResult {
	entries, _, err := f.j.History(prefix, key)
	if err != nil {
		panic(err)
	}
	f.seen = entries
	f.calls = append(f.calls, "toggle "+strings.Join(hosts, ","))
	if len(hosts) == 0 {
		hosts = f.hosts
	}
	res := flags.ToggleResult{Prefix: prefix, Flag: key, On: on}
	for _, h := range hosts {
		r := flags.HostResult{Host: h, Outcome: flags.Written, OldOn: !on, OldVersion: 3, NewVersion: 4}
		if f.fail[h] {
			r = flags.HostResult{Host: h, Outcome: flags.Failed, OldVersion: 3, NewVersion: 3, Err: errors.New("connection refused")}
		}
		res.Hosts = append(res.Hosts, r)
	}
	return res
}

// RestoreAt is Toggle on the hosts named in seen, in the fake's host order.
func (f *fakeToggler) RestoreAt(ctx context.Context, prefix, key string, on bool, _ int, seen map[string]int) flags.ToggleResult {
	var hosts []string
	for _, h := range f.hosts {
		if _, ok := seen[h]; ok {
			hosts = append(hosts, h)
		}
	}
	return f.Toggle(ctx, prefix, key, on, hosts...)
}

func TestToggleWritesIntentBeforeRedis(t *testing.T) {
	j := openTemp(t)
	st := &fakeToggler{j: j, hosts: []string{"a", "b"}, fail: map[string]bool{"b": true}}
	c, res, err := j.Toggle(context.Background(), st, Change{Operator: "ann", Prefix: "ld:p:e", Flag: "f", Before: true, After: false, BaseVersion: intp(3)})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == "" || c.Time.IsZero() {
		t.Fatalf("ID and Time not filled: %+v", c)
	}
	if len(st.seen) != 1 || st.seen[0].ID != c.ID || st.seen[0].OutcomeKnown {
		t.Fatalf("when Redis was written the journal held %+v, want the intent of %s without outcome", st.seen, c.ID)
	}
	if len(res.Hosts) != 2 {
		t.Fatalf("result %+v", res)
	}
	entries, _, err := j.History("ld:p:e", "f")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !entries[0].OutcomeKnown || len(entries[0].Outcomes) != 2 ||
		entries[0].Outcomes[1].Outcome != "failed" || entries[0].Outcomes[1].Error != "connection refused" {
		t.Fatalf("entries after toggle: %+v", entries)
	}

	// Retry of the failed host: only outcomes are added, the later one wins.
	st.fail = nil
	c2, _, err := j.Toggle(context.Background(), st, Change{ID: c.ID}, res.FailedHosts()...)
	if err != nil {
		t.Fatal(err)
	}
	if c2.ID != c.ID || st.calls[1] != "toggle b" {
		t.Fatalf("retry: change %+v calls %v", c2, st.calls)
	}
	entries, _, _ = j.History("ld:p:e", "f")
	if len(entries) != 1 || len(entries[0].Outcomes) != 2 || entries[0].Outcomes[1].Outcome != "written" {
		t.Fatalf("entries after retry: %+v", entries)
	}
}

func TestToggleDoesNotWriteRedisWithoutIntent(t *testing.T) {
	j := openTemp(t)
	st := &fakeToggler{j: j, hosts: []string{"a"}}
	j.Close()
	if _, _, err := j.Toggle(context.Background(), st, Change{Prefix: "ld:p:e", Flag: "f", After: true}); err == nil {
		t.Fatal("toggle on a closed journal succeeded")
	}
	if len(st.calls) != 0 {
		t.Fatalf("Redis written without a recorded intent: %v", st.calls)
	}
}

func TestPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "relaycommander")
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.Begin(Change{Prefix: "ld:p:e", Flag: "f"}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, journalFile): 0o600, filepath.Join(dir, appendLock): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %o, want %o", path, fi.Mode().Perm(), want)
		}
	}
}
