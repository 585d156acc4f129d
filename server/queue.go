package server

import (
	"math"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/itemq"
	"github.com/latchkey/latchkey/internal/wire"
)

// queue is a Queue (Python's queue.Queue and JoinableQueue, with 3.13's
// Shutdown). Blocked getters, putters and joiners are served in arrival
// order; a TryPut or TryGet never overtakes a blocked call.
//
// Every item handed out by a Get is a *delivery*, numbered by the queue's
// fence and remembered until a TaskDone retires it: a TaskDone retires
// the calling session's oldest outstanding delivery, or, if it has none,
// the oldest of all. When a session ends, its outstanding deliveries go
// back to the head of the queue, in the order they first came out (after
// an immediate Shutdown they are counted done instead). Items put back
// may take the queue past its maxsize for a while.
type queue struct {
	baseObject
	maxSize    int
	items      itemq.Store
	seq        uint64 // seq of the latest item put
	fence      uint64 // fence of the latest delivery
	unfinished int
	shutdown   bool
	immediate  bool
	getters    waitList
	putters    waitList
	joiners    waitList
	out        []delivery // outstanding deliveries, oldest first
}

// delivery is an item a session took and has not marked done.
type delivery struct {
	s  *session
	it itemq.Item
}

func newQueue(p []int64) (object, error) {
	if p[0] < 0 || p[0] > 2 {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "server: unknown queue order %d", p[0])
	}
	size := max(p[1], 0)
	if size > math.MaxInt32 {
		size = math.MaxInt32
	}
	return &queue{maxSize: int(size), items: itemq.New(latchkey.Order(p[0]))}, nil
}

func (qu *queue) kind() wire.ObjectType { return wire.ObjectQueue }
func (qu *queue) waiters() int          { return qu.getters.len() + qu.putters.len() + qu.joiners.len() }

func (qu *queue) sameParams(_ *machine, _ *session, p []int64) error {
	if len(p) != 2 || p[0] != int64(qu.items.Order()) || max(p[1], 0) != int64(qu.maxSize) {
		return latchkey.Errorf(latchkey.KindMismatch, "server: queue exists with order %d and maxsize %d", qu.items.Order(), qu.maxSize)
	}
	return nil
}

func (qu *queue) full() bool { return qu.maxSize > 0 && qu.items.Len() >= qu.maxSize }

func (qu *queue) do(m *machine, h *handle, q *wire.Request) {
	s := h.s
	switch q.Op {
	case wire.OpQueuePut, wire.OpQueueTryPut:
		if !argc(m, s, q, 0, 1) {
			return
		}
		switch {
		case qu.shutdown:
			m.fail(s, q.ID, latchkey.ErrShutDown)
		case qu.putters.len() == 0 && !qu.full():
			qu.enter(m, q.Bytes[0])
			m.reply(s, q.ID, nil, nil)
		case q.Op == wire.OpQueueTryPut:
			m.fail(s, q.ID, latchkey.ErrFull)
		default:
			m.wait(h, q, &qu.putters).item = q.Bytes[0]
		}
	case wire.OpQueueGet, wire.OpQueueTryGet:
		if !argc(m, s, q, 0, 0) {
			return
		}
		switch {
		case qu.items.Len() > 0:
			x, err := m.takeFor(s, &qu.items)
			if err != nil {
				m.fail(s, q.ID, err)
				return
			}
			m.reply(s, q.ID, qu.deliver(s, x), [][]byte{x.Val})
			qu.settle(m)
		case qu.shutdown:
			m.fail(s, q.ID, latchkey.ErrShutDown)
		case q.Op == wire.OpQueueTryGet:
			m.fail(s, q.ID, latchkey.ErrEmpty)
		default:
			m.wait(h, q, &qu.getters)
		}
	case wire.OpQueueLen:
		if argc(m, s, q, 0, 0) {
			m.reply(s, q.ID, []int64{int64(qu.items.Len())}, nil)
		}
	case wire.OpQueueUnfinished:
		if argc(m, s, q, 0, 0) {
			m.reply(s, q.ID, []int64{int64(qu.unfinished)}, nil)
		}
	case wire.OpQueueTaskDone:
		if !argc(m, s, q, 0, 0) {
			return
		}
		if qu.unfinished == 0 {
			m.fail(s, q.ID, latchkey.ErrTaskDone)
			return
		}
		qu.unfinished--
		qu.retire(s)
		qu.wakeJoiners(m)
		m.reply(s, q.ID, nil, nil)
	case wire.OpQueueJoin:
		if !argc(m, s, q, 0, 0) {
			return
		}
		if qu.unfinished == 0 {
			m.reply(s, q.ID, nil, nil)
			return
		}
		m.wait(h, q, &qu.joiners)
	case wire.OpQueueShutdown:
		if !argc(m, s, q, 1, 0) {
			return
		}
		qu.doShutdown(m, q.Ints[0] == 1)
		m.reply(s, q.ID, nil, nil)
	default:
		m.invalidOp(s, q)
	}
}

// deliver records x as delivered to s and returns the response ints.
func (qu *queue) deliver(s *session, x itemq.Item) []int64 {
	qu.fence++
	qu.out = append(qu.out, delivery{s: s, it: x})
	s.track(qu)
	return []int64{int64(qu.fence)}
}

// retire forgets one outstanding delivery after a TaskDone by s.
func (qu *queue) retire(s *session) {
	if len(qu.out) == 0 {
		return
	}
	i := 0
	for j, d := range qu.out {
		if d.s == s {
			i = j
			break
		}
	}
	qu.out = append(qu.out[:i], qu.out[i+1:]...)
}

// enter adds a new item and serves waiting getters.
func (qu *queue) enter(m *machine, v []byte) {
	qu.seq++
	qu.unfinished++
	qu.items.Push(itemq.Item{Seq: qu.seq, Val: v})
	qu.settle(m)
}

// settle hands items to waiting getters and room to waiting putters.
func (qu *queue) settle(m *machine) {
	for {
		for qu.getters.len() > 0 && qu.items.Len() > 0 {
			w := qu.getters.pop()
			x, err := m.takeFor(w.s, &qu.items)
			if err != nil {
				m.grantErr(w, err)
				continue
			}
			m.grantOK(w, qu.deliver(w.s, x), [][]byte{x.Val})
		}
		if qu.putters.len() == 0 || qu.full() {
			return
		}
		w := qu.putters.pop()
		qu.seq++
		qu.unfinished++
		qu.items.Push(itemq.Item{Seq: qu.seq, Val: w.item})
		m.grantOK(w, nil, nil)
	}
}

func (qu *queue) wakeJoiners(m *machine) {
	if qu.unfinished > 0 {
		return
	}
	for _, w := range qu.joiners.drain() {
		m.grantOK(w, nil, nil)
	}
}

func (qu *queue) doShutdown(m *machine, immediate bool) {
	qu.shutdown = true
	if immediate {
		qu.immediate = true
		qu.unfinished = max(qu.unfinished-qu.items.Len(), 0)
		qu.items.Clear()
		if over := len(qu.out) - qu.unfinished; over > 0 {
			qu.out = qu.out[over:]
		}
		qu.wakeJoiners(m)
	}
	for _, w := range qu.putters.drain() {
		m.grantErr(w, latchkey.ErrShutDown)
	}
	if qu.items.Len() == 0 {
		for _, w := range qu.getters.drain() {
			m.grantErr(w, latchkey.ErrShutDown)
		}
	}
}

func (qu *queue) endSession(m *machine, s *session) {
	var back []itemq.Item
	kept := qu.out[:0]
	for _, d := range qu.out {
		if d.s == s {
			back = append(back, d.it)
		} else {
			kept = append(kept, d)
		}
	}
	clear(qu.out[len(kept):])
	qu.out = kept
	if len(back) == 0 {
		return
	}
	if qu.immediate {
		qu.unfinished = max(qu.unfinished-len(back), 0)
		qu.wakeJoiners(m)
		return
	}
	qu.items.PutBack(back)
	qu.settle(m)
}

func (qu *queue) cancel(m *machine, w *waiter)              { m.cancelSimple(w) }
func (qu *queue) abandon(m *machine, w *waiter, reply bool) { m.abandonSimple(w, reply) }

// simpleQueue is a SimpleQueue: unbounded FIFO, no task tracking. An item
// answered to a detached session that then ends goes back to the head.
type simpleQueue struct {
	baseObject
	items   itemq.Store
	seq     uint64
	fence   uint64
	getters waitList
}

func (sq *simpleQueue) kind() wire.ObjectType { return wire.ObjectSimpleQueue }
func (sq *simpleQueue) waiters() int          { return sq.getters.len() }

func (sq *simpleQueue) do(m *machine, h *handle, q *wire.Request) {
	s := h.s
	switch q.Op {
	case wire.OpSimpleQueuePut:
		if !argc(m, s, q, 0, 1) {
			return
		}
		sq.seq++
		sq.items.Push(itemq.Item{Seq: sq.seq, Val: q.Bytes[0]})
		sq.serve(m)
		m.reply(s, q.ID, nil, nil)
	case wire.OpSimpleQueueGet, wire.OpSimpleQueueTryGet:
		if !argc(m, s, q, 0, 0) {
			return
		}
		switch {
		case sq.items.Len() > 0:
			x, err := m.takeFor(s, &sq.items)
			if err != nil {
				m.fail(s, q.ID, err)
				return
			}
			sq.fence++
			m.replyBack(s, q.ID, []int64{int64(sq.fence)}, [][]byte{x.Val}, giveBack{sq, x})
		case q.Op == wire.OpSimpleQueueTryGet:
			m.fail(s, q.ID, latchkey.ErrEmpty)
		default:
			m.wait(h, q, &sq.getters)
		}
	case wire.OpSimpleQueueLen:
		if argc(m, s, q, 0, 0) {
			m.reply(s, q.ID, []int64{int64(sq.items.Len())}, nil)
		}
	default:
		m.invalidOp(s, q)
	}
}

// giveBack is a SimpleQueue item to put back at the head of its queue if
// the response carrying it is never delivered: its session ended while
// detached. It is data, not a closure, so that a snapshot can record it.
// The zero giveBack gives nothing back.
type giveBack struct {
	sq   *simpleQueue
	item itemq.Item
}

// apply puts the item back and serves the queue's waiting getters.
func (g giveBack) apply(m *machine) {
	if g.sq == nil {
		return
	}
	g.sq.items.PutBack([]itemq.Item{g.item})
	g.sq.serve(m)
}

func (sq *simpleQueue) serve(m *machine) {
	for sq.getters.len() > 0 && sq.items.Len() > 0 {
		w := sq.getters.pop()
		x, err := m.takeFor(w.s, &sq.items)
		if err != nil {
			m.grantErr(w, err)
			continue
		}
		sq.fence++
		m.finish(w)
		m.replyBack(w.s, w.id, []int64{int64(sq.fence)}, [][]byte{x.Val}, giveBack{sq, x})
	}
}

func (sq *simpleQueue) cancel(m *machine, w *waiter)              { m.cancelSimple(w) }
func (sq *simpleQueue) abandon(m *machine, w *waiter, reply bool) { m.abandonSimple(w, reply) }

// takeFor takes the next item of st for session s. An item that does not
// fit s's frame limit stays where it was, and takeFor returns OutOfRange.
func (m *machine) takeFor(s *session, st *itemq.Store) (itemq.Item, error) {
	x := st.Take()
	if !m.fitsBytes(s, x.Val) {
		st.PutBack([]itemq.Item{x})
		return itemq.Item{}, latchkey.Errorf(latchkey.KindOutOfRange, "server: the item of %d bytes does not fit the client's frame limit", len(x.Val))
	}
	return x, nil
}

func (qu *queue) save(e *snapEncoder) {
	e.uvarint(uint64(qu.items.Order()))
	e.int(qu.maxSize)
	e.items(&qu.items)
	e.uvarint(qu.seq)
	e.uvarint(qu.fence)
	e.int(qu.unfinished)
	e.bool(qu.shutdown)
	e.bool(qu.immediate)
	e.waitList(&qu.getters)
	e.waitList(&qu.putters)
	e.waitList(&qu.joiners)
	e.count(len(qu.out))
	for _, dl := range qu.out {
		e.uvarint(dl.s.id)
		e.item(dl.it)
	}
}

func (qu *queue) restore(d *snapDecoder) {
	order := latchkey.Order(d.uint("order", uint64(latchkey.Priority)))
	qu.maxSize = d.int("maxsize")
	qu.items = d.items("items", order)
	qu.seq = d.uvarint("seq")
	qu.fence = d.uvarint("fence")
	qu.unfinished = d.int("unfinished")
	qu.shutdown = d.bool("shutdown")
	qu.immediate = d.bool("immediate")
	d.waitList("getters", &qu.getters, qu)
	d.waitList("putters", &qu.putters, qu)
	d.waitList("joiners", &qu.joiners, qu)
	n := d.count("deliveries")
	qu.out = make([]delivery, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		d.sessionRef("delivery session", func(s *session) {
			if !s.isTrack[qu] {
				d.fail("delivery session", "session %d does not track the queue", s.id)
			}
			qu.out[i].s = s
		})
		qu.out = append(qu.out, delivery{it: d.item("delivery seq", "delivery item")})
	}
}

func (sq *simpleQueue) save(e *snapEncoder) {
	e.items(&sq.items)
	e.uvarint(sq.seq)
	e.uvarint(sq.fence)
	e.waitList(&sq.getters)
}

func (sq *simpleQueue) restore(d *snapDecoder) {
	sq.items = d.items("items", latchkey.FIFO)
	sq.seq = d.uvarint("seq")
	sq.fence = d.uvarint("fence")
	d.waitList("getters", &sq.getters, sq)
}
