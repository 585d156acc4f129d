package conformance

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey"
)

var conditionTests = []test{
	{"Acquire", "lock_tests.ConditionTests.test_acquire", condAcquire},
	{"UnacquiredWait", "lock_tests.ConditionTests.test_unacquired_wait", condUnacquiredWait},
	{"UnacquiredNotify", "lock_tests.ConditionTests.test_unacquired_notify", condUnacquiredNotify},
	{"NotifyPhases", "lock_tests.ConditionTests.test_notify", condNotifyPhases},
	{"Timeout", "lock_tests.ConditionTests.test_timeout, _TestCondition.test_timeout", condTimeout},
	{"WaitFor", "lock_tests.ConditionTests.test_waitfor, _TestCondition.test_waitfor", condWaitFor},
	{"WaitForTimeout", "lock_tests.ConditionTests.test_waitfor_timeout, _TestCondition.test_waitfor_timeout", condWaitForTimeout},
	{"NotifyOne", "_TestCondition.test_notify", condNotifyOne},
	{"NotifyAll", "_TestCondition.test_notify_all", condNotifyAll},
	{"NotifyN", "_TestCondition.test_notify_n", condNotifyN},
	{"WaitResult", "_TestCondition.test_wait_result", condWaitResult},
	{"OtherHandle", "TestSyncManagerTypes.test_condition", condOtherHandle},
	{"AsRLock", "lock_tests.ConditionAsRLockTests (RLockTests.test_reacquire, test_release_unacquired, test_different_thread, test__is_owned)", condAsRLock},
	{"WaitReleasesAllLevels", "", condWaitReleasesAllLevels},
	{"NotifyNonPositive", "", condNotifyNonPositive},
	{"FIFO", "", condFIFO},
	{"CancelReacquires", "", condCancelReacquires},
	{"CancelReacquiresRLock", "", condCancelReacquiresRLock},
	{"NotifyRacesCancel", "", condNotifyRacesCancel},
	{"OpenMismatch", "", condOpenMismatch},
}

const (
	condName      = "cond"
	condRName     = "rcond"
	condLockName  = "cond-lock"
	condRLockName = "cond-rlock"
)

// condL opens a handle of the condition bound to the Lock condLockName,
// with a lock handle of its own.
func condL(t testing.TB, e *Env) latchkey.Condition {
	t.Helper()
	return lkCond(t, e, condName, lkLock(t, e, condLockName))
}

// condR opens a handle of the condition condRName, bound to the RLock
// condRLockName with an owner handle of its own, which it returns too.
func condR(t testing.TB, e *Env) (latchkey.Condition, latchkey.RLock) {
	t.Helper()
	r := lkRLock(t, e, condRLockName)
	return lkCond(t, e, condRName, r), r
}

// condWaiter starts a goroutine that locks c, waits with ctx, unlocks and
// reports Wait's error, or the Unlock's if Wait returned without the lock.
func condWaiter(g *lkGroup, c latchkey.Condition, ctx context.Context) <-chan error {
	res := make(chan error, 1)
	g.Go(func() {
		if _, err := c.Lock(g.ctx); err != nil {
			res <- fmt.Errorf("Lock: %w", err)
			return
		}
		err := c.Wait(ctx)
		if uerr := c.Unlock(g.ctx); uerr != nil {
			err = fmt.Errorf("Unlock after Wait returned %v: %w", err, uerr)
		}
		res <- err
	})
	return res
}

// condNotify locks c, calls notify, and unlocks.
func condNotify(t testing.TB, c latchkey.Condition, notify func(ctx context.Context) error) {
	t.Helper()
	_, err := c.Lock(t.Context())
	must(t, err)
	must(t, notify(t.Context()))
	must(t, c.Unlock(t.Context()))
}

func notifyN(c latchkey.Condition, n int) func(context.Context) error {
	return func(ctx context.Context) error { return c.Notify(ctx, n) }
}

// condAcquire: a condition's Lock is its lock's: reentrant when bound to an
// RLock; when bound to a Lock, holding either holds both; with nil, the
// handles share the condition's own Lock.
func condAcquire(t *testing.T, e *Env) {
	ctx := t.Context()
	rc := lkCond(t, e, "rc", lkRLock(t, e, "rl"))
	for range 2 {
		_, err := rc.Lock(ctx)
		must(t, err)
	}
	must(t, rc.Unlock(ctx))
	must(t, rc.Unlock(ctx))
	lkWantErr(t, "third Unlock", rc.Unlock(ctx), latchkey.ErrNotOwner)

	l := lkLock(t, e, "l")
	c := lkCond(t, e, "c", l)
	_, err := c.Lock(ctx)
	must(t, err)
	_, err = l.TryLock(ctx)
	lkWantErr(t, "lock's TryLock while the condition is held", err, latchkey.ErrLocked)
	must(t, c.Unlock(ctx))
	_, err = l.Lock(ctx)
	must(t, err)
	_, err = c.TryLock(ctx)
	lkWantErr(t, "condition's TryLock while the lock is held", err, latchkey.ErrLocked)
	must(t, l.Unlock(ctx))
	_, err = c.TryLock(ctx)
	must(t, err)
	must(t, c.Unlock(ctx))

	n1 := lkCond(t, e, "n", nil)
	n2 := lkCond(t, e, "n", nil)
	_, err = n1.Lock(ctx)
	must(t, err)
	_, err = n2.TryLock(ctx)
	lkWantErr(t, "TryLock through another handle of a nil-bound condition", err, latchkey.ErrLocked)
	must(t, n1.Unlock(ctx))
	_, err = n2.TryLock(ctx)
	must(t, err)
	must(t, n2.Unlock(ctx))
}

func condUnacquiredWait(t *testing.T, e *Env) {
	ctx := t.Context()
	c := condL(t, e)
	lkWantErr(t, "Wait without the Lock", c.Wait(ctx), latchkey.ErrNotHeld)
	rc, _ := condR(t, e)
	rc2, _ := condR(t, e)
	lkWantErr(t, "Wait without the RLock", rc.Wait(ctx), latchkey.ErrNotHeld)
	_, err := rc2.Lock(ctx)
	must(t, err)
	lkWantErr(t, "Wait with the RLock owned by another handle", rc.Wait(ctx), latchkey.ErrNotHeld)
	must(t, rc2.Unlock(ctx))
	e.Blocked(t, condRName, 0)
}

func condUnacquiredNotify(t *testing.T, e *Env) {
	ctx := t.Context()
	c := condL(t, e)
	lkWantErr(t, "Notify without the Lock", c.Notify(ctx, 1), latchkey.ErrNotHeld)
	lkWantErr(t, "NotifyAll without the Lock", c.NotifyAll(ctx), latchkey.ErrNotHeld)
	rc, _ := condR(t, e)
	rc2, _ := condR(t, e)
	lkWantErr(t, "Notify without the RLock", rc.Notify(ctx, 1), latchkey.ErrNotHeld)
	_, err := rc2.Lock(ctx)
	must(t, err)
	lkWantErr(t, "Notify with the RLock owned by another handle", rc.Notify(ctx, 1), latchkey.ErrNotHeld)
	lkWantErr(t, "NotifyAll with the RLock owned by another handle", rc.NotifyAll(ctx), latchkey.ErrNotHeld)
	must(t, rc2.Unlock(ctx))
}

// condNotifyPhases, twice on the same condition: five goroutines wait
// twice each. Notify(3) lets exactly three first waits return; Notify(5)
// the two other first waits and the three second waits; NotifyAll the
// last two. Notified waiters wait for the lock until the notifier unlocks,
// and no waiter wakes spuriously.
func condNotifyPhases(t *testing.T, e *Env) {
	const n = 5
	ctx := t.Context()
	c := condL(t, e)
	var phase atomic.Int32
	g := lkStart(t)
	defer g.Stop()
	for range 2 {
		phase.Store(0)
		res1 := make(chan int32, n)
		res2 := make(chan int32, n)
		for range n {
			wc := condL(t, e)
			g.Go(func() {
				for _, res := range []chan int32{res1, res2} {
					if _, err := wc.Lock(g.ctx); err != nil {
						t.Error(err)
						return
					}
					err := wc.Wait(g.ctx)
					p := phase.Load()
					if err := wc.Unlock(g.ctx); err != nil {
						t.Errorf("Unlock after Wait: %v", err)
					}
					if err != nil {
						t.Errorf("Wait: %v", err)
						return
					}
					res <- p
				}
			})
		}
		want := func(res chan int32, k int, p int32) {
			t.Helper()
			for _, got := range lkRecvN(t, e, res, k) {
				if got != p {
					t.Fatalf("a Wait of phase %d returned in phase %d", p, got)
				}
			}
		}
		step := func(p int32, notify func(context.Context) error, left, woken int) {
			t.Helper()
			_, err := c.Lock(ctx)
			must(t, err)
			must(t, notify(ctx))
			e.Blocked(t, condName, left)
			e.Blocked(t, condLockName, woken)
			phase.Store(p)
			must(t, c.Unlock(ctx))
		}
		e.Blocked(t, condName, n)
		lkNone(t, e, res1, "Wait before any Notify")
		step(1, notifyN(c, 3), 2, 3)
		want(res1, 3, 1)
		e.Blocked(t, condName, n)
		lkNone(t, e, res1, "first Wait after Notify(3)")
		lkNone(t, e, res2, "second Wait after Notify(3)")
		step(2, notifyN(c, 5), 0, 5)
		want(res1, 2, 2)
		want(res2, 3, 2)
		e.Blocked(t, condName, 2)
		lkNone(t, e, res2, "second Wait after Notify(5)")
		step(3, c.NotifyAll, 0, 2)
		want(res2, 2, 3)
		g.Join(t, e)
	}
}

// condTimeout: five goroutines Wait with a timeout and no Notify: each
// returns DeadlineExceeded, holding the lock again.
func condTimeout(t *testing.T, e *Env) {
	const n = 5
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, n)
	for range n {
		c, r := condR(t, e)
		g.Go(func() {
			if _, err := c.Lock(g.ctx); err != nil {
				res <- err
				return
			}
			ctx, cancel := lkShort(g.ctx, e)
			defer cancel()
			err := c.Wait(ctx)
			if n, cerr := r.Count(g.ctx); cerr != nil || n != 1 {
				t.Errorf("after Wait: Count = %d, %v; want 1", n, cerr)
			}
			if uerr := c.Unlock(g.ctx); uerr != nil {
				t.Errorf("Unlock after Wait: %v", uerr)
			}
			res <- err
		})
	}
	for _, err := range lkRecvN(t, e, res, n) {
		lkWantErr(t, "Wait with a timeout", err, context.DeadlineExceeded)
	}
	g.Join(t, e)
	e.Blocked(t, condRName, 0)
	e.Blocked(t, condRLockName, 0)
}

// condWaitFor: a goroutine sets the state to 0 and waits for 4; the test
// waits for 0, then counts to 4, notifying each time. A predicate that
// already holds does not wait.
func condWaitFor(t *testing.T, e *Env) {
	ctx := t.Context()
	c := condL(t, e)
	wc := condL(t, e)
	var state atomic.Int32
	state.Store(-1)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	got := make(chan int32, 1)
	g.Go(func() {
		if _, err := wc.Lock(g.ctx); err != nil {
			res <- err
			return
		}
		state.Store(0)
		if err := wc.NotifyAll(g.ctx); err != nil {
			t.Error(err)
		}
		err := wc.WaitFor(g.ctx, func() bool { return state.Load() == 4 })
		got <- state.Load()
		if uerr := wc.Unlock(g.ctx); uerr != nil {
			t.Errorf("Unlock after WaitFor: %v", uerr)
		}
		res <- err
	})
	_, err := c.Lock(ctx)
	must(t, err)
	must(t, c.WaitFor(ctx, func() bool { return state.Load() == 0 }))
	must(t, c.Unlock(ctx))
	for range 4 {
		e.Blocked(t, condName, 1)
		lkNone(t, e, res, "WaitFor before the state is 4")
		_, err := c.Lock(ctx)
		must(t, err)
		state.Add(1)
		must(t, c.Notify(ctx, 1))
		must(t, c.Unlock(ctx))
	}
	must(t, lkRecv(t, e, res))
	if s := lkRecv(t, e, got); s != 4 {
		t.Fatalf("WaitFor returned with state %d", s)
	}
	g.Join(t, e)

	_, err = c.Lock(ctx)
	must(t, err)
	sctx, cancel := lkShort(ctx, e)
	defer cancel()
	must(t, c.WaitFor(sctx, func() bool { return true }))
	must(t, c.Unlock(ctx))
}

// condWaitForTimeout: the predicate never holds (the state only reaches
// 3): WaitFor returns DeadlineExceeded, holding the lock.
func condWaitForTimeout(t *testing.T, e *Env) {
	c := condL(t, e)
	wc := condL(t, e)
	var state, calls atomic.Int32
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	g.Go(func() {
		if _, err := wc.Lock(g.ctx); err != nil {
			res <- err
			return
		}
		ctx, cancel := lkShort(g.ctx, e)
		defer cancel()
		err := wc.WaitFor(ctx, func() bool { calls.Add(1); return state.Load() == 4 })
		if uerr := wc.Unlock(g.ctx); uerr != nil {
			t.Errorf("Unlock after WaitFor: %v", uerr)
		}
		res <- err
	})
	for range 3 {
		condNotify(t, c, func(ctx context.Context) error {
			state.Add(1)
			return c.NotifyAll(ctx)
		})
	}
	lkWantErr(t, "WaitFor with a timeout", lkRecv(t, e, res), context.DeadlineExceeded)
	g.Join(t, e)
	if calls.Load() == 0 {
		t.Fatal("WaitFor never called the predicate")
	}
	e.Blocked(t, condName, 0)
}

// condNotifyOne: two waiters; each Notify(1) wakes exactly one more.
func condNotifyOne(t *testing.T, e *Env) {
	c := condL(t, e)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 2)
	for range 2 {
		ch := condWaiter(g, condL(t, e), g.ctx)
		g.Go(func() { res <- <-ch })
	}
	e.Blocked(t, condName, 2)
	lkNone(t, e, res, "Wait before Notify")
	for left := 1; left >= 0; left-- {
		condNotify(t, c, notifyN(c, 1))
		must(t, lkRecv(t, e, res))
		e.Blocked(t, condName, left)
		lkNone(t, e, res, "Wait after Notify(1)")
	}
	g.Join(t, e)
}

// condNotifyAll: six timed waits all time out; then six untimed waiters
// wake only on NotifyAll, all of them.
func condNotifyAll(t *testing.T, e *Env) {
	const n = 6
	c := condL(t, e)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, n)
	for range n {
		wc := condL(t, e)
		g.Go(func() {
			ctx, cancel := lkShort(g.ctx, e)
			defer cancel()
			res <- <-condWaiter(g, wc, ctx)
		})
	}
	for _, err := range lkRecvN(t, e, res, n) {
		lkWantErr(t, "Wait with a timeout", err, context.DeadlineExceeded)
	}
	e.Blocked(t, condName, 0)
	for range n {
		ch := condWaiter(g, condL(t, e), g.ctx)
		g.Go(func() { res <- <-ch })
	}
	e.Blocked(t, condName, n)
	lkNone(t, e, res, "Wait before NotifyAll")
	condNotify(t, c, c.NotifyAll)
	for _, err := range lkRecvN(t, e, res, n) {
		must(t, err)
	}
	g.Join(t, e)
	e.Blocked(t, condName, 0)
}

// condNotifyN: Notify(2) wakes two of six, Notify(4) the other four;
// Notify(3) with nobody waiting is lost: a later waiter is not woken.
func condNotifyN(t *testing.T, e *Env) {
	const n = 6
	c := condL(t, e)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, n+1)
	start := func() {
		ch := condWaiter(g, condL(t, e), g.ctx)
		g.Go(func() { res <- <-ch })
	}
	for range n {
		start()
	}
	e.Blocked(t, condName, n)
	condNotify(t, c, notifyN(c, 2))
	for _, err := range lkRecvN(t, e, res, 2) {
		must(t, err)
	}
	e.Blocked(t, condName, 4)
	lkNone(t, e, res, "Wait after Notify(2)")
	condNotify(t, c, notifyN(c, 4))
	for _, err := range lkRecvN(t, e, res, 4) {
		must(t, err)
	}
	e.Blocked(t, condName, 0)
	condNotify(t, c, notifyN(c, 3))
	start()
	e.Blocked(t, condName, 1)
	lkNone(t, e, res, "Wait after a lost Notify(3)")
	condNotify(t, c, c.NotifyAll)
	must(t, lkRecv(t, e, res))
	g.Join(t, e)
}

// condWaitResult: with the lock held, Wait with a done ctx or a timeout
// fails (holding the lock again); notified by a goroutine, it returns nil.
func condWaitResult(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lkLock(t, e, condLockName)
	c := condL(t, e)
	_, err := c.Lock(ctx)
	must(t, err)
	held := func() {
		t.Helper()
		_, err := l.TryLock(ctx)
		lkWantErr(t, "TryLock after Wait", err, latchkey.ErrLocked)
	}
	lkWantCtxErr(t, "Wait with a done ctx", c.Wait(lkDone(ctx)))
	held()
	sctx, cancel := lkShort(ctx, e)
	defer cancel()
	lkWantErr(t, "Wait with a timeout", c.Wait(sctx), context.DeadlineExceeded)
	held()
	nc := condL(t, e)
	g := lkStart(t)
	defer g.Stop()
	g.Go(func() {
		if _, err := nc.Lock(g.ctx); err != nil {
			t.Error(err)
			return
		}
		if err := nc.Notify(g.ctx, 1); err != nil {
			t.Error(err)
		}
		if err := nc.Unlock(g.ctx); err != nil {
			t.Error(err)
		}
	})
	lctx, cancel := context.WithTimeout(ctx, e.Long())
	defer cancel()
	must(t, c.Wait(lctx))
	held()
	must(t, c.Unlock(ctx))
	g.Join(t, e)
}

// condOtherHandle: a goroutine locks and unlocks through its own handle.
func condOtherHandle(t *testing.T, e *Env) {
	wc := condL(t, e)
	g := lkStart(t)
	defer g.Stop()
	g.Go(func() {
		if _, err := wc.Lock(g.ctx); err != nil {
			t.Error(err)
			return
		}
		if err := wc.Unlock(g.ctx); err != nil {
			t.Error(err)
		}
	})
	g.Join(t, e)
	c := condL(t, e)
	_, err := c.TryLock(t.Context())
	must(t, err)
	must(t, c.Unlock(t.Context()))
}

// condAsRLock: a condition bound to an RLock passes the RLock tests
// through its own Lock and Unlock.
func condAsRLock(t *testing.T, e *Env) {
	ctx := t.Context()
	c, r := condR(t, e)
	c2, r2 := condR(t, e)
	lkWantErr(t, "Unlock of a new RLock", c.Unlock(ctx), latchkey.ErrNotOwner)
	for i, step := range []string{"L", "L", "U", "L", "U", "U"} {
		var err error
		if step == "L" {
			_, err = c.Lock(ctx)
		} else {
			err = c.Unlock(ctx)
		}
		must(t, err)
		if want := []int{1, 2, 1, 2, 1, 0}[i]; lkCount(t, r) != want {
			t.Fatalf("step %d: Count = %d, want %d", i, lkCount(t, r), want)
		}
		if lkCount(t, r2) != 0 {
			t.Fatalf("step %d: another handle owns the RLock", i)
		}
	}
	lkWantErr(t, "extra Unlock", c.Unlock(ctx), latchkey.ErrNotOwner)
	_, err := c.Lock(ctx)
	must(t, err)
	lkWantErr(t, "Unlock by another owner", c2.Unlock(ctx), latchkey.ErrNotOwner)
	_, err = c2.TryLock(ctx)
	lkWantErr(t, "TryLock by another owner", err, latchkey.ErrLocked)
	must(t, c.Unlock(ctx))
	_, err = c2.TryLock(ctx)
	must(t, err)
	must(t, c2.Unlock(ctx))
}

// condWaitReleasesAllLevels: Wait on an RLock held twice releases it
// entirely, and restores both levels before it returns.
func condWaitReleasesAllLevels(t *testing.T, e *Env) {
	ctx := t.Context()
	wc, wr := condR(t, e)
	c, r := condR(t, e)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	count := make(chan int, 1)
	g.Go(func() {
		for range 2 {
			if _, err := wc.Lock(g.ctx); err != nil {
				res <- err
				return
			}
		}
		err := wc.Wait(g.ctx)
		n, cerr := wr.Count(g.ctx)
		if cerr != nil {
			t.Error(cerr)
		}
		count <- n
		for range n {
			if err := wc.Unlock(g.ctx); err != nil {
				t.Error(err)
			}
		}
		res <- err
	})
	e.Blocked(t, condRName, 1)
	_, err := r.TryLock(ctx)
	must(t, err)
	must(t, c.Notify(ctx, 1))
	e.Blocked(t, condRLockName, 1)
	must(t, r.Unlock(ctx))
	must(t, lkRecv(t, e, res))
	if n := lkRecv(t, e, count); n != 2 {
		t.Fatalf("Count after Wait = %d, want 2", n)
	}
	g.Join(t, e)
}

// condNotifyNonPositive: Notify(0) and Notify(-1) wake nobody.
func condNotifyNonPositive(t *testing.T, e *Env) {
	c := condL(t, e)
	g := lkStart(t)
	defer g.Stop()
	res := condWaiter(g, condL(t, e), g.ctx)
	e.Blocked(t, condName, 1)
	condNotify(t, c, notifyN(c, 0))
	condNotify(t, c, notifyN(c, -1))
	e.Blocked(t, condName, 1)
	lkNone(t, e, res, "Wait after Notify(0) and Notify(-1)")
	condNotify(t, c, notifyN(c, 1))
	must(t, lkRecv(t, e, res))
	g.Join(t, e)
}

// condFIFO: waiters are woken oldest first.
func condFIFO(t *testing.T, e *Env) {
	const n = 5
	c := condL(t, e)
	g := lkStart(t)
	defer g.Stop()
	order := make(chan int, n)
	for i := range n {
		ch := condWaiter(g, condL(t, e), g.ctx)
		g.Go(func() {
			if err := <-ch; err != nil {
				t.Errorf("waiter %d: %v", i, err)
				return
			}
			order <- i
		})
		e.Blocked(t, condName, i+1)
	}
	for i := range n {
		condNotify(t, c, notifyN(c, 1))
		if got := lkRecv(t, e, order); got != i {
			t.Fatalf("Notify %d woke waiter %d", i, got)
		}
	}
	g.Join(t, e)
}

// condCancelReacquires: a Wait whose ctx ends waits for the lock, without
// a deadline, and returns holding it; it leaves no waiter behind.
func condCancelReacquires(t *testing.T, e *Env) {
	ctx := t.Context()
	c := condL(t, e)
	g := lkStart(t)
	defer g.Stop()
	wctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	res := condWaiter(g, condL(t, e), wctx)
	e.Blocked(t, condName, 1)
	_, err := c.Lock(ctx)
	must(t, err)
	cancel()
	e.Blocked(t, condLockName, 1)
	e.Blocked(t, condName, 0)
	lkNone(t, e, res, "cancelled Wait while the lock is held")
	must(t, c.Unlock(ctx))
	lkWantErr(t, "cancelled Wait", lkRecv(t, e, res), context.Canceled)
	g.Join(t, e)
	e.Blocked(t, condLockName, 0)
	_, err = c.TryLock(ctx)
	must(t, err)
	must(t, c.Unlock(ctx))
}

// condCancelReacquiresRLock: the same with an RLock held twice: the
// cancelled Wait restores both levels.
func condCancelReacquiresRLock(t *testing.T, e *Env) {
	ctx := t.Context()
	wc, wr := condR(t, e)
	_, r := condR(t, e)
	g := lkStart(t)
	defer g.Stop()
	wctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	res := make(chan error, 1)
	count := make(chan int, 1)
	g.Go(func() {
		for range 2 {
			if _, err := wc.Lock(g.ctx); err != nil {
				res <- err
				return
			}
		}
		err := wc.Wait(wctx)
		n, cerr := wr.Count(g.ctx)
		if cerr != nil {
			t.Error(cerr)
		}
		count <- n
		for range n {
			if err := wc.Unlock(g.ctx); err != nil {
				t.Error(err)
			}
		}
		res <- err
	})
	e.Blocked(t, condRName, 1)
	_, err := r.TryLock(ctx)
	must(t, err)
	cancel()
	e.Blocked(t, condRLockName, 1)
	e.Blocked(t, condRName, 0)
	lkNone(t, e, res, "cancelled Wait while the RLock is held")
	must(t, r.Unlock(ctx))
	lkWantErr(t, "cancelled Wait", lkRecv(t, e, res), context.Canceled)
	if n := lkRecv(t, e, count); n != 2 {
		t.Fatalf("Count after a cancelled Wait = %d, want 2", n)
	}
	g.Join(t, e)
	if n := lkCount(t, wr); n != 0 {
		t.Fatalf("Count at the end = %d", n)
	}
}

// condNotifyRacesCancel: waiter A's ctx is cancelled around a Notify(1)
// that may pick A; waiter B waits too. The notification is not lost:
// either A returns nil, or B wakes.
func condNotifyRacesCancel(t *testing.T, e *Env) {
	ctx := t.Context()
	c := condL(t, e)
	g := lkStart(t)
	defer g.Stop()
	aWon := 0
	for i := range 12 {
		actx, cancel := context.WithCancel(g.ctx)
		resA := condWaiter(g, condL(t, e), actx)
		e.Blocked(t, condName, 1)
		resB := condWaiter(g, condL(t, e), g.ctx)
		e.Blocked(t, condName, 2)
		_, err := c.Lock(ctx)
		must(t, err)
		switch i % 3 {
		case 0:
			cancel()
			must(t, c.Notify(ctx, 1))
		case 1:
			must(t, c.Notify(ctx, 1))
			cancel()
		case 2:
			g.Go(cancel)
			must(t, c.Notify(ctx, 1))
		}
		must(t, c.Unlock(ctx))
		errA := lkRecv(t, e, resA)
		cancel()
		switch {
		case errA == nil:
			aWon++
			e.Blocked(t, condName, 1)
			lkNone(t, e, resB, "B after A took the notification")
			condNotify(t, c, c.NotifyAll)
		case !lkIsCtxErr(errA):
			t.Fatalf("round %d: A: %v", i, errA)
		}
		must(t, lkRecv(t, e, resB))
		e.Blocked(t, condName, 0)
	}
	g.Join(t, e)
	t.Logf("A took the notification in %d of 12 rounds", aWon)
}

// condOpenMismatch: a condition's name reopened bound to another lock, or
// opened as another type, is ErrMismatch; another handle of the same lock
// is fine.
func condOpenMismatch(t *testing.T, e *Env) {
	ctx := t.Context()
	lkCond(t, e, "c", lkLock(t, e, "la"))
	_, err := e.M.Condition(ctx, "c", lkLock(t, e, "lb"))
	lkWantErr(t, "Condition bound to another lock", err, latchkey.ErrMismatch)
	lkCond(t, e, "c", lkLock(t, e, "la"))
	_, err = e.M.Lock(ctx, "c")
	lkWantErr(t, "Lock on a Condition's name", err, latchkey.ErrMismatch)
}
