package shm

import (
	"context"
	"errors"
	"runtime"

	"github.com/latchkey/latchkey"
)

var _ latchkey.Condition = (*Condition)(nil)

// A Condition's parameters: how it is bound to its lock, as a Value's
// (numParamMode and the lock's identity): modeAttached for a Lock of its
// own, in a file of its own beside the condition's (Manager.companion),
// or modeExternal. Its body is empty: the waiters are the region's slots.
const (
	condParamMode = 0
	condParamID0  = 1
	condParamID1  = 2
	condBodySize  = 64
)

// ErrTooManyWaiters is returned by [Condition.Wait] when 64 calls already
// wait on the condition, in all processes. It wraps
// [latchkey.ErrUnavailable].
var ErrTooManyWaiters error = &wrapError{"shm: too many calls wait on the condition", latchkey.ErrUnavailable}

// condCore is the shared state of a Condition: its waiters.
type condCore struct{ r *region }

// notify stages waking up to n of the oldest waiters, a few per
// transaction.
func (c condCore) notify(t *tx, n int) {
	for ; n > 0; n-- {
		i, _ := t.oldest()
		if i < 0 {
			return
		}
		t.fit(3)
		t.grant(i, 0, false)
	}
}

// reapGrant passes a notification that a dead waiter never saw on to the
// next waiter.
func (c condCore) reapGrant(t *tx, _ int, _ uint64) { c.notify(t, 1) }
func (condCore) reapHolder(*tx, uint64)             {}
func (condCore) dispatch(*tx)                       {}

// suspects are the processes notified and not awake yet: a notification
// given to a process that died passes on when the process is reaped.
func (c condCore) suspects(ids []uint64) []uint64 { return c.r.grantedTo(ids) }

// condLocker is what a Condition needs of its lock beyond
// [latchkey.Locker]: Python's _is_owned, _release_save and
// _acquire_restore.
type condLocker interface {
	latchkey.Locker
	// held reports whether the caller may wait or notify: a Lock held by
	// anybody, an RLock owned by this handle.
	held() bool
	// releaseSave releases the lock completely and returns what
	// acquireRestore needs to restore it (an RLock's recursion count),
	// or ErrNotHeld if the caller may not release it.
	releaseSave() (int, error)
	// acquireRestore takes the lock again as releaseSave left it,
	// waiting without a deadline (ctx is never done). It returns
	// ErrOwnerDied, holding the lock, if a holder died meanwhile.
	acquireRestore(ctx context.Context, saved int) error
}

func (l *Lock) held() bool { return l.c.locked() }

func (l *Lock) releaseSave() (int, error) { return 0, l.c.unlock() }

func (l *Lock) acquireRestore(ctx context.Context, _ int) error {
	_, err := grant(l.c.lock(ctx))
	return err
}

func (h *RLock) held() bool {
	l := &h.c.r.rl
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owner == h
}

func (h *RLock) releaseSave() (int, error) {
	l := &h.c.r.rl
	l.mu.Lock()
	if l.owner != h {
		l.mu.Unlock()
		return 0, latchkey.ErrNotHeld
	}
	n := l.count
	l.owner, l.count = nil, 0
	l.mu.Unlock()
	return n, h.c.unlock()
}

func (h *RLock) acquireRestore(ctx context.Context, saved int) error {
	fence, died, err := h.c.lock(ctx)
	if err == nil {
		l := &h.c.r.rl
		l.mu.Lock()
		l.owner, l.count = h, saved
		l.mu.Unlock()
	}
	_, err = grant(fence, died, err)
	return err
}

// Condition is a condition variable in shared memory with Python's
// threading.Condition semantics (see [latchkey.Condition]), bound to a
// [Lock] or to an [RLock] handle of this package, or to a Lock of its own
// that every handle of the condition, in every process, shares. Its Lock,
// TryLock and Unlock are the bound lock's.
//
// Wait, WaitFor, Notify and NotifyAll require the lock to be held: for a
// Lock, by anybody (as Python checks); for an RLock, by this handle.
// Otherwise they return [latchkey.ErrNotHeld].
//
// Wait queues the caller, releases the lock completely (all recursion
// levels of an RLock, which it restores), blocks until notified or ctx is
// done, and takes the lock again before it returns on every path: when
// ctx is done it waits for the lock without a deadline, as Python does. A
// Wait whose ctx is already done returns ctx.Err() at once, still holding
// the lock. A Wait notified at the moment its ctx ended returns nil.
//
// Notify wakes up to n waiters, oldest first (FIFO, across all
// processes); they then queue for the lock and run after the notifier
// releases it. A notification with nobody waiting is lost, and there are
// no spurious wake-ups. At most 64 calls wait on one condition at a time:
// one more returns [ErrTooManyWaiters], holding the lock.
//
// Processes that die: a process that dies while it waits leaves the
// queue once found dead, and a notification it was given and never saw
// passes to the next waiter. A lock whose holder died is recovered as the
// lock says: a Wait that takes it back returns [latchkey.ErrOwnerDied]
// (holding it), or its own error joined with ErrOwnerDied.
//
// A Condition handle is safe for concurrent use, with the bound lock's
// ownership rules. A Notify synchronizes before the return of the Wait it
// wakes, in whichever process.
type Condition struct {
	c    condCore
	lock condLocker
}

// Lock locks the bound lock (see [Lock.Lock] and [RLock.Lock]).
func (c *Condition) Lock(ctx context.Context) (latchkey.Fence, error) { return c.lock.Lock(ctx) }

// TryLock try-locks the bound lock (see [Lock.TryLock] and
// [RLock.TryLock]).
func (c *Condition) TryLock(ctx context.Context) (latchkey.Fence, error) {
	return c.lock.TryLock(ctx)
}

// Unlock unlocks the bound lock (see [Lock.Unlock] and [RLock.Unlock]).
func (c *Condition) Unlock(ctx context.Context) error { return c.lock.Unlock(ctx) }

// Wait releases the lock, blocks until notified or ctx is done, and takes
// the lock again before it returns, whatever happened. It returns nil when
// notified, ctx's error when ctx ended first, [latchkey.ErrNotHeld]
// (without waiting) if the lock is not held, and [ErrTooManyWaiters]
// (holding the lock) if 64 calls wait already.
func (c *Condition) Wait(ctx context.Context) error {
	r := c.c.r
	defer runtime.KeepAlive(r)
	if !c.lock.held() {
		return latchkey.ErrNotHeld
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Queue before releasing the lock: a Notify needs the lock, so none
	// can come between the release and the wait and be missed.
	r.lockGuard()
	t := r.begin()
	i := t.enqueue(0)
	if i < 0 {
		r.unlockGuard()
		return ErrTooManyWaiters
	}
	w := waiter{i, t.get(slotOff(i, slotTicket))}
	t.commit()
	r.unlockGuard()
	saved, err := c.lock.releaseSave()
	if err != nil {
		// Somebody else released the lock since held() (anybody may
		// unlock a Lock). Leave, passing on a notification that may
		// have reached w meanwhile.
		r.lockGuard()
		t := r.begin()
		if _, _, granted, _ := t.claim(w); granted {
			c.c.notify(t, 1)
		}
		t.commit()
		r.unlockGuard()
		return err
	}
	_, _, err = r.settle(ctx, w, nil)
	if rerr := c.lock.acquireRestore(context.WithoutCancel(ctx), saved); rerr != nil {
		if err == nil {
			return rerr
		}
		return errors.Join(err, rerr)
	}
	return err
}

// WaitFor calls pred with the lock held and waits until it returns true.
// It returns nil once pred is true, ctx's error if ctx is done first, and
// [latchkey.ErrNotHeld] if the lock is not held. pred is called before
// the first wait and after every wait, including the one ctx ended (so a
// true pred then still returns nil, as Python returns the predicate's
// last value). The lock is held on return. A Wait that reports
// ErrOwnerDied ends WaitFor with that error, the lock held.
func (c *Condition) WaitFor(ctx context.Context, pred func() bool) error {
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			if ctx.Err() != nil && !errors.Is(err, latchkey.ErrOwnerDied) && pred() {
				return nil
			}
			return err
		}
	}
	return nil
}

// Notify wakes up to n waiters (none if n ≤ 0), oldest first. It returns
// [latchkey.ErrNotHeld] if the lock is not held. It does not block beyond
// a short internal critical section, and ignores ctx.
func (c *Condition) Notify(_ context.Context, n int) error {
	r := c.c.r
	defer runtime.KeepAlive(r)
	if !c.lock.held() {
		return latchkey.ErrNotHeld
	}
	if n <= 0 || r.u64(offNWait).Load() == 0 {
		return nil
	}
	r.lockGuard()
	t := r.begin()
	c.c.notify(t, n)
	t.commit()
	r.unlockGuard()
	return nil
}

// NotifyAll wakes every waiter. It returns [latchkey.ErrNotHeld] if the
// lock is not held.
func (c *Condition) NotifyAll(ctx context.Context) error { return c.Notify(ctx, numSlots) }

// Waiters returns the number of Wait calls, in every process, that have
// not been notified yet (a snapshot). A notified call waiting to take the
// lock again counts on the lock instead.
func (c *Condition) Waiters() int {
	defer runtime.KeepAlive(c.c.r)
	return c.c.r.waiters()
}

// Name returns the condition's name.
func (c *Condition) Name() string { return c.c.r.name }
