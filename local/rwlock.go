package local

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/waitq"
)

var _ latchkey.RWLock = (*RWLock)(nil)

// RWLock is a readers–writer lock (see [latchkey.RWLock]): many readers or
// one writer. The zero value is an unlocked lock. An RWLock must not be
// copied after first use.
//
// A *RWLock is an owner handle, and holds belong to the handle:
// [RWLock.Handle] returns another handle on the same lock. Unlock by a
// handle that has no write hold, and RUnlock by a handle that has no read
// hold, return [latchkey.ErrNotHeld]. A handle may hold several read locks,
// each needing its RUnlock. The lock is not reentrant: a handle that holds
// it and asks for the write lock (or, while a writer waits, for another
// read lock) waits like anybody else. Every grant, read or write, carries a
// fencing token one greater than the previous grant's; the first is 1.
//
// Lock and RLock block until the hold is granted or ctx is done. A call
// whose ctx is already done returns ctx.Err() without trying; one
// cancelled while waiting returns ctx.Err() and leaves the lock as it was.
// TryLock, TryRLock, Unlock and RUnlock never block and ignore ctx.
//
// Fairness: one FIFO queue serves readers and writers in arrival order.
// The readers at the head of the queue are granted together, up to the
// first writer, which waits for every earlier hold to end; a queued writer
// blocks later readers, so writers are not starved. TryLock succeeds only
// when nobody holds or waits, TryRLock only when no writer holds and
// nobody waits.
//
// An RWLock is safe for concurrent use. An Unlock synchronizes before the
// Lock or RLock it lets proceed, and an RUnlock synchronizes before the
// Lock it lets proceed, as with [sync.RWMutex].
type RWLock struct {
	_ noCopy

	s atomic.Pointer[rwState] // shared by every handle; created on first use

	// This handle's holds, guarded by s's mu.
	reads int  // read holds
	write bool // write hold
}

// rwState is the lock that the handles of one RWLock share.
type rwState struct {
	mu      sync.Mutex            // guards the fields below and every handle's reads and write
	readers int                   // read holds, over all handles
	writer  bool                  // a write hold exists
	wfence  latchkey.Fence        // the write hold's fencing token
	fence   latchkey.Fence        // the latest grant's fencing token
	q       waitq.Queue[rwWaiter] // blocked Lock and RLock calls
}

// rwWaiter is a queued request for a hold.
type rwWaiter struct {
	h     *RWLock        // the handle asking
	write bool           // for the write lock
	fence latchkey.Fence // the grant's fencing token, set when granted
}

// state returns the shared state, creating it on first use.
func (rw *RWLock) state() *rwState {
	if s := rw.s.Load(); s != nil {
		return s
	}
	rw.s.CompareAndSwap(nil, new(rwState))
	return rw.s.Load()
}

// Handle returns a new handle on the same lock, holding nothing.
func (rw *RWLock) Handle() *RWLock {
	h := new(RWLock)
	h.s.Store(rw.state())
	return h
}

// Lock blocks until this handle holds the write lock or ctx is done, and
// returns the grant's fencing token.
func (rw *RWLock) Lock(ctx context.Context) (latchkey.Fence, error) {
	return rw.acquire(ctx, true)
}

// RLock blocks until this handle holds a read lock or ctx is done, and
// returns the grant's fencing token.
func (rw *RWLock) RLock(ctx context.Context) (latchkey.Fence, error) {
	return rw.acquire(ctx, false)
}

// acquire takes a write or read hold for this handle, waiting if need be.
func (rw *RWLock) acquire(ctx context.Context, write bool) (latchkey.Fence, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s := rw.state()
	s.mu.Lock()
	if f, ok := s.tryLocked(rw, write); ok {
		s.mu.Unlock()
		return f, nil
	}
	w := s.q.Push(rwWaiter{h: rw, write: write})
	s.mu.Unlock()
	if err := waitq.Await(ctx, &s.mu, &s.q, w, s.giveBack, s.grantLocked); err != nil {
		return 0, err
	}
	return w.Val.fence, nil
}

// tryLocked grants h a hold if nobody waits and the holds allow it. Call
// with mu held.
func (s *rwState) tryLocked(h *RWLock, write bool) (latchkey.Fence, bool) {
	if s.q.Len() > 0 || s.writer || (write && s.readers > 0) {
		return 0, false
	}
	return s.grant(h, write), true
}

// grant gives h a hold and returns its fencing token. Call with mu held.
func (s *rwState) grant(h *RWLock, write bool) latchkey.Fence {
	s.fence++
	if write {
		s.writer, s.wfence, h.write = true, s.fence, true
	} else {
		s.readers++
		h.reads++
	}
	return s.fence
}

// grantLocked grants the waiters at the head of the queue that the holds
// allow: readers up to the first writer, or that writer alone. Call with
// mu held.
func (s *rwState) grantLocked() {
	for w := range s.q.All() {
		if s.writer || (w.Val.write && s.readers > 0) {
			return
		}
		w.Val.fence = s.grant(w.Val.h, w.Val.write)
		s.q.Grant(w)
	}
}

// giveBack undoes the grant to w, whose ctx ended as it was granted. Call
// with mu held. Another goroutine sharing w's handle may have released the
// hold meanwhile: then there is nothing to undo.
func (s *rwState) giveBack(w *waitq.Waiter[rwWaiter]) {
	h := w.Val.h
	switch {
	case w.Val.write && h.write && s.wfence == w.Val.fence:
		s.writer, h.write = false, false
	case !w.Val.write && h.reads > 0:
		s.readers--
		h.reads--
	default:
		return
	}
	s.grantLocked()
}

// TryLock takes the write lock if nobody holds or waits for the lock, and
// returns [latchkey.ErrLocked] otherwise. It never blocks; ctx is ignored.
func (rw *RWLock) TryLock(context.Context) (latchkey.Fence, error) {
	return rw.try(true)
}

// TryRLock takes a read lock if no writer holds the lock and nobody waits,
// and returns [latchkey.ErrLocked] otherwise. It never blocks; ctx is
// ignored.
func (rw *RWLock) TryRLock(context.Context) (latchkey.Fence, error) {
	return rw.try(false)
}

// try is TryLock or TryRLock.
func (rw *RWLock) try(write bool) (latchkey.Fence, error) {
	s := rw.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.tryLocked(rw, write); ok {
		return f, nil
	}
	return 0, latchkey.ErrLocked
}

// Unlock releases this handle's write hold, or returns
// [latchkey.ErrNotHeld] if it has none. It never blocks; ctx is ignored.
func (rw *RWLock) Unlock(context.Context) error {
	s := rw.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !rw.write {
		return latchkey.ErrNotHeld
	}
	s.writer, rw.write = false, false
	s.grantLocked()
	return nil
}

// RUnlock releases one of this handle's read holds, or returns
// [latchkey.ErrNotHeld] if it has none. It never blocks; ctx is ignored.
func (rw *RWLock) RUnlock(context.Context) error {
	s := rw.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	if rw.reads == 0 {
		return latchkey.ErrNotHeld
	}
	rw.reads--
	s.readers--
	if s.readers == 0 {
		s.grantLocked()
	}
	return nil
}

// Waiters returns the number of Lock and RLock calls blocked on the lock,
// through any handle.
func (rw *RWLock) Waiters() int {
	s := rw.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.q.Len()
}
