package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// The on-disk format; the package doc describes it byte by byte.
const (
	segMagic       = "LKEYWAL\x00"
	snapMagic      = "LKEYSNP\x00"
	formatVersion  = 1
	segHeaderSize  = 24 // magic, version, first index, CRC
	recHeaderSize  = 16 // length, CRC, index
	snapHeaderSize = 32 // magic, version, index, length, CRC
	segSuffix      = ".wal"
	snapSuffix     = ".snap"
	tmpSuffix      = ".tmp"
)

var (
	be         = binary.BigEndian
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// segName and snapName are the file names of a segment whose first
// record has index first, and of a snapshot at index.
func segName(first uint64) string  { return fmt.Sprintf("%020d%s", first, segSuffix) }
func snapName(index uint64) string { return fmt.Sprintf("%020d%s", index, snapSuffix) }

// parseName returns the index in a segment or snapshot file name with the
// given suffix.
func parseName(name, suffix string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, suffix)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil
}

// appendSegHeader appends a segment header.
func appendSegHeader(b []byte, first uint64) []byte {
	start := len(b)
	b = append(b, segMagic...)
	b = be.AppendUint32(b, formatVersion)
	b = be.AppendUint64(b, first)
	return be.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// parseSegHeader returns the first index in a segment header, or why the
// header is invalid.
func parseSegHeader(h []byte) (first uint64, bad string) {
	switch {
	case string(h[:8]) != segMagic:
		return 0, "not a segment file (bad magic)"
	case be.Uint32(h[20:]) != crc32.Checksum(h[:20], castagnoli):
		return 0, "segment header checksum mismatch"
	case be.Uint32(h[8:]) != formatVersion:
		return 0, fmt.Sprintf("unsupported segment version %d (this build reads %d)", be.Uint32(h[8:]), formatVersion)
	case be.Uint64(h[12:]) == 0:
		return 0, "segment header says first index 0 (indexes start at 1)"
	}
	return be.Uint64(h[12:]), ""
}

// appendRecord appends a record.
func appendRecord(b []byte, index uint64, rec []byte) []byte {
	start := len(b)
	b = be.AppendUint32(b, uint32(len(rec)))
	b = append(b, 0, 0, 0, 0)
	b = be.AppendUint64(b, index)
	b = append(b, rec...)
	be.PutUint32(b[start+4:], recordCRC(b[start:start+recHeaderSize], rec))
	return b
}

// recordCRC is the CRC-32C of a record's length, index and payload.
func recordCRC(hdr, payload []byte) uint32 {
	c := crc32.Checksum(hdr[0:4], castagnoli)
	c = crc32.Update(c, castagnoli, hdr[8:16])
	return crc32.Update(c, castagnoli, payload)
}

// segScan is what scanning a segment found.
type segScan struct {
	first uint64 // the header's first index
	last  uint64 // the index of the last valid record; first-1 if none
	end   int64  // the end of the valid prefix: the header and the valid records
	// bad says why scanning stopped before the end of the file, "" if the
	// whole file is valid. The bad bytes start at end.
	bad       string
	badHeader bool // the header itself is bad (end is 0)
}

// scanSegment reads the segment in r (size bytes) and calls fn, if not nil,
// with each valid record in order; rec is only valid until fn returns. It
// stops at the first bad record, reporting it in the result. The error is
// fn's, or one reading r.
func scanSegment(r io.ReaderAt, size int64, fn func(index uint64, rec []byte) error) (segScan, error) {
	var s segScan
	if size < segHeaderSize {
		s.bad, s.badHeader = fmt.Sprintf("file of %d bytes is shorter than a segment header", size), true
		return s, nil
	}
	var h [segHeaderSize]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return s, readErr(err)
	}
	first, bad := parseSegHeader(h[:])
	if bad != "" {
		s.bad, s.badHeader = bad, true
		return s, nil
	}
	s.first, s.last, s.end = first, first-1, segHeaderSize
	br := bufio.NewReaderSize(io.NewSectionReader(r, segHeaderSize, size-segHeaderSize), 64<<10)
	var buf []byte
	var hdr [recHeaderSize]byte
	for s.end < size {
		left := size - s.end
		if left < recHeaderSize {
			s.bad = fmt.Sprintf("record header cut short (%d of %d bytes)", left, recHeaderSize)
			return s, nil
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return s, readErr(err)
		}
		n := int64(be.Uint32(hdr[0:]))
		index := be.Uint64(hdr[8:])
		switch {
		case n > MaxRecord:
			s.bad = fmt.Sprintf("record length %d over the limit of %d", n, MaxRecord)
			return s, nil
		case n > left-recHeaderSize:
			s.bad = fmt.Sprintf("record of %d bytes cut short (%d bytes left)", n, left-recHeaderSize)
			return s, nil
		}
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(br, buf); err != nil {
			return s, readErr(err)
		}
		switch {
		case be.Uint32(hdr[4:]) != recordCRC(hdr[:], buf):
			s.bad = "record checksum mismatch"
			return s, nil
		case index != s.last+1:
			s.bad = fmt.Sprintf("record index %d, want %d", index, s.last+1)
			return s, nil
		}
		if fn != nil {
			if err := fn(index, buf); err != nil {
				return s, err
			}
		}
		s.last = index
		s.end += recHeaderSize + n
	}
	return s, nil
}

// readErr turns an end of file inside the size the caller gave (the file
// shrank) into an error of its own.
func readErr(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// findRecord looks for a valid record with an index over after that
// starts anywhere in [from, size) of r, and returns its offset, or -1. It
// tells a torn tail (nothing valid after the bad bytes) from corruption
// in the middle of the log (valid records after them).
func findRecord(r io.ReaderAt, from, size int64, after uint64) (int64, error) {
	const window = 1 << 20
	// An index in the segment is less than after plus the number of
	// records that fit in it; anything else is not a record of it.
	maxStep := uint64(size)/recHeaderSize + 1
	buf := make([]byte, min(window+recHeaderSize-1, max(size-from, 0)))
	var payload []byte
	for base := from; size-base >= recHeaderSize; base += window {
		n := min(int64(len(buf)), size-base)
		if _, err := r.ReadAt(buf[:n], base); err != nil {
			return -1, readErr(err)
		}
		for i := int64(0); i < window && i+recHeaderSize <= n; i++ {
			hdr := buf[i : i+recHeaderSize]
			index, length := be.Uint64(hdr[8:]), int64(be.Uint32(hdr))
			at := base + i
			if index <= after || index-after > maxStep || length > MaxRecord || length > size-at-recHeaderSize {
				continue
			}
			if int64(cap(payload)) < length {
				payload = make([]byte, length)
			}
			payload = payload[:length]
			if length > 0 {
				if _, err := r.ReadAt(payload, at+recHeaderSize); err != nil {
					return -1, readErr(err)
				}
			}
			if be.Uint32(hdr[4:]) == recordCRC(hdr, payload) {
				return at, nil
			}
		}
	}
	return -1, nil
}

// appendSnapHeader appends the header of a snapshot of data at index.
func appendSnapHeader(b []byte, index uint64, data []byte) []byte {
	start := len(b)
	b = append(b, snapMagic...)
	b = be.AppendUint32(b, formatVersion)
	b = be.AppendUint64(b, index)
	b = be.AppendUint64(b, uint64(len(data)))
	c := crc32.Update(crc32.Checksum(b[start:], castagnoli), castagnoli, data)
	return be.AppendUint32(b, c)
}

// parseSnapshot checks a whole snapshot file and returns its index and
// data, or why it is invalid.
func parseSnapshot(b []byte) (index uint64, data []byte, bad string) {
	if len(b) < snapHeaderSize {
		return 0, nil, fmt.Sprintf("file of %d bytes is shorter than a snapshot header", len(b))
	}
	if string(b[:8]) != snapMagic {
		return 0, nil, "not a snapshot file (bad magic)"
	}
	if n := be.Uint64(b[20:]); n != uint64(len(b)-snapHeaderSize) {
		return 0, nil, fmt.Sprintf("header says %d bytes of data, file has %d", n, len(b)-snapHeaderSize)
	}
	data = b[snapHeaderSize:]
	if be.Uint32(b[28:]) != crc32.Update(crc32.Checksum(b[:28], castagnoli), castagnoli, data) {
		return 0, nil, "snapshot checksum mismatch"
	}
	if v := be.Uint32(b[8:]); v != formatVersion {
		return 0, nil, fmt.Sprintf("unsupported snapshot version %d (this build reads %d)", v, formatVersion)
	}
	return be.Uint64(b[12:]), data, ""
}
