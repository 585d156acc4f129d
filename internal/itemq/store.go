// Package itemq stores the items of a queue in FIFO, LIFO or priority order:
// the one item store behind the in-process queues (package local) and the
// server's queues, so that both hand items out in exactly the same order.
//
// Every item carries a sequence number, its arrival order, which keeps a
// priority queue's equal items FIFO and lets a cancelled call put an item
// back where it was or take a just-added one out again.
//
// A Store is not safe for concurrent use: its owner's mutex (or the
// server's single state-machine goroutine) guards it.
package itemq

import (
	"container/heap"

	"github.com/latchkey/latchkey"
)

// Item is one queued byte string and its sequence number.
type Item struct {
	Seq uint64 // arrival order; larger is newer
	Val []byte // the item, owned by the store
}

// Store holds items in the order given to New. The zero value is an empty
// FIFO store.
type Store struct {
	order latchkey.Order
	r     ring    // FIFO and LIFO items, ascending Seq
	h     minHeap // Priority items
}

// New returns an empty store handing items out in order.
func New(order latchkey.Order) Store { return Store{order: order} }

// Order returns the order the store hands items out in.
func (s *Store) Order() latchkey.Order { return s.order }

// Len returns the number of items.
func (s *Store) Len() int {
	if s.order == latchkey.Priority {
		return len(s.h)
	}
	return s.r.len()
}

// Push adds it, whose Seq must be larger than every Seq in the store.
func (s *Store) Push(it Item) {
	if s.order == latchkey.Priority {
		s.h.push(it)
		return
	}
	s.r.pushBack(it)
}

// Take removes and returns the next item out; the store must not be empty.
func (s *Store) Take() Item {
	switch s.order {
	case latchkey.LIFO:
		return s.r.popBack()
	case latchkey.Priority:
		return s.h.pop()
	}
	return s.r.popFront()
}

// Insert puts it back at the place its Seq gives it: the give-back path of
// a Get cancelled as the item was handed to it.
func (s *Store) Insert(it Item) {
	if s.order == latchkey.Priority {
		s.h.push(it)
		return
	}
	s.r.insert(it)
}

// Remove deletes the item numbered seq and reports whether it was there:
// the give-back path of a Put cancelled as its item was moved in.
func (s *Store) Remove(seq uint64) bool {
	if s.order == latchkey.Priority {
		return s.h.remove(seq)
	}
	return s.r.remove(seq)
}

// PutBack returns items that were taken (oldest delivery first) so that
// they come out next, in the order they first came out; a priority store
// puts them in their place. It is how the server returns the items a dead
// session took and never marked done. PutBack may leave a FIFO or LIFO
// store out of Seq order, so a store that uses it must not use Insert or
// Remove.
func (s *Store) PutBack(items []Item) {
	switch s.order {
	case latchkey.Priority:
		for _, it := range items {
			s.h.push(it)
		}
	case latchkey.LIFO:
		for i := len(items) - 1; i >= 0; i-- {
			s.r.pushBack(items[i])
		}
	default:
		for i := len(items) - 1; i >= 0; i-- {
			s.r.pushFront(items[i])
		}
	}
}

// Clear removes every item and releases the storage.
func (s *Store) Clear() {
	s.r.clear()
	s.h.clear()
}

// All returns a copy of the items in the store's layout: front to back
// for FIFO and LIFO, the heap's array for priority. [Restore] rebuilds
// the same store from it.
func (s *Store) All() []Item {
	if s.order == latchkey.Priority {
		return append([]Item(nil), s.h...)
	}
	out := make([]Item, s.r.len())
	for i := range out {
		out[i] = *s.r.at(i)
	}
	return out
}

// Restore returns a store of the given order holding items, as [Store.All]
// returned them: a store that hands out the same items in the same order
// as the one All was called on, with the same layout. It is how a server
// snapshot brings a queue back. A priority store is made a valid heap
// whatever the items' order (a no-op for All's output). The store owns
// items and their values afterwards.
func Restore(order latchkey.Order, items []Item) Store {
	s := Store{order: order}
	if order == latchkey.Priority {
		s.h = minHeap(items)
		heap.Init(&s.h)
		return s
	}
	if len(items) > 0 {
		c := minRing
		for c < len(items) {
			c *= 2
		}
		s.r = ring{buf: make([]Item, c), n: len(items)}
		copy(s.r.buf, items)
	}
	return s
}
