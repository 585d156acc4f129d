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

func TestRWLockZeroValue(t *testing.T) {
	ctx := t.Context()
	var rw local.RWLock
	f, err := rw.Lock(ctx)
	lkFence(t, f, err, 1)
	lkOK(t, rw.Unlock(ctx))
	f, err = rw.RLock(ctx)
	lkFence(t, f, err, 2)
	f, err = rw.TryRLock(ctx)
	lkFence(t, f, err, 3)
	lkOK(t, rw.RUnlock(ctx))
	lkOK(t, rw.RUnlock(ctx))
	f, err = rw.TryLock(ctx)
	lkFence(t, f, err, 4)
	lkOK(t, rw.Unlock(ctx))
	lkWaiters(t, &rw, 0)
}

func TestRWLockManyReaders(t *testing.T) {
	ctx := t.Context()
	var rw local.RWLock
	hs := []*local.RWLock{&rw, rw.Handle(), rw.Handle()}
	for i, h := range hs {
		f, err := h.RLock(ctx)
		lkFence(t, f, err, latchkey.Fence(i+1))
	}
	_, err := rw.TryLock(ctx)
	lkErr(t, err, latchkey.ErrLocked)
	_, err = rw.Handle().TryLock(ctx)
	lkErr(t, err, latchkey.ErrLocked)
	for _, h := range hs {
		lkOK(t, h.RUnlock(ctx))
	}
	f, err := rw.Handle().TryLock(ctx)
	lkFence(t, f, err, 4)
}

// Holds belong to the handle.
func TestRWLockNotHeld(t *testing.T) {
	ctx := t.Context()
	var rw local.RWLock
	h := rw.Handle()
	lkErr(t, rw.Unlock(ctx), latchkey.ErrNotHeld)
	lkErr(t, rw.RUnlock(ctx), latchkey.ErrNotHeld)

	_, err := rw.Lock(ctx)
	lkOK(t, err)
	lkErr(t, h.Unlock(ctx), latchkey.ErrNotHeld)
	lkErr(t, rw.RUnlock(ctx), latchkey.ErrNotHeld) // a write hold is not a read hold
	_, err = h.TryRLock(ctx)
	lkErr(t, err, latchkey.ErrLocked)
	lkOK(t, rw.Unlock(ctx))
	lkErr(t, rw.Unlock(ctx), latchkey.ErrNotHeld)

	_, err = h.RLock(ctx)
	lkOK(t, err)
	_, err = h.RLock(ctx)
	lkOK(t, err)
	lkErr(t, rw.RUnlock(ctx), latchkey.ErrNotHeld)
	lkErr(t, h.Unlock(ctx), latchkey.ErrNotHeld) // a read hold is not a write hold
	lkOK(t, h.RUnlock(ctx))
	lkOK(t, h.RUnlock(ctx))
	lkErr(t, h.RUnlock(ctx), latchkey.ErrNotHeld)
	_, err = rw.TryLock(ctx)
	lkOK(t, err)
	lkOK(t, rw.Unlock(ctx))
}

func TestRWLockDoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var rw local.RWLock
	_, err := rw.Lock(ctx)
	lkErr(t, err, context.Canceled)
	_, err = rw.RLock(ctx)
	lkErr(t, err, context.Canceled)
	f, err := rw.TryLock(ctx)
	lkFence(t, f, err, 1)
	lkOK(t, rw.Unlock(ctx))
}

// rwkRequest is a blocked Lock or RLock in a test goroutine, told to
// release by closing release.
type rwkRequest struct {
	got     chan latchkey.Fence
	release chan struct{}
}

// rwkStart starts a Lock (write) or RLock by h that, once granted, reports
// its fence and releases when told, and waits until it is granted or
// blocked.
func rwkStart(t *testing.T, h *local.RWLock, write bool) rwkRequest {
	ctx := t.Context()
	r := rwkRequest{make(chan latchkey.Fence, 1), make(chan struct{})}
	go func() {
		lock, unlock := h.RLock, h.RUnlock
		if write {
			lock, unlock = h.Lock, h.Unlock
		}
		f, err := lock(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		r.got <- f
		<-r.release
		if err := unlock(ctx); err != nil {
			t.Error(err)
		}
	}()
	synctest.Wait()
	return r
}

// granted fails the test unless r was granted fence want; blocked unless
// it was not granted yet.
func (r rwkRequest) granted(t *testing.T, want latchkey.Fence) {
	t.Helper()
	select {
	case f := <-r.got:
		if f != want {
			t.Fatalf("granted fence %d; want %d", f, want)
		}
	default:
		t.Fatalf("not granted; want fence %d", want)
	}
}

func (r rwkRequest) blocked(t *testing.T) {
	t.Helper()
	if len(r.got) != 0 {
		t.Fatal("granted; want blocked")
	}
}

// A queued writer blocks later readers, and gets the lock when the
// earlier readers are done.
func TestRWLockWriterBlocksLaterReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var rw local.RWLock
		r1 := rwkStart(t, rw.Handle(), false)
		r1.granted(t, 1)
		w := rwkStart(t, rw.Handle(), true)
		w.blocked(t)
		_, err := rw.TryRLock(ctx)
		lkErr(t, err, latchkey.ErrLocked)
		_, err = rw.TryLock(ctx)
		lkErr(t, err, latchkey.ErrLocked)
		r2 := rwkStart(t, rw.Handle(), false)
		r2.blocked(t)
		lkWaiters(t, &rw, 2)
		close(r1.release)
		synctest.Wait()
		w.granted(t, 2)
		r2.blocked(t)
		lkWaiters(t, &rw, 1)
		close(w.release)
		synctest.Wait()
		r2.granted(t, 3)
		lkWaiters(t, &rw, 0)
		close(r2.release)
		synctest.Wait()
		f, err := rw.TryLock(ctx)
		lkFence(t, f, err, 4)
		lkOK(t, rw.Unlock(ctx))
	})
}

// The readers at the head of the queue are granted together, up to the
// first writer; each grant has its own fence.
func TestRWLockReadersGrantedTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rw local.RWLock
		w1 := rwkStart(t, rw.Handle(), true)
		w1.granted(t, 1)
		r1 := rwkStart(t, rw.Handle(), false)
		r2 := rwkStart(t, rw.Handle(), false)
		w2 := rwkStart(t, rw.Handle(), true)
		r3 := rwkStart(t, rw.Handle(), false)
		lkWaiters(t, &rw, 4)
		close(w1.release)
		synctest.Wait()
		r1.granted(t, 2)
		r2.granted(t, 3)
		w2.blocked(t)
		r3.blocked(t)
		lkWaiters(t, &rw, 2)
		close(r1.release)
		synctest.Wait()
		w2.blocked(t)
		close(r2.release)
		synctest.Wait()
		w2.granted(t, 4)
		r3.blocked(t)
		close(w2.release)
		synctest.Wait()
		r3.granted(t, 5)
		close(r3.release)
		synctest.Wait()
		lkWaiters(t, &rw, 0)
	})
}

// Cancelling the writer that holds up readers lets them in.
func TestRWLockCancelWriterUnblocksReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var rw local.RWLock
		r1 := rwkStart(t, rw.Handle(), false)
		r1.granted(t, 1)
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		errc := make(chan error, 1)
		w := rw.Handle()
		go func() {
			_, err := w.Lock(wctx)
			errc <- err
		}()
		synctest.Wait()
		r2 := rwkStart(t, rw.Handle(), false)
		r2.blocked(t)
		lkWaiters(t, &rw, 2)
		lkErr(t, <-errc, context.DeadlineExceeded)
		synctest.Wait()
		r2.granted(t, 2)
		lkWaiters(t, &rw, 0)
		lkErr(t, w.Unlock(ctx), latchkey.ErrNotHeld)
		close(r1.release)
		close(r2.release)
		synctest.Wait()
		_, err := w.TryLock(ctx)
		lkOK(t, err)
		lkOK(t, w.Unlock(ctx))
	})
}

// A grant that races with the waiter's cancellation is given back and
// passed on.
func TestRWLockCancelRacesGrant(t *testing.T) {
	for _, tc := range []struct {
		name          string
		holdRead      bool // the releaser holds a read lock, else the write lock
		waitRead      bool // the cancelled waiter wants a read lock
		wantNextFence latchkey.Fence
	}{
		{"write-to-write", false, false, 3},
		{"write-to-read", false, true, 4}, // the writer behind waits for both grants
		{"read-to-write", true, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				var rw local.RWLock
				var err error
				if tc.holdRead {
					_, err = rw.RLock(ctx)
				} else {
					_, err = rw.Lock(ctx)
				}
				lkOK(t, err)
				cctx, cancel := context.WithCancel(ctx)
				errc := make(chan error, 1)
				h := rw.Handle()
				go func() {
					var err error
					if tc.waitRead {
						_, err = h.RLock(cctx)
					} else {
						_, err = h.Lock(cctx)
					}
					errc <- err
				}()
				synctest.Wait()
				var more rwkRequest
				if tc.waitRead {
					// A reader to be granted together with the cancelled one.
					more = rwkStart(t, rw.Handle(), false)
				}
				// A writer behind them.
				next := rwkStart(t, rw.Handle(), true)
				next.blocked(t)
				lkOK(t, rw.UnlockRacing(cancel, tc.holdRead))
				lkErr(t, <-errc, context.Canceled)
				lkErr(t, h.Unlock(ctx), latchkey.ErrNotHeld)
				lkErr(t, h.RUnlock(ctx), latchkey.ErrNotHeld)
				if tc.waitRead {
					synctest.Wait()
					more.granted(t, 3)
					next.blocked(t)
					close(more.release)
				}
				synctest.Wait()
				next.granted(t, tc.wantNextFence)
				lkWaiters(t, &rw, 0)
				close(next.release)
				synctest.Wait()
				_, err = rw.TryLock(ctx)
				lkOK(t, err)
				lkOK(t, rw.Unlock(ctx))
			})
		})
	}
}

// TestRWLockHammer: readers and writers with random timeouts; a writer is
// alone, readers only share with readers, fences strictly increase in
// write order.
func TestRWLockHammer(t *testing.T) {
	rng := lkRand(t)
	ctx := t.Context()
	const goroutines = 8
	iters := 1000
	if testing.Short() {
		iters = 100
	}
	var (
		rw      local.RWLock
		readers atomic.Int32
		writers atomic.Int32
		fences  []latchkey.Fence // guarded by the write lock
	)
	var wg sync.WaitGroup
	for g := range goroutines {
		seed := rng.Uint64()
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(seed, uint64(g)))
			h := rw.Handle()
			for range iters {
				c, cancel := ctx, context.CancelFunc(func() {})
				if rnd.IntN(3) == 0 {
					c, cancel = context.WithTimeout(ctx, time.Duration(rnd.IntN(20))*time.Microsecond)
				}
				write := rnd.IntN(4) == 0
				var f latchkey.Fence
				var err error
				switch {
				case write && rnd.IntN(4) == 0:
					f, err = h.TryLock(ctx)
				case write:
					f, err = h.Lock(c)
				case rnd.IntN(4) == 0:
					f, err = h.TryRLock(ctx)
				default:
					f, err = h.RLock(c)
				}
				cancel()
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, latchkey.ErrLocked) {
						t.Errorf("lock: %v", err)
						return
					}
					continue
				}
				if write {
					if n := writers.Add(1); n != 1 || readers.Load() != 0 {
						t.Errorf("writer with %d writers and %d readers", n, readers.Load())
					}
					fences = append(fences, f)
					writers.Add(-1)
					err = h.Unlock(ctx)
				} else {
					readers.Add(1)
					if n := writers.Load(); n != 0 {
						t.Errorf("reader with %d writers", n)
					}
					readers.Add(-1)
					err = h.RUnlock(ctx)
				}
				if err != nil {
					t.Errorf("unlock: %v", err)
				}
			}
		})
	}
	wg.Wait()
	for i := 1; i < len(fences); i++ {
		if fences[i] <= fences[i-1] {
			t.Fatalf("fence %d at write %d after %d", fences[i], i, fences[i-1])
		}
	}
	lkWaiters(t, &rw, 0)
	_, err := rw.TryLock(ctx)
	lkOK(t, err)
	lkOK(t, rw.Unlock(ctx))
}
