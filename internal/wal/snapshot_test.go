package wal

import (
	"bytes"
	"errors"
	"slices"
	"syscall"
	"testing"
)

func TestSnapshotCompaction(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		opts := Options{SegmentBytes: 150}
		l := e.open(t, opts)
		if i, data, err := l.Snapshot(); i != 0 || data != nil || err != nil {
			t.Fatalf("Snapshot() of a new log = %d, %q, %v", i, data, err)
		}
		last := appendRecs(t, l, 50)
		waitDurable(t, l, last)
		segsBefore := len(e.files(t))

		if err := l.WriteSnapshot(30, []byte("state at 30")); err != nil {
			t.Fatal(err)
		}
		files := e.files(t)
		if !slices.Contains(files, snapName(30)) || len(files) >= segsBefore {
			t.Fatalf("files after the snapshot: %v (%d segments before)", files, segsBefore)
		}
		firsts := segFirsts(e, t)
		for _, f := range firsts {
			if nextFirst(firsts, f) <= 31 {
				t.Fatalf("segment %s kept though its records are all in the snapshot", segName(f))
			}
		}
		if err := l.Replay(0, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrCompacted) {
			t.Fatalf("Replay(0) after compaction: %v, want ErrCompacted", err)
		}
		checkRecs(t, l, 30, last)

		// Bad indexes are refused.
		if err := l.WriteSnapshot(last+1, nil); err == nil {
			t.Fatal("WriteSnapshot past Last succeeded")
		}
		if err := l.WriteSnapshot(0, nil); err == nil {
			t.Fatal("WriteSnapshot(0) succeeded")
		}
		if err := l.WriteSnapshot(29, nil); err == nil {
			t.Fatal("WriteSnapshot older than the current one succeeded")
		}

		// A newer snapshot replaces the older one.
		if err := l.WriteSnapshot(40, []byte("state at 40")); err != nil {
			t.Fatal(err)
		}
		if files := e.files(t); slices.Contains(files, snapName(30)) || !slices.Contains(files, snapName(40)) {
			t.Fatalf("files after the second snapshot: %v", files)
		}
		l.Close()

		l = e.open(t, opts)
		i, data, err := l.Snapshot()
		if i != 40 || string(data) != "state at 40" || err != nil {
			t.Fatalf("Snapshot() after reopen = %d, %q, %v", i, data, err)
		}
		checkRecs(t, l, 40, last)
		// A snapshot at the last index: the log is all compacted.
		if err := l.WriteSnapshot(last, []byte("all")); err != nil {
			t.Fatal(err)
		}
		checkRecs(t, l, last, last)
		next := appendRecs(t, l, 5)
		waitDurable(t, l, next)
		l.Close()
		l = e.open(t, opts)
		checkRecs(t, l, last, next)
	})
}

// segFirsts returns the first indexes of the segments in e.
func segFirsts(e *env, t *testing.T) []uint64 {
	var firsts []uint64
	for _, name := range e.files(t) {
		if i, ok := parseName(name, segSuffix); ok {
			firsts = append(firsts, i)
		}
	}
	return firsts
}

func TestCorruptSnapshot(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		l := e.open(t, Options{})
		waitDurable(t, l, appendRecs(t, l, 10))
		if err := l.WriteSnapshot(7, []byte("the state")); err != nil {
			t.Fatal(err)
		}
		l.Close()
		name := e.path(snapName(7))
		orig := e.read(t, name)
		for _, tc := range []struct {
			what    string
			content []byte
			reason  string
		}{
			{"flipped data", flip(orig, len(orig)-1), "checksum"},
			{"flipped index", flip(orig, 15), "checksum"},
			{"truncated", orig[:len(orig)-1], "bytes of data"},
			{"extended", append(bytes.Clone(orig), 0), "bytes of data"},
			{"empty", nil, "shorter than a snapshot header"},
			{"bad magic", flip(orig, 0), "magic"},
			{"wrong name", append(appendSnapHeader(nil, 6, []byte("the state")), "the state"...), "the header says index 6"},
		} {
			e.write(t, name, tc.content)
			_, err := e.tryOpen(Options{})
			wantCorrupt(t, err, name, -1, tc.reason)
			// Repair does not override a corrupt snapshot.
			_, err = e.tryOpen(Options{Repair: true})
			wantCorrupt(t, err, name, -1, tc.reason)
		}
		e.write(t, name, orig)
		l = e.open(t, Options{})
		if i, data, err := l.Snapshot(); i != 7 || string(data) != "the state" || err != nil {
			t.Fatalf("Snapshot() = %d, %q, %v", i, data, err)
		}
		// Corrupted while open: Snapshot reports it too.
		e.write(t, name, flip(orig, 40))
		if _, _, err := l.Snapshot(); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Snapshot() of a corrupted file: %v", err)
		}
	})
}

func flip(b []byte, at int) []byte {
	b = bytes.Clone(b)
	b[at] ^= 1
	return b
}

// TestSnapshotAheadOfLog: a snapshot may include records that were not
// durable yet; after a crash that lost them, the log restarts after the
// snapshot.
func TestSnapshotAheadOfLog(t *testing.T) {
	e := newMemEnv()
	m := e.fs.(*MemFS)
	l := e.open(t, Options{})
	waitDurable(t, l, appendRecs(t, l, 10))
	m.SetFaults(nil, func(name string) error {
		if parsed, ok := parseName(name[len(e.dir)+1:], segSuffix); ok && parsed == 1 {
			return syscall.EIO // records 11 and 12 are never fsynced
		}
		return nil
	})
	last := appendRecs(t, l, 2)
	if err := l.WriteSnapshot(last, []byte("state at 12")); err != nil {
		t.Fatal(err)
	}
	m.Crash(CrashDrop, nil)
	l.Close()
	m.SetFaults(nil, nil)

	l = e.open(t, Options{})
	if i, _, err := l.Snapshot(); i != 12 || err != nil {
		t.Fatalf("Snapshot() = %d, %v", i, err)
	}
	if l.Last() != 12 || l.Durable() != 12 {
		t.Fatalf("Last() = %d, Durable() = %d, want 12", l.Last(), l.Durable())
	}
	checkRecs(t, l, 12, 12)
	next := appendRecs(t, l, 3)
	waitDurable(t, l, next)
	l.Close()
	l = e.open(t, Options{})
	checkRecs(t, l, 12, 15)
	if got := segFirsts(e, t); !slices.Equal(got, []uint64{13}) {
		t.Fatalf("segments %v, want one starting at 13", got)
	}
}

// TestInterruptedCompaction: an older snapshot and obsolete segments left
// by a crash during compaction are deleted by Open.
func TestInterruptedCompaction(t *testing.T) {
	e := newMemEnv()
	m := e.fs.(*MemFS)
	opts := Options{SegmentBytes: 150}
	l := e.open(t, opts)
	waitDurable(t, l, appendRecs(t, l, 40))
	if err := l.WriteSnapshot(10, []byte("ten")); err != nil {
		t.Fatal(err)
	}
	firsts := segFirsts(e, t)
	// WriteSnapshot fsyncs the directory after the rename, not after the
	// deletions: a crash brings the deleted files back.
	if err := l.WriteSnapshot(30, []byte("thirty")); err != nil {
		t.Fatal(err)
	}
	m.Crash(CrashDrop, nil)
	l.Close()
	if got := e.files(t); !slices.Contains(got, snapName(10)) || !slices.Equal(segFirsts(e, t), firsts) {
		t.Fatalf("files after the crash: %v, want the old snapshot and segments %v back", got, firsts)
	}

	l = e.open(t, opts)
	if i, data, err := l.Snapshot(); i != 30 || string(data) != "thirty" || err != nil {
		t.Fatalf("Snapshot() = %d, %q, %v", i, data, err)
	}
	checkRecs(t, l, 30, 40)
	for _, name := range e.files(t) {
		if name == snapName(10) {
			t.Fatal("older snapshot not deleted")
		}
		if f, ok := parseName(name, segSuffix); ok && f < firsts[len(firsts)-1] {
			if next := nextFirst(firsts, f); next <= 31 {
				t.Fatalf("obsolete segment %s not deleted", name)
			}
		}
	}
}

func nextFirst(firsts []uint64, f uint64) uint64 {
	for _, x := range firsts {
		if x > f {
			return x
		}
	}
	return 1<<64 - 1
}

func TestSnapshotWriteFailure(t *testing.T) {
	e := newMemEnv()
	m := e.fs.(*MemFS)
	l := e.open(t, Options{SegmentBytes: 150})
	last := appendRecs(t, l, 30)
	waitDurable(t, l, last)
	if err := l.WriteSnapshot(10, []byte("ten")); err != nil {
		t.Fatal(err)
	}
	files := e.files(t)
	m.SetFaults(nil, func(name string) error {
		if bytes.HasSuffix([]byte(name), []byte(tmpSuffix)) {
			return syscall.EIO
		}
		return nil
	})
	if err := l.WriteSnapshot(20, []byte("twenty")); !errors.Is(err, syscall.EIO) {
		t.Fatalf("WriteSnapshot with a failing fsync: %v", err)
	}
	m.SetFaults(nil, nil)
	if got := e.files(t); !slices.Equal(got, files) {
		t.Fatalf("files after a failed snapshot: %v, want %v", got, files)
	}
	if names, _ := m.ReadDir(e.dir); slices.ContainsFunc(names, func(n string) bool { return bytes.HasSuffix([]byte(n), []byte(tmpSuffix)) }) {
		t.Fatalf("temporary file left: %v", names)
	}
	if l.Err() != nil {
		t.Fatalf("a failed snapshot stopped the log: %v", l.Err())
	}
	if i, data, _ := l.Snapshot(); i != 10 || string(data) != "ten" {
		t.Fatalf("Snapshot() = %d, %q", i, data)
	}
	checkRecs(t, l, 10, last)
	waitDurable(t, l, appendRecs(t, l, 1))
}

// TestSnapshotReadOnceAtOpen: the first Snapshot after Open returns what
// Open read and checked instead of reading the file again; later calls
// read it.
func TestSnapshotReadOnceAtOpen(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		l := e.open(t, Options{})
		last := appendRecs(t, l, 5)
		if err := l.WriteSnapshot(last, []byte("the state")); err != nil {
			t.Fatal(err)
		}
		l.Close()
		l = e.open(t, Options{})
		name := e.path(snapName(last))
		orig := e.read(t, name)
		e.write(t, name, flip(orig, 40))
		if i, data, err := l.Snapshot(); i != last || string(data) != "the state" || err != nil {
			t.Fatalf("first Snapshot() = %d, %q, %v; want %d, the state Open read", i, data, err, last)
		}
		if _, _, err := l.Snapshot(); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("second Snapshot() of a file corrupted since Open: %v", err)
		}
	})
}
