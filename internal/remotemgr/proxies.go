package remotemgr

import (
	"context"

	"github.com/latchkey/latchkey"
)

// The proxy handles: every method is a call to the child holding the real
// handle. Cap, Parties and Len are read once, when the handle is opened.

// lockerP is a Locker proxy: what Lock, RLock, RWLock (its write side)
// and Condition proxies have in common.
type lockerP struct{ *handle }

func (p lockerP) Lock(ctx context.Context) (latchkey.Fence, error) {
	return call1[latchkey.Fence](ctx, p.handle, "Lock")
}
func (p lockerP) TryLock(ctx context.Context) (latchkey.Fence, error) {
	return call1[latchkey.Fence](ctx, p.handle, "TryLock")
}
func (p lockerP) Unlock(ctx context.Context) error { return call0(ctx, p.handle, "Unlock") }

type lockP struct{ lockerP }

func (p lockP) Locked(ctx context.Context) (bool, error) {
	return call1[bool](ctx, p.handle, "Locked")
}

type rlockP struct{ lockerP }

func (p rlockP) Count(ctx context.Context) (int, error) {
	return call1[int](ctx, p.handle, "Count")
}

type rwlockP struct{ lockerP }

func (p rwlockP) RLock(ctx context.Context) (latchkey.Fence, error) {
	return call1[latchkey.Fence](ctx, p.handle, "RLock")
}
func (p rwlockP) TryRLock(ctx context.Context) (latchkey.Fence, error) {
	return call1[latchkey.Fence](ctx, p.handle, "TryRLock")
}
func (p rwlockP) RUnlock(ctx context.Context) error { return call0(ctx, p.handle, "RUnlock") }

type semP struct{ *handle }

func (p semP) Acquire(ctx context.Context) (latchkey.Fence, error) {
	return call1[latchkey.Fence](ctx, p.handle, "Acquire")
}
func (p semP) TryAcquire(ctx context.Context) (latchkey.Fence, error) {
	return call1[latchkey.Fence](ctx, p.handle, "TryAcquire")
}
func (p semP) Release(ctx context.Context, n int) error { return call0(ctx, p.handle, "Release", n) }
func (p semP) Value(ctx context.Context) (int, error)   { return call1[int](ctx, p.handle, "Value") }

type condP struct{ lockerP }

func (p condP) Wait(ctx context.Context) error { return call0(ctx, p.handle, "Wait") }
func (p condP) WaitFor(ctx context.Context, pred func() bool) error {
	return call0(ctx, p.handle, "WaitFor", pred)
}
func (p condP) Notify(ctx context.Context, n int) error { return call0(ctx, p.handle, "Notify", n) }
func (p condP) NotifyAll(ctx context.Context) error     { return call0(ctx, p.handle, "NotifyAll") }

type eventP struct{ *handle }

func (p eventP) Set(ctx context.Context) error   { return call0(ctx, p.handle, "Set") }
func (p eventP) Clear(ctx context.Context) error { return call0(ctx, p.handle, "Clear") }
func (p eventP) IsSet(ctx context.Context) (bool, error) {
	return call1[bool](ctx, p.handle, "IsSet")
}
func (p eventP) Wait(ctx context.Context) error { return call0(ctx, p.handle, "Wait") }

type barrierP struct {
	*handle
	parties int
}

func (p barrierP) Wait(ctx context.Context) (int, error) { return call1[int](ctx, p.handle, "Wait") }
func (p barrierP) Abort(ctx context.Context) error       { return call0(ctx, p.handle, "Abort") }
func (p barrierP) Reset(ctx context.Context) error       { return call0(ctx, p.handle, "Reset") }
func (p barrierP) Parties() int                          { return p.parties }
func (p barrierP) Waiting(ctx context.Context) (int, error) {
	return call1[int](ctx, p.handle, "Waiting")
}
func (p barrierP) Broken(ctx context.Context) (bool, error) {
	return call1[bool](ctx, p.handle, "Broken")
}

// queueP is both a Queue and a SimpleQueue proxy (a SimpleQueue has no Cap).
type queueP struct {
	*handle
	cap int
}

func (p queueP) Put(ctx context.Context, v []byte) error    { return call0(ctx, p.handle, "Put", v) }
func (p queueP) TryPut(ctx context.Context, v []byte) error { return call0(ctx, p.handle, "TryPut", v) }
func (p queueP) Get(ctx context.Context) ([]byte, error) {
	return call1[[]byte](ctx, p.handle, "Get")
}
func (p queueP) TryGet(ctx context.Context) ([]byte, error) {
	return call1[[]byte](ctx, p.handle, "TryGet")
}
func (p queueP) Len(ctx context.Context) (int, error) { return call1[int](ctx, p.handle, "Len") }
func (p queueP) Cap() int                             { return p.cap }
func (p queueP) TaskDone(ctx context.Context) error   { return call0(ctx, p.handle, "TaskDone") }
func (p queueP) Join(ctx context.Context) error       { return call0(ctx, p.handle, "Join") }
func (p queueP) Unfinished(ctx context.Context) (int, error) {
	return call1[int](ctx, p.handle, "Unfinished")
}
func (p queueP) Shutdown(ctx context.Context, immediate bool) error {
	return call0(ctx, p.handle, "Shutdown", immediate)
}

type valueP[T latchkey.Number] struct{ *handle }

func (p valueP[T]) Load(ctx context.Context) (T, error) { return call1[T](ctx, p.handle, "Load") }
func (p valueP[T]) Store(ctx context.Context, v T) error {
	return call0(ctx, p.handle, "Store", v)
}
func (p valueP[T]) Add(ctx context.Context, delta T) (T, error) {
	return call1[T](ctx, p.handle, "Add", delta)
}
func (p valueP[T]) Swap(ctx context.Context, v T) (T, error) {
	return call1[T](ctx, p.handle, "Swap", v)
}
func (p valueP[T]) CompareAndSwap(ctx context.Context, old, new T) (bool, error) {
	return call1[bool](ctx, p.handle, "CompareAndSwap", old, new)
}

type arrayP[T latchkey.Number] struct {
	*handle
	n int
}

func (p arrayP[T]) Len() int { return p.n }
func (p arrayP[T]) Load(ctx context.Context, i int) (T, error) {
	return call1[T](ctx, p.handle, "Load", i)
}
func (p arrayP[T]) Store(ctx context.Context, i int, v T) error {
	return call0(ctx, p.handle, "Store", i, v)
}
func (p arrayP[T]) Add(ctx context.Context, i int, delta T) (T, error) {
	return call1[T](ctx, p.handle, "Add", i, delta)
}
func (p arrayP[T]) CompareAndSwap(ctx context.Context, i int, old, new T) (bool, error) {
	return call1[bool](ctx, p.handle, "CompareAndSwap", i, old, new)
}
func (p arrayP[T]) LoadRange(ctx context.Context, lo, hi int) ([]T, error) {
	return call1[[]T](ctx, p.handle, "LoadRange", lo, hi)
}
func (p arrayP[T]) StoreRange(ctx context.Context, lo int, vs []T) error {
	return call0(ctx, p.handle, "StoreRange", lo, vs)
}
