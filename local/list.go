package local

import (
	"bytes"
	"context"
	"iter"
	"slices"
	"sync"

	"github.com/latchkey/latchkey"
)

var _ latchkey.List = (*List)(nil)

// List is an in-process [latchkey.List]: a list of byte strings with
// Python's indexing rules (Python's Manager().list()). The zero value is an
// empty list ready to use. A List must not be copied after first use.
//
// Indices may be negative and count from the end: -1 is the last element.
// Get, Set and Pop return [latchkey.ErrOutOfRange] for an index outside the
// list, and Pop returns [latchkey.ErrEmpty] on an empty list. Insert and
// Slice clamp out-of-range indices as Python's list.insert and slicing do.
// Elements are compared with [bytes.Equal] (Remove, Index, Count) and
// ordered with [bytes.Compare] (Sort), so a nil element equals an empty one.
//
// Values are copied in and out: a caller may modify the slices it passes or
// receives without affecting the list.
//
// A List is safe for concurrent use. Every method is one atomic step: the
// methods called on a List are totally ordered, each one observes the
// effects of all those before it, and a call that modifies the list
// synchronizes before every later call that observes the modification.
//
// No method blocks (beyond a short critical section), so every method
// ignores its ctx, even one that is already done.
//
// Differences from Python: All iterates over a snapshot taken when it is
// called, where iterating a Python ListProxy indexes the live list one
// element at a time; a list cannot contain itself or another proxy.
type List struct {
	_ noCopy

	mu sync.Mutex // guards items
	// items are the elements. An element is never modified in place: Set
	// replaces it, so an element read under mu may be copied after mu is
	// released.
	items [][]byte
}

// Waiters returns the number of calls blocked on l, which is always 0:
// no method of a List blocks.
func (l *List) Waiters() int { return 0 }

// Append appends copies of the values, in order, as one atomic step
// (Python's append and extend).
func (l *List) Append(_ context.Context, values ...[]byte) error {
	vs := make([][]byte, len(values))
	for i, v := range values {
		vs[i] = bytes.Clone(v)
	}
	l.mu.Lock()
	l.items = append(l.items, vs...)
	l.mu.Unlock()
	return nil
}

// Insert inserts a copy of v before index i. As in Python's list.insert, a
// negative i counts from the end, and i is clamped to [0, Len], so that
// Insert(ctx, -100, v) prepends and Insert(ctx, 100, v) appends.
func (l *List) Insert(_ context.Context, i int, v []byte) error {
	v = bytes.Clone(v)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = slices.Insert(l.items, listClamp(i, len(l.items)), v)
	return nil
}

// Get returns a copy of the element at index i, or
// [latchkey.ErrOutOfRange].
func (l *List) Get(_ context.Context, i int) ([]byte, error) {
	l.mu.Lock()
	j, err := l.index(i)
	var v []byte
	if err == nil {
		v = l.items[j]
	}
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return bytes.Clone(v), nil
}

// Set replaces the element at index i with a copy of v, or returns
// [latchkey.ErrOutOfRange].
func (l *List) Set(_ context.Context, i int, v []byte) error {
	v = bytes.Clone(v)
	l.mu.Lock()
	defer l.mu.Unlock()
	j, err := l.index(i)
	if err != nil {
		return err
	}
	l.items[j] = v
	return nil
}

// Pop removes and returns the element at index i (-1 for the last, 0 for
// the first). It returns [latchkey.ErrEmpty] on an empty list and
// [latchkey.ErrOutOfRange] for an index outside the list.
func (l *List) Pop(_ context.Context, i int) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.items) == 0 {
		return nil, latchkey.Errorf(latchkey.KindEmpty, "local: pop from an empty list")
	}
	j, err := l.index(i)
	if err != nil {
		return nil, err
	}
	v := l.items[j]
	l.items = slices.Delete(l.items, j, j+1)
	// An All snapshot may still share v, and the caller may modify what it
	// gets.
	return bytes.Clone(v), nil
}

// Remove removes the first element equal to v, or returns
// [latchkey.ErrNotFound].
func (l *List) Remove(_ context.Context, v []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	j := l.find(v)
	if j < 0 {
		return latchkey.Errorf(latchkey.KindNotFound, "local: list.remove: value not in list")
	}
	l.items = slices.Delete(l.items, j, j+1)
	return nil
}

// Index returns the index of the first element equal to v, or
// [latchkey.ErrNotFound].
func (l *List) Index(_ context.Context, v []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	j := l.find(v)
	if j < 0 {
		return 0, latchkey.Errorf(latchkey.KindNotFound, "local: list.index: value not in list")
	}
	return j, nil
}

// Count returns the number of elements equal to v.
func (l *List) Count(_ context.Context, v []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.items {
		if bytes.Equal(e, v) {
			n++
		}
	}
	return n, nil
}

// Len returns the number of elements.
func (l *List) Len(_ context.Context) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.items), nil
}

// Slice returns copies of the elements [lo:hi] with Python's slice rules:
// a negative bound counts from the end, bounds are then clamped to
// [0, Len], and the result is empty (not an error) when lo ≥ hi.
func (l *List) Slice(_ context.Context, lo, hi int) ([][]byte, error) {
	l.mu.Lock()
	n := len(l.items)
	lo, hi = listClamp(lo, n), listClamp(hi, n)
	hi = max(lo, hi)
	out := slices.Clone(l.items[lo:hi])
	l.mu.Unlock()
	for i, v := range out {
		out[i] = bytes.Clone(v)
	}
	if out == nil {
		out = [][]byte{}
	}
	return out, nil
}

// All returns an iterator over a snapshot of the elements taken when All is
// called, with their indices. Each value the iterator yields is a fresh
// copy. The iterator may be used any number of times, and the list may be
// modified meanwhile.
func (l *List) All(_ context.Context) (iter.Seq2[int, []byte], error) {
	l.mu.Lock()
	// Elements are never modified in place, so sharing them with the
	// snapshot is safe; they are copied when yielded.
	snap := slices.Clone(l.items)
	l.mu.Unlock()
	return func(yield func(int, []byte) bool) {
		for i, v := range snap {
			if !yield(i, bytes.Clone(v)) {
				return
			}
		}
	}, nil
}

// Reverse reverses the list in place.
func (l *List) Reverse(_ context.Context) error {
	l.mu.Lock()
	slices.Reverse(l.items)
	l.mu.Unlock()
	return nil
}

// Sort sorts the list in place in [bytes.Compare] order, stably: equal
// elements keep their order.
func (l *List) Sort(_ context.Context) error {
	l.mu.Lock()
	slices.SortStableFunc(l.items, bytes.Compare)
	l.mu.Unlock()
	return nil
}

// Clear removes every element.
func (l *List) Clear(_ context.Context) error {
	l.mu.Lock()
	l.items = nil
	l.mu.Unlock()
	return nil
}

// index returns the position of Python index i in the list, or
// ErrOutOfRange. l.mu must be held.
func (l *List) index(i int) (int, error) {
	n := len(l.items)
	j := i
	if j < 0 {
		j += n
	}
	if j < 0 || j >= n {
		return 0, latchkey.Errorf(latchkey.KindOutOfRange, "local: list index %d out of range for length %d", i, n)
	}
	return j, nil
}

// find returns the position of the first element equal to v, or -1. l.mu
// must be held.
func (l *List) find(v []byte) int {
	return slices.IndexFunc(l.items, func(e []byte) bool { return bytes.Equal(e, v) })
}

// listClamp maps Python index i of a sequence of length n to a position in
// [0, n]: a negative i counts from the end, and the result is clamped, as
// in list.insert and slice bounds.
func listClamp(i, n int) int {
	if i < 0 {
		i += n
	}
	return min(max(i, 0), n)
}
