package wal

import (
	"fmt"
	"os"
	"slices"
)

// Snapshot returns the latest snapshot's index and data, read from its
// file and checked, or 0, nil, nil if there is none. A snapshot that
// fails its check is a [*CorruptError] naming the file. The first call
// after Open returns the data Open read and checked, rather than read the
// file twice at start-up.
func (l *Log) Snapshot() (index uint64, data []byte, err error) {
	l.snapMu.Lock()
	defer l.snapMu.Unlock()
	if l.isClosed() {
		return 0, nil, ErrClosed
	}
	if l.snap == 0 {
		return 0, nil, nil
	}
	if data, l.opened = l.opened, nil; data != nil {
		return l.snap, data, nil
	}
	data, err = l.readSnapshot(l.snap)
	if err != nil {
		return 0, nil, err
	}
	return l.snap, data, nil
}

// WriteSnapshot stores data as the state after the record at index and
// compacts the log: it writes a temporary file, fsyncs it, renames it
// into place and fsyncs the directory, so that a crash leaves either the
// old snapshot or the new one; then it deletes the older snapshot and the
// segments whose records are all at or before index. The index must be
// that of a record appended ([Log.Last] at most), durable or not, and not
// older than the current snapshot. WriteSnapshot blocks on the disk: call
// it from a goroutine that can wait, with data the caller no longer
// changes. A failure leaves the previous snapshot and every segment in
// place and does not stop the log.
func (l *Log) WriteSnapshot(index uint64, data []byte) error {
	l.snapMu.Lock()
	defer l.snapMu.Unlock()
	l.mu.Lock()
	closed, failed, last := l.closed, l.err, l.next-1
	l.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case failed != nil:
		return failed
	case index == 0 || index > last:
		return fmt.Errorf("wal: snapshot index %d is not that of a record appended (1 to %d)", index, last)
	case index < l.snap:
		return fmt.Errorf("wal: snapshot index %d is older than the current snapshot's %d", index, l.snap)
	}
	name := l.path(snapName(index))
	tmp := name + tmpSuffix
	if err := l.writeFile(tmp, appendSnapHeader(nil, index, data), data); err != nil {
		l.remove(snapName(index) + tmpSuffix)
		return fmt.Errorf("wal: write snapshot: %w", err)
	}
	if err := l.fs.Rename(tmp, name); err != nil {
		l.remove(snapName(index) + tmpSuffix)
		return fmt.Errorf("wal: write snapshot: %w", err)
	}
	if err := l.fs.SyncDir(l.opts.Dir); err != nil {
		return fmt.Errorf("wal: write snapshot: fsync directory %s: %w", l.opts.Dir, err)
	}
	old := l.snap
	l.snap, l.opened = index, nil
	if old != 0 && old != index {
		l.remove(snapName(old))
	}
	l.compact(index)
	return nil
}

// writeFile creates name with the concatenation of parts and fsyncs it.
func (l *Log) writeFile(name string, parts ...[]byte) error {
	f, err := l.fs.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if err := writeSynced(f, name, parts...); err != nil {
		return err
	}
	return f.Close()
}

// compact deletes the segments whose records are all at or before index;
// the active segment stays.
func (l *Log) compact(index uint64) {
	l.filesMu.Lock()
	n := 0
	for n+1 < len(l.segs) && l.segs[n+1].first <= index+1 {
		n++
	}
	drop := slices.Clone(l.segs[:n])
	l.segs = slices.Delete(l.segs, 0, n)
	l.filesMu.Unlock()
	for _, s := range drop {
		l.remove(segName(s.first))
	}
}

// readSnapshot reads and checks the snapshot at index.
func (l *Log) readSnapshot(index uint64) ([]byte, error) {
	name := l.path(snapName(index))
	f, err := l.fs.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("wal: read snapshot: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("wal: read snapshot: %w", err)
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil && len(b) > 0 {
		return nil, fmt.Errorf("wal: read snapshot: %w", fileErr("read", name, readErr(err)))
	}
	got, data, bad := parseSnapshot(b)
	if bad == "" && got != index {
		bad = fmt.Sprintf("the header says index %d, the name %d", got, index)
	}
	if bad != "" {
		return nil, &CorruptError{File: name, Offset: -1, Reason: bad}
	}
	return data, nil
}

// isClosed reports whether Close was called.
func (l *Log) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}
