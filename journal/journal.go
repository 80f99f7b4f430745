package journal

// The file format, the locks and the repairs are described in doc.go.

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// File names inside the journal directory.
const (
	journalFile = "journal.jsonl"
	appendLock  = "journal.lock" // exclusive around every append, shared around every read
	replayLock  = "replay.lock"  // exclusive for the whole of a replay
	archiveDir  = "archive"
)

// Journal is an open journal directory. It is safe for concurrent use, and several processes
// may share one directory.
type Journal struct {
	dir  string
	path string

	mu     sync.Mutex // serialises this process's use of everything below
	lock   *os.File   // the append lock file, kept open for flock
	closed bool

	st     *state
	ino    uint64 // identity of the file st was read from; a new file (archived) restarts
	offset int64  // bytes of complete lines read into st
	lines  int    // lines read into st
	noNL   bool   // the last read line had no newline (an appender will add it)

	warnings []string
	warned   map[string]bool

	self     *Writer         // this Journal as the writer of its intents; nil until the first
	selfLock *os.File        // held with flock while the journal is open
	selfPath string          // its path
	inflight map[string]bool // change ids begun here whose outcome is not recorded yet
}

// DefaultDir is $XDG_STATE_HOME/relaycommander (or ~/.local/state/relaycommander).
// It is "" when neither XDG_STATE_HOME nor the home directory is known.
func DefaultDir() string {
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "relaycommander")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".local", "state", "relaycommander")
}

// Open opens (creating 0700) the journal directory and reads what it holds. Warnings (a torn
// last line ignored) are available from Warnings.
func Open(dir string) (*Journal, error) {
	if dir == "" {
		dir = DefaultDir()
		if dir == "" {
			return nil, errors.New("journal: no directory given and neither XDG_STATE_HOME nor HOME is set")
		}
	}
	j := &Journal{dir: dir, path: filepath.Join(dir, journalFile), st: newState(), warned: map[string]bool{}, inflight: map[string]bool{}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: create directory %s: %w", dir, err)
	}
	if err := j.tighten(dir, 0o700, true); err != nil {
		return nil, err
	}
	lock, err := openPrivate(filepath.Join(dir, appendLock))
	if err != nil {
		return nil, err
	}
	j.lock = lock
	if _, err := os.Stat(j.path); err == nil {
		if err := j.tighten(j.path, 0o600, false); err != nil {
			lock.Close()
			return nil, err
		}
	}
	if err := j.refresh(); err != nil {
		lock.Close()
		return nil, err
	}
	return j, nil
}

// tighten makes sure path is not readable by others: the journal names operators and reasons.
func (j *Journal) tighten(path string, perm os.FileMode, wantDir bool) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if fi.IsDir() != wantDir {
		return fmt.Errorf("journal: %s is not a %s", path, map[bool]string{true: "directory", false: "regular file"}[wantDir])
	}
	if fi.Mode().Perm()&^perm == 0 {
		return nil
	}
	if err := os.Chmod(path, perm); err != nil {
		return fmt.Errorf("journal: %s has mode %o, wanted %o, and it cannot be changed: %w", path, fi.Mode().Perm(), perm, err)
	}
	if fi, err = os.Stat(path); err != nil || fi.Mode().Perm()&^perm != 0 {
		return fmt.Errorf("journal: %s still has a wider mode than %o after chmod", path, perm)
	}
	j.warn(fmt.Sprintf("journal: %s was readable by others: mode changed to %o", path, perm))
	return nil
}

// openPrivate opens (creating 0600) a file of the journal directory for locking.
func openPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	return f, nil
}

func (j *Journal) warn(w string) {
	if !j.warned[w] {
		j.warned[w] = true
		j.warnings = append(j.warnings, w)
	}
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

// refresh reads what other processes appended, under the shared lock so that no append is
// half-seen. The caller holds mu or is Open.
func (j *Journal) refresh() error {
	if j.closed {
		return fmt.Errorf("journal %s is closed", j.dir)
	}
	if err := flock(j.lock, syscall.LOCK_SH); err != nil {
		return fmt.Errorf("journal: lock %s: %w", j.lock.Name(), err)
	}
	defer flock(j.lock, syscall.LOCK_UN)
	return j.readNew()
}

// readNew reads the complete lines appended since the last read. The caller holds the file
// lock, shared or exclusive.
func (j *Journal) readNew() error {
	f, err := os.Open(j.path)
	if errors.Is(err, os.ErrNotExist) {
		if j.ino != 0 {
			j.reset(0) // archived by someone: an empty journal
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	ino := fi.Sys().(*syscall.Stat_t).Ino
	size := fi.Size()
	if ino != j.ino || size < j.offset {
		j.reset(ino)
	}
	if size == j.offset {
		return nil
	}
	data := make([]byte, size-j.offset)
	if _, err := f.ReadAt(data, j.offset); err != nil && err != io.EOF {
		return fmt.Errorf("journal: read %s: %w", j.path, err)
	}
	if j.noNL && data[0] == '\n' {
		// The newline an appender added after a record whose own newline had been lost.
		data = data[1:]
		j.offset++
		j.noNL = false
	}
	if j.offset == 0 {
		j.st = newStateSized(len(data) / 200) // records are some 200 bytes
	}
	p, perr := parseRecordsParallel(data, j.path, j.lines+1, j.st.apply)
	j.offset += p.consumed
	j.lines += p.lines
	if p.consumed > 0 {
		j.noNL = data[p.consumed-1] != '\n'
	}
	if perr != nil {
		return perr
	}
	if p.torn != nil {
		j.warn(fmt.Sprintf("journal %s line %d: torn last line ignored (%d bytes without newline, a write cut short); "+
			"every earlier record is kept, and the fragment is saved to a torn-*.txt file before the next append",
			j.path, j.lines+1, len(p.torn)))
	}
	return nil
}

func (j *Journal) reset(ino uint64) {
	j.st = newState()
	j.ino, j.offset, j.lines, j.noNL = ino, 0, 0, false
}

// appendRecords writes the records build returns as whole lines with one write call, and
// fsyncs, under the exclusive lock. build sees the up-to-date state first and may refuse.
func (j *Journal) appendRecords(build func(*state) ([]record, error)) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("journal %s is closed", j.dir)
	}
	if err := flock(j.lock, syscall.LOCK_EX); err != nil {
		return fmt.Errorf("journal: lock %s: %w", j.lock.Name(), err)
	}
	defer flock(j.lock, syscall.LOCK_UN)
	if err := j.readNew(); err != nil {
		return fmt.Errorf("nothing recorded: %w", err)
	}
	recs, err := build(j.st)
	if err != nil {
		return err
	}
	var buf []byte
	for _, r := range recs {
		b, err := encodeRecord(r)
		if err != nil {
			return fmt.Errorf("journal: encode %s record: %w", r.Type, err)
		}
		buf = append(buf, b...)
	}
	_, statErr := os.Lstat(j.path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("journal: open %s: %w", j.path, err)
	}
	defer f.Close()
	prefix, err := j.repairTail(f)
	if err != nil {
		return err
	}
	buf = append(prefix, buf...)
	size, _ := f.Seek(0, io.SeekEnd)
	n, err := f.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		if n > 0 {
			f.Truncate(size) // a part written on a full disk would be a torn line: cut it off again
		}
		return fmt.Errorf("journal: write %s: %w", j.path, causeOf(err))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("journal: fsync %s (the record may not be durable): %w", j.path, err)
	}
	if created {
		if err := syncDir(j.dir); err != nil {
			return err
		}
	}
	return j.readNew()
}

// repairTail handles a file that does not end with a newline before an append: a record that
// lost only its newline gets it (returned as a prefix for the write), and a torn fragment is
// saved aside to a torn-*.txt file and cut off, so the next line starts clean.
func (j *Journal) repairTail(f *os.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return nil, err
	}
	size := fi.Size()
	r := f
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, size-1); err != nil {
		return nil, fmt.Errorf("journal: read %s: %w", j.path, err)
	}
	if last[0] == '\n' {
		return nil, nil
	}
	// Read back far enough to find the last newline (records are small).
	const chunk = 1 << 16
	start := max(size-chunk, 0)
	tail := make([]byte, size-start)
	if _, err := r.ReadAt(tail, start); err != nil && err != io.EOF {
		return nil, fmt.Errorf("journal: read %s: %w", j.path, err)
	}
	if tail[len(tail)-1] == '\n' {
		return nil, nil
	}
	nl := bytes.LastIndexByte(tail, '\n')
	if nl < 0 && start > 0 {
		return nil, fmt.Errorf("journal %s: the last line is longer than %d bytes without newline; repair it by hand", j.path, chunk)
	}
	frag := tail[nl+1:]
	if _, err := decodeRecord(frag); err == nil {
		return []byte{'\n'}, nil
	}
	saved := filepath.Join(j.dir, "torn-"+time.Now().UTC().Format("20060102T150405.000000000Z")+".txt")
	if err := saveAside(saved, frag); err != nil {
		return nil, fmt.Errorf("journal %s: nothing appended: its torn last line (%d bytes) could not be saved aside first: %w",
			j.path, len(frag), err)
	}
	if err := f.Truncate(start + int64(nl+1)); err != nil {
		return nil, fmt.Errorf("journal: cut torn last line of %s: %w", j.path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("journal: fsync %s: %w", j.path, err)
	}
	j.warn(fmt.Sprintf("journal %s: torn last line (%d bytes) moved to %s", j.path, len(frag), saved))
	return nil, nil
}

// saveAside writes data to a new file, durably. On failure (a full disk) it removes the file
// again, so failed appends leave nothing behind, and returns the cause alone: the caller names
// the journal it concerns.
func saveAside(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return causeOf(err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return causeOf(err)
	}
	return syncDir(filepath.Dir(path))
}

// causeOf is a file operation's error without the path it names.
func causeOf(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// syncDir makes a created or renamed directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("journal: fsync directory %s: %w", dir, err)
	}
	return nil
}

// newID is a time-sortable random id: 16 hex digits of Unix nanoseconds, 16 random.
func newID(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixNano()))
	rand.Read(b[8:])
	return hex.EncodeToString(b[:])
}

// osOperator names the operator when configuration does not: the OS user.
func osOperator() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// Begin records a change's intent, fsynced, before any Redis write. It fills ID and Time when
// empty and returns the change as recorded.
func (j *Journal) Begin(c Change) (Change, error) {
	if c.Prefix == "" || c.Flag == "" {
		return c, fmt.Errorf("journal: a change needs a prefix and a flag (got prefix %q, flag %q)", c.Prefix, c.Flag)
	}
	if c.Time.IsZero() {
		c.Time = time.Now().UTC()
	}
	if c.ID == "" {
		c.ID = newID(c.Time)
	}
	if c.Operator == "" {
		c.Operator = osOperator()
	}
	j.mu.Lock()
	w, err := j.writer()
	if err == nil {
		c.Writer = w
		j.inflight[c.ID] = true // until Complete: a Settle in this process must wait for it
	}
	j.mu.Unlock()
	if err != nil {
		return c, fmt.Errorf("journal %s: nothing recorded: %w", j.dir, err)
	}
	err = j.appendRecords(func(s *state) ([]record, error) {
		if _, dup := s.byID[c.ID]; dup {
			return nil, fmt.Errorf("journal %s: change id %s is already recorded (%s %s)", j.path, c.ID, c.Prefix, c.Flag)
		}
		return []record{{Type: typeIntent, Change: &c}}, nil
	})
	if err != nil {
		j.doneWriting(c.ID)
	}
	return c, err
}

// doneWriting marks a change begun here as no longer being written by this process.
func (j *Journal) doneWriting(id string) {
	j.mu.Lock()
	delete(j.inflight, id)
	j.mu.Unlock()
}

// Complete appends a change's per-host outcomes.
func (j *Journal) Complete(id string, outcomes []HostOutcome) error {
	if outcomes == nil {
		outcomes = []HostOutcome{}
	}
	defer j.doneWriting(id)
	return j.appendRecords(func(s *state) ([]record, error) {
		if _, ok := s.byID[id]; !ok {
			return nil, fmt.Errorf("journal %s: no change %s to complete", j.path, id)
		}
		return []record{{Type: typeOutcome, ID: id, Outcomes: outcomes}}, nil
	})
}

var replayKinds = []ReplayKind{ReplayAttempted, ReplayApplied, ReplayInSync, ReplayConflict, ReplayFailed,
	ReplayDiscarded, ReplayVerified, ReplayMismatch}

// RecordReplay appends a replay event.
func (j *Journal) RecordReplay(e ReplayEvent) error {
	known := false
	for _, k := range replayKinds {
		known = known || e.Kind == k
	}
	if !known {
		return fmt.Errorf("journal: unknown replay kind %q for %s %s", e.Kind, e.Prefix, e.Flag)
	}
	if len(e.ChangeIDs) == 0 {
		return fmt.Errorf("journal: %s replay event for %s %s names no change", e.Kind, e.Prefix, e.Flag)
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	return j.appendRecords(func(*state) ([]record, error) {
		return []record{{Type: typeReplay, Replay: &e}}, nil
	})
}

// Dir is the journal's directory.
func (j *Journal) Dir() string { return j.dir }

// Warnings lists what was tolerated while reading, such as a torn last line.
func (j *Journal) Warnings() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.warnings)
}

// Pending returns the pending changes coalesced per (prefix, flag), oldest first.
func (j *Journal) Pending() ([]Pending, error) {
	var p []Pending
	err := j.read(func(s *state) { p = s.pending() })
	return p, err
}

// History returns every change of one (prefix, flag), and its replay events, oldest first.
func (j *Journal) History(prefix, flag string) ([]Entry, []ReplayEvent, error) {
	var entries []Entry
	var events []ReplayEvent
	err := j.read(func(s *state) { entries, events = s.history(prefix, flag) })
	return entries, events, err
}

// Log returns every recorded change and every replay event, oldest first.
func (j *Journal) Log() ([]Entry, []ReplayEvent, error) {
	var entries []Entry
	var events []ReplayEvent
	err := j.read(func(s *state) { entries, events = s.log() })
	return entries, events, err
}

// read refreshes from the file and runs f on the state.
func (j *Journal) read(f func(*state)) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.refresh(); err != nil {
		return err
	}
	f(j.st)
	return nil
}

// LockReplay takes the exclusive replay lock; a second replay on this machine fails at once
// with an error naming the journal.
func (j *Journal) LockReplay() (unlock func() error, err error) {
	path := filepath.Join(j.dir, replayLock)
	f, err := openPrivate(path)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 200))
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who != "" {
				who = " (" + who + ")"
			}
			return nil, fmt.Errorf("journal %s: a replay is already running%s; wait for it to finish", j.dir, who)
		}
		return nil, fmt.Errorf("journal %s: replay lock %s: %w", j.dir, path, err)
	}
	// Say who holds it, for the message another replayer gets.
	if err := f.Truncate(0); err == nil {
		host, _ := os.Hostname()
		fmt.Fprintf(f, "pid %d on %s since %s", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	}
	var once sync.Once
	return func() error {
		var err error
		once.Do(func() {
			f.Truncate(0)
			err = f.Close() // closing releases the flock
		})
		return err
	}, nil
}

// Archive moves a journal with nothing pending under archive/ with a timestamp; never deletes.
func (j *Journal) Archive() (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return "", fmt.Errorf("journal %s is closed", j.dir)
	}
	if err := flock(j.lock, syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("journal: lock %s: %w", j.lock.Name(), err)
	}
	defer flock(j.lock, syscall.LOCK_UN)
	if err := j.readNew(); err != nil {
		return "", fmt.Errorf("nothing archived: %w", err)
	}
	if p := j.st.pending(); len(p) > 0 {
		var names []string
		for i, x := range p {
			if i == 5 {
				names = append(names, fmt.Sprintf("and %d more", len(p)-5))
				break
			}
			names = append(names, x.Prefix+" "+x.Flag)
		}
		return "", fmt.Errorf("journal %s: nothing archived: %d flags still have pending changes (%s); replay or discard them first",
			j.dir, len(p), strings.Join(names, ", "))
	}
	if _, err := os.Stat(j.path); err != nil {
		return "", fmt.Errorf("journal %s: nothing to archive: %w", j.dir, err)
	}
	adir := filepath.Join(j.dir, archiveDir)
	if err := os.MkdirAll(adir, 0o700); err != nil {
		return "", fmt.Errorf("journal: create %s: %w", adir, err)
	}
	if err := j.tighten(adir, 0o700, true); err != nil {
		return "", err
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	dest := filepath.Join(adir, "journal-"+stamp+".jsonl")
	for n := 2; ; n++ {
		if _, err := os.Lstat(dest); errors.Is(err, os.ErrNotExist) {
			break
		}
		dest = filepath.Join(adir, fmt.Sprintf("journal-%s-%d.jsonl", stamp, n))
	}
	if err := os.Rename(j.path, dest); err != nil {
		return "", fmt.Errorf("journal: archive %s: %w", j.path, err)
	}
	if err := syncDir(adir); err != nil {
		return dest, err
	}
	if err := syncDir(j.dir); err != nil {
		return dest, err
	}
	j.reset(0)
	return dest, nil
}

// Close releases the journal.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	j.releaseWriter()
	return j.lock.Close()
}
