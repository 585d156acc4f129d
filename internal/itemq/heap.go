package itemq

import (
	"bytes"
	"container/heap"
)

// minHeap is the binary min-heap of a priority [Queue]: smallest bytes
// first (bytes.Compare), equal bytes by seq, so in arrival order. It
// implements heap.Interface; push, pop and remove call heap.Fix directly,
// so that no item is boxed in an interface. It is not safe for concurrent
// use: its owner's mutex guards it.
type minHeap []Item

func (h minHeap) Len() int { return len(h) }

func (h minHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].Val, h[j].Val); c != 0 {
		return c < 0
	}
	return h[i].Seq < h[j].Seq
}

func (h minHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push appends x, an Item (heap.Interface; push is the typed form).
func (h *minHeap) Push(x any) { *h = append(*h, x.(Item)) }

// Pop removes the last item (heap.Interface; pop is the typed form).
func (h *minHeap) Pop() any {
	n := len(*h) - 1
	it := (*h)[n]
	(*h)[n] = Item{}
	*h = (*h)[:n]
	return it
}

// push adds it.
func (h *minHeap) push(it Item) {
	*h = append(*h, it)
	heap.Fix(h, len(*h)-1)
}

// pop removes and returns the smallest item; the heap must not be empty.
func (h *minHeap) pop() Item {
	it := (*h)[0]
	h.removeAt(0)
	return it
}

// removeAt removes the item at index i.
func (h *minHeap) removeAt(i int) {
	n := len(*h) - 1
	if i != n {
		h.Swap(i, n)
	}
	(*h)[n] = Item{}
	*h = (*h)[:n]
	if i < n {
		heap.Fix(h, i)
	}
	if c := cap(*h); c > shrinkAbove && n <= c/4 {
		*h = append(make(minHeap, 0, c/2), *h...)
	}
}

// remove deletes the item numbered seq and reports whether it was there.
// It is the give-back path of a cancelled Put, so a linear search is fine.
func (h *minHeap) remove(seq uint64) bool {
	for i := range *h {
		if (*h)[i].Seq == seq {
			h.removeAt(i)
			return true
		}
	}
	return false
}

// clear removes every item and releases the storage.
func (h *minHeap) clear() { *h = nil }
