package client

import (
	"context"
	"iter"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.Dict = (*Dict)(nil)

// Dict is a handle on a server [latchkey.Dict] (Python's
// Manager().dict()). Every method is one atomic step on the server, and
// none blocks; values are copied in and out. Dict is safe for concurrent
// use.
type Dict struct{ h *handle }

// loadPair runs a [flag]+[value]-if-flag op.
func (d *Dict) flagged(ctx context.Context, op wire.Op, args ...[]byte) ([]byte, bool, error) {
	resp, err := d.h.call(ctx, op, nil, args)
	if err != nil {
		return nil, false, err
	}
	f, err := intAt(resp, 0)
	if err != nil || f == 0 {
		return nil, false, err
	}
	v, err := bytesAt(resp, 0)
	return v, err == nil, err
}

// Load returns the value stored under key and whether there was one.
func (d *Dict) Load(ctx context.Context, key string) ([]byte, bool, error) {
	return d.flagged(ctx, wire.OpDictLoad, []byte(key))
}

// Store sets the value for key.
func (d *Dict) Store(ctx context.Context, key string, value []byte) error {
	return d.h.none(ctx, wire.OpDictStore, nil, [][]byte{[]byte(key), value})
}

// LoadOrStore returns the existing value for key if present (loaded is
// true); otherwise it stores value and returns it.
func (d *Dict) LoadOrStore(ctx context.Context, key string, value []byte) ([]byte, bool, error) {
	resp, err := d.h.call(ctx, wire.OpDictLoadOrStore, nil, [][]byte{[]byte(key), value})
	if err != nil {
		return nil, false, err
	}
	f, err := intAt(resp, 0)
	if err != nil {
		return nil, false, err
	}
	v, err := bytesAt(resp, 0)
	return v, f != 0, err
}

// LoadAndDelete deletes key, returning its previous value if any.
func (d *Dict) LoadAndDelete(ctx context.Context, key string) ([]byte, bool, error) {
	return d.flagged(ctx, wire.OpDictLoadAndDelete, []byte(key))
}

// Delete deletes key.
func (d *Dict) Delete(ctx context.Context, key string) error {
	return d.h.none(ctx, wire.OpDictDelete, nil, [][]byte{[]byte(key)})
}

// Swap stores value and returns the previous value if any.
func (d *Dict) Swap(ctx context.Context, key string, value []byte) ([]byte, bool, error) {
	return d.flagged(ctx, wire.OpDictSwap, []byte(key), value)
}

// CompareAndSwap stores new if the current value equals old.
func (d *Dict) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	return d.h.bool(ctx, wire.OpDictCompareAndSwap, nil, [][]byte{[]byte(key), old, new})
}

// CompareAndDelete deletes key if its value equals old.
func (d *Dict) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	return d.h.bool(ctx, wire.OpDictCompareAndDelete, nil, [][]byte{[]byte(key), old})
}

// PopItem removes and returns the most recently inserted entry, or
// returns latchkey.ErrEmpty.
func (d *Dict) PopItem(ctx context.Context) (latchkey.Entry, error) {
	resp, err := d.h.call(ctx, wire.OpDictPopItem, nil, nil)
	if err != nil {
		return latchkey.Entry{}, err
	}
	if len(resp.Bytes) != 2 {
		return latchkey.Entry{}, malformed(resp, "PopItem returned %d byte strings", len(resp.Bytes))
	}
	return latchkey.Entry{Key: string(resp.Bytes[0]), Value: resp.Bytes[1]}, nil
}

// Update stores every entry, in order, as one atomic step.
func (d *Dict) Update(ctx context.Context, entries ...latchkey.Entry) error {
	args := make([][]byte, 0, 2*len(entries))
	for _, e := range entries {
		args = append(args, []byte(e.Key), e.Value)
	}
	return d.h.none(ctx, wire.OpDictUpdate, nil, args)
}

// Len returns the number of keys.
func (d *Dict) Len(ctx context.Context) (int, error) {
	n, err := d.h.int(ctx, wire.OpDictLen, nil, nil)
	return int(n), err
}

// Keys returns the keys in insertion order (a snapshot).
func (d *Dict) Keys(ctx context.Context) ([]string, error) {
	resp, err := d.h.call(ctx, wire.OpDictKeys, nil, nil)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(resp.Bytes))
	for i, k := range resp.Bytes {
		keys[i] = string(k)
	}
	return keys, nil
}

// All returns an iterator over a snapshot of the entries, in insertion
// order.
func (d *Dict) All(ctx context.Context) (iter.Seq2[string, []byte], error) {
	return pairs(d.h.call(ctx, wire.OpDictAll, nil, nil))
}

// Clear deletes every key.
func (d *Dict) Clear(ctx context.Context) error { return d.h.none(ctx, wire.OpDictClear, nil, nil) }

// pairs turns a response of alternating keys and values into an iterator.
func pairs(resp *wire.Response, err error) (iter.Seq2[string, []byte], error) {
	if err != nil {
		return nil, err
	}
	if len(resp.Bytes)%2 != 0 {
		return nil, malformed(resp, "odd number %d of pair elements", len(resp.Bytes))
	}
	b := resp.Bytes
	return func(yield func(string, []byte) bool) {
		for i := 0; i+1 < len(b); i += 2 {
			if !yield(string(b[i]), b[i+1]) {
				return
			}
		}
	}, nil
}
