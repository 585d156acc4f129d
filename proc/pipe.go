package proc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey"
)

// DefaultMaxMessageSize is the largest message a [Conn] sends or receives
// unless SetMaxMessageSize says otherwise.
const DefaultMaxMessageSize = 64 << 20

const (
	largeMessage = 64 << 10 // larger messages are read straight into their own buffer
	smallSend    = 32 << 10 // smaller messages are sent with their header in one write
)

// Pipe returns the two ends of a new pipe, Python's multiprocessing.Pipe.
// With duplex, both ends send and receive (a Unix socket pair); without,
// the first end only receives and the second only sends (an OS pipe), and
// the wrong direction is [ErrReadOnly] or [ErrWriteOnly].
//
// Hand an end to a child process through [ProcessConfig.Conns]; the child
// gets it with [InheritedConn].
func Pipe(duplex bool) (*Conn, *Conn, error) {
	if err := supported(); err != nil {
		return nil, nil, err
	}
	if duplex {
		a, b, err := socketpair()
		if err != nil {
			return nil, nil, err
		}
		return newConn(a, 'd'), newConn(b, 'd'), nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("proc: pipe: %w", err)
	}
	return newConn(r, 'r'), newConn(w, 'w'), nil
}

// InheritedConn returns the Conn a parent handed this child process as
// [ProcessConfig.Conns][i]. Calls with the same i return the same Conn. It
// returns an error matching [latchkey.ErrNotFound] in a program that is not
// such a child (or calls it before [Main]), and [latchkey.ErrOutOfRange]
// for an i the parent did not hand over.
func InheritedConn(i int) (*Conn, error) {
	childConns.Lock()
	defer childConns.Unlock()
	if !childConns.isSet {
		return nil, fmt.Errorf("proc: InheritedConn(%d): this program is not a child process started by proc: %w", i, latchkey.ErrNotFound)
	}
	if i < 0 || i >= len(childConns.dirs) {
		return nil, fmt.Errorf("proc: InheritedConn(%d): the parent handed over %d conns: %w", i, len(childConns.dirs), latchkey.ErrOutOfRange)
	}
	if c := childConns.conns[i]; c != nil {
		return c, nil
	}
	dir := childConns.dirs[i]
	if dir != 'd' && dir != 'r' && dir != 'w' {
		return nil, fmt.Errorf("proc: InheritedConn(%d): bad direction %q in %s", i, dir, envConns)
	}
	f, err := inheritedFile(controlFD+1+i, fmt.Sprintf("latchkey-conn-%d", i))
	if err != nil {
		return nil, err
	}
	c := newConn(f, dir)
	if childConns.conns == nil {
		childConns.conns = map[int]*Conn{}
	}
	childConns.conns[i] = c
	return c, nil
}

// Conn is one end of a [Pipe]: Python's multiprocessing Connection. It
// carries messages of bytes, each sent whole with a 4-byte length prefix
// and received whole, never merged or split; [ConnOf] carries Go values.
//
// A Conn is safe for concurrent use: concurrent senders send whole
// messages one after the other, and each message goes to exactly one
// receiver (Python's Connection corrupts the stream instead). Calls that
// wait take a ctx. A receive or poll cancelled while it waits leaves the
// stream intact: the part of a message already read stays buffered for the
// next call. A send cancelled before its first byte was written sends
// nothing; one cancelled halfway leaves a partial message on the stream,
// so the Conn can no longer send (every later send returns that error).
//
// When the peer's end is closed (in every process that had a copy), a
// receive returns the messages still buffered and then io.EOF; end of file
// in the middle of a message is io.ErrUnexpectedEOF. A send to a closed
// peer returns an error matching io.ErrClosedPipe. Calls on a closed Conn
// return [latchkey.ErrClosed].
type Conn struct {
	f    *os.File
	dir  byte          // 'd' duplex, 'r' receive only, 'w' send only
	max  atomic.Int64  // the message size limit
	shut atomic.Bool   // Close was called
	rsem chan struct{} // held by the one receiving or polling call
	wsem chan struct{} // held by the one sending call

	// Guarded by rsem: the receive buffer buf[r:w]; the length of the
	// message whose header was consumed (want, -1 if none), which a large
	// message collects in msg[:got] while buf stays empty; end of file; a
	// sticky error.
	buf  []byte
	r, w int
	want int
	msg  []byte
	got  int
	eof  bool
	rerr error

	wbuf []byte // guarded by wsem
	werr error  // guarded by wsem: a sticky error (a send interrupted halfway)

	rwatch, wwatch deadlineWatch // interrupt a receive's or a send's I/O when its ctx ends
}

func newConn(f *os.File, dir byte) *Conn {
	c := &Conn{f: f, dir: dir, want: -1, rsem: make(chan struct{}, 1), wsem: make(chan struct{}, 1)}
	c.max.Store(DefaultMaxMessageSize)
	c.rwatch.set, c.wwatch.set = f.SetReadDeadline, f.SetWriteDeadline
	return c
}

// aLongTimeAgo is a deadline in the past, to interrupt blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// deadlineWatch interrupts the blocked I/O of one direction of a Conn (or
// of a child's control connection, while the parent waits for its hello)
// when the ctx of the call ends, by setting a deadline in the past. Its
// registration with ctx (context.AfterFunc, which costs about a
// microsecond) stays from call to call, so that a run of calls with the
// same ctx, the common case, registers once; a call with another ctx
// moves it, and close ends it. The Conn serializes the calls of one
// direction, so begin and end race only with the ctx's end and close.
type deadlineWatch struct {
	set func(time.Time) error

	mu     sync.Mutex // guards the fields below
	ctx    context.Context
	stop   func() bool // ends the registration with ctx
	active bool        // a call under ctx is doing I/O
	fired  bool        // ctx ended while active: the deadline is in the past
	closed bool
}

// begin marks the start of I/O under ctx; watching says whether end must
// be called. It returns ctx's error, and no I/O must start, if ctx has
// ended.
func (w *deadlineWatch) begin(ctx context.Context) (watching bool, err error) {
	if ctx.Done() == nil {
		return false, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if w.closed {
		return false, nil // the I/O fails at once
	}
	if w.ctx != ctx {
		if w.stop != nil {
			w.stop()
		}
		w.ctx = ctx
		w.stop = context.AfterFunc(ctx, func() { w.fire(ctx) })
	}
	w.active = true
	return true, nil
}

func (w *deadlineWatch) fire(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == ctx && w.active && !w.fired {
		w.set(aLongTimeAgo)
		w.fired = true
	}
}

// end marks the end of the I/O begun with begin.
func (w *deadlineWatch) end() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active = false
	if w.fired {
		w.set(time.Time{})
		w.fired = false
	}
}

// close ends the registration.
func (w *deadlineWatch) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.stop != nil {
		w.stop()
	}
	w.ctx, w.stop = nil, nil
}

// Readable reports whether this end receives (Python's readable).
func (c *Conn) Readable() bool { return c.dir != 'w' }

// Writable reports whether this end sends (Python's writable).
func (c *Conn) Writable() bool { return c.dir != 'r' }

// SetMaxMessageSize sets the largest message this end sends or receives
// ([DefaultMaxMessageSize] unless set; at most 1<<32-1). A larger message
// is refused by a send with [ErrMessageTooLarge] before anything is
// written; a receive that meets one returns ErrMessageTooLarge and the
// Conn can no longer receive, since the rest of the stream cannot be
// trusted (Python: "bad message length").
func (c *Conn) SetMaxMessageSize(n int) {
	c.max.Store(int64(min(max(n, 0), 1<<32-1)))
}

// Close closes this end; it is idempotent. Calls blocked on the Conn
// return [latchkey.ErrClosed]. The peer sees end of file once every copy of
// this end is closed: the ones handed to children through
// [ProcessConfig.Conns] are closed here when the child starts.
func (c *Conn) Close() error {
	if c.shut.Swap(true) {
		return nil
	}
	c.rwatch.close()
	c.wwatch.close()
	if err := c.f.Close(); err != nil {
		return fmt.Errorf("proc: closing conn: %w", err)
	}
	return nil
}

func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	default:
	}
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func tryAcquire(sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
		return false
	}
}

func (c *Conn) readCheck() error {
	switch {
	case c.shut.Load():
		return fmt.Errorf("proc: receive: %w", latchkey.ErrClosed)
	case c.dir == 'w':
		return ErrWriteOnly
	}
	return nil
}

// SendBytes sends b as one message, waiting while the OS buffer is full.
func (c *Conn) SendBytes(ctx context.Context, b []byte) error {
	switch {
	case c.dir == 'r':
		return ErrReadOnly
	case c.shut.Load():
		return fmt.Errorf("proc: send: %w", latchkey.ErrClosed)
	case int64(len(b)) > c.max.Load():
		return fmt.Errorf("%w: a %d-byte message, the limit is %d", ErrMessageTooLarge, len(b), c.max.Load())
	}
	if err := acquire(ctx, c.wsem); err != nil {
		return err
	}
	defer func() { <-c.wsem }()
	if c.werr != nil {
		return c.werr
	}
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(b)))
	watching, err := c.wwatch.begin(ctx)
	if err != nil {
		return err
	}
	var n int
	if len(b) <= smallSend {
		c.wbuf = append(append(c.wbuf[:0], hdr[:]...), b...)
		n, err = c.f.Write(c.wbuf)
	} else if n, err = c.f.Write(hdr[:]); err == nil {
		var m int
		m, err = c.f.Write(b)
		n += m
	}
	if watching {
		c.wwatch.end()
	}
	if err == nil {
		return nil
	}
	switch {
	case c.shut.Load() || errors.Is(err, os.ErrClosed):
		err = fmt.Errorf("proc: send: %w", latchkey.ErrClosed)
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
		err = ctx.Err()
	case isPeerClosed(err):
		err = fmt.Errorf("proc: send: the peer closed the connection: %w (%w)", io.ErrClosedPipe, err)
	default:
		err = fmt.Errorf("proc: send: %w", err)
	}
	if n > 0 {
		c.werr = fmt.Errorf("proc: a send stopped after %d of %d bytes, so the connection can no longer send: %w", n, len(b)+4, err)
		return c.werr
	}
	return err
}

// RecvBytes waits for the next message and returns it.
func (c *Conn) RecvBytes(ctx context.Context) ([]byte, error) {
	if err := c.readCheck(); err != nil {
		return nil, err
	}
	if err := acquire(ctx, c.rsem); err != nil {
		return nil, err
	}
	defer func() { <-c.rsem }()
	for {
		if m, ok, err := c.take(); ok || err != nil {
			return m, err
		}
		if err := c.fill(ctx); err != nil {
			return nil, err
		}
	}
}

// TryRecvBytes returns the next message if all of it has arrived, and
// [latchkey.ErrEmpty] otherwise (also while another goroutine is
// receiving); it never waits.
func (c *Conn) TryRecvBytes() ([]byte, error) {
	if err := c.readCheck(); err != nil {
		return nil, err
	}
	if !tryAcquire(c.rsem) {
		return nil, latchkey.ErrEmpty
	}
	defer func() { <-c.rsem }()
	if m, ok, err := c.take(); ok || err != nil {
		return m, err
	}
	if err := c.probe(); err != nil {
		return nil, err
	}
	if m, ok, err := c.take(); ok || err != nil {
		return m, err
	}
	return nil, latchkey.ErrEmpty
}

// Poll waits until a receive would not wait: a whole message has arrived,
// or end of file, or an error that the receive will return. It returns
// true then, and false with ctx's error if ctx ends first; a message that
// is already there is reported even if ctx has ended. Python's poll
// returns true as soon as any byte arrived, and a recv after it can still
// block for the rest of the message; this one does not.
func (c *Conn) Poll(ctx context.Context) (bool, error) {
	if err := c.readCheck(); err != nil {
		return false, err
	}
	if err := acquire(ctx, c.rsem); err != nil {
		return false, err
	}
	defer func() { <-c.rsem }()
	for {
		if c.ready() {
			return true, nil
		}
		if err := c.probe(); err != nil {
			return false, err
		}
		if c.ready() {
			return true, nil
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if err := c.fill(ctx); err != nil {
			return false, err
		}
	}
}

// TryPoll is [Conn.Poll] without waiting: Python's poll(0). It returns
// false while another goroutine is receiving.
func (c *Conn) TryPoll() (bool, error) {
	if err := c.readCheck(); err != nil {
		return false, err
	}
	if !tryAcquire(c.rsem) {
		return false, nil
	}
	defer func() { <-c.rsem }()
	if c.ready() {
		return true, nil
	}
	if err := c.probe(); err != nil {
		return false, err
	}
	return c.ready(), nil
}

// header consumes the next message's length prefix if it has arrived.
// Requires rsem.
func (c *Conn) header() {
	if c.want >= 0 || c.rerr != nil || c.w-c.r < 4 {
		return
	}
	n := int64(binary.BigEndian.Uint32(c.buf[c.r:]))
	if limit := c.max.Load(); n > limit {
		c.rerr = fmt.Errorf("%w: the peer sent a %d-byte message, the limit is %d; the connection can no longer receive", ErrMessageTooLarge, n, limit)
		return
	}
	c.r += 4
	c.want = int(n)
	if c.want > largeMessage && c.w-c.r < c.want {
		// Collect it in its own buffer, which takes what is buffered.
		c.msg = make([]byte, c.want)
		c.got = copy(c.msg, c.buf[c.r:c.w])
		c.r = c.w
	}
}

// ready reports whether take would return a message or an error. Requires
// rsem.
func (c *Conn) ready() bool {
	c.header()
	switch {
	case c.rerr != nil || c.eof:
		return true
	case c.want < 0:
		return false
	case c.msg != nil:
		return c.got == c.want
	}
	return c.w-c.r >= c.want
}

// take returns the next message if it has arrived: ok, or the receive's
// error (io.EOF at a message boundary). Requires rsem.
func (c *Conn) take() (m []byte, ok bool, err error) {
	c.header()
	if c.rerr != nil {
		return nil, false, c.rerr
	}
	if c.want >= 0 {
		if c.msg != nil {
			if c.got == c.want {
				m, c.msg, c.want = c.msg, nil, -1
				return m, true, nil
			}
		} else if c.w-c.r >= c.want {
			m = make([]byte, c.want)
			copy(m, c.buf[c.r:])
			c.r += c.want
			c.want = -1
			return m, true, nil
		}
	}
	if c.eof {
		if c.want >= 0 || c.w > c.r {
			c.rerr = fmt.Errorf("proc: receive: end of file in the middle of a message: %w", io.ErrUnexpectedEOF)
			return nil, false, c.rerr
		}
		return nil, false, io.EOF
	}
	return nil, false, nil
}

// space returns where the next read should go: the rest of a large
// message, or room in the buffer for at least the rest of the current
// message or header. Requires rsem.
func (c *Conn) space() []byte {
	if c.msg != nil {
		return c.msg[c.got:]
	}
	if c.r == c.w {
		c.r, c.w = 0, 0
	}
	need := 4
	if c.want >= 0 {
		need = c.want
	}
	if c.r+need > len(c.buf) || c.w == len(c.buf) {
		// What is buffered is less than need, so compacting or growing
		// to need leaves room.
		need = max(need, 4096)
		if len(c.buf) < need {
			nb := make([]byte, need)
			c.w = copy(nb, c.buf[c.r:c.w])
			c.buf = nb
		} else {
			c.w = copy(c.buf, c.buf[c.r:c.w])
		}
		c.r = 0
	}
	return c.buf[c.w:]
}

func (c *Conn) advance(n int) {
	if c.msg != nil {
		c.got += n
	} else {
		c.w += n
	}
}

// fill reads once, waiting for data. Requires rsem.
func (c *Conn) fill(ctx context.Context) error {
	watching, err := c.rwatch.begin(ctx)
	if err != nil {
		// Ended: take what has arrived, but do not wait.
		if perr := c.probe(); perr != nil || c.ready() {
			return perr
		}
		return err
	}
	p := c.space()
	n, err := c.f.Read(p)
	if watching {
		c.rwatch.end()
	}
	c.advance(n)
	switch {
	case err == nil:
		return nil
	case err == io.EOF:
		c.eof = true
		return nil
	case c.shut.Load() || errors.Is(err, os.ErrClosed):
		return fmt.Errorf("proc: receive: %w", latchkey.ErrClosed)
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
		return ctx.Err()
	}
	c.rerr = fmt.Errorf("proc: receive: %w", err)
	return c.rerr
}

// probe reads what has arrived without waiting. Requires rsem.
func (c *Conn) probe() error {
	for !c.ready() {
		p := c.space()
		n, ok, err := probeRead(c.f, p)
		switch {
		case !ok && err == nil:
			return nil
		case err != nil:
			if c.shut.Load() || errors.Is(err, os.ErrClosed) {
				return fmt.Errorf("proc: receive: %w", latchkey.ErrClosed)
			}
			c.rerr = fmt.Errorf("proc: receive: %w", err)
			return nil
		case n == 0:
			c.eof = true
			return nil
		}
		c.advance(n)
	}
	return nil
}

// ConnOf carries values of type T over a [Conn], encoded with a
// [latchkey.Codec]: Python's send and recv of objects. It is safe for
// concurrent use, as the Conn is.
type ConnOf[T any] struct {
	C     *Conn // the underlying Conn
	codec latchkey.Codec[T]
}

// NewConnOf wraps c; a nil codec means [latchkey.JSON].
func NewConnOf[T any](c *Conn, codec latchkey.Codec[T]) *ConnOf[T] {
	if codec == nil {
		codec = latchkey.JSON[T]{}
	}
	return &ConnOf[T]{C: c, codec: codec}
}

// Send encodes v and sends it as one message. A value the codec cannot
// encode is an error and sends nothing.
func (c *ConnOf[T]) Send(ctx context.Context, v T) error {
	b, err := c.codec.Encode(v)
	if err != nil {
		return fmt.Errorf("proc: send: encoding: %w", err)
	}
	return c.C.SendBytes(ctx, b)
}

// Recv waits for the next message and decodes it. A message that does not
// decode is still consumed; the error says why.
func (c *ConnOf[T]) Recv(ctx context.Context) (T, error) {
	return c.decode(c.C.RecvBytes(ctx))
}

// TryRecv is Recv without waiting: [latchkey.ErrEmpty] if no whole
// message has arrived.
func (c *ConnOf[T]) TryRecv() (T, error) {
	return c.decode(c.C.TryRecvBytes())
}

func (c *ConnOf[T]) decode(b []byte, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := c.codec.Decode(b)
	if err != nil {
		return v, fmt.Errorf("proc: receive: decoding: %w", err)
	}
	return v, nil
}
