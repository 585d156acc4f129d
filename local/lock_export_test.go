package local

import (
	"context"

	"github.com/latchkey/latchkey"
)

// This file gives the tests of Lock, RLock, RWLock and Condition the means
// to make a grant race with a cancellation deterministically: the helpers
// cancel a waiter's ctx while holding the object's mutex, so the waiter,
// parked in waitq.Await, wakes on ctx.Done and then blocks on the mutex
// until the grant made under it is visible; it must then give the grant
// back.

// Slow reports whether l's slow bit is set (waiters are queued).
func (l *Lock) Slow() bool { return l.state.Load()&lockSlow != 0 }

// UnlockRacing calls before, unlocks l (handing it to the oldest waiter,
// if any) and calls after, all with l's mutex held. after may use l's fast
// paths, which do not take the mutex.
func (l *Lock) UnlockRacing(before, after func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	before()
	for {
		s := l.state.Load()
		if s&lockLocked == 0 {
			return latchkey.ErrNotHeld
		}
		if l.releaseLocked(s) {
			break
		}
	}
	if after != nil {
		after()
	}
	return nil
}

// UnlockRacing calls cancel and then unlocks r, with the lock's mutex held.
func (r *RLock) UnlockRacing(cancel context.CancelFunc) error {
	s := r.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	cancel()
	if s.owner != r {
		return latchkey.ErrNotOwner
	}
	s.count--
	if s.count == 0 {
		s.releaseLocked()
	}
	return nil
}

// UnlockRacing calls cancel and then releases rw's write hold (or, if
// read, one read hold), with the lock's mutex held.
func (rw *RWLock) UnlockRacing(cancel context.CancelFunc, read bool) error {
	s := rw.state()
	s.mu.Lock()
	defer s.mu.Unlock()
	cancel()
	if read {
		if rw.reads == 0 {
			return latchkey.ErrNotHeld
		}
		rw.reads--
		s.readers--
	} else {
		if !rw.write {
			return latchkey.ErrNotHeld
		}
		rw.write, s.writer = false, false
	}
	s.grantLocked()
	return nil
}

// NotifyRacing calls cancel and then notifies n waiters of c, with the
// condition's mutex held. The caller must hold c's lock.
func (c *Condition) NotifyRacing(cancel context.CancelFunc, n int) {
	cs := c.binding().cs
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cancel()
	cs.notifyLocked(n)
}
