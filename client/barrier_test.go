package client_test

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// TestBarrierAction: the last party runs the handle's action when the
// server says so, and reports its outcome with ActionDone.
func TestBarrierAction(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	errAction := errors.New("boom")
	for _, fail := range []bool{false, true} {
		ran := 0
		b, _ := openVia(t, fc, func() (latchkey.Barrier, error) {
			return c.Barrier(t.Context(), "b", 2, &latchkey.BarrierOptions{Action: func() error {
				ran++
				if fail {
					return errAction
				}
				return nil
			}})
		})
		idx := make(chan int, 1)
		ch := async(func() error { i, err := b.Wait(t.Context()); idx <- i; return err })
		q := fc.request()
		if q.Op != wire.OpBarrierWait || len(q.Ints) != 1 || q.Ints[0] != 1 {
			t.Fatalf("Wait request %+v", q)
		}
		fc.ok(q, []int64{1, 1})
		d := fc.request()
		want := int64(1)
		if fail {
			want = 0
		}
		if d.Op != wire.OpBarrierActionDone || d.Ints[0] != want {
			t.Fatalf("ActionDone request %+v", d)
		}
		fc.ok(d, nil)
		err := recvErr(t, ch)
		i := <-idx
		switch {
		case ran != 1:
			t.Fatalf("action ran %d times", ran)
		case fail && (!errors.Is(err, errAction) || !errors.Is(err, latchkey.ErrBrokenBarrier)):
			t.Fatalf("failed action: Wait = %v", err)
		case !fail && (err != nil || i != 1):
			t.Fatalf("Wait = %d, %v", i, err)
		}
	}
}

// TestBarrierDoneCtx: a Wait whose ctx is already done still arrives, is
// cancelled at once, and reports the ctx error with ErrBrokenBarrier.
func TestBarrierDoneCtx(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	b, _ := openVia(t, fc, func() (latchkey.Barrier, error) { return c.Barrier(t.Context(), "b", 2, nil) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ch := async(func() error { _, err := b.Wait(ctx); return err })
	q := fc.request()
	if cf, ok := fc.next().(*wire.Cancel); !ok || cf.ID != q.ID {
		t.Fatalf("no Cancel of the Wait")
	}
	fc.send(&wire.Response{ID: q.ID, Status: wire.StatusCanceled})
	if err := recvErr(t, ch); !errors.Is(err, context.Canceled) || !errors.Is(err, latchkey.ErrBrokenBarrier) {
		t.Fatalf("Wait with a done ctx: %v", err)
	}
}

// TestCancelMany: many blocked calls cancelled at once over the one
// connection all return their ctx error, and none is left pending.
func TestCancelMany(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	q, _ := openVia(t, fc, func() (latchkey.Queue, error) { return c.Queue(t.Context(), "q", latchkey.QueueOptions{}) })
	ctx, cancel := context.WithCancel(t.Context())
	const n = 50
	errs := make(chan error, n)
	for range n {
		go func() { _, err := q.Get(ctx); errs <- err }()
	}
	ids := map[uint64]bool{}
	for range n {
		ids[fc.request().ID] = true
	}
	cancel()
	for range n {
		cf, ok := fc.next().(*wire.Cancel)
		if !ok || !ids[cf.ID] {
			t.Fatalf("want a Cancel of a pending Get")
		}
		fc.send(&wire.Response{ID: cf.ID, Status: wire.StatusCanceled})
	}
	for range n {
		if err := recvErr(t, errs); !errors.Is(err, context.Canceled) {
			t.Fatalf("Get: %v", err)
		}
	}
}
