//go:build linux

package shm_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

// TestLockTwoMappings: two Managers of one directory map each object
// separately, as two processes do; a Lock has no owner across them, an
// RLock's owner is the handle.
func TestLockTwoMappings(t *testing.T) {
	ctx := t.Context()
	dir := testDir(t)
	m1, m2 := newManagerIn(t, dir), newManagerIn(t, dir)
	a, err := m1.OpenLock(ctx, "l")
	must(t, err)
	b, err := m2.OpenLock(ctx, "l")
	must(t, err)
	f1, err := a.Lock(ctx)
	must(t, err)
	_, err = b.TryLock(ctx)
	wantErr(t, "TryLock through the other mapping", err, latchkey.ErrLocked)
	must(t, b.Unlock(ctx))
	f2, err := b.Lock(ctx)
	must(t, err)
	if f2 <= f1 {
		t.Fatalf("fences %d then %d", f1, f2)
	}
	must(t, a.Unlock(ctx))

	r1, err := m1.OpenRLock(ctx, "r")
	must(t, err)
	r2, err := m2.OpenRLock(ctx, "r")
	must(t, err)
	_, err = r1.Lock(ctx)
	must(t, err)
	wantErr(t, "Unlock by another owner", r2.Unlock(ctx), latchkey.ErrNotOwner)
	_, err = r2.TryLock(ctx)
	wantErr(t, "TryLock by another owner", err, latchkey.ErrLocked)
	got := make(chan error, 1)
	go func() {
		_, err := r2.Lock(ctx)
		got <- err
	}()
	waitWaiters(t, m1, "r", 1)
	must(t, r1.Unlock(ctx))
	must(t, <-got)
	if n, _ := r2.Count(ctx); n != 1 {
		t.Fatalf("Count = %d", n)
	}
	must(t, r2.Unlock(ctx))
}

// TestLockOverflow: more callers than waiter slots block, all count as
// waiters, cancelled ones leave, and the rest all get the lock.
func TestLockOverflow(t *testing.T) {
	const n = 80 // more than the 64 slots
	ctx := t.Context()
	m := newManager(t)
	l, err := m.OpenLock(ctx, "l")
	must(t, err)
	_, err = l.Lock(ctx)
	must(t, err)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted, cancelled := 0, 0
	for i := range n {
		h, err := m.OpenLock(ctx, "l")
		must(t, err)
		wg.Go(func() {
			c := ctx
			if i%4 == 0 {
				c = cctx
			}
			_, err := h.Lock(c)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				granted++
				if err := h.Unlock(ctx); err != nil {
					t.Error(err)
				}
			case errors.Is(err, context.Canceled):
				cancelled++
			default:
				t.Error(err)
			}
		})
	}
	waitWaiters(t, m, "l", n)
	cancel()
	waitWaiters(t, m, "l", n-n/4)
	must(t, l.Unlock(ctx))
	wg.Wait()
	if granted != n-n/4 || cancelled != n/4 {
		t.Fatalf("%d granted and %d cancelled, want %d and %d", granted, cancelled, n-n/4, n/4)
	}
	if locked, _ := l.Locked(ctx); locked || l.Waiters() != 0 {
		t.Fatalf("locked %v with %d waiters at the end", locked, l.Waiters())
	}
}

// TestLockHealsFreeWithWaiters: a lock found free while a caller waits
// for it is handed to that caller by its periodic check, an interval
// later, without any other call on the lock.
func TestLockHealsFreeWithWaiters(t *testing.T) {
	ctx := procCtx(t)
	m := procManager(t, testDir(t))
	l, err := m.OpenLock(ctx, "l")
	must(t, err)
	_, err = l.Lock(ctx)
	must(t, err)
	h, err := m.OpenLock(ctx, "l")
	must(t, err)
	got := make(chan error, 1)
	go func() {
		_, err := h.Lock(ctx)
		got <- err
	}()
	waitWaiters(t, m, "l", 1)
	shm.FreeLockWord(l)
	must(t, <-got)
	must(t, h.Unlock(ctx))
	if locked, _ := l.Locked(ctx); locked || l.Waiters() != 0 {
		t.Fatalf("locked %v with %d waiters at the end", locked, l.Waiters())
	}
}

// TestSemaphoreLimits: the value stays within 2³¹−1.
func TestSemaphoreLimits(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	s, err := m.OpenSemaphore(ctx, "s", 1<<31-2)
	must(t, err)
	must(t, s.Release(ctx, 1))
	wantErr(t, "Release past 2^31-1", s.Release(ctx, 1), latchkey.ErrInvalid)
	if v, _ := s.Value(ctx); v != 1<<31-1 {
		t.Fatalf("Value = %d", v)
	}
	if s.Bounded() {
		t.Fatal("Bounded() of a Semaphore")
	}
	b, err := m.OpenBoundedSemaphore(ctx, "b", 1)
	must(t, err)
	if !b.Bounded() || b.Name() != "b" {
		t.Fatalf("Bounded() = %v, Name() = %q", b.Bounded(), b.Name())
	}
}

// Test that the concrete types satisfy the root interfaces, and the
// Manager the interfaces it implements.
var (
	_ latchkey.Lock      = (*shm.Lock)(nil)
	_ latchkey.RLock     = (*shm.RLock)(nil)
	_ latchkey.Semaphore = (*shm.Semaphore)(nil)
	_ latchkey.Locks     = (*shm.Manager)(nil)
	_ latchkey.Numbers   = (*shm.Manager)(nil)
)
