package local_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// barrierN and barrierTimeout are Python's BarrierTests.N and
// defaultTimeout.
const (
	barrierN       = 5
	barrierTimeout = 2 * time.Second
)

func barrierNew(t testing.TB, parties int, opts *latchkey.BarrierOptions) *local.Barrier {
	t.Helper()
	b, err := local.NewBarrier(parties, opts)
	if err != nil {
		t.Fatalf("NewBarrier(%d): %v", parties, err)
	}
	return b
}

// barrierDefault returns a barrier of Python's test setup: N parties and a
// default timeout of 2 s.
func barrierDefault(t testing.TB) *local.Barrier {
	return barrierNew(t, barrierN, &latchkey.BarrierOptions{Timeout: barrierTimeout})
}

// barrierRun runs f(g) in n goroutines, g = 0..n-1, and waits for them
// (Python's run_threads).
func barrierRun(n int, f func(g int)) {
	done := make(chan struct{})
	for g := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			f(g)
		}()
	}
	for range n {
		<-done
	}
}

func barrierWaiting(t testing.TB, b *local.Barrier) int {
	t.Helper()
	n, err := b.Waiting(t.Context())
	if err != nil {
		t.Fatalf("Waiting: %v", err)
	}
	return n
}

func barrierBroken(t testing.TB, b *local.Barrier) bool {
	t.Helper()
	broken, err := b.Broken(t.Context())
	if err != nil {
		t.Fatalf("Broken: %v", err)
	}
	return broken
}

// test_constructor (3.13)
func TestBarrierConstructor(t *testing.T) {
	for _, n := range []int{0, -1} {
		if b, err := local.NewBarrier(n, nil); !errors.Is(err, latchkey.ErrInvalid) || b != nil {
			t.Errorf("NewBarrier(%d) = %v, %v; want nil, ErrInvalid", n, b, err)
		}
	}
	b := barrierNew(t, 3, nil)
	if b.Parties() != 3 || b.Handle(nil).Parties() != 3 {
		t.Errorf("Parties = %d, handle's %d; want 3", b.Parties(), b.Handle(nil).Parties())
	}
	if barrierWaiting(t, b) != 0 || barrierBroken(t, b) || b.Waiters() != 0 {
		t.Error("a new barrier is not empty and whole")
	}
}

// barrierMultipass is Python's multipass: every party appends to results[0],
// waits, appends to results[1], waits, passes times; the counts seen between
// the waits prove lock-step.
func barrierMultipass(t *testing.T, passes int) {
	synctest.Test(t, func(t *testing.T) {
		b := barrierDefault(t)
		var mu sync.Mutex // guards results
		var results [2]int
		count := func(i int) int {
			mu.Lock()
			defer mu.Unlock()
			return results[i]
		}
		add := func(i int) {
			mu.Lock()
			results[i]++
			mu.Unlock()
		}
		barrierRun(barrierN, func(int) {
			for i := range passes {
				add(0)
				if n := count(1); n != i*barrierN {
					t.Errorf("pass %d: results[1] = %d before the first wait; want %d", i, n, i*barrierN)
				}
				if _, err := b.Wait(t.Context()); err != nil {
					t.Errorf("Wait: %v", err)
					return
				}
				add(1)
				if n := count(0); n != (i+1)*barrierN {
					t.Errorf("pass %d: results[0] = %d after the first wait; want %d", i, n, (i+1)*barrierN)
				}
				if _, err := b.Wait(t.Context()); err != nil {
					t.Errorf("Wait: %v", err)
					return
				}
			}
		})
		if barrierWaiting(t, b) != 0 || barrierBroken(t, b) {
			t.Errorf("after the passes: Waiting %d, Broken %v; want 0, false", barrierWaiting(t, b), barrierBroken(t, b))
		}
	})
}

// test_barrier
func TestBarrier(t *testing.T) { barrierMultipass(t, 1) }

// test_barrier_10
func TestBarrier10(t *testing.T) { barrierMultipass(t, 10) }

// test_wait_return: the indices are the arrival order, each used once.
func TestBarrierWaitReturn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := barrierDefault(t)
		for range 3 {
			indices := make(chan int, barrierN)
			barrierRun(barrierN, func(int) {
				i, err := b.Wait(t.Context())
				if err != nil {
					t.Errorf("Wait: %v", err)
				}
				indices <- i
			})
			close(indices)
			got := slices.Sorted(func(yield func(int) bool) {
				for i := range indices {
					yield(i)
				}
			})
			if !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
				t.Fatalf("indices %v; want 0..4 once each", got)
			}
		}
		// Arrival order: the goroutine that arrives first gets 0.
		b = barrierNew(t, 3, nil)
		indices := make([]chan int, 3)
		for g := range 3 {
			indices[g] = make(chan int, 1)
			go func() {
				i, err := b.Wait(t.Context())
				if err != nil {
					t.Errorf("Wait: %v", err)
				}
				indices[g] <- i
			}()
			synctest.Wait()
		}
		for g := range 3 {
			if i := <-indices[g]; i != g {
				t.Errorf("arrival %d got index %d", g, i)
			}
		}
	})
}

// test_action: the action runs once per trip, in the last party to arrive
// (through its own handle's options), before any party is released.
func TestBarrierAction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex // guards runs and ranBy
		runs := 0
		ranBy := -1
		b := barrierNew(t, barrierN, nil)
		handles := make([]*local.Barrier, barrierN)
		for g := range handles {
			handles[g] = b.Handle(&latchkey.BarrierOptions{Action: func() error {
				mu.Lock()
				defer mu.Unlock()
				runs++
				ranBy = g
				return nil
			}})
		}
		for cycle := 1; cycle <= 3; cycle++ {
			barrierRun(barrierN, func(g int) {
				i, err := handles[g].Wait(t.Context())
				if err != nil {
					t.Errorf("Wait: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if runs != cycle {
					t.Errorf("a party left cycle %d with the action run %d times", cycle, runs)
				}
				if i == barrierN-1 && ranBy != g {
					t.Errorf("the action ran in the handle of goroutine %d; the last party was %d", ranBy, g)
				}
			})
		}
		// The action of the first handle runs when it arrives last.
		calls := 0
		b = barrierNew(t, 2, &latchkey.BarrierOptions{Action: func() error { calls++; return nil }})
		other := b.Handle(nil)
		go func() {
			if _, err := other.Wait(t.Context()); err != nil {
				t.Errorf("Wait: %v", err)
			}
		}()
		synctest.Wait()
		if i, err := b.Wait(t.Context()); i != 1 || err != nil || calls != 1 {
			t.Fatalf("last Wait = %d, %v with %d action calls; want 1, nil, 1", i, err, calls)
		}
		go func() {
			if _, err := b.Wait(t.Context()); err != nil {
				t.Errorf("Wait: %v", err)
			}
		}()
		synctest.Wait()
		if i, err := other.Wait(t.Context()); i != 1 || err != nil || calls != 1 {
			t.Fatalf("last Wait through a handle without action = %d, %v with %d action calls; want 1, nil, 1", i, err, calls)
		}
	})
}

// An action that fails or panics breaks the barrier: the last party gets
// the action's error (also ErrBrokenBarrier), the others ErrBrokenBarrier.
func TestBarrierActionError(t *testing.T) {
	errAction := errors.New("action failed")
	for _, tc := range []struct {
		name   string
		action func() error
		is     error
	}{
		{"error", func() error { return errAction }, errAction},
		{"panic error", func() error { panic(errAction) }, errAction},
		{"panic value", func() error { panic("boom") }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := barrierNew(t, 3, &latchkey.BarrierOptions{Action: tc.action})
				errs := make(chan error, 2)
				for range 2 {
					go func() {
						_, err := b.Wait(t.Context())
						errs <- err
					}()
				}
				synctest.Wait()
				_, err := b.Wait(t.Context())
				if !errors.Is(err, latchkey.ErrBrokenBarrier) || (tc.is != nil && !errors.Is(err, tc.is)) {
					t.Fatalf("last party's Wait = %v; want the action's error and ErrBrokenBarrier", err)
				}
				t.Logf("last party: %v", err)
				for range 2 {
					if err := <-errs; err != latchkey.ErrBrokenBarrier {
						t.Fatalf("other party's Wait = %v; want ErrBrokenBarrier", err)
					}
				}
				if !barrierBroken(t, b) {
					t.Fatal("barrier not broken by a failed action")
				}
				if _, err := b.Wait(t.Context()); err != latchkey.ErrBrokenBarrier {
					t.Fatalf("Wait on a broken barrier = %v; want ErrBrokenBarrier", err)
				}
				if b.Waiters() != 0 {
					t.Fatalf("Waiters = %d; want 0", b.Waiters())
				}
			})
		})
	}
}

// test_abort: the party with index 2 aborts instead of waiting again; the
// other four get ErrBrokenBarrier.
func TestBarrierAbort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := barrierDefault(t)
		var passed, broken atomic.Int32
		barrierRun(barrierN, func(int) {
			i, err := b.Wait(t.Context())
			if err != nil {
				t.Errorf("first Wait: %v", err)
				return
			}
			if i == barrierN/2 {
				if err := b.Abort(t.Context()); err != nil {
					t.Errorf("Abort: %v", err)
				}
				return
			}
			switch _, err := b.Wait(t.Context()); {
			case err == nil:
				passed.Add(1)
			case err == latchkey.ErrBrokenBarrier:
				broken.Add(1)
			default:
				t.Errorf("second Wait: %v", err)
			}
		})
		if passed.Load() != 0 || broken.Load() != barrierN-1 {
			t.Errorf("%d passed, %d broken; want 0 and %d", passed.Load(), broken.Load(), barrierN-1)
		}
		if !barrierBroken(t, b) || barrierWaiting(t, b) != 0 {
			t.Errorf("after Abort: Broken %v, Waiting %d; want true, 0", barrierBroken(t, b), barrierWaiting(t, b))
		}
	})
}

// test_reset: the party with index 2 waits until the four others wait again
// and resets the barrier; they get ErrBrokenBarrier; then all five pass it.
func TestBarrierReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := barrierDefault(t)
		var passed, broken, again atomic.Int32
		barrierRun(barrierN, func(int) {
			i, err := b.Wait(t.Context())
			if err != nil {
				t.Errorf("first Wait: %v", err)
				return
			}
			if i == barrierN/2 {
				synctest.Wait() // the others are blocked in their second Wait
				if n := barrierWaiting(t, b); n != barrierN-1 {
					t.Errorf("Waiting = %d before Reset; want %d", n, barrierN-1)
				}
				if n := b.Waiters(); n != barrierN-1 {
					t.Errorf("Waiters = %d before Reset; want %d", n, barrierN-1)
				}
				if err := b.Reset(t.Context()); err != nil {
					t.Errorf("Reset: %v", err)
				}
			} else {
				switch _, err := b.Wait(t.Context()); {
				case err == nil:
					passed.Add(1)
				case err == latchkey.ErrBrokenBarrier:
					broken.Add(1)
				default:
					t.Errorf("second Wait: %v", err)
				}
			}
			if _, err := b.Wait(t.Context()); err != nil {
				t.Errorf("Wait after Reset: %v", err)
				return
			}
			again.Add(1)
		})
		if passed.Load() != 0 || broken.Load() != barrierN-1 || again.Load() != barrierN {
			t.Errorf("%d passed, %d broken, %d passed after Reset; want 0, %d, %d",
				passed.Load(), broken.Load(), again.Load(), barrierN-1, barrierN)
		}
		if barrierBroken(t, b) {
			t.Error("broken after Reset and a trip")
		}
	})
}

// test_abort_and_reset: as test_abort; then all synchronise on a second
// barrier, one party resets the first, all synchronise again and pass the
// first barrier.
func TestBarrierAbortAndReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := barrierDefault(t)
		b2 := barrierNew(t, barrierN, nil)
		var passed, broken, again atomic.Int32
		barrierRun(barrierN, func(int) {
			i, err := b.Wait(t.Context())
			switch {
			case err != nil:
				t.Errorf("first Wait: %v", err)
				return
			case i == barrierN/2:
				if err := b.Abort(t.Context()); err != nil {
					t.Errorf("Abort: %v", err)
				}
			default:
				switch _, err := b.Wait(t.Context()); {
				case err == nil:
					passed.Add(1)
				case err == latchkey.ErrBrokenBarrier:
					broken.Add(1)
				default:
					t.Errorf("second Wait: %v", err)
				}
			}
			i2, err := b2.Wait(t.Context())
			if err != nil {
				t.Errorf("b2.Wait: %v", err)
				return
			}
			if i2 == barrierN/2 {
				if err := b.Reset(t.Context()); err != nil {
					t.Errorf("Reset: %v", err)
				}
			}
			if _, err := b2.Wait(t.Context()); err != nil {
				t.Errorf("b2.Wait: %v", err)
				return
			}
			if _, err := b.Wait(t.Context()); err != nil {
				t.Errorf("Wait after Reset: %v", err)
				return
			}
			again.Add(1)
		})
		if passed.Load() != 0 || broken.Load() != barrierN-1 || again.Load() != barrierN {
			t.Errorf("%d passed, %d broken, %d passed after Reset; want 0, %d, %d",
				passed.Load(), broken.Load(), again.Load(), barrierN-1, barrierN)
		}
	})
}

// test_timeout: after one trip the party with index 2 is late; the others
// Wait with a 0.5 s deadline, which breaks the barrier after 0.5 s; every
// party, the late one included, gets ErrBrokenBarrier.
func TestBarrierTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := barrierDefault(t)
		late := make(chan struct{})
		var timedOut atomic.Int32
		var others sync.WaitGroup
		others.Add(barrierN - 1)
		go func() {
			others.Wait()
			close(late) // the late party arrives once the others have left
		}()
		barrierRun(barrierN, func(int) {
			i, err := b.Wait(t.Context())
			if err != nil {
				t.Errorf("first Wait: %v", err)
				return
			}
			if i == barrierN/2 {
				<-late
			} else {
				defer others.Done()
			}
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err = b.Wait(ctx)
			if !errors.Is(err, latchkey.ErrBrokenBarrier) {
				t.Errorf("Wait = %v; want ErrBrokenBarrier", err)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				timedOut.Add(1)
			}
			if i != barrierN/2 && time.Since(start) != 500*time.Millisecond {
				t.Errorf("Wait returned after %v; want 0.5s", time.Since(start))
			}
		})
		// The first Wait to time out breaks the barrier; the others that
		// timed out at the same instant either broke it too or saw it broken.
		if n := timedOut.Load(); n < 1 || n > barrierN-1 {
			t.Errorf("%d Waits timed out; want 1..%d", n, barrierN-1)
		}
		if !barrierBroken(t, b) || b.Waiters() != 0 {
			t.Errorf("Broken %v, Waiters %d; want true, 0", barrierBroken(t, b), b.Waiters())
		}
	})
}

// test_default_timeout: the handle's Timeout bounds a Wait whose ctx has no
// earlier deadline; an earlier ctx deadline wins.
func TestBarrierDefaultTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := barrierNew(t, 2, &latchkey.BarrierOptions{Timeout: 100 * time.Millisecond})
		start := time.Now()
		_, err := b.Wait(t.Context())
		if !errors.Is(err, latchkey.ErrBrokenBarrier) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v; want ErrBrokenBarrier and DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Fatalf("Wait returned after %v; want 100ms", d)
		}
		if err := b.Reset(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
		defer cancel()
		start = time.Now()
		if _, err := b.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v; want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 30*time.Millisecond {
			t.Fatalf("Wait with an earlier ctx deadline returned after %v; want 30ms", d)
		}
		// A handle without Timeout waits as long as its ctx allows.
		if err := b.Reset(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel = context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		start = time.Now()
		if _, err := b.Handle(nil).Wait(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Hour {
			t.Fatalf("Wait = %v after %v; want DeadlineExceeded after 1h", err, time.Since(start))
		}
	})
}

// test_single_thread: a barrier of one party trips at every Wait.
func TestBarrierSingleThread(t *testing.T) {
	runs := 0
	b := barrierNew(t, 1, &latchkey.BarrierOptions{Action: func() error { runs++; return nil }})
	for range 2 {
		if i, err := b.Wait(t.Context()); i != 0 || err != nil {
			t.Fatalf("Wait = %d, %v; want 0, nil", i, err)
		}
	}
	// Even with a done ctx: the last party need not wait.
	done, cancel := context.WithCancel(t.Context())
	cancel()
	if i, err := b.Wait(done); i != 0 || err != nil {
		t.Fatalf("Wait with a done ctx = %d, %v; want 0, nil", i, err)
	}
	if runs != 3 {
		t.Fatalf("action ran %d times; want 3", runs)
	}
}

// test_repr, through the accessors: waiters=0/3, 2/3 while two wait, 0/3
// after the trip, broken after Abort.
func TestBarrierWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := barrierNew(t, 3, nil)
		if n := barrierWaiting(t, b); n != 0 {
			t.Fatalf("Waiting = %d; want 0", n)
		}
		errs := make(chan error, 3)
		for range 2 {
			go func() {
				_, err := b.Wait(t.Context())
				errs <- err
			}()
		}
		synctest.Wait()
		if n := barrierWaiting(t, b); n != 2 || b.Waiters() != 2 {
			t.Fatalf("Waiting = %d, Waiters = %d; want 2, 2", n, b.Waiters())
		}
		go func() {
			_, err := b.Wait(t.Context())
			errs <- err
		}()
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatalf("Wait: %v", err)
			}
		}
		if n := barrierWaiting(t, b); n != 0 || b.Waiters() != 0 {
			t.Fatalf("after the trip: Waiting = %d, Waiters = %d; want 0, 0", n, b.Waiters())
		}
		go func() {
			_, err := b.Wait(t.Context())
			errs <- err
		}()
		synctest.Wait()
		if err := b.Abort(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := <-errs; err != latchkey.ErrBrokenBarrier {
			t.Fatalf("Wait after Abort = %v; want ErrBrokenBarrier", err)
		}
		if !barrierBroken(t, b) || barrierWaiting(t, b) != 0 {
			t.Fatalf("after Abort: Broken %v, Waiting %d; want true, 0", barrierBroken(t, b), barrierWaiting(t, b))
		}
		if err := b.Reset(t.Context()); err != nil {
			t.Fatal(err)
		}
		if barrierBroken(t, b) {
			t.Fatal("broken after Reset")
		}
	})
}

// A cancelled Wait breaks the barrier: it returns ErrBrokenBarrier and
// Canceled, the others ErrBrokenBarrier alone. A Wait with a done ctx
// breaks the barrier unless it is the last party, which trips it.
func TestBarrierCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := barrierNew(t, 3, nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancelled := make(chan error, 1)
		go func() {
			_, err := b.Wait(ctx)
			cancelled <- err
		}()
		other := make(chan error, 1)
		go func() {
			_, err := b.Wait(t.Context())
			other <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-cancelled; !errors.Is(err, latchkey.ErrBrokenBarrier) || !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Wait = %v; want ErrBrokenBarrier and Canceled", err)
		}
		if err := <-other; err != latchkey.ErrBrokenBarrier {
			t.Fatalf("other Wait = %v; want ErrBrokenBarrier", err)
		}
		if !barrierBroken(t, b) || b.Waiters() != 0 {
			t.Fatalf("Broken %v, Waiters %d; want true, 0", barrierBroken(t, b), b.Waiters())
		}
		// A done ctx on a broken barrier: ErrBrokenBarrier, as Python checks
		// the state first.
		if _, err := b.Wait(ctx); err != latchkey.ErrBrokenBarrier {
			t.Fatalf("Wait on a broken barrier = %v; want ErrBrokenBarrier", err)
		}

		// A done ctx for the first party breaks the barrier at once.
		if err := b.Reset(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Wait(ctx); !errors.Is(err, latchkey.ErrBrokenBarrier) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait with a done ctx = %v; want ErrBrokenBarrier and Canceled", err)
		}
		if !barrierBroken(t, b) {
			t.Fatal("a Wait with a done ctx did not break the barrier")
		}

		// A done ctx for the last party trips the barrier.
		if err := b.Reset(t.Context()); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			go func() {
				_, err := b.Wait(t.Context())
				other <- err
			}()
		}
		synctest.Wait()
		if i, err := b.Wait(ctx); i != 2 || err != nil {
			t.Fatalf("last Wait with a done ctx = %d, %v; want 2, nil", i, err)
		}
		for range 2 {
			if err := <-other; err != nil {
				t.Fatalf("Wait: %v", err)
			}
		}
	})
}

// A party arriving while the action of the previous cycle runs waits for it
// and joins the next cycle; while the action runs, Waiting is Parties().
func TestBarrierArriveDuringAction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		running := make(chan struct{})
		b := barrierNew(t, 2, nil)
		slow := b.Handle(&latchkey.BarrierOptions{Action: func() error {
			close(running)
			<-release
			return nil
		}})
		first := make(chan int, 1)
		go func() {
			i, err := b.Wait(t.Context())
			if err != nil {
				t.Errorf("Wait: %v", err)
			}
			first <- i
		}()
		synctest.Wait()
		last := make(chan int, 1)
		go func() {
			i, err := slow.Wait(t.Context())
			if err != nil {
				t.Errorf("Wait: %v", err)
			}
			last <- i
		}()
		<-running
		early := make(chan int, 1)
		go func() {
			i, err := b.Wait(t.Context())
			if err != nil {
				t.Errorf("Wait: %v", err)
			}
			early <- i
		}()
		synctest.Wait()
		if n := barrierWaiting(t, b); n != 2 || b.Waiters() != 2 {
			t.Fatalf("during the action: Waiting %d, Waiters %d; want 2, 2", n, b.Waiters())
		}
		if len(first) != 0 || len(early) != 0 {
			t.Fatal("a party left before the action finished")
		}
		close(release)
		if i, j := <-first, <-last; i != 0 || j != 1 {
			t.Fatalf("tripped cycle: indices %d, %d; want 0, 1", i, j)
		}
		synctest.Wait()
		if n := barrierWaiting(t, b); n != 1 || b.Waiters() != 1 {
			t.Fatalf("next cycle: Waiting %d, Waiters %d; want 1, 1", n, b.Waiters())
		}
		if i, err := b.Wait(t.Context()); i != 1 || err != nil {
			t.Fatalf("Wait = %d, %v; want 1, nil", i, err)
		}
		if i := <-early; i != 0 {
			t.Fatalf("early arrival's index = %d; want 0", i)
		}
	})
}

// A party whose ctx ends while the action runs returns at once and breaks
// the barrier for later Waits; the cycle being tripped is decided by its
// action. An arrival waiting for the action breaks the barrier the same
// way.
func TestBarrierCancelDuringAction(t *testing.T) {
	for _, who := range []string{"party", "arrival"} {
		t.Run(who, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				running := make(chan struct{})
				b := barrierNew(t, 3, nil)
				slow := b.Handle(&latchkey.BarrierOptions{Action: func() error {
					close(running)
					<-release
					return nil
				}})
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				partyCtx, arrivalCtx := t.Context(), t.Context()
				if who == "party" {
					partyCtx = ctx
				} else {
					arrivalCtx = ctx
				}
				errs := make(chan error, 3)
				go func() { _, err := b.Wait(partyCtx); errs <- err }()
				go func() { _, err := b.Wait(t.Context()); errs <- err }()
				synctest.Wait()
				go func() { _, err := slow.Wait(t.Context()); errs <- err }()
				<-running
				arrival := make(chan error, 1)
				go func() { _, err := b.Wait(arrivalCtx); arrival <- err }()
				synctest.Wait()
				cancel()
				var cancelled error
				if who == "party" {
					cancelled = <-errs
				} else {
					cancelled = <-arrival
				}
				if !errors.Is(cancelled, latchkey.ErrBrokenBarrier) || !errors.Is(cancelled, context.Canceled) {
					t.Fatalf("cancelled Wait = %v; want ErrBrokenBarrier and Canceled", cancelled)
				}
				if !barrierBroken(t, b) {
					t.Fatal("not broken")
				}
				close(release)
				n := 3
				if who == "party" {
					n = 2
				}
				for range n {
					if err := <-errs; err != nil {
						t.Fatalf("Wait of the tripped cycle = %v; want nil", err)
					}
				}
				if who == "party" {
					if err := <-arrival; err != latchkey.ErrBrokenBarrier {
						t.Fatalf("arrival's Wait = %v; want ErrBrokenBarrier", err)
					}
				}
				if !barrierBroken(t, b) || b.Waiters() != 0 {
					t.Fatalf("Broken %v, Waiters %d; want true, 0", barrierBroken(t, b), b.Waiters())
				}
			})
		})
	}
}

// An Abort while the action runs leaves the cycle to its action and breaks
// the barrier for later Waits; a Reset while it runs un-breaks it.
func TestBarrierAbortDuringAction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		running := make(chan struct{})
		b := barrierNew(t, 2, nil)
		var ranOnce sync.Once
		slow := b.Handle(&latchkey.BarrierOptions{Action: func() error {
			ranOnce.Do(func() { close(running) })
			<-release
			return nil
		}})
		errs := make(chan error, 2)
		go func() { _, err := b.Wait(t.Context()); errs <- err }()
		synctest.Wait()
		go func() { _, err := slow.Wait(t.Context()); errs <- err }()
		<-running
		if err := b.Abort(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Wait(t.Context()); err != latchkey.ErrBrokenBarrier {
			t.Fatalf("Wait after Abort = %v; want ErrBrokenBarrier", err)
		}
		if err := b.Reset(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := b.Abort(t.Context()); err != nil {
			t.Fatal(err)
		}
		close(release)
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("Wait of the tripped cycle = %v; want nil", err)
			}
		}
		if !barrierBroken(t, b) {
			t.Fatal("not broken after Abort")
		}
	})
}
