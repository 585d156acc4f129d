package local

import (
	"bytes"
	"context"
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/latchkey/latchkey"
)

var _ latchkey.Namespace = (*Namespace)(nil)

// Namespace is an in-process [latchkey.Namespace]: a set of named
// attributes holding byte strings (Python's Manager().Namespace()). The
// zero value is an empty namespace ready to use. A Namespace must not be
// copied after first use.
//
// Loading or deleting a missing attribute returns [latchkey.ErrNotFound]
// (Python's AttributeError). Values are copied in and out: a caller may
// modify the slices it passes or receives without affecting the namespace.
//
// A Namespace is safe for concurrent use. Every method is one atomic step:
// the methods called on a Namespace are totally ordered, each one observes
// the effects of all those before it, and a Store or Delete synchronizes
// before every later call that observes it.
//
// No method blocks (beyond a short critical section), so every method
// ignores its ctx, even one that is already done.
//
// Differences from Python: every attribute is shared, including those
// whose name begins with an underscore, which a Python NamespaceProxy keeps
// local to the proxy; any string, even an empty one, is a valid name.
type Namespace struct {
	_ noCopy

	mu sync.Mutex // guards attrs
	// attrs maps names to values; nil until the first store. A value is
	// never modified in place, so one read under mu may be copied after mu
	// is released.
	attrs map[string][]byte
}

// Waiters returns the number of calls blocked on n, which is always 0:
// no method of a Namespace blocks.
func (n *Namespace) Waiters() int { return 0 }

// Load returns a copy of the attribute's value, or [latchkey.ErrNotFound].
func (n *Namespace) Load(_ context.Context, attr string) ([]byte, error) {
	n.mu.Lock()
	v, ok := n.attrs[attr]
	n.mu.Unlock()
	if !ok {
		return nil, latchkey.Errorf(latchkey.KindNotFound, "local: namespace has no attribute %q", attr)
	}
	return bytes.Clone(v), nil
}

// Store sets the attribute to a copy of value.
func (n *Namespace) Store(_ context.Context, attr string, value []byte) error {
	v := bytes.Clone(value)
	n.mu.Lock()
	if n.attrs == nil {
		n.attrs = make(map[string][]byte)
	}
	n.attrs[attr] = v
	n.mu.Unlock()
	return nil
}

// Delete deletes the attribute, or returns [latchkey.ErrNotFound].
func (n *Namespace) Delete(_ context.Context, attr string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.attrs[attr]; !ok {
		return latchkey.Errorf(latchkey.KindNotFound, "local: namespace has no attribute %q", attr)
	}
	delete(n.attrs, attr)
	return nil
}

// All returns an iterator over a snapshot of the attributes taken when All
// is called, sorted by name (as Python's str(ns) lists them). Each value
// the iterator yields is a fresh copy. The iterator may be used any number
// of times, and the namespace may be modified meanwhile.
func (n *Namespace) All(_ context.Context) (iter.Seq2[string, []byte], error) {
	n.mu.Lock()
	snap := make([]latchkey.Entry, 0, len(n.attrs))
	for k, v := range n.attrs {
		snap = append(snap, latchkey.Entry{Key: k, Value: v})
	}
	n.mu.Unlock()
	slices.SortFunc(snap, func(a, b latchkey.Entry) int { return strings.Compare(a.Key, b.Key) })
	return func(yield func(string, []byte) bool) {
		for _, e := range snap {
			if !yield(e.Key, bytes.Clone(e.Value)) {
				return
			}
		}
	}, nil
}
