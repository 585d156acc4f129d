package latchkey

import "context"

// Fence is a fencing token: a number handed out with every grant of
// ownership (a lock, a reentrant lock's first acquire, a read or write hold,
// a semaphore permit). Tokens of one object only grow, also across server
// restarts, so a resource that remembers the highest token it has seen can
// refuse a holder whose grant was superseded.
//
// The zero Fence is never handed out.
type Fence uint64

// Locker is what [Lock] and [RLock] have in common: the lock a [Condition]
// is bound to.
type Locker interface {
	// Lock blocks until the lock is acquired or ctx is done. It returns the
	// grant's fencing token.
	Lock(ctx context.Context) (Fence, error)
	// TryLock acquires the lock if that is possible without waiting, and
	// returns ErrLocked otherwise.
	TryLock(ctx context.Context) (Fence, error)
	// Unlock releases the lock.
	Unlock(ctx context.Context) error
}

// Lock is a mutual-exclusion lock with Python's threading.Lock semantics:
// it has no owner, so any handle may unlock it, and locking it again through
// the handle that holds it blocks (it is not reentrant).
//
// Unlock of an unlocked Lock returns [ErrNotHeld]. Waiters are granted the
// lock in arrival order (FIFO); a TryLock never overtakes a waiter.
//
// A cancelled Lock returns an error satisfying errors.Is(err, ctx.Err())
// and leaves the lock as it was: it never returns having acquired it.
type Lock interface {
	Locker
	// Locked reports whether the lock is held (a snapshot).
	Locked(ctx context.Context) (bool, error)
}

// RLock is a reentrant lock with Python's threading.RLock semantics. Go has
// no thread identity, so the handle is the owner: the handle that holds the
// lock may lock it again (the recursion count grows, and the same fencing
// token is returned), and only that handle may unlock it. Every handle a
// [Manager] returns is a distinct owner; hand a handle to another goroutine
// to share ownership on purpose.
//
// Unlock by a handle that does not own the lock (including when nobody
// does) returns [ErrNotOwner]. The lock is free again when the owner has
// unlocked it as many times as it locked it.
type RLock interface {
	Locker
	// Count returns this handle's recursion count: 0 when it does not own
	// the lock (Python's _recursion_count).
	Count(ctx context.Context) (int, error)
}

// RWLock is a readers–writer lock (beyond Python): many readers or one
// writer. Holds belong to the handle: a handle unlocks only what it holds.
// Waiters are served in arrival order, readers at the head of the queue
// together, so a waiting writer is not starved by a stream of new readers.
type RWLock interface {
	// Lock blocks until the handle holds the write lock or ctx is done.
	Lock(ctx context.Context) (Fence, error)
	// TryLock takes the write lock if no one holds or waits for the lock,
	// and returns ErrLocked otherwise.
	TryLock(ctx context.Context) (Fence, error)
	// Unlock releases the handle's write hold, or returns ErrNotHeld.
	Unlock(ctx context.Context) error
	// RLock blocks until the handle holds a read lock or ctx is done. A
	// handle may hold several read locks; each needs its RUnlock.
	RLock(ctx context.Context) (Fence, error)
	// TryRLock takes a read lock if no writer holds or waits, and returns
	// ErrLocked otherwise.
	TryRLock(ctx context.Context) (Fence, error)
	// RUnlock releases one of the handle's read holds, or returns ErrNotHeld.
	RUnlock(ctx context.Context) error
}

// Semaphore is a counting semaphore with Python's threading.Semaphore and
// BoundedSemaphore semantics. Permits have no owner: any handle may release.
// A bounded semaphore refuses to be released past its initial value with
// [ErrOverRelease], changing nothing; an unbounded one grows.
//
// Waiters are granted permits in arrival order (FIFO).
type Semaphore interface {
	// Acquire blocks until a permit is taken or ctx is done, and returns the
	// permit's fencing token.
	Acquire(ctx context.Context) (Fence, error)
	// TryAcquire takes a permit if one is free and no one waits, and returns
	// ErrNoPermit otherwise.
	TryAcquire(ctx context.Context) (Fence, error)
	// Release returns n permits (n ≥ 1, else ErrInvalid), all or nothing.
	Release(ctx context.Context, n int) error
	// Value returns the number of free permits (a snapshot).
	Value(ctx context.Context) (int, error)
}
