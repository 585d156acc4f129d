package wal

import (
	"errors"
	"fmt"
)

// Errors returned by the log. Errors that wrap them add the file, index
// or cause.
var (
	// ErrClosed is returned by operations on a closed Log.
	ErrClosed = errors.New("wal: log closed")
	// ErrFailed is wrapped by every error of a Log that a failed write or
	// fsync stopped; the wrapped cause says which. Only a restart, which
	// re-reads the files, recovers.
	ErrFailed = errors.New("wal: log failed")
	// ErrCorrupt is matched by every [*CorruptError].
	ErrCorrupt = errors.New("wal: corrupt")
	// ErrLocked is returned by [Open] when another Log, in this process or
	// another, has the directory open.
	ErrLocked = errors.New("wal: directory in use by another log")
	// ErrCompacted is returned by [Log.Replay] when records it was asked
	// for were deleted by compaction: replay from the snapshot's index.
	ErrCompacted = errors.New("wal: records compacted into a snapshot")
	// ErrTooLarge is returned by [Log.Append] for a record over [MaxRecord]
	// bytes.
	ErrTooLarge = errors.New("wal: record too large")
)

// CorruptError reports a log or snapshot file that cannot be trusted: a
// bad record followed by good ones, a segment missing from the sequence,
// a corrupt snapshot. Open refuses such a directory rather than skip or
// drop records that were reported durable; the operator decides (restore
// a backup, or open once with [Options.Repair]).
type CorruptError struct {
	File   string // the file's path
	Offset int64  // the byte offset of the problem in File, or -1 for the whole file
	Reason string // what is wrong
}

// Error implements error.
func (e *CorruptError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("wal: corrupt %s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("wal: corrupt %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Is reports whether target is [ErrCorrupt].
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }
