package shm

import (
	"context"
	"runtime"
	"sync"

	"github.com/latchkey/latchkey"
)

var _ latchkey.RLock = (*RLock)(nil)

// rlockLocal is what one process knows of its own hold of an RLock: which
// of its handles owns it, and the recursion count. The shared lock word
// only records the process.
type rlockLocal struct {
	mu    sync.Mutex // guards owner and count
	owner *RLock
	count int
}

// RLock is a reentrant lock in shared memory with Python's
// multiprocessing.RLock semantics (see [latchkey.RLock]), where the owner
// is a handle: the handle that holds the lock may lock it again (the
// recursion count grows and the same fencing token is returned), and only
// that handle may unlock it. Each call of [Manager.OpenRLock] returns a
// new owner; goroutines sharing a handle share its ownership.
//
// Unlock by a handle that does not own the lock, including when nobody
// does, returns [latchkey.ErrNotOwner]. Each first acquire carries a
// fencing token one greater than the previous one. A first acquire after
// the owner's process died holding the lock comes with
// [latchkey.ErrOwnerDied].
//
// Blocking, cancellation and fairness are as for [Lock]: blocked callers
// are served in arrival order, a TryLock by another handle never overtakes
// a queued waiter, and the owner's Lock never queues.
//
// An RLock handle is safe for concurrent use. The Unlock that frees the
// lock synchronizes before the Lock or TryLock it lets proceed.
type RLock struct {
	c lockCore
}

// own records h as the owner after a first acquire.
func (h *RLock) own(fence uint64, died bool, err error) (latchkey.Fence, error) {
	if err == nil {
		l := &h.c.r.rl
		l.mu.Lock()
		l.owner, l.count = h, 1
		l.mu.Unlock()
	}
	return grant(fence, died, err)
}

// reenter adds one to the count if h owns the lock, and returns the fence.
// Call with rl.mu held.
func (h *RLock) reenter() (latchkey.Fence, bool) {
	l := &h.c.r.rl
	if l.owner != h {
		return 0, false
	}
	l.count++
	return latchkey.Fence(lkFence(h.c.word().Load())), true
}

// Lock blocks until this handle owns the lock or ctx is done, and returns
// the grant's fencing token. If the handle owns the lock already, the
// recursion count grows and the same token is returned at once.
func (h *RLock) Lock(ctx context.Context) (latchkey.Fence, error) {
	defer runtime.KeepAlive(h.c.r)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l := &h.c.r.rl
	l.mu.Lock()
	if f, ok := h.reenter(); ok {
		l.mu.Unlock()
		return f, nil
	}
	if f, died, ok := h.c.tryFast(); ok {
		l.owner, l.count = h, 1
		l.mu.Unlock()
		return grant(f, died, nil)
	}
	l.mu.Unlock()
	return h.own(h.c.lock(ctx))
}

// TryLock acquires the lock if this handle owns it (the count grows and the
// same token is returned) or if it is free and nobody waits; it returns
// [latchkey.ErrLocked] otherwise. A lock whose owner's process died is
// recovered as by [Lock.TryLock].
func (h *RLock) TryLock(context.Context) (latchkey.Fence, error) {
	defer runtime.KeepAlive(h.c.r)
	l := &h.c.r.rl
	l.mu.Lock()
	if f, ok := h.reenter(); ok {
		l.mu.Unlock()
		return f, nil
	}
	l.mu.Unlock()
	return h.own(h.c.tryLock())
}

// Unlock decrements the recursion count and frees the lock when it reaches
// zero, handing it to the oldest waiter. It returns [latchkey.ErrNotOwner]
// if this handle does not own the lock.
func (h *RLock) Unlock(context.Context) error {
	defer runtime.KeepAlive(h.c.r)
	l := &h.c.r.rl
	l.mu.Lock()
	if l.owner != h {
		l.mu.Unlock()
		return latchkey.ErrNotOwner
	}
	l.count--
	if l.count > 0 {
		l.mu.Unlock()
		return nil
	}
	l.owner = nil
	l.mu.Unlock()
	return h.c.unlock()
}

// Count returns this handle's recursion count: 0 when it does not own the
// lock.
func (h *RLock) Count(context.Context) (int, error) {
	l := &h.c.r.rl
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owner != h {
		return 0, nil
	}
	return l.count, nil
}

// Locked reports whether any handle, in any process, owns the lock (a
// snapshot).
func (h *RLock) Locked(context.Context) (bool, error) {
	defer runtime.KeepAlive(h.c.r)
	return h.c.locked(), nil
}

// Waiters returns the number of calls blocked on the lock, in every
// process (a snapshot).
func (h *RLock) Waiters() int {
	defer runtime.KeepAlive(h.c.r)
	return h.c.r.waiters()
}

// Name returns the lock's name.
func (h *RLock) Name() string { return h.c.r.name }
