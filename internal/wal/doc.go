// Package wal is the server's write-ahead log: an append-only sequence of
// records with consecutive indexes, written and fsynced by a background
// goroutine with group commit, plus snapshots that compact it. It stores
// bytes; what a record means (the state machine's input commands) is the
// caller's business.
//
// # Use
//
// [Open] recovers the directory. The caller rebuilds its state from
// [Log.Snapshot] and then [Log.Replay] after the snapshot's index, and
// from then on calls [Log.Append] for each input before (or as) it
// applies it. Append never waits for the disk; it returns the record's
// index. The owner of the state holds back whatever the outside world must
// not see before the input is durable (replies to clients) and releases it
// once [Log.Durable] reaches the index, selecting on [Log.Notify]
// alongside its other inputs:
//
//	case <-l.Notify():
//		if err := l.Err(); err != nil { ... stop serving: restart to recover ... }
//		release everything held for records up to l.Durable()
//
// From time to time it calls [Log.WriteSnapshot] with its state and the
// index of the last record that state includes; the segments before it
// are deleted.
//
// # Sync modes and what they can lose
//
// Every mode writes each batch of records to the operating system as soon
// as the previous batch is done, so a process crash (kill -9, panic) loses
// nothing reported durable. They differ on a power loss or kernel crash:
//
//	mode          durable means      fsyncs                    a power loss can lose
//	SyncAlways    fsynced            one per batch             nothing reported durable
//	SyncInterval  written to the OS  at most one per Interval  the last Interval
//	SyncNever     written to the OS  none                      what the OS had not written back
//
// Group commit: the goroutine takes every record appended while it was
// writing or fsyncing the previous batch, so under load one fsync covers
// many records, and with one appender at a time each record costs one
// fsync. All modes also fsync a segment when it is full, before starting
// the next one, so that only the last segment can have a torn tail, and
// fsync the directory when they create or rename a file.
//
// # Failures
//
// A failed write or fsync stops the log for good: [Log.Err] returns the
// error (wrapping [ErrFailed]), Append fails, Durable never advances
// again, and WriteSnapshot refuses. The log stops accepting writes rather
// than lying: after a failed fsync, Linux may have dropped the dirty pages
// and marked them clean, so a retry could report success for data that is
// not on disk. The state of the files is unknown until they are read
// again, so the only safe recovery is a restart: Open then trusts exactly
// what is on disk.
//
// # Recovery
//
// Open checks every segment after the latest snapshot, and the snapshot.
// A torn tail, a last record cut short, zero-filled or failing its
// checksum in the last segment with no valid record after it, is what a
// crash during a write leaves; Open truncates it and logs one warning
// naming the file, the offset and the number of bytes dropped. Every other
// problem is corruption that Open refuses with a [*CorruptError] naming the
// file and offset, rather than skip or drop records that were reported
// durable: a bad record followed by a valid one, a bad record in any
// segment but the last, a gap between segments, a corrupt snapshot.
// [Options.Repair] makes Open truncate at the first bad record instead.
// Open cannot tell bit rot from a hole that a power loss might leave in
// the bytes written after the last fsync (pages written back out of
// order, under SyncAlways only in records never reported durable), so it
// refuses both. Common Linux file systems (ext4 with data=ordered, XFS)
// show an append cut by a crash as a shorter file, which is a torn tail;
// a file system that can leave holes may need one Repair after a power
// loss.
//
// Leftover temporary snapshot files and the segments and snapshots an
// interrupted compaction left are deleted. The records found count as
// durable; Open fsyncs the last segment to make them so.
//
// # Files
//
// The directory holds segment files named after the index of their first
// record (00000000000000000001.wal: twenty decimal digits), snapshot files
// named after their index (00000000000000000042.snap), and LOCK, which
// Open locks with flock so that one Log at a time uses the directory (on
// platforms without flock there is no lock, and the directory fsync is
// skipped where directories cannot be opened). Every integer is
// big-endian; every checksum is CRC-32C (Castagnoli).
//
// A segment is a header and records:
//
//	header (24 bytes)
//	  0  8  magic "LKEYWAL\x00"
//	  8  4  format version, 1
//	 12  8  index of the segment's first record (also in its name), at least 1
//	 20  4  CRC-32C of bytes 0 to 20
//	record (16 bytes + payload), repeated to the end of the file
//	  0  4  payload length n, at most MaxRecord
//	  4  4  CRC-32C of bytes 0 to 4, then bytes 8 to 16, then the payload
//	  8  8  index: the segment's first index for its first record, then one more each
//	 16  n  payload
//
// A segment holds records up to [Options.SegmentBytes] in total (at least
// one record); the next one starts with the following index. The segments
// in a directory are contiguous: each starts one after the last index of
// the one before.
//
// A snapshot is a header and the data:
//
//	 0  8  magic "LKEYSNP\x00"
//	 8  4  format version, 1
//	12  8  index of the last record the state includes (also in its name)
//	20  8  data length n; the file is exactly 32 + n bytes
//	28  4  CRC-32C of bytes 0 to 28, then the data
//	32  n  data
//
// # Concurrency
//
// A Log's methods are safe for concurrent use. Append, Durable, Notify,
// Last and Err do not wait for the disk (Append takes a mutex that the
// background goroutine holds only to swap buffers). WriteSnapshot,
// Snapshot, Replay and Close do. Notify is meant for a single receiver.
// A value received from Notify, and a Durable read that returns i,
// synchronize after the write (and fsync, under SyncAlways) of every
// record up to i.
//
// Internal lock order: snapMu, then filesMu, then mu.
package wal
