package cli

import "relaycommander/journal"

// replayLockFile is the file journal.LockReplay holds for a whole replay, with its holder.
const replayLockFile = journal.ReplayLockName

// replayHolder says who runs a replay on this journal ("" when none), without taking the lock.
func replayHolder(journalDir string) string { return journal.ReplayHolder(journalDir) }
