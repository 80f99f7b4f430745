// Package journal is the durable record of every offline change made in Redis and of its
// replay to LaunchDarkly: append-only JSON Lines, fsynced, under an exclusive file lock. The
// Journal type and its methods are in journal.go, toggle.go, settle.go, discard.go and
// import.go; drift.go finds pending changes that Redis no longer holds; the records and views
// other packages exchange with it are in api.go.
//
// # Files
//
// The journal directory (default $XDG_STATE_HOME/relaycommander, mode 0700) holds:
//
//	journal.jsonl      the records, one JSON object per line, oldest first (mode 0600)
//	journal.lock       flock'd exclusive around every append, shared around every read
//	replay.lock        flock'd exclusive for a whole replay; says who holds it (ReplayHolder)
//	armed.lock         flock'd exclusive while a guard holds the replay armed (Arm); says
//	                   who, since when and how many changes (ArmedBy)
//	writers/*.lock     one per process that recorded an intent, flock'd while it runs
//	                   (removed on close; a killed writer's by the next writer)
//	torn-*.txt         a last line cut short by a crash, saved aside before the next append
//	archive/           journals archived once nothing was pending (never deleted)
//
// Records are only ever appended. A later record never rewrites an earlier one: it adds to
// it (an outcome to an intent, a replay event to changes), so the file reads as a history.
// Several processes may share the directory; each reads only what was appended since its
// last read, and a replaced file (archived) afresh.
//
// # Records
//
// Every line has "v" (the schema version, 1) and "type": "intent", "outcome" or "replay".
//
// An intent is one operator's change, written and fsynced before Redis is touched:
//
//	{"v":1,"type":"intent","change":{"id":"18ed1b9fe8317000d0eb836e4c54d9fd",
//	 "time":"2026-12-01T10:50:00Z","operator":"ann","reason":"checkout errors",
//	 "prefix":"ld:web-store:production","project":"web-store","environment":"production",
//	 "flag":"kill-switch-checkout","before":true,"after":false,"baseVersion":3,
//	 "writer":{"pid":15018,"host":"vm","lock":"writers/15018-8694d07c73e84a00.lock"}}}
//
// id is unique and sorts by time (16 hex digits of Unix nanoseconds, 16 random); before and
// after are "on" as shown to the operator and as asked; baseVersion is the flag's version
// when shown (null for changes imported from relayCommander, whose "source" is
// "relaycommander"); project and environment are absent when the prefix maps to none; writer
// names the process that made the change (pid, hostname, and its lock file: while that
// file's flock is held, the process may still be writing Redis).
//
// An outcome is the result of writing Redis, per host, for the change named by "id":
//
//	{"v":1,"type":"outcome","id":"18ed1b9fe8317000d0eb836e4c54d9fd","outcomes":[
//	 {"host":"relay-a","outcome":"written","oldOn":true,"oldVersion":3,"newVersion":4},
//	 {"host":"relay-b","outcome":"unknown","oldOn":true,"oldVersion":3,"newVersion":4,
//	  "error":"host relay-b: ... outcome unknown: ... i/o timeout"}]}
//
// outcome is "written" (newVersion = oldVersion+1 now holds the requested state), "unchanged"
// (the host already held it; nothing written), "failed" (nothing written; error says why) or
// "unknown" (the error came after the transaction was sent: the write may have landed, and
// newVersion is the version it would have produced). oldOn and oldVersion are what the write
// read on that host. A change may have several outcome records: a retry of failed hosts, or
// settling; for each host the latest record counts. "reconciled":true marks an outcome read
// back from Redis afterwards instead of reported by the write.
//
// "reasserted":true marks a re-assertion (Reassert): the same change written again on a host
// where a Relay full sync had written LaunchDarkly's old state back, with LaunchDarkly still at
// the change's baseVersion. It is recorded only where it landed ("written"), so it never
// replaces a host's written outcome with a failure; it produces the same version as the
// original write (the version before it, +1), so the net state and settling read it like the
// original, and the replay still sends the change once. Its write-ahead record is the change's
// own intent, still pending: a crash before the outcome leaves Redis holding what the journal
// already says. Only the latest, settled change of a flag whose hosts agree is re-asserted.
//
// A replay record is one step of replaying changes to LaunchDarkly:
//
//	{"v":1,"type":"replay","replay":{"time":"2026-12-01T11:50:00Z","kind":"applied",
//	 "changeIds":["18ed1b9fe8317000d0eb836e4c54d9fd"],"prefix":"ld:web-store:production",
//	 "flag":"kill-switch-checkout","desired":false,"ldVersion":4,"ldOn":false,
//	 "ldModified":"2026-12-01T11:50:00Z","by":"bob"}}
//
// kind is "attempted" (a patch is about to be sent), "applied" (ldVersion is LaunchDarkly's
// version after it), "in-sync" (LaunchDarkly already had the desired state), "conflict" (ld*
// is the state that conflicts), "failed" (error), "discarded" (by and why), "verified" or
// "mismatch" (read back after the replay). applied, in-sync and discarded close every change
// in changeIds; the others leave them pending. "forced":true marks a conflict overwritten by
// the operator's decision.
//
// # Pending changes and their net state
//
// A change is pending until a closing replay record names it, unless every host's outcome is
// failed (it changed nothing). The pending changes of one (prefix, flag) are replayed as one:
// its desired state is the state of the write that landed last on each host, which is what
// Redis holds, whatever order the intents were recorded in. A write whose intent was recorded
// after another write's outcome came after it, even with a lower version (a Relay full sync
// in between rewrites LaunchDarkly's older version); writes that overlapped in time are
// ordered by the versions they produced. When the hosts hold different changes' states, the
// pending change says so (Pending.Disagreement) and is not replayed. A
// LaunchDarkly version that an applied, in-sync or verified record shows this tool produced
// is no conflict in a later replay.
//
// # How unknown outcomes are settled
//
// A change is unsettled while its intent has no outcome record (its writer stopped between
// the two) or a host's outcome is "unknown". It stays pending, and is never replayed, until
// Settle reads the flag back from every host:
//
//   - An intent without outcome waits for its writer: not at all when its writer lock can be
//     taken or its file is gone (the process ended), else until one minute after the intent
//     (the writer still runs, is on another machine, or the record names none; no write
//     takes that long).
//   - On each host, our write produced version old+1 with the requested state. For an
//     "unknown" outcome, old is what the write read there (oldVersion). For an intent
//     without outcome it is not known, and taken to be at least the lower of baseVersion and the
//     last version recorded on that host before the intent.
//   - Evidence comes from the host's current state and from the other changes' outcomes on
//     that host recorded after the intent (what they read and wrote): earlier ones may date
//     from before a Relay full sync, which reuses older version numbers. A version another
//     change's write produced is not ours.
//   - Written: the host holds old+1 with the requested state (for an intent without outcome:
//     holds the requested state at a version no other change produced, and is not simply
//     unchanged since the last write before the intent), or a later change read that state
//     at that version. Unchanged: the host held the requested state already.
//   - Failed: the host is still at old, or no record shows our state there since. For an
//     "unknown" reported by the write itself, a host still at old counts only once the intent
//     is a minute old: the transaction may still be on its way.
//   - Still unknown: the host did not answer; or, for an "unknown" reported by the write, it
//     holds a version older than old: rewritten since (a Relay full sync), so whether our
//     write landed cannot be told, and the operator decides (discard it, or set the flag
//     again).
//   - What Settle finds is appended as an outcome record with "reconciled":true. A change
//     that no host holds ends failed everywhere and is no longer pending. An unknown outcome
//     stops holding the flag up once a write begun after it was recorded lands on that host.
//
// Right after a write whose outcome is unknown, the writer reads the hosts back once and
// records those that hold the write: a Relay full sync later would erase the proof.
//
// # Crashes and repairs
//
// Every append takes journal.lock, writes whole lines with one write call, fsyncs and
// unlocks; readers take the shared lock, so nobody sees half a line of a live writer. A last
// line without newline that does not parse is a write cut short by a crash: it is ignored
// with a warning, and the next append saves it to torn-*.txt and cuts it off (on a full disk
// that append fails, naming the journal, and leaves nothing behind). Any other malformed line
// stops Open and every append with a *LineError naming file and line: repair it by hand
// (keep a copy); nothing written after it is lost meanwhile.
package journal
