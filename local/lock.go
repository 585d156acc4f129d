package local

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/waitq"
)

var (
	_ latchkey.Lock = (*Lock)(nil)
	_ condLocker    = (*Lock)(nil)
)

// The bits of Lock.state. The fencing token of the latest grant sits above
// them.
const (
	lockLocked = 1 << 0 // the lock is held
	lockSlow   = 1 << 1 // waiters are queued: every change goes through mu
	lockShift  = 2      // state>>lockShift is the latest fencing token
)

// Lock is a mutual-exclusion lock with Python's threading.Lock semantics
// (see [latchkey.Lock]). The zero value is an unlocked lock. A Lock must
// not be copied after first use.
//
// A Lock has no owner: any goroutine may unlock it, and a goroutine that
// holds it and locks it again blocks until somebody else unlocks it.
// Unlock of an unlocked Lock returns [latchkey.ErrNotHeld].
//
// Every grant carries a fencing token one greater than the previous
// grant's; the first grant's token is 1.
//
// Lock blocks until the lock is granted or ctx is done. A Lock whose ctx
// is already done returns ctx.Err() without trying; one cancelled while
// waiting returns ctx.Err() and leaves the lock as it was (a grant that
// raced with the cancellation is handed on to the next waiter, or the lock
// is unlocked). TryLock, Unlock and Locked never block and ignore ctx.
//
// Fairness: waiters are served strictly in arrival order (FIFO). Unlock
// hands the lock directly to the oldest waiter, which then holds it
// without competing, and neither a TryLock nor a new Lock overtakes a
// queued waiter. This is a deliberate difference from Python, whose
// releasing thread may re-acquire ("barge") before a woken waiter runs.
// When nobody waits, Lock and Unlock are a single atomic compare-and-swap
// each.
//
// A Lock is safe for concurrent use. An Unlock synchronizes before the
// Lock or TryLock it lets proceed, as with [sync.Mutex].
type Lock struct {
	_ noCopy

	// state is fence<<lockShift | lockSlow | lockLocked. While lockSlow is
	// clear it changes only by compare-and-swap, because the fast paths
	// race; while it is set it changes only with mu held. lockSlow is set
	// exactly when q is not empty, and then lockLocked is set too: Unlock
	// hands the lock over instead of unlocking it.
	state atomic.Uint64

	mu sync.Mutex                  // guards q, and state while lockSlow is set
	q  waitq.Queue[latchkey.Fence] // blocked Lock calls; Val is the granted fence
}

// Lock blocks until the lock is acquired or ctx is done, and returns the
// grant's fencing token. It returns ctx.Err() if ctx is done first, without
// having acquired the lock.
func (l *Lock) Lock(ctx context.Context) (latchkey.Fence, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s := l.state.Load(); s&(lockLocked|lockSlow) == 0 {
		f := s>>lockShift + 1
		if l.state.CompareAndSwap(s, f<<lockShift|lockLocked) {
			return latchkey.Fence(f), nil
		}
	}
	return l.lockSlow(ctx)
}

// lockSlow acquires the lock or queues for it.
func (l *Lock) lockSlow(ctx context.Context) (latchkey.Fence, error) {
	l.mu.Lock()
	for {
		s := l.state.Load()
		if s&lockLocked == 0 {
			// Unlocked, so nobody is queued: take it. The fast paths
			// still race with us, hence the compare-and-swap.
			f := s>>lockShift + 1
			if l.state.CompareAndSwap(s, f<<lockShift|lockLocked) {
				l.mu.Unlock()
				return latchkey.Fence(f), nil
			}
			continue
		}
		// Held: raise lockSlow (if not yet raised) so that the holder's
		// fast Unlock fails and hands the lock to us.
		if s&lockSlow != 0 || l.state.CompareAndSwap(s, s|lockSlow) {
			break
		}
	}
	w := l.q.Push(0)
	l.mu.Unlock()
	if err := waitq.Await(ctx, &l.mu, &l.q, w, l.giveBack, l.removed); err != nil {
		return 0, err
	}
	// w.Val was written before w's channel was closed.
	return w.Val, nil
}

// giveBack undoes the grant to w, whose ctx ended as it was granted. Call
// with mu held. If someone already unlocked w's grant (anybody may unlock a
// Lock) there is nothing to undo.
func (l *Lock) giveBack(w *waitq.Waiter[latchkey.Fence]) {
	for {
		s := l.state.Load()
		if s&lockLocked == 0 || latchkey.Fence(s>>lockShift) != w.Val {
			return
		}
		if l.releaseLocked(s) {
			return
		}
	}
}

// removed clears lockSlow once the last waiter has left. Call with mu held,
// after removing a waiter that was not granted.
func (l *Lock) removed() {
	if l.q.Len() == 0 {
		// lockSlow is still set, so nobody else changes state.
		l.state.Store(l.state.Load() &^ lockSlow)
	}
}

// releaseLocked releases the lock, whose state was s: it hands the lock to
// the oldest waiter, with a new fence, or unlocks it. It reports false if
// state is no longer s (possible only while lockSlow is clear). Call with
// mu held and s locked.
func (l *Lock) releaseLocked(s uint64) bool {
	w := l.q.Front()
	if w == nil {
		return l.state.CompareAndSwap(s, s&^(lockLocked|lockSlow))
	}
	// lockSlow is set: nobody else changes state.
	f := s>>lockShift + 1
	ns := f<<lockShift | lockLocked
	if l.q.Len() > 1 {
		ns |= lockSlow
	}
	w.Val = latchkey.Fence(f)
	l.state.Store(ns)
	l.q.Grant(w)
	return true
}

// TryLock acquires the lock if it is free and nobody waits for it, and
// returns [latchkey.ErrLocked] otherwise. It never blocks; ctx is ignored.
func (l *Lock) TryLock(context.Context) (latchkey.Fence, error) {
	for {
		s := l.state.Load()
		if s&lockLocked != 0 { // also when waiters are queued
			return 0, latchkey.ErrLocked
		}
		f := s>>lockShift + 1
		if l.state.CompareAndSwap(s, f<<lockShift|lockLocked) {
			return latchkey.Fence(f), nil
		}
	}
}

// Unlock unlocks the lock, handing it to the oldest waiter if there is one.
// Any goroutine may unlock a Lock. Unlock of an unlocked Lock returns
// [latchkey.ErrNotHeld]. It never blocks; ctx is ignored.
func (l *Lock) Unlock(context.Context) error {
	s := l.state.Load()
	if s&(lockLocked|lockSlow) != lockLocked || !l.state.CompareAndSwap(s, s-lockLocked) {
		return l.unlockSlow()
	}
	return nil
}

// unlockSlow is Unlock when waiters are queued or the fast path lost a race.
func (l *Lock) unlockSlow() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		s := l.state.Load()
		if s&lockLocked == 0 {
			return latchkey.ErrNotHeld
		}
		if l.releaseLocked(s) {
			return nil
		}
	}
}

// Locked reports whether the lock is held (a snapshot). It never fails.
func (l *Lock) Locked(context.Context) (bool, error) {
	return l.state.Load()&lockLocked != 0, nil
}

// Waiters returns the number of Lock calls blocked on the lock.
func (l *Lock) Waiters() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.q.Len()
}

// Locker returns a [sync.Locker] for in-process code that wants one (for
// example [sync.NewCond]). Its Lock calls l.Lock with
// [context.Background], which never fails in-process; its Unlock calls
// l.Unlock, and unlocking an unlocked lock through it does nothing (the
// [latchkey.ErrNotHeld] that l.Unlock reports is dropped, since
// sync.Locker cannot return it; use l.Unlock directly to see it).
func (l *Lock) Locker() sync.Locker { return (*lockLocker)(l) }

// lockLocker is the [sync.Locker] view of a Lock.
type lockLocker Lock

func (a *lockLocker) Lock()   { _, _ = (*Lock)(a).Lock(context.Background()) }
func (a *lockLocker) Unlock() { _ = (*Lock)(a).Unlock(context.Background()) }

// held reports whether the lock is held by anybody: a Lock has no owner, so
// this is Python's check for a Condition over a Lock.
func (l *Lock) held() bool { return l.state.Load()&lockLocked != 0 }

// releaseSave unlocks the lock for a Condition's Wait.
func (l *Lock) releaseSave() (int, error) { return 1, l.Unlock(context.Background()) }

// acquireRestore re-locks the lock after a Condition's Wait; ctx must
// never be done.
func (l *Lock) acquireRestore(ctx context.Context, _ int) { _, _ = l.Lock(ctx) }
