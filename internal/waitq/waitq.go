// Package waitq is the FIFO queue of blocked callers that every in-process
// primitive waits in: one channel per waiter, kept in arrival order under
// the owning object's mutex. The releaser grants a waiter by unlinking it
// and closing its channel; a waiter whose ctx ends re-takes the mutex and
// either removes itself or, if the grant raced with the cancellation, gives
// the grant back (the x/sync semaphore pattern).
//
// A Queue is not safe for concurrent use: every method must be called with
// the owning object's mutex held. Waiter.Ready may be read without it.
package waitq

import (
	"context"
	"iter"
	"sync"
)

// Waiter is one blocked call. Val carries what the waiter asks for and,
// once granted, what it was given; both are read and written under the
// owner's mutex.
type Waiter[T any] struct {
	Val T

	ready      chan struct{}
	prev, next *Waiter[T]
	queued     bool
	granted    bool
}

// Ready returns a channel closed when the waiter is granted.
func (w *Waiter[T]) Ready() <-chan struct{} { return w.ready }

// Granted reports whether the waiter was granted. Call with the mutex held.
func (w *Waiter[T]) Granted() bool { return w.granted }

// Queue is a FIFO of waiters. The zero value is an empty queue.
type Queue[T any] struct {
	head, tail *Waiter[T]
	n          int
}

// Len returns the number of queued waiters.
func (q *Queue[T]) Len() int { return q.n }

// Front returns the oldest waiter, or nil.
func (q *Queue[T]) Front() *Waiter[T] { return q.head }

// Push appends a new waiter asking for v and returns it.
func (q *Queue[T]) Push(v T) *Waiter[T] {
	w := &Waiter[T]{Val: v, ready: make(chan struct{}), prev: q.tail, queued: true}
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
	q.n++
	return w
}

// Remove unlinks w if it is still queued and reports whether it was.
func (q *Queue[T]) Remove(w *Waiter[T]) bool {
	if !w.queued {
		return false
	}
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
	q.n--
	return true
}

// Grant unlinks w, marks it granted and wakes it. w must be queued.
func (q *Queue[T]) Grant(w *Waiter[T]) {
	if !q.Remove(w) {
		panic("waitq: grant of a waiter that is not queued")
	}
	w.granted = true
	close(w.ready)
}

// All iterates over the queued waiters, oldest first. The iteration
// tolerates granting or removing the waiter it is at.
func (q *Queue[T]) All() iter.Seq[*Waiter[T]] {
	return func(yield func(*Waiter[T]) bool) {
		for w := q.head; w != nil; {
			next := w.next
			if !yield(w) {
				return
			}
			w = next
		}
	}
}

// Await blocks until w is granted or ctx is done; mu must not be held. It
// returns nil once granted. If ctx ends first it locks mu and, if w was
// granted meanwhile, calls giveBack(w) to undo the grant; otherwise it
// removes w and calls removed (if not nil), which may wake the waiters that
// w was holding up. Both callbacks run with mu held. It then unlocks mu and
// returns ctx's error: a cancelled wait leaves the object as it was.
func Await[T any](ctx context.Context, mu sync.Locker, q *Queue[T], w *Waiter[T], giveBack func(*Waiter[T]), removed func()) error {
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	if w.granted {
		if giveBack != nil {
			giveBack(w)
		}
	} else {
		q.Remove(w)
		if removed != nil {
			removed()
		}
	}
	return ctx.Err()
}
