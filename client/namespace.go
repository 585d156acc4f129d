package client

import (
	"context"
	"iter"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var _ latchkey.Namespace = (*Namespace)(nil)

// Namespace is a handle on a server [latchkey.Namespace] (Python's
// Manager().Namespace()). Every method is one atomic step on the server,
// and none blocks. Namespace is safe for concurrent use.
type Namespace struct{ h *handle }

// Load returns the attribute's value, or latchkey.ErrNotFound.
func (n *Namespace) Load(ctx context.Context, attr string) ([]byte, error) {
	resp, err := n.h.call(ctx, wire.OpNamespaceLoad, nil, [][]byte{[]byte(attr)})
	if err != nil {
		return nil, err
	}
	return bytesAt(resp, 0)
}

// Store sets the attribute.
func (n *Namespace) Store(ctx context.Context, attr string, value []byte) error {
	return n.h.none(ctx, wire.OpNamespaceStore, nil, [][]byte{[]byte(attr), value})
}

// Delete deletes the attribute, or returns latchkey.ErrNotFound.
func (n *Namespace) Delete(ctx context.Context, attr string) error {
	return n.h.none(ctx, wire.OpNamespaceDelete, nil, [][]byte{[]byte(attr)})
}

// All returns an iterator over a snapshot of the attributes, sorted by name.
func (n *Namespace) All(ctx context.Context) (iter.Seq2[string, []byte], error) {
	return pairs(n.h.call(ctx, wire.OpNamespaceAll, nil, nil))
}
