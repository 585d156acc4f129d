package latchkey

import "context"

// Order is the order in which a [Queue] hands out its items.
type Order uint8

// Queue orders.
const (
	// FIFO hands out the oldest item first (Python's queue.Queue).
	FIFO Order = iota
	// LIFO hands out the newest item first (Python's queue.LifoQueue).
	LIFO
	// Priority hands out the smallest item first, comparing items as bytes
	// (bytes.Compare); equal items come out in FIFO order (Python's
	// queue.PriorityQueue). [PriorityCodec] encodes an integer priority so
	// that byte order is priority order.
	Priority
)

// String returns "fifo", "lifo" or "priority".
func (o Order) String() string {
	switch o {
	case FIFO:
		return "fifo"
	case LIFO:
		return "lifo"
	case Priority:
		return "priority"
	}
	return "order(?)"
}

// QueueOptions are a queue's parameters. They are part of the queue's
// identity: opening an existing queue with other options is [ErrMismatch].
type QueueOptions struct {
	// Order is the order items come out in; the zero value is FIFO.
	Order Order
	// MaxSize bounds the number of items; ≤ 0 means unbounded.
	MaxSize int
}

// SimpleQueue is an unbounded FIFO queue of byte strings (Python's
// queue.SimpleQueue): put never blocks, there is no task tracking.
type SimpleQueue interface {
	// Put appends v. It does not block on queue space.
	Put(ctx context.Context, v []byte) error
	// Get blocks until an item is available or ctx is done, and removes and
	// returns it. A cancelled Get takes no item.
	Get(ctx context.Context) ([]byte, error)
	// TryGet returns an item if one is available, ErrEmpty otherwise (on a
	// [Queue] that is shut down and empty, ErrShutDown).
	TryGet(ctx context.Context) ([]byte, error)
	// Len returns the number of items (a snapshot).
	Len(ctx context.Context) (int, error)
}

// Queue is a queue of byte strings with Python's queue.Queue semantics
// (and so multiprocessing's JoinableQueue): bounded or not, FIFO, LIFO or
// priority order, task tracking with TaskDone and Join, and Python 3.13's
// Shutdown.
//
// Blocked getters and putters are served in arrival order. A cancelled Put
// leaves the queue without the item; a cancelled Get takes none.
type Queue interface {
	SimpleQueue
	// Put blocks until there is room or ctx is done, then adds v. After
	// Shutdown it returns ErrShutDown. Each item put counts as an
	// unfinished task until TaskDone.
	Put(ctx context.Context, v []byte) error
	// TryPut adds v if there is room, ErrFull otherwise.
	TryPut(ctx context.Context, v []byte) error
	// Get removes and returns the next item, blocking while the queue is
	// empty. After Shutdown it returns the remaining items, then
	// ErrShutDown; after an immediate Shutdown it returns ErrShutDown.
	Get(ctx context.Context) ([]byte, error)
	// Cap returns the queue's MaxSize (0 for unbounded).
	Cap() int
	// TaskDone marks one unfinished task done. Called more often than items
	// were put, it returns ErrTaskDone and changes nothing.
	TaskDone(ctx context.Context) error
	// Join blocks until every item put has been marked done, or ctx is done.
	Join(ctx context.Context) error
	// Unfinished returns the number of tasks not yet marked done (Python's
	// unfinished_tasks); it is Join's non-blocking form.
	Unfinished(ctx context.Context) (int, error)
	// Shutdown makes later Puts fail with ErrShutDown and wakes blocked
	// putters with it. Gets drain what is left, then fail with ErrShutDown;
	// with immediate, the items are discarded at once (each counted done),
	// blocked getters are woken with ErrShutDown, and joiners return as soon
	// as the items already taken are marked done, as in Python. It may be
	// called again, and an immediate Shutdown may follow a plain one.
	Shutdown(ctx context.Context, immediate bool) error
}
