package client

import (
	"context"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.Event = (*Event)(nil)

// Event is a handle on a server [latchkey.Event] (Python's
// threading.Event). A Set synchronizes before the Waits it wakes return.
// Wait blocks until the flag is set or ctx is done; a cancelled Wait
// returns ctx.Err().
//
// Event is safe for concurrent use.
type Event struct{ h *handle }

// Set sets the flag and wakes every waiter.
func (e *Event) Set(ctx context.Context) error { return e.h.none(ctx, wire.OpEventSet, nil, nil) }

// Clear resets the flag.
func (e *Event) Clear(ctx context.Context) error { return e.h.none(ctx, wire.OpEventClear, nil, nil) }

// IsSet reports the flag (a snapshot).
func (e *Event) IsSet(ctx context.Context) (bool, error) {
	return e.h.bool(ctx, wire.OpEventIsSet, nil, nil)
}

// Wait blocks until the flag is set or ctx is done.
func (e *Event) Wait(ctx context.Context) error {
	return e.h.none(ctx, wire.OpEventWait, nil, nil)
}
