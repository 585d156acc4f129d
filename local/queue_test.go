package local_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

var queueSeedFlag = flag.Uint64("queue.seed", 0, "seed of the randomized Queue and SimpleQueue tests (0: pick one)")

// queueSeed returns the seed of a randomized test and logs it.
func queueSeed(t *testing.T) uint64 {
	t.Helper()
	seed := *queueSeedFlag
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -queue.seed=%d)", seed, seed)
	return seed
}

// queueSize is test_queue.py's QUEUE_SIZE.
const queueSize = 5

var queueOrders = []latchkey.Order{latchkey.FIFO, latchkey.LIFO, latchkey.Priority}

func newTestQueue(t testing.TB, order latchkey.Order, maxSize int) *local.Queue {
	t.Helper()
	q, err := local.NewQueue(latchkey.QueueOptions{Order: order, MaxSize: maxSize})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// forEachOrder runs f as a subtest for every queue order.
func forEachOrder(t *testing.T, f func(t *testing.T, order latchkey.Order)) {
	for _, order := range queueOrders {
		t.Run(order.String(), func(t *testing.T) { f(t, order) })
	}
}

// queueResult is the outcome of a call run in another goroutine.
type queueResult struct {
	v   []byte
	err error
}

// queueAsync runs f in a new goroutine; the channel receives its result.
func queueAsync(f func() ([]byte, error)) <-chan queueResult {
	ch := make(chan queueResult, 1)
	go func() {
		v, err := f()
		ch <- queueResult{v, err}
	}()
	return ch
}

// queueWaiters is what Queue and SimpleQueue have in common for tests.
type queueWaiters interface {
	latchkey.SimpleQueue
	Waiters() int
}

// queueBlocked waits until every goroutine of the bubble is blocked and
// checks that none of the calls has returned and that n calls wait on q.
func queueBlocked(t *testing.T, q queueWaiters, n int, calls ...<-chan queueResult) {
	t.Helper()
	synctest.Wait()
	for i, c := range calls {
		select {
		case r := <-c:
			t.Fatalf("call %d returned (%q, %v), want it blocked", i, r.v, r.err)
		default:
		}
	}
	if got := q.Waiters(); got != n {
		t.Fatalf("Waiters() = %d, want %d", got, n)
	}
}

// queueBlockingTest is test_queue.py's do_blocking_test: block must block
// until trigger runs, and then succeed.
func queueBlockingTest(t *testing.T, q queueWaiters, block func() ([]byte, error), trigger func()) []byte {
	t.Helper()
	done := queueAsync(block)
	queueBlocked(t, q, 1, done)
	trigger()
	r := <-done
	if r.err != nil {
		t.Fatalf("blocking call failed after the trigger: %v", r.err)
	}
	if n := q.Waiters(); n != 0 {
		t.Fatalf("Waiters() = %d after the trigger, want 0", n)
	}
	return r.v
}

func queuePut(t testing.TB, q latchkey.SimpleQueue, s string) {
	t.Helper()
	if err := q.Put(t.Context(), []byte(s)); err != nil {
		t.Fatalf("Put(%q): %v", s, err)
	}
}

func queueGet(t testing.TB, q latchkey.SimpleQueue) string {
	t.Helper()
	v, err := q.Get(t.Context())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return string(v)
}

func queueLen(t testing.TB, q latchkey.SimpleQueue) int {
	t.Helper()
	n, err := q.Len(t.Context())
	if err != nil {
		t.Fatalf("Len: %v", err)
	}
	return n
}

func queueUnfinished(t testing.TB, q *local.Queue) int {
	t.Helper()
	n, err := q.Unfinished(t.Context())
	if err != nil {
		t.Fatalf("Unfinished: %v", err)
	}
	return n
}

func queueWantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func TestQueueZeroValue(t *testing.T) {
	var q local.Queue
	if got, want := q.Options(), (latchkey.QueueOptions{}); got != want {
		t.Errorf("Options() = %+v, want %+v", got, want)
	}
	if q.Cap() != 0 {
		t.Errorf("Cap() = %d, want 0", q.Cap())
	}
	for i := range 100 {
		queuePut(t, &q, strconv.Itoa(i))
	}
	for i := range 100 {
		if got := queueGet(t, &q); got != strconv.Itoa(i) {
			t.Fatalf("Get = %q, want %d", got, i)
		}
	}
	queueWantErr(t, "TryGet on empty", func() error { _, err := q.TryGet(t.Context()); return err }(), latchkey.ErrEmpty)
}

func TestNewQueue(t *testing.T) {
	for _, tc := range []struct {
		in, want latchkey.QueueOptions
	}{
		{latchkey.QueueOptions{}, latchkey.QueueOptions{}},
		{latchkey.QueueOptions{Order: latchkey.LIFO, MaxSize: 3}, latchkey.QueueOptions{Order: latchkey.LIFO, MaxSize: 3}},
		{latchkey.QueueOptions{Order: latchkey.Priority, MaxSize: -7}, latchkey.QueueOptions{Order: latchkey.Priority}},
	} {
		q, err := local.NewQueue(tc.in)
		if err != nil {
			t.Fatalf("NewQueue(%+v): %v", tc.in, err)
		}
		if got := q.Options(); got != tc.want {
			t.Errorf("NewQueue(%+v).Options() = %+v, want %+v", tc.in, got, tc.want)
		}
		if q.Cap() != tc.want.MaxSize {
			t.Errorf("NewQueue(%+v).Cap() = %d, want %d", tc.in, q.Cap(), tc.want.MaxSize)
		}
	}
	q, err := local.NewQueue(latchkey.QueueOptions{Order: 3})
	if !errors.Is(err, latchkey.ErrInvalid) || q != nil {
		t.Errorf("NewQueue(order 3) = %v, %v, want nil, ErrInvalid", q, err)
	}
}

// TestQueueBasic ports test_queue.py's test_basic, run twice on one queue.
func TestQueueBasic(t *testing.T) {
	want := map[latchkey.Order][]string{
		latchkey.FIFO:     {"111", "333", "222"},
		latchkey.LIFO:     {"222", "333", "111"},
		latchkey.Priority: {"111", "222", "333"},
	}
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		synctest.Test(t, func(t *testing.T) {
			q := newTestQueue(t, order, queueSize)
			queueBasic(t, q, want[order])
			queueBasic(t, q, want[order])
		})
	})
}

func queueBasic(t *testing.T, q *local.Queue, order []string) {
	ctx := t.Context()
	if n := queueLen(t, q); n != 0 {
		t.Fatalf("Len() = %d at start, want 0", n)
	}
	for _, s := range []string{"111", "333", "222"} {
		queuePut(t, q, s)
	}
	for _, want := range order {
		if got := queueGet(t, q); got != want {
			t.Fatalf("Get = %q, want %q (order %v)", got, want, order)
		}
	}
	for i := range queueSize - 1 {
		queuePut(t, q, strconv.Itoa(i))
		if queueLen(t, q) == 0 {
			t.Fatal("queue should not be empty")
		}
	}
	if queueLen(t, q) >= q.Cap() {
		t.Fatal("queue should not be full")
	}
	queuePut(t, q, "last")
	if queueLen(t, q) != q.Cap() {
		t.Fatal("queue should be full")
	}
	queueWantErr(t, "TryPut on full", q.TryPut(ctx, []byte("full")), latchkey.ErrFull)
	tctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	queueWantErr(t, "timed Put on full", q.Put(tctx, []byte("full")), context.DeadlineExceeded)
	cancel()

	// A blocking Put, with and without a deadline, unblocked by a Get.
	queueBlockingTest(t, q, func() ([]byte, error) { return nil, q.Put(ctx, []byte("full")) },
		func() { queueGet(t, q) })
	queueBlockingTest(t, q, func() ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return nil, q.Put(ctx, []byte("full"))
	}, func() { queueGet(t, q) })

	for range queueSize {
		queueGet(t, q)
	}
	if n := queueLen(t, q); n != 0 {
		t.Fatalf("Len() = %d, want 0", n)
	}
	_, err := q.TryGet(ctx)
	queueWantErr(t, "TryGet on empty", err, latchkey.ErrEmpty)
	tctx, cancel = context.WithTimeout(ctx, 10*time.Millisecond)
	_, err = q.Get(tctx)
	queueWantErr(t, "timed Get on empty", err, context.DeadlineExceeded)
	cancel()

	// A blocking Get, with and without a deadline, unblocked by a Put.
	if v := queueBlockingTest(t, q, func() ([]byte, error) { return q.Get(ctx) },
		func() { queuePut(t, q, "empty") }); string(v) != "empty" {
		t.Fatalf("blocked Get = %q, want \"empty\"", v)
	}
	if v := queueBlockingTest(t, q, func() ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return q.Get(ctx)
	}, func() { queuePut(t, q, "empty") }); string(v) != "empty" {
		t.Fatalf("blocked Get = %q, want \"empty\"", v)
	}
	if n := q.Waiters(); n != 0 {
		t.Fatalf("Waiters() = %d, want 0", n)
	}
	// Every item put so far is still unfinished: 3+5+2+2 items.
	for queueUnfinished(t, q) > 0 {
		if err := q.TaskDone(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestQueueTaskDone ports test_queue_task_done.
func TestQueueTaskDone(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		q := newTestQueue(t, order, 0)
		queueWantErr(t, "TaskDone on a fresh queue", q.TaskDone(t.Context()), latchkey.ErrTaskDone)
		queuePut(t, q, "x")
		if err := q.TaskDone(t.Context()); err != nil {
			t.Fatal(err)
		}
		queueWantErr(t, "TaskDone once too often", q.TaskDone(t.Context()), latchkey.ErrTaskDone)
		if n := queueUnfinished(t, q); n != 0 {
			t.Fatalf("Unfinished() = %d after a failed TaskDone, want 0", n)
		}
	})
}

// TestQueueJoin ports test_queue_join, run twice on one queue.
func TestQueueJoin(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		q := newTestQueue(t, order, 0)
		queueJoin(t, q)
		queueJoin(t, q)
		queueWantErr(t, "TaskDone after join", q.TaskDone(t.Context()), latchkey.ErrTaskDone)
	})
}

func queueJoin(t *testing.T, q *local.Queue) {
	ctx := t.Context()
	qi := latchkey.NewQueueOf[int](q, nil)
	var cum atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				x, err := qi.Get(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if x >= 0 {
					cum.Add(int64(x))
				}
				if err := q.TaskDone(ctx); err != nil {
					t.Error(err)
				}
				if x < 0 {
					return
				}
			}
		})
	}
	for i := range 100 {
		if err := qi.Put(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if got := cum.Load(); got != 4950 {
		t.Fatalf("sum = %d after Join, want 4950: Join did not wait for the tasks", got)
	}
	for range 2 {
		if err := qi.Put(ctx, -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Join(ctx); err != nil { // Join works twice.
		t.Fatal(err)
	}
	wg.Wait()
}

// TestQueueJoinBlocks checks that Join really waits for the last TaskDone
// and that a cancelled Join leaves no waiter.
func TestQueueJoinBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		q := newTestQueue(t, latchkey.FIFO, 0)
		if err := q.Join(ctx); err != nil {
			t.Fatalf("Join on a fresh queue: %v", err)
		}
		queuePut(t, q, "a")
		queuePut(t, q, "b")
		j1 := queueAsync(func() ([]byte, error) { return nil, q.Join(ctx) })
		j2 := queueAsync(func() ([]byte, error) { return nil, q.Join(ctx) })
		cctx, cancel := context.WithCancel(ctx)
		j3 := queueAsync(func() ([]byte, error) { return nil, q.Join(cctx) })
		queueBlocked(t, q, 3, j1, j2, j3)
		cancel()
		queueWantErr(t, "cancelled Join", (<-j3).err, context.Canceled)
		queueBlocked(t, q, 2, j1, j2)
		queueGet(t, q)
		queueGet(t, q)
		if err := q.TaskDone(ctx); err != nil {
			t.Fatal(err)
		}
		queueBlocked(t, q, 2, j1, j2)
		if err := q.TaskDone(ctx); err != nil {
			t.Fatal(err)
		}
		for _, j := range []<-chan queueResult{j1, j2} {
			if r := <-j; r.err != nil {
				t.Fatalf("Join: %v", r.err)
			}
		}
		if n := q.Waiters(); n != 0 {
			t.Fatalf("Waiters() = %d, want 0", n)
		}
	})
}

// TestQueueNowait ports test_nowait.
func TestQueueNowait(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		ctx := t.Context()
		q := newTestQueue(t, order, queueSize)
		for i := range queueSize {
			if err := q.TryPut(ctx, []byte{byte(i)}); err != nil {
				t.Fatalf("TryPut %d: %v", i, err)
			}
		}
		queueWantErr(t, "TryPut on full", q.TryPut(ctx, []byte("x")), latchkey.ErrFull)
		for i := range queueSize {
			if _, err := q.TryGet(ctx); err != nil {
				t.Fatalf("TryGet %d: %v", i, err)
			}
		}
		_, err := q.TryGet(ctx)
		queueWantErr(t, "TryGet on empty", err, latchkey.ErrEmpty)
	})
}

// TestQueueCopies checks that the queue keeps no alias of the caller's
// buffers in either direction.
func TestQueueCopies(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		ctx := t.Context()
		q := newTestQueue(t, order, 0)
		buf := []byte("abc")
		queuePut(t, q, "abc")
		if err := q.Put(ctx, buf); err != nil {
			t.Fatal(err)
		}
		if err := q.TryPut(ctx, buf); err != nil {
			t.Fatal(err)
		}
		buf[0] = 'X'
		v1, _ := q.Get(ctx)
		v1[1] = 'Y'
		for range 2 {
			if v, _ := q.TryGet(ctx); string(v) != "abc" {
				t.Fatalf("item = %q, want \"abc\"", v)
			}
		}
	})
}

// TestQueueEmptyItem checks that empty items are items.
func TestQueueEmptyItem(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		q := newTestQueue(t, order, 1)
		if err := q.Put(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		queueWantErr(t, "TryPut on full", q.TryPut(t.Context(), []byte{}), latchkey.ErrFull)
		if v, err := q.Get(t.Context()); err != nil || len(v) != 0 {
			t.Fatalf("Get = %q, %v, want empty item", v, err)
		}
	})
}

// TestQueuePriorityOrder checks the heap against a sort.
func TestQueuePriorityOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(queueSeed(t), 1))
	q := newTestQueue(t, latchkey.Priority, 0)
	var want [][]byte
	for range 1000 {
		v := []byte(strconv.Itoa(r.IntN(300)))
		want = append(want, v)
		if err := q.Put(t.Context(), v); err != nil {
			t.Fatal(err)
		}
	}
	slices.SortFunc(want, bytes.Compare)
	for i, w := range want {
		v, err := q.TryGet(t.Context())
		if err != nil || !bytes.Equal(v, w) {
			t.Fatalf("item %d = %q, %v, want %q", i, v, err, w)
		}
	}
}

// TestQueueModel runs random non-blocking operations against a simple
// reference implementation of each order.
func TestQueueModel(t *testing.T) {
	seed := queueSeed(t)
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		for _, maxSize := range []int{0, 1, 7} {
			r := rand.New(rand.NewPCG(seed, uint64(maxSize)))
			ctx := t.Context()
			q := newTestQueue(t, order, maxSize)
			var model []string // in put order
			unfinished := 0
			for i := range 5000 {
				switch op := r.IntN(10); {
				case op < 5:
					v := strconv.Itoa(r.IntN(50))
					err := q.TryPut(ctx, []byte(v))
					if maxSize > 0 && len(model) >= maxSize {
						queueWantErr(t, fmt.Sprintf("op %d TryPut on full", i), err, latchkey.ErrFull)
						continue
					}
					if err != nil {
						t.Fatalf("op %d TryPut: %v", i, err)
					}
					model = append(model, v)
					unfinished++
				case op < 9:
					v, err := q.TryGet(ctx)
					if len(model) == 0 {
						queueWantErr(t, fmt.Sprintf("op %d TryGet on empty", i), err, latchkey.ErrEmpty)
						continue
					}
					k := 0
					switch order {
					case latchkey.LIFO:
						k = len(model) - 1
					case latchkey.Priority:
						for j := range model {
							if model[j] < model[k] {
								k = j
							}
						}
					}
					if err != nil || string(v) != model[k] {
						t.Fatalf("op %d TryGet = %q, %v, want %q", i, v, err, model[k])
					}
					model = slices.Delete(model, k, k+1)
				default:
					err := q.TaskDone(ctx)
					if unfinished == 0 {
						queueWantErr(t, "TaskDone", err, latchkey.ErrTaskDone)
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					unfinished--
				}
				if n := queueLen(t, q); n != len(model) {
					t.Fatalf("op %d: Len() = %d, want %d", i, n, len(model))
				}
				if n := queueUnfinished(t, q); n != unfinished {
					t.Fatalf("op %d: Unfinished() = %d, want %d", i, n, unfinished)
				}
			}
		}
	})
}

// TestQueueCancelled checks calls whose ctx is done before or while they
// block: they return ctx.Err() and leave the queue as it was.
func TestQueueCancelled(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		synctest.Test(t, func(t *testing.T) {
			done, cancel := context.WithCancel(t.Context())
			cancel()
			q := newTestQueue(t, order, 1)
			queueWantErr(t, "Put with a done ctx", q.Put(done, []byte("x")), context.Canceled)
			if queueLen(t, q) != 0 || queueUnfinished(t, q) != 0 {
				t.Fatal("Put with a done ctx changed the queue")
			}
			queuePut(t, q, "a")
			_, err := q.Get(done)
			queueWantErr(t, "Get with a done ctx", err, context.Canceled)
			queueWantErr(t, "Join with a done ctx", q.Join(done), context.Canceled)
			if queueLen(t, q) != 1 {
				t.Fatal("Get with a done ctx took the item")
			}

			// A Put blocked on the full queue, then cancelled.
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			p := queueAsync(func() ([]byte, error) { return nil, q.Put(ctx, []byte("b")) })
			queueBlocked(t, q, 1, p)
			// The bubble's clock jumps to the deadline.
			queueWantErr(t, "blocked Put past its deadline", (<-p).err, context.DeadlineExceeded)
			cancel()
			if q.Waiters() != 0 || queueLen(t, q) != 1 || queueUnfinished(t, q) != 1 {
				t.Fatal("a cancelled Put changed the queue")
			}
			if got := queueGet(t, q); got != "a" {
				t.Fatalf("Get = %q, want \"a\"", got)
			}

			// A Get blocked on the empty queue, then cancelled.
			ctx, cancel = context.WithCancel(t.Context())
			g := queueAsync(func() ([]byte, error) { return q.Get(ctx) })
			queueBlocked(t, q, 1, g)
			cancel()
			queueWantErr(t, "cancelled Get", (<-g).err, context.Canceled)
			if q.Waiters() != 0 {
				t.Fatal("a cancelled Get left a waiter")
			}
			queuePut(t, q, "c")
			if queueLen(t, q) != 1 {
				t.Fatal("an item went to a cancelled Get")
			}
		})
	})
}

// TestQueueFairness checks that blocked getters and putters are served in
// arrival order and that Try forms do not overtake them.
func TestQueueFairness(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			q := newTestQueue(t, order, 1)
			var gets []<-chan queueResult
			for i := range 3 {
				gets = append(gets, queueAsync(func() ([]byte, error) { return q.Get(ctx) }))
				queueBlocked(t, q, i+1, gets...)
			}
			for _, s := range []string{"2", "0", "1"} {
				if err := q.TryPut(ctx, []byte(s)); err != nil {
					t.Fatal(err)
				}
				_, err := q.TryGet(ctx)
				queueWantErr(t, "TryGet while getters wait", err, latchkey.ErrEmpty)
			}
			for i, want := range []string{"2", "0", "1"} {
				if r := <-gets[i]; r.err != nil || string(r.v) != want {
					t.Fatalf("getter %d = %q, %v, want %q", i, r.v, r.err, want)
				}
			}

			queuePut(t, q, "x")
			var puts []<-chan queueResult
			for i := range 3 {
				puts = append(puts, queueAsync(func() ([]byte, error) { return nil, q.Put(ctx, []byte{'a' + byte(i)}) }))
				queueBlocked(t, q, i+1, puts...)
			}
			queueWantErr(t, "TryPut while putters wait", q.TryPut(ctx, []byte("z")), latchkey.ErrFull)
			for i, want := range []string{"x", "a", "b", "c"} {
				if got := queueGet(t, q); got != want {
					t.Fatalf("Get %d = %q, want %q", i, got, want)
				}
				if i < 3 {
					if r := <-puts[i]; r.err != nil {
						t.Fatalf("putter %d: %v", i, r.err)
					}
				}
			}
			if n := queueUnfinished(t, q); n != 7 {
				t.Fatalf("Unfinished() = %d, want 7", n)
			}
		})
	})
}

// orderedIn reports whether items, the remains of a queue into which a
// was put before b, come out in the queue's order.
func orderedIn(order latchkey.Order, items []string) bool {
	if len(items) < 2 {
		return true
	}
	if order == latchkey.LIFO {
		return items[0] == "B" && items[1] == "A"
	}
	return items[0] == "A" && items[1] == "B"
}

// TestQueueGetCancelRace cancels blocked getters at the moment items are
// handed to them: each item ends up either returned or back in the queue,
// in its place.
func TestQueueGetCancelRace(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		for _, maxSize := range []int{0, 1} {
			synctest.Test(t, func(t *testing.T) {
				for range 100 {
					q := newTestQueue(t, order, maxSize)
					ctx, cancel := context.WithCancel(t.Context())
					g1 := queueAsync(func() ([]byte, error) { return q.Get(ctx) })
					queueBlocked(t, q, 1, g1)
					g2 := queueAsync(func() ([]byte, error) { return q.Get(ctx) })
					queueBlocked(t, q, 2, g1, g2)
					cancel()
					queuePut(t, q, "A")
					var p <-chan queueResult
					if maxSize == 0 {
						queuePut(t, q, "B")
						c := make(chan queueResult, 1)
						c <- queueResult{}
						p = c
					} else { // the queue may be full now: B waits for room
						p = queueAsync(func() ([]byte, error) { return nil, q.Put(t.Context(), []byte("B")) })
					}
					var got []string
					for _, g := range []<-chan queueResult{g1, g2} {
						switch r := <-g; {
						case r.err == nil:
							got = append(got, string(r.v))
						case !errors.Is(r.err, context.Canceled):
							t.Fatalf("Get: %v", r.err)
						}
					}
					var left []string
					for len(got)+len(left) < 2 {
						left = append(left, queueGet(t, q))
					}
					if r := <-p; r.err != nil {
						t.Fatalf("Put B: %v", r.err)
					}
					if n := queueLen(t, q); n != 0 {
						t.Fatalf("Len() = %d after taking A and B, want 0", n)
					}
					all := slices.Sorted(slices.Values(append(slices.Clone(got), left...)))
					if !slices.Equal(all, []string{"A", "B"}) {
						t.Fatalf("got %q and left %q, want A and B once", got, left)
					}
					if maxSize == 0 && !orderedIn(order, left) {
						t.Fatalf("left %q out of %v order", left, order)
					}
					if q.Waiters() != 0 || queueUnfinished(t, q) != 2 {
						t.Fatalf("Waiters() = %d, Unfinished() = %d, want 0, 2", q.Waiters(), queueUnfinished(t, q))
					}
				}
			})
		}
	})
}

// TestQueuePutCancelRace cancels a blocked putter at the moment room frees:
// the Put either returns nil and its item was put, or returns ctx.Err()
// and its item is nowhere.
func TestQueuePutCancelRace(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		synctest.Test(t, func(t *testing.T) {
			for i := range 200 {
				ctx := t.Context()
				q := newTestQueue(t, order, 1)
				queuePut(t, q, "old")
				pctx, cancel := context.WithCancel(ctx)
				p := queueAsync(func() ([]byte, error) { return nil, q.Put(pctx, []byte("new")) })
				queueBlocked(t, q, 1, p)
				cancel()
				var got []string
				for range 1 + i%2 { // every other round, also take the new item
					if v, err := q.TryGet(ctx); err == nil {
						got = append(got, string(v))
					}
				}
				r := <-p
				if r.err != nil && !errors.Is(r.err, context.Canceled) {
					t.Fatalf("Put: %v", r.err)
				}
				for {
					v, err := q.TryGet(ctx)
					if err != nil {
						break
					}
					got = append(got, string(v))
				}
				want, unfinished := []string{"old"}, 1
				if r.err == nil {
					want, unfinished = []string{"old", "new"}, 2
				}
				if !slices.Equal(got, want) {
					t.Fatalf("Put returned %v; items %q, want %q", r.err, got, want)
				}
				if q.Waiters() != 0 || queueUnfinished(t, q) != unfinished {
					t.Fatalf("Waiters() = %d, Unfinished() = %d, want 0, %d", q.Waiters(), queueUnfinished(t, q), unfinished)
				}
			}
		})
	})
}

// TestQueueHammerCancel runs producers and consumers whose Puts and Gets
// are cancelled at random moments; no item may be lost or duplicated:
// the items put successfully are exactly the items got plus those left.
func TestQueueHammerCancel(t *testing.T) {
	seed := queueSeed(t)
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		for _, maxSize := range []int{0, 1, 4} {
			t.Run(fmt.Sprintf("max%d", maxSize), func(t *testing.T) {
				q := newTestQueue(t, order, maxSize)
				hammerQueue(t, q, seed, func() error { return q.Join(t.Context()) })
				if n := queueUnfinished(t, q); n != 0 {
					t.Fatalf("Unfinished() = %d, want 0", n)
				}
			})
		}
	})
}

// hammerCtx returns a ctx that is cancelled at a random moment soon, or
// never.
func hammerCtx(parent context.Context, r *rand.Rand) (context.Context, context.CancelFunc) {
	switch r.IntN(4) {
	case 0:
		return context.WithTimeout(parent, time.Duration(r.IntN(30))*time.Microsecond)
	case 1:
		ctx, cancel := context.WithCancel(parent)
		go cancel()
		return ctx, cancel
	}
	return context.WithCancel(parent)
}

// hammerQueue puts and gets unique items in many goroutines with random
// cancellation and checks the multiset of items. After it, every item got
// has been marked done (when q has TaskDone) and join, if not nil, returned.
func hammerQueue(t *testing.T, q queueWaiters, seed uint64, join func() error) {
	const producers, consumers, perProducer = 4, 4, 300
	taskDone, _ := q.(interface{ TaskDone(context.Context) error })
	tryPut, _ := q.(interface {
		TryPut(context.Context, []byte) error
	})
	var (
		mu       sync.Mutex
		put, got []string
	)
	stop, stopConsumers := context.WithCancel(t.Context())
	var pwg, cwg sync.WaitGroup
	for p := range producers {
		pwg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(p)))
			for i := range perProducer {
				v := fmt.Sprintf("p%d-%d", p, i)
				var err error
				if tryPut != nil && r.IntN(8) == 0 {
					err = tryPut.TryPut(t.Context(), []byte(v))
				} else {
					ctx, cancel := hammerCtx(t.Context(), r)
					err = q.Put(ctx, []byte(v))
					cancel()
				}
				switch {
				case err == nil:
					mu.Lock()
					put = append(put, v)
					mu.Unlock()
				case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, latchkey.ErrFull):
				default:
					t.Errorf("Put: %v", err)
				}
			}
		})
	}
	for c := range consumers {
		cwg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(producers+c)))
			for stop.Err() == nil {
				var v []byte
				var err error
				if r.IntN(8) == 0 {
					v, err = q.TryGet(t.Context())
				} else {
					ctx, cancel := hammerCtx(stop, r)
					v, err = q.Get(ctx)
					cancel()
				}
				switch {
				case err == nil:
					mu.Lock()
					got = append(got, string(v))
					mu.Unlock()
					if taskDone != nil {
						if err := taskDone.TaskDone(t.Context()); err != nil {
							t.Errorf("TaskDone: %v", err)
						}
					}
				case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, latchkey.ErrEmpty):
				default:
					t.Errorf("Get: %v", err)
				}
			}
		})
	}
	pwg.Wait()
	stopConsumers()
	cwg.Wait()
	left := 0
	for {
		v, err := q.TryGet(t.Context())
		if err != nil {
			break
		}
		got = append(got, string(v))
		left++
		if taskDone != nil {
			if err := taskDone.TaskDone(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
	slices.Sort(put)
	slices.Sort(got)
	if !slices.Equal(put, got) {
		t.Fatalf("%d items put, %d got (%d of them left in the queue): the multisets differ", len(put), len(got), left)
	}
	if join != nil {
		if err := join(); err != nil {
			t.Fatal(err)
		}
	}
	if n := q.Waiters(); n != 0 {
		t.Fatalf("Waiters() = %d at the end, want 0", n)
	}
	t.Logf("%d items of %d put, %d left at the end", len(put), producers*perProducer, left)
}
