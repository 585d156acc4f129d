package latchkey

import (
	"context"
	"iter"
)

// Entry is one key and value of a [Dict].
type Entry struct {
	Key   string
	Value []byte
}

// Dict is a shared dictionary from string keys to byte strings (Python's
// Manager().dict()). Like a Python dict it remembers insertion order: All
// and Keys list keys in the order they were first stored, and PopItem
// removes the newest. Every method is atomic.
//
// Values are copied in and out: a caller may reuse or modify the slices it
// passes or receives.
type Dict interface {
	// Load returns the value stored under key and whether there was one.
	Load(ctx context.Context, key string) (value []byte, ok bool, err error)
	// Store sets the value for key.
	Store(ctx context.Context, key string, value []byte) error
	// LoadOrStore returns the existing value for key if present (loaded is
	// true); otherwise it stores value and returns it (Python's setdefault).
	LoadOrStore(ctx context.Context, key string, value []byte) (actual []byte, loaded bool, err error)
	// LoadAndDelete deletes key, returning its previous value if any
	// (Python's pop).
	LoadAndDelete(ctx context.Context, key string) (value []byte, loaded bool, err error)
	// Delete deletes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Swap stores value and returns the previous value if any.
	Swap(ctx context.Context, key string, value []byte) (previous []byte, loaded bool, err error)
	// CompareAndSwap stores new if the current value equals old.
	CompareAndSwap(ctx context.Context, key string, old, new []byte) (swapped bool, err error)
	// CompareAndDelete deletes key if its value equals old.
	CompareAndDelete(ctx context.Context, key string, old []byte) (deleted bool, err error)
	// PopItem removes and returns the most recently inserted entry, or
	// returns ErrEmpty.
	PopItem(ctx context.Context) (Entry, error)
	// Update stores every entry, in order, as one atomic step.
	Update(ctx context.Context, entries ...Entry) error
	// Len returns the number of keys.
	Len(ctx context.Context) (int, error)
	// Keys returns the keys in insertion order (a snapshot).
	Keys(ctx context.Context) ([]string, error)
	// All returns an iterator over a snapshot of the entries, in insertion
	// order (Python's items() or copy()).
	All(ctx context.Context) (iter.Seq2[string, []byte], error)
	// Clear deletes every key.
	Clear(ctx context.Context) error
}

// List is a shared list of byte strings (Python's Manager().list()).
// Indices may be negative and count from the end, as in Python. Every
// method is atomic.
type List interface {
	// Append appends the values, in order (Python's append and extend).
	Append(ctx context.Context, values ...[]byte) error
	// Insert inserts v before index i; i is clamped to the list as in Python.
	Insert(ctx context.Context, i int, v []byte) error
	// Get returns the element at index i, or ErrOutOfRange.
	Get(ctx context.Context, i int) ([]byte, error)
	// Set replaces the element at index i, or returns ErrOutOfRange.
	Set(ctx context.Context, i int, v []byte) error
	// Pop removes and returns the element at index i (-1 for the last).
	// It returns ErrEmpty on an empty list and ErrOutOfRange for a bad index.
	Pop(ctx context.Context, i int) ([]byte, error)
	// Remove removes the first element equal to v, or returns ErrNotFound.
	Remove(ctx context.Context, v []byte) error
	// Index returns the index of the first element equal to v, or ErrNotFound.
	Index(ctx context.Context, v []byte) (int, error)
	// Count returns the number of elements equal to v.
	Count(ctx context.Context, v []byte) (int, error)
	// Len returns the number of elements.
	Len(ctx context.Context) (int, error)
	// Slice returns a copy of the elements [lo:hi], with Python's slice
	// rules (negative indices count from the end, out-of-range bounds clamp).
	Slice(ctx context.Context, lo, hi int) ([][]byte, error)
	// All returns an iterator over a snapshot of the elements.
	All(ctx context.Context) (iter.Seq2[int, []byte], error)
	// Reverse reverses the list in place.
	Reverse(ctx context.Context) error
	// Sort sorts the list in place by byte order, stably.
	Sort(ctx context.Context) error
	// Clear removes every element.
	Clear(ctx context.Context) error
}

// Namespace is a shared set of named attributes (Python's
// Manager().Namespace()). Every method is atomic.
type Namespace interface {
	// Load returns the attribute's value, or ErrNotFound (Python's
	// AttributeError).
	Load(ctx context.Context, attr string) ([]byte, error)
	// Store sets the attribute.
	Store(ctx context.Context, attr string, value []byte) error
	// Delete deletes the attribute, or returns ErrNotFound.
	Delete(ctx context.Context, attr string) error
	// All returns an iterator over a snapshot of the attributes, sorted by name.
	All(ctx context.Context) (iter.Seq2[string, []byte], error)
}

// Number is the set of element types of a [Value] or an [Array].
type Number interface {
	~int64 | ~float64
}

// Value is a shared number (Python's multiprocessing Value('q') or
// Value('d')) with atomic read-modify-write operations, so that the
// lost-update bug of value.value += 1 cannot happen.
type Value[T Number] interface {
	// Load returns the value.
	Load(ctx context.Context) (T, error)
	// Store sets the value.
	Store(ctx context.Context, v T) error
	// Add adds delta atomically and returns the new value.
	Add(ctx context.Context, delta T) (T, error)
	// Swap sets the value and returns the previous one.
	Swap(ctx context.Context, v T) (T, error)
	// CompareAndSwap sets new if the value equals old. Floats are compared
	// by their bits.
	CompareAndSwap(ctx context.Context, old, new T) (bool, error)
}

// Array is a shared fixed-length array of numbers (Python's multiprocessing
// Array('q', n) or Array('d', n)), zero-filled at creation. Each method is
// atomic; indices are 0 ≤ i < Len() (ErrOutOfRange otherwise).
type Array[T Number] interface {
	// Len returns the array's length.
	Len() int
	// Load returns element i.
	Load(ctx context.Context, i int) (T, error)
	// Store sets element i.
	Store(ctx context.Context, i int, v T) error
	// Add adds delta to element i atomically and returns the new value.
	Add(ctx context.Context, i int, delta T) (T, error)
	// CompareAndSwap sets element i to new if it equals old.
	CompareAndSwap(ctx context.Context, i int, old, new T) (bool, error)
	// LoadRange returns a copy of elements [lo, hi), read atomically.
	LoadRange(ctx context.Context, lo, hi int) ([]T, error)
	// StoreRange sets elements [lo, lo+len(vs)) atomically (slice assignment).
	StoreRange(ctx context.Context, lo int, vs []T) error
}
