package conformance

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey"
)

var barrierTests = []test{
	{"Constructor", "lock_tests.BarrierTests.test_constructor", barrierConstructor},
	{"Barrier", "lock_tests.BarrierTests.test_barrier, _TestBarrier.test_barrier", barrierOnce},
	{"Barrier10", "lock_tests.BarrierTests.test_barrier_10, _TestBarrier.test_barrier_10", barrierTen},
	{"WaitReturn", "lock_tests.BarrierTests.test_wait_return, _TestBarrier.test_wait_return", barrierWaitReturn},
	{"Action", "lock_tests.BarrierTests.test_action, _TestBarrier.test_action", barrierAction},
	{"Abort", "lock_tests.BarrierTests.test_abort, _TestBarrier.test_abort", barrierAbort},
	{"Reset", "lock_tests.BarrierTests.test_reset, _TestBarrier.test_reset", barrierReset},
	{"AbortAndReset", "lock_tests.BarrierTests.test_abort_and_reset, _TestBarrier.test_abort_and_reset", barrierAbortAndReset},
	{"Timeout", "lock_tests.BarrierTests.test_timeout, _TestBarrier.test_timeout", barrierTimeout},
	{"DefaultTimeout", "lock_tests.BarrierTests.test_default_timeout", barrierDefaultTimeout},
	{"DefaultTimeoutLate", "_TestBarrier.test_default_timeout", barrierDefaultTimeoutLate},
	{"SingleParty", "lock_tests.BarrierTests.test_single_thread, _TestBarrier.test_single_thread", barrierSingleParty},
	{"Waiting", "lock_tests.BarrierTests.test_repr (state only)", barrierWaiting},
	{"Thousand", "_TestBarrier.test_thousand", barrierThousand},
	{"OtherHandle", "TestSyncManagerTypes.test_barrier", barrierOtherHandle},
	{"ArrivalOrder", "", barrierArrivalOrder},
	{"ActionError", "", barrierActionError},
	{"ActionPanic", "", barrierActionPanic},
	{"Cancel", "", barrierCancel},
	{"OpenMismatch", "", barrierOpenMismatch},
}

const (
	barName    = "bar"
	barParties = 5 // Python's N
)

// barrierParties opens n handles of the barrier and runs f in a goroutine
// for each, with the party's number.
func barrierParties(t *testing.T, e *Env, g *lkGroup, name string, n int, opts *latchkey.BarrierOptions, f func(i int, b latchkey.Barrier)) {
	t.Helper()
	for i := range n {
		b := lkBarrier(t, e, name, n, opts)
		g.Go(func() { f(i, b) })
	}
}

func barrierBroken(t testing.TB, b latchkey.Barrier) bool {
	t.Helper()
	v, err := b.Broken(t.Context())
	must(t, err)
	return v
}

func barrierWaitingN(t testing.TB, b latchkey.Barrier) int {
	t.Helper()
	n, err := b.Waiting(t.Context())
	must(t, err)
	return n
}

// barrierIdle fails the test unless b is neither broken nor waited on.
func barrierIdle(t testing.TB, b latchkey.Barrier) {
	t.Helper()
	if barrierBroken(t, b) {
		t.Fatal("barrier is broken")
	}
	if n := barrierWaitingN(t, b); n != 0 {
		t.Fatalf("Waiting = %d, want 0", n)
	}
}

func barrierConstructor(t *testing.T, e *Env) {
	for _, n := range []int{0, -1} {
		_, err := e.M.Barrier(t.Context(), barName, n, nil)
		lkWantErr(t, "Barrier of no parties", err, latchkey.ErrInvalid)
	}
	b := lkBarrier(t, e, barName, 3, nil)
	if n := b.Parties(); n != 3 {
		t.Fatalf("Parties = %d, want 3", n)
	}
	barrierIdle(t, b)
}

// barrierMultipass: five parties pass the barrier in lock-step, twice per
// pass: what each did before a Wait is visible to all after it.
func barrierMultipass(t *testing.T, e *Env, passes int) {
	var before, after atomic.Int64
	g := lkStart(t)
	defer g.Stop()
	barrierParties(t, e, g, barName, barParties, nil, func(_ int, b latchkey.Barrier) {
		if n := b.Parties(); n != barParties {
			t.Errorf("Parties = %d", n)
		}
		for p := range int64(passes) {
			before.Add(1)
			if n := after.Load(); n != p*barParties {
				t.Errorf("pass %d: %d parties past the second Wait, want %d", p, n, p*barParties)
			}
			if _, err := b.Wait(g.ctx); err != nil {
				t.Error(err)
				return
			}
			after.Add(1)
			if n := before.Load(); n != (p+1)*barParties {
				t.Errorf("pass %d: %d parties past the start, want %d", p, n, (p+1)*barParties)
			}
			if _, err := b.Wait(g.ctx); err != nil {
				t.Error(err)
				return
			}
		}
	})
	g.Join(t, e)
	barrierIdle(t, lkBarrier(t, e, barName, barParties, nil))
}

func barrierOnce(t *testing.T, e *Env) { barrierMultipass(t, e, 1) }
func barrierTen(t *testing.T, e *Env)  { barrierMultipass(t, e, 10) }

// barrierWaitReturn: the parties' indices are 0 to N-1, each once.
func barrierWaitReturn(t *testing.T, e *Env) {
	g := lkStart(t)
	defer g.Stop()
	res := make(chan int, barParties)
	barrierParties(t, e, g, barName, barParties, nil, func(_ int, b latchkey.Barrier) {
		i, err := b.Wait(g.ctx)
		if err != nil {
			t.Error(err)
			i = -1
		}
		res <- i
	})
	got := lkRecvN(t, e, res, barParties)
	g.Join(t, e)
	slices.Sort(got)
	for i, v := range got {
		if v != i {
			t.Fatalf("indices %v, want 0 to %d", got, barParties-1)
		}
	}
}

// barrierAction: the action runs once per trip, before any party leaves.
func barrierAction(t *testing.T, e *Env) {
	var runs atomic.Int32
	opts := &latchkey.BarrierOptions{Action: func() error {
		runs.Add(1)
		return nil
	}}
	g := lkStart(t)
	defer g.Stop()
	barrierParties(t, e, g, barName, barParties, opts, func(_ int, b latchkey.Barrier) {
		for p := range int32(2) {
			if _, err := b.Wait(g.ctx); err != nil {
				t.Error(err)
				return
			}
			if n := runs.Load(); n != p+1 {
				t.Errorf("after trip %d the action ran %d times", p+1, n)
			}
		}
	})
	g.Join(t, e)
	if n := runs.Load(); n != 2 {
		t.Fatalf("action ran %d times in 2 trips", n)
	}
}

// barrierAbort: the party with index N/2 aborts instead of waiting again;
// the others' second Wait fails; the barrier stays broken.
func barrierAbort(t *testing.T, e *Env) {
	var passed, broken atomic.Int32
	g := lkStart(t)
	defer g.Stop()
	barrierParties(t, e, g, barName, barParties, nil, func(_ int, b latchkey.Barrier) {
		i, err := b.Wait(g.ctx)
		if err != nil {
			t.Error(err)
			return
		}
		if i == barParties/2 {
			if err := b.Abort(g.ctx); err != nil {
				t.Error(err)
			}
			return
		}
		_, err = b.Wait(g.ctx)
		switch {
		case err == nil:
			passed.Add(1)
		case errors.Is(err, latchkey.ErrBrokenBarrier):
			broken.Add(1)
		default:
			t.Errorf("second Wait: %v", err)
		}
	})
	g.Join(t, e)
	if p, b := passed.Load(), broken.Load(); p != 0 || b != barParties-1 {
		t.Fatalf("%d passed and %d broken, want 0 and %d", p, b, barParties-1)
	}
	b := lkBarrier(t, e, barName, barParties, nil)
	if !barrierBroken(t, b) {
		t.Fatal("not broken after Abort")
	}
	_, err := b.Wait(t.Context())
	lkWantErr(t, "Wait on an aborted barrier", err, latchkey.ErrBrokenBarrier)
}

// barrierReset: the party with index N/2 resets the barrier once the
// others wait; they fail, and then all pass it again.
func barrierReset(t *testing.T, e *Env) {
	var passed, broken, again atomic.Int32
	atReset := make(chan struct{}, 1)
	goReset := make(chan struct{})
	g := lkStart(t)
	defer g.Stop()
	barrierParties(t, e, g, barName, barParties, nil, func(_ int, b latchkey.Barrier) {
		i, err := b.Wait(g.ctx)
		if err != nil {
			t.Error(err)
			return
		}
		if i == barParties/2 {
			atReset <- struct{}{}
			select {
			case <-goReset:
			case <-g.ctx.Done():
				return
			}
			if err := b.Reset(g.ctx); err != nil {
				t.Error(err)
			}
		} else {
			_, err := b.Wait(g.ctx)
			switch {
			case err == nil:
				passed.Add(1)
			case errors.Is(err, latchkey.ErrBrokenBarrier):
				broken.Add(1)
			default:
				t.Errorf("second Wait: %v", err)
			}
		}
		if _, err := b.Wait(g.ctx); err != nil {
			t.Errorf("Wait after Reset: %v", err)
			return
		}
		again.Add(1)
	})
	lkRecv(t, e, atReset)
	e.Blocked(t, barName, barParties-1)
	close(goReset)
	g.Join(t, e)
	if p, b, a := passed.Load(), broken.Load(), again.Load(); p != 0 || b != barParties-1 || a != barParties {
		t.Fatalf("%d passed, %d broken, %d passed after Reset; want 0, %d, %d", p, b, a, barParties-1, barParties)
	}
	barrierIdle(t, lkBarrier(t, e, barName, barParties, nil))
}

// barrierAbortAndReset: as barrierAbort; then the parties meet on a second
// barrier, one resets the first, they meet again, and all pass the first.
func barrierAbortAndReset(t *testing.T, e *Env) {
	var passed, broken, again atomic.Int32
	g := lkStart(t)
	defer g.Stop()
	for range barParties {
		b := lkBarrier(t, e, barName, barParties, nil)
		b2 := lkBarrier(t, e, barName+"2", barParties, nil)
		g.Go(func() {
			i, err := b.Wait(g.ctx)
			if err != nil {
				t.Error(err)
				return
			}
			if i == barParties/2 {
				if err := b.Abort(g.ctx); err != nil {
					t.Error(err)
				}
			} else {
				_, err := b.Wait(g.ctx)
				switch {
				case err == nil:
					passed.Add(1)
				case errors.Is(err, latchkey.ErrBrokenBarrier):
					broken.Add(1)
				default:
					t.Errorf("second Wait: %v", err)
				}
			}
			// Meet first so that everyone has left b before the reset,
			// and again so that no one enters it before.
			i, err = b2.Wait(g.ctx)
			if err != nil {
				t.Error(err)
				return
			}
			if i == barParties/2 {
				if err := b.Reset(g.ctx); err != nil {
					t.Error(err)
				}
			}
			if _, err := b2.Wait(g.ctx); err != nil {
				t.Error(err)
				return
			}
			if _, err := b.Wait(g.ctx); err != nil {
				t.Errorf("Wait after Reset: %v", err)
				return
			}
			again.Add(1)
		})
	}
	g.Join(t, e)
	if p, b, a := passed.Load(), broken.Load(), again.Load(); p != 0 || b != barParties-1 || a != barParties {
		t.Fatalf("%d passed, %d broken, %d passed after Reset; want 0, %d, %d", p, b, a, barParties-1, barParties)
	}
}

// barrierTimeout: after one trip, the party with index N/2 is late; the
// others' Waits time out and break the barrier, and the late party finds
// it broken. The party whose ctx ended gets its ctx error as well.
func barrierTimeout(t *testing.T, e *Env) {
	late := make(chan struct{})
	res := make(chan error, barParties)
	g := lkStart(t)
	defer g.Stop()
	barrierParties(t, e, g, barName, barParties, nil, func(_ int, b latchkey.Barrier) {
		i, err := b.Wait(g.ctx)
		if err != nil {
			t.Error(err)
			res <- nil
			return
		}
		if i == barParties/2 {
			select {
			case <-late:
			case <-g.ctx.Done():
			}
			_, err := b.Wait(g.ctx)
			res <- err
			return
		}
		ctx, cancel := lkShort(g.ctx, e)
		defer cancel()
		_, err = b.Wait(ctx)
		res <- err
	})
	errs := lkRecvN(t, e, res, barParties-1)
	close(late)
	errs = append(errs, lkRecv(t, e, res))
	g.Join(t, e)
	timedOut := 0
	for _, err := range errs {
		lkWantErr(t, "Wait", err, latchkey.ErrBrokenBarrier)
		if errors.Is(err, context.DeadlineExceeded) {
			timedOut++
		}
	}
	if timedOut == 0 {
		t.Fatal("no Wait reported its DeadlineExceeded")
	}
	if errors.Is(errs[barParties-1], context.DeadlineExceeded) {
		t.Fatalf("the late party's Wait: %v, want ErrBrokenBarrier without a ctx error", errs[barParties-1])
	}
}

// barrierDefaultTimeout: the handle's Timeout bounds a Wait whose ctx has
// no deadline; expiring, it breaks the barrier.
func barrierDefaultTimeout(t *testing.T, e *Env) {
	b := lkBarrier(t, e, barName, 2, &latchkey.BarrierOptions{Timeout: e.Short()})
	_, err := b.Wait(t.Context())
	lkWantErr(t, "Wait past the default timeout", err, latchkey.ErrBrokenBarrier)
	lkWantErr(t, "Wait past the default timeout", err, context.DeadlineExceeded)
	if !barrierBroken(t, b) {
		t.Fatal("not broken after a timeout")
	}
	e.Blocked(t, barName, 0)
}

// barrierDefaultTimeoutLate: with a default timeout, one party late: all
// parties get ErrBrokenBarrier.
func barrierDefaultTimeoutLate(t *testing.T, e *Env) {
	opts := &latchkey.BarrierOptions{Timeout: e.Short()}
	late := make(chan struct{})
	res := make(chan error, barParties)
	g := lkStart(t)
	defer g.Stop()
	barrierParties(t, e, g, barName, barParties, opts, func(i int, b latchkey.Barrier) {
		if i == barParties/2 {
			select {
			case <-late:
			case <-g.ctx.Done():
			}
		}
		_, err := b.Wait(g.ctx)
		res <- err
	})
	errs := lkRecvN(t, e, res, barParties-1)
	close(late)
	errs = append(errs, lkRecv(t, e, res))
	g.Join(t, e)
	for _, err := range errs {
		lkWantErr(t, "Wait", err, latchkey.ErrBrokenBarrier)
	}
}

func barrierSingleParty(t *testing.T, e *Env) {
	b := lkBarrier(t, e, barName, 1, nil)
	for range 2 {
		i, err := b.Wait(t.Context())
		must(t, err)
		if i != 0 {
			t.Fatalf("Wait = %d, want 0", i)
		}
	}
	barrierIdle(t, b)
}

// barrierWaiting: Waiting counts the parties waiting in the current
// cycle; a trip empties it; Broken reports an abort.
func barrierWaiting(t *testing.T, e *Env) {
	const n = 3
	b := lkBarrier(t, e, barName, n, nil)
	barrierIdle(t, b)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, n-1)
	for range n - 1 {
		h := lkBarrier(t, e, barName, n, nil)
		g.Go(func() {
			_, err := h.Wait(g.ctx)
			res <- err
		})
	}
	e.Blocked(t, barName, n-1)
	if w := barrierWaitingN(t, b); w != n-1 {
		t.Fatalf("Waiting = %d, want %d", w, n-1)
	}
	i, err := b.Wait(t.Context())
	must(t, err)
	if i != n-1 {
		t.Fatalf("last party's index %d, want %d", i, n-1)
	}
	for _, err := range lkRecvN(t, e, res, n-1) {
		must(t, err)
	}
	g.Join(t, e)
	barrierIdle(t, b)
	must(t, b.Abort(t.Context()))
	if !barrierBroken(t, b) {
		t.Fatal("not broken after Abort")
	}
	if w := barrierWaitingN(t, b); w != 0 {
		t.Fatalf("Waiting = %d on a broken barrier, want 0", w)
	}
	must(t, b.Reset(t.Context()))
	barrierIdle(t, b)
}

// barrierThousand: five parties pass the barrier a thousand times, each
// reporting the pass after it; reports come in strict lock-step.
func barrierThousand(t *testing.T, e *Env) {
	const passes = 1000
	out := make(chan int, barParties*passes)
	g := lkStart(t)
	defer g.Stop()
	barrierParties(t, e, g, barName, barParties, nil, func(_ int, b latchkey.Barrier) {
		for p := range passes {
			if _, err := b.Wait(g.ctx); err != nil {
				t.Error(err)
				return
			}
			out <- p
		}
	})
	for p := range passes {
		for range barParties {
			if got := lkRecv(t, e, out); got != p {
				t.Fatalf("got pass %d among the reports of pass %d", got, p)
			}
		}
	}
	g.Join(t, e)
}

// barrierOtherHandle: a goroutine with its own handle reads Parties and
// resets the barrier.
func barrierOtherHandle(t *testing.T, e *Env) {
	b := lkBarrier(t, e, barName, barParties, nil)
	h := lkBarrier(t, e, barName, barParties, nil)
	g := lkStart(t)
	defer g.Stop()
	g.Go(func() {
		if n := h.Parties(); n != barParties {
			t.Errorf("Parties = %d", n)
		}
		if err := h.Reset(g.ctx); err != nil {
			t.Error(err)
		}
	})
	g.Join(t, e)
	barrierIdle(t, b)
}

// barrierArrivalOrder: parties arriving one at a time get indices in
// arrival order.
func barrierArrivalOrder(t *testing.T, e *Env) {
	const n = 4
	type arrival struct{ party, index int }
	g := lkStart(t)
	defer g.Stop()
	res := make(chan arrival, n)
	for i := range n {
		b := lkBarrier(t, e, barName, n, nil)
		g.Go(func() {
			idx, err := b.Wait(g.ctx)
			if err != nil {
				t.Error(err)
			}
			res <- arrival{i, idx}
		})
		if i < n-1 {
			e.Blocked(t, barName, i+1)
		}
	}
	for _, a := range lkRecvN(t, e, res, n) {
		if a.index != a.party {
			t.Errorf("party arriving %d-th got index %d", a.party, a.index)
		}
	}
	g.Join(t, e)
}

var errLkAction = errors.New("action failed")

// barrierActionRun trips a barrier of 3 whose action is action, and
// returns the parties' errors, after checking that the barrier is broken
// and at least the n-1 first parties got ErrBrokenBarrier.
func barrierActionRun(t *testing.T, e *Env, action func() error) []error {
	const n = 3
	opts := &latchkey.BarrierOptions{Action: action}
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, n)
	barrierParties(t, e, g, barName, n, opts, func(_ int, b latchkey.Barrier) {
		_, err := b.Wait(g.ctx)
		res <- err
	})
	errs := lkRecvN(t, e, res, n)
	g.Join(t, e)
	broken := 0
	for _, err := range errs {
		if err == nil {
			t.Fatal("Wait returned nil although the action failed")
		}
		if errors.Is(err, latchkey.ErrBrokenBarrier) {
			broken++
		}
	}
	if broken < n-1 {
		t.Fatalf("errors %v: want ErrBrokenBarrier for at least %d parties", errs, n-1)
	}
	if !barrierBroken(t, lkBarrier(t, e, barName, n, opts)) {
		t.Fatal("not broken after the action failed")
	}
	return errs
}

// barrierActionError: an action's error breaks the barrier; the last
// party gets that error, the others ErrBrokenBarrier.
func barrierActionError(t *testing.T, e *Env) {
	errs := barrierActionRun(t, e, func() error { return errLkAction })
	n := 0
	for _, err := range errs {
		if errors.Is(err, errLkAction) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("errors %v: want the action's error for exactly one party", errs)
	}
}

// barrierActionPanic: an action's panic is recovered and breaks the
// barrier; every party gets an error.
func barrierActionPanic(t *testing.T, e *Env) {
	barrierActionRun(t, e, func() error { panic("action panicked") })
}

// barrierCancel: a Wait whose ctx is cancelled breaks the barrier: it gets
// ErrBrokenBarrier with its ctx error, the other waiter ErrBrokenBarrier,
// later Waits fail at once; no waiter is left; Reset repairs it.
func barrierCancel(t *testing.T, e *Env) {
	const n = 3
	b := lkBarrier(t, e, barName, n, nil)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	h1 := lkBarrier(t, e, barName, n, nil)
	g.Go(func() {
		_, err := h1.Wait(g.ctx)
		res <- err
	})
	e.Blocked(t, barName, 1)
	cctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	cres := make(chan error, 1)
	h2 := lkBarrier(t, e, barName, n, nil)
	g.Go(func() {
		_, err := h2.Wait(cctx)
		cres <- err
	})
	e.Blocked(t, barName, 2)
	cancel()
	err := lkRecv(t, e, cres)
	lkWantErr(t, "cancelled Wait", err, latchkey.ErrBrokenBarrier)
	lkWantErr(t, "cancelled Wait", err, context.Canceled)
	lkWantErr(t, "other Wait", lkRecv(t, e, res), latchkey.ErrBrokenBarrier)
	e.Blocked(t, barName, 0)
	if !barrierBroken(t, b) {
		t.Fatal("not broken after a cancelled Wait")
	}
	_, err = b.Wait(t.Context())
	lkWantErr(t, "Wait on a broken barrier", err, latchkey.ErrBrokenBarrier)
	must(t, b.Reset(t.Context()))
	barrierIdle(t, b)

	idx := make(chan int, n)
	barrierParties(t, e, g, barName, n, nil, func(_ int, b latchkey.Barrier) {
		i, err := b.Wait(g.ctx)
		if err != nil {
			t.Errorf("Wait after Reset: %v", err)
		}
		idx <- i
	})
	got := lkRecvN(t, e, idx, n)
	g.Join(t, e)
	slices.Sort(got)
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("indices after Reset %v", got)
	}
}

// barrierOpenMismatch: a barrier's name reopened for another number of
// parties, or as another type, is ErrMismatch.
func barrierOpenMismatch(t *testing.T, e *Env) {
	lkBarrier(t, e, barName, 3, nil)
	_, err := e.M.Barrier(t.Context(), barName, 4, nil)
	lkWantErr(t, "Barrier with other parties", err, latchkey.ErrMismatch)
	_, err = e.M.Event(t.Context(), barName)
	lkWantErr(t, "Event on a Barrier's name", err, latchkey.ErrMismatch)
	lkBarrier(t, e, barName, 3, nil)
}
