package client

import (
	"context"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.RLock = (*RLock)(nil)

// RLock is an owner handle on a server [latchkey.RLock] (Python's
// threading.RLock): the handle that holds it may lock it again, and only
// it may unlock it. Every [Client.RLock] call returns a new owner; a
// handle that is garbage collected is closed on the server, which
// releases the lock with its whole recursion count.
//
// Lock blocks until granted or ctx is done, with the cancellation rules
// of [Lock]. RLock is safe for concurrent use; the goroutines sharing a
// handle share its ownership.
type RLock struct{ h *handle }

// Lock acquires the lock, or increments the recursion count if this
// handle holds it, and returns the fence of the first grant.
func (l *RLock) Lock(ctx context.Context) (latchkey.Fence, error) {
	return l.h.fence(ctx, wire.OpRLockLock)
}

// TryLock is Lock's non-blocking form: latchkey.ErrLocked if another
// handle owns the lock.
func (l *RLock) TryLock(ctx context.Context) (latchkey.Fence, error) {
	return l.h.fence(ctx, wire.OpRLockTryLock)
}

// Unlock decrements the recursion count, or returns latchkey.ErrNotOwner.
func (l *RLock) Unlock(ctx context.Context) error { return l.h.none(ctx, wire.OpRLockUnlock, nil, nil) }

// Count returns this handle's recursion count (0 when it does not own
// the lock).
func (l *RLock) Count(ctx context.Context) (int, error) {
	n, err := l.h.int(ctx, wire.OpRLockCount, nil, nil)
	return int(n), err
}

// Lost returns a channel closed when the server reports that this handle
// lost the lock, or when the client's session ends.
func (l *RLock) Lost() <-chan struct{} { return l.h.Lost() }
