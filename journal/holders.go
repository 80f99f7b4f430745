package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Names of the lock files other processes read the holder of (see doc.go).
const (
	ReplayLockName = replayLock
	ArmedLockName  = "armed.lock"
)

// ReplayHolder says who runs a replay on the journal in dir: the holder LockReplay wrote
// ("pid N on HOST since TIME"), or "" when none runs. The lock is not taken, so a replay
// starting meanwhile is not disturbed. A holder left by a process of this host that no longer
// exists is said to be stale.
func ReplayHolder(dir string) string { return holderOf(filepath.Join(dir, replayLock)) }

// ArmedBy says who holds the journal in dir armed (Arm): "pid N on HOST since TIME: K
// change(s) armed", or "" when nobody does. Like ReplayHolder, it takes no lock.
func ArmedBy(dir string) string { return holderOf(filepath.Join(dir, ArmedLockName)) }

// holderOf reads a lock file's holder text without taking its lock.
func holderOf(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 200))
	holder := strings.TrimSpace(string(b))
	if holder == "" {
		return ""
	}
	var pid int
	var host string
	if _, err := fmt.Sscanf(holder, "pid %d on %s", &pid, &host); err == nil && pid > 0 {
		if me, _ := os.Hostname(); host == me && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			return holder + " (stale: that process is gone; the next one takes the lock)"
		}
	}
	return holder
}

// ArmLock is the journal held armed by a guard that replays the moment LaunchDarkly answers.
type ArmLock struct {
	f     *os.File
	since time.Time
	mu    sync.Mutex
	done  bool
}

// Arm takes the armed lock (exclusive, not waiting) and writes its holder with the number of
// changes armed, for ArmedBy. A second guard on this machine fails at once, naming the holder.
func (j *Journal) Arm(changes int) (*ArmLock, error) {
	path := filepath.Join(j.dir, ArmedLockName)
	f, err := openPrivate(path)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := ArmedBy(j.dir)
			if who != "" {
				who = " (" + who + ")"
			}
			return nil, fmt.Errorf("journal %s: the replay is already armed%s; disarm it there first", j.dir, who)
		}
		return nil, fmt.Errorf("journal %s: armed lock %s: %w", j.dir, path, err)
	}
	l := &ArmLock{f: f, since: time.Now().UTC()}
	return l, l.SetCount(changes)
}

// SetCount rewrites the holder with the number of changes now armed.
func (l *ArmLock) SetCount(changes int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil
	}
	host, _ := os.Hostname()
	text := fmt.Sprintf("pid %d on %s since %s: %d change(s) armed", os.Getpid(), host, l.since.Format(time.RFC3339), changes)
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("journal: armed lock %s: %w", l.f.Name(), err)
	}
	if _, err := l.f.WriteAt([]byte(text), 0); err != nil {
		return fmt.Errorf("journal: armed lock %s: %w", l.f.Name(), err)
	}
	return nil
}

// Release empties the holder and releases the lock; later calls do nothing.
func (l *ArmLock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil
	}
	l.done = true
	l.f.Truncate(0)
	return l.f.Close() // closing releases the flock
}
