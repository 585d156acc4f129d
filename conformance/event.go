package conformance

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey"
)

var eventTests = []test{
	{"IsSet", "lock_tests.EventTests.test_is_set, lock_tests.EventTests.test_repr (state only)", eventIsSet},
	{"Notify", "lock_tests.EventTests.test_notify", eventNotify},
	{"Timeout", "lock_tests.EventTests.test_timeout", eventTimeout},
	{"SetAndClear", "lock_tests.EventTests.test_set_and_clear", eventSetAndClear},
	{"Event", "_TestEvent.test_event", eventEvent},
	{"OtherHandle", "TestSyncManagerTypes.test_event", eventOtherHandle},
	{"Cancel", "", eventCancel},
	{"OpenMismatch", "", eventOpenMismatch},
}

const evName = "ev"

func evIsSet(t testing.TB, ev latchkey.Event) bool {
	t.Helper()
	v, err := ev.IsSet(t.Context())
	must(t, err)
	return v
}

func eventIsSet(t *testing.T, e *Env) {
	ctx := t.Context()
	ev := lkEvent(t, e, evName)
	other := lkEvent(t, e, evName)
	if evIsSet(t, ev) {
		t.Fatal("new event is set")
	}
	for range 2 {
		must(t, ev.Set(ctx))
		if !evIsSet(t, ev) || !evIsSet(t, other) {
			t.Fatal("not set after Set")
		}
	}
	for range 2 {
		must(t, ev.Clear(ctx))
		if evIsSet(t, ev) || evIsSet(t, other) {
			t.Fatal("set after Clear")
		}
	}
}

// eventNotify: five goroutines Wait twice each; none returns before Set,
// all ten Waits return nil after it; again after Set and Clear.
func eventNotify(t *testing.T, e *Env) {
	const n = 5
	ctx := t.Context()
	ev := lkEvent(t, e, evName)
	g := lkStart(t)
	defer g.Stop()
	check := func() {
		t.Helper()
		res := make(chan error, 2*n)
		for range n {
			h := lkEvent(t, e, evName)
			g.Go(func() {
				for range 2 {
					res <- h.Wait(g.ctx)
				}
			})
		}
		e.Blocked(t, evName, n)
		lkNone(t, e, res, "Wait before Set")
		must(t, ev.Set(ctx))
		for _, err := range lkRecvN(t, e, res, 2*n) {
			must(t, err)
		}
		g.Join(t, e)
	}
	check()
	must(t, ev.Set(ctx))
	must(t, ev.Clear(ctx))
	check()
}

// eventTimeout: on a clear event, Wait with a done ctx (Python's wait(0))
// or a timeout fails in five goroutines; once set, both succeed: IsSet,
// and Wait with a timeout.
func eventTimeout(t *testing.T, e *Env) {
	const n = 5
	ev := lkEvent(t, e, evName)
	g := lkStart(t)
	defer g.Stop()
	run := func(set bool) {
		t.Helper()
		res := make(chan error, n)
		for range n {
			h := lkEvent(t, e, evName)
			g.Go(func() {
				if v, err := h.IsSet(g.ctx); err != nil || v != set {
					t.Errorf("IsSet = %v, %v; want %v", v, err, set)
				}
				if !set {
					if err := h.Wait(lkDone(g.ctx)); !lkIsCtxErr(err) {
						t.Errorf("Wait with a done ctx on a clear event: %v", err)
					}
				}
				ctx, cancel := lkShort(g.ctx, e)
				defer cancel()
				res <- h.Wait(ctx)
			})
		}
		for _, err := range lkRecvN(t, e, res, n) {
			if set {
				must(t, err)
			} else {
				lkWantErr(t, "Wait with a timeout on a clear event", err, context.DeadlineExceeded)
			}
		}
		g.Join(t, e)
		e.Blocked(t, evName, 0)
	}
	run(false)
	must(t, ev.Set(t.Context()))
	run(true)
}

// eventSetAndClear (gh-57711): waiters woken by Set return nil even if
// Clear comes before they run.
func eventSetAndClear(t *testing.T, e *Env) {
	const n = 5
	ctx := t.Context()
	ev := lkEvent(t, e, evName)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, n)
	for range n {
		h := lkEvent(t, e, evName)
		g.Go(func() {
			ctx, cancel := context.WithTimeout(g.ctx, e.Long())
			defer cancel()
			res <- h.Wait(ctx)
		})
	}
	e.Blocked(t, evName, n)
	must(t, ev.Set(ctx))
	must(t, ev.Clear(ctx))
	for _, err := range lkRecvN(t, e, res, n) {
		must(t, err)
	}
	g.Join(t, e)
	if evIsSet(t, ev) {
		t.Fatal("set after Clear")
	}
}

// eventEvent: a clear event times out; a set one returns at once, also
// with a timeout; after Clear, a Wait returns once another handle sets it.
func eventEvent(t *testing.T, e *Env) {
	ctx := t.Context()
	ev := lkEvent(t, e, evName)
	if evIsSet(t, ev) {
		t.Fatal("new event is set")
	}
	lkWantCtxErr(t, "Wait with a done ctx", ev.Wait(lkDone(ctx)))
	sctx, cancel := lkShort(ctx, e)
	defer cancel()
	lkWantErr(t, "Wait with a timeout", ev.Wait(sctx), context.DeadlineExceeded)
	must(t, ev.Set(ctx))
	if !evIsSet(t, ev) {
		t.Fatal("not set after Set")
	}
	must(t, ev.Wait(ctx))
	sctx2, cancel2 := lkShort(ctx, e)
	defer cancel2()
	must(t, ev.Wait(sctx2))
	must(t, ev.Clear(ctx))

	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	w := lkEvent(t, e, evName)
	g.Go(func() { res <- w.Wait(g.ctx) })
	e.Blocked(t, evName, 1)
	must(t, lkEvent(t, e, evName).Set(ctx))
	must(t, lkRecv(t, e, res))
	g.Join(t, e)
}

// eventOtherHandle: the test sets the event; a goroutine with its own
// handle sees it set, waits, clears it and times out waiting; the test
// sees it clear.
func eventOtherHandle(t *testing.T, e *Env) {
	ev := lkEvent(t, e, evName)
	h := lkEvent(t, e, evName)
	must(t, ev.Set(t.Context()))
	g := lkStart(t)
	defer g.Stop()
	g.Go(func() {
		if v, err := h.IsSet(g.ctx); err != nil || !v {
			t.Errorf("IsSet = %v, %v; want true", v, err)
		}
		if err := h.Wait(g.ctx); err != nil {
			t.Errorf("Wait: %v", err)
		}
		if err := h.Clear(g.ctx); err != nil {
			t.Errorf("Clear: %v", err)
		}
		ctx, cancel := lkShort(g.ctx, e)
		defer cancel()
		if err := h.Wait(ctx); !lkIsCtxErr(err) {
			t.Errorf("Wait on a cleared event: %v", err)
		}
	})
	g.Join(t, e)
	if evIsSet(t, ev) {
		t.Fatal("still set after the goroutine cleared it")
	}
}

// eventCancel: a cancelled or timed-out Wait leaves no waiter behind and
// does not disturb the others: Set still wakes them.
func eventCancel(t *testing.T, e *Env) {
	ctx := t.Context()
	ev := lkEvent(t, e, evName)
	lkWantErr(t, "Wait with a done ctx", ev.Wait(lkDone(ctx)), context.Canceled)
	g := lkStart(t)
	defer g.Stop()
	kept := make(chan error, 1)
	k := lkEvent(t, e, evName)
	g.Go(func() { kept <- k.Wait(g.ctx) })
	e.Blocked(t, evName, 1)

	cctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	res := make(chan error, 1)
	g.Go(func() { res <- ev.Wait(cctx) })
	e.Blocked(t, evName, 2)
	cancel()
	lkWantErr(t, "cancelled Wait", lkRecv(t, e, res), context.Canceled)
	e.Blocked(t, evName, 1)

	g.Go(func() {
		ctx, cancel := lkShort(g.ctx, e)
		defer cancel()
		res <- ev.Wait(ctx)
	})
	lkWantErr(t, "timed-out Wait", lkRecv(t, e, res), context.DeadlineExceeded)
	e.Blocked(t, evName, 1)
	lkNone(t, e, kept, "Wait before Set")
	if evIsSet(t, ev) {
		t.Fatal("cancelled Waits set the event")
	}

	must(t, ev.Set(ctx))
	must(t, lkRecv(t, e, kept))
	g.Join(t, e)
	e.Blocked(t, evName, 0)
	must(t, ev.Wait(ctx))
}

// eventOpenMismatch: an event's name belongs to the event.
func eventOpenMismatch(t *testing.T, e *Env) {
	lkEvent(t, e, evName)
	_, err := e.M.Lock(t.Context(), evName)
	lkWantErr(t, "Lock on an Event's name", err, latchkey.ErrMismatch)
	_, err = e.M.Barrier(t.Context(), evName, 2, nil)
	lkWantErr(t, "Barrier on an Event's name", err, latchkey.ErrMismatch)
	lkEvent(t, e, evName)
}
