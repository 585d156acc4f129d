package conformance

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey"
)

// RWLock is beyond Python: every test is our own.
var rwlockTests = []test{
	{"ReadersShare", "", rwReadersShare},
	{"WriterExcludes", "", rwWriterExcludes},
	{"ReaderBlocksWriter", "", rwReaderBlocksWriter},
	{"QueuedWriterBlocksReaders", "", rwQueuedWriterBlocksReaders},
	{"ReadersGrantedTogether", "", rwReadersGrantedTogether},
	{"FIFO", "", rwFIFO},
	{"NotHeld", "", rwNotHeld},
	{"MultipleReadHolds", "", rwMultipleReadHolds},
	{"Fence", "", rwFence},
	{"Cancel", "", rwCancel},
	{"CancelWriterUnblocksReaders", "", rwCancelWriterUnblocksReaders},
	{"Hammer", "", rwHammer},
}

const rwName = "rw"

// rwAcquire starts a goroutine that takes a read (write false) or write
// hold through h and reports the result on the returned channel.
func rwAcquire(g *lkGroup, h latchkey.RWLock, write bool) <-chan error {
	res := make(chan error, 1)
	g.Go(func() {
		var err error
		if write {
			_, err = h.Lock(g.ctx)
		} else {
			_, err = h.RLock(g.ctx)
		}
		res <- err
	})
	return res
}

func rwReadersShare(t *testing.T, e *Env) {
	ctx := t.Context()
	var rs []latchkey.RWLock
	for i := range 3 {
		r := lkRW(t, e, rwName)
		var err error
		if i == 0 {
			_, err = r.RLock(ctx)
		} else {
			_, err = r.TryRLock(ctx)
		}
		must(t, err)
		rs = append(rs, r)
	}
	w := lkRW(t, e, rwName)
	_, err := w.TryLock(ctx)
	lkWantErr(t, "TryLock with readers", err, latchkey.ErrLocked)
	for _, r := range rs {
		must(t, r.RUnlock(ctx))
	}
	_, err = w.TryLock(ctx)
	must(t, err)
	must(t, w.Unlock(ctx))
}

func rwWriterExcludes(t *testing.T, e *Env) {
	ctx := t.Context()
	w := lkRW(t, e, rwName)
	w2 := lkRW(t, e, rwName)
	r := lkRW(t, e, rwName)
	_, err := w.Lock(ctx)
	must(t, err)
	_, err = r.TryRLock(ctx)
	lkWantErr(t, "TryRLock with a writer", err, latchkey.ErrLocked)
	_, err = w2.TryLock(ctx)
	lkWantErr(t, "TryLock with a writer", err, latchkey.ErrLocked)
	_, err = w.TryLock(ctx)
	lkWantErr(t, "TryLock by the writer itself", err, latchkey.ErrLocked)
	g := lkStart(t)
	defer g.Stop()
	rres := rwAcquire(g, r, false)
	e.Blocked(t, rwName, 1)
	wres := rwAcquire(g, w2, true)
	e.Blocked(t, rwName, 2)
	lkNone(t, e, rres, "RLock with a writer")
	lkNone(t, e, wres, "Lock with a writer")
	must(t, w.Unlock(ctx))
	must(t, lkRecv(t, e, rres))
	e.Blocked(t, rwName, 1)
	lkNone(t, e, wres, "Lock with a reader")
	must(t, r.RUnlock(ctx))
	must(t, lkRecv(t, e, wres))
	g.Join(t, e)
	must(t, w2.Unlock(ctx))
}

func rwReaderBlocksWriter(t *testing.T, e *Env) {
	ctx := t.Context()
	r := lkRW(t, e, rwName)
	w := lkRW(t, e, rwName)
	_, err := r.RLock(ctx)
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	wres := rwAcquire(g, w, true)
	e.Blocked(t, rwName, 1)
	lkNone(t, e, wres, "Lock with a reader")
	must(t, r.RUnlock(ctx))
	must(t, lkRecv(t, e, wres))
	g.Join(t, e)
	must(t, w.Unlock(ctx))
}

// rwQueuedWriterBlocksReaders: a waiting writer is not starved: new
// readers queue behind it and TryRLock fails.
func rwQueuedWriterBlocksReaders(t *testing.T, e *Env) {
	ctx := t.Context()
	r1 := lkRW(t, e, rwName)
	r2 := lkRW(t, e, rwName)
	w := lkRW(t, e, rwName)
	_, err := r1.RLock(ctx)
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	wres := rwAcquire(g, w, true)
	e.Blocked(t, rwName, 1)
	_, err = r2.TryRLock(ctx)
	lkWantErr(t, "TryRLock with a writer waiting", err, latchkey.ErrLocked)
	rres := rwAcquire(g, r2, false)
	e.Blocked(t, rwName, 2)
	lkNone(t, e, rres, "RLock with a writer waiting")
	must(t, r1.RUnlock(ctx))
	must(t, lkRecv(t, e, wres))
	e.Blocked(t, rwName, 1)
	lkNone(t, e, rres, "RLock with a writer holding")
	must(t, w.Unlock(ctx))
	must(t, lkRecv(t, e, rres))
	g.Join(t, e)
	must(t, r2.RUnlock(ctx))
}

// rwReadersGrantedTogether: readers at the head of the queue are granted
// together; the writer behind them waits for all of them.
func rwReadersGrantedTogether(t *testing.T, e *Env) {
	ctx := t.Context()
	w := lkRW(t, e, rwName)
	r1 := lkRW(t, e, rwName)
	r2 := lkRW(t, e, rwName)
	w2 := lkRW(t, e, rwName)
	_, err := w.Lock(ctx)
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res1 := rwAcquire(g, r1, false)
	e.Blocked(t, rwName, 1)
	res2 := rwAcquire(g, r2, false)
	e.Blocked(t, rwName, 2)
	wres := rwAcquire(g, w2, true)
	e.Blocked(t, rwName, 3)
	must(t, w.Unlock(ctx))
	must(t, lkRecv(t, e, res1))
	must(t, lkRecv(t, e, res2))
	e.Blocked(t, rwName, 1)
	must(t, r1.RUnlock(ctx))
	lkNone(t, e, wres, "Lock with one reader left")
	must(t, r2.RUnlock(ctx))
	must(t, lkRecv(t, e, wres))
	g.Join(t, e)
	must(t, w2.Unlock(ctx))
}

// rwFIFO: with a writer holding, reader 1, writer 2 and reader 2 queue in
// that order and are served in that order: reader 2 does not join reader
// 1 past the writer.
func rwFIFO(t *testing.T, e *Env) {
	ctx := t.Context()
	w := lkRW(t, e, rwName)
	r1 := lkRW(t, e, rwName)
	w2 := lkRW(t, e, rwName)
	r2 := lkRW(t, e, rwName)
	_, err := w.Lock(ctx)
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res1 := rwAcquire(g, r1, false)
	e.Blocked(t, rwName, 1)
	wres := rwAcquire(g, w2, true)
	e.Blocked(t, rwName, 2)
	res2 := rwAcquire(g, r2, false)
	e.Blocked(t, rwName, 3)
	must(t, w.Unlock(ctx))
	must(t, lkRecv(t, e, res1))
	e.Blocked(t, rwName, 2)
	lkNone(t, e, wres, "writer 2 with reader 1 holding")
	lkNone(t, e, res2, "reader 2 behind writer 2")
	must(t, r1.RUnlock(ctx))
	must(t, lkRecv(t, e, wres))
	e.Blocked(t, rwName, 1)
	lkNone(t, e, res2, "reader 2 with writer 2 holding")
	must(t, w2.Unlock(ctx))
	must(t, lkRecv(t, e, res2))
	g.Join(t, e)
	must(t, r2.RUnlock(ctx))
}

// rwNotHeld: a handle unlocks only the kind of hold it has; a failed
// unlock changes nothing.
func rwNotHeld(t *testing.T, e *Env) {
	ctx := t.Context()
	a := lkRW(t, e, rwName)
	b := lkRW(t, e, rwName)
	c := lkRW(t, e, rwName)
	lkWantErr(t, "Unlock of a new RWLock", a.Unlock(ctx), latchkey.ErrNotHeld)
	lkWantErr(t, "RUnlock of a new RWLock", a.RUnlock(ctx), latchkey.ErrNotHeld)

	_, err := a.Lock(ctx)
	must(t, err)
	lkWantErr(t, "Unlock by another handle", b.Unlock(ctx), latchkey.ErrNotHeld)
	lkWantErr(t, "RUnlock by another handle", b.RUnlock(ctx), latchkey.ErrNotHeld)
	lkWantErr(t, "RUnlock by the writer", a.RUnlock(ctx), latchkey.ErrNotHeld)
	_, err = c.TryRLock(ctx)
	lkWantErr(t, "TryRLock after failed unlocks", err, latchkey.ErrLocked)
	must(t, a.Unlock(ctx))
	lkWantErr(t, "second Unlock", a.Unlock(ctx), latchkey.ErrNotHeld)

	_, err = a.RLock(ctx)
	must(t, err)
	lkWantErr(t, "RUnlock by another handle", b.RUnlock(ctx), latchkey.ErrNotHeld)
	lkWantErr(t, "Unlock by the reader", a.Unlock(ctx), latchkey.ErrNotHeld)
	_, err = c.TryLock(ctx)
	lkWantErr(t, "TryLock after failed unlocks", err, latchkey.ErrLocked)
	must(t, a.RUnlock(ctx))
	lkWantErr(t, "second RUnlock", a.RUnlock(ctx), latchkey.ErrNotHeld)

	_, err = c.TryLock(ctx)
	must(t, err)
	must(t, c.Unlock(ctx))
}

// rwMultipleReadHolds: a handle may hold several read locks; each needs
// its RUnlock.
func rwMultipleReadHolds(t *testing.T, e *Env) {
	ctx := t.Context()
	a := lkRW(t, e, rwName)
	w := lkRW(t, e, rwName)
	_, err := a.RLock(ctx)
	must(t, err)
	_, err = a.TryRLock(ctx)
	must(t, err)
	_, err = a.RLock(ctx)
	must(t, err)
	for range 3 {
		_, err = w.TryLock(ctx)
		lkWantErr(t, "TryLock with read holds", err, latchkey.ErrLocked)
		must(t, a.RUnlock(ctx))
	}
	lkWantErr(t, "fourth RUnlock", a.RUnlock(ctx), latchkey.ErrNotHeld)
	_, err = w.TryLock(ctx)
	must(t, err)
	must(t, w.Unlock(ctx))
}

// rwFence: every grant, read or write, gets a greater token.
func rwFence(t *testing.T, e *Env) {
	ctx := t.Context()
	a := lkRW(t, e, rwName)
	b := lkRW(t, e, rwName)
	var fs []latchkey.Fence
	add := func(f latchkey.Fence, err error) {
		t.Helper()
		must(t, err)
		fs = append(fs, f)
	}
	add(a.Lock(ctx))
	must(t, a.Unlock(ctx))
	add(a.RLock(ctx))
	add(b.RLock(ctx))
	must(t, a.RUnlock(ctx))
	must(t, b.RUnlock(ctx))
	add(b.TryLock(ctx))
	must(t, b.Unlock(ctx))
	add(a.TryRLock(ctx))
	g := lkStart(t)
	defer g.Stop()
	res := make(chan latchkey.Fence, 1)
	g.Go(func() {
		f, err := b.Lock(g.ctx)
		if err != nil {
			t.Error(err)
		}
		res <- f
	})
	e.Blocked(t, rwName, 1)
	must(t, a.RUnlock(ctx))
	fs = append(fs, lkRecv(t, e, res))
	g.Join(t, e)
	must(t, b.Unlock(ctx))
	lkFences(t, fs...)
}

// rwCancel: cancelled and timed-out Lock and RLock calls never hold and
// leave no waiter.
func rwCancel(t *testing.T, e *Env) {
	ctx := t.Context()
	w := lkRW(t, e, rwName)
	x := lkRW(t, e, rwName)
	_, err := x.Lock(lkDone(ctx))
	lkWantErr(t, "Lock with a done ctx", err, context.Canceled)
	_, err = x.RLock(lkDone(ctx))
	lkWantErr(t, "RLock with a done ctx", err, context.Canceled)
	lkWantErr(t, "Unlock after a cancelled Lock", x.Unlock(ctx), latchkey.ErrNotHeld)
	lkWantErr(t, "RUnlock after a cancelled RLock", x.RUnlock(ctx), latchkey.ErrNotHeld)

	_, err = w.Lock(ctx)
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	res := make(chan error, 1)
	for _, write := range []bool{true, false} {
		cctx, cancel := context.WithCancel(g.ctx)
		g.Go(func() {
			var err error
			if write {
				_, err = x.Lock(cctx)
			} else {
				_, err = x.RLock(cctx)
			}
			res <- err
		})
		e.Blocked(t, rwName, 1)
		cancel()
		lkWantErr(t, "cancelled call", lkRecv(t, e, res), context.Canceled)
		e.Blocked(t, rwName, 0)
		g.Go(func() {
			tctx, cancel := lkShort(g.ctx, e)
			defer cancel()
			var err error
			if write {
				_, err = x.Lock(tctx)
			} else {
				_, err = x.RLock(tctx)
			}
			res <- err
		})
		lkWantErr(t, "timed-out call", lkRecv(t, e, res), context.DeadlineExceeded)
		e.Blocked(t, rwName, 0)
	}
	g.Join(t, e)
	lkWantErr(t, "Unlock after cancelled Locks", x.Unlock(ctx), latchkey.ErrNotHeld)
	lkWantErr(t, "RUnlock after cancelled RLocks", x.RUnlock(ctx), latchkey.ErrNotHeld)
	_, err = x.TryRLock(ctx)
	lkWantErr(t, "TryRLock with the writer holding", err, latchkey.ErrLocked)
	must(t, w.Unlock(ctx))
	_, err = x.TryLock(ctx)
	must(t, err)
	must(t, x.Unlock(ctx))
}

// rwCancelWriterUnblocksReaders: readers queued behind a waiting writer
// are granted when the writer gives up, since a reader holds.
func rwCancelWriterUnblocksReaders(t *testing.T, e *Env) {
	ctx := t.Context()
	r1 := lkRW(t, e, rwName)
	r2 := lkRW(t, e, rwName)
	w := lkRW(t, e, rwName)
	_, err := r1.RLock(ctx)
	must(t, err)
	g := lkStart(t)
	defer g.Stop()
	wctx, cancel := context.WithCancel(g.ctx)
	wres := make(chan error, 1)
	g.Go(func() {
		_, err := w.Lock(wctx)
		wres <- err
	})
	e.Blocked(t, rwName, 1)
	rres := rwAcquire(g, r2, false)
	e.Blocked(t, rwName, 2)
	lkNone(t, e, rres, "RLock behind a waiting writer")
	cancel()
	lkWantErr(t, "cancelled Lock", lkRecv(t, e, wres), context.Canceled)
	must(t, lkRecv(t, e, rres))
	e.Blocked(t, rwName, 0)
	g.Join(t, e)
	must(t, r1.RUnlock(ctx))
	must(t, r2.RUnlock(ctx))
	_, err = w.TryLock(ctx)
	must(t, err)
	must(t, w.Unlock(ctx))
}

// rwHammer: readers and writers with random timeouts and cancels; a
// writer holds alone; free at the end.
func rwHammer(t *testing.T, e *Env) {
	handles := make([]latchkey.RWLock, lkWorkers)
	for i := range handles {
		handles[i] = lkRW(t, e, rwName)
	}
	var readers, writers atomic.Int32
	lkHammer(t, e, func(ctx context.Context, i int, r *rand.Rand) {
		h := handles[i]
		write := r.IntN(3) == 0
		actx, done := lkAttemptCtx(ctx, e, r)
		var err error
		if write {
			_, err = h.Lock(actx)
		} else {
			_, err = h.RLock(actx)
		}
		done()
		if err != nil {
			if !lkIsCtxErr(err) {
				t.Errorf("Lock/RLock: %v", err)
			}
			return
		}
		if write {
			if n := writers.Add(1); n != 1 {
				t.Errorf("%d writers", n)
			}
			if n := readers.Load(); n != 0 {
				t.Errorf("a writer with %d readers", n)
			}
		} else {
			readers.Add(1)
			if n := writers.Load(); n != 0 {
				t.Errorf("a reader with %d writers", n)
			}
		}
		lkHold(ctx, e, r)
		if write {
			writers.Add(-1)
			err = h.Unlock(ctx)
		} else {
			readers.Add(-1)
			err = h.RUnlock(ctx)
		}
		if err != nil {
			t.Errorf("Unlock/RUnlock: %v", err)
		}
	})
	e.Blocked(t, rwName, 0)
	for _, h := range handles {
		lkWantErr(t, "Unlock after the hammer", h.Unlock(t.Context()), latchkey.ErrNotHeld)
		lkWantErr(t, "RUnlock after the hammer", h.RUnlock(t.Context()), latchkey.ErrNotHeld)
	}
	_, err := handles[0].TryLock(t.Context())
	must(t, err)
	must(t, handles[0].Unlock(t.Context()))
}
