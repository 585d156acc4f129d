package latchkey

import (
	"context"
	"time"
)

// Event is a flag that goroutines or processes wait on, with Python's
// threading.Event semantics.
type Event interface {
	// Set sets the flag and wakes every waiter. Idempotent.
	Set(ctx context.Context) error
	// Clear resets the flag. Idempotent.
	Clear(ctx context.Context) error
	// IsSet reports the flag (a snapshot); it is Wait's non-blocking form.
	IsSet(ctx context.Context) (bool, error)
	// Wait blocks until the flag is set or ctx is done. It returns nil when
	// a Set woke it, even if a Clear came before it returned (as Python does).
	Wait(ctx context.Context) error
}

// Condition is a condition variable bound to a [Locker], with Python's
// threading.Condition semantics. Its Lock, TryLock and Unlock are the bound
// lock's.
//
// Wait, Notify and NotifyAll require the lock to be held (for a [Lock]: by
// anybody, as Python checks; for an [RLock]: by this handle), and return
// [ErrNotHeld] otherwise. Waiters are woken oldest first; a notification
// with nobody waiting is lost; there are no spurious wake-ups.
type Condition interface {
	Locker
	// Wait releases the lock (all recursion levels of an RLock), blocks
	// until notified or ctx is done, and re-acquires the lock before it
	// returns, on every path: also when ctx is done, in which case it waits
	// for the lock without a deadline, as Python does. It returns nil when
	// notified, ctx's error otherwise.
	Wait(ctx context.Context) error
	// WaitFor evaluates pred with the lock held and waits until it holds.
	// It returns nil once pred is true, ctx's error if ctx is done first.
	// The lock is held on return.
	WaitFor(ctx context.Context, pred func() bool) error
	// Notify wakes up to n waiters (n ≤ 0: none), oldest first. They run
	// once the notifier releases the lock.
	Notify(ctx context.Context, n int) error
	// NotifyAll wakes every current waiter.
	NotifyAll(ctx context.Context) error
}

// Barrier is a cyclic barrier for a fixed number of parties, with Python's
// threading.Barrier semantics.
//
// A Wait whose ctx is done (Python's timeout) breaks the barrier: it and
// every other waiter return [ErrBrokenBarrier] (the one whose ctx ended
// returns ctx's error wrapped with ErrBrokenBarrier), and so does every later
// Wait until Reset.
type Barrier interface {
	// Wait blocks until all parties have called Wait and returns this
	// party's arrival index in the cycle, 0 for the first and Parties()-1
	// for the last. The last party runs the handle's action (if any) before
	// anyone is released; if the action fails the barrier breaks and the
	// last party gets the action's error.
	Wait(ctx context.Context) (int, error)
	// Abort breaks the barrier: current and future waiters get
	// ErrBrokenBarrier until Reset.
	Abort(ctx context.Context) error
	// Reset returns the barrier to its initial state; current waiters get
	// ErrBrokenBarrier.
	Reset(ctx context.Context) error
	// Parties returns the number of parties needed to trip the barrier.
	Parties() int
	// Waiting returns the number of parties waiting in the current cycle.
	Waiting(ctx context.Context) (int, error)
	// Broken reports whether the barrier is broken.
	Broken(ctx context.Context) (bool, error)
}

// BarrierOptions are a barrier handle's optional settings.
type BarrierOptions struct {
	// Action, if set, runs in the last party to arrive, before any party is
	// released. It runs in the process of that party's handle. An error (or
	// a panic, recovered) breaks the barrier.
	Action func() error
	// Timeout, if positive, bounds each Wait whose ctx has no earlier
	// deadline (Python's default timeout). Zero means no default.
	Timeout time.Duration
}
