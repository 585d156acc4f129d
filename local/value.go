package local

import (
	"context"
	"math"
	"sync/atomic"

	"github.com/latchkey/latchkey"
)

var (
	_ latchkey.Value[int64]   = (*Value[int64])(nil)
	_ latchkey.Value[float64] = (*Value[float64])(nil)
)

// Value is an in-process [latchkey.Value]: a number with atomic
// read-modify-write operations (Python's multiprocessing Value('q') or
// Value('d')). The zero value holds 0 and is ready to use. A Value must not
// be copied after first use.
//
// Add, Swap and CompareAndSwap are single atomic steps, so the lost update
// of Python's v.value += 1 (a read and a write, each taking the lock
// separately) cannot happen: n calls of Add(ctx, 1) add exactly n.
//
// A Value is safe for concurrent use and lock-free: it keeps the bits of
// its number in an [atomic.Uint64]; an Add on a floating-point Value is a
// compare-and-swap loop. Its methods are totally ordered, and a call that
// modifies the value synchronizes before every later call that observes
// the modification, as for the types of [sync/atomic].
//
// No method blocks, so every method ignores its ctx, even one that is
// already done, and never returns an error.
//
// Integers wrap around on overflow, as a C long long (and Python's c_int
// types) does. Floats are compared by their bits in CompareAndSwap: a NaN
// equals a NaN with the same bits, and -0 does not equal +0.
//
// Differences from Python: there is no get_lock; the atomic methods replace
// the pattern "with v.get_lock(): v.value += 1".
type Value[T latchkey.Number] struct {
	_ noCopy

	bits atomic.Uint64 // the number: int64 bits, or math.Float64bits
}

// Waiters returns the number of calls blocked on v, which is always 0:
// no method of a Value blocks.
func (v *Value[T]) Waiters() int { return 0 }

// Load returns the value.
func (v *Value[T]) Load(context.Context) (T, error) {
	return numberFromBits[T](v.bits.Load()), nil
}

// Store sets the value to x.
func (v *Value[T]) Store(_ context.Context, x T) error {
	v.bits.Store(numberBits(x))
	return nil
}

// Add adds delta atomically and returns the new value. Integers wrap around
// on overflow.
func (v *Value[T]) Add(_ context.Context, delta T) (T, error) {
	if !isFloatNumber[T]() {
		return numberFromBits[T](v.bits.Add(numberBits(delta))), nil
	}
	return v.addFloat(delta), nil
}

// addFloat adds delta with a compare-and-swap loop and returns the sum.
// It is apart from Add so that the integer Add can be inlined.
func (v *Value[T]) addFloat(delta T) T {
	for {
		old := v.bits.Load()
		sum := numberFromBits[T](old) + delta
		if v.bits.CompareAndSwap(old, numberBits(sum)) {
			return sum
		}
	}
}

// Swap sets the value to x and returns the previous value.
func (v *Value[T]) Swap(_ context.Context, x T) (T, error) {
	return numberFromBits[T](v.bits.Swap(numberBits(x))), nil
}

// CompareAndSwap sets the value to new if it equals old, and reports
// whether it did. Floats are compared by their bits: NaN equals a NaN with
// the same bits, and -0 does not equal +0.
func (v *Value[T]) CompareAndSwap(_ context.Context, old, new T) (bool, error) {
	return v.bits.CompareAndSwap(numberBits(old), numberBits(new)), nil
}

// isFloatNumber reports whether T is a floating-point type.
func isFloatNumber[T latchkey.Number]() bool {
	var x T = 1
	x /= 2
	return x != 0
}

// numberBits returns the bits of x: its two's complement for an integer,
// its IEEE 754 representation for a float.
func numberBits[T latchkey.Number](x T) uint64 {
	if isFloatNumber[T]() {
		return math.Float64bits(float64(x))
	}
	return uint64(int64(x))
}

// numberFromBits is the inverse of numberBits.
func numberFromBits[T latchkey.Number](b uint64) T {
	if isFloatNumber[T]() {
		return T(math.Float64frombits(b))
	}
	return T(int64(b))
}
