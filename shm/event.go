package shm

import (
	"context"
	"runtime"

	"github.com/latchkey/latchkey"
)

var _ latchkey.Event = (*Event)(nil)

// An Event's body.
const (
	offEvFlag  = offBody     // uint64: 1 when set
	offEvSets  = offBody + 8 // uint64: Sets that set the flag, ever
	evBodySize = 64
)

// eventCore is the shared state of an Event. Every change is made with
// the guard held.
type eventCore struct{ r *region }

// dispatch grants every waiter if the flag is set, a few per
// transaction: a Set that dies halfway leaves the rest to the next
// dispatch.
func (c eventCore) dispatch(t *tx) {
	if t.get(offEvFlag) == 0 {
		return
	}
	for {
		i, _ := t.oldest()
		if i < 0 {
			break
		}
		t.fit(3)
		t.grant(i, 0, false)
	}
	t.wakeOverflow()
	t.commit()
}

func (eventCore) reapGrant(*tx, int, uint64) {}
func (eventCore) reapHolder(*tx, uint64)     {}

// suspects are the processes woken and not awake yet, whose slots a
// death would leave taken.
func (c eventCore) suspects(ids []uint64) []uint64 { return c.r.grantedTo(ids) }

// Event is a flag in shared memory that goroutines of any process wait
// on, with Python's threading.Event semantics (see [latchkey.Event]).
// Opened, it is clear.
//
// Wait blocks until the flag is set or its ctx is done. A Wait whose ctx
// is already done returns ctx.Err() without looking at the flag (Python's
// wait(0) is IsSet); a Wait cancelled while blocked returns ctx.Err(),
// unless a Set woke it first. A Wait woken by Set returns nil even if a
// Clear ran before it resumed (gh-57711, which multiprocessing.Event still
// has). Set wakes every waiter in every process, each through its own
// doorbell; Set, Clear and IsSet do not block beyond a short internal
// critical section, and ignore their ctx.
//
// An Event needs no recovery: a process that dies while it waits leaves
// nothing behind once it is found dead, and one that dies in the middle
// of a Set leaves the flag set, the remaining waiters to be woken by the
// next call that looks.
//
// An Event handle is safe for concurrent use. A Set synchronizes before
// every Wait it wakes and every Wait or IsSet that observes the flag set,
// in whichever process.
type Event struct {
	c eventCore
}

// Set sets the flag and wakes every waiter. It is idempotent.
func (e *Event) Set(context.Context) error {
	r := e.c.r
	defer runtime.KeepAlive(r)
	r.lockGuard()
	t := r.begin()
	if t.get(offEvFlag) == 0 {
		t.set(offEvFlag, 1)
		t.add(offEvSets, 1)
		t.commit()
		e.c.dispatch(t)
	}
	r.unlockGuard()
	return nil
}

// Clear resets the flag. It is idempotent.
func (e *Event) Clear(context.Context) error {
	r := e.c.r
	defer runtime.KeepAlive(r)
	if r.u64(offEvFlag).Load() == 0 {
		return nil
	}
	r.lockGuard()
	t := r.begin()
	t.set(offEvFlag, 0)
	t.commit()
	r.unlockGuard()
	return nil
}

// IsSet reports whether the flag is set (a snapshot).
func (e *Event) IsSet(context.Context) (bool, error) {
	defer runtime.KeepAlive(e.c.r)
	return e.c.r.u64(offEvFlag).Load() != 0, nil
}

// Wait blocks until the flag is set or ctx is done. It returns nil when
// the flag was set on entry or a Set woke it, and ctx.Err() otherwise.
func (e *Event) Wait(ctx context.Context) error {
	r := e.c.r
	defer runtime.KeepAlive(r)
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.u64(offEvFlag).Load() != 0 {
		return nil
	}
	// A call waiting outside the queue for a slot may miss a Set
	// followed by a Clear: it compares the count of Sets too.
	sets, first := uint64(0), true
	w, ok, err := r.queue(ctx, 0, func(t *tx) bool {
		n := t.get(offEvSets)
		if first {
			sets, first = n, false
		}
		return t.get(offEvFlag) != 0 || n != sets
	})
	if err != nil || ok {
		return err
	}
	_, _, err = r.settle(ctx, w, nil)
	return err
}

// Waiters returns the number of Wait calls blocked on the event, in every
// process (a snapshot).
func (e *Event) Waiters() int {
	defer runtime.KeepAlive(e.c.r)
	return e.c.r.waiters()
}

// Name returns the event's name.
func (e *Event) Name() string { return e.c.r.name }
