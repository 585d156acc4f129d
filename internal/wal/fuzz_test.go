package wal

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzSeeds are segments for the fuzz targets: valid ones, and damaged
// ones of the kinds recovery must tell apart.
func fuzzSeeds() [][]byte {
	valid := appendSegHeader(nil, 1)
	for i := uint64(1); i <= 4; i++ {
		valid = appendRecord(valid, i, rec(i))
	}
	seeds := [][]byte{
		nil,
		appendSegHeader(nil, 1),
		valid,
		valid[:len(valid)-3],
		append(bytes.Clone(valid), make([]byte, 64)...),
		flip(valid, len(valid)-1),
		flip(valid, segHeaderSize+recHeaderSize+2), // record 1: good records follow
		appendRecord(appendSegHeader(nil, 1), 2, []byte("wrong index")),
		appendRecord(appendSegHeader(nil, 7), 7, nil),
	}
	return seeds
}

// FuzzScanSegment: scanning arbitrary bytes never panics, and what it
// reports valid is a header and consecutive records that re-encode to
// exactly the bytes it covers.
func FuzzScanSegment(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		type record struct {
			index uint64
			rec   []byte
		}
		var recs []record
		s, err := scanSegment(bytes.NewReader(data), int64(len(data)), func(i uint64, r []byte) error {
			recs = append(recs, record{i, bytes.Clone(r)})
			return nil
		})
		if err != nil {
			t.Fatalf("scanSegment: %v", err)
		}
		if s.end < 0 || s.end > int64(len(data)) || s.bad == "" && s.end != int64(len(data)) ||
			s.bad != "" && !s.badHeader && s.end == int64(len(data)) {
			t.Fatalf("end %d of %d bytes, bad %q", s.end, len(data), s.bad)
		}
		if s.badHeader {
			if s.end != 0 || len(recs) != 0 {
				t.Fatalf("bad header, but end %d and %d records", s.end, len(recs))
			}
			return
		}
		want := appendSegHeader(nil, s.first)
		for k, r := range recs {
			if r.index != s.first+uint64(k) {
				t.Fatalf("record %d has index %d, want %d", k, r.index, s.first+uint64(k))
			}
			want = appendRecord(want, r.index, r.rec)
		}
		if !bytes.Equal(want, data[:s.end]) {
			t.Fatal("the valid prefix does not re-encode to the same bytes")
		}
		if s.last != s.first+uint64(len(recs))-1 {
			t.Fatalf("last %d, first %d, %d records", s.last, s.first, len(recs))
		}
		at, err := findRecord(bytes.NewReader(data), s.end, int64(len(data)), s.last)
		if err != nil || at >= 0 && at < s.end {
			t.Fatalf("findRecord = %d, %v", at, err)
		}
	})
}

// FuzzOpen: Open of a directory whose only segment holds arbitrary bytes
// either refuses it with a *CorruptError or recovers a prefix of valid
// records, after which the log works.
func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := NewMemFS()
		if err := m.MkdirAll("/w", 0o700); err != nil {
			t.Fatal(err)
		}
		m.writeFile(t, "/w/"+segName(1), data)
		l, err := Open(Options{Dir: "/w", FS: m})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want nil or a *CorruptError", err)
			}
			return
		}
		defer l.Close()
		var recs [][]byte
		if err := l.Replay(0, func(i uint64, r []byte) error {
			recs = append(recs, r)
			return nil
		}); err != nil {
			t.Fatalf("Replay: %v", err)
		}
		// What was kept is the valid prefix of data.
		s, _ := scanSegment(bytes.NewReader(data), int64(len(data)), nil)
		if s.badHeader {
			if len(recs) != 0 {
				t.Fatalf("%d records recovered from a segment with a bad header", len(recs))
			}
		} else if uint64(len(recs)) != s.last {
			t.Fatalf("recovered %d records, the valid prefix has %d", len(recs), s.last)
		}
		if got := m.readFile(t, "/w/"+segName(1)); !s.badHeader && !bytes.Equal(got, data[:s.end]) {
			t.Fatal("the segment was not truncated to its valid prefix")
		}
		i, err := l.Append([]byte("after"))
		if err != nil || i != uint64(len(recs))+1 {
			t.Fatalf("Append = %d, %v, want index %d", i, err, len(recs)+1)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
