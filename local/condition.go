package local

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/waitq"
)

var _ latchkey.Condition = (*Condition)(nil)

// condLocker is what a Condition needs of its lock beyond
// [latchkey.Locker]: Python's _is_owned, _release_save and _acquire_restore.
type condLocker interface {
	latchkey.Locker
	// held reports whether the caller may wait or notify: a Lock held by
	// anybody, an RLock owned by this handle.
	held() bool
	// releaseSave releases the lock completely and returns what
	// acquireRestore needs to restore it (an RLock's recursion count). It
	// returns ErrNotHeld if the caller may not release it.
	releaseSave() (int, error)
	// acquireRestore re-takes the lock as releaseSave left it. ctx must
	// never be done: it cannot fail.
	acquireRestore(ctx context.Context, saved int)
}

// Condition is a condition variable with Python's threading.Condition
// semantics (see [latchkey.Condition]), bound to a [*Lock] or to an
// [*RLock] handle. Its Lock, TryLock and Unlock are the bound lock's. A
// Condition must not be copied after first use.
//
// The zero value is a condition bound to a Lock of its own. This is a
// deliberate difference from Python, whose default lock is an RLock: in Go
// an RLock's owner is a handle, and the goroutines sharing a zero-value
// Condition would all be one owner, so the reentrancy would be false
// safety (one goroutine could unlock another's hold). Use [NewCondition]
// with an [*RLock] for a reentrant condition, and [Condition.Handle] to give
// each goroutine its own owner.
//
// Wait, WaitFor, Notify and NotifyAll require the lock to be held: for a
// Lock, by anybody (as Python checks: a goroutine that does not hold the
// Lock may wait on it while another holds it, and Wait then releases the
// other's hold); for an RLock, by this handle. Otherwise they return
// [latchkey.ErrNotHeld].
//
// Wait releases the lock completely (all recursion levels of an RLock,
// which it restores), blocks until notified or ctx is done, and re-takes
// the lock before it returns on every path: when ctx is done it waits for
// the lock without a deadline, as Python does. A Wait whose ctx is already
// done returns ctx.Err() at once, still holding the lock.
//
// Notify wakes up to n waiters, oldest first (FIFO); the woken waiters then
// queue for the lock and run after the notifier releases it. A
// notification with nobody waiting is lost, and there are no spurious
// wake-ups. A notification that races with a waiter's cancellation is not
// lost: the cancelled Wait returns ctx's error and the notification passes
// to the next waiter, if there is one. (Python differs: its timed-out
// waiter consumes the notification and returns False.)
//
// A Condition is safe for concurrent use. A Notify synchronizes before the
// return of the Wait it wakes.
type Condition struct {
	_ noCopy

	b atomic.Pointer[condBinding] // set by NewCondition or Handle, else on first use
}

// condBinding is one handle's view of a condition.
type condBinding struct {
	cs   *condState
	lock condLocker // this handle's lock
}

// condState is what every handle of one condition shares.
type condState struct {
	mu sync.Mutex            // guards q
	q  waitq.Queue[struct{}] // Wait calls not yet notified

	lock   *Lock       // the bound Lock, or nil
	family *rlockState // the bound RLock's shared state, or nil
	own    Lock        // the lock of a condition made without one
}

// NewCondition returns a condition bound to l, which must be a [*Lock] or an
// [*RLock] handle of this package, or nil for a [Lock] of the condition's
// own. Any other l returns [latchkey.ErrInvalid].
func NewCondition(l latchkey.Locker) (*Condition, error) {
	cs := new(condState)
	b := &condBinding{cs: cs}
	switch l := l.(type) {
	case nil:
		cs.lock = &cs.own
		b.lock = &cs.own
	case *Lock:
		if l == nil {
			return nil, latchkey.Errorf(latchkey.KindInvalid, "local: condition over a nil *Lock")
		}
		cs.lock, b.lock = l, l
	case *RLock:
		if l == nil {
			return nil, latchkey.Errorf(latchkey.KindInvalid, "local: condition over a nil *RLock")
		}
		cs.family, b.lock = l.state(), l
	default:
		return nil, latchkey.Errorf(latchkey.KindInvalid, "local: condition over a %T, want *local.Lock or *local.RLock", l)
	}
	c := new(Condition)
	c.b.Store(b)
	return c, nil
}

// binding returns c's binding, making the zero value's on first use.
func (c *Condition) binding() *condBinding {
	if b := c.b.Load(); b != nil {
		return b
	}
	cs := new(condState)
	cs.lock = &cs.own
	c.b.CompareAndSwap(nil, &condBinding{cs: cs, lock: &cs.own})
	return c.b.Load()
}

// Handle returns a new handle on c's condition: it shares c's waiters and is
// bound to l, which must be c's Lock (the same *Lock) or a handle of c's
// RLock (any handle made with [RLock.Handle] from it), else it returns
// [latchkey.ErrMismatch]. A nil l binds the new handle to c's own lock
// handle, so for a condition over an RLock the two handles are one owner.
// An l of another type than [*Lock] or [*RLock] returns
// [latchkey.ErrInvalid], as in [NewCondition].
func (c *Condition) Handle(l latchkey.Locker) (*Condition, error) {
	b := c.binding()
	nb := &condBinding{cs: b.cs, lock: b.lock}
	switch l := l.(type) {
	case nil:
	case *Lock:
		if l == nil {
			return nil, latchkey.Errorf(latchkey.KindInvalid, "local: condition over a nil *Lock")
		}
		if l != b.cs.lock {
			return nil, latchkey.Errorf(latchkey.KindMismatch, "local: condition is bound to another lock")
		}
		nb.lock = l
	case *RLock:
		if l == nil {
			return nil, latchkey.Errorf(latchkey.KindInvalid, "local: condition over a nil *RLock")
		}
		if b.cs.family == nil || l.state() != b.cs.family {
			return nil, latchkey.Errorf(latchkey.KindMismatch, "local: condition is bound to another lock")
		}
		nb.lock = l
	default:
		return nil, latchkey.Errorf(latchkey.KindInvalid, "local: condition over a %T, want *local.Lock or *local.RLock", l)
	}
	h := new(Condition)
	h.b.Store(nb)
	return h, nil
}

// Lock locks the bound lock (see [Lock.Lock] and [RLock.Lock]).
func (c *Condition) Lock(ctx context.Context) (latchkey.Fence, error) {
	return c.binding().lock.Lock(ctx)
}

// TryLock try-locks the bound lock (see [Lock.TryLock] and [RLock.TryLock]).
func (c *Condition) TryLock(ctx context.Context) (latchkey.Fence, error) {
	return c.binding().lock.TryLock(ctx)
}

// Unlock unlocks the bound lock (see [Lock.Unlock] and [RLock.Unlock]).
func (c *Condition) Unlock(ctx context.Context) error {
	return c.binding().lock.Unlock(ctx)
}

// Wait releases the lock, blocks until notified or ctx is done, and
// re-takes the lock before it returns, whatever happened. It returns nil
// when notified, ctx's error when ctx ended first, and
// [latchkey.ErrNotHeld] (without waiting) if the lock is not held.
func (c *Condition) Wait(ctx context.Context) error {
	b := c.binding()
	if !b.lock.held() {
		return latchkey.ErrNotHeld
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cs := b.cs
	// Queue before releasing the lock: a Notify needs the lock, so none
	// can come between the release and the wait and be missed.
	cs.mu.Lock()
	w := cs.q.Push(struct{}{})
	cs.mu.Unlock()
	saved, err := b.lock.releaseSave()
	if err != nil {
		// The lock was released by somebody else since held() (anybody
		// may unlock a Lock). Leave, passing on a notification that may
		// have reached w meanwhile.
		cs.mu.Lock()
		if !cs.q.Remove(w) {
			cs.notifyLocked(1)
		}
		cs.mu.Unlock()
		return err
	}
	err = waitq.Await(ctx, &cs.mu, &cs.q, w, cs.passOn, nil)
	b.lock.acquireRestore(context.WithoutCancel(ctx), saved)
	return err
}

// WaitFor calls pred with the lock held and waits until it returns true.
// It returns nil once pred is true, ctx's error if ctx is done first, and
// [latchkey.ErrNotHeld] if the lock is not held. pred is called before
// the first wait and after every wait, including the one ctx ended (so a
// true pred then still returns nil, as Python returns the predicate's last
// value). The lock is held on return.
func (c *Condition) WaitFor(ctx context.Context, pred func() bool) error {
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			if ctx.Err() != nil && pred() {
				return nil
			}
			return err
		}
	}
	return nil
}

// Notify wakes up to n waiters (none if n ≤ 0), oldest first. It returns
// [latchkey.ErrNotHeld] if the lock is not held. It never blocks; ctx is
// ignored.
func (c *Condition) Notify(_ context.Context, n int) error {
	b := c.binding()
	if !b.lock.held() {
		return latchkey.ErrNotHeld
	}
	if n > 0 {
		b.cs.mu.Lock()
		b.cs.notifyLocked(n)
		b.cs.mu.Unlock()
	}
	return nil
}

// NotifyAll wakes every waiter. It returns [latchkey.ErrNotHeld] if the
// lock is not held. It never blocks; ctx is ignored.
func (c *Condition) NotifyAll(context.Context) error {
	b := c.binding()
	if !b.lock.held() {
		return latchkey.ErrNotHeld
	}
	b.cs.mu.Lock()
	b.cs.notifyLocked(b.cs.q.Len())
	b.cs.mu.Unlock()
	return nil
}

// Waiters returns the number of Wait calls, through any handle, that have
// not been notified yet. A notified call waiting to re-take the lock counts
// on the lock instead.
func (c *Condition) Waiters() int {
	cs := c.binding().cs
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.q.Len()
}

// notifyLocked wakes the n oldest waiters (fewer if fewer wait). Call with
// mu held.
func (cs *condState) notifyLocked(n int) {
	for w := range cs.q.All() {
		if n <= 0 {
			return
		}
		cs.q.Grant(w)
		n--
	}
}

// passOn hands the notification of a waiter whose ctx ended as it was
// notified to the next waiter. Call with mu held.
func (cs *condState) passOn(*waitq.Waiter[struct{}]) { cs.notifyLocked(1) }
