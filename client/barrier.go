package client

import (
	"context"
	"fmt"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.Barrier = (*Barrier)(nil)

// actionDoneTimeout bounds the report of a barrier action's outcome.
const actionDoneTimeout = 30 * time.Second

// Barrier is a handle on a server [latchkey.Barrier] (Python's
// threading.Barrier), with options of its own. The action runs in the
// client of the last party to arrive, before any party is released: the
// server answers that party first, the client runs the action (a panic is
// recovered) and reports its outcome; if it failed, the barrier breaks
// and Wait returns the action's error wrapped with
// latchkey.ErrBrokenBarrier.
//
// A Wait whose ctx ends (or whose handle's Timeout expires) breaks the
// barrier, as Python's timeout does: it returns ctx.Err() wrapped with
// latchkey.ErrBrokenBarrier. A Wait whose ctx is already done still
// arrives: as the last party it trips the barrier, otherwise it breaks
// it. A trip synchronizes before every Wait it releases returns. A handle
// that is garbage collected is closed on the server.
//
// Barrier is safe for concurrent use.
type Barrier struct {
	h       *handle
	parties int
	opts    latchkey.BarrierOptions
}

// Wait blocks until all parties have called Wait and returns this
// party's arrival index.
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	if b.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.opts.Timeout)
		defer cancel()
	}
	var action int64
	if b.opts.Action != nil {
		action = 1
	}
	resp, err := b.h.callWith(ctx, modeAlways, wire.OpBarrierWait, []int64{action}, nil)
	if err != nil {
		if isCtxErr(err) {
			return 0, fmt.Errorf("%w: %w", latchkey.ErrBrokenBarrier, err)
		}
		return 0, err
	}
	idx, err := intAt(resp, 0)
	if err != nil {
		return 0, err
	}
	run, err := intAt(resp, 1)
	if err != nil {
		return 0, err
	}
	if run == 0 {
		return int(idx), nil
	}
	aerr := runAction(b.opts.Action)
	ok := int64(1)
	if aerr != nil {
		ok = 0
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), actionDoneTimeout)
	defer cancel()
	derr := b.h.none(dctx, wire.OpBarrierActionDone, []int64{ok}, nil)
	switch {
	case aerr != nil:
		return 0, fmt.Errorf("%w: %w", latchkey.ErrBrokenBarrier, aerr)
	case derr != nil:
		return 0, derr
	}
	return int(idx), nil
}

// runAction runs f, turning a panic into an error.
func runAction(f func() error) (err error) {
	if f == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("client: barrier action panicked: %v", r)
		}
	}()
	return f()
}

// Abort breaks the barrier.
func (b *Barrier) Abort(ctx context.Context) error {
	return b.h.none(ctx, wire.OpBarrierAbort, nil, nil)
}

// Reset returns the barrier to its initial state.
func (b *Barrier) Reset(ctx context.Context) error {
	return b.h.none(ctx, wire.OpBarrierReset, nil, nil)
}

// Parties returns the number of parties the handle was opened with.
func (b *Barrier) Parties() int { return b.parties }

// Waiting returns the number of parties waiting in the current cycle.
func (b *Barrier) Waiting(ctx context.Context) (int, error) {
	n, err := b.h.int(ctx, wire.OpBarrierWaiting, nil, nil)
	return int(n), err
}

// Broken reports whether the barrier is broken.
func (b *Barrier) Broken(ctx context.Context) (bool, error) {
	return b.h.bool(ctx, wire.OpBarrierBroken, nil, nil)
}
