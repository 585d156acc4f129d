package local

import (
	"bytes"
	"context"
	"iter"
	"sync"

	"github.com/latchkey/latchkey"
)

var _ latchkey.Dict = (*Dict)(nil)

// Dict is an in-process [latchkey.Dict]: a map from string keys to byte
// strings that remembers insertion order like a Python dict (Python's
// Manager().dict()). The zero value is an empty dict ready to use. A Dict
// must not be copied after first use.
//
// Keys and All list keys in the order they were first stored. Storing a key
// that is present keeps its position; deleting a key and storing it again
// moves it to the end; PopItem removes the newest key. Load, Store, Delete
// and PopItem take expected constant time.
//
// Values are copied in and out: a caller may modify the slices it passes or
// receives without affecting the dict. Values are compared with
// [bytes.Equal], so a nil value equals an empty one.
//
// A Dict is safe for concurrent use. Every method is one atomic step: the
// methods called on a Dict are totally ordered, each one observes the
// effects of all those before it, and a call that modifies the dict
// synchronizes before every later call that observes the modification.
//
// No method blocks (beyond a short critical section), so every method
// ignores its ctx, even one that is already done, and never returns an
// error other than [latchkey.ErrEmpty] from PopItem.
//
// Differences from Python: iteration is over a snapshot taken by All, so
// modifying the dict while iterating is allowed (Python raises
// RuntimeError); there is no live iterator.
type Dict struct {
	_ noCopy

	mu sync.Mutex // guards m, head and tail, and the entries' prev, next and value
	// m indexes the entries by key; nil until the first store.
	m map[string]*dictEntry
	// head and tail are the oldest and the newest entry of the doubly
	// linked list of entries in insertion order.
	head, tail *dictEntry
}

// dictEntry is one key of a Dict and its place in the insertion order.
// Its value is never modified in place: a store replaces the slice, so a
// value read under the mutex may be copied after the mutex is released.
type dictEntry struct {
	key        string
	value      []byte
	prev, next *dictEntry
}

// Waiters returns the number of calls blocked on d, which is always 0:
// no method of a Dict blocks.
func (d *Dict) Waiters() int { return 0 }

// Load returns a copy of the value stored under key and whether there was
// one.
func (d *Dict) Load(_ context.Context, key string) ([]byte, bool, error) {
	d.mu.Lock()
	e := d.m[key]
	var v []byte
	if e != nil {
		v = e.value
	}
	d.mu.Unlock()
	if e == nil {
		return nil, false, nil
	}
	return bytes.Clone(v), true, nil
}

// Store sets the value of key to a copy of value. A new key goes to the end
// of the insertion order; a present key keeps its place.
func (d *Dict) Store(_ context.Context, key string, value []byte) error {
	v := bytes.Clone(value)
	d.mu.Lock()
	d.store(key, v)
	d.mu.Unlock()
	return nil
}

// LoadOrStore returns a copy of the value of key if it is present (loaded
// is true); otherwise it stores a copy of value and returns value's copy
// (Python's setdefault).
func (d *Dict) LoadOrStore(_ context.Context, key string, value []byte) ([]byte, bool, error) {
	v := bytes.Clone(value)
	d.mu.Lock()
	if e := d.m[key]; e != nil {
		old := e.value
		d.mu.Unlock()
		return bytes.Clone(old), true, nil
	}
	d.store(key, v)
	d.mu.Unlock()
	return bytes.Clone(v), false, nil
}

// LoadAndDelete deletes key and returns its previous value, if any
// (Python's pop).
func (d *Dict) LoadAndDelete(_ context.Context, key string) ([]byte, bool, error) {
	d.mu.Lock()
	e := d.m[key]
	if e == nil {
		d.mu.Unlock()
		return nil, false, nil
	}
	d.remove(e)
	d.mu.Unlock()
	return bytes.Clone(e.value), true, nil // an All snapshot may share e.value
}

// Delete deletes key; deleting a missing key is not an error.
func (d *Dict) Delete(_ context.Context, key string) error {
	d.mu.Lock()
	if e := d.m[key]; e != nil {
		d.remove(e)
	}
	d.mu.Unlock()
	return nil
}

// Swap stores a copy of value under key and returns the previous value, if
// any. A present key keeps its place in the insertion order.
func (d *Dict) Swap(_ context.Context, key string, value []byte) ([]byte, bool, error) {
	v := bytes.Clone(value)
	d.mu.Lock()
	if e := d.m[key]; e != nil {
		old := e.value
		e.value = v
		d.mu.Unlock()
		return bytes.Clone(old), true, nil // an All snapshot may share old
	}
	d.store(key, v)
	d.mu.Unlock()
	return nil, false, nil
}

// CompareAndSwap stores a copy of new under key if key is present and its
// value equals old. A missing key is never swapped.
func (d *Dict) CompareAndSwap(_ context.Context, key string, old, new []byte) (bool, error) {
	v := bytes.Clone(new)
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.m[key]
	if e == nil || !bytes.Equal(e.value, old) {
		return false, nil
	}
	e.value = v
	return true, nil
}

// CompareAndDelete deletes key if it is present and its value equals old.
func (d *Dict) CompareAndDelete(_ context.Context, key string, old []byte) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.m[key]
	if e == nil || !bytes.Equal(e.value, old) {
		return false, nil
	}
	d.remove(e)
	return true, nil
}

// PopItem removes and returns the most recently inserted entry, or returns
// [latchkey.ErrEmpty] (Python's popitem, which raises KeyError).
func (d *Dict) PopItem(_ context.Context) (latchkey.Entry, error) {
	d.mu.Lock()
	e := d.tail
	if e == nil {
		d.mu.Unlock()
		return latchkey.Entry{}, latchkey.Errorf(latchkey.KindEmpty, "local: popitem from an empty dict")
	}
	d.remove(e)
	d.mu.Unlock()
	return latchkey.Entry{Key: e.key, Value: bytes.Clone(e.value)}, nil
}

// Update stores a copy of every entry, in order, as one atomic step
// (Python's update). A key given twice ends with the later value and the
// place of its first store.
func (d *Dict) Update(_ context.Context, entries ...latchkey.Entry) error {
	vs := make([][]byte, len(entries))
	for i, e := range entries {
		vs[i] = bytes.Clone(e.Value)
	}
	d.mu.Lock()
	for i, e := range entries {
		d.store(e.Key, vs[i])
	}
	d.mu.Unlock()
	return nil
}

// Len returns the number of keys.
func (d *Dict) Len(_ context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.m), nil
}

// Keys returns the keys in insertion order, as a snapshot.
func (d *Dict) Keys(_ context.Context) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := make([]string, 0, len(d.m))
	for e := d.head; e != nil; e = e.next {
		keys = append(keys, e.key)
	}
	return keys, nil
}

// All returns an iterator over a snapshot of the entries taken when All is
// called, in insertion order (Python's items() or copy()). Each value the
// iterator yields is a fresh copy. The iterator may be used any number of
// times, and the dict may be modified meanwhile.
func (d *Dict) All(_ context.Context) (iter.Seq2[string, []byte], error) {
	d.mu.Lock()
	entries := make([]latchkey.Entry, 0, len(d.m))
	for e := d.head; e != nil; e = e.next {
		// Stored values are never modified in place, so sharing them
		// with the snapshot is safe; they are copied when yielded.
		entries = append(entries, latchkey.Entry{Key: e.key, Value: e.value})
	}
	d.mu.Unlock()
	return func(yield func(string, []byte) bool) {
		for _, e := range entries {
			if !yield(e.Key, bytes.Clone(e.Value)) {
				return
			}
		}
	}, nil
}

// Clear deletes every key.
func (d *Dict) Clear(_ context.Context) error {
	d.mu.Lock()
	d.m = nil
	d.head, d.tail = nil, nil
	d.mu.Unlock()
	return nil
}

// store sets key to v, which the dict now owns, appending a new key to the
// insertion order. d.mu must be held.
func (d *Dict) store(key string, v []byte) {
	if e := d.m[key]; e != nil {
		e.value = v
		return
	}
	if d.m == nil {
		d.m = make(map[string]*dictEntry)
	}
	e := &dictEntry{key: key, value: v, prev: d.tail}
	if d.tail == nil {
		d.head = e
	} else {
		d.tail.next = e
	}
	d.tail = e
	d.m[key] = e
}

// remove deletes e from the index and the insertion order. d.mu must be
// held.
func (d *Dict) remove(e *dictEntry) {
	delete(d.m, e.key)
	if e.prev == nil {
		d.head = e.next
	} else {
		e.prev.next = e.next
	}
	if e.next == nil {
		d.tail = e.prev
	} else {
		e.next.prev = e.prev
	}
	e.prev, e.next = nil, nil
}
