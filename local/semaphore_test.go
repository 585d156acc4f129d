package local_test

import (
	"context"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

var semaphoreSeed = flag.Uint64("semaphore.seed", 0, "seed of TestSemaphoreHammer (0: random)")

// semNew returns a new semaphore of value, bounded or not, failing the test
// on error.
func semNew(t testing.TB, value int, bounded bool) *local.Semaphore {
	t.Helper()
	newSem := local.NewSemaphore
	if bounded {
		newSem = local.NewBoundedSemaphore
	}
	s, err := newSem(value)
	if err != nil {
		t.Fatalf("new semaphore(%d): %v", value, err)
	}
	return s
}

// semKinds runs f as a subtest for Semaphore and for BoundedSemaphore
// (Python's BaseSemaphoreTests).
func semKinds(t *testing.T, f func(t *testing.T, bounded bool)) {
	t.Run("Semaphore", func(t *testing.T) { f(t, false) })
	t.Run("BoundedSemaphore", func(t *testing.T) { f(t, true) })
}

func semAcquire(t testing.TB, s *local.Semaphore) latchkey.Fence {
	t.Helper()
	f, err := s.Acquire(t.Context())
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	return f
}

func semRelease(t testing.TB, s *local.Semaphore, n int) {
	t.Helper()
	if err := s.Release(t.Context(), n); err != nil {
		t.Fatalf("Release(%d): %v", n, err)
	}
}

func semValue(t testing.TB, s *local.Semaphore) int {
	t.Helper()
	v, err := s.Value(t.Context())
	if err != nil {
		t.Fatalf("Value: %v", err)
	}
	return v
}

func semWantValue(t testing.TB, s *local.Semaphore, want int) {
	t.Helper()
	if got := semValue(t, s); got != want {
		t.Fatalf("Value = %d; want %d", got, want)
	}
}

// test_constructor
func TestSemaphoreConstructor(t *testing.T) {
	semKinds(t, func(t *testing.T, bounded bool) {
		newSem := local.NewSemaphore
		if bounded {
			newSem = local.NewBoundedSemaphore
		}
		for _, v := range []int{-1, math.MinInt} {
			if s, err := newSem(v); !errors.Is(err, latchkey.ErrInvalid) || s != nil {
				t.Errorf("new(%d) = %v, %v; want nil, ErrInvalid", v, s, err)
			}
		}
		for _, v := range []int{0, 1, 7} {
			s := semNew(t, v, bounded)
			if s.Initial() != v || s.Bounded() != bounded || s.Waiters() != 0 {
				t.Errorf("new(%d): Initial %d, Bounded %v, Waiters %d", v, s.Initial(), s.Bounded(), s.Waiters())
			}
			semWantValue(t, s, v)
		}
	})
}

// test_acquire
func TestSemaphoreAcquire(t *testing.T) {
	semKinds(t, func(t *testing.T, bounded bool) {
		s := semNew(t, 1, bounded)
		semAcquire(t, s)
		semRelease(t, s, 1)
		s = semNew(t, 2, bounded)
		f1 := semAcquire(t, s)
		f2 := semAcquire(t, s)
		if f1 == 0 || f2 <= f1 {
			t.Errorf("fences %d, %d; want strictly increasing and non-zero", f1, f2)
		}
		semRelease(t, s, 1)
		semRelease(t, s, 1)
		semWantValue(t, s, 2)
	})
}

// semContended runs Python's test_acquire_contended (multi=false) or
// test_multirelease (multi=true): value 7, one permit taken; 10 goroutines
// acquire twice each; the phases are counted exactly.
func semContended(t *testing.T, bounded, multi bool) {
	synctest.Test(t, func(t *testing.T) {
		s := semNew(t, 7, bounded)
		semAcquire(t, s)
		var mu sync.Mutex // guards phase and results
		phase := 0
		var results1, results2 []int
		done := make(chan struct{})
		for range 10 {
			go func() {
				defer func() { done <- struct{}{} }()
				for _, res := range []*[]int{&results1, &results2} {
					if _, err := s.Acquire(t.Context()); err != nil {
						if t.Context().Err() == nil {
							t.Errorf("Acquire: %v", err)
						}
						return
					}
					mu.Lock()
					*res = append(*res, phase)
					mu.Unlock()
				}
			}()
		}
		count := func() int {
			synctest.Wait()
			mu.Lock()
			defer mu.Unlock()
			return len(results1) + len(results2)
		}
		release := func(n int) {
			if multi {
				semRelease(t, s, n)
				return
			}
			for range n {
				semRelease(t, s, 1)
			}
		}
		if got := count(); got != 6 {
			t.Fatalf("phase 0: %d acquires; want 6", got)
		}
		mu.Lock()
		phase = 1
		mu.Unlock()
		release(7)
		if got := count(); got != 6+7 {
			t.Fatalf("phase 1: %d acquires; want 13", got)
		}
		mu.Lock()
		phase = 2
		mu.Unlock()
		release(6)
		if got := count(); got != 6+7+6 {
			t.Fatalf("phase 2: %d acquires; want 19", got)
		}
		if _, err := s.TryAcquire(t.Context()); !errors.Is(err, latchkey.ErrNoPermit) {
			t.Fatalf("TryAcquire = %v; want ErrNoPermit", err)
		}
		semRelease(t, s, 1)
		for range 10 {
			<-done
		}
		if got := count(); got != 20 {
			t.Fatalf("%d acquires in all; want 20", got)
		}
		// Python asserts results1+results2 == [0]*6 + [1]*7 + [2]*6 + [2] in
		// sorted order: the last acquire is let through in phase 2.
		want := map[int]int{0: 6, 1: 7, 2: 7}
		got := map[int]int{}
		for _, p := range append(results1, results2...) {
			got[p]++
		}
		for p, n := range want {
			if got[p] != n {
				t.Errorf("phase %d: %d acquires; want %d (all: %v)", p, got[p], n, got)
			}
		}
		semWantValue(t, s, 0)
		if w := s.Waiters(); w != 0 {
			t.Errorf("Waiters = %d; want 0", w)
		}
	})
}

// test_acquire_contended
func TestSemaphoreAcquireContended(t *testing.T) {
	semKinds(t, func(t *testing.T, bounded bool) { semContended(t, bounded, false) })
}

// test_multirelease
func TestSemaphoreMultiRelease(t *testing.T) {
	semKinds(t, func(t *testing.T, bounded bool) { semContended(t, bounded, true) })
}

// test_try_acquire
func TestSemaphoreTryAcquire(t *testing.T) {
	semKinds(t, func(t *testing.T, bounded bool) {
		s := semNew(t, 2, bounded)
		for i := range 2 {
			if f, err := s.TryAcquire(t.Context()); err != nil || f == 0 {
				t.Fatalf("TryAcquire #%d = %d, %v", i, f, err)
			}
		}
		if _, err := s.TryAcquire(t.Context()); !errors.Is(err, latchkey.ErrNoPermit) {
			t.Fatalf("TryAcquire on an empty semaphore = %v; want ErrNoPermit", err)
		}
		semRelease(t, s, 1)
		if _, err := s.TryAcquire(t.Context()); err != nil {
			t.Fatalf("TryAcquire after Release: %v", err)
		}
	})
}

// test_try_acquire_contended
func TestSemaphoreTryAcquireContended(t *testing.T) {
	semKinds(t, func(t *testing.T, bounded bool) {
		synctest.Test(t, func(t *testing.T) {
			s := semNew(t, 4, bounded)
			semAcquire(t, s)
			results := make(chan error, 10)
			for range 5 {
				go func() {
					for range 2 {
						_, err := s.TryAcquire(t.Context())
						results <- err
					}
				}()
			}
			ok, refused := 0, 0
			for range 10 {
				switch err := <-results; {
				case err == nil:
					ok++
				case errors.Is(err, latchkey.ErrNoPermit):
					refused++
				default:
					t.Fatalf("TryAcquire: %v", err)
				}
			}
			if ok != 3 || refused != 7 {
				t.Fatalf("%d succeeded, %d refused; want 3 and 7", ok, refused)
			}
		})
	})
}

// test_acquire_timeout
func TestSemaphoreAcquireTimeout(t *testing.T) {
	semKinds(t, func(t *testing.T, bounded bool) {
		synctest.Test(t, func(t *testing.T) {
			s := semNew(t, 2, bounded)
			acquire := func(timeout time.Duration) error {
				ctx, cancel := context.WithTimeout(t.Context(), timeout)
				defer cancel()
				_, err := s.Acquire(ctx)
				return err
			}
			for i := range 2 {
				if err := acquire(5 * time.Millisecond); err != nil {
					t.Fatalf("Acquire #%d: %v", i, err)
				}
			}
			start := time.Now()
			if err := acquire(5 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Acquire on an empty semaphore = %v; want DeadlineExceeded", err)
			}
			if d := time.Since(start); d != 5*time.Millisecond {
				t.Errorf("timed out after %v; want 5ms", d)
			}
			semRelease(t, s, 1)
			if err := acquire(5 * time.Millisecond); err != nil {
				t.Fatalf("Acquire after Release: %v", err)
			}
			start = time.Now()
			if err := acquire(500 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Acquire = %v; want DeadlineExceeded", err)
			}
			if d := time.Since(start); d != 500*time.Millisecond {
				t.Errorf("timed out after %v; want 500ms", d)
			}
			semWantValue(t, s, 0)
			if w := s.Waiters(); w != 0 {
				t.Errorf("Waiters = %d after timeouts; want 0", w)
			}
		})
	})
}

// test_default_value: Python's default value is 1; a second acquirer
// blocks until the first releases.
func TestSemaphoreDefaultValue(t *testing.T) {
	semKinds(t, func(t *testing.T, bounded bool) {
		synctest.Test(t, func(t *testing.T) {
			s := semNew(t, 1, bounded)
			semAcquire(t, s)
			acquired := make(chan latchkey.Fence)
			go func() {
				f, err := s.Acquire(t.Context())
				if err != nil {
					t.Errorf("Acquire: %v", err)
				}
				acquired <- f
				semRelease(t, s, 1)
			}()
			synctest.Wait()
			if w := s.Waiters(); w != 1 {
				t.Fatalf("Waiters = %d; want 1", w)
			}
			select {
			case <-acquired:
				t.Fatal("second Acquire did not block")
			default:
			}
			semRelease(t, s, 1)
			if f := <-acquired; f != 2 {
				t.Errorf("second fence = %d; want 2", f)
			}
			synctest.Wait()
			semWantValue(t, s, 1)
		})
	})
}

// test_release_unacquired (SemaphoreTests) and test_repr: an unbounded
// semaphore grows.
func TestSemaphoreReleaseUnacquired(t *testing.T) {
	s := semNew(t, 1, false)
	semRelease(t, s, 1)
	semWantValue(t, s, 2)
	semAcquire(t, s)
	semAcquire(t, s)
	semWantValue(t, s, 0)

	s = semNew(t, 3, false)
	semAcquire(t, s)
	semWantValue(t, s, 2)
	semRelease(t, s, 1)
	semRelease(t, s, 1)
	semWantValue(t, s, 4)
	if s.Initial() != 3 {
		t.Errorf("Initial = %d; want 3", s.Initial())
	}
	if err := s.Release(t.Context(), math.MaxInt); !errors.Is(err, latchkey.ErrInvalid) {
		t.Errorf("Release(MaxInt) on value 4 = %v; want ErrInvalid (overflow)", err)
	}
	semWantValue(t, s, 4)
}

// test_release_unacquired (BoundedSemaphoreTests) and test_repr: a bounded
// semaphore refuses over-release and changes nothing.
func TestBoundedSemaphoreOverRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := semNew(t, 3, true)
		if err := s.Release(t.Context(), 1); !errors.Is(err, latchkey.ErrOverRelease) {
			t.Fatalf("Release on a full bounded semaphore = %v; want ErrOverRelease", err)
		}
		semWantValue(t, s, 3)
		semAcquire(t, s)
		semWantValue(t, s, 2) // Python's repr: value=2/3
		semRelease(t, s, 1)
		if err := s.Release(t.Context(), 1); !errors.Is(err, latchkey.ErrOverRelease) {
			t.Fatalf("Release after a balanced acquire/release = %v; want ErrOverRelease", err)
		}
		semWantValue(t, s, 3)

		// All or nothing: with waiters queued, an over-release grants nobody.
		for range 3 {
			semAcquire(t, s)
		}
		got := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := s.Acquire(t.Context())
				got <- err
			}()
		}
		synctest.Wait()
		if err := s.Release(t.Context(), 4); !errors.Is(err, latchkey.ErrOverRelease) {
			t.Fatalf("Release(4) with 3 permits out = %v; want ErrOverRelease", err)
		}
		synctest.Wait()
		if w := s.Waiters(); w != 2 {
			t.Fatalf("Waiters = %d after a refused Release; want 2", w)
		}
		semWantValue(t, s, 0)
		semRelease(t, s, 3)
		for range 2 {
			if err := <-got; err != nil {
				t.Fatalf("Acquire: %v", err)
			}
		}
		semWantValue(t, s, 1)
		if err := s.Release(t.Context(), 3); !errors.Is(err, latchkey.ErrOverRelease) {
			t.Fatalf("Release(3) on value 1 of 3 = %v; want ErrOverRelease", err)
		}
		semRelease(t, s, 2)
		semWantValue(t, s, 3)
	})
}

func TestSemaphoreReleaseInvalid(t *testing.T) {
	semKinds(t, func(t *testing.T, bounded bool) {
		s := semNew(t, 1, bounded)
		semAcquire(t, s)
		for _, n := range []int{0, -1, math.MinInt} {
			if err := s.Release(t.Context(), n); !errors.Is(err, latchkey.ErrInvalid) {
				t.Errorf("Release(%d) = %v; want ErrInvalid", n, err)
			}
		}
		semWantValue(t, s, 0)
	})
}

// Waiters are granted in arrival order, a TryAcquire does not overtake
// them, and fences grow in grant order.
func TestSemaphoreFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := semNew(t, 1, false)
		first := semAcquire(t, s)
		const n = 5
		granted := make([]chan latchkey.Fence, n)
		for i := range n {
			granted[i] = make(chan latchkey.Fence, 1)
			go func() {
				f, err := s.Acquire(t.Context())
				if err != nil {
					t.Errorf("Acquire #%d: %v", i, err)
				}
				granted[i] <- f
			}()
			synctest.Wait() // queue them in order
		}
		semRelease(t, s, 1)
		synctest.Wait()
		semWantValue(t, s, 0)
		if _, err := s.TryAcquire(t.Context()); !errors.Is(err, latchkey.ErrNoPermit) {
			t.Fatalf("TryAcquire with waiters = %v; want ErrNoPermit", err)
		}
		prev := first
		for i := range n {
			select {
			case f := <-granted[i]:
				if f <= prev {
					t.Fatalf("waiter %d got fence %d after %d", i, f, prev)
				}
				prev = f
			default:
				t.Fatalf("waiter %d not granted; want FIFO", i)
			}
			if i+1 < n {
				semRelease(t, s, 1)
				synctest.Wait()
			}
		}
		// A Release(n) grants several waiters at once.
		for range 3 {
			go func() {
				if _, err := s.Acquire(t.Context()); err != nil {
					t.Errorf("Acquire: %v", err)
				}
			}()
		}
		synctest.Wait()
		semRelease(t, s, 4)
		synctest.Wait()
		semWantValue(t, s, 1)
		if w := s.Waiters(); w != 0 {
			t.Fatalf("Waiters = %d; want 0", w)
		}
	})
}

// A cancelled Acquire takes no permit and leaves no waiter behind, and a
// call whose ctx is already done does not take a free permit.
func TestSemaphoreCancel(t *testing.T) {
	semKinds(t, func(t *testing.T, bounded bool) {
		synctest.Test(t, func(t *testing.T) {
			s := semNew(t, 1, bounded)
			done, cancel := context.WithCancel(t.Context())
			cancel()
			if _, err := s.Acquire(done); !errors.Is(err, context.Canceled) {
				t.Fatalf("Acquire with a done ctx = %v; want Canceled", err)
			}
			semWantValue(t, s, 1)
			semAcquire(t, s)

			ctx, cancel := context.WithCancel(t.Context())
			errc := make(chan error)
			go func() {
				_, err := s.Acquire(ctx)
				errc <- err
			}()
			synctest.Wait()
			after := make(chan error)
			go func() {
				_, err := s.Acquire(t.Context())
				after <- err
			}()
			synctest.Wait()
			if w := s.Waiters(); w != 2 {
				t.Fatalf("Waiters = %d; want 2", w)
			}
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled Acquire = %v; want Canceled", err)
			}
			if w := s.Waiters(); w != 1 {
				t.Fatalf("Waiters = %d after cancel; want 1", w)
			}
			semRelease(t, s, 1)
			if err := <-after; err != nil {
				t.Fatalf("Acquire behind a cancelled waiter: %v", err)
			}
			semWantValue(t, s, 0)
		})
	})
}

// A grant that races with the cancellation of its waiter is given back and
// passed to the next waiter: the cancelled Acquire returns ctx.Err() and
// holds nothing, and the permit is not lost.
func TestSemaphoreCancelRace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for range 100 {
			s := semNew(t, 1, true)
			semAcquire(t, s)
			ctx, cancel := context.WithCancel(t.Context())
			first := make(chan error, 1)
			go func() {
				_, err := s.Acquire(ctx)
				first <- err
			}()
			synctest.Wait()
			second := make(chan error, 1)
			go func() {
				_, err := s.Acquire(t.Context())
				second <- err
			}()
			synctest.Wait()
			cancel()            // wakes the first waiter...
			semRelease(t, s, 1) // ...which is usually still queued and is granted
			if err := <-first; !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled Acquire = %v; want Canceled", err)
			}
			if err := <-second; err != nil {
				t.Fatalf("second Acquire: %v", err)
			}
			semWantValue(t, s, 0)
			if w := s.Waiters(); w != 0 {
				t.Fatalf("Waiters = %d; want 0", w)
			}
			semRelease(t, s, 1)
		}
	})
}

// TestSemaphoreHammer runs goroutines that acquire (some with random
// cancellation), try-acquire and release in batches, and checks that at
// most N permits are ever held, that no permit is lost, that no waiter is
// left behind, and that fences are unique and grow for each goroutine.
func TestSemaphoreHammer(t *testing.T) {
	seed := *semaphoreSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -semaphore.seed=%d)", seed, seed)
	semKinds(t, func(t *testing.T, bounded bool) {
		const (
			permits    = 3
			goroutines = 8
		)
		iters := 2000
		if testing.Short() {
			iters = 200
		}
		s := semNew(t, permits, bounded)
		var holders atomic.Int32
		var mu sync.Mutex // guards seen
		seen := map[latchkey.Fence]bool{}
		var wg sync.WaitGroup
		for g := range goroutines {
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			wg.Go(func() {
				var last latchkey.Fence
				var fences []latchkey.Fence
				for range iters {
					// Take 1 or 2 permits, then give them back in one Release.
					want := 1 + rng.IntN(2)
					held := 0
					for range want {
						var f latchkey.Fence
						var err error
						switch rng.IntN(4) {
						case 0:
							f, err = s.TryAcquire(t.Context())
						case 1:
							ctx, cancel := context.WithCancel(t.Context())
							if rng.IntN(2) == 0 {
								cancel()
							} else {
								go cancel()
							}
							f, err = s.Acquire(ctx)
							cancel()
						default:
							ctx, cancel := context.WithTimeout(t.Context(), time.Duration(rng.IntN(50))*time.Microsecond)
							f, err = s.Acquire(ctx)
							cancel()
						}
						if err != nil {
							if !errors.Is(err, latchkey.ErrNoPermit) && !errors.Is(err, context.Canceled) &&
								!errors.Is(err, context.DeadlineExceeded) {
								t.Errorf("acquire: %v", err)
							}
							continue
						}
						if n := holders.Add(1); n > permits {
							t.Errorf("%d holders of %d permits", n, permits)
						}
						if f <= last {
							t.Errorf("fence %d after %d", f, last)
						}
						last = f
						fences = append(fences, f)
						held++
					}
					if held > 0 {
						holders.Add(-int32(held))
						if err := s.Release(t.Context(), held); err != nil {
							t.Errorf("Release(%d): %v", held, err)
						}
					}
				}
				mu.Lock()
				defer mu.Unlock()
				for _, f := range fences {
					if seen[f] {
						t.Errorf("fence %d granted twice", f)
					}
					seen[f] = true
				}
			})
		}
		wg.Wait()
		if v := semValue(t, s); v != permits {
			t.Errorf("final Value = %d; want %d", v, permits)
		}
		if w := s.Waiters(); w != 0 {
			t.Errorf("final Waiters = %d; want 0", w)
		}
		t.Logf("%d grants", len(seen))
	})
}
