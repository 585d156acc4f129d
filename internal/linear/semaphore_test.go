package linear

import (
	"context"
	"fmt"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/latchkey/latchkey"
)

type semOp uint8

const (
	semAcquire semOp = iota
	semTry
	semRelease
	semValue
)

// semInput is a call by worker w on the semaphore obj, which starts with
// initial permits and is bounded or not.
type semInput struct {
	Obj     string
	Bounded bool
	Initial int64
	Op      semOp
	N       int64 // Release's count
	W       int
}

func (in semInput) String() string {
	switch in.Op {
	case semRelease:
		return fmt.Sprintf("%s.Release(%d)", in.Obj, in.N)
	}
	return in.Obj + "." + [...]string{"Acquire", "TryAcquire", "", "Value"}[in.Op] + "()"
}

// semState is one semaphore: its free permits and its latest grant's
// fence. started is false until the first operation of the partition
// sets the initial value (Init cannot know which semaphore it is for).
type semState struct {
	started bool
	permits int64
	fence   uint64
}

// semModel is latchkey.Semaphore, bounded or not, partitioned by object.
// Permits have no owner; a bounded semaphore refuses a Release past its
// initial value with ErrOverRelease. Each permit granted has the next
// fence of its semaphore.
func semModel() porcupine.Model {
	return porcupine.Model{
		Partition: partitionBy(func(in any) string { return in.(semInput).Obj }),
		Init:      func() any { return semState{} },
		Step: func(st, in, out any) (bool, any) {
			return semStep(st.(semState), in.(semInput), out.(output))
		},
		DescribeOperation: func(in, out any) string {
			o := out.(output)
			res := ""
			switch in.(semInput).Op {
			case semAcquire, semTry:
				res = fmt.Sprintf("fence %d", o.N)
			case semValue:
				res = fmt.Sprint(o.N)
			}
			return fmt.Sprintf("%v → %s", in, o.describe(res))
		},
		DescribeState: func(st any) string {
			s := st.(semState)
			return fmt.Sprintf("%d free (fence %d)", s.permits, s.fence)
		},
	}
}

func semStep(s semState, in semInput, out output) (bool, semState) {
	if !s.started {
		s = semState{started: true, permits: in.Initial}
	}
	if out.St == stCanceled {
		return true, s
	}
	switch in.Op {
	case semAcquire, semTry:
		switch {
		case out.St == stOK:
			return s.permits > 0 && uint64(out.N) == s.fence+1, semState{true, s.permits - 1, uint64(out.N)}
		case out.St == stUnknown:
			if s.permits > 0 {
				return true, semState{true, s.permits - 1, s.fence + 1}
			}
			return true, s
		case in.Op == semTry && out.Kind == latchkey.KindNoPermit:
			return s.permits == 0, s
		}
	case semRelease:
		fits := !in.Bounded || s.permits+in.N <= in.Initial
		switch {
		case out.St == stOK:
			return fits, semState{true, s.permits + in.N, s.fence}
		case out.St == stUnknown:
			if fits {
				return true, semState{true, s.permits + in.N, s.fence}
			}
			return true, s
		case out.Kind == latchkey.KindOverRelease:
			return !fits, s
		}
	case semValue:
		return out.St == stUnknown || out.St == stOK && out.N == s.permits, s
	}
	return false, s
}

// semWorkload: two semaphores of 2 permits, one bounded and one not. A
// worker acquires (waiting a few milliseconds at most), tries, reads the
// value, and releases what it holds, one or two permits at a time; now
// and then it releases a permit of the bounded semaphore that it does
// not hold, which over-releases it when every permit is free.
func semWorkload(w *worker) (func(), error) {
	type sem struct {
		s    latchkey.Semaphore
		in   semInput
		held int64
	}
	b, err := w.c.BoundedSemaphore(w.ctx, "sem.bounded", 2)
	if err != nil {
		return nil, err
	}
	u, err := w.c.Semaphore(w.ctx, "sem.unbounded", 2)
	if err != nil {
		return nil, err
	}
	sems := []*sem{
		{s: b, in: semInput{Obj: "b", Bounded: true, Initial: 2, W: w.id}},
		{s: u, in: semInput{Obj: "u", Initial: 2, W: w.id}},
	}
	return func() {
		s := sems[w.rng.IntN(2)]
		in := s.in
		r := w.rng.IntN(100)
		switch {
		case s.held > 0 && r < 45, s.in.Bounded && r < 4:
			in.Op, in.N = semRelease, 1
			if s.held > 1 && r < 10 {
				in.N = 2
			}
			w.do(in, 0, func(ctx context.Context) (output, error) { return output{}, s.s.Release(ctx, int(in.N)) })
			s.held = max(0, s.held-in.N)
		case r < 60:
			in.Op = semValue
			w.do(in, 0, func(ctx context.Context) (output, error) {
				n, err := s.s.Value(ctx)
				return output{N: int64(n)}, err
			})
		case r < 80:
			in.Op = semTry
			if out := w.do(in, 0, fenced(s.s.TryAcquire)); out.St == stOK {
				s.held++
			}
		default:
			in.Op = semAcquire
			if out := w.do(in, w.blockFor(), fenced(s.s.Acquire)); out.St == stOK {
				s.held++
			}
		}
	}, nil
}

// TestSemaphore checks histories of a bounded and an unbounded semaphore
// shared by eight workers.
func TestSemaphore(t *testing.T) { forVariants(t, "semaphore", semWorkload) }

// TestSemaphoreModel: the semaphore model refuses histories that hand out
// more permits than there are, accept a bounded over-release, or get a
// fence or a value wrong, and accepts overlapping and unknown outcomes
// that have a linearization.
func TestSemaphoreModel(t *testing.T) {
	in := func(obj string, op semOp, n int64, w int) semInput {
		return semInput{Obj: obj, Bounded: obj == "b", Initial: 1, Op: op, N: n, W: w}
	}
	bad := map[string][]porcupine.Operation{
		"more permits than there are": {
			op(0, 0, 10, in("b", semAcquire, 0, 0), nOut(1)),
			op(1, 20, 30, in("b", semTry, 0, 1), nOut(2)),
		},
		"bounded over-release accepted": {
			op(0, 0, 10, in("b", semRelease, 1, 0), okOut),
		},
		"over-release refused with a permit taken": {
			op(0, 0, 10, in("b", semAcquire, 0, 0), nOut(1)),
			op(1, 20, 30, in("b", semRelease, 1, 1), errOut(latchkey.KindOverRelease)),
		},
		"fence went back": {
			op(0, 0, 10, in("u", semAcquire, 0, 0), nOut(1)),
			op(0, 20, 30, in("u", semRelease, 1, 0), okOut),
			op(1, 40, 50, in("u", semAcquire, 0, 1), nOut(1)),
		},
		"no permit while one is free": {
			op(0, 0, 10, in("u", semTry, 0, 0), errOut(latchkey.KindNoPermit)),
		},
		"wrong value": {
			op(0, 0, 10, in("u", semRelease, 2, 0), okOut),
			op(1, 20, 30, in("u", semValue, 0, 1), nOut(2)),
		},
		"one bad partition": {
			op(0, 0, 10, in("u", semAcquire, 0, 0), nOut(1)),
			op(1, 0, 10, in("b", semAcquire, 0, 1), nOut(1)),
			op(2, 20, 30, in("b", semValue, 0, 2), nOut(1)),
		},
	}
	good := map[string][]porcupine.Operation{
		"unbounded grows": {
			op(0, 0, 10, in("u", semRelease, 2, 0), okOut),
			op(1, 20, 30, in("u", semValue, 0, 1), nOut(3)),
		},
		"a release lets a waiter in": {
			op(0, 0, 10, in("b", semAcquire, 0, 0), nOut(1)),
			op(1, 5, 100, in("b", semAcquire, 0, 1), nOut(2)),
			op(0, 50, 60, in("b", semRelease, 1, 0), okOut),
			op(2, 110, 120, in("b", semValue, 0, 2), nOut(0)),
		},
		"an unknown acquire that took the permit": {
			op(0, 0, -1, in("b", semAcquire, 0, 0), unknownOut),
			op(1, 10, 20, in("b", semTry, 0, 1), errOut(latchkey.KindNoPermit)),
		},
		"partitions are independent": {
			op(0, 0, 10, in("u", semAcquire, 0, 0), nOut(1)),
			op(1, 0, 10, in("b", semAcquire, 0, 1), nOut(1)),
		},
	}
	selfTest(t, semModel(), bad, good)
}
