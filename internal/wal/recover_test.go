package wal

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// checkWarn checks that logs is exactly one warning with every one of
// the given key=value fields.
func checkWarn(t *testing.T, logs []string, fields ...string) {
	t.Helper()
	if len(logs) != 1 || !strings.Contains(logs[0], "level=WARN") {
		t.Fatalf("logged %q, want one warning", logs)
	}
	for _, f := range fields {
		if !strings.Contains(logs[0], f) {
			t.Fatalf("warning %q lacks %q", logs[0], f)
		}
	}
}

// wantCorrupt checks that err is a *CorruptError on file at offset.
func wantCorrupt(t *testing.T, err error, file string, offset int64, reason string) {
	t.Helper()
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open: %v, want a *CorruptError", err)
	}
	if ce.File != file || ce.Offset != offset || !strings.Contains(ce.Reason, reason) {
		t.Fatalf("Open: %v, want file %s, offset %d, reason containing %q", err, file, offset, reason)
	}
	if !strings.Contains(err.Error(), file) {
		t.Fatalf("error %q does not name the file", err)
	}
}

// TestTornTail cuts the last record at every byte and flips every bit of
// it: Open drops it with one warning, and the log continues after it.
func TestTornTail(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		l := e.open(t, Options{})
		waitDurable(t, l, appendRecs(t, l, 3))
		l.Close()
		seg := e.path(segName(1))
		full := e.read(t, seg)
		start := len(full) - (recHeaderSize + len(rec(3)))

		check := func(t *testing.T, damaged []byte, what string) {
			t.Helper()
			e.write(t, seg, damaged)
			l := e.open(t, Options{})
			checkWarn(t, e.logs.take(), "torn tail", "file="+seg, fmt.Sprintf("offset=%d", start),
				fmt.Sprintf("dropped_bytes=%d", len(damaged)-start))
			checkRecs(t, l, 0, 2)
			if i, err := l.Append(rec(3)); err != nil || i != 3 {
				t.Fatalf("%s: Append after recovery = %d, %v", what, i, err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if got := e.read(t, seg); !bytes.Equal(got, full) {
				t.Fatalf("%s: the segment after recovery and append differs from the original", what)
			}
		}
		for cut := start + 1; cut < len(full); cut++ {
			check(t, full[:cut], fmt.Sprintf("cut at %d", cut))
		}
		for at := start; at < len(full); at++ {
			for bit := range 8 {
				damaged := bytes.Clone(full)
				damaged[at] ^= 1 << bit
				check(t, damaged, fmt.Sprintf("bit %d of byte %d flipped", bit, at))
			}
		}
		check(t, append(bytes.Clone(full[:start]), make([]byte, 4096)...), "zero-filled tail")

		// The record cut off entirely: no warning.
		e.write(t, seg, full[:start])
		l = e.open(t, Options{})
		if logs := e.logs.take(); len(logs) != 0 {
			t.Fatalf("logged %q for a log without a torn tail", logs)
		}
		checkRecs(t, l, 0, 2)
	})
}

func TestMidLogCorruption(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		l := e.open(t, Options{})
		waitDurable(t, l, appendRecs(t, l, 5))
		l.Close()
		seg := e.path(segName(1))
		full := e.read(t, seg)
		off := int64(segHeaderSize + recHeaderSize + len(rec(1))) // record 2
		for _, at := range []int64{0, 4, 9, recHeaderSize + 3} {  // length, CRC, index, payload
			damaged := bytes.Clone(full)
			damaged[off+at] ^= 0x40
			e.write(t, seg, damaged)
			_, err := e.tryOpen(Options{})
			wantCorrupt(t, err, seg, off, "valid record follows")
		}
		// Repair truncates at the bad record.
		l = e.open(t, Options{Repair: true})
		checkWarn(t, e.logs.take(), "repair", "file="+seg, fmt.Sprintf("offset=%d", off))
		checkRecs(t, l, 0, 1)
		waitDurable(t, l, appendRecs(t, l, 2))
		l.Close()
		l = e.open(t, Options{})
		checkRecs(t, l, 0, 3)
	})
}

// segmentedLog writes a log of n records over several small segments and
// returns the segments' first indexes.
func segmentedLog(t *testing.T, e *env, n int) []uint64 {
	t.Helper()
	l := e.open(t, Options{SegmentBytes: 150})
	waitDurable(t, l, appendRecs(t, l, n))
	l.Close()
	var firsts []uint64
	for _, name := range e.files(t) {
		i, _ := parseName(name, segSuffix)
		firsts = append(firsts, i)
	}
	if len(firsts) < 4 {
		t.Fatalf("only %d segments", len(firsts))
	}
	return firsts
}

func TestSegmentCorruption(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		const n = 30
		firsts := segmentedLog(t, e, n)
		opts := Options{SegmentBytes: 150}
		restore := func(name string, data []byte) { e.write(t, name, data) }

		t.Run("last record of a middle segment", func(t *testing.T) {
			name := e.path(segName(firsts[1]))
			orig := e.read(t, name)
			damaged := bytes.Clone(orig)
			damaged[len(damaged)-1] ^= 1
			e.write(t, name, damaged)
			defer restore(name, orig)
			off := int64(len(orig) - recHeaderSize - len(rec(firsts[2]-1)))
			_, err := e.tryOpen(opts)
			wantCorrupt(t, err, name, off, "checksum")
		})
		t.Run("torn middle segment", func(t *testing.T) {
			name := e.path(segName(firsts[1]))
			orig := e.read(t, name)
			e.write(t, name, orig[:len(orig)-3])
			defer restore(name, orig)
			_, err := e.tryOpen(opts)
			wantCorrupt(t, err, name, int64(len(orig)-recHeaderSize-len(rec(firsts[2]-1))), "cut short")
		})
		t.Run("missing middle segment", func(t *testing.T) {
			name := e.path(segName(firsts[2]))
			orig := e.read(t, name)
			if err := e.fs.Remove(name); err != nil {
				t.Fatal(err)
			}
			defer restore(name, orig)
			_, err := e.tryOpen(opts)
			wantCorrupt(t, err, e.path(segName(firsts[3])), 0, "previous one ends")
		})
		t.Run("missing first segment", func(t *testing.T) {
			name := e.path(segName(firsts[0]))
			orig := e.read(t, name)
			if err := e.fs.Remove(name); err != nil {
				t.Fatal(err)
			}
			defer restore(name, orig)
			_, err := e.tryOpen(opts)
			wantCorrupt(t, err, e.path(segName(firsts[1])), -1, "missing")
		})
		t.Run("header and name disagree", func(t *testing.T) {
			name := e.path(segName(firsts[1]))
			orig := e.read(t, name)
			damaged := append(appendSegHeader(nil, firsts[1]+1), orig[segHeaderSize:]...)
			e.write(t, name, damaged)
			defer restore(name, orig)
			_, err := e.tryOpen(opts)
			wantCorrupt(t, err, name, 0, "header says first index")
		})
		t.Run("bad header with records after it", func(t *testing.T) {
			name := e.path(segName(firsts[len(firsts)-1]))
			orig := e.read(t, name)
			damaged := bytes.Clone(orig)
			damaged[3] ^= 1
			e.write(t, name, damaged)
			defer restore(name, orig)
			_, err := e.tryOpen(opts)
			wantCorrupt(t, err, name, 0, "magic")
		})
		t.Run("repair a middle segment", func(t *testing.T) {
			name := e.path(segName(firsts[1]))
			orig := e.read(t, name)
			damaged := bytes.Clone(orig)
			damaged[len(damaged)-1] ^= 1
			e.write(t, name, damaged)
			l := e.open(t, Options{SegmentBytes: 150, Repair: true})
			checkWarn(t, e.logs.take(), "repair", "file="+name)
			checkRecs(t, l, 0, firsts[2]-2)
			if got := len(e.files(t)); got != 2 {
				t.Fatalf("%d segments after the repair, want 2", got)
			}
			waitDurable(t, l, appendRecs(t, l, n))
			l.Close()
			l = e.open(t, opts)
			checkRecs(t, l, 0, firsts[2]-2+n)
		})
	})
}

func TestTornSegmentHeader(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		l := e.open(t, Options{})
		waitDurable(t, l, appendRecs(t, l, 4))
		l.Close()
		next := e.path(segName(5))
		for _, content := range [][]byte{
			nil,
			[]byte("LKEYW"),
			make([]byte, segHeaderSize),
			make([]byte, 4096),
			appendSegHeader(nil, 5)[:segHeaderSize-1],
		} {
			e.write(t, next, content)
			l := e.open(t, Options{})
			checkWarn(t, e.logs.take(), "torn tail", "file="+next, "offset=0")
			checkRecs(t, l, 0, 4)
			l.Close()
			if got := len(e.files(t)); got != 1 {
				t.Fatalf("%d segments after dropping a torn one, want 1", got)
			}
		}
	})
}

func TestLeftoverFiles(t *testing.T) {
	e := newMemEnv()
	l := e.open(t, Options{})
	waitDurable(t, l, appendRecs(t, l, 4))
	l.Close()
	e.write(t, e.path(snapName(3)+tmpSuffix), []byte("half a snapshot"))
	e.write(t, e.path("notes.txt"), []byte("not ours"))
	l = e.open(t, Options{})
	checkRecs(t, l, 0, 4)
	names, _ := e.fs.ReadDir(e.dir)
	if want := []string{"00000000000000000001.wal", "LOCK", "notes.txt"}; strings.Join(names, " ") != strings.Join(want, " ") &&
		strings.Join(names, " ") != strings.Join([]string{want[0], want[2]}, " ") {
		t.Fatalf("files after Open: %v", names)
	}
}
