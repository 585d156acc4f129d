package shm

import (
	"context"
	"runtime"
	"sync/atomic"

	"github.com/latchkey/latchkey"
)

var _ latchkey.Lock = (*Lock)(nil)

// The lock word of a Lock or RLock: a fast path changes it with one
// compare-and-swap while lkSlow is clear; while lkSlow is set it belongs to
// the guard holder, and changes only in transactions.
const (
	lkLocked     = 1 << 0    // the lock is held
	lkSlow       = 1 << 1    // waiters are queued, or a guard section owns the word
	lkDied       = 1 << 2    // its last holder died: the next grant reports ErrOwnerDied
	lkProcShift  = 3         // the process table index of the holder (7 bits)
	lkProcMask   = 0x7f << 3 //
	lkFenceShift = 10        // the latest grant's fencing token (54 bits)
	lkBodySize   = 64        // the lock word's share of an object's body
	spinTries    = 16        // looks at a held lock before queueing
)

// lockCore is the shared state of a Lock or RLock: its lock word at off,
// and the region's waiter queue.
type lockCore struct {
	r   *region
	off uintptr
}

func (c lockCore) word() *atomic.Uint64 { return c.r.u64(c.off) }

func lkProc(s uint64) uint64  { return s & lkProcMask >> lkProcShift }
func lkFence(s uint64) uint64 { return s >> lkFenceShift }

// tryFast takes the lock with one compare-and-swap if it is free and
// nobody waits.
func (c lockCore) tryFast() (fence uint64, died, ok bool) {
	w := c.word()
	s := w.Load()
	if s&(lkLocked|lkSlow) != 0 {
		return 0, false, false
	}
	f := lkFence(s) + 1
	if !w.CompareAndSwap(s, f<<lkFenceShift|c.r.me<<lkProcShift|lkLocked) {
		return 0, false, false
	}
	return f, s&lkDied != 0, true
}

// pin sets lkSlow, so that no fast path changes the word while the guard
// holder stages a change, and returns the word. Call with the guard held.
func (c lockCore) pin() uint64 {
	w := c.word()
	for {
		s := w.Load()
		if s&lkSlow != 0 || w.CompareAndSwap(s, s|lkSlow) {
			return s | lkSlow
		}
	}
}

// unpin stages clearing lkSlow if nobody waits.
func (c lockCore) unpin(t *tx) {
	if t.get(offNWait) == 0 {
		t.set(c.off, t.get(c.off)&^lkSlow)
	}
}

// take stages a grant to this process of the free lock s.
func (c lockCore) take(t *tx, s uint64) (fence uint64, died bool) {
	fence = lkFence(s) + 1
	t.set(c.off, fence<<lkFenceShift|c.r.me<<lkProcShift|lkLocked)
	return fence, s&lkDied != 0
}

// handoff stages the release of the held lock s: the oldest waiter gets
// it, with the next fence, or the lock becomes free. died passes
// ErrOwnerDied on to the next grant.
func (c lockCore) handoff(t *tx, s uint64, died bool) {
	i, more := t.oldest()
	if i < 0 {
		ns := lkFence(s) << lkFenceShift
		if died {
			ns |= lkDied
		}
		t.set(c.off, ns)
		return
	}
	f := lkFence(s) + 1
	t.grant(i, f, died)
	ns := f<<lkFenceShift | slotProc(t.get(slotOff(i, slotCtl)))<<lkProcShift | lkLocked
	if more {
		ns |= lkSlow
	}
	t.set(c.off, ns)
}

// lock blocks until the lock is granted to this process or ctx is done.
func (c lockCore) lock(ctx context.Context) (fence uint64, died bool, err error) {
	if f, d, ok := c.tryFast(); ok {
		return f, d, nil
	}
	// Spin a little: a lock held for a moment is cheaper to wait for
	// awake than asleep. Spinning never overtakes a queued waiter, since
	// the fast path fails while one is queued.
	for range spinTries {
		runtime.Gosched()
		s := c.word().Load()
		if s&lkSlow != 0 {
			break
		}
		if s&lkLocked == 0 {
			if f, d, ok := c.tryFast(); ok {
				return f, d, nil
			}
		}
	}
	r := c.r
	w, ok, err := r.queue(ctx, 0, func(t *tx) bool {
		s := c.pin()
		if s&lkLocked != 0 {
			return false
		}
		if t.get(offNWait) != 0 {
			// Free, but with waiters: a state a dead process left.
			// Serve them first, and keep the word pinned for the
			// waiter this call becomes.
			c.handoff(t, s, s&lkDied != 0)
			t.set(c.off, t.get(c.off)|lkSlow)
			return false
		}
		fence, died = c.take(t, s)
		return true
	})
	if err != nil || ok {
		return fence, died, err
	}
	return r.settle(ctx, w, func(t *tx, _ uint64, granted, _ bool) {
		if !granted {
			c.pin()
			c.unpin(t)
		}
	})
}

// tryLock takes the lock if it is free and nobody waits. If it is held by
// a process that died (checked at most once per interval), it reaps that
// process and tries again.
func (c lockCore) tryLock() (fence uint64, died bool, err error) {
	fence, died, ok := c.tryOnce()
	if !ok && c.r.checkSuspects(true) {
		fence, died, ok = c.tryOnce()
	}
	if !ok {
		return 0, false, latchkey.ErrLocked
	}
	return fence, died, nil
}

// tryOnce takes the lock if it is free and nobody waits.
func (c lockCore) tryOnce() (fence uint64, died, ok bool) {
	if fence, died, ok = c.tryFast(); ok || c.word().Load()&lkLocked != 0 {
		return fence, died, ok
	}
	// Free but pinned: a guard section is at work, or waiters are about
	// to be served.
	r := c.r
	r.lockGuard()
	t := r.begin()
	s := c.pin()
	ok = s&lkLocked == 0 && t.get(offNWait) == 0
	if ok {
		fence, died = c.take(t, s)
	} else {
		c.dispatch(t)
	}
	t.commit()
	r.unlockGuard()
	return fence, died, ok
}

// unlock releases the lock, handing it to the oldest waiter if there is
// one. It returns ErrNotHeld if the lock is not held.
func (c lockCore) unlock() error {
	w := c.word()
	s := w.Load()
	if s&(lkLocked|lkSlow) == lkLocked && w.CompareAndSwap(s, s&^(lkLocked|lkProcMask)) {
		return nil
	}
	r := c.r
	r.lockGuard()
	t := r.begin()
	s = c.pin()
	var err error
	if s&lkLocked == 0 {
		c.dispatch(t)
		err = latchkey.ErrNotHeld
	} else {
		c.handoff(t, s, false)
	}
	t.commit()
	r.unlockGuard()
	return err
}

func (c lockCore) locked() bool { return c.word().Load()&lkLocked != 0 }

// The lock's recovery hooks (objectCore).

func (c lockCore) reapGrant(t *tx, i int, idx uint64) {
	s := c.pin()
	if s&lkLocked != 0 && lkProc(s) == idx && lkFence(s) == t.get(slotOff(i, slotFence)) {
		// The dead process never claimed its grant: pass it on, and
		// with it only an ErrOwnerDied that the grant itself carried.
		c.handoff(t, s, t.get(slotOff(i, slotCtl))&slotDied != 0)
	}
}

func (c lockCore) reapHolder(t *tx, idx uint64) {
	s := c.pin()
	if s&lkLocked != 0 && lkProc(s) == idx {
		c.handoff(t, s, true)
	}
}

// dispatch serves the waiters of a free lock, and clears lkSlow if
// nobody waits.
func (c lockCore) dispatch(t *tx) {
	s := c.pin()
	if s&lkLocked == 0 && t.get(offNWait) > 0 {
		c.handoff(t, s, s&lkDied != 0)
		return
	}
	c.unpin(t)
}

func (c lockCore) suspects(ids []uint64) []uint64 {
	s := c.word().Load()
	if p := lkProc(s); s&lkLocked != 0 && p != 0 && p != c.r.me {
		ids = append(ids, p)
	}
	return ids
}

// Lock is a mutual-exclusion lock in shared memory with Python's
// multiprocessing.Lock semantics (see [latchkey.Lock]): it has no owner,
// so any handle in any process may unlock it, and locking it again through
// the handle that holds it blocks. Unlock of an unlocked Lock returns
// [latchkey.ErrNotHeld].
//
// Every grant carries a fencing token one greater than the previous
// grant's; the first is 1. A grant whose previous holder's process died
// holding the lock comes with [latchkey.ErrOwnerDied]: the caller holds
// the lock, and should repair what it guards. The holder, for this
// purpose, is the process that acquired the lock.
//
// Lock blocks until the lock is granted or ctx is done. A Lock whose ctx
// is already done returns ctx.Err() without trying; one cancelled while
// waiting returns ctx.Err() and leaves the lock as it was. TryLock,
// Unlock and Locked do not block beyond a short internal critical section,
// and ignore ctx.
//
// Fairness: blocked callers are served in arrival order (FIFO), with
// direct hand-off; a TryLock or a new Lock never overtakes a queued
// waiter. Before queueing, a Lock looks at a held lock a few times
// (yielding in between), which lets a lock held for a moment change hands
// without sleeping.
//
// A Lock handle is safe for concurrent use. An Unlock synchronizes before
// the Lock or TryLock it lets proceed, in whichever process.
type Lock struct {
	c lockCore
}

// Lock blocks until the lock is acquired or ctx is done, and returns the
// grant's fencing token (with ErrOwnerDied if its last holder died holding
// it).
func (l *Lock) Lock(ctx context.Context) (latchkey.Fence, error) {
	defer runtime.KeepAlive(l.c.r)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return grant(l.c.lock(ctx))
}

// TryLock acquires the lock if it is free and nobody waits for it, and
// returns [latchkey.ErrLocked] otherwise. A lock held by a process that
// died is recovered, and the grant comes with ErrOwnerDied; a holder found
// alive is not checked again for an interval ([Config].CheckInterval).
func (l *Lock) TryLock(context.Context) (latchkey.Fence, error) {
	defer runtime.KeepAlive(l.c.r)
	return grant(l.c.tryLock())
}

// Unlock unlocks the lock, handing it to the oldest waiter if there is
// one. Any handle may unlock a Lock. Unlock of an unlocked Lock returns
// [latchkey.ErrNotHeld].
func (l *Lock) Unlock(context.Context) error {
	defer runtime.KeepAlive(l.c.r)
	return l.c.unlock()
}

// Locked reports whether the lock is held (a snapshot).
func (l *Lock) Locked(context.Context) (bool, error) {
	defer runtime.KeepAlive(l.c.r)
	return l.c.locked(), nil
}

// Waiters returns the number of calls blocked on the lock, in every
// process (a snapshot). A process that died while waiting counts until
// its waiter is reaped.
func (l *Lock) Waiters() int {
	defer runtime.KeepAlive(l.c.r)
	return l.c.r.waiters()
}

// Name returns the lock's name.
func (l *Lock) Name() string { return l.c.r.name }

// grant converts a lock core's result to the API's: the fence, with
// ErrOwnerDied if died.
func grant(fence uint64, died bool, err error) (latchkey.Fence, error) {
	switch {
	case err != nil:
		return 0, err
	case died:
		return latchkey.Fence(fence), latchkey.ErrOwnerDied
	}
	return latchkey.Fence(fence), nil
}
