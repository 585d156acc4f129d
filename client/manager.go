package client

import (
	"context"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// Lock opens the [latchkey.Lock] called name. A Lock has no owner, so the
// client returns the same handle for every call with the same name.
func (c *Client) Lock(ctx context.Context, name string) (latchkey.Lock, error) {
	return cached(ctx, c, cacheKey{obj: wire.ObjectLock, name: name}, nil, true, func(h *handle) *Lock { return &Lock{h} })
}

// RLock opens the [latchkey.RLock] called name and returns a new owner
// handle. The server closes the handle (releasing the lock if it holds
// it) once the handle is garbage collected.
func (c *Client) RLock(ctx context.Context, name string) (latchkey.RLock, error) {
	h, err := c.open(ctx, wire.ObjectRLock, name, nil, true)
	if err != nil {
		return nil, err
	}
	l := &RLock{h}
	closeWhenUnreachable(l, h)
	return l, nil
}

// RWLock opens the [latchkey.RWLock] called name and returns a new owner
// handle, closed on the server once garbage collected.
func (c *Client) RWLock(ctx context.Context, name string) (latchkey.RWLock, error) {
	h, err := c.open(ctx, wire.ObjectRWLock, name, nil, true)
	if err != nil {
		return nil, err
	}
	l := &RWLock{h}
	closeWhenUnreachable(l, h)
	return l, nil
}

// Semaphore opens the unbounded [latchkey.Semaphore] called name, with
// value free permits when it is created.
func (c *Client) Semaphore(ctx context.Context, name string, value int) (latchkey.Semaphore, error) {
	return c.semaphore(ctx, name, value, false)
}

// BoundedSemaphore opens the bounded [latchkey.Semaphore] called name.
func (c *Client) BoundedSemaphore(ctx context.Context, name string, value int) (latchkey.Semaphore, error) {
	return c.semaphore(ctx, name, value, true)
}

func (c *Client) semaphore(ctx context.Context, name string, value int, bounded bool) (latchkey.Semaphore, error) {
	if value < 0 {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "client: semaphore %q of negative value %d", name, value)
	}
	b := int64(0)
	if bounded {
		b = 1
	}
	return cached(ctx, c, cacheKey{wire.ObjectSemaphore, name, int64(value), b}, []int64{int64(value), b}, true,
		func(h *handle) *Semaphore { return &Semaphore{h} })
}

// Condition opens the [latchkey.Condition] called name bound to lock, a
// *Lock or *RLock of this client, or to a Lock of its own if lock is nil.
// Each call returns a new handle, closed on the server once garbage
// collected.
func (c *Client) Condition(ctx context.Context, name string, lock latchkey.Locker) (latchkey.Condition, error) {
	var bound *handle
	switch l := lock.(type) {
	case nil:
	case *Lock:
		bound = l.h
	case *RLock:
		bound = l.h
	default:
		return nil, latchkey.Errorf(latchkey.KindInvalid, "client: condition %q bound to a %T, not a lock of this client", name, lock)
	}
	if bound != nil && bound.c != c {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "client: condition %q bound to a lock of another client", name)
	}
	var id int64
	if bound != nil {
		id = int64(bound.id)
	}
	h, err := c.open(ctx, wire.ObjectCondition, name, []int64{id}, true)
	if err != nil {
		return nil, err
	}
	cd := &Condition{h: h, lock: lock}
	closeWhenUnreachable(cd, h)
	return cd, nil
}

// Event opens the [latchkey.Event] called name.
func (c *Client) Event(ctx context.Context, name string) (latchkey.Event, error) {
	return cached(ctx, c, cacheKey{obj: wire.ObjectEvent, name: name}, nil, false, func(h *handle) *Event { return &Event{h} })
}

// Barrier opens the [latchkey.Barrier] called name for parties parties.
// Each call returns a new handle with its own options, closed on the
// server once garbage collected.
func (c *Client) Barrier(ctx context.Context, name string, parties int, opts *latchkey.BarrierOptions) (latchkey.Barrier, error) {
	if parties < 1 {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "client: barrier %q of %d parties", name, parties)
	}
	h, err := c.open(ctx, wire.ObjectBarrier, name, []int64{int64(parties)}, false)
	if err != nil {
		return nil, err
	}
	b := &Barrier{h: h, parties: parties}
	if opts != nil {
		b.opts = *opts
	}
	closeWhenUnreachable(b, h)
	return b, nil
}

// Queue opens the [latchkey.Queue] called name.
func (c *Client) Queue(ctx context.Context, name string, opts latchkey.QueueOptions) (latchkey.Queue, error) {
	if opts.Order > latchkey.Priority {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "client: queue %q of unknown order %d", name, opts.Order)
	}
	maxSize := max(int64(opts.MaxSize), 0)
	return cached(ctx, c, cacheKey{wire.ObjectQueue, name, int64(opts.Order), maxSize}, []int64{int64(opts.Order), maxSize}, false,
		func(h *handle) *Queue { return &Queue{h: h, cap: int(maxSize)} })
}

// SimpleQueue opens the [latchkey.SimpleQueue] called name.
func (c *Client) SimpleQueue(ctx context.Context, name string) (latchkey.SimpleQueue, error) {
	return cached(ctx, c, cacheKey{obj: wire.ObjectSimpleQueue, name: name}, nil, false, func(h *handle) *SimpleQueue { return &SimpleQueue{h} })
}

// Dict opens the [latchkey.Dict] called name.
func (c *Client) Dict(ctx context.Context, name string) (latchkey.Dict, error) {
	return cached(ctx, c, cacheKey{obj: wire.ObjectDict, name: name}, nil, false, func(h *handle) *Dict { return &Dict{h} })
}

// List opens the [latchkey.List] called name.
func (c *Client) List(ctx context.Context, name string) (latchkey.List, error) {
	return cached(ctx, c, cacheKey{obj: wire.ObjectList, name: name}, nil, false, func(h *handle) *List { return &List{h} })
}

// Namespace opens the [latchkey.Namespace] called name.
func (c *Client) Namespace(ctx context.Context, name string) (latchkey.Namespace, error) {
	return cached(ctx, c, cacheKey{obj: wire.ObjectNamespace, name: name}, nil, false, func(h *handle) *Namespace { return &Namespace{h} })
}

// Value opens the integer [latchkey.Value] called name.
func (c *Client) Value(ctx context.Context, name string) (latchkey.Value[int64], error) {
	return cached(ctx, c, cacheKey{obj: wire.ObjectValue, name: name}, nil, false,
		func(h *handle) *Value[int64] { return &Value[int64]{h: h, base: wire.OpValueLoad} })
}

// FloatValue opens the floating-point [latchkey.Value] called name.
func (c *Client) FloatValue(ctx context.Context, name string) (latchkey.Value[float64], error) {
	return cached(ctx, c, cacheKey{obj: wire.ObjectFloatValue, name: name}, nil, false,
		func(h *handle) *Value[float64] { return &Value[float64]{h: h, base: wire.OpFloatValueLoad} })
}

// Array opens the integer [latchkey.Array] called name, of length n.
func (c *Client) Array(ctx context.Context, name string, n int) (latchkey.Array[int64], error) {
	return openArray[int64](ctx, c, wire.ObjectArray, wire.OpArrayLoad, name, n)
}

// FloatArray opens the floating-point [latchkey.Array] called name, of
// length n.
func (c *Client) FloatArray(ctx context.Context, name string, n int) (latchkey.Array[float64], error) {
	return openArray[float64](ctx, c, wire.ObjectFloatArray, wire.OpFloatArrayLoad, name, n)
}

func openArray[T int64 | float64](ctx context.Context, c *Client, obj wire.ObjectType, base wire.Op, name string, n int) (latchkey.Array[T], error) {
	if n < 0 {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "client: array %q of negative length %d", name, n)
	}
	return cached(ctx, c, cacheKey{obj: obj, name: name, p0: int64(n)}, []int64{int64(n)}, false,
		func(h *handle) *Array[T] { return &Array[T]{h: h, n: n, base: base} })
}
