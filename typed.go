package latchkey

import (
	"context"
	"fmt"
	"iter"
)

func codecOr[T any](c Codec[T]) Codec[T] {
	if c == nil {
		return JSON[T]{}
	}
	return c
}

// decodeErr wraps a decoding failure with the name of the operation.
func decodeErr(op string, err error) error {
	return fmt.Errorf("latchkey: %s: decoding value: %w", op, err)
}

// QueueOf is a [Queue] of T values, encoded with a [Codec].
type QueueOf[T any] struct {
	Q     Queue // the underlying byte queue
	codec Codec[T]
}

// NewQueueOf wraps q; a nil codec means [JSON].
func NewQueueOf[T any](q Queue, c Codec[T]) *QueueOf[T] {
	return &QueueOf[T]{Q: q, codec: codecOr(c)}
}

// Put encodes v and puts it, blocking while the queue is full.
func (q *QueueOf[T]) Put(ctx context.Context, v T) error {
	b, err := q.codec.Encode(v)
	if err != nil {
		return err
	}
	return q.Q.Put(ctx, b)
}

// TryPut encodes v and puts it if there is room, ErrFull otherwise.
func (q *QueueOf[T]) TryPut(ctx context.Context, v T) error {
	b, err := q.codec.Encode(v)
	if err != nil {
		return err
	}
	return q.Q.TryPut(ctx, b)
}

// Get takes the next item, blocking while the queue is empty. An item that
// fails to decode is still taken; the error says why it could not be decoded.
func (q *QueueOf[T]) Get(ctx context.Context) (T, error) {
	return q.decode("get")(q.Q.Get(ctx))
}

// TryGet takes the next item if there is one, ErrEmpty otherwise.
func (q *QueueOf[T]) TryGet(ctx context.Context) (T, error) {
	return q.decode("get")(q.Q.TryGet(ctx))
}

func (q *QueueOf[T]) decode(op string) func([]byte, error) (T, error) {
	return func(b []byte, err error) (T, error) {
		var zero T
		if err != nil {
			return zero, err
		}
		v, err := q.codec.Decode(b)
		if err != nil {
			return zero, decodeErr(op, err)
		}
		return v, nil
	}
}

// DictOf is a [Dict] of T values, encoded with a [Codec].
type DictOf[T any] struct {
	D     Dict // the underlying byte dict
	codec Codec[T]
}

// NewDictOf wraps d; a nil codec means [JSON].
func NewDictOf[T any](d Dict, c Codec[T]) *DictOf[T] {
	return &DictOf[T]{D: d, codec: codecOr(c)}
}

// Load returns the value of key and whether it was present.
func (d *DictOf[T]) Load(ctx context.Context, key string) (T, bool, error) {
	var zero T
	b, ok, err := d.D.Load(ctx, key)
	if err != nil || !ok {
		return zero, ok, err
	}
	v, err := d.codec.Decode(b)
	if err != nil {
		return zero, true, decodeErr("load", err)
	}
	return v, true, nil
}

// Store sets the value of key.
func (d *DictOf[T]) Store(ctx context.Context, key string, v T) error {
	b, err := d.codec.Encode(v)
	if err != nil {
		return err
	}
	return d.D.Store(ctx, key, b)
}

// Delete deletes key.
func (d *DictOf[T]) Delete(ctx context.Context, key string) error {
	return d.D.Delete(ctx, key)
}

// All returns an iterator over a snapshot of the entries in insertion
// order. It fails as a whole if any value does not decode.
func (d *DictOf[T]) All(ctx context.Context) (iter.Seq2[string, T], error) {
	seq, err := d.D.All(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	var vals []T
	for k, b := range seq {
		v, err := d.codec.Decode(b)
		if err != nil {
			return nil, decodeErr("all "+k, err)
		}
		keys, vals = append(keys, k), append(vals, v)
	}
	return func(yield func(string, T) bool) {
		for i, k := range keys {
			if !yield(k, vals[i]) {
				return
			}
		}
	}, nil
}

// ListOf is a [List] of T values, encoded with a [Codec].
type ListOf[T any] struct {
	L     List // the underlying byte list
	codec Codec[T]
}

// NewListOf wraps l; a nil codec means [JSON].
func NewListOf[T any](l List, c Codec[T]) *ListOf[T] {
	return &ListOf[T]{L: l, codec: codecOr(c)}
}

// Append encodes and appends the values, in one atomic step.
func (l *ListOf[T]) Append(ctx context.Context, values ...T) error {
	bs := make([][]byte, len(values))
	for i, v := range values {
		b, err := l.codec.Encode(v)
		if err != nil {
			return err
		}
		bs[i] = b
	}
	return l.L.Append(ctx, bs...)
}

// Get returns element i (negative counts from the end).
func (l *ListOf[T]) Get(ctx context.Context, i int) (T, error) {
	var zero T
	b, err := l.L.Get(ctx, i)
	if err != nil {
		return zero, err
	}
	v, err := l.codec.Decode(b)
	if err != nil {
		return zero, decodeErr("get", err)
	}
	return v, nil
}

// Set replaces element i.
func (l *ListOf[T]) Set(ctx context.Context, i int, v T) error {
	b, err := l.codec.Encode(v)
	if err != nil {
		return err
	}
	return l.L.Set(ctx, i, b)
}

// Slice returns a decoded copy of elements [lo:hi] (Python slice rules).
func (l *ListOf[T]) Slice(ctx context.Context, lo, hi int) ([]T, error) {
	bs, err := l.L.Slice(ctx, lo, hi)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(bs))
	for i, b := range bs {
		if out[i], err = l.codec.Decode(b); err != nil {
			return nil, decodeErr("slice", err)
		}
	}
	return out, nil
}

// NamespaceOf is a [Namespace] whose attributes hold T values.
type NamespaceOf[T any] struct {
	N     Namespace // the underlying byte namespace
	codec Codec[T]
}

// NewNamespaceOf wraps n; a nil codec means [JSON].
func NewNamespaceOf[T any](n Namespace, c Codec[T]) *NamespaceOf[T] {
	return &NamespaceOf[T]{N: n, codec: codecOr(c)}
}

// Load returns the attribute's value, or ErrNotFound.
func (n *NamespaceOf[T]) Load(ctx context.Context, attr string) (T, error) {
	var zero T
	b, err := n.N.Load(ctx, attr)
	if err != nil {
		return zero, err
	}
	v, err := n.codec.Decode(b)
	if err != nil {
		return zero, decodeErr("load "+attr, err)
	}
	return v, nil
}

// Store sets the attribute.
func (n *NamespaceOf[T]) Store(ctx context.Context, attr string, v T) error {
	b, err := n.codec.Encode(v)
	if err != nil {
		return err
	}
	return n.N.Store(ctx, attr, b)
}
