package shm

import (
	"context"
	"math"
	"runtime"

	"github.com/latchkey/latchkey"
)

var _ latchkey.Semaphore = (*Semaphore)(nil)

// A semaphore's body, and its parameters.
const (
	offSemValue = offBody      // uint64: free permits
	offSemFence = offBody + 8  // uint64: the latest grant's fence
	offSemDied  = offBody + 16 // uint64: 1 if the next grant reports ErrOwnerDied
	semBodySize = 64

	semParamValue   = 0 // the initial value
	semParamBounded = 1 // 1 for a BoundedSemaphore
	semValueMax     = math.MaxInt32
)

// semCore is the shared state of a semaphore. Every change is made with
// the guard held. Each process's net count of permits (taken minus
// released by it, never below 0) is kept in its process-table entry, and
// given back when the process is found dead.
type semCore struct{ r *region }

func (c semCore) initial() int64 { return int64(c.r.param(semParamValue)) }
func (c semCore) bounded() bool  { return c.r.param(semParamBounded) != 0 }

// take stages the grant of a permit to process idx, in slot i if i ≥ 0.
func (c semCore) take(t *tx, idx uint64, i int) (fence uint64, died bool) {
	fence = t.get(offSemFence) + 1
	died = t.get(offSemDied) != 0
	t.add(offSemValue, -1)
	t.set(offSemFence, fence)
	t.set(offSemDied, 0)
	t.add(procOff(idx, procCount), 1)
	if i >= 0 {
		t.grant(i, fence, died)
	}
	return fence, died
}

// tryTake takes a permit for this process if one is free and nobody
// waits.
func (c semCore) tryTake(t *tx) (fence uint64, died, ok bool) {
	if t.get(offSemValue) == 0 || t.get(offNWait) != 0 {
		return 0, false, false
	}
	fence, died = c.take(t, c.r.me, -1)
	return fence, died, true
}

// dispatch grants free permits to the oldest waiters, one transaction
// each.
func (c semCore) dispatch(t *tx) {
	for t.get(offSemValue) > 0 && t.get(offNWait) > 0 {
		i, _ := t.oldest()
		if i < 0 {
			return
		}
		c.take(t, slotProc(t.get(slotOff(i, slotCtl))), i)
		t.commit()
	}
}

func (c semCore) reapGrant(t *tx, i int, idx uint64) {
	// A permit granted and never claimed goes back, and no
	// ErrOwnerDied: nothing was done with it.
	if t.get(procOff(idx, procCount)) > 0 {
		t.add(procOff(idx, procCount), -1)
	}
	t.add(offSemValue, 1)
	if t.get(slotOff(i, slotCtl))&slotDied != 0 {
		t.set(offSemDied, 1)
	}
}

func (c semCore) reapHolder(t *tx, idx uint64) {
	n := int64(t.get(procOff(idx, procCount)))
	v := int64(t.get(offSemValue))
	if c.bounded() {
		n = min(n, c.initial()-v)
	}
	n = min(n, semValueMax-v)
	if n > 0 {
		t.set(offSemValue, uint64(v+n))
		t.set(offSemDied, 1)
	}
	t.set(procOff(idx, procCount), 0)
}

func (c semCore) suspects(ids []uint64) []uint64 {
	if c.r.u64(offSemValue).Load() != 0 {
		return ids
	}
	for idx := uint64(1); idx <= maxProcs; idx++ {
		if idx != c.r.me && c.r.u64(procOff(idx, procCount)).Load() > 0 {
			ids = append(ids, idx)
		}
	}
	return ids
}

// Semaphore is a counting semaphore in shared memory with Python's
// multiprocessing.Semaphore and BoundedSemaphore semantics (see
// [latchkey.Semaphore]). Permits have no owner: any handle in any process
// may release. A bounded semaphore refuses to be released past its initial
// value with [latchkey.ErrOverRelease], changing nothing. The value never
// exceeds 2³¹−1 (Python's SEM_VALUE_MAX): a Release past it returns
// [latchkey.ErrInvalid].
//
// Each process's net count of permits (taken minus released by that
// process, never below 0) is recorded in the semaphore; when a process is
// found dead its count goes back to the semaphore (for a bounded one, no
// more than fits under its initial value), and the next grant comes with
// [latchkey.ErrOwnerDied]. Blocked callers find dead holders after
// waiting a [Config].CheckInterval; TryAcquire looks when it finds no
// permit.
//
// Acquire blocks until a permit is granted or ctx is done; a cancelled
// Acquire returns ctx.Err() and takes no permit. Blocked callers are
// served in arrival order, and a TryAcquire never overtakes one. Every
// grant carries a fencing token one greater than the previous grant's.
//
// A Semaphore handle is safe for concurrent use. A Release synchronizes
// before the Acquire it lets proceed.
type Semaphore struct {
	c semCore
}

// Acquire blocks until a permit is taken or ctx is done, and returns the
// permit's fencing token (with ErrOwnerDied if a dead process's permits
// were given back since the last grant).
func (s *Semaphore) Acquire(ctx context.Context) (latchkey.Fence, error) {
	r := s.c.r
	defer runtime.KeepAlive(r)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var fence uint64
	var died bool
	w, ok, err := r.queue(ctx, 0, func(t *tx) bool {
		var ok bool
		fence, died, ok = s.c.tryTake(t)
		return ok
	})
	if err != nil || ok {
		return grant(fence, died, err)
	}
	return grant(r.settle(ctx, w, nil))
}

// TryAcquire takes a permit if one is free and nobody waits, and returns
// [latchkey.ErrNoPermit] otherwise.
func (s *Semaphore) TryAcquire(context.Context) (latchkey.Fence, error) {
	r := s.c.r
	defer runtime.KeepAlive(r)
	fence, died, ok := r.tryTake(s.c.tryTake)
	if !ok {
		return 0, latchkey.ErrNoPermit
	}
	return grant(fence, died, nil)
}

// Release returns n permits (n ≥ 1, else [latchkey.ErrInvalid]), all or
// nothing, and grants them to the oldest waiters.
func (s *Semaphore) Release(_ context.Context, n int) error {
	r := s.c.r
	defer runtime.KeepAlive(r)
	if n < 1 {
		return latchkey.Errorf(latchkey.KindInvalid, "shm: semaphore release of %d permits, must be one or more", n)
	}
	r.lockGuard()
	defer r.unlockGuard()
	t := r.begin()
	v := int64(t.get(offSemValue))
	switch {
	case s.c.bounded() && int64(n) > s.c.initial()-v:
		return latchkey.ErrOverRelease
	case int64(n) > semValueMax-v:
		return latchkey.Errorf(latchkey.KindInvalid, "shm: semaphore value would pass %d", semValueMax)
	}
	t.set(offSemValue, uint64(v+int64(n)))
	own := t.get(procOff(r.me, procCount))
	t.set(procOff(r.me, procCount), own-min(own, uint64(n)))
	t.commit()
	s.c.dispatch(t)
	return nil
}

// Value returns the number of free permits (a snapshot).
func (s *Semaphore) Value(context.Context) (int, error) {
	defer runtime.KeepAlive(s.c.r)
	return int(s.c.r.u64(offSemValue).Load()), nil
}

// Waiters returns the number of calls blocked on the semaphore, in every
// process (a snapshot).
func (s *Semaphore) Waiters() int {
	defer runtime.KeepAlive(s.c.r)
	return s.c.r.waiters()
}

// Bounded reports whether s is a BoundedSemaphore.
func (s *Semaphore) Bounded() bool { return s.c.bounded() }

// Name returns the semaphore's name.
func (s *Semaphore) Name() string { return s.c.r.name }
