package client

import (
	"context"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.Condition = (*Condition)(nil)

// Condition is a handle on a server [latchkey.Condition], bound to a
// [*Lock] or [*RLock] of the same client or to a lock of its own. Its
// Lock, TryLock and Unlock act on the bound lock as the bound handle.
//
// Wait releases the lock, waits for a notification and re-acquires the
// lock before it returns, on every path: a Wait whose ctx ends is
// cancelled on the server, which re-acquires the lock (waiting for it
// without a deadline, as Python does) before answering, and Wait then
// returns ctx.Err(). Waiters are woken oldest first; a Notify
// synchronizes before the Waits it wakes return. A handle that is garbage
// collected is closed on the server.
//
// Condition is safe for concurrent use.
type Condition struct {
	h    *handle
	lock latchkey.Locker // the bound lock, kept reachable while the condition is: its cleanup would close it
}

// Lock acquires the bound lock.
func (c *Condition) Lock(ctx context.Context) (latchkey.Fence, error) {
	return c.h.fence(ctx, wire.OpConditionLock)
}

// TryLock acquires the bound lock if that is possible without waiting.
func (c *Condition) TryLock(ctx context.Context) (latchkey.Fence, error) {
	return c.h.fence(ctx, wire.OpConditionTryLock)
}

// Unlock releases the bound lock.
func (c *Condition) Unlock(ctx context.Context) error {
	return c.h.none(ctx, wire.OpConditionUnlock, nil, nil)
}

// Wait releases the lock, blocks until notified or ctx is done, and
// re-acquires the lock. It returns nil when notified, ctx.Err()
// otherwise, and latchkey.ErrNotHeld if the lock was not held. A Wait
// whose ctx is already done returns ctx.Err() at once, leaving the lock as
// it is.
func (c *Condition) Wait(ctx context.Context) error {
	return c.h.none(ctx, wire.OpConditionWait, nil, nil)
}

// WaitFor evaluates pred with the lock held and waits until it holds. It
// returns nil once pred is true; if ctx ends first it returns ctx.Err()
// unless pred holds by then (as Python's wait_for returns the predicate's
// last value). The lock is held on return.
func (c *Condition) WaitFor(ctx context.Context, pred func() bool) error {
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			if isCtxErr(err) && pred() {
				return nil
			}
			return err
		}
	}
	return nil
}

// Notify wakes up to n waiters (none if n ≤ 0), oldest first.
func (c *Condition) Notify(ctx context.Context, n int) error {
	return c.h.none(ctx, wire.OpConditionNotify, []int64{int64(max(n, 0))}, nil)
}

// NotifyAll wakes every current waiter.
func (c *Condition) NotifyAll(ctx context.Context) error {
	return c.h.none(ctx, wire.OpConditionNotifyAll, nil, nil)
}

// Lost returns a channel closed when the server reports that this handle
// lost the lock, or when the client's session ends.
func (c *Condition) Lost() <-chan struct{} { return c.h.Lost() }
