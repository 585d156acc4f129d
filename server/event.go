package server

import "github.com/latchkey/latchkey/internal/wire"

// event is an Event: a flag; Set wakes every waiter.
type event struct {
	baseObject
	set bool
	q   waitList
}

func (e *event) kind() wire.ObjectType { return wire.ObjectEvent }
func (e *event) waiters() int          { return e.q.len() }

func (e *event) do(m *machine, h *handle, q *wire.Request) {
	if !argc(m, h.s, q, 0, 0) {
		return
	}
	switch q.Op {
	case wire.OpEventSet:
		e.set = true
		for _, w := range e.q.drain() {
			m.grantOK(w, nil, nil)
		}
		m.reply(h.s, q.ID, nil, nil)
	case wire.OpEventClear:
		e.set = false
		m.reply(h.s, q.ID, nil, nil)
	case wire.OpEventIsSet:
		m.reply(h.s, q.ID, []int64{boolInt(e.set)}, nil)
	case wire.OpEventWait:
		if e.set {
			m.reply(h.s, q.ID, nil, nil)
			return
		}
		m.wait(h, q, &e.q)
	default:
		m.invalidOp(h.s, q)
	}
}

func (e *event) cancel(m *machine, w *waiter)              { m.cancelSimple(w) }
func (e *event) abandon(m *machine, w *waiter, reply bool) { m.abandonSimple(w, reply) }

func (e *event) save(enc *snapEncoder) {
	enc.bool(e.set)
	enc.waitList(&e.q)
}

func (e *event) restore(d *snapDecoder) {
	e.set = d.bool("set")
	d.waitList("waiters", &e.q, e)
}
