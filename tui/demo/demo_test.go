package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"relaycommander/flags/fixture"
	"relaycommander/journal"
)

func TestDemoResyncRestoresLaunchDarklyState(t *testing.T) {
	ctx := context.Background()
	d, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := d.dir
	defer func() {
		d.Close()
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("demo directory %s left behind", dir)
		}
	}()
	if d.LaunchDarklyReachable() {
		t.Errorf("the demo's LaunchDarkly starts reachable")
	}
	if err := d.LD.Check(ctx); err == nil {
		t.Errorf("LaunchDarkly answers while unreachable")
	}
	const prefix, key = "ld:web-store:production", "beta-dashboard"
	f, err := d.Store.Flag(ctx, prefix, key)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.Primary()
	c, res, err := d.Journal.Toggle(ctx, d.Store, journal.Change{Operator: "demo", Prefix: prefix, Project: "web-store",
		Environment: "production", Flag: key, Before: before.On, After: !before.On, BaseVersion: &before.Version})
	if err != nil || len(res.FailedHosts()) != 0 || len(res.Hosts) != 2 {
		t.Fatalf("toggle in the demo: %+v %+v %v", c, res, err)
	}

	d.SetLaunchDarklyReachable(true)
	if !d.LaunchDarklyReachable() {
		t.Fatal("not reachable after SetLaunchDarklyReachable(true)")
	}
	if err := d.LD.Check(ctx); err != nil {
		t.Fatalf("LaunchDarkly back: %v", err)
	}
	// Someone changes another flag in LaunchDarkly: the re-sync must bring that too.
	d.fake.ChangeBehindBack("web-store", "production", "legacy-export", true)
	ldOn, ldVer, _ := d.fake.FlagState("web-store", "production", "legacy-export")

	if err := d.SimulateRelayResync(ctx); err != nil {
		t.Fatal(err)
	}
	fx := fixture.Load()
	for i, c := range d.clients {
		all, err := c.HGetAll(ctx, prefix+":features").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(fx[prefix].Features) {
			t.Errorf("host %d: %d flags after re-sync, want %d", i, len(all), len(fx[prefix].Features))
		}
		var got map[string]any
		json.Unmarshal([]byte(all[key]), &got)
		var want map[string]any
		json.Unmarshal([]byte(fx[prefix].Features[key]), &want)
		if got["on"] != before.On {
			t.Errorf("host %d: the manual edit survived the re-sync: %v", i, got["on"])
		}
		delete(got, "on")
		delete(got, "version")
		delete(want, "on")
		delete(want, "version")
		if g, w := mustJSON(got), mustJSON(want); g != w {
			t.Errorf("host %d: fields other than on/version changed:\n%s\n%s", i, g, w)
		}
		var legacy struct {
			On      bool
			Version int
		}
		json.Unmarshal([]byte(all["legacy-export"]), &legacy)
		if legacy.On != ldOn || legacy.Version != ldVer {
			t.Errorf("host %d: legacy-export %+v, LaunchDarkly has on=%v v%d", i, legacy, ldOn, ldVer)
		}
		if n, _ := c.Exists(ctx, prefix+":$inited").Result(); n != 1 {
			t.Errorf("host %d: no $inited after re-sync", i)
		}
	}
	// The journal notices: the pending change's Redis state no longer matches what was written.
	after, _ := d.Store.Flag(ctx, prefix, key)
	if p, _ := after.Primary(); p.On != before.On {
		t.Errorf("store still shows the edit after the re-sync")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// childEnv runs TestDemoSignalChild as the demo process of TestDemoClosesOnSignal; its value
// says how the child's UI behaves once asked to quit: "quits", or "hangs".
const childEnv = "RC_DEMO_SIGNAL_CHILD"

// TestDemoSignalChild is the demo process TestDemoClosesOnSignal sends signals to: the
// outage as the demo command starts it, with the same signal handling, and a stand-in UI.
func TestDemoSignalChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("the child process of TestDemoClosesOnSignal")
	}
	d, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, quit := context.WithCancel(context.Background())
	defer d.CloseOnSignal(quit, 200*time.Millisecond, syscall.SIGHUP, syscall.SIGTERM)()
	fmt.Printf("demo dir: %s\n", d.dir)
	if mode == "hangs" {
		<-time.After(time.Minute) // the parent's bound ends it long before
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
	}
}

// Killed by its terminal (SIGHUP, as an SSH drop does) or by SIGTERM, the demo removes its
// directory: SIGHUP used to kill it before its deferred Close, leaving the journal (with
// armed.lock when armed) in the temporary directory. A UI that does not quit does not keep
// it: the signal is raised again, and the process ends by it.
func TestDemoClosesOnSignal(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child")
	}
	for _, c := range []struct {
		mode string
		sig  syscall.Signal
	}{{"quits", syscall.SIGHUP}, {"quits", syscall.SIGTERM}, {"hangs", syscall.SIGHUP}} {
		t.Run(c.sig.String()+", the UI "+c.mode, func(t *testing.T) {
			tmp := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestDemoSignalChild$", "-test.v")
			cmd.Env = append(os.Environ(), childEnv+"="+c.mode, "TMPDIR="+tmp)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			bound := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() }) // bounds every wait below
			defer bound.Stop()
			dir := ""
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if d, ok := strings.CutPrefix(sc.Text(), "demo dir: "); ok {
					dir = d
					break
				}
			}
			if dir == "" || !strings.HasPrefix(dir, tmp) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("the child did not start the demo in %s: %q", tmp, dir)
			}
			if _, err := os.Stat(filepath.Join(dir, "journal")); err != nil {
				t.Fatalf("the demo's journal: %v", err)
			}
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			go io.Copy(io.Discard, out)
			err = cmd.Wait()
			if !bound.Stop() {
				t.Fatalf("the demo did not end within 30s of %s", c.sig)
			}
			if c.mode == "hangs" {
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != c.sig {
					t.Errorf("the hung demo ended by %v, want by %s", err, c.sig)
				}
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s left %s behind", c.sig, dir)
			}
		})
	}
}

// A demo killed where no signal can be caught (SIGKILL) leaves its directory behind; the next
// demo removes it, and leaves alone the directories of demos that still run and those
// without a demo lock (they may be a running demo of an older version).
func TestDemoRemovesKilledDemosLeftovers(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cmd := exec.Command(os.Args[0], "-test.run=^TestDemoSignalChild$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=hangs")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	bound := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() }) // bounds the waits below
	defer bound.Stop()
	killed := ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "demo dir: "); ok {
			killed = d
			break
		}
	}
	cmd.Process.Kill()
	go io.Copy(io.Discard, out)
	cmd.Wait()
	if killed == "" || !strings.HasPrefix(killed, tmp) {
		t.Fatalf("the child did not start the demo in %s: %q", tmp, killed)
	}
	if _, err := os.Stat(filepath.Join(killed, "journal")); err != nil {
		t.Fatalf("the killed demo's directory: %v", err)
	}
	unlocked := filepath.Join(tmp, "relaycommander-demo-older")
	if err := os.MkdirAll(filepath.Join(unlocked, "journal"), 0o700); err != nil {
		t.Fatal(err)
	}

	running, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("the killed demo's %s is still there", killed)
	}
	if _, err := os.Stat(unlocked); err != nil {
		t.Errorf("a directory without a demo lock was removed: %v", err)
	}
	next, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if _, err := os.Stat(running.dir); err != nil {
		t.Errorf("a running demo's directory was removed: %v", err)
	}
}
