package latchkey

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// Codec converts values of type T to and from the byte strings that queues,
// dicts, lists and namespaces hold. Implementations must be safe for
// concurrent use.
type Codec[T any] interface {
	Encode(v T) ([]byte, error)
	Decode(b []byte) (T, error)
}

// JSON is the default [Codec]: encoding/json.
type JSON[T any] struct{}

// Encode marshals v as JSON.
func (JSON[T]) Encode(v T) ([]byte, error) { return json.Marshal(v) }

// Decode unmarshals b as JSON into a T.
func (JSON[T]) Decode(b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// Prioritized is an item with an integer priority, for a [Priority]
// queue: lower priorities come out first.
type Prioritized[T any] struct {
	Priority int64
	Value    T
}

// PriorityCodec encodes a [Prioritized] value as its priority in 8 bytes
// whose byte order is the priority's numeric order, followed by the value
// encoded with inner (JSON if nil). A [Priority] queue of such items hands
// out the lowest priority first. Items of equal priority come out in the
// byte order of their encoded values (identical ones in FIFO order), as
// Python's PriorityQueue orders (priority, value) tuples by value.
func PriorityCodec[T any](inner Codec[T]) Codec[Prioritized[T]] {
	if inner == nil {
		inner = JSON[T]{}
	}
	return priorityCodec[T]{inner}
}

type priorityCodec[T any] struct{ inner Codec[T] }

func (c priorityCodec[T]) Encode(p Prioritized[T]) ([]byte, error) {
	b, err := c.inner.Encode(p.Value)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 8, 8+len(b))
	binary.BigEndian.PutUint64(out, uint64(p.Priority)^(1<<63))
	return append(out, b...), nil
}

func (c priorityCodec[T]) Decode(b []byte) (Prioritized[T], error) {
	if len(b) < 8 {
		return Prioritized[T]{}, fmt.Errorf("latchkey: prioritized item of %d bytes is shorter than 8", len(b))
	}
	v, err := c.inner.Decode(b[8:])
	return Prioritized[T]{Priority: int64(binary.BigEndian.Uint64(b) ^ (1 << 63)), Value: v}, err
}
