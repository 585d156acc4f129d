package shm

import (
	"context"
	"unsafe"

	"github.com/latchkey/latchkey"
)

var (
	_ latchkey.Value[int64]   = (*Value[int64])(nil)
	_ latchkey.Value[float64] = (*Value[float64])(nil)
)

// A Value's or Array's body: the attached lock's word, then the numbers.
// Their parameters.
const (
	offNumbers = offBody + lkBodySize

	numParamElem = 0 // the elemKind
	numParamMode = 1 // modeAttached, modeRaw or modeExternal
	numParamID0  = 2 // the external lock's identity
	numParamID1  = 3 //
	numParamLen  = 4 // an Array's length
)

// Value is a number in shared memory (Python's multiprocessing.Value),
// with atomic read-modify-write operations, so that the lost update of
// Python's v.value += 1 cannot happen: n calls of Add(ctx, 1) add exactly
// n, from any number of processes.
//
// As in Python, a Value has a lock ([Options]): by default a [Lock]
// attached to it, which every method takes, so that code holding
// [Value.GetLock] excludes every other method call on the Value in every
// process. Such code reads and writes the number through [Value.Raw]
// (Python's get_obj()): the lock is a Lock, not an RLock as in Python, so
// a method called with the lock held would wait for it forever. A raw
// Value (Options.Raw) has no lock, and each method is one atomic
// instruction.
//
// A method blocks only to wait for the lock, and honours ctx only then: a
// method whose lock is free succeeds even if ctx is done. A method that
// finds the lock's holder died holding it does its work and returns its
// result with [latchkey.ErrOwnerDied].
//
// Integers wrap around on overflow, as C's do. CompareAndSwap compares
// floats by their bits: a NaN equals a NaN with the same bits, and -0 does
// not equal +0.
//
// A Value handle is safe for concurrent use. Its methods are atomic, and a
// call that modifies the number synchronizes before every later call, in
// any process, that observes the modification.
type Value[T Number] struct {
	a Array[T] // of length 1
}

// Load returns the value.
func (v *Value[T]) Load(ctx context.Context) (T, error) { return v.a.Load(ctx, 0) }

// Store sets the value to x.
func (v *Value[T]) Store(ctx context.Context, x T) error { return v.a.Store(ctx, 0, x) }

// Add adds delta atomically and returns the new value.
func (v *Value[T]) Add(ctx context.Context, delta T) (T, error) { return v.a.Add(ctx, 0, delta) }

// Swap sets the value to x and returns the previous value.
func (v *Value[T]) Swap(ctx context.Context, x T) (T, error) { return v.a.Swap(ctx, 0, x) }

// CompareAndSwap sets the value to new if it equals old, and reports
// whether it did.
func (v *Value[T]) CompareAndSwap(ctx context.Context, old, new T) (bool, error) {
	return v.a.CompareAndSwap(ctx, 0, old, new)
}

// GetLock returns the Value's lock (Python's get_lock()): its attached
// [*Lock], the lock given in its Options, or nil for a raw Value.
func (v *Value[T]) GetLock() latchkey.Locker { return v.a.GetLock() }

// Raw returns a handle on the same number that takes no lock (Python's
// get_obj()), for code that holds the lock, or that needs only single
// atomic steps.
func (v *Value[T]) Raw() *Value[T] { return &Value[T]{*v.a.Raw()} }

// Waiters returns the number of calls blocked on the Value's attached lock
// (a snapshot).
func (v *Value[T]) Waiters() int { return v.a.Waiters() }

// Name returns the Value's name.
func (v *Value[T]) Name() string { return v.a.Name() }

// OpenValue opens the [Value] of T called name in m, initially 0, with the
// lock that opts chooses (nil: an attached Lock). A name that belongs to
// another type, a Value of another T or another lock choice returns
// [latchkey.ErrMismatch].
func OpenValue[T Number](ctx context.Context, m *Manager, name string, opts *Options) (*Value[T], error) {
	k := kindOf[T]()
	mode, id0, id1, err := lockParams(opts)
	if err != nil {
		return nil, err
	}
	r, err := m.open(ctx, name, kindValue, [numParams]uint64{uint64(k), mode, id0, id1}, int(offNumbers+8), nil)
	if err != nil {
		return nil, err
	}
	return &Value[T]{Array[T]{r: r, p: unsafe.Add(r.base, offNumbers), k: k, n: 1, l: newLocking(r, offBody, opts)}}, nil
}
