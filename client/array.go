package client

import (
	"context"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var (
	_ latchkey.Array[int64]   = (*Array[int64])(nil)
	_ latchkey.Array[float64] = (*Array[float64])(nil)
)

// Array is a handle on a server [latchkey.Array]: a fixed-length array of
// int64 or float64 (Python's Array('q', n) or Array('d', n)). Each method
// is one atomic step on the server; none blocks. Array is safe for
// concurrent use.
type Array[T int64 | float64] struct {
	h    *handle
	n    int
	base wire.Op // the type's Load op; the others follow it
}

// Len returns the length the handle was opened with.
func (a *Array[T]) Len() int { return a.n }

// Load returns element i.
func (a *Array[T]) Load(ctx context.Context, i int) (T, error) {
	n, err := a.h.int(ctx, a.base, []int64{int64(i)}, nil)
	return fromWire[T](n), err
}

// Store sets element i.
func (a *Array[T]) Store(ctx context.Context, i int, v T) error {
	return a.h.none(ctx, a.base+1, []int64{int64(i), toWire(v)}, nil)
}

// Add adds delta to element i atomically and returns the new value.
func (a *Array[T]) Add(ctx context.Context, i int, delta T) (T, error) {
	n, err := a.h.int(ctx, a.base+2, []int64{int64(i), toWire(delta)}, nil)
	return fromWire[T](n), err
}

// CompareAndSwap sets element i to new if it equals old.
func (a *Array[T]) CompareAndSwap(ctx context.Context, i int, old, new T) (bool, error) {
	return a.h.bool(ctx, a.base+3, []int64{int64(i), toWire(old), toWire(new)}, nil)
}

// LoadRange returns a copy of elements [lo, hi), read atomically.
func (a *Array[T]) LoadRange(ctx context.Context, lo, hi int) ([]T, error) {
	resp, err := a.h.call(ctx, a.base+4, []int64{int64(lo), int64(hi)}, nil)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(resp.Ints))
	for i, n := range resp.Ints {
		out[i] = fromWire[T](n)
	}
	return out, nil
}

// StoreRange sets elements [lo, lo+len(vs)) atomically.
func (a *Array[T]) StoreRange(ctx context.Context, lo int, vs []T) error {
	ints := make([]int64, 1, 1+len(vs))
	ints[0] = int64(lo)
	for _, v := range vs {
		ints = append(ints, toWire(v))
	}
	return a.h.none(ctx, a.base+5, ints, nil)
}
