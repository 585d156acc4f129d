package wal

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// SyncMode says when the log fsyncs, and so what a power loss can take
// back. No mode loses anything on a process crash: a record reported
// durable has at least been written to the operating system.
type SyncMode int

const (
	// SyncAlways reports a record durable only after an fsync that
	// covers it returned. Group commit: one fsync covers every record
	// appended while the previous one ran. A power loss loses nothing
	// that was reported durable.
	SyncAlways SyncMode = iota
	// SyncInterval reports a record durable once it is written to the
	// operating system, and fsyncs at most once per [Options.Interval].
	// A power loss loses up to the last Interval of records.
	SyncInterval
	// SyncNever reports a record durable once it is written to the
	// operating system and leaves flushing to the operating system. A
	// power loss loses what the operating system had not written back
	// (on Linux, typically up to 30 seconds).
	SyncNever
)

var syncModeNames = [...]string{SyncAlways: "always", SyncInterval: "interval", SyncNever: "never"}

// String returns the mode's name: "always", "interval" or "never".
func (m SyncMode) String() string {
	if m >= 0 && int(m) < len(syncModeNames) {
		return syncModeNames[m]
	}
	return fmt.Sprintf("SyncMode(%d)", int(m))
}

// ParseSyncMode returns the mode named s ("always", "interval" or
// "never"), for flags and configuration files.
func ParseSyncMode(s string) (SyncMode, error) {
	for m, name := range syncModeNames {
		if s == name {
			return SyncMode(m), nil
		}
	}
	return 0, fmt.Errorf("wal: unknown sync mode %q (want always, interval or never)", s)
}

// Defaults for the zero values of [Options].
const (
	DefaultInterval     = 100 * time.Millisecond
	DefaultSegmentBytes = 64 << 20
)

// MaxRecord is the largest record [Log.Append] accepts, in bytes.
const MaxRecord = 64 << 20

// Options configures [Open]. Only Dir is required.
type Options struct {
	// Dir is the log's directory, created (mode 0700) if missing. It holds
	// the segment files, the snapshots and a LOCK file; one Log at a time
	// may have it open.
	Dir string
	// Sync says when records are fsynced; the zero value is SyncAlways.
	Sync SyncMode
	// Interval is the longest time between fsyncs under SyncInterval;
	// zero means DefaultInterval. Other modes ignore it.
	Interval time.Duration
	// SegmentBytes is the size at which the log starts a new segment
	// file; zero means DefaultSegmentBytes. A segment holds at least one
	// record, so a record larger than this gets a segment of its own.
	SegmentBytes int64
	// Repair makes Open truncate the log at the first bad record even when
	// good records follow it (corruption in the middle), deleting them and
	// every later segment, with a warning. Without it, Open refuses such a
	// log with a [*CorruptError]. Corrupt snapshots are refused regardless.
	Repair bool
	// Logger receives recovery warnings and failures; nil discards them.
	Logger *slog.Logger
	// FS is the file system the log works on; nil means the operating
	// system's. It is for tests, which inject failures and crashes
	// through it (see [MemFS]).
	FS FS
}

// Validate reports the first invalid field of o.
func (o *Options) Validate() error {
	switch {
	case o.Dir == "":
		return errors.New("wal: Options.Dir is required")
	case o.Sync < SyncAlways || o.Sync > SyncNever:
		return fmt.Errorf("wal: invalid Options.Sync %v", o.Sync)
	case o.Interval < 0:
		return fmt.Errorf("wal: negative Options.Interval %v", o.Interval)
	case o.SegmentBytes < 0:
		return fmt.Errorf("wal: negative Options.SegmentBytes %d", o.SegmentBytes)
	}
	return nil
}

// withDefaults returns o with its zero values replaced by the defaults.
func (o Options) withDefaults() Options {
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.FS == nil {
		o.FS = osFS{}
	}
	return o
}
