package client

import (
	"context"
	"iter"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.List = (*List)(nil)

// List is a handle on a server [latchkey.List] (Python's
// Manager().list()), with Python's index rules. Every method is one
// atomic step on the server, and none blocks; values are copied in and
// out. List is safe for concurrent use.
type List struct{ h *handle }

// Append appends the values, in order.
func (l *List) Append(ctx context.Context, values ...[]byte) error {
	if values == nil {
		values = [][]byte{}
	}
	return l.h.none(ctx, wire.OpListAppend, nil, values)
}

// Insert inserts v before index i.
func (l *List) Insert(ctx context.Context, i int, v []byte) error {
	return l.h.none(ctx, wire.OpListInsert, []int64{int64(i)}, [][]byte{v})
}

// one runs an op that returns one byte string.
func (l *List) one(ctx context.Context, op wire.Op, ints []int64) ([]byte, error) {
	resp, err := l.h.call(ctx, op, ints, nil)
	if err != nil {
		return nil, err
	}
	return bytesAt(resp, 0)
}

// Get returns the element at index i.
func (l *List) Get(ctx context.Context, i int) ([]byte, error) {
	return l.one(ctx, wire.OpListGet, []int64{int64(i)})
}

// Set replaces the element at index i.
func (l *List) Set(ctx context.Context, i int, v []byte) error {
	return l.h.none(ctx, wire.OpListSet, []int64{int64(i)}, [][]byte{v})
}

// Pop removes and returns the element at index i.
func (l *List) Pop(ctx context.Context, i int) ([]byte, error) {
	return l.one(ctx, wire.OpListPop, []int64{int64(i)})
}

// Remove removes the first element equal to v.
func (l *List) Remove(ctx context.Context, v []byte) error {
	return l.h.none(ctx, wire.OpListRemove, nil, [][]byte{v})
}

// Index returns the index of the first element equal to v.
func (l *List) Index(ctx context.Context, v []byte) (int, error) {
	n, err := l.h.int(ctx, wire.OpListIndex, nil, [][]byte{v})
	return int(n), err
}

// Count returns the number of elements equal to v.
func (l *List) Count(ctx context.Context, v []byte) (int, error) {
	n, err := l.h.int(ctx, wire.OpListCount, nil, [][]byte{v})
	return int(n), err
}

// Len returns the number of elements.
func (l *List) Len(ctx context.Context) (int, error) {
	n, err := l.h.int(ctx, wire.OpListLen, nil, nil)
	return int(n), err
}

// Slice returns a copy of the elements [lo:hi], with Python's slice rules.
func (l *List) Slice(ctx context.Context, lo, hi int) ([][]byte, error) {
	resp, err := l.h.call(ctx, wire.OpListSlice, []int64{int64(lo), int64(hi)}, nil)
	if err != nil {
		return nil, err
	}
	if resp.Bytes == nil {
		return [][]byte{}, nil
	}
	return resp.Bytes, nil
}

// All returns an iterator over a snapshot of the elements.
func (l *List) All(ctx context.Context) (iter.Seq2[int, []byte], error) {
	resp, err := l.h.call(ctx, wire.OpListAll, nil, nil)
	if err != nil {
		return nil, err
	}
	b := resp.Bytes
	return func(yield func(int, []byte) bool) {
		for i, v := range b {
			if !yield(i, v) {
				return
			}
		}
	}, nil
}

// Reverse reverses the list in place.
func (l *List) Reverse(ctx context.Context) error { return l.h.none(ctx, wire.OpListReverse, nil, nil) }

// Sort sorts the list in place by byte order, stably.
func (l *List) Sort(ctx context.Context) error { return l.h.none(ctx, wire.OpListSort, nil, nil) }

// Clear removes every element.
func (l *List) Clear(ctx context.Context) error { return l.h.none(ctx, wire.OpListClear, nil, nil) }
