//go:build unix

package crashtest

import (
	"errors"
	"testing"

	"github.com/latchkey/latchkey"
)

// TestLockHolderKilled: a child killed while holding a Lock releases it to
// the child waiting for it, whose grant reports ErrOwnerDied with a
// larger fence; that child killed while holding releases it to the
// parent in the same way.
func TestLockHolderKilled(t *testing.T) {
	t.Parallel()
	eachTransport(t, func(t *testing.T, h *harness) {
		const name = "lock"
		a := h.start(roleLock, name)
		fa, died := h.expect(a, "locked").fence(t)
		if died {
			t.Fatalf("first grant of a new lock reports ErrOwnerDied")
		}
		b := h.start(roleLock, name)
		h.waiters(name, 1)

		h.mustKill(a)
		fb, died := h.expect(b, "locked").fence(t)
		if !died {
			t.Errorf("grant after the holder was killed: no ErrOwnerDied")
		}
		if fb <= fa {
			t.Errorf("fence %d after the killed holder's %d: want larger", fb, fa)
		}

		h.mustKill(b)
		l, err := h.c.Lock(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		fp, err := l.Lock(h.ctx())
		if !errors.Is(err, latchkey.ErrOwnerDied) {
			t.Errorf("parent's Lock after the second holder was killed: %v, want ErrOwnerDied", err)
		}
		if fp <= fb {
			t.Errorf("parent's fence %d after the killed holder's %d: want larger", fp, fb)
		}
		if n := h.count(name); n != 0 {
			t.Errorf("%d waiters left, want 0", n)
		}
		if err := l.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLockWaiterKilled: a child killed while waiting for a Lock leaves no
// ghost waiter, and the next Unlock gives the lock to the next live
// waiter, without ErrOwnerDied, since nobody died holding it.
func TestLockWaiterKilled(t *testing.T) {
	t.Parallel()
	eachTransport(t, func(t *testing.T, h *harness) {
		const name = "lock"
		l, fp, b, c := queueBehindParent(h, name)

		h.mustKill(b)
		h.gone(b)
		if n := h.count(name); n != 1 {
			t.Fatalf("%d waiters after the first one was killed, want 1 (a ghost waiter?)", n)
		}
		if err := l.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
		fc, died := h.expect(c, "locked").fence(t)
		if died {
			t.Errorf("grant after a waiter (not a holder) was killed reports ErrOwnerDied")
		}
		if fc <= fp {
			t.Errorf("fence %d after the parent's %d: want larger", fc, fp)
		}
		for _, ev := range h.reportsOf(b) {
			t.Errorf("the killed waiter reported %q", ev.line)
		}

		h.send(c, "unlock")
		h.expect(c, "unlocked")
		f, err := l.TryLock(t.Context())
		if err != nil {
			t.Fatalf("TryLock after the last holder unlocked: %v", err)
		}
		if f <= fc {
			t.Errorf("fence %d after %d: want larger", f, fc)
		}
		if err := l.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLockGrantedToKilled: the Unlock hands the lock to a waiter that is
// frozen (SIGSTOP), so that the grant sits unread in its connection, and
// the waiter is then killed. It died holding the lock without ever
// knowing: the next waiter gets it, with ErrOwnerDied and a larger fence.
func TestLockGrantedToKilled(t *testing.T) {
	t.Parallel()
	eachTransport(t, func(t *testing.T, h *harness) {
		const name = "lock"
		l, fp, b, c := queueBehindParent(h, name)
		h.freeze(b)
		if err := l.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := h.count(name); n != 1 {
			t.Fatalf("%d waiters after the Unlock, want 1: the frozen waiter granted, the other waiting", n)
		}

		h.mustKill(b)
		fc, died := h.expect(c, "locked").fence(t)
		if !died {
			t.Errorf("grant after a waiter was killed with the lock granted to it: no ErrOwnerDied")
		}
		if fc <= fp {
			t.Errorf("fence %d after the parent's %d: want larger", fc, fp)
		}
		for _, ev := range h.reportsOf(b) {
			t.Errorf("the killed waiter reported %q", ev.line)
		}
	})
}

// queueBehindParent has the parent lock the Lock called name, and then
// starts two children in roleLock, b and c, which wait for it in that
// order. It returns the parent's handle and fence, b and c.
func queueBehindParent(h *harness, name string) (latchkey.Lock, latchkey.Fence, *child, *child) {
	t := h.t
	t.Helper()
	l, err := h.c.Lock(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := l.Lock(h.ctx())
	if err != nil {
		t.Fatal(err)
	}
	b := h.start(roleLock, name) // first in line
	h.waiters(name, 1)
	c := h.start(roleLock, name)
	h.waiters(name, 2)
	return l, fp, b, c
}
