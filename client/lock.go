package client

import (
	"context"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.Lock = (*Lock)(nil)

// Lock is a handle on a server [latchkey.Lock]: Python's threading.Lock
// across processes and machines. It has no owner (any handle may unlock
// it); the server records which session took it and unlocks it if that
// session ends. Waiters are served in arrival order.
//
// Lock blocks until granted or ctx is done. A Lock whose ctx ends sends a
// Cancel and waits for the server's answer: if the grant came first, Lock
// returns it (nil error), as protocol.md 6.2 prescribes; otherwise it
// returns ctx.Err() and the lock is unchanged. An Unlock synchronizes
// before the Lock it lets proceed. A grant whose previous holder's session
// died holding it comes with [latchkey.ErrOwnerDied] and the fence.
//
// Lock is safe for concurrent use.
type Lock struct{ h *handle }

// Lock blocks until the lock is acquired or ctx is done, and returns the
// grant's fencing token.
func (l *Lock) Lock(ctx context.Context) (latchkey.Fence, error) {
	return l.h.fence(ctx, wire.OpLockLock)
}

// TryLock acquires the lock if it is free and no one waits, and returns
// latchkey.ErrLocked otherwise.
func (l *Lock) TryLock(ctx context.Context) (latchkey.Fence, error) {
	return l.h.fence(ctx, wire.OpLockTryLock)
}

// Unlock releases the lock, or returns latchkey.ErrNotHeld.
func (l *Lock) Unlock(ctx context.Context) error { return l.h.none(ctx, wire.OpLockUnlock, nil, nil) }

// Locked reports whether the lock is held (a snapshot).
func (l *Lock) Locked(ctx context.Context) (bool, error) {
	return l.h.bool(ctx, wire.OpLockLocked, nil, nil)
}

// Lost returns a channel closed when the server reports that this
// handle's session lost the lock without unlocking it, or when the
// client's session ends. It closes once; see the package documentation.
func (l *Lock) Lost() <-chan struct{} { return l.h.Lost() }
