package wire

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Encoding primitives (protocol.md, "Primitives"): fixed-width fields are
// big-endian; integers are LEB128 uvarints, signed ones zigzag-encoded
// first; strings and byte strings are a uvarint length and the bytes; lists
// are a uvarint count and the elements.

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBytes(b, p []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(p))), p...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendInts(b []byte, v []int64) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	for _, x := range v {
		b = binary.AppendVarint(b, x)
	}
	return b
}

func appendByteList(b []byte, v [][]byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	for _, p := range v {
		b = appendBytes(b, p)
	}
	return b
}

// checkLen returns an encoding error if a field of n bytes or elements is
// longer than limit.
func checkLen(t Type, field string, n, limit int) error {
	if n > limit {
		return fmt.Errorf("wire: encoding %v frame: %s of %d exceeds the limit of %d: %w", t, field, n, limit, ErrTooLong)
	}
	return nil
}

// checkArgs checks the Ints and Bytes lists of a request or response.
func checkArgs(t Type, ints []int64, bytes [][]byte) error {
	if len(ints) > MaxArgs {
		return fmt.Errorf("wire: encoding %v frame: %d ints exceed the limit of %d: %w", t, len(ints), MaxArgs, ErrTooMany)
	}
	if len(bytes) > MaxArgs {
		return fmt.Errorf("wire: encoding %v frame: %d byte strings exceed the limit of %d: %w", t, len(bytes), MaxArgs, ErrTooMany)
	}
	return nil
}

// truncateUTF8 shortens s to at most n bytes without splitting a UTF-8
// sequence.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// decoder reads one payload. The first failure is kept in err; later calls
// do nothing and return zero values, so a frame's Decode reads its fields
// in order and checks err once.
type decoder struct {
	p   []byte
	off int
	t   Type
	err error
}

// newDecoder checks the type byte of p and returns a decoder positioned
// after it.
func newDecoder(p []byte, t Type) decoder {
	d := decoder{p: p, t: t}
	switch {
	case len(p) == 0:
		d.fail("type", -1, ErrTruncated)
	case Type(p[0]) != t:
		d.fail("type", -1, fmt.Errorf("%w: frame type %v, want %v", ErrBadValue, Type(p[0]), t))
	default:
		d.off = 1
	}
	return d
}

func (d *decoder) fail(field string, index int, err error) {
	if d.err == nil {
		d.err = &FormatError{Frame: d.t, Field: field, Index: index, Offset: d.off, Err: err}
	}
}

// finish returns the first error, or ErrTrailing if bytes are left.
func (d *decoder) finish() error {
	if d.err == nil && d.off != len(d.p) {
		d.fail("end", -1, fmt.Errorf("%w: %d bytes", ErrTrailing, len(d.p)-d.off))
	}
	return d.err
}

func (d *decoder) rest() int { return len(d.p) - d.off }

// uvarint reads a uvarint; the one-byte case is inlined. (After an
// error it may still read a byte: harmless, since the error is kept and
// every reader of a count or length checks d.err before using it.)
func (d *decoder) uvarint(field string, index int) uint64 {
	if off := d.off; off < len(d.p) && d.p[off] < 0x80 {
		d.off = off + 1
		return uint64(d.p[off])
	}
	return d.uvarintSlow(field, index)
}

func (d *decoder) uvarintSlow(field string, index int) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.p[d.off:])
	switch {
	case n == 0:
		d.fail(field, index, ErrTruncated)
		return 0
	case n < 0:
		d.fail(field, index, fmt.Errorf("%w: varint longer than 64 bits", ErrOverflow))
		return 0
	case n > 1 && d.p[d.off+n-1] == 0:
		d.fail(field, index, ErrNonCanonical)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint(field string, index int) int64 {
	u := d.uvarint(field, index)
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// uvarintMax reads a uvarint that must not exceed limit.
func (d *decoder) uvarintMax(field string, limit uint64) uint64 {
	off := d.off
	v := d.uvarint(field, -1)
	if v > limit {
		d.off = off
		d.fail(field, -1, fmt.Errorf("%w: %d exceeds %d", ErrOverflow, v, limit))
		return 0
	}
	return v
}

func (d *decoder) byte(field string) byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.p) {
		d.fail(field, -1, ErrTruncated)
		return 0
	}
	d.off++
	return d.p[d.off-1]
}

func (d *decoder) bool(field string) bool {
	switch b := d.byte(field); b {
	case 0:
		return false
	case 1:
		return true
	default:
		d.off--
		d.fail(field, -1, fmt.Errorf("%w: boolean %d", ErrBadValue, b))
		return false
	}
}

// fixed returns the next n bytes, aliasing the payload.
func (d *decoder) fixed(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if d.rest() < n {
		d.fail(field, -1, ErrTruncated)
		return nil
	}
	d.off += n
	return d.p[d.off-n : d.off : d.off]
}

// bytes returns a length-prefixed byte string of at most limit bytes,
// aliasing the payload (capacity capped at its length).
func (d *decoder) bytes(field string, index int, limit int) []byte {
	off := d.off
	n := d.uvarint(field, index)
	if d.err != nil {
		return nil
	}
	if n > uint64(limit) {
		d.off = off
		d.fail(field, index, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLong, n, limit))
		return nil
	}
	if n > uint64(d.rest()) {
		d.fail(field, index, fmt.Errorf("%w: %d bytes announced, %d left", ErrTruncated, n, d.rest()))
		return nil
	}
	d.off += int(n)
	return d.p[d.off-int(n) : d.off : d.off]
}

// string decodes a string of at most limit bytes. It returns old, without
// allocating, when old has the same contents.
func (d *decoder) string(field string, limit int, old string) string {
	b := d.bytes(field, -1, limit)
	if string(b) == old {
		return old
	}
	return string(b)
}

// count reads a list length: at most MaxArgs, and at most the bytes left,
// since every element takes at least one byte. So a list never makes the
// decoder allocate more than a bounded multiple of the payload's size.
func (d *decoder) count(field string) int {
	off := d.off
	n := d.uvarint(field, -1)
	if d.err != nil {
		return 0
	}
	switch {
	case n > MaxArgs:
		d.off = off
		d.fail(field, -1, fmt.Errorf("%w: %d elements, limit %d", ErrTooMany, n, MaxArgs))
		return 0
	case n > uint64(d.rest()):
		d.fail(field, -1, fmt.Errorf("%w: %d elements announced, %d bytes left", ErrTruncated, n, d.rest()))
		return 0
	}
	return int(n)
}

// ints appends a list of zigzag varints to dst[:0].
func (d *decoder) ints(field string, dst []int64) []int64 {
	dst = dst[:0]
	n := d.count(field)
	if n == 0 {
		return dst
	}
	dst = slices.Grow(dst, n)
	for i := range n {
		x := d.varint(field, i)
		if d.err != nil {
			return dst
		}
		dst = append(dst, x)
	}
	return dst
}

// byteList appends a list of byte strings, aliasing the payload, to dst[:0].
func (d *decoder) byteList(field string, dst [][]byte) [][]byte {
	clear(dst) // drop references into an earlier payload; [len:cap] is already clear
	dst = dst[:0]
	n := d.count(field)
	if n == 0 {
		return dst
	}
	dst = slices.Grow(dst, n)
	for i := range n {
		b := d.bytes(field, i, MaxMaxFrame)
		if d.err != nil {
			return dst
		}
		dst = append(dst, b)
	}
	return dst
}
