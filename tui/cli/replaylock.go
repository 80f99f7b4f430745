package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// replayLockFile is the file journal.LockReplay holds for a whole replay and writes its holder
// into ("pid N on HOST since TIME"), emptied when the replay ends. journal keeps the name
// unexported; it is repeated here so that status can read the holder without taking the lock.
const replayLockFile = "replay.lock"

// replayHolder says who runs a replay on this journal: the holder LockReplay wrote, or "" when
// none runs. The lock is not taken: a replay starting meanwhile is not disturbed. A holder
// left by a replay that died (a process of this host that no longer exists) is said so.
func replayHolder(journalDir string) string {
	f, err := os.Open(filepath.Join(journalDir, replayLockFile))
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 200))
	holder := string(b)
	if holder == "" {
		return ""
	}
	var pid int
	var host string
	if _, err := fmt.Sscanf(holder, "pid %d on %s", &pid, &host); err == nil && pid > 0 {
		if me, _ := os.Hostname(); host == me && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			return holder + " (stale: that process is gone; the next replay takes the lock)"
		}
	}
	return holder
}
