package server

import (
	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// lockable is a lock a Condition can be bound to: a Lock or an RLock.
type lockable interface {
	// held reports whether h may wait on or notify a condition bound to
	// the lock: a Lock held by anybody, an RLock owned by h.
	held(h *handle) bool
	// acquire grants w (for handle w.lh, with recursion count
	// max(w.restore, 1)) at once if it can, else queues it. The grant is
	// reported through machine.lockGranted.
	acquire(m *machine, w *waiter)
	// tryAcquire takes the lock for h without waiting.
	tryAcquire(m *machine, h *handle, q *wire.Request)
	// releaseForWait releases the lock entirely for a Condition.Wait by h
	// and returns the recursion count to restore.
	releaseForWait(m *machine, h *handle) int
	// unlock releases one level of h's hold.
	unlock(m *machine, h *handle) error
	// release gives back h's holds, as on its owner's death.
	release(m *machine, h *handle)
}

// lockGranted answers waiter w, which has just been granted a lock with
// fence f (died: the previous holder died holding it).
func (m *machine) lockGranted(w *waiter, f uint64, died bool) {
	m.finish(w)
	switch {
	case w.op == wire.OpConditionWait && w.canceled:
		m.canceled(w.s, w.id)
	case w.op == wire.OpConditionWait:
		m.reply(w.s, w.id, nil, nil)
	case died:
		m.fail(w.s, w.id, latchkey.ErrOwnerDied, int64(f))
	default:
		m.reply(w.s, w.id, []int64{int64(f)}, nil)
	}
}

// grantNow answers q with a fresh grant of fence f.
func (m *machine) grantNow(s *session, q *wire.Request, f uint64, died bool) {
	if died {
		m.fail(s, q.ID, latchkey.ErrOwnerDied, int64(f))
		return
	}
	m.reply(s, q.ID, []int64{int64(f)}, nil)
}

// lock is a Lock: no owner, FIFO waiters, direct handoff on Unlock (the
// lock passes to the oldest waiter without becoming free, so a TryLock
// never overtakes a waiter). The handle that took it is recorded so that
// its session's end (or the handle's Close) releases it.
type lock struct {
	baseObject
	locked bool
	holder *handle // the handle that took the lock; nil when unlocked
	fence  uint64  // the latest grant's fence
	died   bool    // the last holder died holding it: the next grant reports OwnerDied
	q      waitList
}

func (l *lock) kind() wire.ObjectType { return wire.ObjectLock }
func (l *lock) waiters() int          { return l.q.len() }

func (l *lock) do(m *machine, h *handle, q *wire.Request) {
	if !argc(m, h.s, q, 0, 0) {
		return
	}
	switch q.Op {
	case wire.OpLockLock:
		l.acquire(m, m.wait(h, q, nil))
	case wire.OpLockTryLock:
		l.tryAcquire(m, h, q)
	case wire.OpLockUnlock:
		if err := l.unlock(m, h); err != nil {
			m.fail(h.s, q.ID, err)
			return
		}
		m.reply(h.s, q.ID, nil, nil)
	case wire.OpLockLocked:
		m.reply(h.s, q.ID, []int64{boolInt(l.locked)}, nil)
	default:
		m.invalidOp(h.s, q)
	}
}

func (l *lock) take(h *handle) (uint64, bool) {
	l.locked, l.holder = true, h
	l.fence++
	died := l.died
	l.died = false
	return l.fence, died
}

func (l *lock) wake(m *machine) {
	for !l.locked {
		w := l.q.pop()
		if w == nil {
			return
		}
		f, died := l.take(w.lh)
		m.lockGranted(w, f, died)
	}
}

func (l *lock) held(*handle) bool { return l.locked }

func (l *lock) acquire(m *machine, w *waiter) {
	if !l.locked && l.q.len() == 0 {
		f, died := l.take(w.lh)
		m.lockGranted(w, f, died)
		return
	}
	l.q.push(w)
}

func (l *lock) tryAcquire(m *machine, h *handle, q *wire.Request) {
	if l.locked || l.q.len() > 0 {
		m.fail(h.s, q.ID, latchkey.ErrLocked)
		return
	}
	f, died := l.take(h)
	m.grantNow(h.s, q, f, died)
}

func (l *lock) releaseForWait(m *machine, h *handle) int {
	_ = l.unlock(m, h)
	return 1
}

func (l *lock) unlock(m *machine, _ *handle) error {
	if !l.locked {
		return latchkey.ErrNotHeld
	}
	l.locked, l.holder = false, nil
	l.wake(m)
	return nil
}

func (l *lock) release(m *machine, h *handle) {
	if l.locked && l.holder == h {
		l.locked, l.holder, l.died = false, nil, true
		l.wake(m)
	}
}

func (l *lock) cancel(m *machine, w *waiter)              { m.cancelSimple(w) }
func (l *lock) abandon(m *machine, w *waiter, reply bool) { m.abandonSimple(w, reply) }

// rlock is an RLock: owned by a handle, with a recursion count; FIFO
// waiters and direct handoff as for lock.
type rlock struct {
	baseObject
	owner *handle // nil when free
	fence uint64  // the current (or latest) grant's fence
	died  bool
	q     waitList
}

func (r *rlock) kind() wire.ObjectType { return wire.ObjectRLock }
func (r *rlock) waiters() int          { return r.q.len() }

func (r *rlock) do(m *machine, h *handle, q *wire.Request) {
	if !argc(m, h.s, q, 0, 0) {
		return
	}
	switch q.Op {
	case wire.OpRLockLock:
		r.acquire(m, m.wait(h, q, nil))
	case wire.OpRLockTryLock:
		r.tryAcquire(m, h, q)
	case wire.OpRLockUnlock:
		if err := r.unlock(m, h); err != nil {
			m.fail(h.s, q.ID, err)
			return
		}
		m.reply(h.s, q.ID, nil, nil)
	case wire.OpRLockCount:
		n := 0
		if r.owner == h {
			n = h.rcount
		}
		m.reply(h.s, q.ID, []int64{int64(n)}, nil)
	default:
		m.invalidOp(h.s, q)
	}
}

func (r *rlock) take(h *handle, n int) (uint64, bool) {
	r.owner = h
	h.rcount = max(n, 1)
	r.fence++
	died := r.died
	r.died = false
	return r.fence, died
}

func (r *rlock) wake(m *machine) {
	for r.owner == nil {
		w := r.q.pop()
		if w == nil {
			return
		}
		f, died := r.take(w.lh, w.restore)
		m.lockGranted(w, f, died)
	}
}

func (r *rlock) held(h *handle) bool { return r.owner == h }

func (r *rlock) acquire(m *machine, w *waiter) {
	switch {
	case r.owner == w.lh:
		w.lh.rcount += max(w.restore, 1)
		m.lockGranted(w, r.fence, false)
	case r.owner == nil && r.q.len() == 0:
		f, died := r.take(w.lh, w.restore)
		m.lockGranted(w, f, died)
	default:
		r.q.push(w)
	}
}

func (r *rlock) tryAcquire(m *machine, h *handle, q *wire.Request) {
	switch {
	case r.owner == h:
		h.rcount++
		m.grantNow(h.s, q, r.fence, false)
	case r.owner == nil && r.q.len() == 0:
		f, died := r.take(h, 1)
		m.grantNow(h.s, q, f, died)
	default:
		m.fail(h.s, q.ID, latchkey.ErrLocked)
	}
}

func (r *rlock) releaseForWait(m *machine, h *handle) int {
	n := h.rcount
	r.owner, h.rcount = nil, 0
	r.wake(m)
	return n
}

func (r *rlock) unlock(m *machine, h *handle) error {
	if r.owner != h {
		return latchkey.ErrNotOwner
	}
	h.rcount--
	if h.rcount == 0 {
		r.owner = nil
		r.wake(m)
	}
	return nil
}

func (r *rlock) release(m *machine, h *handle) {
	if r.owner == h {
		r.owner, h.rcount, r.died = nil, 0, true
		r.wake(m)
	}
}

func (r *rlock) cancel(m *machine, w *waiter)              { m.cancelSimple(w) }
func (r *rlock) abandon(m *machine, w *waiter, reply bool) { m.abandonSimple(w, reply) }

// rwlock is an RWLock: many readers or one writer, holds per handle,
// waiters in arrival order with the readers at the head granted together.
type rwlock struct {
	baseObject
	readers int     // read holds over all handles
	writer  *handle // the write holder, or nil
	fence   uint64
	died    bool // a write holder died holding it
	q       waitList
}

func (rw *rwlock) kind() wire.ObjectType { return wire.ObjectRWLock }
func (rw *rwlock) waiters() int          { return rw.q.len() }

func (rw *rwlock) do(m *machine, h *handle, q *wire.Request) {
	if !argc(m, h.s, q, 0, 0) {
		return
	}
	switch q.Op {
	case wire.OpRWLockLock, wire.OpRWLockRLock:
		write := q.Op == wire.OpRWLockLock
		if rw.q.len() == 0 && rw.fits(write) {
			f, died := rw.take(h, write)
			m.grantNow(h.s, q, f, died)
			return
		}
		w := m.wait(h, q, &rw.q)
		w.write = write
	case wire.OpRWLockTryLock, wire.OpRWLockTryRLock:
		write := q.Op == wire.OpRWLockTryLock
		if rw.q.len() == 0 && rw.fits(write) {
			f, died := rw.take(h, write)
			m.grantNow(h.s, q, f, died)
			return
		}
		m.fail(h.s, q.ID, latchkey.ErrLocked)
	case wire.OpRWLockUnlock:
		if rw.writer != h {
			m.fail(h.s, q.ID, latchkey.ErrNotHeld)
			return
		}
		rw.writer, h.write = nil, false
		rw.wake(m)
		m.reply(h.s, q.ID, nil, nil)
	case wire.OpRWLockRUnlock:
		if h.reads == 0 {
			m.fail(h.s, q.ID, latchkey.ErrNotHeld)
			return
		}
		h.reads--
		rw.readers--
		rw.wake(m)
		m.reply(h.s, q.ID, nil, nil)
	default:
		m.invalidOp(h.s, q)
	}
}

func (rw *rwlock) fits(write bool) bool {
	return rw.writer == nil && (!write || rw.readers == 0)
}

func (rw *rwlock) take(h *handle, write bool) (uint64, bool) {
	rw.fence++
	if write {
		rw.writer, h.write = h, true
	} else {
		rw.readers++
		h.reads++
	}
	died := rw.died
	rw.died = false
	return rw.fence, died
}

func (rw *rwlock) wake(m *machine) {
	for rw.q.head != nil && rw.fits(rw.q.head.write) {
		w := rw.q.pop()
		f, died := rw.take(w.h, w.write)
		m.lockGranted(w, f, died)
	}
}

func (rw *rwlock) release(m *machine, h *handle) {
	if rw.writer == h {
		rw.writer, h.write, rw.died = nil, false, true
	}
	rw.readers -= h.reads
	h.reads = 0
	rw.wake(m)
}

func (rw *rwlock) cancel(m *machine, w *waiter) {
	m.cancelSimple(w)
	rw.wake(m) // a cancelled writer at the head may have held back readers
}

func (rw *rwlock) abandon(m *machine, w *waiter, reply bool) {
	m.abandonSimple(w, reply)
	rw.wake(m)
}

func (l *lock) save(e *snapEncoder) {
	e.bool(l.locked)
	e.handle(l.holder)
	e.grants(l.fence, l.died, &l.q)
}

func (l *lock) restore(d *snapDecoder) { l.restoreFor(d, l) }

// restoreFor is restore for a lock whose waiters are requests on home: the
// lock itself, or the Condition whose own lock it is.
func (l *lock) restoreFor(d *snapDecoder, home object) {
	l.locked = d.bool("locked")
	d.handleRef("holder", func(h *handle) { l.holder = h })
	l.fence, l.died = d.grants(&l.q, home)
}

func (r *rlock) save(e *snapEncoder) {
	e.handle(r.owner)
	e.grants(r.fence, r.died, &r.q)
}

func (r *rlock) restore(d *snapDecoder) {
	d.handleRef("owner", func(h *handle) { r.owner = h })
	r.fence, r.died = d.grants(&r.q, r)
}

func (rw *rwlock) save(e *snapEncoder) {
	e.int(rw.readers)
	e.handle(rw.writer)
	e.grants(rw.fence, rw.died, &rw.q)
}

func (rw *rwlock) restore(d *snapDecoder) {
	rw.readers = d.int("readers")
	d.handleRef("writer", func(h *handle) { rw.writer = h })
	rw.fence, rw.died = d.grants(&rw.q, rw)
}
