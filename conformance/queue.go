package conformance

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
)

// queueTests mirrors test_queue.BaseQueueTestMixin (run for FIFO, LIFO and
// Priority order, as CPython runs it for Queue, LifoQueue and
// PriorityQueue), the queue parts of _test_multiprocessing, and our own
// waiter, cancellation and copy rules.
//
// test_queue.FailingQueueTest has no counterpart: it injects failures into
// the storage hooks _put/_get of a Queue subclass, and our queues have no
// hooks to override. test_shrinking_queue has none either: MaxSize is part
// of a queue's identity and cannot change.
var queueTests = qTests()

// qMixinTest is a test run once per queue order.
type qMixinTest struct {
	name, py string
	fn       func(t *testing.T, e *Env, o latchkey.Order)
}

var qOrders = []latchkey.Order{latchkey.FIFO, latchkey.LIFO, latchkey.Priority}

func qOrderName(o latchkey.Order) string {
	switch o {
	case latchkey.LIFO:
		return "LIFO"
	case latchkey.Priority:
		return "Priority"
	}
	return "FIFO"
}

func qTests() []test {
	var ts []test
	for _, m := range qMixin {
		for _, o := range qOrders {
			ts = append(ts, test{
				name: m.name + "_" + qOrderName(o),
				py:   m.py,
				fn:   func(t *testing.T, e *Env) { m.fn(t, e, o) },
			})
		}
	}
	return append(ts, qSingle...)
}

const qMixinPy = "test_queue.BaseQueueTestMixin."

var qMixin = []qMixinTest{
	{"Basic", qMixinPy + "test_basic", qBasic},
	{"TaskDoneFresh", qMixinPy + "test_queue_task_done", qTaskDoneFresh},
	{"Join", qMixinPy + "test_queue_join", qJoin},
	{"ExpiredContext", qMixinPy + "test_negative_timeout_raises_exception", qExpiredContext},
	{"NoWait", qMixinPy + "test_nowait", qNoWait},
	{"ShutdownEmpty", qMixinPy + "test_shutdown_empty", qShutdownEmpty},
	{"ShutdownNonempty", qMixinPy + "test_shutdown_nonempty", qShutdownNonempty},
	{"ShutdownImmediate", qMixinPy + "test_shutdown_immediate", qShutdownImmediate},
	{"ShutdownAllowedTransitions", qMixinPy + "test_shutdown_allowed_transitions", qShutdownTransitions},
	{"ShutdownAllMethodsInOneGoroutine", qMixinPy + "test_shutdown_all_methods_in_one_thread",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownOne(t, e, o, false) }},
	{"ShutdownImmediateAllMethodsInOneGoroutine", qMixinPy + "test_shutdown_immediate_all_methods_in_one_thread",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownOne(t, e, o, true) }},
	{"ShutdownAllMethodsInManyGoroutines", qMixinPy + "test_shutdown_all_methods_in_many_threads",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownMany(t, e, o, false) }},
	{"ShutdownImmediateAllMethodsInManyGoroutines", qMixinPy + "test_shutdown_immediate_all_methods_in_many_threads",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownMany(t, e, o, true) }},
	{"ShutdownGet", qMixinPy + "test_shutdown_get",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownGet(t, e, o, false) }},
	{"ShutdownImmediateGet", qMixinPy + "test_shutdown_immediate_get",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownGet(t, e, o, true) }},
	{"ShutdownPut", qMixinPy + "test_shutdown_put",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownPut(t, e, o, false) }},
	{"ShutdownImmediatePut", qMixinPy + "test_shutdown_immediate_put",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownPut(t, e, o, true) }},
	{"ShutdownJoin", qMixinPy + "test_shutdown_join",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownJoin(t, e, o, false) }},
	{"ShutdownImmediateJoin", qMixinPy + "test_shutdown_immediate_join",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownJoin(t, e, o, true) }},
	{"ShutdownPutJoin", qMixinPy + "test_shutdown_put_join",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownPutJoin(t, e, o, false) }},
	{"ShutdownImmediatePutJoin", qMixinPy + "test_shutdown_immediate_put_join",
		func(t *testing.T, e *Env, o latchkey.Order) { qShutdownPutJoin(t, e, o, true) }},
	{"ShutdownGetTaskDoneJoin", qMixinPy + "test_shutdown_get_task_done_join", qShutdownGetTaskDoneJoin},
	{"ShutdownPendingGet", qMixinPy + "test_shutdown_pending_get", qShutdownPendingGet},
	// Our own, for every order.
	{"GettersFIFO", "", qGettersFIFO},
	{"PuttersFIFO", "", qPuttersFIFO},
	{"TryGetNoOvertake", "", qTryGetNoOvertake},
	{"TryPutNoOvertake", "", qTryPutNoOvertake},
	{"CancelGet", "", qCancelGet},
	{"CancelPut", "", qCancelPut},
	{"CancelJoin", "", qCancelJoin},
	{"Hammer", "", qHammer},
}

const qMPPy = "_test_multiprocessing._TestQueue."

var qSingle = []test{
	{"MPPut", qMPPy + "test_put", qMPPut},
	{"MPGet", qMPPy + "test_get", qMPGet},
	{"MPFork", qMPPy + "test_fork", qMPFork},
	{"MPQsize", qMPPy + "test_qsize", qMPQsize},
	{"MPTaskDone", qMPPy + "test_task_done", qMPTaskDone},
	{"MPTimeout", qMPPy + "test_timeout", qMPTimeout},
	{"SyncManagerQueue", "_test_multiprocessing.TestSyncManagerTypes.test_queue, .test_joinable_queue", qSyncManagerQueue},
	{"GetNowaitEmpty", "_test_multiprocessing.TestManagerExceptions.test_queue_get", qGetNowaitEmpty},
	{"ValuesCopied", "", qValuesCopied},
	{"EmptyItem", "", qEmptyItem},
	{"Cap", "", qCap},
	{"TaskDoneTooMany", "", qTaskDoneTooMany},
	{"PriorityCodec", "", qPriorityCodec},
	{"ReopenMismatch", "", qReopenMismatch},
}

// ---- helpers shared by this group's files (prefix kv) ----

// kvB returns a new byte slice holding s.
func kvB(s string) []byte { return []byte(s) }

// kvStrs converts byte strings to strings.
func kvStrs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// kvIs fails the test unless errors.Is(err, target).
func kvIs(t testing.TB, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

// kvCtx returns a context that expires after d and is cancelled when the
// test ends.
func kvCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// kvAsync runs fn in a goroutine and returns a channel that receives its
// result. The goroutine must end by itself or when the test's context is
// cancelled; the test waits for it in a cleanup, so that no goroutine
// outlives a failing test either.
func kvAsync[T any](t testing.TB, fn func() T) <-chan T {
	ch := make(chan T, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ch <- fn()
	}()
	t.Cleanup(func() { <-done })
	return ch
}

// kvGoN runs fn(0), ..., fn(n-1) in n goroutines and returns a function
// that waits for them all (also waited for at cleanup).
func kvGoN(t testing.TB, n int, fn func(i int)) (wait func()) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	t.Cleanup(wg.Wait)
	return wg.Wait
}

// kvRecv receives from ch, failing the test if nothing arrives within
// e.Long().
func kvRecv[T any](t testing.TB, e *Env, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(e.Long())
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("no result after %v", e.Long())
	}
	var zero T
	return zero
}

// kvPending fails the test if ch already has a value (after e.Settle).
func kvPending[T any](t testing.TB, e *Env, ch <-chan T, what string) {
	t.Helper()
	e.Settle()
	select {
	case v := <-ch:
		t.Fatalf("%s returned early: %v", what, v)
	default:
	}
}

// kvSeed returns the seed of a randomized test: $CONFORMANCE_SEED if set,
// else a random one. It logs the seed, so that a failure can be replayed.
func kvSeed(t testing.TB) int64 {
	t.Helper()
	seed := rand.Int63()
	if s := os.Getenv("CONFORMANCE_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("CONFORMANCE_SEED: %v", err)
		}
	}
	t.Logf("seed %d (set CONFORMANCE_SEED to replay)", seed)
	return seed
}

// kvSameMultiset fails the test unless a and b hold the same strings.
func kvSameMultiset(t testing.TB, a, b []string, what string) {
	t.Helper()
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Fatalf("%s: multisets differ:\n  %q\n  %q", what, a, b)
	}
}

// ---- queue helpers ----

// qRes is the result of a Get.
type qRes struct {
	v   []byte
	err error
}

func (r qRes) String() string { return fmt.Sprintf("(%q, %v)", r.v, r.err) }

func qOpen(t testing.TB, e *Env, name string, opts latchkey.QueueOptions) latchkey.Queue {
	t.Helper()
	q, err := e.M.Queue(t.Context(), name, opts)
	if err != nil {
		t.Fatalf("Queue(%q, %+v): %v", name, opts, err)
	}
	return q
}

// qOrdered returns the order in which a queue of order o hands out items
// put in the order in.
func qOrdered(o latchkey.Order, in []string) []string {
	out := slices.Clone(in)
	switch o {
	case latchkey.LIFO:
		slices.Reverse(out)
	case latchkey.Priority:
		slices.Sort(out)
	}
	return out
}

func qPut(t testing.TB, e *Env, q latchkey.SimpleQueue, items ...string) {
	t.Helper()
	for _, s := range items {
		if err := q.Put(kvCtx(t, e.Long()), kvB(s)); err != nil {
			t.Fatalf("Put(%q): %v", s, err)
		}
	}
}

func qGet(t testing.TB, e *Env, q latchkey.SimpleQueue) string {
	t.Helper()
	v, err := q.Get(kvCtx(t, e.Long()))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return string(v)
}

func qGetN(t testing.TB, e *Env, q latchkey.SimpleQueue, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = qGet(t, e, q)
	}
	return out
}

func qLen(t testing.TB, q latchkey.SimpleQueue) int {
	t.Helper()
	n, err := q.Len(t.Context())
	if err != nil {
		t.Fatalf("Len: %v", err)
	}
	return n
}

func qWantLen(t testing.TB, q latchkey.SimpleQueue, want int) {
	t.Helper()
	if n := qLen(t, q); n != want {
		t.Fatalf("Len = %d, want %d", n, want)
	}
}

func qWantUnfinished(t testing.TB, q latchkey.Queue, want int) {
	t.Helper()
	n, err := q.Unfinished(t.Context())
	if err != nil || n != want {
		t.Fatalf("Unfinished = %d, %v; want %d", n, err, want)
	}
}

// qAsyncGet starts a Get with ctx.
func qAsyncGet(t testing.TB, ctx context.Context, q latchkey.SimpleQueue) <-chan qRes {
	return kvAsync(t, func() qRes {
		v, err := q.Get(ctx)
		return qRes{v, err}
	})
}

// qAsyncPut starts a Put of s with ctx.
func qAsyncPut(t testing.TB, ctx context.Context, q latchkey.Queue, s string) <-chan error {
	b := kvB(s)
	return kvAsync(t, func() error { return q.Put(ctx, b) })
}

// qWantItem fails unless r is a successful Get of want.
func qWantItem(t testing.TB, r qRes, want string) {
	t.Helper()
	if r.err != nil || string(r.v) != want {
		t.Fatalf("Get = %v, want %q", r, want)
	}
}

// ---- BaseQueueTestMixin ----

func qBasic(t *testing.T, e *Env, o latchkey.Order) {
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 5})
	for range 2 { // twice on one instance, as CPython does
		qBasicOnce(t, e, q, o)
	}
}

func qBasicOnce(t *testing.T, e *Env, q latchkey.Queue, o latchkey.Order) {
	ctx := t.Context()
	qWantLen(t, q, 0)
	in := []string{"111", "333", "222"}
	qPut(t, e, q, in...)
	if got, want := qGetN(t, e, q, 3), qOrdered(o, in); !slices.Equal(got, want) {
		t.Fatalf("%v queue gave %q, want %q", o, got, want)
	}
	for i := range 4 {
		qPut(t, e, q, strconv.Itoa(i))
		if qLen(t, q) == 0 {
			t.Fatal("queue should not be empty")
		}
	}
	if qLen(t, q) >= q.Cap() {
		t.Fatal("queue should not be full")
	}
	qPut(t, e, q, "10")
	qWantLen(t, q, q.Cap())
	kvIs(t, q.TryPut(ctx, kvB("30")), latchkey.ErrFull, "TryPut on a full queue")
	kvIs(t, q.Put(kvCtx(t, e.Short()), kvB("30")), context.DeadlineExceeded, "timed Put on a full queue")
	// A blocking put (without and with a timeout) blocks until a get.
	for _, pctx := range []context.Context{ctx, kvCtx(t, e.Long())} {
		done := qAsyncPut(t, pctx, q, "30")
		e.Blocked(t, "q", 1)
		kvPending(t, e, done, "Put on a full queue")
		qGet(t, e, q)
		if err := kvRecv(t, e, done); err != nil {
			t.Fatalf("blocked Put: %v", err)
		}
	}
	qGetN(t, e, q, 5)
	qWantLen(t, q, 0)
	_, err := q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "TryGet on an empty queue")
	_, err = q.Get(kvCtx(t, e.Short()))
	kvIs(t, err, context.DeadlineExceeded, "timed Get on an empty queue")
	// A blocking get (without and with a timeout) blocks until a put.
	for _, gctx := range []context.Context{ctx, kvCtx(t, e.Long())} {
		got := qAsyncGet(t, gctx, q)
		e.Blocked(t, "q", 1)
		kvPending(t, e, got, "Get on an empty queue")
		qPut(t, e, q, "empty")
		qWantItem(t, kvRecv(t, e, got), "empty")
	}
}

func qTaskDoneFresh(t *testing.T, e *Env, o latchkey.Order) {
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	kvIs(t, q.TaskDone(t.Context()), latchkey.ErrTaskDone, "TaskDone on a fresh queue")
	qWantUnfinished(t, q, 0)
}

func qJoin(t *testing.T, e *Env, o latchkey.Order) {
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	for range 2 { // twice, as CPython does
		qJoinOnce(t, e, q)
	}
	kvIs(t, q.TaskDone(t.Context()), latchkey.ErrTaskDone, "TaskDone after the joins")
}

func qJoinOnce(t *testing.T, e *Env, q latchkey.Queue) {
	ctx := t.Context()
	var mu sync.Mutex // guards cum
	cum := 0
	wait := kvGoN(t, 2, func(int) {
		for {
			v, err := q.Get(ctx)
			if err != nil {
				t.Errorf("worker Get: %v", err)
				return
			}
			x, err := strconv.Atoi(string(v))
			if err != nil {
				t.Errorf("worker got %q", v)
				return
			}
			if x >= 0 {
				mu.Lock()
				cum += x
				mu.Unlock()
			}
			if err := q.TaskDone(ctx); err != nil {
				t.Errorf("worker TaskDone: %v", err)
			}
			if x < 0 {
				return
			}
		}
	})
	for i := range 100 {
		qPut(t, e, q, strconv.Itoa(i))
	}
	must(t, q.Join(kvCtx(t, e.Long())))
	mu.Lock()
	c := cum
	mu.Unlock()
	if c != 4950 {
		t.Fatalf("Join returned with sum %d, want 4950", c)
	}
	qPut(t, e, q, "-1", "-1") // stop the workers
	must(t, q.Join(kvCtx(t, e.Long())))
	wait()
}

// qExpiredContext: Python rejects a negative timeout with ValueError; a
// context already done is the nearest thing, and such a call fails with
// the context's error without blocking.
func qExpiredContext(t *testing.T, e *Env, o latchkey.Order) {
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 5})
	done, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := q.Get(done)
	kvIs(t, err, context.Canceled, "Get with a done context on an empty queue")
	qPut(t, e, q, "1", "2", "3", "4", "5")
	kvIs(t, q.Put(done, kvB("6")), context.Canceled, "Put with a done context on a full queue")
	qWantLen(t, q, 5)
	qWantUnfinished(t, q, 5)
	expired := kvCtx(t, 0)
	kvIs(t, q.Put(expired, kvB("6")), context.DeadlineExceeded, "Put with an expired context on a full queue")
	qWantLen(t, q, 5)
}

func qNoWait(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 5})
	for range 5 {
		must(t, q.TryPut(ctx, kvB("1")))
	}
	kvIs(t, q.TryPut(ctx, kvB("1")), latchkey.ErrFull, "6th TryPut")
	for range 5 {
		if _, err := q.TryGet(ctx); err != nil {
			t.Fatalf("TryGet: %v", err)
		}
	}
	_, err := q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "6th TryGet")
}

func qShutdownEmpty(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	must(t, q.Shutdown(ctx, false))
	kvIs(t, q.Put(ctx, kvB("data")), latchkey.ErrShutDown, "Put after Shutdown")
	kvIs(t, q.TryPut(ctx, kvB("data")), latchkey.ErrShutDown, "TryPut after Shutdown")
	_, err := q.Get(ctx)
	kvIs(t, err, latchkey.ErrShutDown, "Get after Shutdown")
	_, err = q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrShutDown, "TryGet after Shutdown")
}

func qShutdownNonempty(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	qPut(t, e, q, "data")
	must(t, q.Shutdown(ctx, false))
	if got := qGet(t, e, q); got != "data" {
		t.Fatalf("Get = %q", got)
	}
	_, err := q.Get(ctx)
	kvIs(t, err, latchkey.ErrShutDown, "second Get")
}

func qShutdownImmediate(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	qPut(t, e, q, "data")
	must(t, q.Shutdown(ctx, true))
	_, err := q.Get(ctx)
	kvIs(t, err, latchkey.ErrShutDown, "Get after an immediate Shutdown")
	qWantLen(t, q, 0)
	qWantUnfinished(t, q, 0)
}

func qShutdownTransitions(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	must(t, q.TryPut(ctx, kvB("x"))) // not shut down yet
	must(t, q.Shutdown(ctx, false))
	kvIs(t, q.TryPut(ctx, kvB("x")), latchkey.ErrShutDown, "TryPut after Shutdown")
	must(t, q.Shutdown(ctx, true))
	kvIs(t, q.TryPut(ctx, kvB("x")), latchkey.ErrShutDown, "TryPut after immediate Shutdown")
	qWantLen(t, q, 0)
	must(t, q.Shutdown(ctx, false))
	kvIs(t, q.TryPut(ctx, kvB("x")), latchkey.ErrShutDown, "TryPut after a third Shutdown")
}

func qShutdownOne(t *testing.T, e *Env, o latchkey.Order, immediate bool) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 2})
	qPut(t, e, q, "L")
	must(t, q.TryPut(ctx, kvB("O")))
	must(t, q.Shutdown(ctx, immediate))
	kvIs(t, q.Put(ctx, kvB("E")), latchkey.ErrShutDown, "Put after Shutdown")
	kvIs(t, q.TryPut(ctx, kvB("W")), latchkey.ErrShutDown, "TryPut after Shutdown")
	if immediate {
		_, err := q.Get(ctx)
		kvIs(t, err, latchkey.ErrShutDown, "Get")
		_, err = q.TryGet(ctx)
		kvIs(t, err, latchkey.ErrShutDown, "TryGet")
		kvIs(t, q.TaskDone(ctx), latchkey.ErrTaskDone, "TaskDone")
		must(t, q.Join(kvCtx(t, e.Long())))
		qWantUnfinished(t, q, 0)
		return
	}
	a := qGet(t, e, q)
	must(t, q.TaskDone(ctx))
	b, err := q.TryGet(ctx)
	must(t, err)
	must(t, q.TaskDone(ctx))
	kvSameMultiset(t, []string{a, string(b)}, []string{"L", "O"}, "items after Shutdown")
	must(t, q.Join(kvCtx(t, e.Long())))
	_, err = q.Get(ctx)
	kvIs(t, err, latchkey.ErrShutDown, "Get on a drained queue")
	_, err = q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrShutDown, "TryGet on a drained queue")
	_, err = q.Get(kvCtx(t, e.Long()))
	kvIs(t, err, latchkey.ErrShutDown, "timed Get on a drained queue")
}

// qShutdownMany is CPython's 4 writers / 6 readers / 2 joiners test, scaled
// down: writers put half their items, every reader gets one, then all start
// together; writer 0 shuts the queue down halfway through.
func qShutdownMany(t *testing.T, e *Env, o latchkey.Order, immediate bool) {
	const writers, readers, joiners, perWriter = 4, 6, 2, 24
	const when = perWriter / 2
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	var ready sync.WaitGroup
	ready.Add(writers + readers + joiners)
	start := make(chan struct{})
	var mu sync.Mutex // guards put, got, sawShutdown, shutLen
	var put, got []string
	sawShutdown := make([]bool, writers+readers)
	shutLen := -1
	wait := kvGoN(t, writers+readers+joiners, func(i int) {
		switch {
		case i < writers:
			j := 0
			for ; j < when/2; j++ {
				s := fmt.Sprintf("%d-%02d", i, j)
				if err := q.Put(ctx, kvB(s)); err != nil {
					t.Errorf("writer %d: Put: %v", i, err)
					break
				}
				mu.Lock()
				put = append(put, s)
				mu.Unlock()
			}
			ready.Done()
			<-start
			for ; j < perWriter; j++ {
				s := fmt.Sprintf("%d-%02d", i, j)
				err := q.Put(ctx, kvB(s))
				if errors.Is(err, latchkey.ErrShutDown) {
					mu.Lock()
					sawShutdown[i] = true
					mu.Unlock()
					return
				}
				if err != nil {
					t.Errorf("writer %d: Put: %v", i, err)
					return
				}
				mu.Lock()
				put = append(put, s)
				mu.Unlock()
				if i == 0 && j == when {
					if err := q.Shutdown(ctx, immediate); err != nil {
						t.Errorf("Shutdown: %v", err)
					}
					n, err := q.Len(ctx)
					if err != nil {
						t.Errorf("Len: %v", err)
					}
					mu.Lock()
					shutLen = n
					mu.Unlock()
				}
			}
		case i < writers+readers:
			first := true
			for {
				v, err := q.Get(ctx)
				if first {
					ready.Done()
					<-start
					first = false
				}
				if errors.Is(err, latchkey.ErrShutDown) {
					mu.Lock()
					sawShutdown[i] = true
					mu.Unlock()
					return
				}
				if err != nil {
					t.Errorf("reader %d: Get: %v", i, err)
					return
				}
				mu.Lock()
				got = append(got, string(v))
				mu.Unlock()
				if err := q.TaskDone(ctx); err != nil {
					t.Errorf("reader %d: TaskDone: %v", i, err)
				}
			}
		default:
			ready.Done()
			<-start
			if err := q.Join(ctx); err != nil {
				t.Errorf("joiner: %v", err)
			}
		}
	})
	ready.Wait()
	close(start)
	wait()
	if t.Failed() {
		return
	}
	if !sawShutdown[0] {
		t.Error("writer 0 did not see ErrShutDown after its own Shutdown")
	}
	for i := writers; i < writers+readers; i++ {
		if !sawShutdown[i] {
			t.Errorf("reader %d did not end with ErrShutDown", i)
		}
	}
	if immediate {
		if shutLen != 0 {
			t.Errorf("Len after an immediate Shutdown = %d, want 0", shutLen)
		}
		if len(got) > len(put) {
			t.Fatalf("got %d items, only %d were put", len(got), len(put))
		}
		seen := map[string]int{}
		for _, s := range put {
			seen[s]++
		}
		for _, s := range got {
			if seen[s]--; seen[s] < 0 {
				t.Fatalf("item %q got but not put (or got twice)", s)
			}
		}
	} else {
		kvSameMultiset(t, got, put, "items got vs put")
	}
	qWantLen(t, q, 0)
	qWantUnfinished(t, q, 0)
	must(t, q.Join(kvCtx(t, e.Long())))
}

func qShutdownGet(t *testing.T, e *Env, o latchkey.Order, immediate bool) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 2})
	qPut(t, e, q, "Y", "D")
	must(t, q.Shutdown(ctx, immediate))
	n := 3
	if immediate {
		n = 2
	}
	var chs []<-chan qRes
	for range n {
		chs = append(chs, qAsyncGet(t, ctx, q))
	}
	var items []string
	shut := 0
	for _, ch := range chs {
		r := kvRecv(t, e, ch)
		switch {
		case errors.Is(r.err, latchkey.ErrShutDown):
			shut++
		case r.err != nil:
			t.Fatalf("Get: %v", r.err)
		default:
			items = append(items, string(r.v))
		}
	}
	if immediate {
		if shut != 2 {
			t.Fatalf("after an immediate Shutdown %d of 2 getters got ErrShutDown (items %q)", shut, items)
		}
		return
	}
	if shut != 1 {
		t.Fatalf("%d of 3 getters got ErrShutDown, want 1", shut)
	}
	kvSameMultiset(t, items, []string{"Y", "D"}, "items got")
}

func qShutdownPut(t *testing.T, e *Env, o latchkey.Order, immediate bool) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 2})
	qPut(t, e, q, "Y", "D")
	blocked := qAsyncPut(t, ctx, q, "E")
	e.Blocked(t, "q", 1)
	must(t, q.Shutdown(ctx, immediate))
	kvIs(t, kvRecv(t, e, blocked), latchkey.ErrShutDown, "Put blocked before Shutdown")
	kvIs(t, kvRecv(t, e, qAsyncPut(t, ctx, q, "W")), latchkey.ErrShutDown, "Put after Shutdown")
	e.Blocked(t, "q", 0)
	if immediate {
		qWantLen(t, q, 0)
		qWantUnfinished(t, q, 0)
		return
	}
	qWantLen(t, q, 2)
	qWantUnfinished(t, q, 2)
}

func qShutdownJoin(t *testing.T, e *Env, o latchkey.Order, immediate bool) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	qPut(t, e, q, "Y")
	j1 := kvAsync(t, func() error { return q.Join(ctx) })
	j2 := kvAsync(t, func() error { return q.Join(ctx) })
	e.Blocked(t, "q", 2)
	must(t, q.Shutdown(ctx, immediate))
	if !immediate {
		e.Blocked(t, "q", 2)
		kvPending(t, e, j1, "Join with an unfinished task")
		if got := qGet(t, e, q); got != "Y" {
			t.Fatalf("Get = %q", got)
		}
		must(t, q.TaskDone(ctx))
	}
	must(t, kvRecv(t, e, j1))
	must(t, kvRecv(t, e, j2))
	qWantUnfinished(t, q, 0)
}

func qShutdownPutJoin(t *testing.T, e *Env, o latchkey.Order, immediate bool) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 2})
	qPut(t, e, q, "Y")
	j := kvAsync(t, func() error { return q.Join(ctx) })
	e.Blocked(t, "q", 1)
	qWantUnfinished(t, q, 1)
	must(t, q.Shutdown(ctx, immediate))
	kvIs(t, kvRecv(t, e, qAsyncPut(t, ctx, q, "E")), latchkey.ErrShutDown, "Put after Shutdown")
	if immediate {
		_, err := q.TryGet(ctx)
		kvIs(t, err, latchkey.ErrShutDown, "TryGet after an immediate Shutdown")
	} else {
		if got := qGet(t, e, q); got != "Y" {
			t.Fatalf("Get = %q", got)
		}
		must(t, q.TaskDone(ctx))
	}
	must(t, kvRecv(t, e, j))
}

func qShutdownGetTaskDoneJoin(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 2})
	qPut(t, e, q, "Y", "D")
	qWantUnfinished(t, q, qLen(t, q))
	j1 := kvAsync(t, func() error { return q.Join(ctx) })
	j2 := kvAsync(t, func() error { return q.Join(ctx) })
	e.Blocked(t, "q", 2)
	getTaskDone := func() qRes {
		v, err := q.Get(ctx)
		if err == nil {
			err = q.TaskDone(ctx)
		}
		return qRes{v, err}
	}
	g1 := kvAsync(t, getTaskDone)
	g2 := kvAsync(t, getTaskDone)
	must(t, q.Shutdown(ctx, false))
	r1, r2 := kvRecv(t, e, g1), kvRecv(t, e, g2)
	if r1.err != nil || r2.err != nil {
		t.Fatalf("getters: %v, %v", r1, r2)
	}
	kvSameMultiset(t, []string{string(r1.v), string(r2.v)}, []string{"Y", "D"}, "items got")
	must(t, kvRecv(t, e, j1))
	must(t, kvRecv(t, e, j2))
}

func qShutdownPendingGet(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	g := qAsyncGet(t, ctx, q)
	e.Blocked(t, "q", 1)
	must(t, q.Shutdown(ctx, false))
	r := kvRecv(t, e, g)
	kvIs(t, r.err, latchkey.ErrShutDown, "pending Get woken by Shutdown")
	e.Blocked(t, "q", 0)
}

// ---- our own, for every order ----

// qGettersFIFO: blocked getters are served in arrival order, whatever the
// item order; a cancelled getter in the middle drops out of line.
func qGettersFIFO(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	g1 := qAsyncGet(t, ctx, q)
	e.Blocked(t, "q", 1)
	ctx2, cancel2 := context.WithCancel(ctx)
	defer cancel2()
	g2 := qAsyncGet(t, ctx2, q)
	e.Blocked(t, "q", 2)
	g3 := qAsyncGet(t, ctx, q)
	e.Blocked(t, "q", 3)
	g4 := qAsyncGet(t, ctx, q)
	e.Blocked(t, "q", 4)
	cancel2()
	kvIs(t, kvRecv(t, e, g2).err, context.Canceled, "cancelled Get")
	e.Blocked(t, "q", 3)
	qPut(t, e, q, "b") // "b" > "a": a priority queue would prefer "a" if it had both
	qPut(t, e, q, "a")
	qWantItem(t, kvRecv(t, e, g1), "b")
	qWantItem(t, kvRecv(t, e, g3), "a")
	e.Blocked(t, "q", 1)
	kvPending(t, e, g4, "fourth Get")
	qPut(t, e, q, "c")
	qWantItem(t, kvRecv(t, e, g4), "c")
	e.Blocked(t, "q", 0)
	qWantLen(t, q, 0)
}

// qPuttersFIFO: blocked putters are served in arrival order.
func qPuttersFIFO(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 1})
	qPut(t, e, q, "x")
	p1 := qAsyncPut(t, ctx, q, "c")
	e.Blocked(t, "q", 1)
	ctx2, cancel2 := context.WithCancel(ctx)
	defer cancel2()
	p2 := qAsyncPut(t, ctx2, q, "z")
	e.Blocked(t, "q", 2)
	p3 := qAsyncPut(t, ctx, q, "b")
	e.Blocked(t, "q", 3)
	p4 := qAsyncPut(t, ctx, q, "a")
	e.Blocked(t, "q", 4)
	cancel2()
	kvIs(t, kvRecv(t, e, p2), context.Canceled, "cancelled Put")
	e.Blocked(t, "q", 3)
	for _, want := range []string{"x", "c", "b", "a"} {
		if got := qGet(t, e, q); got != want {
			t.Fatalf("Get = %q, want %q", got, want)
		}
	}
	for _, p := range []<-chan error{p1, p3, p4} {
		must(t, kvRecv(t, e, p))
	}
	e.Blocked(t, "q", 0)
	qWantLen(t, q, 0)
	qWantUnfinished(t, q, 4)
}

// qTryGetNoOvertake: an item put while a getter waits goes to that getter;
// a TryGet right after the Put finds the queue empty.
func qTryGetNoOvertake(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	g1 := qAsyncGet(t, ctx, q)
	e.Blocked(t, "q", 1)
	g2 := qAsyncGet(t, ctx, q)
	e.Blocked(t, "q", 2)
	qPut(t, e, q, "a")
	_, err := q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "TryGet while a getter is served")
	must(t, q.TryPut(ctx, kvB("b")))
	_, err = q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "TryGet while a getter is served")
	qWantItem(t, kvRecv(t, e, g1), "a")
	qWantItem(t, kvRecv(t, e, g2), "b")
	e.Blocked(t, "q", 0)
}

// qTryPutNoOvertake: room made while a putter waits goes to that putter; a
// TryPut right after the Get finds the queue full.
func qTryPutNoOvertake(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 1})
	qPut(t, e, q, "x")
	p := qAsyncPut(t, ctx, q, "a")
	e.Blocked(t, "q", 1)
	if got := qGet(t, e, q); got != "x" {
		t.Fatalf("Get = %q", got)
	}
	kvIs(t, q.TryPut(ctx, kvB("z")), latchkey.ErrFull, "TryPut while a putter is served")
	must(t, kvRecv(t, e, p))
	if got := qGet(t, e, q); got != "a" {
		t.Fatalf("Get = %q, want the waiting putter's item", got)
	}
	_, err := q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "TryGet")
	e.Blocked(t, "q", 0)
}

// qCancelGet: a cancelled or timed-out Get takes no item and leaves no
// waiter behind.
func qCancelGet(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	cctx, cancel := context.WithCancel(ctx)
	g := qAsyncGet(t, cctx, q)
	e.Blocked(t, "q", 1)
	cancel()
	kvIs(t, kvRecv(t, e, g).err, context.Canceled, "cancelled Get")
	e.Blocked(t, "q", 0)
	_, err := q.Get(kvCtx(t, e.Short()))
	kvIs(t, err, context.DeadlineExceeded, "timed Get")
	e.Blocked(t, "q", 0)
	qPut(t, e, q, "x")
	v, err := q.TryGet(ctx)
	if err != nil || string(v) != "x" {
		t.Fatalf("TryGet = %q, %v; want the item no cancelled Get took", v, err)
	}
	qWantUnfinished(t, q, 1)
}

// qCancelPut: a cancelled or timed-out Put leaves no item and no waiter.
func qCancelPut(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 1})
	qPut(t, e, q, "x")
	cctx, cancel := context.WithCancel(ctx)
	p := qAsyncPut(t, cctx, q, "a")
	e.Blocked(t, "q", 1)
	cancel()
	kvIs(t, kvRecv(t, e, p), context.Canceled, "cancelled Put")
	e.Blocked(t, "q", 0)
	kvIs(t, q.Put(kvCtx(t, e.Short()), kvB("b")), context.DeadlineExceeded, "timed Put")
	e.Blocked(t, "q", 0)
	qWantLen(t, q, 1)
	qWantUnfinished(t, q, 1)
	if got := qGet(t, e, q); got != "x" {
		t.Fatalf("Get = %q", got)
	}
	_, err := q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "TryGet after the cancelled puts")
}

// qCancelJoin: a cancelled Join changes nothing and leaves no waiter.
func qCancelJoin(t *testing.T, e *Env, o latchkey.Order) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o})
	qPut(t, e, q, "x")
	cctx, cancel := context.WithCancel(ctx)
	j := kvAsync(t, func() error { return q.Join(cctx) })
	e.Blocked(t, "q", 1)
	cancel()
	kvIs(t, kvRecv(t, e, j), context.Canceled, "cancelled Join")
	e.Blocked(t, "q", 0)
	kvIs(t, q.Join(kvCtx(t, e.Short())), context.DeadlineExceeded, "timed Join")
	e.Blocked(t, "q", 0)
	qWantUnfinished(t, q, 1)
	qGet(t, e, q)
	must(t, q.TaskDone(ctx))
	must(t, q.Join(kvCtx(t, e.Long())))
}

// qHammer: 8 goroutines put and get with random timeouts and cancels on a
// small bounded queue; no item is lost or duplicated and the task count
// adds up.
func qHammer(t *testing.T, e *Env, o latchkey.Order) {
	const workers, ops = 8, 40
	seed := kvSeed(t)
	q := qOpen(t, e, "q", latchkey.QueueOptions{Order: o, MaxSize: 3})
	maxWait := int64(e.Short() / 20)
	type tally struct {
		put, got []string
		done     int
	}
	tallies := make([]tally, workers)
	kvGoN(t, workers, func(w int) {
		rng := rand.New(rand.NewSource(seed + int64(w)))
		tl := &tallies[w]
		for i := range ops {
			d := time.Duration(rng.Int63n(maxWait + 1))
			if rng.Intn(8) == 0 {
				d = 0
			}
			var ctx context.Context
			var cancel context.CancelFunc
			stop := func() bool { return false }
			if rng.Intn(2) == 0 {
				ctx, cancel = context.WithTimeout(t.Context(), d)
			} else {
				ctx, cancel = context.WithCancel(t.Context())
				stop = time.AfterFunc(d, cancel).Stop
			}
			item := fmt.Sprintf("%d-%03d", w, i)
			var err error
			var v []byte
			isGet := false
			switch op := rng.Intn(4); op {
			case 0:
				err = q.Put(ctx, kvB(item))
			case 1:
				err = q.TryPut(ctx, kvB(item))
			case 2:
				v, err = q.Get(ctx)
				isGet = true
			case 3:
				v, err = q.TryGet(ctx)
				isGet = true
			}
			stop()
			cancel()
			switch {
			case err == nil && isGet:
				tl.got = append(tl.got, string(v))
				if rng.Intn(2) == 0 {
					if err := q.TaskDone(t.Context()); err != nil {
						t.Errorf("TaskDone: %v", err)
					}
					tl.done++
				}
			case err == nil:
				tl.put = append(tl.put, item)
			case errors.Is(err, latchkey.ErrFull), errors.Is(err, latchkey.ErrEmpty),
				errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			default:
				t.Errorf("worker %d op %d: unexpected error %v", w, i, err)
			}
		}
	})()
	e.Blocked(t, "q", 0)
	var put, got []string
	done := 0
	for _, tl := range tallies {
		put = append(put, tl.put...)
		got = append(got, tl.got...)
		done += tl.done
	}
	qWantUnfinished(t, q, len(put)-done)
	rest := qLen(t, q)
	for range rest {
		v, err := q.TryGet(t.Context())
		if err != nil {
			t.Fatalf("drain: %v", err)
		}
		got = append(got, string(v))
	}
	_, err := q.TryGet(t.Context())
	kvIs(t, err, latchkey.ErrEmpty, "TryGet after drain")
	kvSameMultiset(t, got, put, "items got+remaining vs put")
	for range len(put) - done {
		must(t, q.TaskDone(t.Context()))
	}
	kvIs(t, q.TaskDone(t.Context()), latchkey.ErrTaskDone, "extra TaskDone")
	must(t, q.Join(kvCtx(t, e.Long())))
	t.Logf("%d put, %d got from workers, %d left", len(put), len(got)-rest, rest)
}

// ---- _TestQueue and friends ----

func qMPPut(t *testing.T, e *Env) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{MaxSize: 6})
	qWantLen(t, q, 0)
	qPut(t, e, q, "1", "2", "3")
	must(t, q.Put(kvCtx(t, e.Long()), kvB("4")))
	must(t, q.TryPut(ctx, kvB("5")))
	must(t, q.TryPut(ctx, kvB("6")))
	qWantLen(t, q, q.Cap())
	for range 3 {
		kvIs(t, q.TryPut(ctx, kvB("7")), latchkey.ErrFull, "TryPut on a full queue")
	}
	for range 2 {
		kvIs(t, q.Put(kvCtx(t, e.Short()), kvB("7")), context.DeadlineExceeded, "timed Put on a full queue")
	}
	// A "child" with its own handle takes all six.
	got := kvAsync(t, func() []string {
		c, err := e.M.Queue(ctx, "q", latchkey.QueueOptions{MaxSize: 6})
		if err != nil {
			t.Errorf("child: Queue: %v", err)
			return nil
		}
		var out []string
		for range 6 {
			v, err := c.Get(ctx)
			if err != nil {
				t.Errorf("child: Get: %v", err)
				return out
			}
			out = append(out, string(v))
		}
		return out
	})
	if g := kvRecv(t, e, got); !slices.Equal(g, []string{"1", "2", "3", "4", "5", "6"}) {
		t.Fatalf("child got %q", g)
	}
	qWantLen(t, q, 0)
}

func qMPGet(t *testing.T, e *Env) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{})
	child := kvAsync(t, func() error {
		c, err := e.M.Queue(ctx, "q", latchkey.QueueOptions{})
		if err != nil {
			return err
		}
		for _, s := range []string{"2", "3", "4", "5"} {
			if err := c.Put(ctx, kvB(s)); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, kvRecv(t, e, child))
	if got := qGet(t, e, q); got != "2" {
		t.Fatalf("Get = %q", got)
	}
	v, err := q.Get(ctx)
	if err != nil || string(v) != "3" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	v, err = q.Get(kvCtx(t, e.Long()))
	if err != nil || string(v) != "4" {
		t.Fatalf("timed Get = %q, %v", v, err)
	}
	v, err = q.TryGet(ctx)
	if err != nil || string(v) != "5" {
		t.Fatalf("TryGet = %q, %v", v, err)
	}
	for range 3 {
		_, err = q.TryGet(ctx)
		kvIs(t, err, latchkey.ErrEmpty, "TryGet on an empty queue")
	}
	for range 3 {
		_, err = q.Get(kvCtx(t, e.Short()))
		kvIs(t, err, context.DeadlineExceeded, "timed Get on an empty queue")
	}
}

// qMPFork: items put before and by a "child" arrive in order.
func qMPFork(t *testing.T, e *Env) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{})
	for i := range 10 {
		qPut(t, e, q, strconv.Itoa(i))
	}
	child := kvAsync(t, func() error {
		c, err := e.M.Queue(ctx, "q", latchkey.QueueOptions{})
		if err != nil {
			return err
		}
		for i := 10; i < 20; i++ {
			if err := c.Put(ctx, kvB(strconv.Itoa(i))); err != nil {
				return err
			}
		}
		return nil
	})
	for i := range 20 {
		if got := qGet(t, e, q); got != strconv.Itoa(i) {
			t.Fatalf("item %d = %q", i, got)
		}
	}
	must(t, kvRecv(t, e, child))
	_, err := q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "TryGet after all items")
}

func qMPQsize(t *testing.T, e *Env) {
	q := qOpen(t, e, "q", latchkey.QueueOptions{})
	qWantLen(t, q, 0)
	qPut(t, e, q, "5")
	qWantLen(t, q, 1)
	qPut(t, e, q, "5")
	qWantLen(t, q, 2)
	qGet(t, e, q)
	qWantLen(t, q, 1)
	qGet(t, e, q)
	qWantLen(t, q, 0)
}

// qMPTaskDone: 4 workers, each with its own handle; Join returns once the
// 10 items are processed; empty items stop the workers.
func qMPTaskDone(t *testing.T, e *Env) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{})
	var mu sync.Mutex // guards processed
	var processed []string
	wait := kvGoN(t, 4, func(int) {
		w, err := e.M.Queue(ctx, "q", latchkey.QueueOptions{})
		if err != nil {
			t.Errorf("worker: Queue: %v", err)
			return
		}
		for {
			v, err := w.Get(ctx)
			if err != nil {
				t.Errorf("worker: Get: %v", err)
				return
			}
			if len(v) > 0 {
				mu.Lock()
				processed = append(processed, string(v))
				mu.Unlock()
			}
			if err := w.TaskDone(ctx); err != nil {
				t.Errorf("worker: TaskDone: %v", err)
			}
			if len(v) == 0 {
				return
			}
		}
	})
	var want []string
	for i := range 10 {
		want = append(want, strconv.Itoa(i))
	}
	qPut(t, e, q, want...)
	must(t, q.Join(kvCtx(t, e.Long())))
	mu.Lock()
	got := slices.Clone(processed)
	mu.Unlock()
	kvSameMultiset(t, got, want, "items processed when Join returned")
	qPut(t, e, q, "", "", "", "")
	wait()
	qWantUnfinished(t, q, 0)
}

func qMPTimeout(t *testing.T, e *Env) {
	q := qOpen(t, e, "q", latchkey.QueueOptions{})
	_, err := q.Get(kvCtx(t, e.Short()))
	kvIs(t, err, context.DeadlineExceeded, "timed Get on an empty queue")
	e.Blocked(t, "q", 0)
}

// qSyncManagerQueue: Queue(2) with 5 and 6; a "child" with its own handle
// sees them and takes them; the parent sees the queue empty.
func qSyncManagerQueue(t *testing.T, e *Env) {
	ctx := t.Context()
	opts := latchkey.QueueOptions{MaxSize: 2}
	q := qOpen(t, e, "q", opts)
	qPut(t, e, q, "5", "6")
	child := kvAsync(t, func() error {
		c, err := e.M.Queue(ctx, "q", opts)
		if err != nil {
			return err
		}
		if n, err := c.Len(ctx); err != nil || n != 2 || c.Cap() != 2 {
			return fmt.Errorf("child: Len = %d, %v, Cap = %d", n, err, c.Cap())
		}
		for _, want := range []string{"5", "6"} {
			v, err := c.Get(ctx)
			if err != nil || string(v) != want {
				return fmt.Errorf("child: Get = %q, %v; want %q", v, err, want)
			}
		}
		if n, err := c.Len(ctx); err != nil || n != 0 {
			return fmt.Errorf("child: Len = %d, %v after gets", n, err)
		}
		return nil
	})
	must(t, kvRecv(t, e, child))
	qWantLen(t, q, 0)
	must(t, q.TryPut(ctx, kvB("7"))) // not full
}

func qGetNowaitEmpty(t *testing.T, e *Env) {
	q := qOpen(t, e, "q", latchkey.QueueOptions{})
	_, err := q.TryGet(t.Context())
	kvIs(t, err, latchkey.ErrEmpty, "TryGet on a new queue")
	if latchkey.KindOf(err) != latchkey.KindEmpty {
		t.Fatalf("KindOf(%v) = %v", err, latchkey.KindOf(err))
	}
}

// qValuesCopied: the queue keeps copies of what is put, also when the item
// is handed straight to a waiting getter.
func qValuesCopied(t *testing.T, e *Env) {
	ctx := t.Context()
	for _, o := range qOrders {
		q := qOpen(t, e, "q-"+qOrderName(o), latchkey.QueueOptions{Order: o})
		b := kvB("abc")
		must(t, q.Put(ctx, b))
		b[0] = 'X'
		v, err := q.Get(ctx)
		if err != nil || string(v) != "abc" {
			t.Fatalf("%v: Get = %q, %v after the caller changed its slice", o, v, err)
		}
		v[0] = 'Y'
		must(t, q.Put(ctx, v))
		v[1] = 'Z'
		if got := qGet(t, e, q); got != "Ybc" {
			t.Fatalf("%v: Get = %q, want \"Ybc\"", o, got)
		}
		g := qAsyncGet(t, ctx, q)
		e.Blocked(t, "q-"+qOrderName(o), 1)
		b = kvB("xyz")
		must(t, q.Put(ctx, b))
		b[0] = 'Q'
		qWantItem(t, kvRecv(t, e, g), "xyz")
	}
	s, err := e.M.SimpleQueue(ctx, "sq")
	must(t, err)
	b := kvB("abc")
	must(t, s.Put(ctx, b))
	b[0] = 'X'
	if got := qGet(t, e, s); got != "abc" {
		t.Fatalf("SimpleQueue: Get = %q after the caller changed its slice", got)
	}
}

// qEmptyItem: an empty item is an item.
func qEmptyItem(t *testing.T, e *Env) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{MaxSize: 2})
	must(t, q.Put(ctx, nil))
	must(t, q.Put(ctx, []byte{}))
	qWantLen(t, q, 2)
	kvIs(t, q.TryPut(ctx, nil), latchkey.ErrFull, "TryPut on a full queue")
	for range 2 {
		v, err := q.TryGet(ctx)
		if err != nil || len(v) != 0 {
			t.Fatalf("TryGet = %q, %v; want an empty item", v, err)
		}
	}
	_, err := q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "TryGet")
}

func qCap(t *testing.T, e *Env) {
	for i, c := range []struct{ max, want int }{{0, 0}, {-1, 0}, {1, 1}, {5, 5}} {
		q := qOpen(t, e, name("q", i), latchkey.QueueOptions{MaxSize: c.max})
		if got := q.Cap(); got != c.want {
			t.Errorf("MaxSize %d: Cap = %d, want %d", c.max, got, c.want)
		}
	}
	// Unbounded queues never fill.
	q := qOpen(t, e, "unbounded", latchkey.QueueOptions{})
	for i := range 100 {
		must(t, q.TryPut(t.Context(), kvB(strconv.Itoa(i))))
	}
	qWantLen(t, q, 100)
}

// qTaskDoneTooMany: an extra TaskDone fails with ErrTaskDone and leaves the
// count as it was.
func qTaskDoneTooMany(t *testing.T, e *Env) {
	ctx := t.Context()
	q := qOpen(t, e, "q", latchkey.QueueOptions{})
	qPut(t, e, q, "a", "b")
	qWantUnfinished(t, q, 2)
	qGetN(t, e, q, 2)
	must(t, q.TaskDone(ctx))
	must(t, q.TaskDone(ctx))
	kvIs(t, q.TaskDone(ctx), latchkey.ErrTaskDone, "third TaskDone")
	kvIs(t, q.TaskDone(ctx), latchkey.ErrTaskDone, "fourth TaskDone")
	qWantUnfinished(t, q, 0)
	qPut(t, e, q, "c")
	qWantUnfinished(t, q, 1)
	j := kvAsync(t, func() error { return q.Join(ctx) })
	e.Blocked(t, "q", 1)
	must(t, q.TaskDone(ctx))
	must(t, kvRecv(t, e, j))
	qWantUnfinished(t, q, 0)
}

// qPriorityCodec: a Priority queue of PriorityCodec items hands out the
// lowest priority first, negative ones included.
func qPriorityCodec(t *testing.T, e *Env) {
	ctx := t.Context()
	q := latchkey.NewQueueOf(qOpen(t, e, "q", latchkey.QueueOptions{Order: latchkey.Priority}),
		latchkey.PriorityCodec[string](nil))
	type P = latchkey.Prioritized[string]
	pr := func(p int64, v string) P { return P{Priority: p, Value: v} }
	in := []P{pr(5, "e"), pr(1, "a"), pr(-2, "neg"), pr(3, "c"), pr(1, "b"), pr(-1<<40, "min"), pr(1<<40, "max")}
	for _, p := range in {
		must(t, q.Put(ctx, p))
	}
	want := []P{pr(-1<<40, "min"), pr(-2, "neg"), pr(1, "a"), pr(1, "b"), pr(3, "c"), pr(5, "e"), pr(1<<40, "max")}
	for _, w := range want {
		p, err := q.Get(ctx)
		if err != nil || p != w {
			t.Fatalf("Get = %+v, %v; want %+v", p, err, w)
		}
	}
	_, err := q.TryGet(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "TryGet")
	must(t, q.TryPut(ctx, pr(0, "z")))
	if p, err := q.TryGet(ctx); err != nil || p != pr(0, "z") {
		t.Fatalf("TryGet = %+v, %v", p, err)
	}
}

// qReopenMismatch: a queue's options are part of its identity.
func qReopenMismatch(t *testing.T, e *Env) {
	ctx := t.Context()
	opts := latchkey.QueueOptions{Order: latchkey.FIFO, MaxSize: 2}
	q := qOpen(t, e, "q", opts)
	for _, o := range []latchkey.QueueOptions{
		{Order: latchkey.LIFO, MaxSize: 2},
		{Order: latchkey.Priority, MaxSize: 2},
		{Order: latchkey.FIFO, MaxSize: 3},
		{Order: latchkey.FIFO, MaxSize: 0},
	} {
		_, err := e.M.Queue(ctx, "q", o)
		kvIs(t, err, latchkey.ErrMismatch, fmt.Sprintf("Queue(%+v) over %+v", o, opts))
	}
	q2 := qOpen(t, e, "q", opts)
	qPut(t, e, q, "x")
	if got := qGet(t, e, q2); got != "x" {
		t.Fatalf("second handle got %q", got)
	}
}
