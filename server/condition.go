package server

import (
	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// condition is a Condition bound to a Lock or RLock object, or to a Lock
// of its own. Waiters are notified oldest first; a notified (or
// cancelled) waiter queues for the lock again, and its Wait is answered
// once it holds it.
type condition struct {
	baseObject
	own   *lock  // the condition's own lock, or nil
	bound object // the bound Lock or RLock object, or nil
	q     waitList
}

// boundHandle returns the Lock or RLock handle id p names in s.
func boundHandle(s *session, p int64) (*handle, error) {
	h := s.handles[uint64(p)]
	if h == nil || h.typ != wire.ObjectLock && h.typ != wire.ObjectRLock {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "server: condition lock %d is not an open Lock or RLock handle of the session", p)
	}
	return h, nil
}

func newCondition(s *session, p []int64) (object, error) {
	if p[0] == 0 {
		return &condition{own: new(lock)}, nil
	}
	h, err := boundHandle(s, p[0])
	if err != nil {
		return nil, err
	}
	return &condition{bound: h.obj}, nil
}

func (c *condition) kind() wire.ObjectType { return wire.ObjectCondition }
func (c *condition) waiters() int          { return c.q.len() }

func (c *condition) sameParams(_ *machine, s *session, p []int64) error {
	if len(p) != 1 {
		return latchkey.Errorf(latchkey.KindInvalid, "server: a Condition takes 1 parameter, got %d", len(p))
	}
	if p[0] == 0 {
		if c.own == nil {
			return latchkey.Errorf(latchkey.KindMismatch, "server: condition is bound to another lock")
		}
		return nil
	}
	h, err := boundHandle(s, p[0])
	if err != nil {
		return err
	}
	if c.bound != h.obj {
		return latchkey.Errorf(latchkey.KindMismatch, "server: condition is bound to another lock")
	}
	return nil
}

// locker returns the lock and the handle h acts on it as.
func (c *condition) locker(h *handle) (lockable, *handle) {
	if c.own != nil {
		return c.own, h
	}
	return c.bound.(lockable), h.bound
}

func (c *condition) do(m *machine, h *handle, q *wire.Request) {
	s := h.s
	lk, lh := c.locker(h)
	if lh != nil && lh != h && lh.s.handles[lh.id] != lh {
		m.fail(s, q.ID, latchkey.Errorf(latchkey.KindClosed, "server: the condition's lock handle %d is closed", lh.id))
		return
	}
	wantInts := 0
	if q.Op == wire.OpConditionNotify {
		wantInts = 1
	}
	if !argc(m, s, q, wantInts, 0) {
		return
	}
	switch q.Op {
	case wire.OpConditionLock:
		w := m.wait(h, q, nil)
		w.lh = lh
		lk.acquire(m, w)
	case wire.OpConditionTryLock:
		lk.tryAcquire(m, lh, q)
	case wire.OpConditionUnlock:
		if err := lk.unlock(m, lh); err != nil {
			m.fail(s, q.ID, err)
			return
		}
		m.reply(s, q.ID, nil, nil)
	case wire.OpConditionWait:
		if !lk.held(lh) {
			m.fail(s, q.ID, latchkey.ErrNotHeld)
			return
		}
		w := m.wait(h, q, &c.q)
		w.lh = lh
		w.restore = lk.releaseForWait(m, lh)
	case wire.OpConditionNotify, wire.OpConditionNotifyAll:
		if !lk.held(lh) {
			m.fail(s, q.ID, latchkey.ErrNotHeld)
			return
		}
		n := int64(c.q.len())
		if q.Op == wire.OpConditionNotify {
			n = min(n, q.Ints[0])
		}
		for ; n > 0; n-- {
			w := c.q.pop()
			w.notified = true
			lk.acquire(m, w)
		}
		m.reply(s, q.ID, nil, nil)
	default:
		m.invalidOp(s, q)
	}
}

func (c *condition) cancel(m *machine, w *waiter) {
	switch {
	case w.op != wire.OpConditionWait:
		m.cancelSimple(w)
	case !w.notified:
		c.q.remove(w)
		w.notified, w.canceled = true, true
		lk, _ := c.locker(w.h)
		lk.acquire(m, w)
	}
	// A notified Wait re-acquiring the lock ignores the cancel (Python
	// re-acquires without a deadline); its notification stands.
}

func (c *condition) abandon(m *machine, w *waiter, reply bool) { m.abandonSimple(w, reply) }

func (c *condition) release(m *machine, h *handle) {
	if c.own != nil {
		c.own.release(m, h)
	}
}

func (c *condition) save(e *snapEncoder) {
	e.bool(c.own != nil)
	if c.own != nil {
		c.own.save(e)
	} else {
		e.object(c.bound)
	}
	e.waitList(&c.q)
}

func (c *condition) restore(d *snapDecoder) {
	if d.bool("own lock") {
		c.own = new(lock)
		c.own.restoreFor(d, c)
	} else {
		d.objectLater("bound lock", func(o object) {
			switch o.(type) {
			case *lock, *rlock:
				c.bound = o
			default:
				d.fail("bound lock", "a %v, not a Lock or RLock", o.kind())
			}
		})
	}
	d.waitList("waiters", &c.q, c)
}
