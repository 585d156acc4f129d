package linear

import (
	"context"
	"fmt"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/latchkey/latchkey"
)

type lockOp uint8

const (
	lockLock lockOp = iota
	lockTry
	lockUnlock
	lockLocked
)

// lockInput is a call on the lock by worker w.
type lockInput struct {
	Op lockOp
	W  int
}

func (in lockInput) String() string {
	return [...]string{"Lock", "TryLock", "Unlock", "Locked"}[in.Op] + "()"
}

// lockState is the lock: who holds it, and the latest grant's fence.
type lockState struct {
	holder int // a worker, or -1 when free
	fence  uint64
}

// lockModel is a latchkey.Lock on which only the worker that took the
// lock unlocks it (the workload keeps to that, so the model checks mutual
// exclusion too). Every grant's fence is the previous one plus one: the
// server's counters continue exactly under SyncAlways, across restarts,
// and start at 1 under SyncNone (docs/operations.md).
func lockModel() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return lockState{holder: -1} },
		Step: func(st, in, out any) (bool, any) {
			return lockStep(st.(lockState), in.(lockInput), out.(output))
		},
		DescribeOperation: func(in, out any) string {
			o := out.(output)
			res := ""
			switch in.(lockInput).Op {
			case lockLock, lockTry:
				res = fmt.Sprintf("fence %d", o.N)
			case lockLocked:
				res = fmt.Sprint(o.B)
			}
			return fmt.Sprintf("%v → %s", in, o.describe(res))
		},
		DescribeState: func(st any) string {
			s := st.(lockState)
			if s.holder < 0 {
				return fmt.Sprintf("free (fence %d)", s.fence)
			}
			return fmt.Sprintf("held by w%d (fence %d)", s.holder, s.fence)
		},
	}
}

func lockStep(s lockState, in lockInput, out output) (bool, lockState) {
	if out.St == stCanceled {
		return true, s // no effect
	}
	free := s.holder < 0
	switch in.Op {
	case lockLock, lockTry:
		switch {
		case out.St == stOK:
			return free && uint64(out.N) == s.fence+1, lockState{in.W, uint64(out.N)}
		case out.St == stUnknown:
			if free {
				return true, lockState{in.W, s.fence + 1}
			}
			return true, s
		case in.Op == lockTry && out.Kind == latchkey.KindLocked:
			return !free, s
		}
	case lockUnlock:
		switch {
		case out.St == stOK:
			return s.holder == in.W, lockState{-1, s.fence}
		case out.St == stUnknown:
			if s.holder == in.W {
				return true, lockState{-1, s.fence}
			}
			return true, s
		case out.Kind == latchkey.KindNotHeld:
			return free, s
		}
	case lockLocked:
		return out.St == stUnknown || out.St == stOK && out.B == !free, s
	}
	return false, s
}

// lockWorkload: a worker that does not hold the lock locks it (waiting a
// few milliseconds at most), tries it, or asks whether it is locked; one
// that holds it mostly unlocks it, and sometimes tries it again or locks
// it again (which must time out: the lock is not reentrant).
func lockWorkload(w *worker) (func(), error) {
	l, err := w.c.Lock(w.ctx, "lock")
	if err != nil {
		return nil, err
	}
	holding := false
	in := func(op lockOp) lockInput { return lockInput{op, w.id} }
	return func() {
		r := w.rng.IntN(100)
		switch {
		case holding && r < 65:
			w.do(in(lockUnlock), 0, func(ctx context.Context) (output, error) { return output{}, l.Unlock(ctx) })
			holding = false
		case holding && r < 80, !holding && r < 15:
			w.do(in(lockLocked), 0, func(ctx context.Context) (output, error) {
				b, err := l.Locked(ctx)
				return output{B: b}, err
			})
		case holding && r < 95, !holding && r < 45:
			if out := w.do(in(lockTry), 0, fenced(l.TryLock)); out.St == stOK {
				holding = true
			}
		default:
			if out := w.do(in(lockLock), w.blockFor(), fenced(l.Lock)); out.St == stOK {
				holding = true
			}
		}
	}, nil
}

// TestLock checks histories of a Lock contended by eight workers.
func TestLock(t *testing.T) { forVariants(t, "lock", lockWorkload) }

// TestLockModel: the lock model refuses histories that break mutual
// exclusion, fencing or TryLock's answers, and accepts overlapping and
// unknown outcomes that have a linearization.
func TestLockModel(t *testing.T) {
	lock := func(w int) lockInput { return lockInput{lockLock, w} }
	try := func(w int) lockInput { return lockInput{lockTry, w} }
	unlock := func(w int) lockInput { return lockInput{lockUnlock, w} }
	locked := func(w int) lockInput { return lockInput{lockLocked, w} }
	bad := map[string][]porcupine.Operation{
		"two holders": {
			op(0, 0, 10, lock(0), nOut(1)),
			op(1, 20, 30, lock(1), nOut(2)),
		},
		"fence reused": {
			op(0, 0, 10, lock(0), nOut(1)),
			op(0, 20, 30, unlock(0), okOut),
			op(1, 40, 50, lock(1), nOut(1)),
		},
		"fence skipped": {
			op(0, 0, 10, lock(0), nOut(1)),
			op(0, 20, 30, unlock(0), okOut),
			op(1, 40, 50, lock(1), nOut(3)),
		},
		"TryLock refused on a free lock": {
			op(0, 0, 10, try(0), errOut(latchkey.KindLocked)),
		},
		"Locked is false while held": {
			op(0, 0, 10, lock(0), nOut(1)),
			op(1, 20, 30, locked(1), bOut(false)),
		},
		"a canceled Lock took the lock": {
			op(0, 0, 10, lock(0), canceledOut),
			op(1, 20, 30, try(1), errOut(latchkey.KindLocked)),
		},
		"Unlock by a worker that does not hold it": {
			op(0, 0, 10, lock(0), nOut(1)),
			op(1, 20, 30, unlock(1), okOut),
		},
		"Unlock of a free lock succeeded": {
			op(0, 0, 10, unlock(0), okOut),
		},
	}
	good := map[string][]porcupine.Operation{
		"overlapping handover": {
			op(0, 0, 100, lock(0), nOut(1)),
			op(1, 10, 200, lock(1), nOut(2)),
			op(0, 50, 150, unlock(0), okOut),
			op(2, 160, 170, locked(2), bOut(true)),
		},
		"an unknown Lock that took the lock": {
			op(0, 0, -1, lock(0), unknownOut),
			op(1, 10, 20, try(1), errOut(latchkey.KindLocked)),
		},
		"an unknown Lock that did not": {
			op(0, 0, -1, lock(0), unknownOut),
			op(1, 10, 20, lock(1), nOut(1)),
			op(1, 30, 40, unlock(1), okOut),
			op(2, 50, 60, locked(2), bOut(false)),
		},
		"Unlock of a free lock refused": {
			op(0, 0, 10, unlock(0), errOut(latchkey.KindNotHeld)),
		},
	}
	selfTest(t, lockModel(), bad, good)
}
