package shm

import (
	"context"
	"runtime"
	"sync"

	"github.com/latchkey/latchkey"
)

var _ latchkey.RWLock = (*RWLock)(nil)

// An RWLock's body. Each process's read holds are counted in its
// process-table entry (procCount).
const (
	offRWReaders = offBody      // uint64: read holds, over all processes
	offRWWriter  = offBody + 8  // uint64: the write holder's process index, 0 if none
	offRWFence   = offBody + 16 // uint64: the latest grant's fence
	offRWDied    = offBody + 24 // uint64: 1 if the next grant reports ErrOwnerDied
	rwBodySize   = 64

	rwArgWrite = 1 // a waiter's slotArg: it asks for the write lock
)

// rwCore is the shared state of an RWLock. Every change is made with the
// guard held.
type rwCore struct{ r *region }

// fits reports whether a hold can be granted now, queue aside.
func (c rwCore) fits(t *tx, write bool) bool {
	return t.get(offRWWriter) == 0 && (!write || t.get(offRWReaders) == 0)
}

// take stages the grant of a hold to process idx, in slot i if i ≥ 0.
func (c rwCore) take(t *tx, idx uint64, write bool, i int) (fence uint64, died bool) {
	fence = t.get(offRWFence) + 1
	died = t.get(offRWDied) != 0
	t.set(offRWFence, fence)
	t.set(offRWDied, 0)
	if write {
		t.set(offRWWriter, idx)
	} else {
		t.add(offRWReaders, 1)
		t.add(procOff(idx, procCount), 1)
	}
	if i >= 0 {
		t.grant(i, fence, died)
	}
	return fence, died
}

// tryTake takes a hold for this process if nobody waits and the holds
// allow it.
func (c rwCore) tryTake(t *tx, write bool) (fence uint64, died, ok bool) {
	if t.get(offNWait) != 0 || !c.fits(t, write) {
		return 0, false, false
	}
	fence, died = c.take(t, c.r.me, write, -1)
	return fence, died, true
}

// dispatch grants the waiters at the head of the queue that the holds
// allow: readers up to the first writer, or that writer alone; one
// transaction each.
func (c rwCore) dispatch(t *tx) {
	for {
		i, _ := t.oldest()
		if i < 0 {
			return
		}
		write := t.get(slotOff(i, slotArg)) == rwArgWrite
		if !c.fits(t, write) {
			return
		}
		c.take(t, slotProc(t.get(slotOff(i, slotCtl))), write, i)
		t.wakeOverflow()
		t.commit()
	}
}

func (c rwCore) reapGrant(t *tx, i int, idx uint64) {
	// A hold granted and never claimed goes back, and no ErrOwnerDied:
	// nothing was done with it, unless the grant itself carried it.
	if t.get(slotOff(i, slotArg)) == rwArgWrite {
		if t.get(offRWWriter) == idx && t.get(offRWFence) == t.get(slotOff(i, slotFence)) {
			t.set(offRWWriter, 0)
		}
	} else if t.get(procOff(idx, procCount)) > 0 && t.get(offRWReaders) > 0 {
		t.add(procOff(idx, procCount), -1)
		t.add(offRWReaders, -1)
	}
	if t.get(slotOff(i, slotCtl))&slotDied != 0 {
		t.set(offRWDied, 1)
	}
}

func (c rwCore) reapHolder(t *tx, idx uint64) {
	n := t.get(procOff(idx, procCount))
	t.set(offRWReaders, t.get(offRWReaders)-min(n, t.get(offRWReaders)))
	t.set(procOff(idx, procCount), 0)
	if t.get(offRWWriter) == idx {
		// A writer that died may have left what it guards half
		// changed: the next grant says so. A reader changed nothing.
		t.set(offRWWriter, 0)
		t.set(offRWDied, 1)
	}
}

func (c rwCore) suspects(ids []uint64) []uint64 {
	r := c.r
	if w := r.u64(offRWWriter).Load(); w != 0 && w != r.me {
		ids = append(ids, w)
	}
	if r.u64(offRWReaders).Load() == 0 {
		return ids
	}
	for idx := uint64(1); idx <= maxProcs; idx++ {
		if idx != r.me && r.u64(procOff(idx, procCount)).Load() > 0 {
			ids = append(ids, idx)
		}
	}
	return ids
}

// RWLock is a readers–writer lock in shared memory (see
// [latchkey.RWLock]; Python has none): many readers or one writer, in any
// processes. Each call of [Manager.OpenRWLock] returns a new owner handle,
// and holds belong to the handle: Unlock by a handle that has no write
// hold, and RUnlock by one that has no read hold, return
// [latchkey.ErrNotHeld]. A handle may hold several read locks, each
// needing its RUnlock. The lock is not reentrant: a handle that holds it
// and asks for the write lock (or, while a writer waits, for another read
// lock) waits like anybody else. Every grant, read or write, carries a
// fencing token one greater than the previous grant's; the first is 1.
//
// Lock and RLock block until the hold is granted or ctx is done. A call
// whose ctx is already done returns ctx.Err() without trying; one
// cancelled while waiting returns ctx.Err() and leaves the lock as it was.
// TryLock, TryRLock, Unlock and RUnlock do not block beyond a short
// internal critical section, and ignore ctx.
//
// Fairness: one FIFO queue, across all processes, serves readers and
// writers in arrival order. The readers at the head of the queue are
// granted together, up to the first writer, which waits for every earlier
// hold to end; a queued writer blocks later readers, so writers are not
// starved. TryLock succeeds only when nobody holds or waits, TryRLock only
// when no writer holds and nobody waits.
//
// Processes that die: the read and write holds of a process found dead
// are given back (a blocked caller checks after waiting a
// [Config].CheckInterval; TryLock and TryRLock check when they fail). A
// write hold given back this way makes the next grant, read or write,
// return its fence with [latchkey.ErrOwnerDied]; read holds given back do
// not, since readers change nothing.
//
// An RWLock handle is safe for concurrent use. An Unlock synchronizes
// before the Lock or RLock it lets proceed, and an RUnlock before the Lock
// it lets proceed, in whichever process.
type RWLock struct {
	c rwCore

	mu    sync.Mutex // guards reads and write
	reads int        // this handle's read holds
	write bool       // this handle has the write hold
}

// acquire takes a hold for h, waiting if need be.
func (h *RWLock) acquire(ctx context.Context, write bool) (latchkey.Fence, error) {
	r := h.c.r
	defer runtime.KeepAlive(r)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var fence uint64
	var died bool
	arg := uint64(0)
	if write {
		arg = rwArgWrite
	}
	w, ok, err := r.queue(ctx, arg, func(t *tx) bool {
		var ok bool
		fence, died, ok = h.c.tryTake(t, write)
		return ok
	})
	if err == nil && !ok {
		fence, died, err = r.settle(ctx, w, func(t *tx, _ uint64, granted, lost bool) {
			if !granted && !lost {
				// A writer that leaves the head of the queue may let
				// the readers behind it in.
				t.commit()
				h.c.dispatch(t)
			}
		})
	}
	if err != nil {
		return 0, err
	}
	h.own(write)
	return grant(fence, died, nil)
}

// own records a hold granted to h.
func (h *RWLock) own(write bool) {
	h.mu.Lock()
	if write {
		h.write = true
	} else {
		h.reads++
	}
	h.mu.Unlock()
}

// try takes a hold for h if nobody waits and the holds allow it. If the
// holds of a process that died stand in the way (checked at most once per
// interval), it reaps that process and tries again.
func (h *RWLock) try(write bool) (latchkey.Fence, error) {
	r := h.c.r
	defer runtime.KeepAlive(r)
	fence, died, ok := r.tryTake(func(t *tx) (uint64, bool, bool) { return h.c.tryTake(t, write) })
	if !ok {
		return 0, latchkey.ErrLocked
	}
	h.own(write)
	return grant(fence, died, nil)
}

// release gives back one of h's holds, which h has already given up.
func (h *RWLock) release(write bool) error {
	r := h.c.r
	defer runtime.KeepAlive(r)
	r.lockGuard()
	defer r.unlockGuard()
	t := r.begin()
	if write {
		if t.get(offRWWriter) != r.me {
			return errLost
		}
		t.set(offRWWriter, 0)
	} else {
		if t.get(offRWReaders) == 0 || t.get(procOff(r.me, procCount)) == 0 {
			return errLost
		}
		t.add(offRWReaders, -1)
		t.add(procOff(r.me, procCount), -1)
	}
	t.commit()
	h.c.dispatch(t)
	return nil
}

// Lock blocks until this handle holds the write lock or ctx is done, and
// returns the grant's fencing token (with ErrOwnerDied if a writer died
// holding the lock since the last grant).
func (h *RWLock) Lock(ctx context.Context) (latchkey.Fence, error) {
	return h.acquire(ctx, true)
}

// RLock blocks until this handle holds a read lock or ctx is done, and
// returns the grant's fencing token (with ErrOwnerDied as for Lock).
func (h *RWLock) RLock(ctx context.Context) (latchkey.Fence, error) {
	return h.acquire(ctx, false)
}

// TryLock takes the write lock if nobody holds or waits for the lock, and
// returns [latchkey.ErrLocked] otherwise.
func (h *RWLock) TryLock(context.Context) (latchkey.Fence, error) { return h.try(true) }

// TryRLock takes a read lock if no writer holds the lock and nobody waits,
// and returns [latchkey.ErrLocked] otherwise.
func (h *RWLock) TryRLock(context.Context) (latchkey.Fence, error) { return h.try(false) }

// Unlock releases this handle's write hold, granting the lock to the
// waiters at the head of the queue, or returns [latchkey.ErrNotHeld] if
// the handle has none.
func (h *RWLock) Unlock(context.Context) error {
	h.mu.Lock()
	if !h.write {
		h.mu.Unlock()
		return latchkey.ErrNotHeld
	}
	h.write = false
	h.mu.Unlock()
	return h.release(true)
}

// RUnlock releases one of this handle's read holds, or returns
// [latchkey.ErrNotHeld] if the handle has none.
func (h *RWLock) RUnlock(context.Context) error {
	h.mu.Lock()
	if h.reads == 0 {
		h.mu.Unlock()
		return latchkey.ErrNotHeld
	}
	h.reads--
	h.mu.Unlock()
	return h.release(false)
}

// Readers returns the number of read holds, over all handles in all
// processes (a snapshot).
func (h *RWLock) Readers() int {
	defer runtime.KeepAlive(h.c.r)
	return int(h.c.r.u64(offRWReaders).Load())
}

// Waiters returns the number of Lock and RLock calls blocked on the lock,
// in every process (a snapshot).
func (h *RWLock) Waiters() int {
	defer runtime.KeepAlive(h.c.r)
	return h.c.r.waiters()
}

// Name returns the lock's name.
func (h *RWLock) Name() string { return h.c.r.name }
