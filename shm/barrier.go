package shm

import (
	"context"
	"fmt"
	"runtime"

	"github.com/latchkey/latchkey"
)

var _ latchkey.Barrier = (*Barrier)(nil)

// A Barrier's body, parameter, and waiter kinds. Each process's arrivals
// in the current cycle are counted in its process-table entry: procCount
// counts them in cycle procAux-1.
const (
	offBarCount   = offBody      // uint64: parties arrived in the current cycle
	offBarGen     = offBody + 8  // uint64: the current cycle's number
	offBarBroken  = offBody + 16 // uint64: 1 when broken
	offBarTripper = offBody + 24 // uint64: the process index running the action, 0 if none
	offBarLast    = offBody + 32 // uint64: how the previous cycle ended: barTripped or barBroke
	barBodySize   = 64

	barParamParties = 0
	barPartiesMax   = numSlots + 1 // every party but the last waits in a slot

	// slotArg: the kind of waiter, and a party's cycle.
	barArgParty = 1 // a party waiting for its cycle to end; its cycle is arg>>8
	barArgHeld  = 2 // an arrival waiting for an action to finish
	barArgKindM = 0xff
	barArgGenSh = 8

	// slotFence: how a party's cycle ended.
	barTripped = 1
	barBroke   = 2
)

// barrierCore is the shared state of a Barrier. Every change is made with
// the guard held.
type barrierCore struct{ r *region }

func (c barrierCore) parties() uint64 { return c.r.param(barParamParties) }

// endCycle ends the current cycle, tripped or broken, and starts the next,
// then releases the parties of the ended cycle and the held arrivals.
func (c barrierCore) endCycle(t *tx, broken bool) {
	last := uint64(barTripped)
	if broken {
		last = barBroke
	}
	t.set(offBarCount, 0)
	t.add(offBarGen, 1)
	t.set(offBarTripper, 0)
	t.set(offBarLast, last)
	t.commit()
	c.dispatch(t)
}

// breakIt breaks the barrier: the parties waiting in the current cycle
// are released with ErrBrokenBarrier, and so are later Waits until Reset.
// A cycle whose action runs is left to finish.
func (c barrierCore) breakIt(t *tx) {
	t.set(offBarBroken, 1)
	c.drop(t)
}

// drop ends the current cycle as broken if parties wait in it.
func (c barrierCore) drop(t *tx) {
	if t.get(offBarTripper) != 0 || t.get(offBarCount) == 0 {
		t.commit()
		return
	}
	c.endCycle(t, true)
}

// dispatch releases the parties of ended cycles with the way the last
// one ended, and the held arrivals if no action runs; a few per
// transaction. (Parties of a cycle before the last cannot still wait: a
// cycle ends only with every slot of its parties released, which a
// process that died halfway leaves to this call.)
func (c barrierCore) dispatch(t *tx) {
	gen, last := t.get(offBarGen), t.get(offBarLast)
	tripping := t.get(offBarTripper) != 0
	for i := range numSlots {
		if slotState(t.get(slotOff(i, slotCtl))) != slotWaiting {
			continue
		}
		arg := t.get(slotOff(i, slotArg))
		switch {
		case arg&barArgKindM == barArgParty && arg>>barArgGenSh != gen:
			t.fit(3)
			t.grant(i, last, false)
		case arg&barArgKindM == barArgHeld && !tripping:
			t.fit(3)
			t.grant(i, barTripped, false)
			t.wakeOverflow()
		}
	}
	t.commit()
}

// arrive counts an arrival of this process in the current cycle, and
// returns its index.
func (c barrierCore) arrive(t *tx) uint64 {
	me := c.r.me
	index := t.get(offBarCount)
	t.set(offBarCount, index+1)
	if cycle := t.get(offBarGen) + 1; t.get(procOff(me, procAux)) != cycle {
		t.set(procOff(me, procAux), cycle)
		t.set(procOff(me, procCount), 0)
	}
	t.add(procOff(me, procCount), 1)
	return index
}

// inCycle reports whether process idx has parties in the current cycle.
func (c barrierCore) inCycle(t *tx, idx uint64) bool {
	return t.get(procOff(idx, procAux)) == t.get(offBarGen)+1 && t.get(procOff(idx, procCount)) > 0
}

func (barrierCore) reapGrant(*tx, int, uint64) {}

// reapHolder breaks the barrier if the dead process had a party in the
// current cycle (it will never be released, so the cycle cannot trip) or
// was running the action (which counts as a failed action).
func (c barrierCore) reapHolder(t *tx, idx uint64) {
	switch {
	case t.get(offBarTripper) == idx:
		t.set(offBarBroken, 1)
		c.endCycle(t, true)
	case c.inCycle(t, idx) && t.get(offBarBroken) == 0:
		c.breakIt(t)
	}
}

func (c barrierCore) suspects(ids []uint64) []uint64 {
	r := c.r
	if p := r.u64(offBarTripper).Load(); p != 0 && p != r.me {
		ids = append(ids, p)
	}
	ids = r.grantedTo(ids)
	cycle := r.u64(offBarGen).Load() + 1
	for idx := uint64(1); idx <= maxProcs; idx++ {
		if idx != r.me && r.u64(procOff(idx, procAux)).Load() == cycle && r.u64(procOff(idx, procCount)).Load() > 0 {
			ids = append(ids, idx)
		}
	}
	return ids
}

// Barrier is a cyclic barrier in shared memory for a fixed number of
// parties, in any processes, with Python's threading.Barrier semantics
// (see [latchkey.Barrier]). Each call of [Manager.OpenBarrier] returns a
// handle with options of its own: the action that runs at a trip is the
// one of the handle of the last party to arrive, and it runs in that
// party's process.
//
// Wait blocks until all parties have called Wait, and returns the
// caller's arrival index in the cycle: 0 for the first, Parties()-1 for
// the last. The last party runs its handle's action, if any, before any
// party is released; if the action returns an error or panics (the panic
// is recovered) the barrier breaks, the last party gets the action's
// error wrapped with [latchkey.ErrBrokenBarrier], and the others get
// ErrBrokenBarrier.
//
// A Wait whose ctx ends while it waits, or whose handle's Timeout expires
// (applied when ctx has no earlier deadline), breaks the barrier: that
// call returns an error for which both errors.Is(err,
// latchkey.ErrBrokenBarrier) and errors.Is(err, ctx.Err()) hold, every
// other waiter gets ErrBrokenBarrier, and so does every later Wait until
// Reset. A Wait whose ctx is already done trips the barrier normally if
// it is the last party, and breaks it otherwise. A party released at the
// moment its ctx ended returns the cycle's outcome. Abort, Reset and the
// accessors do not block beyond a short internal critical section, and
// ignore their ctx.
//
// The barrier is cyclic: each trip starts a new cycle at once, with no
// draining phase. A party arriving while the last party of the current
// cycle runs the action waits until the action has finished; if its ctx
// ends meanwhile it breaks the barrier. An Abort, a Reset, or a Wait
// whose ctx ends while an action runs changes the barrier's state for
// later Waits, not the outcome of the cycle being tripped.
//
// Processes that die: a process found dead (blocked parties check every
// [Config].CheckInterval) that had a party waiting in the current cycle
// breaks the barrier, since that party will never come back, and one that
// died running the action breaks it as a failed action would. Python's
// multiprocessing.Barrier waits forever instead.
//
// A barrier has at most 65 parties: every party but the last waits in one
// of the object's 64 waiter slots.
//
// A Barrier handle is safe for concurrent use. A trip synchronizes before
// every Wait it releases returns, in whichever process; the action runs
// after every party of the cycle has arrived.
type Barrier struct {
	c    barrierCore
	opts latchkey.BarrierOptions
}

// Parties returns the number of parties needed to trip the barrier.
func (b *Barrier) Parties() int { return int(b.c.parties()) }

// Wait blocks until all parties have called Wait, and returns the
// caller's arrival index (0 for the first). On error it returns 0 and the
// error; see [Barrier] for which errors.
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	r := b.c.r
	defer runtime.KeepAlive(r)
	if b.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.opts.Timeout)
		defer cancel()
	}
	for {
		const (
			resNone = iota
			resIndex
			resAction
			resBroken
			resCtx
		)
		res, index := resNone, uint64(0)
		w, ok, err := r.queueWith(ctx, func(t *tx) (bool, uint64) {
			broken := t.get(offBarBroken) != 0
			switch {
			case t.get(offBarTripper) != 0 && !broken:
				if ctx.Err() != nil {
					b.c.breakIt(t)
					res = resCtx
					return true, 0
				}
				return false, barArgHeld
			case broken:
				res = resBroken
				return true, 0
			case t.get(offBarCount)+1 == b.c.parties():
				index = b.c.arrive(t)
				if b.opts.Action != nil {
					t.set(offBarTripper, r.me)
					res = resAction
				} else {
					b.c.endCycle(t, false)
					res = resIndex
				}
				return true, 0
			case ctx.Err() != nil:
				b.c.breakIt(t)
				res = resCtx
				return true, 0
			case !t.hasFreeSlot():
				// Arrive only with a slot to wait in.
				return false, barArgParty
			}
			index = b.c.arrive(t)
			return false, barArgParty | t.get(offBarGen)<<barArgGenSh
		})
		if err != nil {
			// The wait for a free slot ended: break the barrier, as a
			// party whose ctx ends does.
			r.lockGuard()
			b.c.breakIt(r.begin())
			r.unlockGuard()
			return 0, brokenBy(err)
		}
		if ok {
			switch res {
			case resIndex:
				return int(index), nil
			case resAction:
				return int(index), b.trip()
			case resBroken:
				return 0, latchkey.ErrBrokenBarrier
			}
			return 0, brokenBy(ctx.Err())
		}
		var arg uint64
		out, _, err := r.settle(ctx, w, func(t *tx, _ uint64, granted, lost bool) {
			arg = t.get(slotOff(w.slot, slotArg))
			if !granted && !lost {
				b.c.breakIt(t)
			}
		})
		switch {
		case err == errLost:
			return 0, err
		case err != nil:
			return 0, brokenBy(err)
		case arg&barArgKindM == barArgHeld:
			continue // the action finished: arrive now
		case out == barBroke:
			return 0, latchkey.ErrBrokenBarrier
		}
		return int(index), nil
	}
}

// trip runs the action of the cycle whose last party this call is, then
// releases the cycle's parties, or breaks the barrier if the action
// fails.
func (b *Barrier) trip() error {
	err := runAction(b.opts.Action)
	r := b.c.r
	r.lockGuard()
	defer r.unlockGuard()
	t := r.begin()
	if t.get(offBarTripper) != r.me {
		// Reaped as dead meanwhile, which broke the barrier.
		return latchkey.ErrBrokenBarrier
	}
	if err != nil {
		t.set(offBarBroken, 1)
		b.c.endCycle(t, true)
		return fmt.Errorf("%w: %w", latchkey.ErrBrokenBarrier, err)
	}
	b.c.endCycle(t, false)
	return nil
}

// runAction runs a barrier action and turns a panic into an error.
func runAction(action func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if e, ok := v.(error); ok {
				err = fmt.Errorf("shm: barrier action panicked: %w", e)
			} else {
				err = fmt.Errorf("shm: barrier action panicked: %v", v)
			}
		}
	}()
	return action()
}

// brokenBy returns the error of a Wait whose ctx ended.
func brokenBy(ctxErr error) error {
	return fmt.Errorf("%w: %w", latchkey.ErrBrokenBarrier, ctxErr)
}

// Abort breaks the barrier: current and later Waits return
// [latchkey.ErrBrokenBarrier] until Reset.
func (b *Barrier) Abort(context.Context) error {
	r := b.c.r
	defer runtime.KeepAlive(r)
	r.lockGuard()
	b.c.breakIt(r.begin())
	r.unlockGuard()
	return nil
}

// Reset returns the barrier to its initial state: the parties waiting in
// the current cycle get [latchkey.ErrBrokenBarrier], and the barrier is
// usable again at once.
func (b *Barrier) Reset(context.Context) error {
	r := b.c.r
	defer runtime.KeepAlive(r)
	r.lockGuard()
	t := r.begin()
	t.set(offBarBroken, 0)
	b.c.drop(t)
	r.unlockGuard()
	return nil
}

// Waiting returns the number of parties that have arrived in the current
// cycle (Python's n_waiting), or 0 when the barrier is broken. While the
// last party runs the action it is Parties().
func (b *Barrier) Waiting(context.Context) (int, error) {
	r := b.c.r
	defer runtime.KeepAlive(r)
	r.lockGuard()
	defer r.unlockGuard()
	if r.u64(offBarBroken).Load() != 0 {
		return 0, nil
	}
	return int(r.u64(offBarCount).Load()), nil
}

// Broken reports whether the barrier is broken.
func (b *Barrier) Broken(context.Context) (bool, error) {
	defer runtime.KeepAlive(b.c.r)
	return b.c.r.u64(offBarBroken).Load() != 0, nil
}

// Waiters returns the number of Wait calls blocked, in every process:
// parties waiting for their cycle to trip, and arrivals waiting for an
// action to finish or for a free slot (a snapshot).
func (b *Barrier) Waiters() int {
	defer runtime.KeepAlive(b.c.r)
	return b.c.r.waiters()
}

// Name returns the barrier's name.
func (b *Barrier) Name() string { return b.c.r.name }
