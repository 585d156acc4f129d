package client

import (
	"context"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.RWLock = (*RWLock)(nil)

// RWLock is an owner handle on a server [latchkey.RWLock]: many readers or
// one writer, holds belonging to the handle. Waiters are served in arrival
// order, readers at the head of the queue together. Lock and RLock block
// with the cancellation rules of [Lock]. A handle that is garbage
// collected is closed on the server, which releases its holds.
//
// RWLock is safe for concurrent use.
type RWLock struct{ h *handle }

// Lock blocks until the handle holds the write lock or ctx is done.
func (l *RWLock) Lock(ctx context.Context) (latchkey.Fence, error) {
	return l.h.fence(ctx, wire.OpRWLockLock)
}

// TryLock takes the write lock if no one holds or waits for it, and
// returns latchkey.ErrLocked otherwise.
func (l *RWLock) TryLock(ctx context.Context) (latchkey.Fence, error) {
	return l.h.fence(ctx, wire.OpRWLockTryLock)
}

// Unlock releases the handle's write hold, or returns latchkey.ErrNotHeld.
func (l *RWLock) Unlock(ctx context.Context) error {
	return l.h.none(ctx, wire.OpRWLockUnlock, nil, nil)
}

// RLock blocks until the handle holds a read lock or ctx is done.
func (l *RWLock) RLock(ctx context.Context) (latchkey.Fence, error) {
	return l.h.fence(ctx, wire.OpRWLockRLock)
}

// TryRLock takes a read lock if no writer holds or waits, and returns
// latchkey.ErrLocked otherwise.
func (l *RWLock) TryRLock(ctx context.Context) (latchkey.Fence, error) {
	return l.h.fence(ctx, wire.OpRWLockTryRLock)
}

// RUnlock releases one of the handle's read holds, or returns
// latchkey.ErrNotHeld.
func (l *RWLock) RUnlock(ctx context.Context) error {
	return l.h.none(ctx, wire.OpRWLockRUnlock, nil, nil)
}

// Lost returns a channel closed when the server reports that this handle
// lost its holds, or when the client's session ends.
func (l *RWLock) Lost() <-chan struct{} { return l.h.Lost() }
