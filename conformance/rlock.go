package conformance

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey"
)

var rlockTests = []test{
	{"Open", "lock_tests.BaseLockTests.test_constructor, lock_tests.BaseLockTests.test_acquire_destroy", rlockOpen},
	{"AcquireRelease", "lock_tests.BaseLockTests.test_acquire_release", rlockAcquireRelease},
	{"TryLock", "lock_tests.BaseLockTests.test_try_acquire", rlockKind.tryLock},
	{"TryLockContended", "lock_tests.BaseLockTests.test_try_acquire_contended", rlockKind.tryLockContended},
	{"Contended", "lock_tests.BaseLockTests.test_acquire_contended", rlockKind.contended},
	{"Defer", "lock_tests.BaseLockTests.test_with", rlockKind.deferUnlock},
	{"ManyGoroutines", "lock_tests.BaseLockTests.test_thread_leak", rlockKind.manyGoroutines},
	{"Timeout", "lock_tests.BaseLockTests.test_timeout", rlockTimeout},
	{"Reacquire", "lock_tests.RLockTests.test_reacquire, _TestLock.test_rlock", rlockReacquire},
	{"UnlockUnacquired", "lock_tests.RLockTests.test_release_unacquired", rlockUnlockUnacquired},
	{"RecursionCount", "lock_tests.RLockTests.test_recursion_count", rlockRecursionCount},
	{"DifferentOwner", "lock_tests.RLockTests.test_different_thread", rlockDifferentOwner},
	{"IsOwned", "lock_tests.RLockTests.test__is_owned", rlockIsOwned},
	{"OtherHandle", "TestSyncManagerTypes.test_rlock", rlockOtherHandle},
	{"SharedHandle", "", rlockSharedHandle},
	{"TryLockReentrant", "", rlockTryLockReentrant},
	{"ReentryWithWaiters", "", rlockReentryWithWaiters},
	{"Fence", "", rlockFence},
	{"Cancel", "", rlockCancel},
	{"Hammer", "", rlockHammer},
}

const rlkName = "rlk"

func rlockOpen(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	if n := lkCount(t, r); n != 0 {
		t.Fatalf("Count of a new RLock = %d", n)
	}
	_, err := r.Lock(t.Context())
	must(t, err)
	other := lkRLock(t, e, rlkName)
	_, err = other.TryLock(t.Context())
	lkWantErr(t, "TryLock through a new handle", err, latchkey.ErrLocked)
	must(t, r.Unlock(t.Context()))
}

func rlockAcquireRelease(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	f, err := r.Lock(t.Context())
	must(t, err)
	if f == 0 {
		t.Error("Lock returned the zero fence")
	}
	must(t, r.Unlock(t.Context()))
	if n := lkCount(t, r); n != 0 {
		t.Fatalf("Count after Unlock = %d", n)
	}
}

func rlockTimeout(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	other := lkRLock(t, e, rlkName)
	ctx, cancel := context.WithTimeout(t.Context(), e.Long())
	defer cancel()
	_, err := r.Lock(ctx)
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
	lkWantErr(t, "Lock by another owner with a timeout", lkRecv(t, e, res), context.DeadlineExceeded)
	g.Join(t, e)
	if n := lkCount(t, other); n != 0 {
		t.Fatalf("timed-out handle has Count %d", n)
	}
	if n := lkCount(t, r); n != 1 {
		t.Fatalf("owner's Count = %d after another's timeout, want 1", n)
	}
	must(t, r.Unlock(t.Context()))
}

// rlockReacquire: acquire, acquire, release, acquire, release, release;
// then three deep, and a fourth Unlock fails.
func rlockReacquire(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	ctx := t.Context()
	for _, step := range []string{"L", "L", "U", "L", "U", "U", "L", "L", "L", "U", "U", "U"} {
		var err error
		if step == "L" {
			_, err = r.Lock(ctx)
		} else {
			err = r.Unlock(ctx)
		}
		must(t, err)
	}
	lkWantErr(t, "fourth Unlock", r.Unlock(ctx), latchkey.ErrNotOwner)
}

func rlockUnlockUnacquired(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	ctx := t.Context()
	lkWantErr(t, "Unlock of a new RLock", r.Unlock(ctx), latchkey.ErrNotOwner)
	for _, step := range []string{"L", "L", "U", "L", "U", "U"} {
		var err error
		if step == "L" {
			_, err = r.Lock(ctx)
		} else {
			err = r.Unlock(ctx)
		}
		must(t, err)
	}
	lkWantErr(t, "extra Unlock", r.Unlock(ctx), latchkey.ErrNotOwner)
	if n := lkCount(t, r); n != 0 {
		t.Fatalf("Count = %d after a failed Unlock", n)
	}
}

// rlockRecursionCount: Count is 0, 1, 3, 2, 0; a handle that does not
// own the lock sees 0 while another holds it.
func rlockRecursionCount(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	other := lkRLock(t, e, rlkName)
	ctx := t.Context()
	want := func(n int) {
		t.Helper()
		if got := lkCount(t, r); got != n {
			t.Fatalf("Count = %d, want %d", got, n)
		}
	}
	want(0)
	_, err := r.Lock(ctx)
	must(t, err)
	want(1)
	_, err = r.Lock(ctx)
	must(t, err)
	_, err = r.Lock(ctx)
	must(t, err)
	want(3)
	must(t, r.Unlock(ctx))
	want(2)
	must(t, r.Unlock(ctx))
	must(t, r.Unlock(ctx))
	want(0)

	g := lkStart(t)
	defer g.Stop()
	locked := make(chan error, 1)
	release := make(chan struct{})
	g.Go(func() {
		_, err := other.Lock(g.ctx)
		locked <- err
		if err != nil {
			return
		}
		select {
		case <-release:
		case <-g.ctx.Done():
		}
		if err := other.Unlock(g.ctx); err != nil {
			t.Error(err)
		}
	})
	must(t, lkRecv(t, e, locked))
	want(0)
	if n := lkCount(t, other); n != 1 {
		t.Fatalf("holder's Count = %d, want 1", n)
	}
	close(release)
	g.Join(t, e)
}

// rlockDifferentOwner: a handle that does not own the lock cannot unlock
// it, and trying changes nothing.
func rlockDifferentOwner(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	other := lkRLock(t, e, rlkName)
	g := lkStart(t)
	defer g.Stop()
	locked := make(chan error, 1)
	release := make(chan struct{})
	g.Go(func() {
		_, err := other.Lock(g.ctx)
		locked <- err
		if err != nil {
			return
		}
		select {
		case <-release:
		case <-g.ctx.Done():
		}
		if err := other.Unlock(g.ctx); err != nil {
			t.Error(err)
		}
	})
	must(t, lkRecv(t, e, locked))
	lkWantErr(t, "Unlock by a non-owner", r.Unlock(t.Context()), latchkey.ErrNotOwner)
	if n := lkCount(t, other); n != 1 {
		t.Fatalf("owner's Count = %d after a non-owner's Unlock, want 1", n)
	}
	_, err := r.TryLock(t.Context())
	lkWantErr(t, "TryLock after a non-owner's Unlock", err, latchkey.ErrLocked)
	close(release)
	g.Join(t, e)
}

// rlockIsOwned: Python's _is_owned is Count > 0 through this handle.
func rlockIsOwned(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	other := lkRLock(t, e, rlkName)
	ctx := t.Context()
	owned := func(h latchkey.RLock) bool { t.Helper(); return lkCount(t, h) > 0 }
	if owned(r) {
		t.Fatal("owned before Lock")
	}
	_, err := r.Lock(ctx)
	must(t, err)
	if !owned(r) || owned(other) {
		t.Fatal("after Lock: want owned by this handle only")
	}
	_, err = r.Lock(ctx)
	must(t, err)
	if !owned(r) || owned(other) {
		t.Fatal("after reentrant Lock: want owned by this handle only")
	}
	must(t, r.Unlock(ctx))
	if !owned(r) {
		t.Fatal("not owned after one of two Unlocks")
	}
	must(t, r.Unlock(ctx))
	if owned(r) {
		t.Fatal("owned after both Unlocks")
	}
}

// rlockOtherHandle: another goroutine with its own handle locks and
// unlocks it.
func rlockOtherHandle(t *testing.T, e *Env) {
	h := lkRLock(t, e, rlkName)
	g := lkStart(t)
	defer g.Stop()
	g.Go(func() {
		if _, err := h.Lock(g.ctx); err != nil {
			t.Error(err)
			return
		}
		if err := h.Unlock(g.ctx); err != nil {
			t.Error(err)
		}
	})
	g.Join(t, e)
	r := lkRLock(t, e, rlkName)
	_, err := r.TryLock(t.Context())
	must(t, err)
	must(t, r.Unlock(t.Context()))
}

// rlockSharedHandle: the handle is the owner, so a goroutine given the
// handle shares the ownership on purpose.
func rlockSharedHandle(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	_, err := r.Lock(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 2)
	g.Go(func() {
		_, err := r.Lock(g.ctx)
		res <- err
		res <- r.Unlock(g.ctx)
	})
	must(t, lkRecv(t, e, res))
	must(t, lkRecv(t, e, res))
	g.Join(t, e)
	if n := lkCount(t, r); n != 1 {
		t.Fatalf("Count = %d, want 1", n)
	}
	must(t, r.Unlock(t.Context()))
}

// rlockTryLockReentrant: the owner's TryLock succeeds (Python: acquire
// with blocking=False), with the same token, even with a waiter queued.
func rlockTryLockReentrant(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	w := lkRLock(t, e, rlkName)
	f1, err := r.Lock(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	g.Go(func() {
		_, err := w.Lock(g.ctx)
		res <- err
		if err == nil {
			if err := w.Unlock(g.ctx); err != nil {
				t.Error(err)
			}
		}
	})
	e.Blocked(t, rlkName, 1)
	f2, err := r.TryLock(t.Context())
	must(t, err)
	if f2 != f1 {
		t.Errorf("reentrant TryLock fence %d, want %d", f2, f1)
	}
	if n := lkCount(t, r); n != 2 {
		t.Fatalf("Count = %d, want 2", n)
	}
	must(t, r.Unlock(t.Context()))
	lkNone(t, e, res, "waiter after one of two Unlocks")
	must(t, r.Unlock(t.Context()))
	must(t, lkRecv(t, e, res))
	g.Join(t, e)
}

// rlockReentryWithWaiters: the owner's Lock never queues behind waiters.
func rlockReentryWithWaiters(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	_, err := r.Lock(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 2)
	for range 2 {
		w := lkRLock(t, e, rlkName)
		g.Go(func() {
			_, err := w.Lock(g.ctx)
			if err == nil {
				err = w.Unlock(g.ctx)
			}
			res <- err
		})
	}
	e.Blocked(t, rlkName, 2)
	ctx, cancel := lkShort(t.Context(), e)
	defer cancel()
	_, err = r.Lock(ctx)
	must(t, err)
	e.Blocked(t, rlkName, 2)
	must(t, r.Unlock(t.Context()))
	lkNone(t, e, res, "waiter while the owner still holds")
	must(t, r.Unlock(t.Context()))
	for _, err := range lkRecvN(t, e, res, 2) {
		must(t, err)
	}
	g.Join(t, e)
}

// rlockFence: every first acquire gets a greater token; reentry returns
// the same token.
func rlockFence(t *testing.T, e *Env) {
	a := lkRLock(t, e, rlkName)
	b := lkRLock(t, e, rlkName)
	ctx := t.Context()
	var fs []latchkey.Fence
	f, err := a.Lock(ctx)
	must(t, err)
	fs = append(fs, f)
	for range 2 {
		f2, err := a.Lock(ctx)
		must(t, err)
		if f2 != f {
			t.Errorf("reentrant Lock fence %d, want %d", f2, f)
		}
	}
	for range 3 {
		must(t, a.Unlock(ctx))
	}
	f, err = b.TryLock(ctx)
	must(t, err)
	fs = append(fs, f)
	must(t, b.Unlock(ctx))
	f, err = a.TryLock(ctx)
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
	e.Blocked(t, rlkName, 1)
	must(t, a.Unlock(ctx))
	fs = append(fs, lkRecv(t, e, res))
	g.Join(t, e)
	must(t, b.Unlock(ctx))
	lkFences(t, fs...)
}

// rlockCancel: a cancelled or timed-out Lock never owns the lock and
// leaves no waiter.
func rlockCancel(t *testing.T, e *Env) {
	r := lkRLock(t, e, rlkName)
	w := lkRLock(t, e, rlkName)
	_, err := w.Lock(lkDone(t.Context()))
	lkWantErr(t, "Lock with a done ctx", err, context.Canceled)
	if n := lkCount(t, w); n != 0 {
		t.Fatalf("Lock with a done ctx: Count %d", n)
	}
	_, err = r.Lock(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	ctx, cancel := context.WithCancel(g.ctx)
	res := make(chan error, 1)
	g.Go(func() {
		_, err := w.Lock(ctx)
		res <- err
	})
	e.Blocked(t, rlkName, 1)
	cancel()
	lkWantErr(t, "cancelled Lock", lkRecv(t, e, res), context.Canceled)
	e.Blocked(t, rlkName, 0)
	g.Go(func() {
		ctx, cancel := lkShort(g.ctx, e)
		defer cancel()
		_, err := w.Lock(ctx)
		res <- err
	})
	lkWantErr(t, "timed-out Lock", lkRecv(t, e, res), context.DeadlineExceeded)
	e.Blocked(t, rlkName, 0)
	g.Join(t, e)
	if n := lkCount(t, w); n != 0 {
		t.Fatalf("cancelled handle has Count %d", n)
	}
	lkWantErr(t, "Unlock by the cancelled handle", w.Unlock(t.Context()), latchkey.ErrNotOwner)
	must(t, r.Unlock(t.Context()))
	_, err = w.TryLock(t.Context())
	must(t, err)
	must(t, w.Unlock(t.Context()))
}

// rlockHammer: owners lock with random timeouts and cancels and reenter a
// few times; one owner at a time; free at the end.
func rlockHammer(t *testing.T, e *Env) {
	handles := make([]latchkey.RLock, lkWorkers)
	for i := range handles {
		handles[i] = lkRLock(t, e, rlkName)
	}
	var holders atomic.Int32
	lkHammer(t, e, func(ctx context.Context, i int, r *rand.Rand) {
		h := handles[i]
		actx, done := lkAttemptCtx(ctx, e, r)
		f, err := h.Lock(actx)
		done()
		if err != nil {
			if !lkIsCtxErr(err) {
				t.Errorf("Lock: %v", err)
			}
			if n, err := h.Count(ctx); err != nil || n != 0 {
				t.Errorf("after a failed Lock: Count = %d, %v", n, err)
			}
			return
		}
		if n := holders.Add(1); n != 1 {
			t.Errorf("%d owners of an RLock", n)
		}
		depth := 1 + r.IntN(3)
		for d := 1; d < depth; d++ {
			var f2 latchkey.Fence
			if d%2 == 0 {
				f2, err = h.TryLock(ctx)
			} else {
				f2, err = h.Lock(ctx)
			}
			if err != nil || f2 != f {
				t.Errorf("reentry: %d, %v; want %d", f2, err, f)
			}
		}
		if n, err := h.Count(ctx); err != nil || n != depth {
			t.Errorf("Count = %d, %v; want %d", n, err, depth)
		}
		lkHold(ctx, e, r)
		holders.Add(-1)
		for range depth {
			if err := h.Unlock(ctx); err != nil {
				t.Errorf("Unlock: %v", err)
			}
		}
	})
	e.Blocked(t, rlkName, 0)
	for _, h := range handles {
		if n := lkCount(t, h); n != 0 {
			t.Fatalf("Count %d after the hammer", n)
		}
	}
	_, err := handles[0].TryLock(t.Context())
	must(t, err)
	must(t, handles[0].Unlock(t.Context()))
}
