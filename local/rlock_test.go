package local_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// rlkCount fails the test unless r's recursion count is want.
func rlkCount(t testing.TB, r *local.RLock, want int) {
	t.Helper()
	if got, err := r.Count(t.Context()); err != nil || got != want {
		t.Fatalf("Count() = %d, %v; want %d", got, err, want)
	}
}

// test_reacquire (RLockTests): the owner locks again; the count and the
// fence stay with it, also through TryLock.
func TestRLockReacquire(t *testing.T) {
	ctx := t.Context()
	var r local.RLock
	f, err := r.Lock(ctx)
	lkFence(t, f, err, 1)
	f, err = r.Lock(ctx)
	lkFence(t, f, err, 1)
	lkOK(t, r.Unlock(ctx))
	f, err = r.TryLock(ctx)
	lkFence(t, f, err, 1)
	lkOK(t, r.Unlock(ctx))
	lkOK(t, r.Unlock(ctx))
	rlkCount(t, &r, 0)
	// A new first acquire gets a new fence.
	f, err = r.TryLock(ctx)
	lkFence(t, f, err, 2)
	lkOK(t, r.Unlock(ctx))
	lkWaiters(t, &r, 0)
}

// test_release_unacquired: Unlock of an RLock this handle does not own.
func TestRLockReleaseUnacquired(t *testing.T) {
	ctx := t.Context()
	var r local.RLock
	lkErr(t, r.Unlock(ctx), latchkey.ErrNotOwner)
	for _, depth := range []int{1, 2, 3} {
		for range depth {
			_, err := r.Lock(ctx)
			lkOK(t, err)
		}
		for range depth {
			lkOK(t, r.Unlock(ctx))
		}
		lkErr(t, r.Unlock(ctx), latchkey.ErrNotOwner)
	}
}

// test_recursion_count: 0, 1, 3, 2, 0, and 0 for a handle that does not
// own the lock while another holds it.
func TestRLockRecursionCount(t *testing.T) {
	ctx := t.Context()
	var r local.RLock
	rlkCount(t, &r, 0)
	_, err := r.Lock(ctx)
	lkOK(t, err)
	rlkCount(t, &r, 1)
	_, err = r.Lock(ctx)
	lkOK(t, err)
	_, err = r.TryLock(ctx)
	lkOK(t, err)
	rlkCount(t, &r, 3)
	lkOK(t, r.Unlock(ctx))
	rlkCount(t, &r, 2)
	lkOK(t, r.Unlock(ctx))
	lkOK(t, r.Unlock(ctx))
	rlkCount(t, &r, 0)

	h := r.Handle()
	locked, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		if _, err := h.Lock(ctx); err != nil {
			t.Error(err)
			close(locked)
			return
		}
		close(locked)
		<-release
		if err := h.Unlock(ctx); err != nil {
			t.Error(err)
		}
	}()
	<-locked
	rlkCount(t, &r, 0)
	rlkCount(t, h, 1)
	close(release)
	<-done
	rlkCount(t, h, 0)
}

// test_different_thread: another owner holds the lock; this handle's Unlock
// fails.
func TestRLockDifferentThread(t *testing.T) {
	ctx := t.Context()
	var r local.RLock
	h := r.Handle()
	locked, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		if _, err := h.Lock(ctx); err != nil {
			t.Error(err)
		}
		close(locked)
		<-release
		if err := h.Unlock(ctx); err != nil {
			t.Error(err)
		}
	}()
	<-locked
	lkErr(t, r.Unlock(ctx), latchkey.ErrNotOwner)
	_, err := r.TryLock(ctx)
	lkErr(t, err, latchkey.ErrLocked)
	close(release)
	<-done
	f, err := r.TryLock(ctx)
	lkFence(t, f, err, 2)
	lkOK(t, r.Unlock(ctx))
}

// test__is_owned, through Count.
func TestRLockIsOwned(t *testing.T) {
	ctx := t.Context()
	var r local.RLock
	h := r.Handle()
	owned := func(r *local.RLock) bool {
		n, err := r.Count(ctx)
		lkOK(t, err)
		return n > 0
	}
	steps := []struct {
		op   func() error
		want bool
	}{
		{func() error { return nil }, false},
		{func() error { _, err := r.Lock(ctx); return err }, true},
		{func() error { _, err := r.Lock(ctx); return err }, true},
		{func() error { return r.Unlock(ctx) }, true},
		{func() error { return r.Unlock(ctx) }, false},
	}
	for i, s := range steps {
		lkOK(t, s.op())
		if got := owned(&r); got != s.want {
			t.Fatalf("step %d: owned = %v; want %v", i, got, s.want)
		}
		if owned(h) {
			t.Fatalf("step %d: another handle owns it", i)
		}
	}
}

func TestRLockDoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var r local.RLock
	_, err := r.Lock(ctx)
	lkErr(t, err, context.Canceled)
	rlkCount(t, &r, 0)
	f, err := r.TryLock(ctx)
	lkFence(t, f, err, 1)
	// Also the owner's Lock does nothing with a done ctx.
	_, err = r.Lock(ctx)
	lkErr(t, err, context.Canceled)
	rlkCount(t, &r, 1)
	lkOK(t, r.Unlock(ctx))
}

// Handles are distinct owners: another handle waits until the owner has
// unlocked as often as it locked, and is then handed the lock (FIFO, no
// barging by TryLock).
func TestRLockHandles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var r local.RLock
		h1, h2, h3 := r.Handle(), r.Handle(), r.Handle()
		for range 2 {
			f, err := r.Lock(ctx)
			lkFence(t, f, err, 1)
		}
		_, err := h1.TryLock(ctx)
		lkErr(t, err, latchkey.ErrLocked)
		got := make(chan latchkey.Fence, 2)
		release := make(chan struct{})
		for _, h := range []*local.RLock{h1, h2} {
			go func() {
				f, err := h.Lock(ctx)
				if err != nil {
					t.Error(err)
				}
				got <- f
				<-release
				if err := h.Unlock(ctx); err != nil {
					t.Error(err)
				}
			}()
			synctest.Wait()
		}
		lkWaiters(t, &r, 2)
		lkOK(t, r.Unlock(ctx))
		synctest.Wait()
		if len(got) != 0 {
			t.Fatal("a waiter got the lock while the owner still held one level")
		}
		lkOK(t, r.Unlock(ctx))
		if f := <-got; f != 2 {
			t.Fatalf("h1 got fence %d; want 2", f)
		}
		rlkCount(t, h1, 1)
		rlkCount(t, &r, 0)
		_, err = h3.TryLock(ctx)
		lkErr(t, err, latchkey.ErrLocked)
		_, err = r.TryLock(ctx)
		lkErr(t, err, latchkey.ErrLocked)
		lkWaiters(t, &r, 1)
		close(release)
		if f := <-got; f != 3 {
			t.Fatalf("h2 got fence %d; want 3", f)
		}
		synctest.Wait()
		lkWaiters(t, &r, 0)
		f, err := h3.TryLock(ctx)
		lkFence(t, f, err, 4)
		lkOK(t, h3.Unlock(ctx))
	})
}

// Goroutines sharing a handle share ownership.
func TestRLockSharedHandle(t *testing.T) {
	ctx := t.Context()
	var r local.RLock
	_, err := r.Lock(ctx)
	lkOK(t, err)
	errc := make(chan error)
	go func() {
		_, err := r.Lock(ctx)
		if err == nil {
			err = r.Unlock(ctx)
		}
		errc <- err
	}()
	lkOK(t, <-errc)
	rlkCount(t, &r, 1)
	lkOK(t, r.Unlock(ctx))
}

// A cancelled or timed-out Lock leaves the lock as it was.
func TestRLockTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var r local.RLock
		h := r.Handle()
		_, err := r.Lock(ctx)
		lkOK(t, err)
		tctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = h.Lock(tctx)
		lkErr(t, err, context.DeadlineExceeded)
		if d := time.Since(start); d != 500*time.Millisecond {
			t.Fatalf("Lock timed out after %v; want 500ms", d)
		}
		rlkCount(t, h, 0)
		rlkCount(t, &r, 1)
		lkWaiters(t, &r, 0)
		lkOK(t, r.Unlock(ctx))
		f, err := h.TryLock(ctx)
		lkFence(t, f, err, 2)
		lkOK(t, h.Unlock(ctx))
	})
}

// A grant that races with the waiter's cancellation is given back.
func TestRLockCancelRacesHandoff(t *testing.T) {
	for _, next := range []bool{false, true} {
		name := "alone"
		if next {
			name = "next"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				var r local.RLock
				h1, h2 := r.Handle(), r.Handle()
				_, err := r.Lock(ctx)
				lkOK(t, err)
				cctx, cancel := context.WithCancel(ctx)
				errc := make(chan error, 1)
				go func() {
					_, err := h1.Lock(cctx)
					errc <- err
				}()
				synctest.Wait()
				nextf := make(chan latchkey.Fence, 1)
				if next {
					go func() {
						f, err := h2.Lock(ctx)
						if err != nil {
							t.Error(err)
						}
						nextf <- f
					}()
					synctest.Wait()
				}
				lkOK(t, r.UnlockRacing(cancel))
				lkErr(t, <-errc, context.Canceled)
				rlkCount(t, h1, 0)
				if next {
					if f := <-nextf; f != 3 {
						t.Fatalf("next waiter got fence %d; want 3", f)
					}
					rlkCount(t, h2, 1)
					lkOK(t, h2.Unlock(ctx))
				}
				synctest.Wait()
				lkWaiters(t, &r, 0)
				f, err := r.TryLock(ctx)
				lkOK(t, err)
				if f <= 2 {
					t.Fatalf("fence %d after the race; want > 2", f)
				}
				lkOK(t, r.Unlock(ctx))
			})
		})
	}
}

// The shared state of a zero RLock is created once, whichever handle or
// goroutine comes first.
func TestRLockLazyStateRace(t *testing.T) {
	ctx := t.Context()
	var r local.RLock
	var inside atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			h := r.Handle()
			for range 50 {
				if _, err := h.Lock(ctx); err != nil {
					t.Error(err)
					return
				}
				if n := inside.Add(1); n != 1 {
					t.Errorf("%d handles inside the lock", n)
				}
				inside.Add(-1)
				if err := h.Unlock(ctx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	lkWaiters(t, &r, 0)
}

// TestRLockHammer: handles lock reentrantly to random depths, with random
// timeouts; owners are exclusive and fences strictly increase.
func TestRLockHammer(t *testing.T) {
	rng := lkRand(t)
	ctx := t.Context()
	const goroutines = 8
	iters := 1000
	if testing.Short() {
		iters = 100
	}
	var (
		r      local.RLock
		inside atomic.Int32
		fences []latchkey.Fence // guarded by r
	)
	var wg sync.WaitGroup
	for g := range goroutines {
		seed := rng.Uint64()
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(seed, uint64(g)))
			h := r.Handle()
			for range iters {
				c, cancel := ctx, context.CancelFunc(func() {})
				if rnd.IntN(3) == 0 {
					c, cancel = context.WithTimeout(ctx, time.Duration(rnd.IntN(20))*time.Microsecond)
				}
				f, err := h.Lock(c)
				cancel()
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("Lock: %v", err)
						return
					}
					if n, _ := h.Count(ctx); n != 0 {
						t.Errorf("count %d after a timed-out Lock", n)
					}
					continue
				}
				if n := inside.Add(1); n != 1 {
					t.Errorf("%d owners inside the lock", n)
				}
				fences = append(fences, f)
				depth := 1 + rnd.IntN(3)
				for range depth - 1 {
					if f2, err := h.TryLock(ctx); err != nil || f2 != f {
						t.Errorf("reentrant TryLock = %d, %v; want %d", f2, err, f)
					}
				}
				inside.Add(-1)
				for range depth {
					if err := h.Unlock(ctx); err != nil {
						t.Errorf("Unlock: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	for i := 1; i < len(fences); i++ {
		if fences[i] <= fences[i-1] {
			t.Fatalf("fence %d at acquisition %d after %d", fences[i], i, fences[i-1])
		}
	}
	lkWaiters(t, &r, 0)
	_, err := r.TryLock(ctx)
	lkOK(t, err)
	lkOK(t, r.Unlock(ctx))
}
