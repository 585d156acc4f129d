package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// readBufSize is the size of a Reader's bufio buffer: small frames are
// read a batch at a time; large ones bypass it.
const readBufSize = 32 << 10

// keepBufCap is the largest payload buffer a Reader keeps between frames.
// A larger one, grown for a large frame, is dropped at the next read.
const keepBufCap = 64 << 10

// Reader reads frames from a stream, enforcing a frame size limit. It
// reuses one buffer, so the payload [Reader.ReadFrame] returns (and
// anything decoded from it that aliases it) is valid only until the next
// call.
//
// A Reader is not safe for concurrent use; a connection has one reading
// goroutine.
type Reader struct {
	br  *bufio.Reader
	hdr [4]byte
	buf []byte // the last payload; reused
	max int    // the frame size limit
	err error  // sticky: the stream is unusable after an error
}

// NewReader returns a Reader of r that accepts payloads of at most
// maxFrame bytes. maxFrame ≤ 0 means [DefaultMaxFrame]; other values are
// clamped to [MinMaxFrame, MaxMaxFrame].
func NewReader(r io.Reader, maxFrame int) *Reader {
	rd := &Reader{br: bufio.NewReaderSize(r, readBufSize)}
	rd.SetMaxFrame(maxFrame)
	return rd
}

// SetMaxFrame changes the limit, as NewReader's maxFrame. A server sets
// it once after the handshake if its limit differs from its handshake
// limit; it does not affect a frame already read.
func (r *Reader) SetMaxFrame(maxFrame int) { r.max = clampMaxFrame(maxFrame) }

// MaxFrame returns the limit in force.
func (r *Reader) MaxFrame() int { return r.max }

func clampMaxFrame(n int) int {
	switch {
	case n <= 0:
		return DefaultMaxFrame
	case n < MinMaxFrame:
		return MinMaxFrame
	case n > MaxMaxFrame:
		return MaxMaxFrame
	}
	return n
}

// ReadFrame reads the next frame and returns its type and payload: the
// frame without its length prefix, starting with the type byte. It does
// not look past the type byte: decode the payload with the frame type's
// Decode method, or with [Decode].
//
// At the end of the stream, between frames, it returns io.EOF; inside a
// frame, an error wrapping io.ErrUnexpectedEOF. A length of 0 or above the
// limit is a [*FrameSizeError], returned before anything is allocated for
// the frame. After any error the stream is unusable and ReadFrame returns
// the same error again.
func (r *Reader) ReadFrame() (Type, []byte, error) {
	if r.err != nil {
		return 0, nil, r.err
	}
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("wire: stream ended inside a frame header: %w", err)
		}
		r.err = err
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(r.hdr[:])
	if n == 0 || uint64(n) > uint64(r.max) {
		r.err = &FrameSizeError{Size: uint64(n), Limit: r.max}
		return 0, nil, r.err
	}
	if cap(r.buf) > keepBufCap && n <= keepBufCap {
		r.buf = nil
	}
	if int(n) > cap(r.buf) {
		r.buf = make([]byte, growCap(int(n), r.max))
	}
	p := r.buf[:n]
	if _, err := io.ReadFull(r.br, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("wire: stream ended inside a %d-byte frame: %w", n, io.ErrUnexpectedEOF)
		}
		r.err = err
		return 0, nil, err
	}
	return Type(p[0]), p, nil
}

// growCap returns the capacity to allocate for a payload of n ≤ limit
// bytes: a large payload gets exactly n (its buffer is dropped at the next
// read), a small one n rounded up to a power of two, at least 512, so that
// a connection's buffer settles after a few frames.
func growCap(n, limit int) int {
	if n > keepBufCap {
		return n
	}
	c := 512
	for c < n {
		c <<= 1
	}
	return min(c, limit)
}
