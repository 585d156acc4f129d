package local

import (
	"bytes"
	"container/heap"
)

// queueHeap is the binary min-heap of a priority [Queue]: smallest bytes
// first (bytes.Compare), equal bytes by seq, so in arrival order. It
// implements heap.Interface; push, pop and remove call heap.Fix directly,
// so that no item is boxed in an interface. It is not safe for concurrent
// use: its owner's mutex guards it.
type queueHeap []queueItem

func (h queueHeap) Len() int { return len(h) }

func (h queueHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].val, h[j].val); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}

func (h queueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push appends x, a queueItem (heap.Interface; push is the typed form).
func (h *queueHeap) Push(x any) { *h = append(*h, x.(queueItem)) }

// Pop removes the last item (heap.Interface; pop is the typed form).
func (h *queueHeap) Pop() any {
	n := len(*h) - 1
	it := (*h)[n]
	(*h)[n] = queueItem{}
	*h = (*h)[:n]
	return it
}

// push adds it.
func (h *queueHeap) push(it queueItem) {
	*h = append(*h, it)
	heap.Fix(h, len(*h)-1)
}

// pop removes and returns the smallest item; the heap must not be empty.
func (h *queueHeap) pop() queueItem {
	it := (*h)[0]
	h.removeAt(0)
	return it
}

// removeAt removes the item at index i.
func (h *queueHeap) removeAt(i int) {
	n := len(*h) - 1
	if i != n {
		h.Swap(i, n)
	}
	(*h)[n] = queueItem{}
	*h = (*h)[:n]
	if i < n {
		heap.Fix(h, i)
	}
	if c := cap(*h); c > shrinkAbove && n <= c/4 {
		*h = append(make(queueHeap, 0, c/2), *h...)
	}
}

// remove deletes the item numbered seq and reports whether it was there.
// It is the give-back path of a cancelled Put, so a linear search is fine.
func (h *queueHeap) remove(seq uint64) bool {
	for i := range *h {
		if (*h)[i].seq == seq {
			h.removeAt(i)
			return true
		}
	}
	return false
}

// clear removes every item and releases the storage.
func (h *queueHeap) clear() { *h = nil }
