package local

import (
	"bytes"
	"context"
	"sync"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/itemq"
	"github.com/latchkey/latchkey/internal/waitq"
)

var _ latchkey.SimpleQueue = (*SimpleQueue)(nil)

// SimpleQueue is an in-process [latchkey.SimpleQueue]: an unbounded FIFO
// queue of byte strings with Python's queue.SimpleQueue semantics. Put
// never blocks; there is no bound, task tracking or shutdown. Put copies
// the bytes it is given and Get returns a slice the caller owns.
//
// The zero value is an empty queue, ready to use. A SimpleQueue must not
// be copied after first use. It is safe for concurrent use by multiple
// goroutines.
//
// Blocked Gets are served in arrival order: an item put while getters wait
// is handed to the longest-waiting one, and TryGet never takes an item a
// blocked getter is owed. Get blocks while the queue is empty until an
// item comes or its ctx is done; a Get whose ctx is already done returns
// ctx.Err() without acting, and a cancelled Get returns ctx.Err() and takes
// no item: an item handed to it at the moment its ctx ended goes back to
// the front, ahead of later items, and is offered to the next getter. Put,
// TryGet, Len and Waiters never block and ignore ctx.
//
// A Put synchronizes before the Get that returns its item.
//
// Differences from Python: Get's timeout is its ctx, so there is no
// ValueError for a negative timeout; Python makes no fairness promise,
// this queue serves getters in arrival order.
type SimpleQueue struct {
	_ noCopy

	mu      sync.Mutex             // guards items, seq and getters
	items   itemq.Store            // the items, oldest first (FIFO)
	seq     uint64                 // seq of the latest item put
	getters waitq.Queue[queueSlot] // blocked Gets; the queue is empty
}

// Put appends a copy of v, or hands it to the longest-waiting Get. It
// never blocks and always returns nil.
func (q *SimpleQueue) Put(_ context.Context, v []byte) error {
	v = bytes.Clone(v)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.seq++
	it := itemq.Item{Seq: q.seq, Val: v}
	if w := q.getters.Front(); w != nil {
		w.Val.item = it
		q.getters.Grant(w)
		return nil
	}
	q.items.Push(it)
	return nil
}

// Get removes and returns the oldest item, blocking while the queue is
// empty until an item comes or ctx is done.
func (q *SimpleQueue) Get(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q.mu.Lock()
	if q.items.Len() > 0 {
		it := q.items.Take()
		q.mu.Unlock()
		return it.Val, nil
	}
	w := q.getters.Push(queueSlot{})
	q.mu.Unlock()
	if err := waitq.Await(ctx, &q.mu, &q.getters, w, q.unget, nil); err != nil {
		return nil, err
	}
	return w.Val.item.Val, nil
}

// TryGet removes and returns the oldest item if there is one, and returns
// [latchkey.ErrEmpty] otherwise.
func (q *SimpleQueue) TryGet(context.Context) ([]byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.items.Len() == 0 {
		return nil, latchkey.ErrEmpty
	}
	return q.items.Take().Val, nil
}

// Len returns the number of items in the queue (a snapshot).
func (q *SimpleQueue) Len(context.Context) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.items.Len(), nil
}

// Waiters returns the number of Get calls blocked on the queue.
func (q *SimpleQueue) Waiters() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.getters.Len()
}

// unget gives back the item handed to a Get whose ctx ended at the same
// moment: it returns to its place and is offered to the next getter. Call
// with mu held.
func (q *SimpleQueue) unget(w *waitq.Waiter[queueSlot]) {
	it := w.Val.item
	w.Val = queueSlot{}
	q.items.Insert(it)
	for q.getters.Len() > 0 && q.items.Len() > 0 {
		g := q.getters.Front()
		g.Val.item = q.items.Take()
		q.getters.Grant(g)
	}
}
