package client

import (
	"context"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.Queue = (*Queue)(nil)

// Queue is a handle on a server [latchkey.Queue] (Python's queue.Queue
// and JoinableQueue): FIFO, LIFO or priority, bounded or not, with task
// tracking and shutdown. Blocked getters and putters are served in
// arrival order. Put, Get and Join block until done or ctx is done; a
// cancelled call is cancelled on the server and, unless the server
// completed it first (then the call reports success), leaves the queue
// unchanged: a cancelled Get takes no item, a cancelled Put adds none. A
// Put synchronizes before the Get that takes its item.
//
// Items are copied in and out. Queue is safe for concurrent use.
type Queue struct {
	h   *handle
	cap int
}

// Put blocks until there is room or ctx is done, then adds v.
func (q *Queue) Put(ctx context.Context, v []byte) error {
	return q.h.none(ctx, wire.OpQueuePut, nil, [][]byte{v})
}

// TryPut adds v if there is room, latchkey.ErrFull otherwise.
func (q *Queue) TryPut(ctx context.Context, v []byte) error {
	return q.h.none(ctx, wire.OpQueueTryPut, nil, [][]byte{v})
}

// Get removes and returns the next item, blocking while the queue is empty.
func (q *Queue) Get(ctx context.Context) ([]byte, error) {
	resp, err := q.h.call(ctx, wire.OpQueueGet, nil, nil)
	if err != nil {
		return nil, err
	}
	return bytesAt(resp, 0)
}

// TryGet returns the next item if there is one, latchkey.ErrEmpty otherwise.
func (q *Queue) TryGet(ctx context.Context) ([]byte, error) {
	resp, err := q.h.call(ctx, wire.OpQueueTryGet, nil, nil)
	if err != nil {
		return nil, err
	}
	return bytesAt(resp, 0)
}

// Len returns the number of items (a snapshot).
func (q *Queue) Len(ctx context.Context) (int, error) {
	n, err := q.h.int(ctx, wire.OpQueueLen, nil, nil)
	return int(n), err
}

// Cap returns the queue's MaxSize (0 for unbounded).
func (q *Queue) Cap() int { return q.cap }

// TaskDone marks one unfinished task done.
func (q *Queue) TaskDone(ctx context.Context) error {
	return q.h.none(ctx, wire.OpQueueTaskDone, nil, nil)
}

// Join blocks until every item put has been marked done, or ctx is done.
func (q *Queue) Join(ctx context.Context) error {
	return q.h.none(ctx, wire.OpQueueJoin, nil, nil)
}

// Unfinished returns the number of tasks not yet marked done.
func (q *Queue) Unfinished(ctx context.Context) (int, error) {
	n, err := q.h.int(ctx, wire.OpQueueUnfinished, nil, nil)
	return int(n), err
}

// Shutdown shuts the queue down (see [latchkey.Queue]).
func (q *Queue) Shutdown(ctx context.Context, immediate bool) error {
	var i int64
	if immediate {
		i = 1
	}
	return q.h.none(ctx, wire.OpQueueShutdown, []int64{i}, nil)
}
