package conformance

import (
	"errors"
	"testing"

	"github.com/latchkey/latchkey"
)

// lockerKind is a lock type that Python's BaseLockTests cover, Lock or
// RLock: the tests below run once for each, through the Locker interface.
type lockerKind struct {
	name string // the object's name in a test
	open func(t testing.TB, e *Env, name string) latchkey.Locker
}

var (
	lockKind  = lockerKind{lkName, func(t testing.TB, e *Env, name string) latchkey.Locker { return lkLock(t, e, name) }}
	rlockKind = lockerKind{rlkName, func(t testing.TB, e *Env, name string) latchkey.Locker { return lkRLock(t, e, name) }}
)

func (k lockerKind) tryLock(t *testing.T, e *Env) {
	l := k.open(t, e, k.name)
	f, err := l.TryLock(t.Context())
	must(t, err)
	if f == 0 {
		t.Error("TryLock returned the zero fence")
	}
	must(t, l.Unlock(t.Context()))
}

func (k lockerKind) tryLockContended(t *testing.T, e *Env) {
	l := k.open(t, e, k.name)
	other := k.open(t, e, k.name)
	_, err := l.Lock(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	g.Go(func() {
		_, err := other.TryLock(g.ctx)
		res <- err
	})
	lkWantErr(t, "TryLock in another goroutine", lkRecv(t, e, res), latchkey.ErrLocked)
	g.Join(t, e)
	must(t, l.Unlock(t.Context()))
}

// contended: five goroutines block on a held lock and all get it, one
// after the other, once it is released.
func (k lockerKind) contended(t *testing.T, e *Env) {
	const n = 5
	l := k.open(t, e, k.name)
	_, err := l.Lock(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, n)
	for range n {
		h := k.open(t, e, k.name)
		g.Go(func() {
			if _, err := h.Lock(g.ctx); err != nil {
				res <- err
				return
			}
			res <- h.Unlock(g.ctx)
		})
	}
	e.Blocked(t, k.name, n)
	lkNone(t, e, res, "Lock of a held lock")
	must(t, l.Unlock(t.Context()))
	for _, err := range lkRecvN(t, e, res, n) {
		must(t, err)
	}
	g.Join(t, e)
	// Free at the end: a TryLock succeeds.
	_, err = l.TryLock(t.Context())
	must(t, err)
	must(t, l.Unlock(t.Context()))
}

// deferUnlock is Python's with statement: Lock, defer Unlock; an error in
// the body still releases the lock.
func (k lockerKind) deferUnlock(t *testing.T, e *Env) {
	l := k.open(t, e, k.name)
	other := k.open(t, e, k.name)
	with := func(fail bool) error {
		if _, err := l.Lock(t.Context()); err != nil {
			return err
		}
		defer func() { must(t, l.Unlock(t.Context())) }()
		if _, err := other.TryLock(t.Context()); !errors.Is(err, latchkey.ErrLocked) {
			t.Errorf("TryLock inside the body: %v, want ErrLocked", err)
		}
		if fail {
			return errLkBody
		}
		return nil
	}
	must(t, with(false))
	lkWantErr(t, "with failing body", with(true), errLkBody)
	_, err := other.TryLock(t.Context())
	must(t, err)
	must(t, other.Unlock(t.Context()))
}

// manyGoroutines: fifteen goroutines take turns; none is left behind
// (the bubble or goleak catches a leak).
func (k lockerKind) manyGoroutines(t *testing.T, e *Env) {
	const n = 15
	g := lkStart(t)
	defer g.Stop()
	for range n {
		h := k.open(t, e, k.name)
		g.Go(func() {
			if _, err := h.Lock(g.ctx); err != nil {
				t.Error(err)
				return
			}
			if err := h.Unlock(g.ctx); err != nil {
				t.Error(err)
			}
		})
	}
	g.Join(t, e)
	e.Blocked(t, k.name, 0)
}
