//go:build linux

package shm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

// TestRWLockTwoMappings: readers in two mappings (as in two processes)
// share the lock, a writer waits for both, and holds are per handle.
func TestRWLockTwoMappings(t *testing.T) {
	ctx := t.Context()
	dir := testDir(t)
	m1, m2 := newManagerIn(t, dir), newManagerIn(t, dir)
	a, err := m1.OpenRWLock(ctx, "rw")
	must(t, err)
	b, err := m2.OpenRWLock(ctx, "rw")
	must(t, err)
	w, err := m2.OpenRWLock(ctx, "rw")
	must(t, err)
	f1, err := a.RLock(ctx)
	must(t, err)
	f2, err := b.TryRLock(ctx)
	must(t, err)
	if f2 <= f1 || a.Readers() != 2 {
		t.Fatalf("fences %d, %d; Readers = %d", f1, f2, a.Readers())
	}
	_, err = w.TryLock(ctx)
	wantErr(t, "TryLock with readers", err, latchkey.ErrLocked)
	wantErr(t, "RUnlock by a handle without a read hold", w.RUnlock(ctx), latchkey.ErrNotHeld)
	got := make(chan error, 1)
	go func() {
		_, err := w.Lock(ctx)
		got <- err
	}()
	waitWaiters(t, m1, "rw", 1)
	must(t, a.RUnlock(ctx))
	must(t, b.RUnlock(ctx))
	must(t, <-got)
	wantErr(t, "Unlock by a reader", a.Unlock(ctx), latchkey.ErrNotHeld)
	must(t, w.Unlock(ctx))
	if a.Readers() != 0 || a.Waiters() != 0 || a.Name() != "rw" {
		t.Fatalf("Readers = %d, Waiters = %d, Name = %q", a.Readers(), a.Waiters(), a.Name())
	}
	_, err = m1.OpenLock(ctx, "rw")
	wantErr(t, "Lock over an RWLock", err, latchkey.ErrMismatch)
}

func roleHoldRWLock(ctx context.Context, m *shm.Manager, name string, write int) error {
	l, err := m.OpenRWLock(ctx, name)
	if err != nil {
		return err
	}
	var f latchkey.Fence
	if write == 1 {
		f, err = l.Lock(ctx)
	} else {
		f, err = l.RLock(ctx)
	}
	if err != nil {
		return err
	}
	say("held %d", f)
	return block()
}

// TestProcKillRWLockHolder: a child holding the write lock is killed; the
// parent's blocked Lock gets it with ErrOwnerDied. A child holding a read
// lock is killed; the parent's Lock gets it without.
func TestProcKillRWLockHolder(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	l, err := m.OpenRWLock(ctx, "rw")
	must(t, err)
	c := startChild(t, "hold-rwlock", dir, "rw", 1)
	f1 := fenceOf(t, c.expect(t, "held"))
	_, err = l.TryRLock(ctx)
	wantErr(t, "TryRLock while a live child writes", err, latchkey.ErrLocked)
	res := make(chan error, 1)
	var f2 latchkey.Fence
	go func() {
		var err error
		f2, err = l.Lock(ctx)
		res <- err
	}()
	waitWaiters(t, m, "rw", 1)
	c.kill()
	if err := <-res; !errors.Is(err, latchkey.ErrOwnerDied) || f2 <= f1 {
		t.Fatalf("Lock after the writer died = %d, %v; want a fence above %d with ErrOwnerDied", f2, err, f1)
	}
	must(t, l.Unlock(ctx))

	r := startChild(t, "hold-rwlock", dir, "rw", 0)
	r.expect(t, "held")
	if l.Readers() != 1 {
		t.Fatalf("Readers = %d with a reading child", l.Readers())
	}
	go func() {
		_, err := l.Lock(ctx)
		res <- err
	}()
	waitWaiters(t, m, "rw", 1)
	r.kill()
	if err := <-res; err != nil {
		t.Fatalf("Lock after a reader died: %v, want no error", err)
	}
	if l.Readers() != 0 {
		t.Fatalf("Readers = %d after the reader died", l.Readers())
	}
	must(t, l.Unlock(ctx))
}
