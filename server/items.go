package server

import (
	"bytes"
	"container/heap"
)

// item is a queued byte string with its arrival number.
type item struct {
	seq uint64
	val []byte
}

// items holds a queue's items in FIFO, LIFO or priority order. The next
// item out is at the head.
type items struct {
	order int64 // 0 FIFO, 1 LIFO, 2 priority
	buf   []item
	start int // FIFO: index of the head in buf
	h     itemHeap
}

func (it *items) len() int {
	if it.order == 2 {
		return len(it.h)
	}
	return len(it.buf) - it.start
}

// push adds an item in its place.
func (it *items) push(x item) {
	if it.order == 2 {
		heap.Push(&it.h, x)
		return
	}
	it.buf = append(it.buf, x)
}

// take removes the next item out.
func (it *items) take() item {
	switch it.order {
	case 2:
		return heap.Pop(&it.h).(item)
	case 1:
		x := it.buf[len(it.buf)-1]
		it.buf = it.buf[:len(it.buf)-1]
		return x
	}
	x := it.buf[it.start]
	it.buf[it.start] = item{}
	it.start++
	if it.start == len(it.buf) {
		it.buf, it.start = it.buf[:0], 0
	} else if it.start > 64 && it.start*2 > len(it.buf) {
		n := copy(it.buf, it.buf[it.start:])
		clear(it.buf[n:])
		it.buf, it.start = it.buf[:n], 0
	}
	return x
}

// putBack returns xs (oldest delivery first) to the head of the queue, so
// that they come out next, in the order they first came out. A priority
// queue puts them back in their place (their seq keeps ties FIFO).
func (it *items) putBack(xs []item) {
	switch it.order {
	case 2:
		for _, x := range xs {
			heap.Push(&it.h, x)
		}
	case 1:
		for i := len(xs) - 1; i >= 0; i-- {
			it.buf = append(it.buf, xs[i])
		}
	default:
		rest := it.buf[it.start:]
		nb := make([]item, 0, len(xs)+len(rest))
		nb = append(append(nb, xs...), rest...)
		it.buf, it.start = nb, 0
	}
}

// clear drops every item.
func (it *items) clear() {
	it.buf, it.start, it.h = nil, 0, nil
}

// all returns the items in no particular order (for tests).
func (it *items) all() []item {
	if it.order == 2 {
		return append([]item(nil), it.h...)
	}
	return append([]item(nil), it.buf[it.start:]...)
}

// itemHeap is a min-heap by value, then seq.
type itemHeap []item

func (h itemHeap) Len() int { return len(h) }
func (h itemHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].val, h[j].val); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h itemHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *itemHeap) Push(x any)   { *h = append(*h, x.(item)) }
func (h *itemHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = item{}
	*h = old[:len(old)-1]
	return x
}
