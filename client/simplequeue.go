package client

import (
	"context"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.SimpleQueue = (*SimpleQueue)(nil)

// SimpleQueue is a handle on a server [latchkey.SimpleQueue]: an unbounded
// FIFO queue (Python's queue.SimpleQueue). Get blocks with the
// cancellation rules of [Queue]; a Put synchronizes before the Get that
// takes its item. SimpleQueue is safe for concurrent use.
type SimpleQueue struct{ h *handle }

// Put appends v.
func (q *SimpleQueue) Put(ctx context.Context, v []byte) error {
	return q.h.none(ctx, wire.OpSimpleQueuePut, nil, [][]byte{v})
}

// Get blocks until an item is available or ctx is done, and removes and
// returns it.
func (q *SimpleQueue) Get(ctx context.Context) ([]byte, error) {
	resp, err := q.h.call(ctx, wire.OpSimpleQueueGet, nil, nil)
	if err != nil {
		return nil, err
	}
	return bytesAt(resp, 0)
}

// TryGet returns an item if one is available, latchkey.ErrEmpty otherwise.
func (q *SimpleQueue) TryGet(ctx context.Context) ([]byte, error) {
	resp, err := q.h.call(ctx, wire.OpSimpleQueueTryGet, nil, nil)
	if err != nil {
		return nil, err
	}
	return bytesAt(resp, 0)
}

// Len returns the number of items (a snapshot).
func (q *SimpleQueue) Len(ctx context.Context) (int, error) {
	n, err := q.h.int(ctx, wire.OpSimpleQueueLen, nil, nil)
	return int(n), err
}
