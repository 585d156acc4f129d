package wal

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// recover reads the directory at Open: it removes leftover temporary files
// and obsolete segments and snapshots, checks the latest snapshot and the
// segments after it, truncates a torn tail, and opens the active segment.
func (l *Log) recover() error {
	names, err := l.fs.ReadDir(l.opts.Dir)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	var segs, snaps []uint64
	for _, name := range names {
		if i, ok := parseName(name, segSuffix); ok {
			segs = append(segs, i)
		} else if i, ok := parseName(name, snapSuffix); ok {
			snaps = append(snaps, i)
		} else if strings.HasSuffix(name, tmpSuffix) {
			l.log.Info("wal: removing the temporary file of an unfinished snapshot", "file", l.path(name))
			l.remove(name)
		}
	}
	slices.Sort(segs)
	slices.Sort(snaps)

	if len(snaps) > 0 {
		l.snap = snaps[len(snaps)-1]
		if l.opened, err = l.readSnapshot(l.snap); err != nil {
			return err
		}
		for _, i := range snaps[:len(snaps)-1] {
			l.remove(snapName(i)) // left by an interrupted compaction
		}
	}
	// Segments whose records are all in the snapshot are obsolete, left by
	// an interrupted compaction.
	for len(segs) > 1 && segs[1] <= l.snap+1 {
		l.remove(segName(segs[0]))
		segs = segs[1:]
	}
	if len(segs) > 0 && segs[0] > l.snap+1 {
		return &CorruptError{File: l.path(segName(segs[0])), Offset: -1,
			Reason: fmt.Sprintf("records %d to %d are missing: the first segment starts at %d and the snapshot is at %d", l.snap+1, segs[0]-1, segs[0], l.snap)}
	}

	var last uint64 // the index of the last record kept, 0 if none
	n := 0          // the segments kept
	for i, first := range segs {
		ks, more, err := l.checkSegment(first, i == len(segs)-1, last, i > 0)
		if err != nil {
			return err
		}
		if ks.size > 0 {
			l.segs = append(l.segs, ks.segment)
			last = ks.last
			n++
		}
		if !more {
			break // the log ends here
		}
	}
	for _, first := range segs[n:] {
		l.remove(segName(first))
	}
	return l.openActive(last)
}

// keptSegment is a segment kept by recovery, with the index of its last
// record.
type keptSegment struct {
	segment
	last uint64
}

// checkSegment scans the segment whose name says first. prev is the
// index of the last record before it; contiguous says whether the
// segment must start right after prev (every segment but the first).
// It returns the segment to keep (size 0: none), and false if the log
// ends here: a torn last segment, or a repair.
func (l *Log) checkSegment(first uint64, isLast bool, prev uint64, contiguous bool) (ks keptSegment, more bool, err error) {
	name := l.path(segName(first))
	f, err := l.fs.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return ks, false, fmt.Errorf("wal: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ks, false, fmt.Errorf("wal: %w", err)
	}
	size := fi.Size()
	s, err := scanSegment(f, size, nil)
	if err != nil {
		return ks, false, fmt.Errorf("wal: %w", fileErr("read", name, err))
	}
	switch {
	case s.badHeader:
	case s.first != first:
		return l.corrupt(name, 0, size, fmt.Sprintf("the header says first index %d, the name %d", s.first, first), ks)
	case contiguous && first != prev+1:
		return l.corrupt(name, 0, size, fmt.Sprintf("the segment starts at index %d, but the previous one ends at %d", first, prev), ks)
	}
	if !s.badHeader {
		ks = keptSegment{segment{first: first, size: s.end}, s.last}
	}
	if s.bad == "" {
		return ks, true, nil
	}
	reason := s.bad
	if isLast {
		// A bad record with nothing valid after it is the torn tail of a
		// write the system did not finish: drop it. Anything valid after
		// it means the damage is elsewhere.
		after := s.last
		if s.badHeader {
			after = first - 1
		}
		at, err := findRecord(f, s.end, size, after)
		if err != nil {
			return ks, false, fmt.Errorf("wal: %w", fileErr("read", name, err))
		}
		if at < 0 {
			l.log.Warn("wal: truncating a torn tail", "file", name, "offset", s.end, "dropped_bytes", size-s.end, "reason", s.bad)
			return ks, false, nil
		}
		reason = fmt.Sprintf("%s, and a valid record follows at offset %d", s.bad, at)
	}
	return l.corrupt(name, s.end, size, reason, ks)
}

// corrupt refuses a segment with a bad record at off, or, under
// Options.Repair, cuts the log there, keeping ks.
func (l *Log) corrupt(name string, off, size int64, reason string, ks keptSegment) (keptSegment, bool, error) {
	if !l.opts.Repair {
		return ks, false, &CorruptError{File: name, Offset: off, Reason: reason}
	}
	l.log.Warn("wal: repair: truncating the log at a corrupt record, later segments are deleted", "file", name, "offset", off, "dropped_bytes", size-off, "reason", reason)
	if off == 0 {
		ks = keptSegment{}
	}
	return ks, false, nil
}

// openActive opens the last kept segment for appending, truncated to its
// valid records and fsynced, or starts a new one if no record is kept
// after the snapshot; last is the index of the last record kept, 0 if
// none.
func (l *Log) openActive(last uint64) error {
	if len(l.segs) == 0 || last < l.snap {
		// Every record kept is in the snapshot (written after records that
		// were lost): start after it.
		for _, s := range l.segs {
			l.remove(segName(s.first))
		}
		l.segs = nil
		f, err := l.createSegment(l.snap + 1)
		if err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		l.active, l.activeFirst, l.activeSize = f, l.snap+1, segHeaderSize
		l.segs = []segment{{first: l.snap + 1, size: segHeaderSize}}
	} else {
		s := l.segs[len(l.segs)-1]
		name := l.path(segName(s.first))
		f, err := l.fs.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		l.active, l.activeFirst, l.activeSize = f, s.first, s.size
		fi, err := f.Stat()
		if err == nil && fi.Size() != s.size {
			err = f.Truncate(s.size)
		}
		if err == nil {
			// What the previous run wrote may still be only in the cache.
			err = f.Sync()
		}
		if err != nil {
			return fmt.Errorf("wal: recover %s: %w", name, err)
		}
	}
	l.next = max(last, l.snap) + 1
	l.durable.Store(l.next - 1)
	return nil
}

// remove deletes a file of the log, logging a failure: a file left behind
// is removed by the next Open.
func (l *Log) remove(name string) {
	if err := l.fs.Remove(l.path(name)); err != nil && !os.IsNotExist(err) {
		l.log.Warn("wal: cannot remove an obsolete file", "file", l.path(name), "err", err)
	}
}
