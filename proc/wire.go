package proc

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync/atomic"

	"github.com/latchkey/latchkey"
)

// The control protocol between a parent and its child (a Process or a pool
// worker), over the socket the child inherits as file descriptor 3.
//
// A frame is a 4-byte big-endian length n, then n bytes: a type byte and
// the payload. Integers are big-endian; a "bytes" field is a 4-byte length
// and the bytes, a "string" a 2-byte length and the bytes.
//
//	hello  child → parent  version:u8 pid:u32              first frame, sent by Main
//	task   parent → child  id:u64 name:string count:u32 arg:bytes × count
//	result child → parent  id:u64 micros:u32 count:u32 item × count
//	cancel parent → child  id:u64                          cancel the task's ctx
//
// An item is status:u8, then for ok (0) the result:bytes, for an error (1)
// class:u8 kind:u16 msg:bytes stack:bytes. micros is how long the task ran.
// A worker runs tasks one at a time in the order received and answers each
// with one result; it exits when its input ends. A Process child runs one
// task, answers, and exits.
//
// A task is a chunk of a Map (one argument for Apply): its arguments, each
// encoded with the function's codec, are appended to its frame one after
// another, and the worker appends the outcomes to one result frame, which
// it reuses from task to task. Neither side has a buffer per argument;
// see codec.go for the encoding of JSON's common types without reflection.
const (
	msgHello  byte = 1
	msgTask   byte = 2
	msgResult byte = 3
	msgCancel byte = 4

	protoVersion = 2
	maxFrame     = 1 << 30 // the largest control frame: a task's encoded arguments, or its results
)

// frameLimit is the largest frame this process sends: maxFrame, lowered
// by tests.
var frameLimit atomic.Int64

func init() { frameLimit.Store(maxFrame) }

// Error classes of a result item: which local error a remote one matches.
const (
	classOther byte = iota
	classKind       // a latchkey *Error of the given Kind
	classCanceled
	classDeadline
	classPanic
	classNotRegistered
	classTooLarge
)

var errMalformed = errors.New("proc: malformed control frame")

// frame builds one frame.
type frame struct{ b []byte }

func newFrame(typ byte, size int) *frame {
	f := &frame{b: make([]byte, 5, 5+size)}
	f.b[4] = typ
	return f
}

func (f *frame) u8(v byte)    { f.b = append(f.b, v) }
func (f *frame) u16(v uint16) { f.b = binary.BigEndian.AppendUint16(f.b, v) }
func (f *frame) u32(v uint32) { f.b = binary.BigEndian.AppendUint32(f.b, v) }
func (f *frame) u64(v uint64) { f.b = binary.BigEndian.AppendUint64(f.b, v) }
func (f *frame) str(s string) { f.u16(uint16(len(s))); f.b = append(f.b, s...) }
func (f *frame) bytes(p []byte) {
	f.u32(uint32(len(p)))
	f.b = append(f.b, p...)
}

// done fills in the length and returns the frame's bytes.
func (f *frame) done() ([]byte, error) {
	n := len(f.b) - 4
	if limit := frameLimit.Load(); int64(n) > limit {
		return nil, fmt.Errorf("%w: %d bytes of encoded arguments, the limit is %d", ErrMessageTooLarge, n, limit)
	}
	binary.BigEndian.PutUint32(f.b, uint32(n))
	return f.b, nil
}

// readFrame reads one frame.
func readFrame(r *bufio.Reader) (typ byte, payload []byte, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 1 || n > maxFrame {
		return 0, nil, fmt.Errorf("%w: length %d", errMalformed, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return b[0], b[1:], nil
}

// decoder reads the fields of a payload; the first short read sets err.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n > len(d.b) {
		d.err = errMalformed
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8() byte {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if p := d.take(2); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) str() string   { return string(d.take(int(d.u16()))) }
func (d *decoder) bytes() []byte { return d.take(int(d.u32())) }

// taskBuilder builds a task frame, its arguments appended one at a time.
type taskBuilder struct {
	frame
	countAt int // where the argument count goes
	count   int
}

// newTask starts a task frame with room for size bytes of arguments.
func newTask(id uint64, name string, size int) *taskBuilder {
	t := &taskBuilder{frame: frame{b: make([]byte, 5, 5+8+2+len(name)+4+size)}}
	t.b[4] = msgTask
	t.u64(id)
	t.str(name)
	t.countAt = len(t.b)
	t.u32(0)
	return t
}

// addArg encodes v as the task's next argument. On error the task is left
// as it was.
func addArg[A any](t *taskBuilder, c wireCodec[A], v A) error {
	_, err := addArgs(t, c, []A{v})
	return err
}

// addArgs encodes vs as the task's next arguments. On error it returns
// the index in vs of the argument that failed, and the task holds the
// arguments before it.
func addArgs[A any](t *taskBuilder, c wireCodec[A], vs []A) (int, error) {
	b := t.b
	limit := frameLimit.Load()
	for i, v := range vs {
		start := len(b)
		var err error
		if b, err = c.append(append(b, 0, 0, 0, 0), v); err != nil {
			t.b = b[:start]
			return i, err
		}
		n := len(b) - start - 4
		if int64(n) > limit {
			t.b = b[:start]
			return i, fmt.Errorf("%w: %d bytes of encoded argument, the limit is %d", ErrMessageTooLarge, n, limit)
		}
		binary.BigEndian.PutUint32(b[start:], uint32(n))
		t.count++
	}
	t.b = b
	return len(vs), nil
}

// done fills in the count and the length and returns the frame's bytes.
func (t *taskBuilder) done() ([]byte, error) {
	binary.BigEndian.PutUint32(t.b[t.countAt:], uint32(t.count))
	return t.frame.done()
}

// chunk finishes the task as a chunk of job j whose first argument is
// index.
func (t *taskBuilder) chunk(index int, j job) (*chunk, error) {
	b, err := t.done()
	if err != nil {
		return nil, err
	}
	return &chunk{id: binary.BigEndian.Uint64(b[5:]), frame: b, n: t.count, index: index, job: j}, nil
}

// taskArgs is the encoded arguments of a task, read one at a time.
type taskArgs struct {
	b []byte // the arguments, each a bytes field, checked by parseTask
	n int    // how many are left
}

func (a *taskArgs) next() []byte {
	n := uint64(binary.BigEndian.Uint32(a.b))
	arg := a.b[4 : 4+n : 4+n]
	a.b = a.b[4+n:]
	a.n--
	return arg
}

func parseTask(p []byte) (id uint64, name string, args taskArgs, err error) {
	d := &decoder{b: p}
	id = d.u64()
	name = d.str()
	n := d.u32()
	if d.err != nil {
		return 0, "", taskArgs{}, d.err
	}
	if skipBytes(d.b, n) < 0 {
		return 0, "", taskArgs{}, errMalformed
	}
	return id, name, taskArgs{b: d.b, n: int(n)}, nil
}

// skipBytes returns the length of the n bytes fields at the start of b, or
// -1 if b is shorter.
func skipBytes(b []byte, n uint32) int {
	i := uint64(0)
	for ; n > 0; n-- {
		if uint64(len(b))-i < 4 {
			return -1
		}
		i += 4 + uint64(binary.BigEndian.Uint32(b[i:]))
		if i > uint64(len(b)) {
			return -1
		}
	}
	return int(i)
}

func cancelFrame(id uint64) []byte {
	f := newFrame(msgCancel, 8)
	f.u64(id)
	b, _ := f.done()
	return b
}

// panicError is a recovered panic, in the child.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("proc: function panicked: %v", e.value) }

// resultBuilder builds a result frame in the child, the outcomes of a
// task's calls appended one at a time.
type resultBuilder struct {
	frame
	count int
}

// newResult starts the result frame of task id in buf, whose bytes it
// reuses.
func newResult(buf []byte, id uint64) *resultBuilder {
	r := &resultBuilder{frame: frame{b: append(buf[:0], 0, 0, 0, 0, msgResult)}}
	r.u64(id)
	r.u32(0) // micros
	r.u32(0) // count
	return r
}

const (
	resultMicrosAt = 5 + 8
	resultCountAt  = resultMicrosAt + 4
)

// call runs e on arg, with recovery, and appends the outcome. It returns
// the call's error: what e returned, or a *panicError.
func (r *resultBuilder) call(ctx context.Context, e *entry, arg []byte) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
			r.fail(err)
		}
	}()
	start := len(r.b)
	b, err := e.run(ctx, arg, append(r.b, 0, 0, 0, 0, 0))
	if err != nil {
		r.fail(err)
		return err
	}
	binary.BigEndian.PutUint32(b[start+1:], uint32(len(b)-start-5))
	r.b = b
	r.count++
	return nil
}

// fail appends a failed outcome.
func (r *resultBuilder) fail(err error) {
	class, kind, stack := classify(err)
	msg := err.Error()
	r.u8(1)
	r.u8(class)
	r.u16(uint16(kind))
	r.u32(uint32(len(msg)))
	r.b = append(r.b, msg...)
	r.bytes(stack)
	r.count++
}

// done fills in micros, the count and the length, and returns the
// frame's bytes. Results too large to send are replaced with an error
// each.
func (r *resultBuilder) done(micros uint32) []byte {
	binary.BigEndian.PutUint32(r.b[resultMicrosAt:], micros)
	binary.BigEndian.PutUint32(r.b[resultCountAt:], uint32(r.count))
	b, err := r.frame.done()
	if err == nil {
		return b
	}
	size, n := len(r.b)-4, r.count
	r.b, r.count = r.b[:resultCountAt+4], 0
	err = fmt.Errorf("%w: %d bytes of encoded results, the limit is %d", ErrMessageTooLarge, size, frameLimit.Load())
	for range n {
		r.fail(err)
	}
	binary.BigEndian.PutUint32(r.b[resultCountAt:], uint32(n))
	binary.BigEndian.PutUint32(r.b, uint32(len(r.b)-4)) // whatever the limit: the parent will say if it is too much
	return r.b
}

func classify(err error) (class byte, kind latchkey.Kind, stack []byte) {
	if pe, ok := errors.AsType[*panicError](err); ok {
		return classPanic, 0, pe.stack
	}
	switch {
	case errors.Is(err, ErrNotRegistered):
		return classNotRegistered, 0, nil
	case errors.Is(err, ErrMessageTooLarge):
		return classTooLarge, 0, nil
	case errors.Is(err, context.Canceled):
		return classCanceled, 0, nil
	case errors.Is(err, context.DeadlineExceeded):
		return classDeadline, 0, nil
	}
	if k := latchkey.KindOf(err); k != latchkey.KindOther {
		return classKind, k, nil
	}
	return classOther, 0, nil
}

// results is the outcomes of a task's calls, in the parent, read one at a
// time: from a result frame, or the same failure for every call.
type results struct {
	n      int    // how many are left
	b      []byte // the items of a result frame, checked by parseResult
	pid    int    // of the worker that sent the frame
	failed error  // if not nil, the outcome of every call, and there is no frame
}

// failed returns the results of n calls that failed with err.
func failed(n int, err error) *results { return &results{n: n, failed: err} }

// next returns the next outcome: the encoded result, or the error.
func (r *results) next() (data []byte, err error) {
	r.n--
	if r.failed != nil {
		return nil, r.failed
	}
	if r.b[0] == 0 {
		n := uint64(binary.BigEndian.Uint32(r.b[1:]))
		data, r.b = r.b[5:5+n:5+n], r.b[5+n:]
		return data, nil
	}
	d := decoder{b: r.b[1:]}
	class, kind := d.u8(), latchkey.Kind(d.u16())
	msg, stack := string(d.bytes()), string(d.bytes())
	r.b = d.b
	return nil, remoteError(r.pid, class, kind, msg, stack)
}

func parseResult(p []byte, pid int) (id uint64, micros uint32, rs *results, err error) {
	d := &decoder{b: p}
	id = d.u64()
	micros = d.u32()
	n := d.u32()
	if d.err != nil {
		return 0, 0, nil, d.err
	}
	// Check the items: a status byte, then a result, or an error's class,
	// kind, message and stack.
	b := d.b
	for i := uint32(0); i < n; i++ {
		m := -1
		switch {
		case len(b) > 0 && b[0] == 0:
			if m = skipBytes(b[1:], 1); m >= 0 {
				m++
			}
		case len(b) >= 4:
			if m = skipBytes(b[4:], 2); m >= 0 {
				m += 4
			}
		}
		if m < 0 {
			return 0, 0, nil, errMalformed
		}
		b = b[m:]
	}
	return id, micros, &results{n: int(n), b: d.b, pid: pid}, nil
}

func remoteError(pid int, class byte, kind latchkey.Kind, msg, stack string) error {
	e := &RemoteError{Pid: pid, Msg: msg, Stack: stack}
	switch class {
	case classKind:
		e.err = &latchkey.Error{Kind: kind, Msg: msg}
	case classCanceled:
		e.err = context.Canceled
	case classDeadline:
		e.err = context.DeadlineExceeded
	case classPanic:
		e.err = ErrPanic
	case classNotRegistered:
		e.err = ErrNotRegistered
	case classTooLarge:
		e.err = ErrMessageTooLarge
	}
	return e
}
