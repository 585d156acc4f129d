package proc

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

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
const (
	msgHello  byte = 1
	msgTask   byte = 2
	msgResult byte = 3
	msgCancel byte = 4

	protoVersion = 1
	maxFrame     = 1 << 30 // the largest control frame: a task's encoded arguments
)

// Error classes of a result item: which local error a remote one matches.
const (
	classOther byte = iota
	classKind       // a latchkey *Error of the given Kind
	classCanceled
	classDeadline
	classPanic
	classNotRegistered
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
	if n > maxFrame {
		return nil, fmt.Errorf("%w: %d bytes of encoded arguments, the limit is %d", ErrMessageTooLarge, n, maxFrame)
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

// taskFrame encodes a task.
func taskFrame(id uint64, name string, args [][]byte) ([]byte, error) {
	size := 8 + 2 + len(name) + 4
	for _, a := range args {
		size += 4 + len(a)
	}
	f := newFrame(msgTask, size)
	f.u64(id)
	f.str(name)
	f.u32(uint32(len(args)))
	for _, a := range args {
		f.bytes(a)
	}
	return f.done()
}

func parseTask(p []byte) (id uint64, name string, args [][]byte, err error) {
	d := &decoder{b: p}
	id = d.u64()
	name = d.str()
	n := d.u32()
	if d.err == nil && uint64(n) > uint64(len(d.b)/4) {
		return 0, "", nil, errMalformed
	}
	args = make([][]byte, 0, n)
	for i := uint32(0); i < n && d.err == nil; i++ {
		args = append(args, d.bytes())
	}
	return id, name, args, d.err
}

func cancelFrame(id uint64) []byte {
	f := newFrame(msgCancel, 8)
	f.u64(id)
	b, _ := f.done()
	return b
}

// outcome is the outcome of one call of a function, in the child.
type outcome struct {
	data []byte
	err  error
}

// panicError is a recovered panic, in the child.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("proc: function panicked: %v", e.value) }

// resultFrame encodes the outcomes of a task.
func resultFrame(id uint64, micros uint32, outs []outcome) []byte {
	size := 16
	for _, o := range outs {
		size += 5 + len(o.data)
	}
	f := newFrame(msgResult, size)
	f.u64(id)
	f.u32(micros)
	f.u32(uint32(len(outs)))
	for _, o := range outs {
		if o.err == nil {
			f.u8(0)
			f.bytes(o.data)
			continue
		}
		class, kind, stack := classify(o.err)
		f.u8(1)
		f.u8(class)
		f.u16(uint16(kind))
		f.bytes([]byte(o.err.Error()))
		f.bytes(stack)
	}
	b, err := f.done()
	if err != nil {
		// A result too large to send: send the error in its place.
		for i := range outs {
			outs[i] = outcome{err: fmt.Errorf("proc: encoded results of %d bytes exceed the %d-byte limit", len(f.b), maxFrame)}
		}
		return resultFrame(id, micros, outs)
	}
	return b
}

func classify(err error) (class byte, kind latchkey.Kind, stack []byte) {
	if pe, ok := errors.AsType[*panicError](err); ok {
		return classPanic, 0, pe.stack
	}
	switch {
	case errors.Is(err, ErrNotRegistered):
		return classNotRegistered, 0, nil
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

// itemResult is the outcome of one call, in the parent: the encoded result
// or the error.
type itemResult struct {
	data []byte
	err  error
}

func parseResult(p []byte, pid int) (id uint64, micros uint32, items []itemResult, err error) {
	d := &decoder{b: p}
	id = d.u64()
	micros = d.u32()
	n := d.u32()
	if d.err == nil && uint64(n) > uint64(len(d.b)/5) {
		return 0, 0, nil, errMalformed
	}
	items = make([]itemResult, 0, n)
	for i := uint32(0); i < n && d.err == nil; i++ {
		if d.u8() == 0 {
			items = append(items, itemResult{data: d.bytes()})
			continue
		}
		class, kind := d.u8(), latchkey.Kind(d.u16())
		msg, stack := string(d.bytes()), string(d.bytes())
		items = append(items, itemResult{err: remoteError(pid, class, kind, msg, stack)})
	}
	return id, micros, items, d.err
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
	}
	return e
}

// call runs one registered function with recovery, in the child.
func call(ctx context.Context, e *entry, arg []byte) (o outcome) {
	defer func() {
		if v := recover(); v != nil {
			o = outcome{err: &panicError{value: v, stack: debug.Stack()}}
		}
	}()
	data, err := e.run(ctx, arg)
	return outcome{data: data, err: err}
}
