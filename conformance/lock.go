package conformance

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey"
)

var lockTests = []test{
	{"Open", "lock_tests.BaseLockTests.test_constructor, lock_tests.BaseLockTests.test_acquire_destroy", lockOpen},
	{"AcquireRelease", "lock_tests.BaseLockTests.test_acquire_release, _TestLock.test_lock", lockAcquireRelease},
	{"Locked", "lock_tests.BaseLockTests.test_repr, lock_tests.BaseLockTests.test_locked_repr (state only)", lockLocked},
	{"UnlockUnlocked", "_TestLock.test_lock (second release)", lockUnlockUnlocked},
	{"TryLock", "lock_tests.BaseLockTests.test_try_acquire", lockKind.tryLock},
	{"TryLockContended", "lock_tests.BaseLockTests.test_try_acquire_contended", lockKind.tryLockContended},
	{"Contended", "lock_tests.BaseLockTests.test_acquire_contended", lockKind.contended},
	{"Defer", "lock_tests.BaseLockTests.test_with, _TestLock.test_lock_context", lockKind.deferUnlock},
	{"ManyGoroutines", "lock_tests.BaseLockTests.test_thread_leak", lockKind.manyGoroutines},
	{"Timeout", "lock_tests.BaseLockTests.test_timeout", lockTimeout},
	{"Reacquire", "lock_tests.LockTests.test_reacquire", lockReacquire},
	{"DifferentGoroutine", "lock_tests.LockTests.test_different_thread", lockDifferentGoroutine},
	{"HolderExits", "TestSyncManagerTypes.test_lock", lockHolderExits},
	{"StateAfterTimeout", "lock_tests.LockTests.test_state_after_timeout", lockStateAfterTimeout},
	{"FIFO", "", lockFIFO},
	{"TryLockNoOvertake", "", lockTryLockNoOvertake},
	{"Fence", "", lockFence},
	{"Cancel", "", lockCancel},
	{"CancelRacesUnlock", "", lockCancelRacesUnlock},
	{"Hammer", "", lockHammer},
	{"OpenMismatch", "", lockOpenMismatch},
}

const lkName = "lk"

// lockOpen: a lock can be opened, and dropping the handle of a held lock
// changes nothing: the lock lives on under its name, still held.
func lockOpen(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	if lkLocked(t, l) {
		t.Fatal("new lock is locked")
	}
	_, err := l.Lock(t.Context())
	must(t, err)
	l = lkLock(t, e, lkName)
	if !lkLocked(t, l) {
		t.Fatal("lock reopened by name is not locked")
	}
	must(t, l.Unlock(t.Context()))
}

func lockAcquireRelease(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	f, err := l.Lock(t.Context())
	must(t, err)
	if f == 0 {
		t.Error("Lock returned the zero fence")
	}
	_, err = l.TryLock(t.Context())
	lkWantErr(t, "TryLock of a held lock", err, latchkey.ErrLocked)
	must(t, l.Unlock(t.Context()))
	lkWantErr(t, "second Unlock", l.Unlock(t.Context()), latchkey.ErrNotHeld)
}

func lockLocked(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	other := lkLock(t, e, lkName)
	if lkLocked(t, l) {
		t.Fatal("Locked before Lock")
	}
	_, err := l.Lock(t.Context())
	must(t, err)
	if !lkLocked(t, l) || !lkLocked(t, other) {
		t.Fatal("not Locked after Lock (through both handles)")
	}
	must(t, other.Unlock(t.Context()))
	if lkLocked(t, l) {
		t.Fatal("Locked after Unlock")
	}
}

func lockUnlockUnlocked(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	lkWantErr(t, "Unlock of a new lock", l.Unlock(t.Context()), latchkey.ErrNotHeld)
	_, err := l.Lock(t.Context())
	must(t, err)
	must(t, l.Unlock(t.Context()))
	lkWantErr(t, "extra Unlock", l.Unlock(t.Context()), latchkey.ErrNotHeld)
	if lkLocked(t, l) {
		t.Fatal("failed Unlock left the lock locked")
	}
	_, err = l.TryLock(t.Context())
	must(t, err)
}

var errLkBody = errors.New("body failed")

func lockTimeout(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	other := lkLock(t, e, lkName)
	ctx, cancel := context.WithTimeout(t.Context(), e.Long())
	defer cancel()
	_, err := l.Lock(ctx)
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	g.Go(func() {
		ctx, cancel := lkShort(g.ctx, e)
		defer cancel()
		_, err := other.Lock(ctx)
		res <- err
	})
	lkWantErr(t, "Lock of a held lock with a timeout", lkRecv(t, e, res), context.DeadlineExceeded)
	g.Join(t, e)
	if !lkLocked(t, l) {
		t.Fatal("timed-out Lock unlocked the lock")
	}
	must(t, l.Unlock(t.Context()))
}

// lockReacquire: a Lock is not reentrant; a second Lock through the
// handle that holds it blocks until somebody unlocks it.
func lockReacquire(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	h := lkLock(t, e, lkName)
	g := lkStart(t)
	defer g.Stop()
	phase := make(chan int, 2)
	g.Go(func() {
		for i := range 2 {
			if _, err := h.Lock(g.ctx); err != nil {
				t.Error(err)
				return
			}
			phase <- i
		}
	})
	if got := lkRecv(t, e, phase); got != 0 {
		t.Fatalf("phase %d", got)
	}
	e.Blocked(t, lkName, 1)
	lkNone(t, e, phase, "second Lock through the holding handle")
	must(t, l.Unlock(t.Context()))
	if got := lkRecv(t, e, phase); got != 1 {
		t.Fatalf("phase %d", got)
	}
	g.Join(t, e)
	must(t, l.Unlock(t.Context()))
}

// lockDifferentGoroutine: a Lock has no owner; another goroutine, through
// another handle, may unlock it.
func lockDifferentGoroutine(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	other := lkLock(t, e, lkName)
	_, err := l.Lock(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	g.Go(func() { res <- other.Unlock(g.ctx) })
	must(t, lkRecv(t, e, res))
	g.Join(t, e)
	_, err = l.Lock(t.Context())
	must(t, err)
	must(t, l.Unlock(t.Context()))
}

// lockHolderExits: a goroutine takes the lock and ends without unlocking
// (Python: a child process exits); another handle can unlock it, once.
func lockHolderExits(t *testing.T, e *Env) {
	h := lkLock(t, e, lkName)
	g := lkStart(t)
	defer g.Stop()
	g.Go(func() {
		if _, err := h.Lock(g.ctx); err != nil {
			t.Error(err)
		}
	})
	g.Join(t, e)
	l := lkLock(t, e, lkName)
	if !lkLocked(t, l) {
		t.Fatal("not locked after the holder exited")
	}
	must(t, l.Unlock(t.Context()))
	lkWantErr(t, "second Unlock", l.Unlock(t.Context()), latchkey.ErrNotHeld)
}

// lockStateAfterTimeout (bpo-11618): a timed-out Lock leaves no trace.
func lockStateAfterTimeout(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	other := lkLock(t, e, lkName)
	_, err := l.Lock(t.Context())
	must(t, err)
	ctx, cancel := lkShort(t.Context(), e)
	defer cancel()
	_, err = other.Lock(ctx)
	lkWantErr(t, "Lock with a timeout", err, context.DeadlineExceeded)
	must(t, l.Unlock(t.Context()))
	if lkLocked(t, l) {
		t.Fatal("locked after the holder unlocked")
	}
	_, err = other.TryLock(t.Context())
	must(t, err)
	must(t, other.Unlock(t.Context()))
}

// lockFIFO: waiters queued one at a time get the lock in that order.
func lockFIFO(t *testing.T, e *Env) {
	const n = 5
	l := lkLock(t, e, lkName)
	_, err := l.Lock(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	order := make(chan int, n)
	for i := range n {
		h := lkLock(t, e, lkName)
		g.Go(func() {
			if _, err := h.Lock(g.ctx); err != nil {
				t.Error(err)
				return
			}
			order <- i
			if err := h.Unlock(g.ctx); err != nil {
				t.Error(err)
			}
		})
		e.Blocked(t, lkName, i+1)
	}
	must(t, l.Unlock(t.Context()))
	for i, got := range lkRecvN(t, e, order, n) {
		if got != i {
			t.Fatalf("grant %d went to waiter %d, want %d", i, got, i)
		}
	}
	g.Join(t, e)
}

// lockTryLockNoOvertake: an Unlock with a waiter queued hands the lock to
// the waiter; a TryLock right after it fails.
func lockTryLockNoOvertake(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	w := lkLock(t, e, lkName)
	x := lkLock(t, e, lkName)
	_, err := l.Lock(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	got := make(chan error, 1)
	release := make(chan struct{})
	g.Go(func() {
		_, err := w.Lock(g.ctx)
		got <- err
		if err != nil {
			return
		}
		select {
		case <-release:
		case <-g.ctx.Done():
		}
		if err := w.Unlock(g.ctx); err != nil {
			t.Error(err)
		}
	})
	e.Blocked(t, lkName, 1)
	must(t, l.Unlock(t.Context()))
	_, err = x.TryLock(t.Context())
	lkWantErr(t, "TryLock with a waiter served", err, latchkey.ErrLocked)
	must(t, lkRecv(t, e, got))
	close(release)
	g.Join(t, e)
	_, err = x.TryLock(t.Context())
	must(t, err)
	must(t, x.Unlock(t.Context()))
}

// lockFence: every grant (Lock, TryLock, a hand-off to a waiter) gets a
// greater token than the one before, whatever the handle.
func lockFence(t *testing.T, e *Env) {
	a := lkLock(t, e, lkName)
	b := lkLock(t, e, lkName)
	var fs []latchkey.Fence
	f, err := a.Lock(t.Context())
	must(t, err)
	fs = append(fs, f)
	must(t, a.Unlock(t.Context()))
	f, err = b.TryLock(t.Context())
	must(t, err)
	fs = append(fs, f)
	must(t, a.Unlock(t.Context()))
	f, err = a.Lock(t.Context())
	must(t, err)
	fs = append(fs, f)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan latchkey.Fence, 1)
	g.Go(func() {
		f, err := b.Lock(g.ctx)
		if err != nil {
			t.Error(err)
		}
		res <- f
	})
	e.Blocked(t, lkName, 1)
	must(t, a.Unlock(t.Context()))
	fs = append(fs, lkRecv(t, e, res))
	g.Join(t, e)
	must(t, b.Unlock(t.Context()))
	lkFences(t, fs...)
}

// lockCancel: a Lock whose ctx ends (before the call, by timeout, by
// cancel) fails, never holds the lock and leaves no waiter behind.
func lockCancel(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	w := lkLock(t, e, lkName)

	// Already done, on a free lock.
	_, err := w.Lock(lkDone(t.Context()))
	lkWantErr(t, "Lock with a done ctx", err, context.Canceled)
	if lkLocked(t, l) {
		t.Fatal("Lock with a done ctx took the lock")
	}

	_, err = l.Lock(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()

	// Cancelled while waiting.
	ctx, cancel := context.WithCancel(g.ctx)
	res := make(chan error, 1)
	g.Go(func() {
		_, err := w.Lock(ctx)
		res <- err
	})
	e.Blocked(t, lkName, 1)
	cancel()
	lkWantErr(t, "cancelled Lock", lkRecv(t, e, res), context.Canceled)
	e.Blocked(t, lkName, 0)

	// Timed out while waiting.
	g.Go(func() {
		ctx, cancel := lkShort(g.ctx, e)
		defer cancel()
		_, err := w.Lock(ctx)
		res <- err
	})
	lkWantErr(t, "timed-out Lock", lkRecv(t, e, res), context.DeadlineExceeded)
	e.Blocked(t, lkName, 0)
	g.Join(t, e)

	if !lkLocked(t, l) {
		t.Fatal("cancelled Locks unlocked the lock")
	}
	must(t, l.Unlock(t.Context()))
	if lkLocked(t, l) {
		t.Fatal("a cancelled Lock holds the lock")
	}
	_, err = w.TryLock(t.Context())
	must(t, err)
	must(t, w.Unlock(t.Context()))
}

// lockCancelRacesUnlock: a waiter's ctx is cancelled as the lock is
// released to it. Either it returns nil and holds the lock, or it returns
// the ctx error and the lock is free: the grant is never lost.
func lockCancelRacesUnlock(t *testing.T, e *Env) {
	l := lkLock(t, e, lkName)
	w := lkLock(t, e, lkName)
	g := lkStart(t)
	defer g.Stop()
	won := 0
	for i := range 12 {
		_, err := l.Lock(t.Context())
		must(t, err)
		ctx, cancel := context.WithCancel(g.ctx)
		res := make(chan error, 1)
		g.Go(func() {
			_, err := w.Lock(ctx)
			res <- err
		})
		e.Blocked(t, lkName, 1)
		switch i % 3 {
		case 0:
			cancel()
			must(t, l.Unlock(t.Context()))
		case 1:
			must(t, l.Unlock(t.Context()))
			cancel()
		case 2:
			g.Go(cancel)
			must(t, l.Unlock(t.Context()))
		}
		err = lkRecv(t, e, res)
		cancel()
		locked := lkLocked(t, l)
		switch {
		case err == nil && !locked:
			t.Fatalf("round %d: Lock returned nil but the lock is free", i)
		case err == nil:
			won++
			must(t, w.Unlock(t.Context()))
		case !lkIsCtxErr(err):
			t.Fatalf("round %d: Lock: %v", i, err)
		case locked:
			t.Fatalf("round %d: cancelled Lock left the lock locked", i)
		}
		e.Blocked(t, lkName, 0)
	}
	g.Join(t, e)
	t.Logf("the waiter got the lock in %d of 12 rounds", won)
}

// lockHammer: goroutines lock with random timeouts and cancels; at most
// one holds at a time, and at the end the lock is free with no waiter.
func lockHammer(t *testing.T, e *Env) {
	handles := make([]latchkey.Lock, lkWorkers)
	for i := range handles {
		handles[i] = lkLock(t, e, lkName)
	}
	var holders atomic.Int32
	var grants atomic.Int64
	lkHammer(t, e, func(ctx context.Context, i int, r *rand.Rand) {
		h := handles[i]
		actx, done := lkAttemptCtx(ctx, e, r)
		_, err := h.Lock(actx)
		done()
		if err != nil {
			if !lkIsCtxErr(err) {
				t.Errorf("Lock: %v", err)
			}
			return
		}
		grants.Add(1)
		if n := holders.Add(1); n != 1 {
			t.Errorf("%d holders of a Lock", n)
		}
		lkHold(ctx, e, r)
		holders.Add(-1)
		if err := h.Unlock(ctx); err != nil {
			t.Errorf("Unlock: %v", err)
		}
	})
	t.Logf("%d grants", grants.Load())
	e.Blocked(t, lkName, 0)
	if lkLocked(t, handles[0]) {
		t.Fatal("locked after the hammer")
	}
	_, err := handles[0].TryLock(t.Context())
	must(t, err)
	must(t, handles[0].Unlock(t.Context()))
}

// lockOpenMismatch: a name belongs to one type of object.
func lockOpenMismatch(t *testing.T, e *Env) {
	lkLock(t, e, lkName)
	_, err := e.M.Event(t.Context(), lkName)
	lkWantErr(t, "Event on a Lock's name", err, latchkey.ErrMismatch)
	_, err = e.M.RLock(t.Context(), lkName)
	lkWantErr(t, "RLock on a Lock's name", err, latchkey.ErrMismatch)
	_, err = e.M.Semaphore(t.Context(), lkName, 1)
	lkWantErr(t, "Semaphore on a Lock's name", err, latchkey.ErrMismatch)
	lkLock(t, e, lkName)
}
