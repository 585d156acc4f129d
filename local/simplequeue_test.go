package local_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// TestSimpleQueueBasic ports test_queue.py's BaseSimpleQueueTest.test_basic.
func TestSimpleQueueBasic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var q local.SimpleQueue
		if n := queueLen(t, &q); n != 0 {
			t.Fatalf("Len() = %d, want 0", n)
		}
		for i, s := range []string{"1", "2", "3", "4"} {
			queuePut(t, &q, s)
			if n := queueLen(t, &q); n != i+1 {
				t.Fatalf("Len() = %d, want %d", n, i+1)
			}
		}
		if got := queueGet(t, &q); got != "1" {
			t.Fatalf("Get = %q, want 1", got)
		}
		if v, err := q.TryGet(ctx); err != nil || string(v) != "2" {
			t.Fatalf("TryGet = %q, %v, want 2", v, err)
		}
		if v, err := q.TryGet(ctx); err != nil || string(v) != "3" {
			t.Fatalf("TryGet = %q, %v, want 3", v, err)
		}
		tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		if v, err := q.Get(tctx); err != nil || string(v) != "4" {
			t.Fatalf("timed Get = %q, %v, want 4", v, err)
		}
		cancel()
		if n := queueLen(t, &q); n != 0 {
			t.Fatalf("Len() = %d, want 0", n)
		}
		_, err := q.TryGet(ctx)
		queueWantErr(t, "TryGet on empty", err, latchkey.ErrEmpty)
		tctx, cancel = context.WithTimeout(ctx, time.Millisecond)
		_, err = q.Get(tctx)
		cancel()
		queueWantErr(t, "timed Get on empty", err, context.DeadlineExceeded)
		if n := q.Waiters(); n != 0 {
			t.Fatalf("Waiters() = %d, want 0", n)
		}

		// A blocking Get, unblocked by a Put.
		if v := queueBlockingTest(t, &q, func() ([]byte, error) { return q.Get(ctx) },
			func() { queuePut(t, &q, "empty") }); string(v) != "empty" {
			t.Fatalf("blocked Get = %q, want \"empty\"", v)
		}
	})
}

// TestSimpleQueueCopies checks that the queue keeps no alias of the
// caller's buffers.
func TestSimpleQueueCopies(t *testing.T) {
	var q local.SimpleQueue
	buf := []byte("abc")
	if err := q.Put(t.Context(), buf); err != nil {
		t.Fatal(err)
	}
	buf[0] = 'X'
	if got := queueGet(t, &q); got != "abc" {
		t.Fatalf("Get = %q, want \"abc\"", got)
	}
}

// TestSimpleQueueCancelled checks Gets whose ctx is done before or while
// they block.
func TestSimpleQueueCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var q local.SimpleQueue
		done, cancel := context.WithCancel(t.Context())
		cancel()
		queuePut(t, &q, "a")
		_, err := q.Get(done)
		queueWantErr(t, "Get with a done ctx", err, context.Canceled)
		if queueLen(t, &q) != 1 {
			t.Fatal("Get with a done ctx took the item")
		}
		queueGet(t, &q)

		ctx, cancel := context.WithCancel(t.Context())
		g := queueAsync(func() ([]byte, error) { return q.Get(ctx) })
		queueBlocked(t, &q, 1, g)
		cancel()
		queueWantErr(t, "cancelled Get", (<-g).err, context.Canceled)
		if q.Waiters() != 0 {
			t.Fatal("a cancelled Get left a waiter")
		}
		queuePut(t, &q, "b")
		if queueLen(t, &q) != 1 {
			t.Fatal("an item went to a cancelled Get")
		}
	})
}

// TestSimpleQueueFairness checks that blocked getters are served in
// arrival order and that TryGet does not overtake them.
func TestSimpleQueueFairness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var q local.SimpleQueue
		var gets []<-chan queueResult
		for i := range 3 {
			gets = append(gets, queueAsync(func() ([]byte, error) { return q.Get(t.Context()) }))
			queueBlocked(t, &q, i+1, gets...)
		}
		for i := range 3 {
			queuePut(t, &q, strconv.Itoa(i))
			_, err := q.TryGet(t.Context())
			queueWantErr(t, "TryGet while getters wait", err, latchkey.ErrEmpty)
		}
		for i, g := range gets {
			if r := <-g; r.err != nil || string(r.v) != strconv.Itoa(i) {
				t.Fatalf("getter %d = %q, %v, want %d", i, r.v, r.err, i)
			}
		}
	})
}

// TestSimpleQueueGetCancelRace cancels two blocked getters at the moment
// items are handed to them: the items given back keep their order.
func TestSimpleQueueGetCancelRace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for range 100 {
			var q local.SimpleQueue
			ctx, cancel := context.WithCancel(t.Context())
			g1 := queueAsync(func() ([]byte, error) { return q.Get(ctx) })
			queueBlocked(t, &q, 1, g1)
			g2 := queueAsync(func() ([]byte, error) { return q.Get(ctx) })
			queueBlocked(t, &q, 2, g1, g2)
			cancel()
			queuePut(t, &q, "A")
			queuePut(t, &q, "B")
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
			for {
				v, err := q.TryGet(t.Context())
				if err != nil {
					break
				}
				left = append(left, string(v))
			}
			all := slices.Sorted(slices.Values(append(slices.Clone(got), left...)))
			if !slices.Equal(all, []string{"A", "B"}) || !orderedIn(latchkey.FIFO, left) {
				t.Fatalf("got %q and left %q, want A and B once, in order", got, left)
			}
			if q.Waiters() != 0 {
				t.Fatalf("Waiters() = %d, want 0", q.Waiters())
			}
		}
	})
}

// simpleQueueRun ports run_threads: n feeders share the inputs and put
// them (then a sentinel each), n consumers collect until a sentinel.
func simpleQueueRun(t *testing.T, n, inputs int, consume func(context.Context, *local.SimpleQueue) ([]byte, error)) []int {
	var q local.SimpleQueue
	var (
		mu      sync.Mutex
		next    int
		results []int
		wg      sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= inputs {
					queuePut(t, &q, "sentinel")
					return
				}
				queuePut(t, &q, strconv.Itoa(i))
				if i%3 == 0 {
					runtime.Gosched()
				}
			}
		})
		wg.Go(func() {
			for {
				v, err := consume(t.Context(), &q)
				if err != nil {
					t.Error(err)
					return
				}
				if string(v) == "sentinel" {
					return
				}
				x, err := strconv.Atoi(string(v))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				results = append(results, x)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if queueLen(t, &q) != 0 || q.Waiters() != 0 {
		t.Fatalf("Len() = %d, Waiters() = %d at the end, want 0, 0", queueLen(t, &q), q.Waiters())
	}
	return results
}

func simpleQueueBlockingGet(ctx context.Context, q *local.SimpleQueue) ([]byte, error) {
	return q.Get(ctx)
}

// TestSimpleQueueOrder ports test_order: one producer, one consumer, FIFO.
func TestSimpleQueueOrder(t *testing.T) {
	got := simpleQueueRun(t, 1, 100, simpleQueueBlockingGet)
	want := make([]int, 100)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want 0..99 in order", got)
	}
}

// TestSimpleQueueManyGoroutines ports test_many_threads and its nonblock
// and timeout variants: the multiset of items is preserved.
func TestSimpleQueueManyGoroutines(t *testing.T) {
	for _, tc := range []struct {
		name       string
		goroutines int
		inputs     int
		consume    func(context.Context, *local.SimpleQueue) ([]byte, error)
	}{
		{"blocking", 50, 10000, simpleQueueBlockingGet},
		{"nonblock", 50, 10000, func(ctx context.Context, q *local.SimpleQueue) ([]byte, error) {
			for {
				v, err := q.TryGet(ctx)
				if !errors.Is(err, latchkey.ErrEmpty) {
					return v, err
				}
				runtime.Gosched()
			}
		}},
		{"timeout", 10, 1000, func(ctx context.Context, q *local.SimpleQueue) ([]byte, error) {
			for {
				tctx, cancel := context.WithTimeout(ctx, 100*time.Microsecond)
				v, err := q.Get(tctx)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					return v, err
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := simpleQueueRun(t, tc.goroutines, tc.inputs, tc.consume)
			slices.Sort(got)
			for i, x := range got {
				if x != i {
					t.Fatalf("sorted results[%d] = %d, want %d (%d results)", i, x, i, len(got))
				}
			}
			if len(got) != tc.inputs {
				t.Fatalf("%d results, want %d", len(got), tc.inputs)
			}
		})
	}
}

// TestSimpleQueueHammerCancel is TestQueueHammerCancel for SimpleQueue.
func TestSimpleQueueHammerCancel(t *testing.T) {
	var q local.SimpleQueue
	hammerQueue(t, &q, queueSeed(t), nil)
}
