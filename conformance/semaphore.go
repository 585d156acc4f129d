package conformance

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey"
)

var semaphoreTests = []test{
	{"Constructor", "lock_tests.BaseSemaphoreTests.test_constructor", semConstructor},
	{"Open", "lock_tests.BaseSemaphoreTests.test_acquire_destroy", semOpen},
	{"Acquire", "lock_tests.BaseSemaphoreTests.test_acquire", semAcquire},
	{"Contended", "lock_tests.BaseSemaphoreTests.test_acquire_contended", semContended},
	{"MultiRelease", "lock_tests.BaseSemaphoreTests.test_multirelease", semMultiRelease},
	{"TryAcquire", "lock_tests.BaseSemaphoreTests.test_try_acquire", semTryAcquire},
	{"TryAcquireContended", "lock_tests.BaseSemaphoreTests.test_try_acquire_contended", semTryAcquireContended},
	{"AcquireTimeout", "lock_tests.BaseSemaphoreTests.test_acquire_timeout, _TestSemaphore.test_timeout", semAcquireTimeout},
	{"ValueOne", "lock_tests.BaseSemaphoreTests.test_default_value", semValueOne},
	{"Defer", "lock_tests.BaseSemaphoreTests.test_with", semDefer},
	{"ReleaseUnacquired", "lock_tests.SemaphoreTests.test_release_unacquired", semReleaseUnacquired},
	{"Value", "lock_tests.SemaphoreTests.test_repr (value only), _TestSemaphore.test_semaphore", semValue},
	{"BoundedReleaseUnacquired", "lock_tests.BoundedSemaphoreTests.test_release_unacquired", semBoundedReleaseUnacquired},
	{"BoundedValue", "lock_tests.BoundedSemaphoreTests.test_repr (value only), _TestSemaphore.test_bounded_semaphore", semBoundedValue},
	{"OtherHandle", "TestSyncManagerTypes.test_semaphore, TestSyncManagerTypes.test_bounded_semaphore", semOtherHandle},
	{"ReleaseInvalid", "", semReleaseInvalid},
	{"BoundedAllOrNothing", "", semBoundedAllOrNothing},
	{"OpenMismatch", "", semOpenMismatch},
	{"ReleaseWakesN", "", semReleaseWakesN},
	{"FIFO", "", semFIFO},
	{"TryAcquireNoOvertake", "", semTryAcquireNoOvertake},
	{"Fence", "", semFence},
	{"Cancel", "", semCancel},
	{"CancelRacesRelease", "", semCancelRacesRelease},
	{"Hammer", "", semHammer},
}

const semName = "sem"

// semOpeners are the two kinds of semaphore, for tests that run on both.
var semOpeners = []struct {
	kind string
	open func(t testing.TB, e *Env, name string, value int) latchkey.Semaphore
}{
	{"Semaphore", lkSem},
	{"BoundedSemaphore", lkBSem},
}

func semConstructor(t *testing.T, e *Env) {
	for _, v := range []int{-1, math.MinInt} {
		_, err := e.M.Semaphore(t.Context(), semName, v)
		lkWantErr(t, "Semaphore(-1)", err, latchkey.ErrInvalid)
		_, err = e.M.BoundedSemaphore(t.Context(), semName, v)
		lkWantErr(t, "BoundedSemaphore(-1)", err, latchkey.ErrInvalid)
	}
	lkWantValue(t, lkSem(t, e, semName, 0), 0)
}

// semOpen: an acquired semaphore outlives its handle, permit taken.
func semOpen(t *testing.T, e *Env) {
	for _, k := range semOpeners {
		name := semName + k.kind
		s := k.open(t, e, name, 1)
		_, err := s.Acquire(t.Context())
		must(t, err)
		s = k.open(t, e, name, 1)
		lkWantValue(t, s, 0)
		must(t, s.Release(t.Context(), 1))
	}
}

func semAcquire(t *testing.T, e *Env) {
	for _, k := range semOpeners {
		ctx := t.Context()
		s := k.open(t, e, semName+k.kind+"1", 1)
		_, err := s.Acquire(ctx)
		must(t, err)
		lkWantValue(t, s, 0)
		must(t, s.Release(ctx, 1))
		lkWantValue(t, s, 1)
		s = k.open(t, e, semName+k.kind+"2", 2)
		_, err = s.Acquire(ctx)
		must(t, err)
		_, err = s.Acquire(ctx)
		must(t, err)
		lkWantValue(t, s, 0)
		must(t, s.Release(ctx, 1))
		must(t, s.Release(ctx, 1))
		lkWantValue(t, s, 2)
	}
}

// semContendedRun is test_acquire_contended and test_multirelease: a
// semaphore of 7, one permit taken by the test; ten goroutines acquire
// twice each. Exactly 6 get through; then 7 releases let exactly 7 more
// through, 6 releases exactly 6 more, and a last release the last one.
func semContendedRun(t *testing.T, e *Env, multi bool) {
	const value, n = 7, 10
	ctx := t.Context()
	s := lkSem(t, e, semName, value)
	_, err := s.Acquire(ctx)
	must(t, err)
	var phase atomic.Int32
	g := lkStart(t)
	defer g.Stop()
	res := make(chan int32, 2*n)
	for range n {
		h := lkSem(t, e, semName, value)
		g.Go(func() {
			for range 2 {
				if _, err := h.Acquire(g.ctx); err != nil {
					t.Error(err)
					return
				}
				res <- phase.Load()
			}
		})
	}
	release := func(k int) {
		t.Helper()
		if multi {
			must(t, s.Release(ctx, k))
			return
		}
		for range k {
			must(t, s.Release(ctx, 1))
		}
	}
	for p, k := range []int{value - 1, value, value - 1} {
		if p > 0 {
			phase.Store(int32(p))
			release(k)
		}
		for _, got := range lkRecvN(t, e, res, k) {
			if got != int32(p) {
				t.Fatalf("an acquire of phase %d returned in phase %d", got, p)
			}
		}
		lkNone(t, e, res, "acquire beyond the permits released")
	}
	_, err = s.TryAcquire(ctx)
	lkWantErr(t, "TryAcquire", err, latchkey.ErrNoPermit)
	release(1)
	lkRecv(t, e, res)
	g.Join(t, e)
	lkWantValue(t, s, 0)
	e.Blocked(t, semName, 0)
}

func semContended(t *testing.T, e *Env)    { semContendedRun(t, e, false) }
func semMultiRelease(t *testing.T, e *Env) { semContendedRun(t, e, true) }

func semTryAcquire(t *testing.T, e *Env) {
	for _, k := range semOpeners {
		ctx := t.Context()
		s := k.open(t, e, semName+k.kind, 2)
		_, err := s.TryAcquire(ctx)
		must(t, err)
		_, err = s.TryAcquire(ctx)
		must(t, err)
		_, err = s.TryAcquire(ctx)
		lkWantErr(t, "third TryAcquire", err, latchkey.ErrNoPermit)
		must(t, s.Release(ctx, 1))
		_, err = s.TryAcquire(ctx)
		must(t, err)
		lkWantValue(t, s, 0)
	}
}

// semTryAcquireContended: 3 free permits, five goroutines try twice each:
// exactly 3 tries succeed.
func semTryAcquireContended(t *testing.T, e *Env) {
	const n = 5
	s := lkSem(t, e, semName, 4)
	_, err := s.Acquire(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 2*n)
	for range n {
		h := lkSem(t, e, semName, 4)
		g.Go(func() {
			for range 2 {
				_, err := h.TryAcquire(g.ctx)
				res <- err
			}
		})
	}
	ok, fail := 0, 0
	for _, err := range lkRecvN(t, e, res, 2*n) {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, latchkey.ErrNoPermit):
			fail++
		default:
			t.Fatalf("TryAcquire: %v", err)
		}
	}
	g.Join(t, e)
	if ok != 3 || fail != 7 {
		t.Fatalf("%d tries succeeded and %d failed, want 3 and 7", ok, fail)
	}
	lkWantValue(t, s, 0)
}

func semAcquireTimeout(t *testing.T, e *Env) {
	for _, k := range semOpeners {
		s := k.open(t, e, semName+k.kind, 2)
		acquire := func() error {
			ctx, cancel := lkShort(t.Context(), e)
			defer cancel()
			_, err := s.Acquire(ctx)
			return err
		}
		must(t, acquire())
		must(t, acquire())
		lkWantErr(t, "Acquire of an exhausted semaphore", acquire(), context.DeadlineExceeded)
		lkWantValue(t, s, 0)
		must(t, s.Release(t.Context(), 1))
		must(t, acquire())
		lkWantErr(t, "Acquire of an exhausted semaphore", acquire(), context.DeadlineExceeded)
		_, err := s.TryAcquire(t.Context())
		lkWantErr(t, "TryAcquire of an exhausted semaphore", err, latchkey.ErrNoPermit)
		lkWantValue(t, s, 0)
		e.Blocked(t, semName+k.kind, 0)
	}
}

// semValueOne: a semaphore of 1 (Python's default) blocks the second
// acquirer until the first releases.
func semValueOne(t *testing.T, e *Env) {
	s := lkSem(t, e, semName, 1)
	h := lkSem(t, e, semName, 1)
	_, err := s.Acquire(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	g.Go(func() {
		_, err := h.Acquire(g.ctx)
		res <- err
	})
	e.Blocked(t, semName, 1)
	lkNone(t, e, res, "second Acquire")
	must(t, s.Release(t.Context(), 1))
	must(t, lkRecv(t, e, res))
	g.Join(t, e)
	lkWantValue(t, s, 0)
	must(t, h.Release(t.Context(), 1))
}

// semDefer is Python's with statement on a semaphore of 2.
func semDefer(t *testing.T, e *Env) {
	ctx := t.Context()
	s := lkSem(t, e, semName, 2)
	with := func(body func() error) error {
		if _, err := s.Acquire(ctx); err != nil {
			return err
		}
		defer func() { must(t, s.Release(ctx, 1)) }()
		return body()
	}
	run := func(fail bool) error {
		return with(func() error {
			_, err := s.TryAcquire(ctx)
			must(t, err)
			must(t, s.Release(ctx, 1))
			return with(func() error {
				_, err := s.TryAcquire(ctx)
				lkWantErr(t, "TryAcquire inside two withs", err, latchkey.ErrNoPermit)
				if fail {
					return errLkBody
				}
				return nil
			})
		})
	}
	must(t, run(false))
	lkWantValue(t, s, 2)
	lkWantErr(t, "with failing body", run(true), errLkBody)
	lkWantValue(t, s, 2)
}

// semReleaseUnacquired: an unbounded semaphore grows when released more
// than acquired.
func semReleaseUnacquired(t *testing.T, e *Env) {
	ctx := t.Context()
	s := lkSem(t, e, semName, 1)
	_, err := s.Acquire(ctx)
	must(t, err)
	must(t, s.Release(ctx, 1))
	must(t, s.Release(ctx, 1))
	lkWantValue(t, s, 2)
	_, err = s.Acquire(ctx)
	must(t, err)
	_, err = s.Acquire(ctx)
	must(t, err)
	lkWantValue(t, s, 0)
}

func semValue(t *testing.T, e *Env) {
	ctx := t.Context()
	s := lkSem(t, e, semName, 3)
	lkWantValue(t, s, 3)
	_, err := s.Acquire(ctx)
	must(t, err)
	lkWantValue(t, s, 2)
	must(t, s.Release(ctx, 1))
	must(t, s.Release(ctx, 1))
	lkWantValue(t, s, 4)

	s = lkSem(t, e, semName+"2", 2)
	for want := 1; want >= 0; want-- {
		_, err := s.Acquire(ctx)
		must(t, err)
		lkWantValue(t, s, want)
	}
	_, err = s.TryAcquire(ctx)
	lkWantErr(t, "TryAcquire", err, latchkey.ErrNoPermit)
	for want := 1; want <= 4; want++ {
		must(t, s.Release(ctx, 1))
		lkWantValue(t, s, want)
	}
}

func semBoundedReleaseUnacquired(t *testing.T, e *Env) {
	ctx := t.Context()
	s := lkBSem(t, e, semName, 1)
	lkWantErr(t, "Release of a full bounded semaphore", s.Release(ctx, 1), latchkey.ErrOverRelease)
	lkWantValue(t, s, 1)
	_, err := s.Acquire(ctx)
	must(t, err)
	must(t, s.Release(ctx, 1))
	lkWantErr(t, "extra Release", s.Release(ctx, 1), latchkey.ErrOverRelease)
	lkWantValue(t, s, 1)
}

func semBoundedValue(t *testing.T, e *Env) {
	ctx := t.Context()
	s := lkBSem(t, e, semName, 3)
	lkWantValue(t, s, 3)
	_, err := s.Acquire(ctx)
	must(t, err)
	lkWantValue(t, s, 2)
	must(t, s.Release(ctx, 1))

	s = lkBSem(t, e, semName+"2", 2)
	for want := 1; want >= 0; want-- {
		_, err := s.Acquire(ctx)
		must(t, err)
		lkWantValue(t, s, want)
	}
	_, err = s.TryAcquire(ctx)
	lkWantErr(t, "TryAcquire", err, latchkey.ErrNoPermit)
	for want := 1; want <= 2; want++ {
		must(t, s.Release(ctx, 1))
		lkWantValue(t, s, want)
	}
	lkWantErr(t, "over-release", s.Release(ctx, 1), latchkey.ErrOverRelease)
	lkWantValue(t, s, 2)
}

// semOtherHandle: a goroutine acquires through its handle; the test
// releases through another (permits have no owner).
func semOtherHandle(t *testing.T, e *Env) {
	g := lkStart(t)
	defer g.Stop()
	for _, k := range semOpeners {
		name := semName + k.kind
		h := k.open(t, e, name, 1)
		g.Go(func() {
			if _, err := h.Acquire(g.ctx); err != nil {
				t.Error(err)
			}
		})
		g.Join(t, e)
		s := k.open(t, e, name, 1)
		lkWantValue(t, s, 0)
		must(t, s.Release(t.Context(), 1))
		lkWantValue(t, s, 1)
	}
}

func semReleaseInvalid(t *testing.T, e *Env) {
	for _, k := range semOpeners {
		s := k.open(t, e, semName+k.kind, 1)
		_, err := s.Acquire(t.Context())
		must(t, err)
		for _, n := range []int{0, -1, math.MinInt} {
			lkWantErr(t, "Release(n < 1)", s.Release(t.Context(), n), latchkey.ErrInvalid)
		}
		lkWantValue(t, s, 0)
		must(t, s.Release(t.Context(), 1))
	}
}

// semBoundedAllOrNothing: a Release(n) that would pass the bound changes
// nothing, even in part.
func semBoundedAllOrNothing(t *testing.T, e *Env) {
	ctx := t.Context()
	s := lkBSem(t, e, semName, 3)
	for range 2 {
		_, err := s.Acquire(ctx)
		must(t, err)
	}
	lkWantErr(t, "Release(3) with 2 taken", s.Release(ctx, 3), latchkey.ErrOverRelease)
	lkWantValue(t, s, 1)
	lkWantErr(t, "Release(MaxInt)", s.Release(ctx, math.MaxInt), latchkey.ErrOverRelease)
	lkWantValue(t, s, 1)
	must(t, s.Release(ctx, 2))
	lkWantValue(t, s, 3)
}

// semOpenMismatch: a semaphore's name opened with another value, as the
// other kind of semaphore or as another type is ErrMismatch.
func semOpenMismatch(t *testing.T, e *Env) {
	ctx := t.Context()
	lkSem(t, e, "s", 2)
	lkBSem(t, e, "b", 2)
	_, err := e.M.Semaphore(ctx, "s", 3)
	lkWantErr(t, "Semaphore with another value", err, latchkey.ErrMismatch)
	_, err = e.M.BoundedSemaphore(ctx, "s", 2)
	lkWantErr(t, "BoundedSemaphore on a Semaphore's name", err, latchkey.ErrMismatch)
	_, err = e.M.BoundedSemaphore(ctx, "b", 1)
	lkWantErr(t, "BoundedSemaphore with another value", err, latchkey.ErrMismatch)
	_, err = e.M.Semaphore(ctx, "b", 2)
	lkWantErr(t, "Semaphore on a BoundedSemaphore's name", err, latchkey.ErrMismatch)
	_, err = e.M.Lock(ctx, "s")
	lkWantErr(t, "Lock on a Semaphore's name", err, latchkey.ErrMismatch)
	lkWantValue(t, lkSem(t, e, "s", 2), 2)
	lkWantValue(t, lkBSem(t, e, "b", 2), 2)
}

// semReleaseWakesN: Release(n) lets exactly n waiters through.
func semReleaseWakesN(t *testing.T, e *Env) {
	const n = 4
	s := lkSem(t, e, semName, 0)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, n)
	for range n {
		h := lkSem(t, e, semName, 0)
		g.Go(func() {
			_, err := h.Acquire(g.ctx)
			res <- err
		})
	}
	e.Blocked(t, semName, n)
	must(t, s.Release(t.Context(), 3))
	for _, err := range lkRecvN(t, e, res, 3) {
		must(t, err)
	}
	e.Blocked(t, semName, 1)
	lkNone(t, e, res, "fourth waiter")
	lkWantValue(t, s, 0)
	must(t, s.Release(t.Context(), 2))
	must(t, lkRecv(t, e, res))
	g.Join(t, e)
	lkWantValue(t, s, 1)
}

// semFIFO: waiters queued one at a time get the permit in that order.
func semFIFO(t *testing.T, e *Env) {
	const n = 5
	g := lkStart(t)
	defer g.Stop()
	for _, k := range semOpeners {
		name := semName + k.kind
		s := k.open(t, e, name, 1)
		_, err := s.Acquire(t.Context())
		must(t, err)
		order := make(chan int, n)
		for i := range n {
			h := k.open(t, e, name, 1)
			g.Go(func() {
				if _, err := h.Acquire(g.ctx); err != nil {
					t.Error(err)
					return
				}
				order <- i
				if err := h.Release(g.ctx, 1); err != nil {
					t.Error(err)
				}
			})
			e.Blocked(t, name, i+1)
		}
		must(t, s.Release(t.Context(), 1))
		for i, got := range lkRecvN(t, e, order, n) {
			if got != i {
				t.Fatalf("%s: grant %d went to waiter %d", k.kind, i, got)
			}
		}
		g.Join(t, e)
		lkWantValue(t, s, 1)
	}
}

// semTryAcquireNoOvertake: a Release with a waiter queued serves the
// waiter; a TryAcquire right after it fails.
func semTryAcquireNoOvertake(t *testing.T, e *Env) {
	s := lkSem(t, e, semName, 0)
	w := lkSem(t, e, semName, 0)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	g.Go(func() {
		_, err := w.Acquire(g.ctx)
		res <- err
	})
	e.Blocked(t, semName, 1)
	must(t, s.Release(t.Context(), 1))
	_, err := s.TryAcquire(t.Context())
	lkWantErr(t, "TryAcquire with a waiter served", err, latchkey.ErrNoPermit)
	must(t, lkRecv(t, e, res))
	g.Join(t, e)
	lkWantValue(t, s, 0)
}

// semFence: every permit granted gets a greater token.
func semFence(t *testing.T, e *Env) {
	ctx := t.Context()
	a := lkSem(t, e, semName, 2)
	b := lkSem(t, e, semName, 2)
	var fs []latchkey.Fence
	add := func(f latchkey.Fence, err error) {
		t.Helper()
		must(t, err)
		fs = append(fs, f)
	}
	add(a.Acquire(ctx))
	add(b.Acquire(ctx))
	must(t, a.Release(ctx, 1))
	add(b.TryAcquire(ctx))
	g := lkStart(t)
	defer g.Stop()
	res := make(chan latchkey.Fence, 1)
	g.Go(func() {
		f, err := a.Acquire(g.ctx)
		if err != nil {
			t.Error(err)
		}
		res <- f
	})
	e.Blocked(t, semName, 1)
	must(t, b.Release(ctx, 1))
	fs = append(fs, lkRecv(t, e, res))
	g.Join(t, e)
	lkFences(t, fs...)
}

// semCancel: a cancelled or timed-out Acquire takes no permit and leaves
// no waiter; a later Release is not swallowed by a ghost.
func semCancel(t *testing.T, e *Env) {
	g := lkStart(t)
	defer g.Stop()
	for _, k := range semOpeners {
		ctx := t.Context()
		name := semName + k.kind
		s := k.open(t, e, name, 1)
		_, err := s.Acquire(lkDone(ctx))
		lkWantErr(t, "Acquire with a done ctx", err, context.Canceled)
		lkWantValue(t, s, 1)
		_, err = s.Acquire(ctx)
		must(t, err)
		cctx, cancel := context.WithCancel(g.ctx)
		res := make(chan error, 1)
		g.Go(func() {
			_, err := s.Acquire(cctx)
			res <- err
		})
		e.Blocked(t, name, 1)
		cancel()
		lkWantErr(t, "cancelled Acquire", lkRecv(t, e, res), context.Canceled)
		e.Blocked(t, name, 0)
		g.Go(func() {
			tctx, cancel := lkShort(g.ctx, e)
			defer cancel()
			_, err := s.Acquire(tctx)
			res <- err
		})
		lkWantErr(t, "timed-out Acquire", lkRecv(t, e, res), context.DeadlineExceeded)
		e.Blocked(t, name, 0)
		g.Join(t, e)
		lkWantValue(t, s, 0)
		must(t, s.Release(ctx, 1))
		lkWantValue(t, s, 1)
	}
}

// semCancelRacesRelease: a waiter's ctx is cancelled as a permit is
// released to it. Either it returns nil holding the permit, or it returns
// the ctx error and the permit is free: the permit is never lost.
func semCancelRacesRelease(t *testing.T, e *Env) {
	s := lkBSem(t, e, semName, 1)
	w := lkBSem(t, e, semName, 1)
	_, err := s.Acquire(t.Context())
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	won := 0
	for i := range 12 {
		ctx, cancel := context.WithCancel(g.ctx)
		res := make(chan error, 1)
		g.Go(func() {
			_, err := w.Acquire(ctx)
			res <- err
		})
		e.Blocked(t, semName, 1)
		switch i % 3 {
		case 0:
			cancel()
			must(t, s.Release(t.Context(), 1))
		case 1:
			must(t, s.Release(t.Context(), 1))
			cancel()
		case 2:
			g.Go(cancel)
			must(t, s.Release(t.Context(), 1))
		}
		err := lkRecv(t, e, res)
		cancel()
		v := lkValue(t, s)
		switch {
		case err == nil && v != 0:
			t.Fatalf("round %d: Acquire returned nil and Value = %d, want 0", i, v)
		case err == nil:
			won++
		case !lkIsCtxErr(err):
			t.Fatalf("round %d: Acquire: %v", i, err)
		case v != 1:
			t.Fatalf("round %d: cancelled Acquire and Value = %d, want 1", i, v)
		default:
			// The permit is free: take it back for the next round.
			_, err := s.TryAcquire(t.Context())
			must(t, err)
		}
		e.Blocked(t, semName, 0)
	}
	g.Join(t, e)
	t.Logf("the waiter got the permit in %d of 12 rounds", won)
	must(t, s.Release(t.Context(), 1))
	lkWantValue(t, s, 1)
}

// semHammer: goroutines acquire a bounded semaphore of 3 with random
// timeouts and cancels; never more than 3 holders, no over-release, and
// all 3 permits free at the end.
func semHammer(t *testing.T, e *Env) {
	const value = 3
	handles := make([]latchkey.Semaphore, lkWorkers)
	for i := range handles {
		handles[i] = lkBSem(t, e, semName, value)
	}
	var holders atomic.Int32
	lkHammer(t, e, func(ctx context.Context, i int, r *rand.Rand) {
		h := handles[i]
		actx, done := lkAttemptCtx(ctx, e, r)
		var err error
		if r.IntN(4) == 0 {
			_, err = h.TryAcquire(actx)
		} else {
			_, err = h.Acquire(actx)
		}
		done()
		if err != nil {
			if !lkIsCtxErr(err) && !errors.Is(err, latchkey.ErrNoPermit) {
				t.Errorf("Acquire: %v", err)
			}
			return
		}
		if n := holders.Add(1); n > value {
			t.Errorf("%d holders of a semaphore of %d", n, value)
		}
		lkHold(ctx, e, r)
		holders.Add(-1)
		// Release through any handle: permits have no owner.
		if err := handles[r.IntN(len(handles))].Release(ctx, 1); err != nil {
			t.Errorf("Release: %v", err)
		}
	})
	e.Blocked(t, semName, 0)
	lkWantValue(t, handles[0], value)
}
