package server

// waitList is a FIFO queue of waiters, linked through the waiters
// themselves so that removal is O(1). A waiter is in at most one list.
type waitList struct {
	head, tail *waiter
	n          int
}

// push appends w at the tail.
func (l *waitList) push(w *waiter) {
	w.list, w.prev, w.next = l, l.tail, nil
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
	l.n++
}

// remove unlinks w if it is in l and reports whether it was.
func (l *waitList) remove(w *waiter) bool {
	if w.list != l {
		return false
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.list, w.prev, w.next = nil, nil, nil
	l.n--
	return true
}

// pop removes and returns the head, or nil.
func (l *waitList) pop() *waiter {
	w := l.head
	if w != nil {
		l.remove(w)
	}
	return w
}

// len returns the number of waiters.
func (l *waitList) len() int { return l.n }

// drain removes every waiter and returns them in order.
func (l *waitList) drain() []*waiter {
	var ws []*waiter
	for w := l.pop(); w != nil; w = l.pop() {
		ws = append(ws, w)
	}
	return ws
}
