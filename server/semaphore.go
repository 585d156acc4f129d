package server

import (
	"math"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// semaphore is a Semaphore or BoundedSemaphore: FIFO waiters, a
// TryAcquire never overtakes one. Each session's net count of permits
// (taken minus released by that session, never below 0) is given back
// when the session ends, capped for a bounded semaphore at what fits
// under its initial value.
type semaphore struct {
	baseObject
	value   int
	initial int
	bounded bool
	fence   uint64
	died    bool // permits of a dead session were given back: the next grant reports OwnerDied
	q       waitList
}

func newSemaphore(p []int64) (object, error) {
	if p[0] < 0 || p[0] > math.MaxInt32 || p[1] != 0 && p[1] != 1 {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "server: semaphore parameters %v out of range", p)
	}
	return &semaphore{value: int(p[0]), initial: int(p[0]), bounded: p[1] == 1}, nil
}

func (sm *semaphore) kind() wire.ObjectType { return wire.ObjectSemaphore }
func (sm *semaphore) waiters() int          { return sm.q.len() }

func (sm *semaphore) sameParams(_ *machine, _ *session, p []int64) error {
	if len(p) != 2 || p[0] != int64(sm.initial) || p[1] != boolInt(sm.bounded) {
		return latchkey.Errorf(latchkey.KindMismatch, "server: semaphore exists with value %d, bounded %v", sm.initial, sm.bounded)
	}
	return nil
}

func (sm *semaphore) take(s *session) (uint64, bool) {
	sm.value--
	sm.fence++
	s.sems[sm]++
	s.track(sm)
	died := sm.died
	sm.died = false
	return sm.fence, died
}

func (sm *semaphore) do(m *machine, h *handle, q *wire.Request) {
	s := h.s
	switch q.Op {
	case wire.OpSemaphoreAcquire, wire.OpSemaphoreTryAcquire:
		if !argc(m, s, q, 0, 0) {
			return
		}
		if sm.value > 0 && sm.q.len() == 0 {
			f, died := sm.take(s)
			m.grantNow(s, q, f, died)
			return
		}
		if q.Op == wire.OpSemaphoreTryAcquire {
			m.fail(s, q.ID, latchkey.ErrNoPermit)
			return
		}
		m.wait(h, q, &sm.q)
	case wire.OpSemaphoreRelease:
		if !argc(m, s, q, 1, 0) {
			return
		}
		n := q.Ints[0]
		switch {
		case n < 1:
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: semaphore release of %d permits, must be one or more", n))
			return
		case sm.bounded && n > int64(sm.initial-sm.value):
			m.fail(s, q.ID, latchkey.ErrOverRelease)
			return
		case n > int64(math.MaxInt32-sm.value):
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: semaphore value overflow"))
			return
		}
		sm.value += int(n)
		if c := s.sems[sm] - int(n); c > 0 {
			s.sems[sm] = c
		} else {
			delete(s.sems, sm)
		}
		sm.wake(m)
		m.reply(s, q.ID, nil, nil)
	case wire.OpSemaphoreValue:
		if argc(m, s, q, 0, 0) {
			m.reply(s, q.ID, []int64{int64(sm.value)}, nil)
		}
	default:
		m.invalidOp(s, q)
	}
}

func (sm *semaphore) wake(m *machine) {
	for sm.value > 0 {
		w := sm.q.pop()
		if w == nil {
			return
		}
		f, died := sm.take(w.s)
		m.lockGranted(w, f, died)
	}
}

func (sm *semaphore) endSession(m *machine, s *session) {
	n, ok := s.sems[sm]
	if !ok {
		return
	}
	delete(s.sems, sm)
	if sm.bounded {
		n = min(n, sm.initial-sm.value)
	}
	if n > 0 {
		sm.value += n
		sm.died = true
		sm.wake(m)
	}
}

func (sm *semaphore) cancel(m *machine, w *waiter)              { m.cancelSimple(w) }
func (sm *semaphore) abandon(m *machine, w *waiter, reply bool) { m.abandonSimple(w, reply) }

func (sm *semaphore) save(e *snapEncoder) {
	e.int(sm.value)
	e.int(sm.initial)
	e.bool(sm.bounded)
	e.grants(sm.fence, sm.died, &sm.q)
}

func (sm *semaphore) restore(d *snapDecoder) {
	sm.value = d.int("value")
	sm.initial = d.int("initial")
	sm.bounded = d.bool("bounded")
	sm.fence, sm.died = d.grants(&sm.q, sm)
}
