package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// maxSpare is the largest batch buffer the syncer keeps for reuse; a
// larger one, left by a burst, goes to the garbage collector.
const maxSpare = 4 << 20

// Log is a write-ahead log: records with consecutive indexes, appended
// without waiting for the disk and reported durable by [Log.Durable] and
// [Log.Notify] once a background goroutine has written (and, depending on
// [SyncMode], fsynced) them. Its methods are safe for concurrent use.
type Log struct {
	opts   Options
	fs     FS
	log    *slog.Logger
	unlock func() error // releases the directory lock

	mu      sync.Mutex // guards pending, spare, next, err, closed
	pending []byte     // records appended and not yet taken by the syncer, encoded
	spare   []byte     // an empty buffer for the next pending
	next    uint64     // the index the next Append assigns
	err     error      // the failure that stopped the log (wraps ErrFailed); never reset
	closed  bool

	durable atomic.Uint64
	notify  chan struct{} // cap 1: signalled when durable advances or the log fails
	wake    chan struct{} // cap 1: signalled by Append for the syncer
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when the syncer has returned

	filesMu sync.Mutex // guards segs
	segs    []segment  // the live segments in index order; the last one is active

	// The active segment, owned by Open until it starts the syncer, then by
	// the syncer.
	active      File
	activeFirst uint64 // the index of its first record
	activeSize  int64  // its size: the header and the records written
	dirty       bool   // written to since its last fsync

	snapMu sync.Mutex // guards snap, opened; held throughout WriteSnapshot and Snapshot
	snap   uint64     // the index of the latest snapshot, 0 if none
	opened []byte     // snap's data as Open read and checked it, for the first Snapshot; then nil

	closeOnce sync.Once
	closeErr  error
}

// segment is a live segment file.
type segment struct {
	first uint64 // the index of its first record, in its name and header
	size  int64  // its size: the header and the valid records written
}

// Open opens the log in opts.Dir, creating the directory if it is missing,
// and recovers it: it checks every segment and the latest snapshot,
// truncates a torn tail (logging a warning that names the file, the
// offset and the bytes dropped), and refuses corruption anywhere else
// with a [*CorruptError]. The records it finds count as durable: Open
// fsyncs them. Call [Log.Snapshot] and [Log.Replay] to rebuild the state,
// then [Log.Append]; [Log.Close] releases the directory.
func Open(opts Options) (*Log, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	l := &Log{
		opts:   opts,
		fs:     opts.FS,
		log:    opts.Logger,
		notify: make(chan struct{}, 1),
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	_, err := l.fs.ReadDir(opts.Dir)
	created := errors.Is(err, fs.ErrNotExist)
	if err := l.fs.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("wal: create directory: %w", err)
	}
	if created {
		if err := l.fs.SyncDir(filepath.Dir(opts.Dir)); err != nil {
			return nil, fmt.Errorf("wal: fsync parent directory of %s: %w", opts.Dir, err)
		}
	}
	if l.unlock, err = l.fs.Lock(opts.Dir); err != nil {
		return nil, err
	}
	if err := l.recover(); err != nil {
		if l.active != nil {
			l.active.Close()
		}
		l.unlock()
		return nil, err
	}
	go l.run()
	return l, nil
}

// Append adds a record to the log and returns its index, one more than
// the previous record's. It does not wait for the disk: the record is
// durable once [Log.Durable] reaches its index. Append copies rec. It
// fails with [ErrClosed] after Close, with an error wrapping [ErrFailed]
// after a disk error, and with [ErrTooLarge] for a record over
// [MaxRecord] bytes.
func (l *Log) Append(rec []byte) (uint64, error) {
	if len(rec) > MaxRecord {
		return 0, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(rec), MaxRecord)
	}
	l.mu.Lock()
	switch {
	case l.closed:
		l.mu.Unlock()
		return 0, ErrClosed
	case l.err != nil:
		err := l.err
		l.mu.Unlock()
		return 0, err
	}
	index := l.next
	l.next++
	l.pending = appendRecord(l.pending, index, rec)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return index, nil
}

// Durable returns the index up to which every record is durable in the
// sense of the log's [SyncMode]: fsynced under SyncAlways, written to the
// operating system otherwise. It never decreases, and stops advancing
// for good when the log fails.
func (l *Log) Durable() uint64 { return l.durable.Load() }

// Notify returns a channel, with a buffer of one, that receives a value
// after Durable advances or the log fails (check [Log.Err]). It is meant
// for one goroutine, the log's owner, to select on alongside its other
// inputs: on a value, read Durable and release what waited for it. A
// value may be stale (Durable already read); a missed one cannot hide an
// advance, because the buffer holds one.
func (l *Log) Notify() <-chan struct{} { return l.notify }

// Last returns the index of the last record appended: the one before the
// next Append's, or the snapshot's index if no record followed it.
func (l *Log) Last() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next - 1
}

// Err returns the failure that stopped the log, which wraps [ErrFailed]
// and the write or fsync error, or nil. A stopped log accepts nothing
// more and Durable does not advance: after a failed fsync the state of
// the operating system's cache is unknown, and only a restart, which
// re-reads the files, can tell what is on disk.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close writes the records appended so far, fsyncs them (except under
// SyncNever), stops the background goroutine and releases the directory.
// It returns the log's failure if there was one. Close is idempotent:
// later calls return the first call's result.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.stop)
		<-l.done
		l.snapMu.Lock() // wait for a WriteSnapshot in progress
		defer l.snapMu.Unlock()
		l.opened = nil
		err := l.active.Close()
		if uerr := l.unlock(); err == nil {
			err = uerr
		}
		if ferr := l.Err(); ferr != nil {
			err = ferr
		}
		l.closeErr = err
	})
	return l.closeErr
}

// run is the syncer goroutine: it writes and fsyncs what Append buffered,
// one batch at a time, so that one fsync covers every record appended
// while the previous one ran (group commit).
func (l *Log) run() {
	defer close(l.done)
	var tick <-chan time.Time
	if l.opts.Sync == SyncInterval {
		t := time.NewTicker(l.opts.Interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-l.wake:
			l.flush()
		case <-tick:
			l.syncDirty()
		case <-l.stop:
			l.flush()
			if l.opts.Sync != SyncNever {
				l.syncDirty()
			}
			return
		}
	}
}

// syncDirty fsyncs the active segment if it was written to since its last
// fsync and the log has not failed, and fails the log if the fsync does.
func (l *Log) syncDirty() {
	if l.dirty && l.Err() == nil {
		if err := l.syncActive(); err != nil {
			l.fail(err)
		}
	}
}

// flush writes the pending records, fsyncs them under SyncAlways, and
// advances Durable.
func (l *Log) flush() {
	l.mu.Lock()
	if l.err != nil || len(l.pending) == 0 {
		l.mu.Unlock()
		return
	}
	batch, last := l.pending, l.next-1
	l.pending, l.spare = l.spare, nil
	l.mu.Unlock()

	err := l.write(batch)
	if err == nil && l.opts.Sync == SyncAlways {
		err = l.syncActive()
	}
	if cap(batch) <= maxSpare {
		l.mu.Lock()
		l.spare = batch[:0]
		l.mu.Unlock()
	}
	if err != nil {
		l.fail(err)
		return
	}
	l.durable.Store(last)
	l.signal()
}

// write writes a batch of encoded records, starting a new segment where
// the active one is full.
func (l *Log) write(batch []byte) error {
	for len(batch) > 0 {
		room := l.opts.SegmentBytes - l.activeSize
		n := 0 // the whole records that fit
		for n < len(batch) {
			size := recHeaderSize + int(be.Uint32(batch[n:]))
			if int64(n+size) > room && (n > 0 || l.activeSize > segHeaderSize) {
				break
			}
			n += size
		}
		if n == 0 {
			if err := l.rollover(be.Uint64(batch[8:])); err != nil {
				return err
			}
			continue
		}
		if err := l.writeActive(batch[:n]); err != nil {
			return err
		}
		batch = batch[n:]
	}
	return nil
}

// writeActive appends p to the active segment.
func (l *Log) writeActive(p []byte) error {
	n, err := writeFull(l.active, p)
	if n > 0 {
		l.dirty = true
	}
	if err != nil {
		return fileErr("write", l.path(segName(l.activeFirst)), err)
	}
	l.activeSize += int64(n)
	l.filesMu.Lock()
	l.segs[len(l.segs)-1].size = l.activeSize
	l.filesMu.Unlock()
	return nil
}

// rollover fsyncs and closes the active segment and starts one whose
// first record is first. It fsyncs in every mode, so that only the last
// segment can ever hold a torn tail.
func (l *Log) rollover(first uint64) error {
	if err := l.syncActive(); err != nil {
		return err
	}
	if err := l.active.Close(); err != nil {
		return fileErr("close", l.path(segName(l.activeFirst)), err)
	}
	f, err := l.createSegment(first)
	if err != nil {
		l.active = closedFile{}
		return err
	}
	l.active, l.activeFirst, l.activeSize, l.dirty = f, first, segHeaderSize, false
	l.filesMu.Lock()
	l.segs = append(l.segs, segment{first: first, size: segHeaderSize})
	l.filesMu.Unlock()
	return nil
}

// createSegment creates the segment whose first record is first, writes
// and fsyncs its header, and fsyncs the directory.
func (l *Log) createSegment(first uint64) (File, error) {
	name := l.path(segName(first))
	f, err := l.fs.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create segment: %w", err)
	}
	if err := writeSynced(f, name, appendSegHeader(nil, first)); err != nil {
		return nil, err
	}
	if err := l.fs.SyncDir(l.opts.Dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("fsync directory %s: %w", l.opts.Dir, err)
	}
	return f, nil
}

// writeFull writes p to f; a short write without an error is
// io.ErrShortWrite.
func writeFull(f File, p []byte) (int, error) {
	n, err := f.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}

// writeSynced writes parts to f, the file name, and fsyncs it. On error it
// closes f.
func writeSynced(f File, name string, parts ...[]byte) error {
	for _, p := range parts {
		if _, err := writeFull(f, p); err != nil {
			f.Close()
			return fileErr("write", name, err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fileErr("sync", name, err)
	}
	return nil
}

// syncActive fsyncs the active segment.
func (l *Log) syncActive() error {
	if err := l.active.Sync(); err != nil {
		return fileErr("sync", l.path(segName(l.activeFirst)), err)
	}
	l.dirty = false
	return nil
}

// fail stops the log for good after a disk error: the records not yet
// written are dropped, Append fails, and Durable stays where it is.
func (l *Log) fail(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = fmt.Errorf("%w: %w", ErrFailed, err)
		l.pending, l.spare = nil, nil
		l.log.Error("wal: log stopped after a disk error; restart to recover", "dir", l.opts.Dir, "err", err)
	}
	l.mu.Unlock()
	l.signal()
}

// signal wakes the goroutine waiting on Notify.
func (l *Log) signal() {
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

// path returns the path of a file of the log.
func (l *Log) path(name string) string { return filepath.Join(l.opts.Dir, name) }

// closedFile stands for the active segment after a failed rollover.
type closedFile struct{}

func (closedFile) ReadAt([]byte, int64) (int, error) { return 0, os.ErrClosed }
func (closedFile) Write([]byte) (int, error)         { return 0, os.ErrClosed }
func (closedFile) Close() error                      { return nil }
func (closedFile) Sync() error                       { return os.ErrClosed }
func (closedFile) Truncate(int64) error              { return os.ErrClosed }
func (closedFile) Stat() (fs.FileInfo, error)        { return nil, os.ErrClosed }
