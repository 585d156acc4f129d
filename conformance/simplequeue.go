package conformance

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey"
)

// simpleQueueTests mirrors test_queue.BaseSimpleQueueTest and
// _test_multiprocessing.TestSimpleQueue.test_empty. test_references (an item
// is no longer referenced once retrieved) has no counterpart: items are
// copied byte strings, not references. test_is_default and test_reentrancy
// are about CPython's C implementation and have none either; neither have
// TestSimpleQueue's close tests (handles have no Close).
var simpleQueueTests = []test{
	{"Basic", "test_queue.BaseSimpleQueueTest.test_basic", sqBasic},
	{"ExpiredContext", "test_queue.BaseSimpleQueueTest.test_negative_timeout_raises_exception", sqExpiredContext},
	{"Order", "test_queue.BaseSimpleQueueTest.test_order", sqOrder},
	{"ManyGoroutines", "test_queue.BaseSimpleQueueTest.test_many_threads",
		func(t *testing.T, e *Env) { sqMany(t, e, sqBlocking) }},
	{"ManyGoroutinesNonblock", "test_queue.BaseSimpleQueueTest.test_many_threads_nonblock",
		func(t *testing.T, e *Env) { sqMany(t, e, sqNonblock) }},
	{"ManyGoroutinesTimeout", "test_queue.BaseSimpleQueueTest.test_many_threads_timeout",
		func(t *testing.T, e *Env) { sqMany(t, e, sqTimeout) }},
	{"SharedByName", "_test_multiprocessing.TestSimpleQueue.test_empty", sqSharedByName},
	{"GettersFIFO", "", sqGettersFIFO},
	{"CancelGet", "", sqCancelGet},
	{"PutNeverBlocks", "", sqPutNeverBlocks},
}

func sqOpen(t testing.TB, e *Env, name string) latchkey.SimpleQueue {
	t.Helper()
	q, err := e.M.SimpleQueue(t.Context(), name)
	if err != nil {
		t.Fatalf("SimpleQueue(%q): %v", name, err)
	}
	return q
}

func sqBasic(t *testing.T, e *Env) {
	ctx := t.Context()
	q := sqOpen(t, e, "q")
	qWantLen(t, q, 0)
	qPut(t, e, q, "1")
	qWantLen(t, q, 1)
	must(t, q.Put(kvCtx(t, e.Short()), kvB("2")))
	qWantLen(t, q, 2)
	if got := qGet(t, e, q); got != "1" {
		t.Fatalf("Get = %q", got)
	}
	qWantLen(t, q, 1)
	if v, err := q.TryGet(ctx); err != nil || string(v) != "2" {
		t.Fatalf("TryGet = %q, %v", v, err)
	}
	qWantLen(t, q, 0)
	qPut(t, e, q, "3")
	if v, err := q.Get(kvCtx(t, e.Long())); err != nil || string(v) != "3" {
		t.Fatalf("timed Get = %q, %v", v, err)
	}
	qWantLen(t, q, 0)
	_, err := q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "TryGet on an empty queue")
	_, err = q.Get(kvCtx(t, e.Short()))
	kvIs(t, err, context.DeadlineExceeded, "timed Get on an empty queue")
	e.Blocked(t, "q", 0)
	qWantLen(t, q, 0)
}

// sqExpiredContext: a Get with a context already done fails with its error
// on an empty queue; on a non-empty one it either returns the item or fails
// without taking it.
func sqExpiredContext(t *testing.T, e *Env) {
	q := sqOpen(t, e, "q")
	done, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := q.Get(done)
	kvIs(t, err, context.Canceled, "Get with a done context on an empty queue")
	qPut(t, e, q, "x")
	v, err := q.Get(done)
	switch {
	case err == nil:
		if string(v) != "x" {
			t.Fatalf("Get = %q", v)
		}
		qWantLen(t, q, 0)
	case errors.Is(err, context.Canceled):
		qWantLen(t, q, 1)
	default:
		t.Fatalf("Get with a done context: %v", err)
	}
}

// sqOrder: one producer, one consumer, exact FIFO order.
func sqOrder(t *testing.T, e *Env) {
	ctx := t.Context()
	q := sqOpen(t, e, "q")
	p := kvAsync(t, func() error {
		w, err := e.M.SimpleQueue(ctx, "q")
		if err != nil {
			return err
		}
		for i := range 100 {
			if err := w.Put(ctx, kvB(strconv.Itoa(i))); err != nil {
				return err
			}
		}
		return nil
	})
	for i := range 100 {
		if got := qGet(t, e, q); got != strconv.Itoa(i) {
			t.Fatalf("item %d = %q", i, got)
		}
	}
	must(t, kvRecv(t, e, p))
}

type sqGetMode int

const (
	sqBlocking sqGetMode = iota
	sqNonblock
	sqTimeout
)

// sqMany: 8 producers and 8 consumers, each with its own handle; the
// multiset of items is preserved.
func sqMany(t *testing.T, e *Env, mode sqGetMode) {
	const producers, consumers, each = 8, 8, 40
	const total = producers * each
	ctx := t.Context()
	q := sqOpen(t, e, "q")
	var taken atomic.Int64 // items got so far
	var mu sync.Mutex      // guards got
	var got []string
	kvGoN(t, producers+consumers, func(i int) {
		h, err := e.M.SimpleQueue(ctx, "q")
		if err != nil {
			t.Errorf("SimpleQueue: %v", err)
			return
		}
		if i < producers {
			for j := range each {
				if err := h.Put(ctx, kvB(fmt.Sprintf("%d-%d", i, j))); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
			}
			return
		}
		var mine []string
		defer func() {
			mu.Lock()
			got = append(got, mine...)
			mu.Unlock()
		}()
		for {
			var v []byte
			var err error
			switch mode {
			case sqBlocking:
				if len(mine) == each {
					return
				}
				v, err = h.Get(ctx)
			case sqNonblock:
				if taken.Load() >= total {
					return
				}
				v, err = h.TryGet(ctx)
				if errors.Is(err, latchkey.ErrEmpty) {
					runtime.Gosched()
					continue
				}
			case sqTimeout:
				if taken.Load() >= total {
					return
				}
				tctx, cancel := context.WithTimeout(ctx, e.Short()/100)
				v, err = h.Get(tctx)
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					continue
				}
			}
			if err != nil {
				t.Errorf("consumer: %v", err)
				return
			}
			taken.Add(1)
			mine = append(mine, string(v))
		}
	})()
	var want []string
	for i := range producers {
		for j := range each {
			want = append(want, fmt.Sprintf("%d-%d", i, j))
		}
	}
	kvSameMultiset(t, got, want, "items got vs put")
	qWantLen(t, q, 0)
	e.Blocked(t, "q", 0)
}

// sqSharedByName: a "child" with its own handle puts; the parent sees it.
func sqSharedByName(t *testing.T, e *Env) {
	ctx := t.Context()
	q := sqOpen(t, e, "q")
	qWantLen(t, q, 0)
	child := kvAsync(t, func() error {
		c, err := e.M.SimpleQueue(ctx, "q")
		if err != nil {
			return err
		}
		if n, err := c.Len(ctx); err != nil || n != 0 {
			return fmt.Errorf("child: Len = %d, %v", n, err)
		}
		if err := c.Put(ctx, kvB("a")); err != nil {
			return err
		}
		return c.Put(ctx, kvB("b"))
	})
	must(t, kvRecv(t, e, child))
	qWantLen(t, q, 2)
	if got := qGetN(t, e, q, 2); got[0] != "a" || got[1] != "b" {
		t.Fatalf("got %q", got)
	}
	qWantLen(t, q, 0)
}

// sqGettersFIFO: blocked getters are served in arrival order, and an item
// put while a getter waits is not available to TryGet.
func sqGettersFIFO(t *testing.T, e *Env) {
	ctx := t.Context()
	q := sqOpen(t, e, "q")
	var gs []<-chan qRes
	for i := range 3 {
		gs = append(gs, qAsyncGet(t, ctx, q))
		e.Blocked(t, "q", i+1)
	}
	for i, want := range []string{"a", "b", "c"} {
		qPut(t, e, q, want)
		_, err := q.TryGet(ctx)
		kvIs(t, err, latchkey.ErrEmpty, "TryGet while a getter is served")
		qWantItem(t, kvRecv(t, e, gs[i]), want)
	}
	e.Blocked(t, "q", 0)
}

// sqCancelGet: a cancelled Get takes no item and leaves no waiter.
func sqCancelGet(t *testing.T, e *Env) {
	ctx := t.Context()
	q := sqOpen(t, e, "q")
	cctx, cancel := context.WithCancel(ctx)
	g1 := qAsyncGet(t, cctx, q)
	e.Blocked(t, "q", 1)
	g2 := qAsyncGet(t, ctx, q)
	e.Blocked(t, "q", 2)
	cancel()
	kvIs(t, kvRecv(t, e, g1).err, context.Canceled, "cancelled Get")
	e.Blocked(t, "q", 1)
	qPut(t, e, q, "x")
	qWantItem(t, kvRecv(t, e, g2), "x")
	_, err := q.Get(kvCtx(t, e.Short()))
	kvIs(t, err, context.DeadlineExceeded, "timed Get")
	e.Blocked(t, "q", 0)
	qPut(t, e, q, "y")
	if v, err := q.TryGet(ctx); err != nil || string(v) != "y" {
		t.Fatalf("TryGet = %q, %v", v, err)
	}
}

// sqPutNeverBlocks: Put does not wait for room.
func sqPutNeverBlocks(t *testing.T, e *Env) {
	q := sqOpen(t, e, "q")
	for i := range 200 {
		must(t, q.Put(t.Context(), kvB(strconv.Itoa(i))))
	}
	qWantLen(t, q, 200)
	e.Blocked(t, "q", 0)
}
