package local_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// condNew returns a condition and a function giving each worker its own
// handle: over the condition's own Lock, over an explicit Lock, or over an
// RLock with one owner handle per worker.
func condKinds(t *testing.T) map[string]func() (*local.Condition, func() *local.Condition) {
	return map[string]func() (*local.Condition, func() *local.Condition){
		"zero": func() (*local.Condition, func() *local.Condition) {
			c := new(local.Condition)
			return c, func() *local.Condition { return c }
		},
		"Lock": func() (*local.Condition, func() *local.Condition) {
			c, err := local.NewCondition(new(local.Lock))
			lkOK(t, err)
			return c, func() *local.Condition { return c }
		},
		"RLock": func() (*local.Condition, func() *local.Condition) {
			var r local.RLock
			c, err := local.NewCondition(&r)
			lkOK(t, err)
			return c, func() *local.Condition {
				h, err := c.Handle(r.Handle())
				lkOK(t, err)
				return h
			}
		},
	}
}

// condForKinds runs fn as a synctest subtest for every kind of condition.
func condForKinds(t *testing.T, fn func(t *testing.T, c *local.Condition, handle func() *local.Condition)) {
	for name, mk := range condKinds(t) {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, handle := mk()
				fn(t, c, handle)
			})
		})
	}
}

// test_unacquired_wait, test_unacquired_notify.
func TestConditionUnacquired(t *testing.T) {
	condForKinds(t, func(t *testing.T, c *local.Condition, _ func() *local.Condition) {
		ctx := t.Context()
		lkErr(t, c.Wait(ctx), latchkey.ErrNotHeld)
		lkErr(t, c.Notify(ctx, 1), latchkey.ErrNotHeld)
		lkErr(t, c.Notify(ctx, 0), latchkey.ErrNotHeld)
		lkErr(t, c.NotifyAll(ctx), latchkey.ErrNotHeld)
		lkErr(t, c.WaitFor(ctx, func() bool { return false }), latchkey.ErrNotHeld)
		// As in Python, a true predicate returns before the check.
		lkOK(t, c.WaitFor(ctx, func() bool { return true }))
		lkWaiters(t, c, 0)
	})
}

func TestNewCondition(t *testing.T) {
	var l local.Lock
	var r local.RLock
	for _, ok := range []latchkey.Locker{nil, &l, &r, r.Handle()} {
		if _, err := local.NewCondition(ok); err != nil {
			t.Errorf("NewCondition(%T): %v", ok, err)
		}
	}
	c, err := local.NewCondition(nil)
	lkOK(t, err)
	for _, bad := range []latchkey.Locker{(*local.Lock)(nil), (*local.RLock)(nil), c, condFakeLocker{}} {
		_, err := local.NewCondition(bad)
		lkErr(t, err, latchkey.ErrInvalid)
	}
}

// condFakeLocker is a Locker of another package.
type condFakeLocker struct{}

func (condFakeLocker) Lock(context.Context) (latchkey.Fence, error)    { return 1, nil }
func (condFakeLocker) TryLock(context.Context) (latchkey.Fence, error) { return 1, nil }
func (condFakeLocker) Unlock(context.Context) error                    { return nil }

func TestConditionHandle(t *testing.T) {
	ctx := t.Context()
	var l, l2 local.Lock
	var r, r2 local.RLock
	cl, err := local.NewCondition(&l)
	lkOK(t, err)
	cr, err := local.NewCondition(&r)
	lkOK(t, err)
	var zero local.Condition

	for _, tc := range []struct {
		name string
		c    *local.Condition
		l    latchkey.Locker
		want error
		try  error // c.TryLock while the new handle holds the lock
	}{
		{"Lock/same", cl, &l, nil, latchkey.ErrLocked},
		{"Lock/nil", cl, nil, nil, latchkey.ErrLocked},
		{"Lock/other", cl, &l2, latchkey.ErrMismatch, nil},
		{"Lock/RLock", cl, &r, latchkey.ErrMismatch, nil},
		{"RLock/same", cr, &r, nil, nil}, // one owner: reentrant
		{"RLock/handle", cr, r.Handle(), nil, latchkey.ErrLocked},
		{"RLock/nil", cr, nil, nil, nil}, // c's own handle: reentrant
		{"RLock/other", cr, r2.Handle(), latchkey.ErrMismatch, nil},
		{"RLock/Lock", cr, &l, latchkey.ErrMismatch, nil},
		{"zero/nil", &zero, nil, nil, latchkey.ErrLocked},
		{"zero/Lock", &zero, &l, latchkey.ErrMismatch, nil},
		{"zero/RLock", &zero, &r, latchkey.ErrMismatch, nil},
		{"foreign", cl, condFakeLocker{}, latchkey.ErrInvalid, nil},
		{"nil-Lock", cl, (*local.Lock)(nil), latchkey.ErrInvalid, nil},
		{"nil-RLock", cr, (*local.RLock)(nil), latchkey.ErrInvalid, nil},
	} {
		h, err := tc.c.Handle(tc.l)
		if tc.want != nil {
			if !errors.Is(err, tc.want) || h != nil {
				t.Errorf("%s: Handle = %v, %v; want %v", tc.name, h, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Handle: %v", tc.name, err)
			continue
		}
		// The handle shares the lock.
		_, err = h.Lock(ctx)
		lkOK(t, err)
		_, err = tc.c.TryLock(ctx)
		if tc.try != nil {
			lkErr(t, err, tc.try)
		} else {
			lkOK(t, err)
			lkOK(t, tc.c.Unlock(ctx))
		}
		lkOK(t, h.Unlock(ctx))
	}

	// A nil lock gives a handle of the zero condition its own lock.
	h, err := zero.Handle(nil)
	lkOK(t, err)
	_, err = zero.Lock(ctx)
	lkOK(t, err)
	_, err = h.TryLock(ctx)
	lkErr(t, err, latchkey.ErrLocked)
	lkOK(t, h.Unlock(ctx)) // a Lock has no owner
}

// test_acquire: the condition's lock is the bound lock.
func TestConditionAcquire(t *testing.T) {
	ctx := t.Context()
	var l local.Lock
	c, err := local.NewCondition(&l)
	lkOK(t, err)
	_, err = c.Lock(ctx)
	lkOK(t, err)
	_, err = l.TryLock(ctx)
	lkErr(t, err, latchkey.ErrLocked)
	_, err = c.TryLock(ctx)
	lkErr(t, err, latchkey.ErrLocked)
	lkOK(t, c.Unlock(ctx))
	_, err = l.Lock(ctx)
	lkOK(t, err)
	_, err = c.TryLock(ctx)
	lkErr(t, err, latchkey.ErrLocked)
	lkOK(t, l.Unlock(ctx))

	// Over an RLock it is reentrant.
	var r local.RLock
	c, err = local.NewCondition(&r)
	lkOK(t, err)
	_, err = c.Lock(ctx)
	lkOK(t, err)
	_, err = c.Lock(ctx)
	lkOK(t, err)
	rlkCount(t, &r, 2)
	lkOK(t, c.Unlock(ctx))
	lkOK(t, c.Unlock(ctx))
	lkErr(t, c.Unlock(ctx), latchkey.ErrNotOwner)
}

// test_notify, run twice on the same condition: notify(3), notify(5) and
// notify_all wake exactly the expected waits, phase by phase.
func TestConditionNotify(t *testing.T) {
	condForKinds(t, func(t *testing.T, c *local.Condition, handle func() *local.Condition) {
		for range 2 {
			condNotifyPhases(t, c, handle)
		}
	})
}

func condNotifyPhases(t *testing.T, c *local.Condition, handle func() *local.Condition) {
	ctx := t.Context()
	type result struct {
		phase int
		err   error
	}
	var (
		phase           int      // guarded by the lock
		first, second   []result // guarded by the lock
		wg              sync.WaitGroup
		lockWaitRelease = func(c *local.Condition, into *[]result) {
			if _, err := c.Lock(ctx); err != nil {
				t.Error(err)
				return
			}
			err := c.Wait(ctx)
			*into = append(*into, result{phase, err})
			if err := c.Unlock(ctx); err != nil {
				t.Error(err)
			}
		}
	)
	for range 5 {
		h := handle()
		wg.Go(func() {
			lockWaitRelease(h, &first)
			lockWaitRelease(h, &second)
		})
	}
	check := func(got []result, n int, phases ...int) {
		t.Helper()
		if len(got) != n {
			t.Fatalf("%d waits returned; want %d: %v", len(got), n, got)
		}
		for i, r := range got {
			if r.err != nil || r.phase != phases[i] {
				t.Fatalf("wait %d returned %v in phase %d; want nil in phase %d", i, r.err, r.phase, phases[i])
			}
		}
	}
	notify := func(p int, f func() error) {
		t.Helper()
		_, err := c.Lock(ctx)
		lkOK(t, err)
		phase = p
		lkOK(t, f())
		lkOK(t, c.Unlock(ctx))
		synctest.Wait()
	}

	synctest.Wait()
	lkWaiters(t, c, 5)
	_, err := c.Lock(ctx)
	lkOK(t, err)
	check(first, 0)
	lkOK(t, c.Unlock(ctx))

	notify(1, func() error { return c.Notify(ctx, 3) })
	lkWaiters(t, c, 5) // 2 first waits, 3 second waits
	check(first, 3, 1, 1, 1)
	check(second, 0)

	notify(2, func() error { return c.Notify(ctx, 5) })
	lkWaiters(t, c, 2)
	check(first, 5, 1, 1, 1, 2, 2)
	check(second, 3, 2, 2, 2)

	notify(3, func() error { return c.NotifyAll(ctx) })
	wg.Wait()
	lkWaiters(t, c, 0)
	check(second, 5, 2, 2, 2, 3, 3)
}

// test_timeout: 5 waits of 0.5 s with no notify each return after 0.5 s,
// with the lock held.
func TestConditionTimeout(t *testing.T) {
	condForKinds(t, func(t *testing.T, c *local.Condition, handle func() *local.Condition) {
		ctx := t.Context()
		var wg sync.WaitGroup
		for range 5 {
			h := handle()
			wg.Go(func() {
				if _, err := h.Lock(ctx); err != nil {
					t.Error(err)
					return
				}
				wctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				defer cancel()
				start := time.Now()
				err := h.Wait(wctx)
				if d := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || d != 500*time.Millisecond {
					t.Errorf("Wait = %v after %v; want deadline exceeded after 500ms", err, d)
				}
				if err := h.Unlock(ctx); err != nil {
					t.Errorf("Unlock after Wait: %v", err)
				}
			})
		}
		wg.Wait()
		lkWaiters(t, c, 0)
		_, err := c.TryLock(ctx)
		lkOK(t, err)
		lkOK(t, c.Unlock(ctx))
	})
}

// test_waitfor: WaitFor returns once the predicate holds, woken by each
// notify.
func TestConditionWaitFor(t *testing.T) {
	condForKinds(t, func(t *testing.T, c *local.Condition, handle func() *local.Condition) {
		ctx := t.Context()
		state, calls := 0, 0 // guarded by the lock
		done := make(chan struct{})
		h := handle()
		go func() {
			defer close(done)
			if _, err := h.Lock(ctx); err != nil {
				t.Error(err)
				return
			}
			err := h.WaitFor(ctx, func() bool { calls++; return state == 4 })
			if err != nil || state != 4 || calls != 5 {
				t.Errorf("WaitFor = %v with state %d after %d calls; want nil, 4, 5", err, state, calls)
			}
			if err := h.Unlock(ctx); err != nil {
				t.Error(err)
			}
		}()
		for range 4 {
			synctest.Wait()
			lkWaiters(t, c, 1)
			_, err := c.Lock(ctx)
			lkOK(t, err)
			state++
			lkOK(t, c.Notify(ctx, 1))
			lkOK(t, c.Unlock(ctx))
		}
		<-done
		lkWaiters(t, c, 0)
	})
}

// test_waitfor_timeout: WaitFor with a predicate that never holds returns
// ctx's error after the timeout.
func TestConditionWaitForTimeout(t *testing.T) {
	condForKinds(t, func(t *testing.T, c *local.Condition, handle func() *local.Condition) {
		ctx := t.Context()
		state := 0 // guarded by the lock
		done := make(chan struct{})
		h := handle()
		go func() {
			defer close(done)
			if _, err := h.Lock(ctx); err != nil {
				t.Error(err)
				return
			}
			wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := h.WaitFor(wctx, func() bool { return state == 4 })
			if d := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || d != 100*time.Millisecond {
				t.Errorf("WaitFor = %v after %v; want deadline exceeded after 100ms", err, d)
			}
			if err := h.Unlock(ctx); err != nil {
				t.Error(err)
			}
		}()
		for range 3 {
			synctest.Wait()
			_, err := c.Lock(ctx)
			lkOK(t, err)
			state++
			lkOK(t, c.Notify(ctx, 1))
			lkOK(t, c.Unlock(ctx))
		}
		<-done
		lkWaiters(t, c, 0)
	})
}

// WaitFor whose ctx ends while the predicate has become true returns nil,
// as Python's wait_for returns the predicate's last value.
func TestConditionWaitForTrueAtCancel(t *testing.T) {
	condForKinds(t, func(t *testing.T, c *local.Condition, handle func() *local.Condition) {
		ctx := t.Context()
		state := false // guarded by the lock
		wctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		h := handle()
		go func() {
			if _, err := h.Lock(ctx); err != nil {
				t.Error(err)
			}
			errc <- h.WaitFor(wctx, func() bool { return state })
			if err := h.Unlock(ctx); err != nil {
				t.Error(err)
			}
		}()
		synctest.Wait()
		_, err := c.Lock(ctx)
		lkOK(t, err)
		state = true
		cancel() // no notify: the waiter wakes by cancellation
		synctest.Wait()
		lkWaiters(t, c, 0)
		lkOK(t, c.Unlock(ctx))
		lkOK(t, <-errc)
	})
}

// Wait over an RLock releases every level and restores the count.
func TestConditionRLockRestoresCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var r local.RLock
		c, err := local.NewCondition(&r)
		lkOK(t, err)
		for range 3 {
			_, err := c.Lock(ctx)
			lkOK(t, err)
		}
		errc := make(chan error, 1)
		go func() { errc <- c.Wait(ctx) }()
		synctest.Wait()
		rlkCount(t, &r, 0)
		h := r.Handle()
		hc, err := c.Handle(h)
		lkOK(t, err)
		// Another owner gets the lock while the waiter waits.
		_, err = hc.TryLock(ctx)
		lkOK(t, err)
		lkOK(t, hc.Notify(ctx, 1))
		lkErr(t, c.Notify(ctx, 1), latchkey.ErrNotHeld) // c's handle does not own it
		lkOK(t, hc.Unlock(ctx))
		lkOK(t, <-errc)
		rlkCount(t, &r, 3)
		rlkCount(t, h, 0)
		for range 3 {
			lkOK(t, c.Unlock(ctx))
		}
		lkErr(t, c.Unlock(ctx), latchkey.ErrNotOwner)
	})
}

// Over an RLock, Wait and Notify need this handle to own it.
func TestConditionRLockNotOwner(t *testing.T) {
	ctx := t.Context()
	var r local.RLock
	c, err := local.NewCondition(&r)
	lkOK(t, err)
	other, err := c.Handle(r.Handle())
	lkOK(t, err)
	_, err = c.Lock(ctx)
	lkOK(t, err)
	lkErr(t, other.Wait(ctx), latchkey.ErrNotHeld)
	lkErr(t, other.Notify(ctx, 1), latchkey.ErrNotHeld)
	lkErr(t, other.NotifyAll(ctx), latchkey.ErrNotHeld)
	lkOK(t, c.Notify(ctx, 1))
	lkOK(t, c.Unlock(ctx))
	lkWaiters(t, c, 0)
}

// Over a Lock, Python only checks that the lock is held by anybody: a
// goroutine that does not hold it may wait, releasing the holder's lock.
func TestConditionLockHeldByOther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var l local.Lock
		c, err := local.NewCondition(&l)
		lkOK(t, err)
		_, err = l.Lock(ctx) // "another thread" holds it
		lkOK(t, err)
		errc := make(chan error, 1)
		go func() { errc <- c.Wait(ctx) }()
		synctest.Wait()
		lkLocked(t, &l, false)
		lkWaiters(t, c, 1)
		_, err = c.Lock(ctx)
		lkOK(t, err)
		lkOK(t, c.Notify(ctx, 1))
		lkOK(t, c.Unlock(ctx))
		lkOK(t, <-errc)
		lkLocked(t, &l, true) // the waiter re-took it
		lkOK(t, l.Unlock(ctx))
	})
}

// A cancelled Wait re-takes the lock before returning, waiting for it
// without a deadline.
func TestConditionCancelReacquires(t *testing.T) {
	condForKinds(t, func(t *testing.T, c *local.Condition, handle func() *local.Condition) {
		ctx := t.Context()
		h := handle()
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		errc := make(chan error, 1)
		go func() {
			if _, err := h.Lock(ctx); err != nil {
				t.Error(err)
			}
			err := h.Wait(wctx)
			errc <- err
			if err := h.Unlock(ctx); err != nil {
				t.Errorf("Unlock after a cancelled Wait: %v", err)
			}
		}()
		synctest.Wait()
		_, err := c.Lock(ctx)
		lkOK(t, err)
		start := time.Now()
		// The deadline passes after 1s; the waiter then waits for the lock.
		time.AfterFunc(2*time.Second, func() {
			if n := c.Waiters(); n != 0 {
				t.Errorf("Waiters() = %d after the deadline; want 0", n)
			}
			if len(errc) != 0 {
				t.Error("Wait returned without the lock")
			}
		})
		time.AfterFunc(time.Hour, func() {
			if err := c.Unlock(ctx); err != nil {
				t.Error(err)
			}
		})
		lkErr(t, <-errc, context.DeadlineExceeded)
		if d := time.Since(start); d != time.Hour {
			t.Fatalf("Wait returned after %v; want 1h (when the lock was free)", d)
		}
		synctest.Wait()
	})
}

// A Wait whose ctx is already done returns at once, holding the lock.
func TestConditionDoneContext(t *testing.T) {
	condForKinds(t, func(t *testing.T, c *local.Condition, _ func() *local.Condition) {
		ctx := t.Context()
		dctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.Lock(ctx)
		lkOK(t, err)
		lkErr(t, c.Wait(dctx), context.Canceled)
		lkErr(t, c.WaitFor(dctx, func() bool { return false }), context.Canceled)
		lkOK(t, c.WaitFor(dctx, func() bool { return true }))
		lkWaiters(t, c, 0)
		lkOK(t, c.Unlock(ctx))
	})
}

// A notification that races with a waiter's cancellation passes to the
// next waiter; with no next waiter it is lost.
func TestConditionNotifyRacesCancel(t *testing.T) {
	condForKinds(t, func(t *testing.T, c *local.Condition, handle func() *local.Condition) {
		ctx := t.Context()
		wait := func(h *local.Condition, ctx context.Context) <-chan error {
			errc := make(chan error, 1)
			go func() {
				if _, err := h.Lock(t.Context()); err != nil {
					t.Error(err)
				}
				errc <- h.Wait(ctx)
				if err := h.Unlock(t.Context()); err != nil {
					t.Error(err)
				}
			}()
			synctest.Wait()
			return errc
		}
		actx, cancelA := context.WithCancel(ctx)
		a := wait(handle(), actx)
		b := wait(handle(), ctx)
		d := wait(handle(), ctx)
		lkWaiters(t, c, 3)
		_, err := c.Lock(ctx)
		lkOK(t, err)
		c.NotifyRacing(cancelA, 1)
		lkOK(t, c.Unlock(ctx))
		lkErr(t, <-a, context.Canceled)
		lkOK(t, <-b) // got a's notification
		synctest.Wait()
		if len(d) != 0 {
			t.Fatal("a third waiter woke")
		}
		lkWaiters(t, c, 1)

		// d alone: the notification goes to nobody.
		ectx, cancelE := context.WithCancel(ctx)
		e := wait(handle(), ectx)
		_, err = c.Lock(ctx)
		lkOK(t, err)
		lkOK(t, c.Notify(ctx, 1)) // d
		c.NotifyRacing(cancelE, 1)
		lkOK(t, c.Unlock(ctx))
		lkOK(t, <-d)
		lkErr(t, <-e, context.Canceled)
		lkWaiters(t, c, 0)
	})
}

// Waiters counts the waits not yet notified; a notified one waiting for
// the lock counts on the lock. Notifications to nobody are lost, and
// Notify of n ≤ 0 wakes nobody.
func TestConditionWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var l local.Lock
		c, err := local.NewCondition(&l)
		lkOK(t, err)
		_, err = c.Lock(ctx)
		lkOK(t, err)
		lkOK(t, c.Notify(ctx, 5)) // lost
		lkOK(t, c.NotifyAll(ctx)) // lost
		lkOK(t, c.Unlock(ctx))
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if _, err := c.Lock(ctx); err != nil {
					t.Error(err)
				}
				if err := c.Wait(ctx); err != nil {
					t.Error(err)
				}
				if err := c.Unlock(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		synctest.Wait()
		lkWaiters(t, c, 3)
		_, err = c.Lock(ctx)
		lkOK(t, err)
		lkOK(t, c.Notify(ctx, 0))
		lkOK(t, c.Notify(ctx, -1))
		lkWaiters(t, c, 3)
		lkOK(t, c.Notify(ctx, 2))
		synctest.Wait()
		lkWaiters(t, c, 1)
		lkWaiters(t, &l, 2) // the notified ones wait for the lock
		lkOK(t, c.NotifyAll(ctx))
		synctest.Wait()
		lkWaiters(t, c, 0)
		lkWaiters(t, &l, 3)
		lkOK(t, c.Unlock(ctx))
		wg.Wait()
		lkLocked(t, &l, false)
	})
}

// Waiters are woken oldest first.
func TestConditionFIFO(t *testing.T) {
	condForKinds(t, func(t *testing.T, c *local.Condition, handle func() *local.Condition) {
		ctx := t.Context()
		const n = 5
		var order []int // guarded by the lock
		var wg sync.WaitGroup
		for i := range n {
			h := handle()
			wg.Go(func() {
				if _, err := h.Lock(ctx); err != nil {
					t.Error(err)
				}
				if err := h.Wait(ctx); err != nil {
					t.Error(err)
				}
				order = append(order, i)
				if err := h.Unlock(ctx); err != nil {
					t.Error(err)
				}
			})
			synctest.Wait()
		}
		for i := range n {
			_, err := c.Lock(ctx)
			lkOK(t, err)
			if len(order) != i {
				t.Fatalf("%d woke after %d notifications", len(order), i)
			}
			lkOK(t, c.Notify(ctx, 1))
			lkOK(t, c.Unlock(ctx))
			synctest.Wait()
		}
		wg.Wait()
		for i, got := range order {
			if got != i {
				t.Fatalf("wake order %v; want arrival order", order)
			}
		}
	})
}

// TestConditionHammer: a bounded buffer guarded by an RLock, with two
// conditions (not full, not empty) and producers and consumers that give
// up waiting at random; no item is lost or duplicated, and nobody hangs.
func TestConditionHammer(t *testing.T) {
	rng := lkRand(t)
	ctx := t.Context()
	const (
		producers = 4
		consumers = 4
		items     = 500
		capacity  = 3
	)
	var r local.RLock
	notFull, err := local.NewCondition(&r)
	lkOK(t, err)
	notEmpty, err := local.NewCondition(&r)
	lkOK(t, err)
	var (
		buf      []int           // guarded by r
		received = map[int]int{} // guarded by r
		closed   bool            // guarded by r
	)
	// worker runs step under the lock until it returns true, waiting on
	// wait for pred, sometimes with a short timeout.
	worker := func(seed uint64, wait, notify *local.Condition, pred func() bool, step func(ok bool) bool) func() {
		h := r.Handle()
		wait, err := wait.Handle(h)
		lkOK(t, err)
		notify, err = notify.Handle(h)
		lkOK(t, err)
		return func() {
			rnd := rand.New(rand.NewPCG(seed, 1))
			for done := false; !done; {
				if _, err := h.Lock(ctx); err != nil {
					t.Error(err)
					return
				}
				wctx, cancel := ctx, context.CancelFunc(func() {})
				if rnd.IntN(4) == 0 {
					wctx, cancel = context.WithTimeout(ctx, time.Duration(rnd.IntN(50))*time.Microsecond)
				}
				err := wait.WaitFor(wctx, pred)
				cancel()
				if err != nil && !errors.Is(err, context.DeadlineExceeded) {
					t.Error(err)
				}
				if n, _ := h.Count(ctx); n != 1 {
					t.Errorf("count %d after WaitFor; want 1", n)
				}
				if err == nil && pred() {
					done = step(true)
					if err := notify.Notify(ctx, 1); err != nil {
						t.Error(err)
					}
				}
				if err := h.Unlock(ctx); err != nil {
					t.Error(err)
				}
			}
		}
	}
	var prods, cons sync.WaitGroup
	for p := range producers {
		next := 0
		prods.Go(worker(rng.Uint64(), notFull, notEmpty,
			func() bool { return len(buf) < capacity },
			func(bool) bool {
				buf = append(buf, p*items+next)
				next++
				return next == items
			}))
	}
	for range consumers {
		cons.Go(worker(rng.Uint64(), notEmpty, notFull,
			func() bool { return len(buf) > 0 || closed },
			func(bool) bool {
				if len(buf) == 0 {
					return true // closed
				}
				received[buf[0]]++
				buf = buf[1:]
				return false
			}))
	}
	prods.Wait()
	_, err = r.Lock(ctx)
	lkOK(t, err)
	closed = true
	lkOK(t, notEmpty.NotifyAll(ctx))
	lkOK(t, r.Unlock(ctx))
	cons.Wait()
	if len(received) != producers*items {
		t.Fatalf("received %d distinct items; want %d", len(received), producers*items)
	}
	for item, n := range received {
		if n != 1 {
			t.Fatalf("item %d received %d times", item, n)
		}
	}
	lkWaiters(t, notFull, 0)
	lkWaiters(t, notEmpty, 0)
	lkWaiters(t, &r, 0)
}
