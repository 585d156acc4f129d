package server

import (
	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// barrier is a Barrier. The parties of the current cycle wait in gen.
// When the last party arrives through a handle with an action, it is
// answered at once with run_action set and the cycle is *tripping*: the
// others keep waiting until that handle reports Barrier.ActionDone (or its
// session ends, which counts as a failed action). Waits that arrive while
// a cycle trips wait in next and join the following cycle.
type barrier struct {
	baseObject
	parties  int
	broken   bool
	count    int      // parties arrived in the current cycle
	gen      waitList // the current cycle's waiting parties
	next     waitList // arrivals held while the cycle trips
	tripping *handle  // the handle running the action, or nil
}

func newBarrier(p []int64) (object, error) {
	if p[0] < 1 || p[0] > 1<<31 {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "server: barrier parties %d must be ≥ 1", p[0])
	}
	return &barrier{parties: int(p[0])}, nil
}

func (b *barrier) kind() wire.ObjectType { return wire.ObjectBarrier }
func (b *barrier) waiters() int          { return b.gen.len() + b.next.len() }

func (b *barrier) sameParams(_ *machine, _ *session, p []int64) error {
	if len(p) != 1 || p[0] != int64(b.parties) {
		return latchkey.Errorf(latchkey.KindMismatch, "server: barrier exists with %d parties", b.parties)
	}
	return nil
}

func (b *barrier) do(m *machine, h *handle, q *wire.Request) {
	s := h.s
	switch q.Op {
	case wire.OpBarrierWait:
		if !argc(m, s, q, 1, 0) {
			return
		}
		if q.Ints[0] != 0 && q.Ints[0] != 1 {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: Barrier.Wait action flag %d", q.Ints[0]))
			return
		}
		w := m.wait(h, q, nil)
		w.action = q.Ints[0] == 1
		b.arrive(m, w)
	case wire.OpBarrierActionDone:
		if !argc(m, s, q, 1, 0) {
			return
		}
		if b.tripping != h {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: no barrier action pending on this handle"))
			return
		}
		m.reply(s, q.ID, nil, nil)
		b.actionDone(m, q.Ints[0] == 1)
	case wire.OpBarrierAbort:
		if argc(m, s, q, 0, 0) {
			b.broken = true
			b.drop(m)
			m.reply(s, q.ID, nil, nil)
		}
	case wire.OpBarrierReset:
		if argc(m, s, q, 0, 0) {
			b.broken = false
			b.drop(m)
			m.reply(s, q.ID, nil, nil)
		}
	case wire.OpBarrierWaiting:
		if argc(m, s, q, 0, 0) {
			n := b.count
			if b.broken {
				n = 0
			}
			m.reply(s, q.ID, []int64{int64(n)}, nil)
		}
	case wire.OpBarrierBroken:
		if argc(m, s, q, 0, 0) {
			m.reply(s, q.ID, []int64{boolInt(b.broken)}, nil)
		}
	default:
		m.invalidOp(s, q)
	}
}

// arrive lets w take part in the current cycle.
func (b *barrier) arrive(m *machine, w *waiter) {
	switch {
	case b.tripping != nil && !b.broken:
		b.next.push(w)
		return
	case b.broken:
		m.grantErr(w, latchkey.ErrBrokenBarrier)
		return
	}
	w.index = b.count
	b.count++
	if b.count < b.parties {
		b.gen.push(w)
		return
	}
	if w.action {
		b.tripping = w.h
		m.grantOK(w, []int64{int64(w.index), 1}, nil)
		return
	}
	m.grantOK(w, []int64{int64(w.index), 0}, nil)
	b.endCycle(m, false)
}

// endCycle releases the current cycle's parties (with BrokenBarrier if
// broken) and starts a new cycle, letting held arrivals in.
func (b *barrier) endCycle(m *machine, broken bool) {
	for _, w := range b.gen.drain() {
		if broken {
			m.grantErr(w, latchkey.ErrBrokenBarrier)
		} else {
			m.grantOK(w, []int64{int64(w.index), 0}, nil)
		}
	}
	b.count = 0
	b.tripping = nil
	for _, w := range b.next.drain() {
		b.arrive(m, w)
	}
}

// actionDone ends a tripping cycle.
func (b *barrier) actionDone(m *machine, ok bool) {
	if !ok {
		b.broken = true
	}
	b.endCycle(m, !ok)
}

// drop breaks the current cycle's waiters unless it is tripping.
func (b *barrier) drop(m *machine) {
	if b.tripping != nil || b.count == 0 {
		return
	}
	b.endCycle(m, true)
}

func (b *barrier) cancel(m *machine, w *waiter) {
	m.cancelSimple(w)
	b.broken = true
	b.drop(m)
}

func (b *barrier) abandon(m *machine, w *waiter, reply bool) {
	m.abandonSimple(w, reply)
	b.broken = true
	b.drop(m)
}

func (b *barrier) release(m *machine, h *handle) {
	if b.tripping == h {
		b.actionDone(m, false)
	}
}

func (b *barrier) save(e *snapEncoder) {
	e.int(b.parties)
	e.bool(b.broken)
	e.int(b.count)
	e.waitList(&b.gen)
	e.waitList(&b.next)
	e.handle(b.tripping)
}

func (b *barrier) restore(d *snapDecoder) {
	b.parties = d.int("parties")
	b.broken = d.bool("broken")
	b.count = d.int("count")
	d.waitList("cycle waiters", &b.gen, b)
	d.waitList("next waiters", &b.next, b)
	d.handleRef("tripping", func(h *handle) { b.tripping = h })
}
