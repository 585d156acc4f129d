package local

import (
	"bytes"
	"context"
	"sync"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/itemq"
	"github.com/latchkey/latchkey/internal/waitq"
)

var _ latchkey.Queue = (*Queue)(nil)

// queueSlot is what a blocked Get or Put waits with: the item it was given
// or is putting, and the error it is woken with (ErrShutDown), if any.
type queueSlot struct {
	item itemq.Item
	err  error
}

// Queue is an in-process [latchkey.Queue]: a queue of byte strings with
// Python's queue.Queue, LifoQueue and PriorityQueue semantics (and so
// multiprocessing's JoinableQueue), bounded or not, with task tracking
// (TaskDone, Join) and Python 3.13's Shutdown. Put copies the bytes it is
// given and Get returns a slice the caller owns.
//
// The zero value is an empty, unbounded FIFO queue, ready to use; use
// [NewQueue] for another order or a bound. A Queue must not be copied
// after first use. It is safe for concurrent use by multiple goroutines.
//
// # Order and fairness
//
// FIFO hands out the oldest item first, LIFO the newest, Priority the
// smallest by bytes.Compare, equal items in arrival order. Blocked Get and
// Put calls are each served in arrival order: an item put while getters
// wait is handed to the longest-waiting getter, and when room frees while
// putters wait the longest-waiting putter's item is moved in. TryGet never
// takes an item a blocked getter is owed (getters only wait while the queue
// is empty), and TryPut fails with [latchkey.ErrFull] while putters are
// queued, so no Try form overtakes a waiter.
//
// # Blocking and cancellation
//
// Put (on a full queue), Get (on an empty one) and Join (while tasks are
// unfinished) block until they can proceed or their ctx is done. A call
// whose ctx is already done returns ctx.Err() without acting. A call
// cancelled while blocked returns ctx.Err() and leaves the queue as it was:
// a cancelled Put leaves no item, a cancelled Get takes none. When an item
// was handed to a Get at the moment its ctx ended, the item goes back to
// the place it had, ahead of later items, and is offered to the next
// getter. When a Put's item was moved in at the moment its ctx ended, the
// item is taken out again if it is still queued; if a Get has taken it
// already, the Put happened and returns nil. TryPut, TryGet, TaskDone,
// Unfinished, Len, Shutdown and Waiters never block and ignore ctx.
//
// # Memory model
//
// A Put synchronizes before the Get that returns its item. A TaskDone that
// brings the unfinished count to zero synchronizes before the Join calls it
// lets return. Shutdown synchronizes before every call that fails with
// [latchkey.ErrShutDown] because of it.
//
// # Differences from Python
//
// Timeouts are contexts, so there is no ValueError for a negative
// timeout, and Join can be given up. MaxSize cannot be changed after
// creation. Items are byte strings compared with bytes.Compare, not Python
// objects. Python lets a newcomer barge past woken waiters; this queue
// serves waiters strictly in arrival order. The errors are the root
// sentinels: ErrEmpty, ErrFull, ErrShutDown and ErrTaskDone for Python's
// Empty, Full, ShutDown and ValueError. Because a Get cancelled at the
// moment of a hand-off puts its item back, a bounded queue may briefly hold
// more than MaxSize items (one more per such Get) until the next Get.
type Queue struct {
	_ noCopy

	mu         sync.Mutex             // guards every field below
	maxSize    int                    // bound on the items; 0 for none
	items      itemq.Store            // the stored items, in q's order
	seq        uint64                 // seq of the latest item put
	unfinished int                    // tasks put and not yet done
	shutdown   bool                   // Shutdown was called
	immediate  bool                   // Shutdown(immediate) was called
	getters    waitq.Queue[queueSlot] // blocked Gets; the queue is empty
	putters    waitq.Queue[queueSlot] // blocked Puts with their items
	joiners    waitq.Queue[struct{}]  // blocked Joins
}

// NewQueue returns an empty queue with the given options: an Order other
// than FIFO, LIFO or Priority is [latchkey.ErrInvalid], and a MaxSize ≤ 0
// means unbounded.
func NewQueue(opts latchkey.QueueOptions) (*Queue, error) {
	switch opts.Order {
	case latchkey.FIFO, latchkey.LIFO, latchkey.Priority:
	default:
		return nil, latchkey.Errorf(latchkey.KindInvalid, "local: unknown queue order %d", opts.Order)
	}
	return &Queue{items: itemq.New(opts.Order), maxSize: max(opts.MaxSize, 0)}, nil
}

// Options returns the queue's options, normalized: MaxSize is 0 for an
// unbounded queue.
func (q *Queue) Options() latchkey.QueueOptions {
	return latchkey.QueueOptions{Order: q.items.Order(), MaxSize: q.maxSize}
}

// Cap returns the queue's MaxSize, 0 for an unbounded queue.
func (q *Queue) Cap() int { return q.maxSize }

// Put adds a copy of v, blocking while the queue is full (or other putters
// wait) until there is room or ctx is done. It counts one more unfinished
// task. After Shutdown it returns [latchkey.ErrShutDown], and a Put blocked
// when Shutdown is called is woken with it.
func (q *Queue) Put(ctx context.Context, v []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v = bytes.Clone(v)
	q.mu.Lock()
	if q.shutdown {
		q.mu.Unlock()
		return latchkey.ErrShutDown
	}
	if q.putters.Len() == 0 && !q.full() {
		q.enter(v)
		q.mu.Unlock()
		return nil
	}
	w := q.putters.Push(queueSlot{item: itemq.Item{Val: v}})
	q.mu.Unlock()
	happened := false
	err := waitq.Await(ctx, &q.mu, &q.putters, w, func(w *waitq.Waiter[queueSlot]) {
		happened = q.unput(w)
	}, nil)
	if err != nil {
		if happened {
			return nil
		}
		return err
	}
	return w.Val.err
}

// TryPut adds a copy of v if there is room and no Put is waiting, and
// returns [latchkey.ErrFull] otherwise ([latchkey.ErrShutDown] after
// Shutdown).
func (q *Queue) TryPut(_ context.Context, v []byte) error {
	v = bytes.Clone(v)
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.shutdown:
		return latchkey.ErrShutDown
	case q.putters.Len() > 0 || q.full():
		return latchkey.ErrFull
	}
	q.enter(v)
	return nil
}

// Get removes and returns the next item, blocking while the queue is empty
// until an item comes or ctx is done. After Shutdown it returns the items
// left, then [latchkey.ErrShutDown]; a Get blocked on the empty queue when
// Shutdown is called is woken with it. After an immediate Shutdown there
// are no items left.
func (q *Queue) Get(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q.mu.Lock()
	if q.size() > 0 {
		it := q.items.Take()
		q.settle()
		q.mu.Unlock()
		return it.Val, nil
	}
	if q.shutdown {
		q.mu.Unlock()
		return nil, latchkey.ErrShutDown
	}
	w := q.getters.Push(queueSlot{})
	q.mu.Unlock()
	if err := waitq.Await(ctx, &q.mu, &q.getters, w, q.unget, nil); err != nil {
		return nil, err
	}
	return w.Val.item.Val, w.Val.err
}

// TryGet removes and returns the next item if there is one, and returns
// [latchkey.ErrEmpty] otherwise ([latchkey.ErrShutDown] once the queue is
// shut down and empty).
func (q *Queue) TryGet(context.Context) ([]byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.size() > 0 {
		it := q.items.Take()
		q.settle()
		return it.Val, nil
	}
	if q.shutdown {
		return nil, latchkey.ErrShutDown
	}
	return nil, latchkey.ErrEmpty
}

// Len returns the number of items in the queue (a snapshot).
func (q *Queue) Len(context.Context) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.size(), nil
}

// TaskDone marks one unfinished task done; when none is left it wakes every
// Join. Called more often than items were put, it returns
// [latchkey.ErrTaskDone] and changes nothing.
func (q *Queue) TaskDone(context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.unfinished == 0 {
		return latchkey.ErrTaskDone
	}
	q.unfinished--
	q.wakeJoiners()
	return nil
}

// Join blocks until every item put has been marked done with TaskDone (or
// discarded by an immediate Shutdown), or ctx is done. It returns at once
// when no task is unfinished.
func (q *Queue) Join(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.Lock()
	if q.unfinished == 0 {
		q.mu.Unlock()
		return nil
	}
	w := q.joiners.Push(struct{}{})
	q.mu.Unlock()
	return waitq.Await(ctx, &q.mu, &q.joiners, w, nil, nil)
}

// Unfinished returns the number of tasks not yet marked done (Python's
// unfinished_tasks).
func (q *Queue) Unfinished(context.Context) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.unfinished, nil
}

// Shutdown shuts the queue down, as Python 3.13's Queue.shutdown: later
// Puts fail with [latchkey.ErrShutDown] and blocked Puts are woken with it;
// Gets return the items left and then fail with ErrShutDown, and Gets
// blocked on the empty queue are woken with it. With immediate, the items
// left are discarded at once, each counted as a task done, and Joins
// return once no task is unfinished. Shutdown may be called again, and an
// immediate Shutdown may follow a plain one. It always returns nil.
func (q *Queue) Shutdown(_ context.Context, immediate bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shutdown = true
	if immediate {
		q.immediate = true
		q.unfinished = max(q.unfinished-q.size(), 0)
		q.items.Clear()
		q.wakeJoiners()
	}
	for w := range q.putters.All() {
		w.Val = queueSlot{err: latchkey.ErrShutDown}
		q.putters.Grant(w)
	}
	if q.size() == 0 {
		for w := range q.getters.All() {
			w.Val.err = latchkey.ErrShutDown
			q.getters.Grant(w)
		}
	}
	return nil
}

// Waiters returns the number of Get, Put and Join calls blocked on the
// queue.
func (q *Queue) Waiters() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.getters.Len() + q.putters.Len() + q.joiners.Len()
}

// size returns the number of items. Call with mu held.
func (q *Queue) size() int { return q.items.Len() }

// full reports whether a Put must wait for room. Call with mu held.
func (q *Queue) full() bool { return q.maxSize > 0 && q.size() >= q.maxSize }

// enter numbers a newly put item, counts its task and hands it to the
// first blocked Get or stores it. It returns the item's seq. Call with mu
// held.
func (q *Queue) enter(v []byte) uint64 {
	q.seq++
	it := itemq.Item{Seq: q.seq, Val: v}
	q.unfinished++
	if w := q.getters.Front(); w != nil {
		w.Val.item = it
		q.getters.Grant(w)
	} else {
		q.items.Push(it)
	}
	return it.Seq
}

// settle restores the queue's invariants after items came back or room
// freed: stored items go to blocked Gets, then blocked Puts move their
// items in while there is room. Call with mu held.
func (q *Queue) settle() {
	for q.getters.Len() > 0 && q.size() > 0 {
		w := q.getters.Front()
		w.Val.item = q.items.Take()
		q.getters.Grant(w)
	}
	for q.putters.Len() > 0 && !q.full() {
		w := q.putters.Front()
		w.Val.item.Seq = q.enter(w.Val.item.Val)
		q.putters.Grant(w)
	}
}

// wakeJoiners grants every blocked Join if no task is unfinished. Call with
// mu held.
func (q *Queue) wakeJoiners() {
	if q.unfinished > 0 {
		return
	}
	for w := range q.joiners.All() {
		q.joiners.Grant(w)
	}
}

// unget gives back the item handed to a Get whose ctx ended at the same
// moment: it returns to its place (or, after an immediate Shutdown, is
// discarded as Shutdown would have done) and is offered to the next
// getter. Call with mu held.
func (q *Queue) unget(w *waitq.Waiter[queueSlot]) {
	it := w.Val.item
	w.Val = queueSlot{}
	if it.Seq == 0 {
		return // woken by Shutdown: nothing to give back
	}
	if q.immediate {
		q.unfinished = max(q.unfinished-1, 0)
		q.wakeJoiners()
		return
	}
	q.items.Insert(it)
	q.settle()
}

// unput undoes the move-in of the item of a Put whose ctx ended at the
// same moment. It reports whether the Put must stand because its item is
// gone already (taken by a Get or discarded by an immediate Shutdown).
// Call with mu held.
func (q *Queue) unput(w *waitq.Waiter[queueSlot]) bool {
	if w.Val.err != nil {
		return false // woken by Shutdown: nothing was put
	}
	if !q.items.Remove(w.Val.item.Seq) {
		return true
	}
	q.unfinished--
	q.wakeJoiners()
	q.settle()
	return false
}
