package client

import (
	"context"
	"runtime"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// handle is an open handle on a server object: the id the client chose
// for it in the session, and the object's type and name.
type handle struct {
	c    *Client
	obj  wire.ObjectType
	id   uint64
	name string
	hold *holdState // the lost signal, for handles that hold something
}

// call sends an op through h, blocking or not, and waits for its answer
// (modeNormal).
func (h *handle) call(ctx context.Context, op wire.Op, ints []int64, bytes [][]byte) (*wire.Response, error) {
	return h.callWith(ctx, modeNormal, op, ints, bytes)
}

// callWith is call with the given mode.
func (h *handle) callWith(ctx context.Context, mode callMode, op wire.Op, ints []int64, bytes [][]byte) (*wire.Response, error) {
	return h.c.do(ctx, &wire.Request{Op: op, Object: h.obj, Handle: h.id, Name: h.name, Ints: ints, Bytes: bytes}, mode)
}

// fence sends a granting op and returns its fence; an OwnerDied error
// comes with the grant's fence.
func (h *handle) fence(ctx context.Context, op wire.Op) (latchkey.Fence, error) {
	resp, err := h.call(ctx, op, nil, nil)
	if err != nil && (resp == nil || latchkey.KindOf(err) != latchkey.KindOwnerDied) {
		return 0, err
	}
	f, ferr := intAt(resp, 0)
	if ferr != nil {
		return 0, ferr
	}
	return latchkey.Fence(f), err
}

// none sends an op that returns nothing.
func (h *handle) none(ctx context.Context, op wire.Op, ints []int64, bytes [][]byte) error {
	_, err := h.call(ctx, op, ints, bytes)
	return err
}

// int sends an op and returns Ints[0].
func (h *handle) int(ctx context.Context, op wire.Op, ints []int64, bytes [][]byte) (int64, error) {
	resp, err := h.call(ctx, op, ints, bytes)
	if err != nil {
		return 0, err
	}
	return intAt(resp, 0)
}

// bool sends an op and returns Ints[0] as a boolean.
func (h *handle) bool(ctx context.Context, op wire.Op, ints []int64, bytes [][]byte) (bool, error) {
	n, err := h.int(ctx, op, ints, bytes)
	return n != 0, err
}

// Lost returns a channel that is closed when the server reports that
// this handle's holds were released without the client asking (an
// operator broke the lock), or when the client's session is lost or
// closed. The channel closes once and stays closed: open a new handle to
// watch later grants.
func (h *handle) Lost() <-chan struct{} {
	if h.hold == nil {
		return nil
	}
	return h.hold.lost
}

// Name returns the name of the handle's object.
func (h *handle) Name() string { return h.name }

// open opens a handle on the object of type obj called name with params.
// withHold gives it a lost signal.
func (c *Client) open(ctx context.Context, obj wire.ObjectType, name string, params []int64, withHold bool) (*handle, error) {
	if err := latchkey.CheckName(name); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.nextHandle++
	id := c.nextHandle
	c.mu.Unlock()
	_, err := c.do(ctx, &wire.Request{Op: wire.OpOpen, Object: obj, Handle: id, Name: name, Ints: params}, modeNormal)
	if err != nil {
		return nil, err
	}
	h := &handle{c: c, obj: obj, id: id, name: name}
	if withHold {
		h.hold = newHoldState()
		c.mu.Lock()
		if c.err != nil {
			h.hold.markLost()
		} else {
			c.holds[id] = h.hold
		}
		c.mu.Unlock()
	}
	return h, nil
}

// cached returns the cached ownerless handle for key, or opens one with
// mk and caches it.
func cached[T any](ctx context.Context, c *Client, key cacheKey, params []int64, withHold bool, mk func(*handle) T) (T, error) {
	c.mu.Lock()
	if c.err == nil {
		if v, ok := c.cache[key].(T); ok {
			c.mu.Unlock()
			return v, nil
		}
	}
	c.mu.Unlock()
	var zero T
	h, err := c.open(ctx, key.obj, key.name, params, withHold)
	if err != nil {
		return zero, err
	}
	v := mk(h)
	c.mu.Lock()
	if c.err == nil {
		if old, ok := c.cache[key].(T); ok {
			v = old // a concurrent open won; ours stays open until the session ends
		} else {
			c.cache[key] = v
		}
	}
	c.mu.Unlock()
	return v, nil
}

// closeArg is what the cleanup of an owner handle needs.
type closeArg struct {
	obj  wire.ObjectType
	id   uint64
	name string
}

// closeWhenUnreachable closes h's server handle (releasing what it
// holds, as if its owner had died) once owner is garbage collected.
func closeWhenUnreachable[T any](owner *T, h *handle) {
	runtime.AddCleanup(owner, h.c.closeHandle, closeArg{h.obj, h.id, h.name})
}

// closeHandle sends a Close for a handle no one can use any more, without
// waiting for the answer.
func (c *Client) closeHandle(a closeArg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.holds, a.id)
	if c.err != nil {
		return
	}
	c.nextID++
	b, err := wire.Append(nil, &wire.Request{ID: c.nextID, Op: wire.OpClose, Object: a.obj, Handle: a.id, Name: a.name})
	if err != nil {
		return
	}
	c.sendq = append(c.sendq, outFrame{b: b})
	if c.conn != nil {
		c.wakeLocked()
	}
}
