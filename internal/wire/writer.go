package wire

import "io"

// writeBufSize is how many bytes a Writer gathers before it writes them
// through without waiting for Flush.
const writeBufSize = 64 << 10

// Writer writes frames to a stream. It gathers frames in a buffer and
// writes them with one call when [Writer.Flush] is called (or when the
// buffer passes 64 KiB), so that pipelined requests and a batch of
// responses cost one system call. It enforces the peer's frame size
// limit.
//
// A Writer is not safe for concurrent use: a connection serializes its
// writers with a mutex or one writing goroutine.
type Writer struct {
	w   io.Writer
	buf []byte // encoded frames not yet written
	max int    // the peer's frame size limit
	err error  // sticky: after a failed write the stream is unusable
}

// NewWriter returns a Writer to w that refuses payloads above maxFrame
// bytes (the peer's limit; ≤ 0 means [DefaultMaxFrame], other values are
// clamped to [MinMaxFrame, MaxMaxFrame]).
func NewWriter(w io.Writer, maxFrame int) *Writer {
	wr := &Writer{w: w}
	wr.SetMaxFrame(maxFrame)
	return wr
}

// SetMaxFrame changes the limit, as NewWriter's maxFrame: after the
// handshake, to the limit the peer announced in its [Hello] or [Welcome].
func (w *Writer) SetMaxFrame(maxFrame int) { w.max = clampMaxFrame(maxFrame) }

// MaxFrame returns the limit in force.
func (w *Writer) MaxFrame() int { return w.max }

// Write encodes f into the buffer. If f breaks a field limit, or its
// payload is larger than the limit (a [*FrameSizeError]), Write returns
// the error and the stream is unchanged: nothing of f is buffered. It
// writes the buffer through when it passes 64 KiB; call Flush to send the
// rest.
func (w *Writer) Write(f Frame) error {
	if w.err != nil {
		return w.err
	}
	start := len(w.buf)
	buf, err := Append(w.buf, f)
	if err != nil {
		w.buf = buf[:start]
		return err
	}
	if n := len(buf) - start - 4; n > w.max {
		w.buf = buf[:start]
		return &FrameSizeError{Size: uint64(n), Limit: w.max}
	}
	w.buf = buf
	if len(w.buf) >= writeBufSize {
		return w.Flush()
	}
	return nil
}

// Flush writes the buffered frames. After a failed write the stream is
// unusable (a frame may have been cut) and every later call returns the
// same error.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	if err != nil {
		w.err = err
	}
	if cap(w.buf) > 4*writeBufSize {
		w.buf = nil // a large frame grew it; do not keep it
	} else {
		w.buf = w.buf[:0]
	}
	return err
}

// Buffered returns the number of bytes written to the buffer but not yet
// flushed.
func (w *Writer) Buffered() int { return len(w.buf) }
