package itemq

// minRing is the smallest buffer a ring allocates.
const minRing = 16

// shrinkAbove is the buffer size (in items) above which a ring or
// minHeap that is three quarters empty gives memory back. Below it the
// buffer stays, so that a queue that fills and drains in cycles does not
// reallocate on every cycle.
const shrinkAbove = 1024

// ring is a double-ended queue of items kept in ascending seq order (but
// for pushFront, used only by Store.PutBack),
// stored in a ring buffer whose length is zero or a power of two. A FIFO
// queue takes from the front, a LIFO queue from the back. The zero value is
// empty. It is not safe for concurrent use: its owner's mutex guards it.
type ring struct {
	buf  []Item
	head int // index in buf of the front item
	n    int // number of items
}

// len returns the number of items.
func (r *ring) len() int { return r.n }

// at returns a pointer to the i-th item from the front.
func (r *ring) at(i int) *Item { return &r.buf[(r.head+i)&(len(r.buf)-1)] }

// resize moves the items into a buffer of c slots, c a power of two ≥ n.
func (r *ring) resize(c int) {
	buf := make([]Item, c)
	if r.n > 0 {
		k := copy(buf, r.buf[r.head:min(r.head+r.n, len(r.buf))])
		copy(buf[k:], r.buf[:r.n-k])
	}
	r.buf, r.head = buf, 0
}

// pushBack appends it, whose seq must be the largest.
func (r *ring) pushBack(it Item) {
	if r.n == len(r.buf) {
		r.resize(max(minRing, 2*len(r.buf)))
	}
	*r.at(r.n) = it
	r.n++
}

// pushFront prepends it, to come out first from a FIFO store.
func (r *ring) pushFront(it Item) {
	if r.n == len(r.buf) {
		r.resize(max(minRing, 2*len(r.buf)))
	}
	r.head = (r.head - 1) & (len(r.buf) - 1)
	*r.at(0) = it
	r.n++
}

// popFront removes and returns the first item; the ring must not be empty.
func (r *ring) popFront() Item {
	p := r.at(0)
	it := *p
	*p = Item{}
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	r.shrink()
	return it
}

// popBack removes and returns the last item; the ring must not be empty.
func (r *ring) popBack() Item {
	p := r.at(r.n - 1)
	it := *p
	*p = Item{}
	r.n--
	r.shrink()
	return it
}

// shrink halves a large buffer that is at most a quarter full, so that a
// burst does not pin its memory forever.
func (r *ring) shrink() {
	if len(r.buf) > shrinkAbove && r.n <= len(r.buf)/4 {
		r.resize(len(r.buf) / 2)
	}
}

// search returns the index of the first item whose seq is ≥ seq.
func (r *ring) search(seq uint64) int {
	lo, hi := 0, r.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if r.at(m).Seq < seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// insert puts it back at the place its seq gives it, moving the shorter
// side of the ring by one slot. It is the give-back path of a cancelled Get.
func (r *ring) insert(it Item) {
	if r.n == len(r.buf) {
		r.resize(max(minRing, 2*len(r.buf)))
	}
	i := r.search(it.Seq)
	if i < r.n/2 {
		r.head = (r.head - 1) & (len(r.buf) - 1)
		for j := 0; j < i; j++ {
			*r.at(j) = *r.at(j + 1)
		}
	} else {
		for j := r.n; j > i; j-- {
			*r.at(j) = *r.at(j - 1)
		}
	}
	*r.at(i) = it
	r.n++
}

// remove deletes the item numbered seq and reports whether it was there.
// It is the give-back path of a cancelled Put.
func (r *ring) remove(seq uint64) bool {
	i := r.search(seq)
	if i == r.n || r.at(i).Seq != seq {
		return false
	}
	if i < r.n/2 {
		for j := i; j > 0; j-- {
			*r.at(j) = *r.at(j - 1)
		}
		*r.at(0) = Item{}
		r.head = (r.head + 1) & (len(r.buf) - 1)
	} else {
		for j := i; j < r.n-1; j++ {
			*r.at(j) = *r.at(j + 1)
		}
		*r.at(r.n - 1) = Item{}
	}
	r.n--
	r.shrink()
	return true
}

// clear removes every item and releases the buffer.
func (r *ring) clear() { *r = ring{} }
