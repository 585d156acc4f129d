//go:build unix

package crashtest

import (
	"errors"
	"testing"

	"github.com/latchkey/latchkey"
)

// TestSemaphoreHolderKilled: of a Semaphore(2), two children hold a
// permit each and a third waits; a holder killed gives its permit to the
// waiter (with ErrOwnerDied); once all three are killed both permits are
// back, and no more. For a BoundedSemaphore, a permit that another
// process released on a killed child's behalf is not given back a second
// time when the child dies.
func TestSemaphoreHolderKilled(t *testing.T) {
	t.Parallel()
	for _, bounded := range []bool{false, true} {
		kind := "unbounded"
		if bounded {
			kind = "bounded"
		}
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			eachTransport(t, func(t *testing.T, h *harness) {
				if h.tr.resume && !bounded {
					t.Skip("a dropped session's permits come back the same way for both kinds: TCPResume runs the bounded one only, to save its TTL waits")
				}
				semaphoreHolderKilled(t, h, kind)
			})
		})
	}
}

func semaphoreHolderKilled(t *testing.T, h *harness, kind string) {
	const name = "sem"
	a := h.start(roleSem, name, "2", kind)
	fa, _ := h.expect(a, "acquired").fence(t)
	b := h.start(roleSem, name, "2", kind)
	fb, _ := h.expect(b, "acquired").fence(t)
	c := h.start(roleSem, name, "2", kind)
	h.waiters(name, 1)

	h.mustKill(a)
	fc, died := h.expect(c, "acquired").fence(t)
	if !died {
		t.Errorf("permit given back by a killed holder: no ErrOwnerDied")
	}
	if fc <= max(fa, fb) {
		t.Errorf("fence %d after %d and %d: want larger", fc, fa, fb)
	}

	h.mustKill(b)
	h.mustKill(c)
	h.gone(b)
	h.gone(c)
	var s latchkey.Semaphore
	var err error
	if kind == "bounded" {
		s, err = h.c.BoundedSemaphore(t.Context(), name, 2)
	} else {
		s, err = h.c.Semaphore(t.Context(), name, 2)
	}
	if err != nil {
		t.Fatal(err)
	}
	if v := value(t, s); v != 2 {
		t.Fatalf("value %d once every holder was killed, want 2", v)
	}
	if n := h.count(name); n != 0 {
		t.Errorf("%d waiters left, want 0", n)
	}
	f1, err := s.TryAcquire(t.Context())
	if !errors.Is(err, latchkey.ErrOwnerDied) {
		t.Errorf("first TryAcquire after the holders were killed: %v, want ErrOwnerDied", err)
	}
	f2, err := s.TryAcquire(t.Context())
	if err != nil {
		t.Fatalf("second TryAcquire: %v", err)
	}
	if f1 <= fc || f2 <= f1 {
		t.Errorf("fences %d, %d after %d: want growing", f1, f2, fc)
	}
	if _, err := s.TryAcquire(t.Context()); !errors.Is(err, latchkey.ErrNoPermit) {
		t.Fatalf("third TryAcquire of a Semaphore(2): %v, want ErrNoPermit", err)
	}
	if err := s.Release(t.Context(), 2); err != nil {
		t.Fatal(err)
	}
	if kind != "bounded" {
		return
	}
	if err := s.Release(t.Context(), 1); !errors.Is(err, latchkey.ErrOverRelease) {
		t.Fatalf("Release past the bound: %v, want ErrOverRelease", err)
	}

	// A permit a child took and the parent gave back: the child's death
	// must not give it back again.
	d := h.start(roleSem, name, "2", kind)
	h.expect(d, "acquired")
	if err := s.Release(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	h.mustKill(d)
	h.gone(d)
	if v := value(t, s); v != 2 {
		t.Fatalf("value %d after a child whose permit was released for it died, want 2", v)
	}
	for range 2 {
		if _, err := s.TryAcquire(t.Context()); err != nil {
			t.Fatalf("TryAcquire: %v", err)
		}
	}
	if _, err := s.TryAcquire(t.Context()); !errors.Is(err, latchkey.ErrNoPermit) {
		t.Fatalf("third TryAcquire of a BoundedSemaphore(2): %v, want ErrNoPermit", err)
	}
}

func value(t *testing.T, s latchkey.Semaphore) int {
	t.Helper()
	v, err := s.Value(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return v
}
