package wal

import (
	"bytes"
	"fmt"
	"os"
)

// Replay calls fn with every record whose index is over after, in index
// order, up to the last record written when Replay started; fn may keep
// rec. Replay stops at fn's first error and returns it. Records before
// the oldest segment were compacted into a snapshot: asking for them
// fails with [ErrCompacted] (replay after [Log.Snapshot]'s index). Replay
// is meant for start-up, before the first Append, but is safe at any
// time.
func (l *Log) Replay(after uint64, fn func(index uint64, rec []byte) error) error {
	type part struct {
		f     File
		first uint64
		size  int64
	}
	var parts []part
	defer func() {
		for _, p := range parts {
			p.f.Close()
		}
	}()
	// Open the files under filesMu, so that compaction cannot delete one
	// first; an open file stays readable.
	err := func() error {
		l.filesMu.Lock()
		defer l.filesMu.Unlock()
		if l.isClosed() {
			return ErrClosed
		}
		if first := l.segs[0].first; after+1 < first {
			return fmt.Errorf("%w: asked for records after %d, the oldest kept is %d", ErrCompacted, after, first)
		}
		for i, s := range l.segs {
			if i+1 < len(l.segs) && l.segs[i+1].first <= after+1 {
				continue // every record is at or before after
			}
			f, err := l.fs.OpenFile(l.path(segName(s.first)), os.O_RDONLY, 0)
			if err != nil {
				return fmt.Errorf("wal: replay: %w", err)
			}
			parts = append(parts, part{f, s.first, s.size})
		}
		return nil
	}()
	if err != nil {
		return err
	}
	var fnErr error
	for _, p := range parts {
		name := l.path(segName(p.first))
		s, err := scanSegment(p.f, p.size, func(index uint64, rec []byte) error {
			if index <= after {
				return nil
			}
			fnErr = fn(index, bytes.Clone(rec))
			return fnErr
		})
		switch {
		case fnErr != nil:
			return fnErr
		case err != nil:
			return fmt.Errorf("wal: replay: %w", fileErr("read", name, err))
		case s.bad != "":
			return &CorruptError{File: name, Offset: s.end, Reason: s.bad + " (the file changed after Open)"}
		case s.first != p.first:
			return &CorruptError{File: name, Offset: 0, Reason: "the header changed after Open"}
		}
	}
	return nil
}
