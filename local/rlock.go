package local

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/waitq"
)

var (
	_ latchkey.RLock = (*RLock)(nil)
	_ condLocker     = (*RLock)(nil)
)

// RLock is a reentrant lock with Python's threading.RLock semantics (see
// [latchkey.RLock]). The zero value is an unlocked lock. An RLock must not
// be copied after first use.
//
// Go has no thread identity, so a *RLock is an owner handle: the handle
// that holds the lock may lock it again (the recursion count grows and the
// same fencing token is returned, also by TryLock), and only that handle
// may unlock it. [RLock.Handle] returns another handle, a distinct owner,
// on the same lock. Goroutines that share a handle share ownership.
//
// Unlock by a handle that does not own the lock, including when nobody
// does, returns [latchkey.ErrNotOwner]. The lock is free again when its
// owner has unlocked it as many times as it locked it. Each first acquire
// (count 0 to 1) carries a fencing token one greater than the previous
// one; the first is 1.
//
// Lock blocks until the lock is granted or ctx is done. A Lock whose ctx
// is already done returns ctx.Err() without trying, even when the handle
// owns the lock; one cancelled while waiting returns ctx.Err() and leaves
// the lock as it was. TryLock, Unlock and Count never block and ignore ctx.
//
// Fairness: waiters are served strictly in arrival order (FIFO). The last
// Unlock hands the lock directly to the oldest waiter, and a TryLock by
// another handle never overtakes a queued waiter (Python lets a newcomer
// barge in).
//
// An RLock is safe for concurrent use. The Unlock that frees the lock
// synchronizes before the Lock or TryLock it lets proceed.
type RLock struct {
	_ noCopy

	s atomic.Pointer[rlockState] // shared by every handle; created on first use
}

// rlockState is the lock that the handles of one RLock share.
type rlockState struct {
	mu    sync.Mutex               // guards the fields below
	owner *RLock                   // the handle that holds the lock, or nil
	count int                      // owner's recursion count
	fence latchkey.Fence           // the latest grant's fencing token
	q     waitq.Queue[rlockWaiter] // blocked Lock calls
}

// rlockWaiter is a queued request for the lock.
type rlockWaiter struct {
	owner *RLock         // the handle asking
	count int            // the recursion count to grant it with
	fence latchkey.Fence // the grant's fencing token, set when granted
}

// state returns the shared state, creating it on first use.
func (r *RLock) state() *rlockState {
	if s := r.s.Load(); s != nil {
		return s
	}
	r.s.CompareAndSwap(nil, new(rlockState))
	return r.s.Load()
}

// Handle returns a new handle on the same lock: a distinct owner, which
// does not hold the lock.
func (r *RLock) Handle() *RLock {
	h := new(RLock)
	h.s.Store(r.state())
	return h
}

// Lock blocks until this handle owns the lock or ctx is done, and returns
// the grant's fencing token. If the handle owns the lock already, the
// recursion count grows and the same token is returned at once.
func (r *RLock) Lock(ctx context.Context) (latchkey.Fence, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return r.acquire(ctx, 1)
}

// acquire takes the lock for this handle with a recursion count of n
// (added to the count if the handle owns it already).
func (r *RLock) acquire(ctx context.Context, n int) (latchkey.Fence, error) {
	s := r.state()
	s.mu.Lock()
	if f, ok := s.tryLocked(r, n); ok {
		s.mu.Unlock()
		return f, nil
	}
	w := s.q.Push(rlockWaiter{owner: r, count: n})
	s.mu.Unlock()
	if err := waitq.Await(ctx, &s.mu, &s.q, w, s.giveBack, nil); err != nil {
		return 0, err
	}
	return w.Val.fence, nil
}

// tryLocked takes the lock for r with count n if r owns it or it is free.
// Call with mu held.
func (s *rlockState) tryLocked(r *RLock, n int) (latchkey.Fence, bool) {
	switch s.owner {
	case r:
		s.count += n
		return s.fence, true
	case nil: // free, so nobody is queued
		s.fence++
		s.owner, s.count = r, n
		return s.fence, true
	}
	return 0, false
}

// giveBack undoes the grant to w, whose ctx ended as it was granted. Call
// with mu held. Another goroutine sharing w's handle may have locked or
// unlocked meanwhile: only what is left of w's grant is undone.
func (s *rlockState) giveBack(w *waitq.Waiter[rlockWaiter]) {
	if s.owner != w.Val.owner || s.fence != w.Val.fence {
		return
	}
	s.count -= w.Val.count
	if s.count <= 0 {
		s.releaseLocked()
	}
}

// releaseLocked frees the lock and hands it to the oldest waiter, if any.
// Call with mu held.
func (s *rlockState) releaseLocked() {
	s.owner, s.count = nil, 0
	w := s.q.Front()
	if w == nil {
		return
	}
	s.fence++
	s.owner, s.count = w.Val.owner, w.Val.count
	w.Val.fence = s.fence
	s.q.Grant(w)
}

// TryLock acquires the lock if this handle owns it (the count grows and the
// same token is returned) or if it is free and nobody waits; it returns
// [latchkey.ErrLocked] otherwise. It never blocks; ctx is ignored.
func (r *RLock) TryLock(context.Context) (latchkey.Fence, error) {
	s := r.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.tryLocked(r, 1); ok {
		return f, nil
	}
	return 0, latchkey.ErrLocked
}

// Unlock decrements the recursion count and frees the lock when it reaches
// zero, handing it to the oldest waiter. It returns
// [latchkey.ErrNotOwner] if this handle does not own the lock. It never
// blocks; ctx is ignored.
func (r *RLock) Unlock(context.Context) error {
	s := r.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner != r {
		return latchkey.ErrNotOwner
	}
	s.count--
	if s.count == 0 {
		s.releaseLocked()
	}
	return nil
}

// Count returns this handle's recursion count: 0 when it does not own the
// lock (Python's _recursion_count). It never fails; ctx is ignored.
func (r *RLock) Count(context.Context) (int, error) {
	s := r.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner != r {
		return 0, nil
	}
	return s.count, nil
}

// Waiters returns the number of Lock calls blocked on the lock, through
// any handle.
func (r *RLock) Waiters() int {
	s := r.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.q.Len()
}

// held reports whether this handle owns the lock.
func (r *RLock) held() bool {
	n, _ := r.Count(context.Background())
	return n > 0
}

// releaseSave frees the lock whatever its recursion count, for a
// Condition's Wait, and returns the count. It returns
// [latchkey.ErrNotHeld] if this handle does not own the lock.
func (r *RLock) releaseSave() (int, error) {
	s := r.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner != r {
		return 0, latchkey.ErrNotHeld
	}
	n := s.count
	s.releaseLocked()
	return n, nil
}

// acquireRestore re-takes the lock with recursion count n after a
// Condition's Wait; ctx must never be done.
func (r *RLock) acquireRestore(ctx context.Context, n int) { _, _ = r.acquire(ctx, n) }
