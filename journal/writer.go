package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// writersDir holds one lock file per process that has written an intent: the process holds an
// exclusive flock on its file until it closes the journal, and the kernel drops the lock when
// the process dies. A lock that can be taken proves its writer gone.
const writersDir = "writers"

// Writer identifies the process that recorded an intent, so that a reader can tell whether
// that process may still be writing Redis.
type Writer struct {
	PID  int    `json:"pid"`
	Host string `json:"host"`           // hostname of the machine it ran on
	Lock string `json:"lock,omitempty"` // its lock file, relative to the journal directory
}

// writer returns this Journal's identity, creating and locking its lock file on first use.
// The file is locked under a temporary name and then renamed into place, so that a lock file
// under its final name is locked for as long as its writer lives. The caller holds mu.
func (j *Journal) writer() (*Writer, error) {
	if j.self != nil {
		return j.self, nil
	}
	dir := filepath.Join(j.dir, writersDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: create %s: %w", dir, err)
	}
	sweepWriters(dir)
	host, _ := os.Hostname()
	base := fmt.Sprintf("%d-%s", os.Getpid(), newID(time.Now())[16:])
	tmp := filepath.Join(dir, "."+base+".tmp")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: create writer lock: %w", err)
	}
	name := filepath.Join(writersDir, base+".lock")
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("journal: lock %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(j.dir, name)); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("journal: writer lock: %w", err)
	}
	j.selfLock, j.selfPath = f, filepath.Join(j.dir, name)
	j.self = &Writer{PID: os.Getpid(), Host: host, Lock: name}
	return j.self, nil
}

// sweepWriters removes the lock files of writers that died without closing the journal (a
// lock that can be taken has no living owner), so that kills do not pile files up.
func sweepWriters(dir string) {
	locks, _ := filepath.Glob(filepath.Join(dir, "*.lock"))
	for _, path := range locks {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if flock(f, syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.Remove(path)
		}
		f.Close()
	}
}

// releaseWriter drops this Journal's writer lock and its file. The caller holds mu.
func (j *Journal) releaseWriter() {
	if j.selfLock == nil {
		return
	}
	os.Remove(j.selfPath)
	j.selfLock.Close()
	j.selfLock = nil
}

// writerState is what is known of an intent's writer.
type writerState int

const (
	writerGone    writerState = iota // it cannot be writing any more
	writerRunning                    // its lock is held: it may still be writing (for a while)
	writerUnknown                    // no way to tell (another machine, an older record)
)

// writerOf tells whether the writer of an intent may still be writing it. The caller holds mu.
func (j *Journal) writerOf(e *Entry) writerState {
	w := e.Writer
	if w == nil || w.Lock == "" || filepath.IsAbs(w.Lock) || filepath.Dir(w.Lock) != writersDir {
		return writerUnknown
	}
	if j.self != nil && w.Lock == j.self.Lock {
		if j.inflight[e.ID] {
			return writerRunning
		}
		return writerGone
	}
	if host, _ := os.Hostname(); w.Host != host {
		return writerUnknown // a lock on a shared directory says nothing across machines
	}
	path := filepath.Join(j.dir, w.Lock)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return writerGone // removed by its writer when it closed the journal
	}
	if err != nil {
		return writerUnknown
	}
	defer f.Close()
	switch err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return writerRunning
	case err != nil:
		return writerUnknown
	}
	// Its writer died without closing: nobody will take this lock again.
	os.Remove(path)
	return writerGone
}
