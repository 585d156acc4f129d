package local

import (
	"context"
	"sync"

	"github.com/latchkey/latchkey"
)

var (
	_ latchkey.Array[int64]   = (*Array[int64])(nil)
	_ latchkey.Array[float64] = (*Array[float64])(nil)
)

// Array is an in-process [latchkey.Array]: a fixed-length array of numbers,
// zero-filled at creation (Python's multiprocessing Array('q', n) or
// Array('d', n)). Create one with [NewArray]. An Array must not be copied.
//
// Indices run from 0 to Len()-1; any other index, including a negative
// one, returns [latchkey.ErrOutOfRange]. LoadRange and StoreRange read and
// write a run of elements (Python's slices and slice assignment) in one
// atomic step: a LoadRange never sees part of a StoreRange.
//
// An Array is safe for concurrent use. Every method is one atomic step
// under one mutex: the methods called on an Array are totally ordered, and
// a call that modifies the array synchronizes before every later call that
// observes the modification.
//
// No method blocks (beyond a short critical section), so every method
// ignores its ctx, even one that is already done.
//
// Integers wrap around on overflow, as a C long long does. CompareAndSwap
// compares floats by their bits, as [Value] does: a NaN equals a NaN with
// the same bits, and -0 does not equal +0.
//
// Differences from Python: negative indices and slice steps are not
// supported; a range's bounds must lie within the array, where Python
// clamps a slice's bounds (and requires a slice assignment to keep the
// length, which StoreRange does by construction); there is no get_lock,
// whose uses the atomic methods replace.
type Array[T latchkey.Number] struct {
	mu    sync.Mutex // guards the contents of elems
	elems []T        // the elements; the slice itself never changes
}

// NewArray returns an array of n zeros, or [latchkey.ErrInvalid] if n is
// negative.
func NewArray[T latchkey.Number](n int) (*Array[T], error) {
	if n < 0 {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "local: array of negative length %d", n)
	}
	return &Array[T]{elems: make([]T, n)}, nil
}

// Waiters returns the number of calls blocked on a, which is always 0:
// no method of an Array blocks.
func (a *Array[T]) Waiters() int { return 0 }

// Len returns the array's length.
func (a *Array[T]) Len() int { return len(a.elems) }

// Load returns element i.
func (a *Array[T]) Load(_ context.Context, i int) (T, error) {
	if err := a.check(i); err != nil {
		return 0, err
	}
	a.mu.Lock()
	x := a.elems[i]
	a.mu.Unlock()
	return x, nil
}

// Store sets element i to x.
func (a *Array[T]) Store(_ context.Context, i int, x T) error {
	if err := a.check(i); err != nil {
		return err
	}
	a.mu.Lock()
	a.elems[i] = x
	a.mu.Unlock()
	return nil
}

// Add adds delta to element i atomically and returns the new value.
func (a *Array[T]) Add(_ context.Context, i int, delta T) (T, error) {
	if err := a.check(i); err != nil {
		return 0, err
	}
	a.mu.Lock()
	a.elems[i] += delta
	x := a.elems[i]
	a.mu.Unlock()
	return x, nil
}

// CompareAndSwap sets element i to new if it equals old (floats compared by
// their bits), and reports whether it did.
func (a *Array[T]) CompareAndSwap(_ context.Context, i int, old, new T) (bool, error) {
	if err := a.check(i); err != nil {
		return false, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if numberBits(a.elems[i]) != numberBits(old) {
		return false, nil
	}
	a.elems[i] = new
	return true, nil
}

// LoadRange returns a copy of elements [lo, hi), read in one atomic step.
// It returns [latchkey.ErrOutOfRange] unless 0 ≤ lo ≤ hi ≤ Len.
func (a *Array[T]) LoadRange(_ context.Context, lo, hi int) ([]T, error) {
	if lo < 0 || lo > hi || hi > len(a.elems) {
		return nil, latchkey.Errorf(latchkey.KindOutOfRange, "local: array range [%d:%d] out of range for length %d", lo, hi, len(a.elems))
	}
	out := make([]T, hi-lo)
	a.mu.Lock()
	copy(out, a.elems[lo:hi])
	a.mu.Unlock()
	return out, nil
}

// StoreRange sets elements [lo, lo+len(vs)) to vs in one atomic step
// (slice assignment). It returns [latchkey.ErrOutOfRange] unless lo ≥ 0 and
// lo+len(vs) ≤ Len.
func (a *Array[T]) StoreRange(_ context.Context, lo int, vs []T) error {
	if lo < 0 || lo > len(a.elems)-len(vs) {
		return latchkey.Errorf(latchkey.KindOutOfRange, "local: array range [%d:%d+%d] out of range for length %d", lo, lo, len(vs), len(a.elems))
	}
	a.mu.Lock()
	copy(a.elems[lo:], vs)
	a.mu.Unlock()
	return nil
}

// check returns ErrOutOfRange unless 0 ≤ i < Len.
func (a *Array[T]) check(i int) error {
	if i < 0 || i >= len(a.elems) {
		return latchkey.Errorf(latchkey.KindOutOfRange, "local: array index %d out of range for length %d", i, len(a.elems))
	}
	return nil
}
