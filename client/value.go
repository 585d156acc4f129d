package client

import (
	"context"
	"math"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var (
	_ latchkey.Value[int64]   = (*Value[int64])(nil)
	_ latchkey.Value[float64] = (*Value[float64])(nil)
)

// Value is a handle on a server [latchkey.Value]: an int64 (Python's
// Value('q')) or a float64 (Value('d')) with atomic read-modify-write
// operations. Floats travel as their IEEE 754 bits and compare by bits in
// CompareAndSwap. No method blocks. Value is safe for concurrent use.
type Value[T int64 | float64] struct {
	h    *handle
	base wire.Op // the type's Load op; the others follow it
}

// toWire returns v as it travels in Ints.
func toWire[T int64 | float64](v T) int64 {
	switch x := any(v).(type) {
	case float64:
		return int64(math.Float64bits(x))
	case int64:
		return x
	}
	return 0
}

// fromWire returns the T that n carries.
func fromWire[T int64 | float64](n int64) T {
	var zero T
	if _, ok := any(zero).(float64); ok {
		return T(math.Float64frombits(uint64(n)))
	}
	return T(n)
}

func (v *Value[T]) result(ctx context.Context, op wire.Op, ints ...int64) (T, error) {
	n, err := v.h.int(ctx, op, ints, nil)
	if err != nil {
		var zero T
		return zero, err
	}
	return fromWire[T](n), nil
}

// Load returns the value.
func (v *Value[T]) Load(ctx context.Context) (T, error) { return v.result(ctx, v.base) }

// Store sets the value.
func (v *Value[T]) Store(ctx context.Context, x T) error {
	return v.h.none(ctx, v.base+1, []int64{toWire(x)}, nil)
}

// Add adds delta atomically and returns the new value.
func (v *Value[T]) Add(ctx context.Context, delta T) (T, error) {
	return v.result(ctx, v.base+2, toWire(delta))
}

// Swap sets the value and returns the previous one.
func (v *Value[T]) Swap(ctx context.Context, x T) (T, error) {
	return v.result(ctx, v.base+3, toWire(x))
}

// CompareAndSwap sets new if the value equals old.
func (v *Value[T]) CompareAndSwap(ctx context.Context, old, new T) (bool, error) {
	return v.h.bool(ctx, v.base+4, []int64{toWire(old), toWire(new)}, nil)
}
