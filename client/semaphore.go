package client

import (
	"context"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.Semaphore = (*Semaphore)(nil)

// Semaphore is a handle on a server [latchkey.Semaphore], bounded or not.
// Permits have no owner; the server records which session took them and
// returns them if the session ends. Waiters are served in arrival order;
// Acquire blocks with the cancellation rules of [Lock]. A Release
// synchronizes before the Acquire it lets proceed.
//
// Semaphore is safe for concurrent use.
type Semaphore struct{ h *handle }

// Acquire blocks until a permit is taken or ctx is done.
func (s *Semaphore) Acquire(ctx context.Context) (latchkey.Fence, error) {
	return s.h.fence(ctx, wire.OpSemaphoreAcquire)
}

// TryAcquire takes a permit if one is free and no one waits, and returns
// latchkey.ErrNoPermit otherwise.
func (s *Semaphore) TryAcquire(ctx context.Context) (latchkey.Fence, error) {
	return s.h.fence(ctx, wire.OpSemaphoreTryAcquire)
}

// Release returns n permits (n ≥ 1), all or nothing.
func (s *Semaphore) Release(ctx context.Context, n int) error {
	if n < 1 {
		return latchkey.Errorf(latchkey.KindInvalid, "client: release of %d permits", n)
	}
	return s.h.none(ctx, wire.OpSemaphoreRelease, []int64{int64(n)}, nil)
}

// Value returns the number of free permits (a snapshot).
func (s *Semaphore) Value(ctx context.Context) (int, error) {
	n, err := s.h.int(ctx, wire.OpSemaphoreValue, nil, nil)
	return int(n), err
}

// Lost returns a channel closed when the server reports that this
// handle's session lost permits it took, or when the client's session
// ends.
func (s *Semaphore) Lost() <-chan struct{} { return s.h.Lost() }
