package shm

import (
	"bytes"
	"context"
	"runtime"

	"github.com/latchkey/latchkey"
)

var (
	_ latchkey.Queue       = (*Queue)(nil)
	_ latchkey.SimpleQueue = (*SimpleQueue)(nil)
)

// Queue sizes.
const (
	// DefaultQueueSize is the capacity, in messages, of a queue opened
	// with a MaxSize ≤ 0 (Python's unbounded queue; see [Queue]).
	DefaultQueueSize = 1024
	// DefaultMaxMessage is the largest message, in bytes, of a queue
	// opened with a MaxMessage ≤ 0, and of every queue the Manager's
	// Queue and SimpleQueue methods open.
	DefaultMaxMessage = 64 << 10

	maxQueueSize    = 1 << 24
	maxQueueMessage = 1 << 30
)

// A queue's body, its parameters, and its waiter kinds.
//
// The messages live in cells of a fixed size. ord is a ring of cell
// numbers: positions head to head+count-1 hold the stored messages, in
// the order they were put (a priority queue's are unordered). free is a
// stack of the cells that are free; cells from offQNew on were never
// used. A cell handed to a waiting getter is in neither: the getter's
// slot refers to it until the getter claims it. A Put writes its message
// into a free cell before the transaction that links the cell in, so a
// message is never seen half-written.
const (
	offQCount  = offBody      // uint64: stored messages
	offQHead   = offBody + 8  // uint64: ord position of the first stored message
	offQSeq    = offBody + 16 // uint64: the latest message's sequence number
	offQUnfin  = offBody + 24 // uint64: unfinished tasks
	offQShut   = offBody + 32 // uint64: 0, qShut or qShutNow
	offQResPut = offBody + 40 // uint64: room reserved for putters that were granted it
	offQNFree  = offBody + 48 // uint64: cells on the free stack
	offQNew    = offBody + 56 // uint64: the first never-used cell
	offQOrd    = offBody + 64 // [ncells]uint64 ring, then [ncells]uint64 free stack, then the cells

	cellLen  = 0  // uint64: the message's length
	cellSeq  = 8  // uint64: its sequence number
	cellData = 16 // the message

	qParamOrder   = 0 // latchkey.Order
	qParamCap     = 1 // capacity in messages
	qParamMaxMsg  = 2 // the largest message
	qParamMaxSize = 3 // the MaxSize asked for: 0 for unbounded

	qShut    = 1 // Shutdown
	qShutNow = 2 // Shutdown(immediate)

	qArgGet   = 1 // slotArg: a getter, granted the cell number + 1 (0: ErrShutDown)
	qArgPut   = 2 // a putter, granted 1 for room reserved (0: ErrShutDown)
	qArgJoin  = 3 // a Join
	qArgKindM = 0xff

	qSpinTries = 64 // looks at an empty queue before a Get waits
)

// queueCore is the shared state of a queue. Every change is made with the
// guard held.
type queueCore struct {
	r        *region
	order    latchkey.Order
	capacity uint64 // messages stored before Put waits
	maxMsg   uint64
	ncells   uint64 // capacity, and one for each waiter slot's handed message
	cellSize uint64
	cells    uintptr // offset of cell 0
}

// queueLayout returns the number of cells, the cell size, the offset of
// the cells and the file size of a queue.
func queueLayout(capacity, maxMsg uint64) (ncells, cellSize uint64, cells uintptr, size uint64) {
	ncells = capacity + numSlots
	cellSize = cellData + (maxMsg+7)&^7
	cells = (offQOrd + uintptr(16*ncells) + 63) &^ 63
	return ncells, cellSize, cells, uint64(cells) + ncells*cellSize
}

func newQueueCore(r *region) queueCore {
	c := queueCore{r: r, order: latchkey.Order(r.param(qParamOrder)), capacity: r.param(qParamCap), maxMsg: r.param(qParamMaxMsg)}
	c.ncells, c.cellSize, c.cells, _ = queueLayout(c.capacity, c.maxMsg)
	return c
}

func (c queueCore) ordOff(p uint64) uintptr  { return offQOrd + uintptr(p%c.ncells)*8 }
func (c queueCore) freeOff(k uint64) uintptr { return offQOrd + uintptr(c.ncells+k)*8 }
func (c queueCore) cellOff(n uint64) uintptr { return c.cells + uintptr(n*c.cellSize) }

// cellBytes returns the message in cell n, in the mapping.
func (c queueCore) cellBytes(n uint64) []byte {
	off := c.cellOff(n)
	l := min(*c.r.p64(off + cellLen), c.maxMsg)
	return c.r.data[off+cellData : off+cellData+uintptr(l)]
}

// alloc stages taking a free cell.
func (c queueCore) alloc(t *tx) uint64 {
	if nf := t.get(offQNFree); nf > 0 {
		t.set(offQNFree, nf-1)
		return t.get(c.freeOff(nf - 1))
	}
	n := t.get(offQNew)
	t.set(offQNew, n+1)
	return n
}

// release stages freeing cell n.
func (c queueCore) release(t *tx, n uint64) {
	nf := t.get(offQNFree)
	t.set(c.freeOff(nf), n)
	t.set(offQNFree, nf+1)
}

// room reports whether a Put may store a message now, waiters aside.
func (c queueCore) room(t *tx) bool {
	return t.get(offQCount)+t.get(offQResPut) < c.capacity && t.get(offQNew) < c.ncells+t.get(offQNFree)
}

// enter stages storing v as a new message, or handing it to the oldest
// waiting getter. Call with room for it.
func (c queueCore) enter(t *tx, v []byte) {
	n := c.alloc(t)
	seq := t.get(offQSeq) + 1
	t.set(offQSeq, seq)
	off := c.cellOff(n)
	*c.r.p64(off + cellLen) = uint64(len(v))
	*c.r.p64(off + cellSeq) = seq
	copy(c.r.data[off+cellData:], v)
	t.add(offQUnfin, 1)
	if i := t.oldestArg(qArgKindM, qArgGet); i >= 0 {
		t.grant(i, n+1, false)
		return
	}
	p := t.get(offQHead) + t.get(offQCount)
	t.set(c.ordOff(p), n)
	t.add(offQCount, 1)
	t.wakeOverflow()
}

// take stages removing the next stored message, in the queue's order, and
// returns its cell, which the caller releases. There must be one.
func (c queueCore) take(t *tx) uint64 {
	head, count := t.get(offQHead), t.get(offQCount)
	t.set(offQCount, count-1)
	switch c.order {
	case latchkey.LIFO:
		return t.get(c.ordOff(head + count - 1))
	case latchkey.Priority:
		best := head
		bn := t.get(c.ordOff(head))
		bb, bs := c.cellBytes(bn), *c.r.p64(c.cellOff(bn) + cellSeq)
		for p := head + 1; p < head+count; p++ {
			n := t.get(c.ordOff(p))
			b := c.cellBytes(n)
			cmp := bytes.Compare(b, bb)
			if cmp < 0 || cmp == 0 && *c.r.p64(c.cellOff(n) + cellSeq) < bs {
				best, bn, bb, bs = p, n, b, *c.r.p64(c.cellOff(n) + cellSeq)
			}
		}
		if best != head {
			t.set(c.ordOff(best), t.get(c.ordOff(head)))
		}
		t.set(offQHead, (head+1)%c.ncells)
		return bn
	}
	t.set(offQHead, (head+1)%c.ncells)
	return t.get(c.ordOff(head))
}

// giveBack stages putting the message in cell n back at the front of the
// stored ones: it was handed to a getter that never took it, when nothing
// was stored.
func (c queueCore) giveBack(t *tx, n uint64) {
	head := (t.get(offQHead) + c.ncells - 1) % c.ncells
	t.set(offQHead, head)
	t.set(c.ordOff(head), n)
	t.add(offQCount, 1)
}

// get returns a copy of the message in cell n and stages releasing the
// cell.
func (c queueCore) get(t *tx, n uint64) []byte {
	v := bytes.Clone(c.cellBytes(n))
	if v == nil {
		v = []byte{}
	}
	c.release(t, n)
	return v
}

// dispatch restores the queue's invariants after a change, one
// transaction per step: stored messages go to waiting getters, room goes
// to waiting putters, a shutdown wakes whom it fails, an immediate
// shutdown discards what is stored, and Joins return once no task is
// unfinished.
func (c queueCore) dispatch(t *tx) {
	t.wakeOverflow()
	shut := t.get(offQShut)
	for shut != qShutNow && t.get(offQCount) > 0 {
		i := t.oldestArg(qArgKindM, qArgGet)
		if i < 0 {
			break
		}
		t.grant(i, c.take(t)+1, false)
		t.commit()
	}
	if shut == 0 {
		for c.room(t) {
			i := t.oldestArg(qArgKindM, qArgPut)
			if i < 0 {
				break
			}
			t.add(offQResPut, 1)
			t.grant(i, 1, false)
			t.commit()
		}
	} else {
		c.grantAll(t, qArgPut, 0)
		for shut == qShutNow && t.get(offQCount) > 0 {
			t.fit(8)
			c.release(t, c.take(t))
			if u := t.get(offQUnfin); u > 0 {
				t.set(offQUnfin, u-1)
			}
		}
		t.commit()
		if t.get(offQCount) == 0 && t.get(offQResPut) == 0 {
			c.grantAll(t, qArgGet, 0)
		}
	}
	if t.get(offQUnfin) == 0 {
		c.grantAll(t, qArgJoin, 1)
	}
	t.commit()
}

// grantAll grants every waiter of kind, with fence.
func (c queueCore) grantAll(t *tx, kind, fence uint64) {
	for {
		i := t.oldestArg(qArgKindM, kind)
		if i < 0 {
			return
		}
		t.fit(3)
		t.grant(i, fence, false)
	}
}

func (c queueCore) reapGrant(t *tx, i int, _ uint64) {
	fence := t.get(slotOff(i, slotFence))
	switch t.get(slotOff(i, slotArg)) & qArgKindM {
	case qArgGet:
		if fence == 0 {
			return
		}
		// A message handed to a getter that died before taking it goes
		// back to the front, or is discarded after an immediate
		// shutdown.
		if t.get(offQShut) == qShutNow {
			c.release(t, fence-1)
			if u := t.get(offQUnfin); u > 0 {
				t.set(offQUnfin, u-1)
			}
			return
		}
		c.giveBack(t, fence-1)
	case qArgPut:
		if fence != 0 && t.get(offQResPut) > 0 {
			t.add(offQResPut, -1)
		}
	}
}

func (queueCore) reapHolder(*tx, uint64) {}

// suspects are the processes of grants not claimed yet (a message handed
// to a getter, room reserved for a putter): if such a process died, its
// grant must go back.
func (c queueCore) suspects(ids []uint64) []uint64 { return c.r.grantedTo(ids) }

// Queue is a bounded queue of byte messages in shared memory, shared by
// any processes on the host: the counterpart of Python's
// multiprocessing.Queue and JoinableQueue, with Python's queue.Queue
// semantics (see [latchkey.Queue]): FIFO, LIFO or priority order, task
// tracking with TaskDone and Join, and Python 3.13's Shutdown.
//
// A queue holds a fixed number of messages of a fixed largest size, both
// chosen when it is created ([QueueOptions]) and recorded in its file,
// which is sized for them (a file on a memory file system takes memory
// only for the pages written). A Put of a longer message returns
// [latchkey.ErrInvalid]. A queue opened with MaxSize ≤ 0 is Python's
// unbounded queue: Cap reports 0, and it holds [DefaultQueueSize]
// messages, a Put on it waiting (TryPut failing with ErrFull) when that
// many are stored. Messages are copied in and out: the caller may reuse
// what it passes and owns what it gets.
//
// # Order and fairness
//
// FIFO hands out the oldest message first, LIFO the newest, Priority the
// smallest by bytes.Compare, equal ones in the order they were put (a
// Priority Get looks at every stored message). Blocked Get and Put calls,
// in all processes, are each served in arrival order: a message put while
// getters wait is handed to the longest-waiting getter, and room made
// while putters wait is reserved for the longest-waiting putter. TryGet
// never takes a message a blocked getter is owed, and TryPut fails with
// ErrFull while putters wait or room is reserved, so no Try form
// overtakes a waiter. Before it waits, a Get looks at an empty queue a
// few times (yielding in between), so that a steady stream passes without
// sleeping.
//
// # Blocking and cancellation
//
// Put (on a full queue), Get (on an empty one) and Join (while tasks are
// unfinished) block until they can proceed or their ctx is done. A call
// whose ctx is already done returns ctx.Err() without acting. A call
// cancelled while blocked returns ctx.Err() and leaves the queue as it
// was: a cancelled Put stores nothing, a cancelled Get takes nothing. A
// call served at the moment its ctx ended completes: the Get returns the
// message handed to it, the Put stores its message in the room reserved
// for it. TryPut, TryGet, TaskDone, Unfinished, Len, Shutdown and Waiters
// do not block beyond a short internal critical section, and ignore ctx.
//
// # Processes that die
//
// A message is stored by one transaction that links in a cell already
// written: a process killed in the middle of a Put leaves either the
// whole message or none of it, never part. A Get removes its message in
// the transaction that also copies it out of shared memory; from then on
// the message is the caller's alone. So a process killed in Get before
// that transaction leaves the message in the queue, and one killed after
// it (in Get's return, or before it used what Get returned) has taken the
// message with it: it is lost, as it would be with a pipe, and its task
// stays unfinished until somebody calls TaskDone. Nothing is ever
// delivered twice. A message handed to a blocked getter whose process
// died before it woke goes back to the front of the queue, and room
// reserved for a putter that died goes to the next putter; blocked
// callers notice such deaths after a [Config].CheckInterval.
//
// # Memory model
//
// A Put synchronizes before the Get that returns its message, in
// whichever process. A TaskDone that brings the unfinished count to zero
// synchronizes before the Joins it lets return. Shutdown synchronizes
// before every call that fails with [latchkey.ErrShutDown] because of it.
//
// # Differences from Python
//
// Python's multiprocessing.Queue pickles objects in a feeder thread:
// its Put returns before the item is in the pipe (Len may miss it) and
// never reports a failure; here a Put has stored the message when it
// returns, and Len counts it. Python's queue is wedged for good by a
// process killed while it holds the reader lock; this one is not.
// Messages are bytes compared with bytes.Compare, not Python objects.
// An unbounded queue is bounded (see above), MaxSize and the largest
// message cannot change after creation, and timeouts are contexts, so
// there is no ValueError for a negative timeout and Join can be given
// up. Waiters are served strictly in arrival order, where Python lets a
// newcomer barge in. The errors are the root sentinels: ErrEmpty,
// ErrFull, ErrShutDown and ErrTaskDone for Python's Empty, Full,
// ShutDown and ValueError.
//
// A Queue handle is safe for concurrent use.
type Queue struct {
	c queueCore
}

// QueueOptions are a shared-memory queue's parameters, fixed when it is
// created and part of its identity: opening an existing queue with other
// options returns [latchkey.ErrMismatch].
type QueueOptions struct {
	// Order is the order messages come out in; the zero value is FIFO.
	Order latchkey.Order
	// MaxSize is the capacity in messages (at most 2²⁴); ≤ 0 means
	// Python's unbounded queue, which holds DefaultQueueSize messages.
	MaxSize int
	// MaxMessage is the largest message in bytes (at most 2³⁰); ≤ 0
	// means DefaultMaxMessage.
	MaxMessage int
}

// params validates o and returns the queue's parameters.
func (o QueueOptions) params() ([numParams]uint64, error) {
	var p [numParams]uint64
	switch o.Order {
	case latchkey.FIFO, latchkey.LIFO, latchkey.Priority:
	default:
		return p, latchkey.Errorf(latchkey.KindInvalid, "shm: unknown queue order %d", o.Order)
	}
	if o.MaxSize > maxQueueSize || o.MaxMessage > maxQueueMessage {
		return p, latchkey.Errorf(latchkey.KindInvalid, "shm: queue of %d messages of %d bytes is too large (at most %d of %d)",
			o.MaxSize, o.MaxMessage, maxQueueSize, maxQueueMessage)
	}
	capacity, maxSize := uint64(DefaultQueueSize), uint64(0)
	if o.MaxSize > 0 {
		capacity, maxSize = uint64(o.MaxSize), uint64(o.MaxSize)
	}
	maxMsg := uint64(DefaultMaxMessage)
	if o.MaxMessage > 0 {
		maxMsg = uint64(o.MaxMessage)
	}
	if _, _, _, size := queueLayout(capacity, maxMsg); size > maxFileSize {
		return p, latchkey.Errorf(latchkey.KindInvalid, "shm: queue of %d messages of %d bytes is too large", capacity, maxMsg)
	}
	p[qParamOrder], p[qParamCap], p[qParamMaxMsg], p[qParamMaxSize] = uint64(o.Order), capacity, maxMsg, maxSize
	return p, nil
}

// Put adds a copy of v, blocking while the queue is full (or other putters
// wait) until there is room or ctx is done. It counts one more unfinished
// task. After Shutdown it returns [latchkey.ErrShutDown], and a Put blocked
// when Shutdown is called is woken with it. A message longer than the
// queue's MaxMessage returns [latchkey.ErrInvalid].
func (q *Queue) Put(ctx context.Context, v []byte) error {
	r := q.c.r
	defer runtime.KeepAlive(r)
	if err := q.check(v); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var res error
	w, ok, err := r.queue(ctx, qArgPut, func(t *tx) bool {
		res = q.tryPut(t, v)
		return res != latchkey.ErrFull
	})
	if err != nil || ok {
		return firstErr(err, res)
	}
	res = nil
	_, _, err = r.settle(ctx, w, func(t *tx, fence uint64, granted, _ bool) {
		switch {
		case granted && fence != 0:
			t.add(offQResPut, -1)
			if t.get(offQShut) != qShutNow {
				q.c.enter(t, v)
			}
			// After an immediate Shutdown, the message is discarded
			// at once, as Shutdown would have done had it been
			// stored.
			t.commit()
			q.c.dispatch(t)
		case granted:
			res = latchkey.ErrShutDown
		}
	})
	return firstErr(err, res)
}

// TryPut adds a copy of v if there is room and no Put is waiting, and
// returns [latchkey.ErrFull] otherwise ([latchkey.ErrShutDown] after
// Shutdown).
func (q *Queue) TryPut(_ context.Context, v []byte) error {
	r := q.c.r
	defer runtime.KeepAlive(r)
	if err := q.check(v); err != nil {
		return err
	}
	r.lockGuard()
	defer r.unlockGuard()
	t := r.begin()
	err := q.tryPut(t, v)
	t.commit()
	return err
}

// tryPut stores v, or reports why it cannot: ErrShutDown, or ErrFull if
// Put must wait (putters wait already, or there is no room).
func (q *Queue) tryPut(t *tx, v []byte) error {
	switch {
	case t.get(offQShut) != 0:
		return latchkey.ErrShutDown
	case t.oldestArg(qArgKindM, qArgPut) >= 0 || !q.c.room(t):
		return latchkey.ErrFull
	}
	q.c.enter(t, v)
	return nil
}

// check returns ErrInvalid if v is too long for the queue.
func (q *Queue) check(v []byte) error {
	if uint64(len(v)) > q.c.maxMsg {
		return latchkey.Errorf(latchkey.KindInvalid, "shm: message of %d bytes is longer than queue %q's maximum of %d", len(v), q.c.r.name, q.c.maxMsg)
	}
	return nil
}

// tryGet takes the next stored message, or reports why it cannot: errEmpty
// if Get must wait.
func (q *Queue) tryGet(t *tx) ([]byte, error) {
	shut := t.get(offQShut)
	switch {
	case shut == qShutNow:
		return nil, latchkey.ErrShutDown
	case t.get(offQCount) > 0:
		v := q.c.get(t, q.c.take(t))
		t.commit()
		q.c.dispatch(t)
		return v, nil
	case shut != 0 && t.get(offQResPut) == 0:
		return nil, latchkey.ErrShutDown
	}
	return nil, latchkey.ErrEmpty
}

// Get removes and returns the next message, blocking while the queue is
// empty until a message comes or ctx is done. After Shutdown it returns
// the messages left, then [latchkey.ErrShutDown]; a Get blocked on the
// empty queue when Shutdown is called is woken with it. After an
// immediate Shutdown there are no messages left.
func (q *Queue) Get(ctx context.Context) ([]byte, error) {
	r := q.c.r
	defer runtime.KeepAlive(r)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// A queue emptied for a moment is cheaper to wait for awake. Looking
	// never overtakes a waiter: messages are stored only while no getter
	// waits.
	for range qSpinTries {
		if r.u64(offQCount).Load() != 0 || r.u64(offQShut).Load() != 0 {
			break
		}
		runtime.Gosched()
	}
	var v []byte
	var res error
	w, ok, err := r.queue(ctx, qArgGet, func(t *tx) bool {
		v, res = q.tryGet(t)
		return res != latchkey.ErrEmpty
	})
	if err != nil || ok {
		return v, firstErr(err, res)
	}
	res = nil
	_, _, err = r.settle(ctx, w, func(t *tx, fence uint64, granted, _ bool) {
		switch {
		case granted && fence != 0:
			v = q.c.get(t, fence-1)
			t.commit()
			q.c.dispatch(t)
		case granted:
			res = latchkey.ErrShutDown
		}
	})
	if err != nil {
		return nil, err
	}
	return v, res
}

// TryGet removes and returns the next message if there is one, and
// returns [latchkey.ErrEmpty] otherwise ([latchkey.ErrShutDown] once the
// queue is shut down and empty).
func (q *Queue) TryGet(context.Context) ([]byte, error) {
	r := q.c.r
	defer runtime.KeepAlive(r)
	r.lockGuard()
	defer r.unlockGuard()
	return q.tryGet(r.begin())
}

// Len returns the number of messages stored (a snapshot).
func (q *Queue) Len(context.Context) (int, error) {
	defer runtime.KeepAlive(q.c.r)
	return int(q.c.r.u64(offQCount).Load()), nil
}

// Cap returns the queue's MaxSize: 0 for a queue opened unbounded.
func (q *Queue) Cap() int { return int(q.c.r.param(qParamMaxSize)) }

// MaxMessage returns the largest message the queue takes, in bytes.
func (q *Queue) MaxMessage() int { return int(q.c.maxMsg) }

// TaskDone marks one unfinished task done; when none is left it wakes
// every Join. Called more often than messages were put, it returns
// [latchkey.ErrTaskDone] and changes nothing.
func (q *Queue) TaskDone(context.Context) error {
	r := q.c.r
	defer runtime.KeepAlive(r)
	r.lockGuard()
	defer r.unlockGuard()
	t := r.begin()
	u := t.get(offQUnfin)
	if u == 0 {
		return latchkey.ErrTaskDone
	}
	t.set(offQUnfin, u-1)
	t.commit()
	if u == 1 {
		q.c.dispatch(t)
	}
	return nil
}

// Join blocks until every message put has been marked done with TaskDone
// (or discarded by an immediate Shutdown), or ctx is done. It returns at
// once when no task is unfinished.
func (q *Queue) Join(ctx context.Context) error {
	r := q.c.r
	defer runtime.KeepAlive(r)
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.u64(offQUnfin).Load() == 0 {
		return nil
	}
	w, ok, err := r.queue(ctx, qArgJoin, func(t *tx) bool { return t.get(offQUnfin) == 0 })
	if err != nil || ok {
		return err
	}
	_, _, err = r.settle(ctx, w, nil)
	return err
}

// Unfinished returns the number of tasks not yet marked done (Python's
// unfinished_tasks).
func (q *Queue) Unfinished(context.Context) (int, error) {
	defer runtime.KeepAlive(q.c.r)
	return int(q.c.r.u64(offQUnfin).Load()), nil
}

// Shutdown shuts the queue down, as Python 3.13's Queue.shutdown: later
// Puts fail with [latchkey.ErrShutDown] and blocked Puts are woken with
// it; Gets return the messages left and then fail with ErrShutDown, and
// Gets blocked on the empty queue are woken with it. With immediate, the
// messages left are discarded at once, each counted as a task done, and
// Joins return once no task is unfinished. Shutdown may be called again,
// and an immediate Shutdown may follow a plain one. It always returns
// nil.
func (q *Queue) Shutdown(_ context.Context, immediate bool) error {
	r := q.c.r
	defer runtime.KeepAlive(r)
	r.lockGuard()
	defer r.unlockGuard()
	t := r.begin()
	shut := uint64(qShut)
	if immediate {
		shut = qShutNow
	}
	t.set(offQShut, max(t.get(offQShut), shut))
	t.commit()
	q.c.dispatch(t)
	return nil
}

// Waiters returns the number of Get, Put and Join calls blocked on the
// queue, in every process (a snapshot).
func (q *Queue) Waiters() int {
	defer runtime.KeepAlive(q.c.r)
	return q.c.r.waiters()
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.c.r.name }

// firstErr returns a if it is not nil, else b.
func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// SimpleQueue is a FIFO queue of byte messages in shared memory with the
// API of Python's queue.SimpleQueue (see [latchkey.SimpleQueue]): a
// [Queue] of [DefaultQueueSize] messages of at most [DefaultMaxMessage]
// bytes without task tracking or shutdown, under a kind of its own (a
// name opened as a Queue and as a SimpleQueue is
// [latchkey.ErrMismatch]). Unlike Python's, its Put waits for room when
// DefaultQueueSize messages are stored. Blocking, cancellation, fairness
// and processes that die are as for Queue.
//
// A SimpleQueue handle is safe for concurrent use. A Put synchronizes
// before the Get that returns its message.
type SimpleQueue struct {
	q Queue
}

// Put appends a copy of v, waiting while the queue is full.
func (s *SimpleQueue) Put(ctx context.Context, v []byte) error { return s.q.Put(ctx, v) }

// Get removes and returns the oldest message, blocking while the queue is
// empty until a message comes or ctx is done.
func (s *SimpleQueue) Get(ctx context.Context) ([]byte, error) { return s.q.Get(ctx) }

// TryGet removes and returns the oldest message if there is one, and
// returns [latchkey.ErrEmpty] otherwise.
func (s *SimpleQueue) TryGet(ctx context.Context) ([]byte, error) { return s.q.TryGet(ctx) }

// Len returns the number of messages stored (a snapshot).
func (s *SimpleQueue) Len(ctx context.Context) (int, error) { return s.q.Len(ctx) }

// Waiters returns the number of Get and Put calls blocked on the queue,
// in every process (a snapshot).
func (s *SimpleQueue) Waiters() int { return s.q.Waiters() }

// Name returns the queue's name.
func (s *SimpleQueue) Name() string { return s.q.Name() }
