//go:build linux

package shm_test

import (
	"context"
	"sync"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
	"github.com/latchkey/latchkey/shm"
)

// roleCondWait waits once on the Condition name (bound to its own lock)
// and prints the result.
func roleCondWait(ctx context.Context, m *shm.Manager, name string, _ int) error {
	c, err := m.OpenCondition(ctx, name, nil)
	if err != nil {
		return err
	}
	if _, err := c.Lock(ctx); err != nil {
		return err
	}
	say("waiting")
	err = c.Wait(ctx)
	say("notified %v", err)
	if err := c.Unlock(ctx); err != nil {
		return err
	}
	return block()
}

// TestProcCondition: two children wait on a condition; each Notify(1) by
// the parent wakes exactly one of them, and a notification given to a
// child killed while it waited passes on to the next waiter.
func TestProcCondition(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	c, err := m.OpenCondition(ctx, "c", nil)
	must(t, err)
	a := startChild(t, "cond-wait", dir, "c", 0)
	a.expect(t, "waiting")
	waitWaiters(t, m, "c", 1)
	b := startChild(t, "cond-wait", dir, "c", 0)
	b.expect(t, "waiting")
	waitWaiters(t, m, "c", 2)
	_, err = c.Lock(ctx)
	must(t, err)
	must(t, c.Notify(ctx, 1))
	must(t, c.Unlock(ctx))
	// FIFO: a, the first to wait, is woken.
	if line := a.expect(t, "notified"); line != "notified <nil>" {
		t.Fatalf("first child: %q", line)
	}
	waitWaiters(t, m, "c", 1)

	// Kill b while it waits, then notify once: the notification goes to
	// b's slot, and passes on to the parent's own waiter once b is found
	// dead.
	b.kill()
	b.wait(t)
	res := make(chan error, 1)
	h, err := m.OpenCondition(ctx, "c", nil)
	must(t, err)
	_, err = h.Lock(ctx)
	must(t, err)
	go func() {
		err := h.Wait(ctx)
		if uerr := h.Unlock(ctx); err == nil {
			err = uerr
		}
		res <- err
	}()
	waitWaiters(t, m, "c", 2)
	_, err = c.Lock(ctx)
	must(t, err)
	must(t, c.Notify(ctx, 1))
	must(t, c.Unlock(ctx))
	must(t, <-res)
	waitWaiters(t, m, "c", 0)
}

// TestConditionTooManyWaiters: a Wait past the 64 waiter slots fails with
// ErrTooManyWaiters, holding the lock; NotifyAll wakes the 64.
func TestConditionTooManyWaiters(t *testing.T) {
	const n = 64
	ctx := t.Context()
	m := newManager(t)
	c, err := m.OpenCondition(ctx, "c", nil)
	must(t, err)
	var wg sync.WaitGroup
	for range n {
		h, err := m.OpenCondition(ctx, "c", nil)
		must(t, err)
		wg.Go(func() {
			if _, err := h.Lock(ctx); err != nil {
				t.Error(err)
				return
			}
			if err := h.Wait(ctx); err != nil {
				t.Error(err)
			}
			if err := h.Unlock(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	waitWaiters(t, m, "c", n)
	_, err = c.Lock(ctx)
	must(t, err)
	wantErr(t, "Wait past the slots", c.Wait(ctx), latchkey.ErrUnavailable)
	must(t, c.NotifyAll(ctx))
	must(t, c.Unlock(ctx))
	wg.Wait()
	if c.Waiters() != 0 || c.Name() != "c" {
		t.Fatalf("Waiters = %d, Name = %q", c.Waiters(), c.Name())
	}
}

// TestConditionLocks: a condition takes only this package's locks, and
// its own lock lives and goes with it.
func TestConditionLocks(t *testing.T) {
	ctx := t.Context()
	dir := testDir(t)
	m := newManagerIn(t, dir)
	_, err := m.OpenCondition(ctx, "c", new(local.Lock))
	wantErr(t, "Condition over a local.Lock", err, latchkey.ErrInvalid)
	var nilLock *shm.Lock
	_, err = m.OpenCondition(ctx, "c", nilLock)
	wantErr(t, "Condition over a nil *Lock", err, latchkey.ErrInvalid)
	c, err := m.OpenCondition(ctx, "c", nil)
	must(t, err)
	l, err := m.OpenLock(ctx, "l")
	must(t, err)
	_, err = m.OpenCondition(ctx, "c", l)
	wantErr(t, "Condition bound to a Lock over one with its own", err, latchkey.ErrMismatch)
	// Another mapping shares the own lock.
	c2, err := newManagerIn(t, dir).OpenCondition(ctx, "c", nil)
	must(t, err)
	_, err = c.Lock(ctx)
	must(t, err)
	_, err = c2.TryLock(ctx)
	wantErr(t, "TryLock of the own lock through another mapping", err, latchkey.ErrLocked)
	must(t, c2.Unlock(ctx)) // a Lock: anybody may unlock
	must(t, m.Remove("c"))
	if _, err := m.Waiters(ctx, "c"); err == nil {
		t.Fatal("the condition is still there after Remove")
	}
	c3, err := m.OpenCondition(ctx, "c", l)
	must(t, err)
	_, err = l.Lock(ctx)
	must(t, err)
	tctx, cancel := context.WithTimeout(ctx, procInterval)
	defer cancel()
	wantErr(t, "Wait with a timeout", c3.Wait(tctx), context.DeadlineExceeded)
	if locked, _ := l.Locked(ctx); !locked {
		t.Fatal("Wait returned without the lock")
	}
	must(t, l.Unlock(ctx))
}
