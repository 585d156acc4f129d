package local_test

import (
	"context"
	"errors"
	"flag"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// lockSeed seeds the randomized hammer tests of the locks and conditions.
var lockSeed = flag.Uint64("lock.seed", 0, "seed of the lock hammer tests (0: random)")

// lkRand returns a seeded random source and logs the seed.
func lkRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := *lockSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -lock.seed=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// lkOK fails the test if err is not nil.
func lkOK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// lkFence fails the test unless err is nil and f is want.
func lkFence(t testing.TB, f latchkey.Fence, err error, want latchkey.Fence) {
	t.Helper()
	if err != nil || f != want {
		t.Fatalf("got fence %d, %v; want %d, nil", f, err, want)
	}
}

// lkErr fails the test unless errors.Is(err, want).
func lkErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v; want %v", err, want)
	}
}

// lkWaiters fails the test unless w reports n waiters.
func lkWaiters(t testing.TB, w interface{ Waiters() int }, n int) {
	t.Helper()
	if got := w.Waiters(); got != n {
		t.Fatalf("Waiters() = %d; want %d", got, n)
	}
}

// lkLocked fails the test unless l.Locked reports want.
func lkLocked(t testing.TB, l *local.Lock, want bool) {
	t.Helper()
	if got, err := l.Locked(t.Context()); err != nil || got != want {
		t.Fatalf("Locked() = %v, %v; want %v", got, err, want)
	}
}

// lkRunning reports whether done is still open.
func lkRunning(done <-chan struct{}) bool {
	select {
	case <-done:
		return false
	default:
		return true
	}
}

func TestLockZeroValue(t *testing.T) {
	ctx := t.Context()
	var l local.Lock
	lkLocked(t, &l, false)
	f, err := l.Lock(ctx)
	lkFence(t, f, err, 1)
	lkLocked(t, &l, true)
	lkOK(t, l.Unlock(ctx))
	lkLocked(t, &l, false)
	f, err = l.TryLock(ctx)
	lkFence(t, f, err, 2)
	_, err = l.TryLock(ctx)
	lkErr(t, err, latchkey.ErrLocked)
	lkOK(t, l.Unlock(ctx))
	f, err = l.Lock(ctx)
	lkFence(t, f, err, 3)
	lkOK(t, l.Unlock(ctx))
	lkWaiters(t, &l, 0)
}

// test_release_unacquired (LockTests via BaseLockTests) and Python's
// RuntimeError("release unlocked lock").
func TestLockUnlockUnlocked(t *testing.T) {
	ctx := t.Context()
	var l local.Lock
	lkErr(t, l.Unlock(ctx), latchkey.ErrNotHeld)
	_, err := l.Lock(ctx)
	lkOK(t, err)
	lkOK(t, l.Unlock(ctx))
	lkErr(t, l.Unlock(ctx), latchkey.ErrNotHeld)
	lkLocked(t, &l, false)
}

func TestLockDoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var l local.Lock
	_, err := l.Lock(ctx)
	lkErr(t, err, context.Canceled)
	lkLocked(t, &l, false)
	// Non-blocking calls ignore ctx.
	f, err := l.TryLock(ctx)
	lkFence(t, f, err, 1)
	lkOK(t, l.Unlock(ctx))
}

// test_try_acquire_contended.
func TestLockTryLockContended(t *testing.T) {
	ctx := t.Context()
	var l local.Lock
	_, err := l.Lock(ctx)
	lkOK(t, err)
	errc := make(chan error)
	go func() {
		_, err := l.TryLock(ctx)
		errc <- err
	}()
	lkErr(t, <-errc, latchkey.ErrLocked)
	lkOK(t, l.Unlock(ctx))
}

// test_acquire_contended: 5 goroutines block until the holder unlocks.
func TestLockAcquireContended(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var l local.Lock
		_, err := l.Lock(ctx)
		lkOK(t, err)
		var finished atomic.Int32
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				if _, err := l.Lock(ctx); err != nil {
					t.Error(err)
					return
				}
				if err := l.Unlock(ctx); err != nil {
					t.Error(err)
				}
				finished.Add(1)
			})
		}
		synctest.Wait()
		lkWaiters(t, &l, 5)
		if n := finished.Load(); n != 0 {
			t.Fatalf("%d goroutines finished while the lock was held", n)
		}
		lkOK(t, l.Unlock(ctx))
		wg.Wait()
		if n := finished.Load(); n != 5 {
			t.Fatalf("%d goroutines finished; want 5", n)
		}
		lkLocked(t, &l, false)
		lkWaiters(t, &l, 0)
		if l.Slow() {
			t.Fatal("slow bit still set with no waiters")
		}
	})
}

// test_reacquire: a goroutine that holds the lock blocks on a second Lock
// until another goroutine unlocks it.
func TestLockReacquire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var l local.Lock
		done := make(chan struct{})
		go func() {
			defer close(done)
			if _, err := l.Lock(ctx); err != nil {
				t.Error(err)
				return
			}
			if _, err := l.Lock(ctx); err != nil {
				t.Error(err)
				return
			}
			if err := l.Unlock(ctx); err != nil {
				t.Error(err)
			}
		}()
		synctest.Wait()
		lkWaiters(t, &l, 1)
		if !lkRunning(done) {
			t.Fatal("second Lock did not block")
		}
		lkOK(t, l.Unlock(ctx))
		<-done
		lkLocked(t, &l, false)
	})
}

// test_different_thread: a lock locked by one goroutine can be unlocked by
// another.
func TestLockDifferentThread(t *testing.T) {
	ctx := t.Context()
	var l local.Lock
	_, err := l.Lock(ctx)
	lkOK(t, err)
	errc := make(chan error)
	go func() { errc <- l.Unlock(ctx) }()
	lkOK(t, <-errc)
	lkLocked(t, &l, false)
	_, err = l.Lock(ctx)
	lkOK(t, err)
	lkOK(t, l.Unlock(ctx))
}

// test_state_after_timeout (bpo-11618) and BaseLockTests.test_timeout's
// contended part: a timed-out Lock returns after its timeout and leaves
// the lock as it was.
func TestLockStateAfterTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var l local.Lock
		_, err := l.Lock(ctx)
		lkOK(t, err)
		errc := make(chan error)
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := l.Lock(ctx)
			if d := time.Since(start); d != 500*time.Millisecond {
				t.Errorf("Lock timed out after %v; want 500ms", d)
			}
			errc <- err
		}()
		lkErr(t, <-errc, context.DeadlineExceeded)
		lkWaiters(t, &l, 0)
		lkLocked(t, &l, true)
		lkOK(t, l.Unlock(ctx))
		lkLocked(t, &l, false)
		if l.Slow() {
			t.Fatal("slow bit still set with no waiters")
		}
		f, err := l.TryLock(ctx)
		lkFence(t, f, err, 2)
		lkOK(t, l.Unlock(ctx))
	})
}

// Unlock hands the lock to the oldest waiter, in arrival order, and nobody
// barges in meanwhile.
func TestLockFIFOHandoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var l local.Lock
		f, err := l.Lock(ctx)
		lkFence(t, f, err, 1)
		const n = 4
		got := make([]chan latchkey.Fence, n)
		proceed := make([]chan struct{}, n)
		for i := range n {
			got[i], proceed[i] = make(chan latchkey.Fence, 1), make(chan struct{})
			go func() {
				f, err := l.Lock(ctx)
				if err != nil {
					t.Error(err)
				}
				got[i] <- f
				<-proceed[i]
				if err := l.Unlock(ctx); err != nil {
					t.Error(err)
				}
			}()
			synctest.Wait() // fixes the arrival order
		}
		lkWaiters(t, &l, n)
		lkOK(t, l.Unlock(ctx))
		for i := range n {
			// The lock was handed over: no TryLock gets in.
			_, err := l.TryLock(ctx)
			lkErr(t, err, latchkey.ErrLocked)
			lkLocked(t, &l, true)
			if f := <-got[i]; f != latchkey.Fence(i+2) {
				t.Fatalf("waiter %d got fence %d; want %d", i, f, i+2)
			}
			synctest.Wait()
			lkWaiters(t, &l, n-1-i)
			for j := i + 1; j < n; j++ {
				if len(got[j]) != 0 {
					t.Fatalf("waiter %d overtook waiter %d", j, i)
				}
			}
			close(proceed[i])
		}
		synctest.Wait()
		lkLocked(t, &l, false)
		if l.Slow() {
			t.Fatal("slow bit still set with no waiters")
		}
		f, err = l.TryLock(ctx)
		lkFence(t, f, err, n+2)
		lkOK(t, l.Unlock(ctx))
	})
}

// A cancelled waiter leaves the queue and the others are served in order.
func TestLockCancelWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var l local.Lock
		_, err := l.Lock(ctx)
		lkOK(t, err)
		cctx, cancel := context.WithCancel(ctx)
		type result struct {
			i int
			f latchkey.Fence
			e error
		}
		res := make(chan result, 3)
		for i := range 3 {
			c := ctx
			if i == 1 {
				c = cctx
			}
			go func() {
				f, err := l.Lock(c)
				res <- result{i, f, err}
				if err == nil {
					_ = l.Unlock(ctx)
				}
			}()
			synctest.Wait()
		}
		lkWaiters(t, &l, 3)
		cancel()
		r := <-res
		if r.i != 1 || !errors.Is(r.e, context.Canceled) {
			t.Fatalf("first result %+v; want waiter 1 cancelled", r)
		}
		synctest.Wait()
		lkWaiters(t, &l, 2)
		lkOK(t, l.Unlock(ctx))
		for _, want := range []result{{0, 2, nil}, {2, 3, nil}} {
			if r := <-res; r != want {
				t.Fatalf("got %+v; want %+v", r, want)
			}
		}
		synctest.Wait()
		lkLocked(t, &l, false)
		lkWaiters(t, &l, 0)
		if l.Slow() {
			t.Fatal("slow bit still set with no waiters")
		}
	})
}

// A grant that races with the waiter's cancellation is given back: handed
// to the next waiter, or the lock is unlocked.
func TestLockCancelRacesHandoff(t *testing.T) {
	for _, next := range []bool{false, true} {
		name := "alone"
		if next {
			name = "next"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				var l local.Lock
				_, err := l.Lock(ctx)
				lkOK(t, err)
				cctx, cancel := context.WithCancel(ctx)
				errc := make(chan error, 1)
				go func() {
					_, err := l.Lock(cctx)
					errc <- err
				}()
				synctest.Wait()
				nextf := make(chan latchkey.Fence, 1)
				if next {
					go func() {
						f, err := l.Lock(ctx)
						if err != nil {
							t.Error(err)
						}
						nextf <- f
					}()
					synctest.Wait()
				}
				lkOK(t, l.UnlockRacing(cancel, nil))
				lkErr(t, <-errc, context.Canceled)
				if next {
					// Fence 2 went to the cancelled waiter and came back.
					if f := <-nextf; f != 3 {
						t.Fatalf("next waiter got fence %d; want 3", f)
					}
					lkLocked(t, &l, true)
					lkOK(t, l.Unlock(ctx))
				}
				synctest.Wait()
				lkLocked(t, &l, false)
				lkWaiters(t, &l, 0)
				if l.Slow() {
					t.Fatal("slow bit still set with no waiters")
				}
			})
		})
	}
}

// Anybody may unlock a Lock, also the grant of a waiter that is being
// cancelled: the cancelled waiter must then not unlock a second time.
func TestLockCancelRacesForeignUnlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var l local.Lock
		_, err := l.Lock(ctx)
		lkOK(t, err)
		cctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() {
			_, err := l.Lock(cctx)
			errc <- err
		}()
		synctest.Wait()
		var f latchkey.Fence
		lkOK(t, l.UnlockRacing(cancel, func() {
			// The waiter holds the lock with fence 2; unlock its grant
			// and take the lock with fence 3, through the fast paths.
			lkOK(t, l.Unlock(ctx))
			f, err = l.TryLock(ctx)
		}))
		lkFence(t, f, err, 3)
		lkErr(t, <-errc, context.Canceled)
		lkLocked(t, &l, true) // still ours
		lkOK(t, l.Unlock(ctx))
		lkErr(t, l.Unlock(ctx), latchkey.ErrNotHeld)
	})
}

func TestLockLocker(t *testing.T) {
	var l local.Lock
	lk := l.Locker()
	lk.Lock()
	lkLocked(t, &l, true)
	lk.Unlock()
	lkLocked(t, &l, false)
	lk.Unlock() // unlocked: does nothing, does not panic
	lkLocked(t, &l, false)

	// It serves sync.Cond.
	c := sync.NewCond(lk)
	ready := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		lk.Lock()
		for !ready {
			c.Wait()
		}
		lk.Unlock()
	}()
	lk.Lock()
	ready = true
	c.Broadcast()
	lk.Unlock()
	<-done
	lkLocked(t, &l, false)
}

// TestLockHammer checks mutual exclusion, strictly increasing fences in
// acquisition order, and the final state, under many goroutines with
// Lock, TryLock, random timeouts and cancelled contexts.
func TestLockHammer(t *testing.T) {
	rng := lkRand(t)
	const goroutines = 8
	iters := 2000
	if testing.Short() {
		iters = 200
	}
	ctx := t.Context()
	var (
		l       local.Lock
		inside  atomic.Int32
		fences  []latchkey.Fence // guarded by l
		counter int              // guarded by l
		stats   [4]atomic.Int64  // lock, trylock ok, trylock busy, cancelled
	)
	var wg sync.WaitGroup
	for g := range goroutines {
		seed := rng.Uint64()
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(g)))
			for range iters {
				var f latchkey.Fence
				var err error
				switch op := r.IntN(10); {
				case op < 2:
					f, err = l.TryLock(ctx)
					if errors.Is(err, latchkey.ErrLocked) {
						stats[2].Add(1)
						continue
					}
					stats[1].Add(1)
				case op < 5:
					c, cancel := context.WithTimeout(ctx, time.Duration(r.IntN(20))*time.Microsecond)
					f, err = l.Lock(c)
					cancel()
				case op < 6:
					c, cancel := context.WithCancel(ctx)
					if r.IntN(2) == 0 {
						cancel()
					} else {
						go cancel()
					}
					f, err = l.Lock(c)
					cancel()
				default:
					f, err = l.Lock(ctx)
				}
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
						t.Errorf("Lock: %v", err)
						return
					}
					stats[3].Add(1)
					continue
				}
				if n := inside.Add(1); n != 1 {
					t.Errorf("%d goroutines inside the lock", n)
				}
				fences = append(fences, f)
				counter++
				inside.Add(-1)
				if err := l.Unlock(ctx); err != nil {
					t.Errorf("Unlock: %v", err)
					return
				}
				stats[0].Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("acquired %d (trylock %d), trylock busy %d, cancelled %d", stats[0].Load(), stats[1].Load(), stats[2].Load(), stats[3].Load())
	if counter != len(fences) || int64(counter) != stats[0].Load() {
		t.Fatalf("counter %d, %d fences, %d acquisitions", counter, len(fences), stats[0].Load())
	}
	for i := 1; i < len(fences); i++ {
		if fences[i] <= fences[i-1] {
			t.Fatalf("fence %d at acquisition %d after %d", fences[i], i, fences[i-1])
		}
	}
	lkLocked(t, &l, false)
	lkWaiters(t, &l, 0)
	if l.Slow() {
		t.Fatal("slow bit still set with no waiters")
	}
	f, err := l.TryLock(ctx)
	lkOK(t, err)
	if len(fences) > 0 && f <= fences[len(fences)-1] {
		t.Fatalf("final fence %d not above %d", f, fences[len(fences)-1])
	}
	lkOK(t, l.Unlock(ctx))
}
