package server

import (
	"errors"
	"fmt"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// harness drives a machine and records every response by session and
// request id.
type harness struct {
	t      testing.TB
	m      *machine
	nextID uint64
	resp   map[uint64]map[uint64]*wire.Response // session → request id → response
}

func newHarness(t testing.TB) *harness {
	return &harness{t: t, m: newMachine(machineLimits{maxHandles: 100, maxPending: 100}), resp: make(map[uint64]map[uint64]*wire.Response)}
}

func (x *harness) open(sid uint64) {
	x.m.openSession(sid, 0)
	x.resp[sid] = make(map[uint64]*wire.Response)
}

func (x *harness) collect() {
	for _, o := range x.m.takeOutputs() {
		r, ok := o.frame.(*wire.Response)
		if !ok {
			continue
		}
		if _, dup := x.resp[o.session][r.ID]; dup {
			x.t.Fatalf("session %d: second response to request %d", o.session, r.ID)
		}
		x.resp[o.session][r.ID] = r
	}
}

// send sends a request and returns its id.
func (x *harness) send(sid uint64, op wire.Op, h uint64, name string, ints []int64, bs ...[]byte) uint64 {
	x.t.Helper()
	x.nextID++
	q := &wire.Request{ID: x.nextID, Op: op, Object: op.Object(), Handle: h, Name: name, Ints: ints, Bytes: bs}
	if s := x.m.sessions[sid]; op == wire.OpClose && s != nil && s.handles[h] != nil {
		q.Object = s.handles[h].typ
	}
	if err := x.m.request(sid, q); err != nil {
		x.t.Fatalf("request %v: %v", op, err)
	}
	x.collect()
	return x.nextID
}

// got returns the response to request id of sid, or nil if pending.
func (x *harness) got(sid, id uint64) *wire.Response { return x.resp[sid][id] }

// call sends a request that must be answered at once and returns the response.
func (x *harness) call(sid uint64, op wire.Op, h uint64, name string, ints []int64, bs ...[]byte) *wire.Response {
	x.t.Helper()
	id := x.send(sid, op, h, name, ints, bs...)
	r := x.got(sid, id)
	if r == nil {
		x.t.Fatalf("session %d: %v on %q is pending, want an immediate answer", sid, op, name)
	}
	return r
}

// ok is call that must succeed.
func (x *harness) ok(sid uint64, op wire.Op, h uint64, name string, ints []int64, bs ...[]byte) *wire.Response {
	x.t.Helper()
	r := x.call(sid, op, h, name, ints, bs...)
	if err := r.Err(); err != nil {
		x.t.Fatalf("session %d: %v on %q: %v", sid, op, name, err)
	}
	return r
}

// fails is call that must fail with want.
func (x *harness) fails(sid uint64, op wire.Op, h uint64, name string, want error, ints []int64, bs ...[]byte) *wire.Response {
	x.t.Helper()
	r := x.call(sid, op, h, name, ints, bs...)
	if err := r.Err(); !errors.Is(err, want) {
		x.t.Fatalf("session %d: %v on %q: err %v, want %v", sid, op, name, err, want)
	}
	return r
}

// openObj opens handle h of session sid on name.
func (x *harness) openObj(sid, h uint64, t wire.ObjectType, name string, params ...int64) {
	x.t.Helper()
	x.nextID++
	q := &wire.Request{ID: x.nextID, Op: wire.OpOpen, Object: t, Handle: h, Name: name, Ints: params}
	if err := x.m.request(sid, q); err != nil {
		x.t.Fatal(err)
	}
	x.collect()
	if err := x.got(sid, x.nextID).Err(); err != nil {
		x.t.Fatalf("open %v %q: %v", t, name, err)
	}
}

func (x *harness) waiters(name string) int {
	return x.m.objects[name].waiters()
}

func (x *harness) pendingCheck(sid, id uint64) {
	x.t.Helper()
	if r := x.got(sid, id); r != nil {
		x.t.Fatalf("request %d of session %d answered %v, want pending", id, sid, r.Err())
	}
}

func TestLockHandoffFencesAndCancel(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectLock, "l")
	x.openObj(2, 1, wire.ObjectLock, "l")
	f1 := x.ok(1, wire.OpLockLock, 1, "l", nil).Ints[0]
	x.fails(2, wire.OpLockTryLock, 1, "l", latchkey.ErrLocked, nil)
	w1 := x.send(2, wire.OpLockLock, 1, "l", nil)
	w2 := x.send(2, wire.OpLockLock, 1, "l", nil)
	x.pendingCheck(2, w1)
	if n := x.waiters("l"); n != 2 {
		t.Fatalf("waiters = %d, want 2", n)
	}
	x.m.cancel(2, w1)
	x.collect()
	if r := x.got(2, w1); r == nil || r.Status != wire.StatusCanceled {
		t.Fatalf("cancelled lock: %+v", r)
	}
	// Another session may unlock a Lock (no owner).
	x.ok(2, wire.OpLockUnlock, 1, "l", nil)
	r := x.got(2, w2)
	if r == nil || r.Err() != nil || r.Ints[0] <= f1 {
		t.Fatalf("handoff: %+v, first fence %d", r, f1)
	}
	x.fails(1, wire.OpLockTryLock, 1, "l", latchkey.ErrLocked, nil)
	x.ok(1, wire.OpLockUnlock, 1, "l", nil)
	x.fails(1, wire.OpLockUnlock, 1, "l", latchkey.ErrNotHeld, nil)
	x.m.cancel(2, w2) // completed: ignored
	x.collect()
	if x.waiters("l") != 0 {
		t.Fatal("ghost waiter")
	}
}

func TestLockSessionEndReleasesWithOwnerDied(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectLock, "l")
	x.openObj(2, 7, wire.ObjectLock, "l")
	f := x.ok(1, wire.OpLockLock, 1, "l", nil).Ints[0]
	w := x.send(2, wire.OpLockLock, 7, "l", nil)
	x.m.endSession(1)
	x.collect()
	r := x.got(2, w)
	if r == nil || !errors.Is(r.Err(), latchkey.ErrOwnerDied) || len(r.Ints) != 1 || r.Ints[0] <= f {
		t.Fatalf("after owner death: %+v", r)
	}
	x.ok(2, wire.OpLockUnlock, 7, "l", nil)
	// The next grant is a plain one.
	x.ok(2, wire.OpLockTryLock, 7, "l", nil)
}

func TestLockUnlockedByOtherSessionNotReleasedAgain(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectLock, "l")
	x.openObj(2, 1, wire.ObjectLock, "l")
	x.ok(1, wire.OpLockLock, 1, "l", nil)
	x.ok(2, wire.OpLockUnlock, 1, "l", nil)
	x.ok(2, wire.OpLockLock, 1, "l", nil)
	x.m.endSession(1)
	x.collect()
	if r := x.ok(2, wire.OpLockLocked, 1, "l", nil); r.Ints[0] != 1 {
		t.Fatal("session 1's end released session 2's lock")
	}
}

func TestWaiterOfDeadSessionRemoved(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectQueue, "q", 0, 0)
	x.openObj(2, 1, wire.ObjectQueue, "q", 0, 0)
	w := x.send(2, wire.OpQueueGet, 1, "q", nil)
	x.pendingCheck(2, w)
	x.m.endSession(2)
	x.collect()
	if x.waiters("q") != 0 {
		t.Fatal("ghost waiter")
	}
	x.ok(1, wire.OpQueuePut, 1, "q", nil, []byte("a"))
	if r := x.ok(1, wire.OpQueueLen, 1, "q", nil); r.Ints[0] != 1 {
		t.Fatalf("len = %d, want 1: the ghost took the item", r.Ints[0])
	}
}

func TestRLock(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectRLock, "r")
	x.openObj(1, 2, wire.ObjectRLock, "r")
	x.openObj(2, 1, wire.ObjectRLock, "r")
	f := x.ok(1, wire.OpRLockLock, 1, "r", nil).Ints[0]
	if g := x.ok(1, wire.OpRLockTryLock, 1, "r", nil).Ints[0]; g != f {
		t.Fatalf("reentrant fence %d, want %d", g, f)
	}
	if n := x.ok(1, wire.OpRLockCount, 1, "r", nil).Ints[0]; n != 2 {
		t.Fatalf("count %d", n)
	}
	x.fails(1, wire.OpRLockUnlock, 2, "r", latchkey.ErrNotOwner, nil)
	x.fails(1, wire.OpRLockTryLock, 2, "r", latchkey.ErrLocked, nil)
	w := x.send(2, wire.OpRLockLock, 1, "r", nil)
	x.ok(1, wire.OpRLockUnlock, 1, "r", nil)
	x.pendingCheck(2, w)
	x.m.endSession(1) // releases the whole count
	x.collect()
	if r := x.got(2, w); r == nil || !errors.Is(r.Err(), latchkey.ErrOwnerDied) {
		t.Fatalf("got %+v", r)
	}
	if n := x.ok(2, wire.OpRLockCount, 1, "r", nil).Ints[0]; n != 1 {
		t.Fatalf("count %d", n)
	}
}

func TestRWLock(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	for h := uint64(1); h <= 4; h++ {
		x.openObj(1, h, wire.ObjectRWLock, "rw")
	}
	x.ok(1, wire.OpRWLockRLock, 1, "rw", nil)
	x.ok(1, wire.OpRWLockTryRLock, 2, "rw", nil)
	w := x.send(1, wire.OpRWLockLock, 3, "rw", nil)
	x.fails(1, wire.OpRWLockTryRLock, 4, "rw", latchkey.ErrLocked, nil) // a writer waits
	r4 := x.send(1, wire.OpRWLockRLock, 4, "rw", nil)
	x.fails(1, wire.OpRWLockUnlock, 1, "rw", latchkey.ErrNotHeld, nil)
	x.ok(1, wire.OpRWLockRUnlock, 1, "rw", nil)
	x.ok(1, wire.OpRWLockRUnlock, 2, "rw", nil)
	if x.got(1, w) == nil || x.got(1, r4) != nil {
		t.Fatal("writer not granted first")
	}
	x.ok(1, wire.OpRWLockUnlock, 3, "rw", nil)
	if x.got(1, r4) == nil {
		t.Fatal("reader not granted")
	}
	// Cancelling a writer at the head lets the readers behind it in.
	x.openObj(1, 5, wire.ObjectRWLock, "rw")
	w5 := x.send(1, wire.OpRWLockLock, 5, "rw", nil)
	r1 := x.send(1, wire.OpRWLockRLock, 1, "rw", nil)
	x.pendingCheck(1, r1)
	x.m.cancel(1, w5)
	x.collect()
	if r := x.got(1, r1); r == nil || r.Err() != nil {
		t.Fatalf("reader behind a cancelled writer: %+v", r)
	}
}

func TestSemaphoreSessionEnd(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectSemaphore, "s", 2, 1)
	x.openObj(2, 1, wire.ObjectSemaphore, "s", 2, 1)
	x.fails(2, wire.OpOpen, 2, "s", latchkey.ErrMismatch, []int64{3, 1})
	x.ok(1, wire.OpSemaphoreAcquire, 1, "s", nil)
	x.ok(1, wire.OpSemaphoreAcquire, 1, "s", nil)
	x.fails(2, wire.OpSemaphoreTryAcquire, 1, "s", latchkey.ErrNoPermit, nil)
	w := x.send(2, wire.OpSemaphoreAcquire, 1, "s", nil)
	x.ok(1, wire.OpSemaphoreRelease, 1, "s", []int64{1})
	if r := x.got(2, w); r == nil || r.Err() != nil {
		t.Fatalf("waiter: %+v", r)
	}
	x.fails(2, wire.OpSemaphoreRelease, 1, "s", latchkey.ErrInvalid, []int64{0})
	x.m.endSession(1) // gives back its 1 net permit
	x.collect()
	if v := x.ok(2, wire.OpSemaphoreValue, 1, "s", nil).Ints[0]; v != 1 {
		t.Fatalf("value %d, want 1", v)
	}
	x.ok(2, wire.OpSemaphoreRelease, 1, "s", []int64{1})
	x.fails(2, wire.OpSemaphoreRelease, 1, "s", latchkey.ErrOverRelease, []int64{1})
}

func TestSemaphoreBoundedGiveBackCapped(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectSemaphore, "s", 1, 1)
	x.openObj(2, 1, wire.ObjectSemaphore, "s", 1, 1)
	x.ok(1, wire.OpSemaphoreAcquire, 1, "s", nil)
	x.ok(2, wire.OpSemaphoreRelease, 1, "s", []int64{1}) // someone else gave it back
	x.m.endSession(1)
	x.collect()
	if v := x.ok(2, wire.OpSemaphoreValue, 1, "s", nil).Ints[0]; v != 1 {
		t.Fatalf("value %d, want 1 (no over-release)", v)
	}
}

func TestConditionWaitNotifyCancel(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectCondition, "c", 0)
	x.openObj(2, 1, wire.ObjectCondition, "c", 0)
	x.fails(1, wire.OpConditionWait, 1, "c", latchkey.ErrNotHeld, nil)
	x.ok(1, wire.OpConditionLock, 1, "c", nil)
	w := x.send(1, wire.OpConditionWait, 1, "c", nil)
	x.ok(2, wire.OpConditionLock, 1, "c", nil) // Wait released it
	if x.waiters("c") != 1 {
		t.Fatal("waiters")
	}
	x.ok(2, wire.OpConditionNotify, 1, "c", []int64{1})
	x.pendingCheck(1, w) // needs the lock back
	x.ok(2, wire.OpConditionUnlock, 1, "c", nil)
	if r := x.got(1, w); r == nil || r.Err() != nil {
		t.Fatalf("wait: %+v", r)
	}
	// Cancel: stops waiting, re-acquires, then answers status 2.
	w = x.send(1, wire.OpConditionWait, 1, "c", nil)
	x.ok(2, wire.OpConditionLock, 1, "c", nil)
	x.m.cancel(1, w)
	x.collect()
	x.pendingCheck(1, w)
	x.ok(2, wire.OpConditionUnlock, 1, "c", nil)
	if r := x.got(1, w); r == nil || r.Status != wire.StatusCanceled {
		t.Fatalf("cancelled wait: %+v", r)
	}
	if x.waiters("c") != 0 {
		t.Fatal("ghost")
	}
}

func TestConditionDeadWaiterDoesNotWedge(t *testing.T) {
	// Python's manager: a notify wakes the dead waiter, which takes the
	// lock forever. Here the dead session's waiter is gone.
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectRLock, "r")
	x.openObj(1, 2, wire.ObjectCondition, "c", 1)
	x.openObj(2, 1, wire.ObjectRLock, "r")
	x.openObj(2, 2, wire.ObjectCondition, "c", 1)
	x.fails(2, wire.OpOpen, 3, "c", latchkey.ErrMismatch, []int64{0})
	x.ok(1, wire.OpConditionLock, 2, "c", nil)
	x.ok(1, wire.OpConditionLock, 2, "c", nil) // count 2
	x.send(1, wire.OpConditionWait, 2, "c", nil)
	x.ok(2, wire.OpConditionLock, 2, "c", nil)
	x.m.endSession(1)
	x.collect()
	x.ok(2, wire.OpConditionNotifyAll, 2, "c", nil)
	x.ok(2, wire.OpConditionUnlock, 2, "c", nil)
	x.ok(2, wire.OpRLockTryLock, 1, "r", nil)
	// A holder that dies releases the condition's lock.
	x.open(3)
	x.openObj(3, 1, wire.ObjectRLock, "r")
	x.openObj(3, 2, wire.ObjectCondition, "c", 1)
	w := x.send(3, wire.OpConditionLock, 2, "c", nil)
	x.m.endSession(2)
	x.collect()
	if r := x.got(3, w); r == nil || !errors.Is(r.Err(), latchkey.ErrOwnerDied) {
		t.Fatalf("got %+v", r)
	}
	// Notified waiter restores its recursion count.
	x.ok(3, wire.OpConditionLock, 2, "c", nil)
	w = x.send(3, wire.OpConditionWait, 2, "c", nil)
	x.open(4)
	x.openObj(4, 1, wire.ObjectCondition, "own", 0)
	_ = w
	if n := x.ok(3, wire.OpRLockCount, 1, "r", nil).Ints[0]; n != 0 {
		t.Fatalf("count during wait %d", n)
	}
}

func TestBarrier(t *testing.T) {
	x := newHarness(t)
	for s := uint64(1); s <= 3; s++ {
		x.open(s)
		x.openObj(s, 1, wire.ObjectBarrier, "b", 3)
	}
	x.fails(1, wire.OpOpen, 2, "b", latchkey.ErrMismatch, []int64{2})
	a := x.send(1, wire.OpBarrierWait, 1, "b", []int64{0})
	b := x.send(2, wire.OpBarrierWait, 1, "b", []int64{0})
	if x.waiters("b") != 2 {
		t.Fatal("waiters")
	}
	c := x.send(3, wire.OpBarrierWait, 1, "b", []int64{1})
	rc := x.got(3, c)
	if rc == nil || rc.Ints[0] != 2 || rc.Ints[1] != 1 {
		t.Fatalf("last party: %+v", rc)
	}
	x.pendingCheck(1, a)
	// A party arriving while the action runs waits for the next cycle.
	d := x.send(1, wire.OpBarrierWait, 1, "b", []int64{0})
	x.ok(3, wire.OpBarrierActionDone, 1, "b", []int64{1})
	if r := x.got(1, a); r == nil || r.Err() != nil || r.Ints[0] != 0 {
		t.Fatalf("a: %+v", r)
	}
	if r := x.got(2, b); r == nil || r.Ints[0] != 1 {
		t.Fatalf("b: %+v", r)
	}
	x.pendingCheck(1, d)
	if n := x.ok(2, wire.OpBarrierWaiting, 1, "b", nil).Ints[0]; n != 1 {
		t.Fatalf("waiting %d", n)
	}
	// Cancel breaks the barrier.
	e := x.send(2, wire.OpBarrierWait, 1, "b", []int64{0})
	x.m.cancel(2, e)
	x.collect()
	if r := x.got(2, e); r == nil || r.Status != wire.StatusCanceled {
		t.Fatalf("e: %+v", r)
	}
	if r := x.got(1, d); r == nil || !errors.Is(r.Err(), latchkey.ErrBrokenBarrier) {
		t.Fatalf("d: %+v", r)
	}
	x.fails(3, wire.OpBarrierWait, 1, "b", latchkey.ErrBrokenBarrier, []int64{0})
	x.ok(3, wire.OpBarrierReset, 1, "b", nil)
	// A session that ends while waiting breaks it; one that ends while
	// running the action breaks it too.
	a = x.send(1, wire.OpBarrierWait, 1, "b", []int64{0})
	b = x.send(2, wire.OpBarrierWait, 1, "b", []int64{0})
	x.send(3, wire.OpBarrierWait, 1, "b", []int64{1})
	x.m.endSession(3)
	x.collect()
	if r := x.got(1, a); r == nil || !errors.Is(r.Err(), latchkey.ErrBrokenBarrier) {
		t.Fatalf("a after action session died: %+v", r)
	}
	x.fails(1, wire.OpBarrierActionDone, 1, "b", latchkey.ErrInvalid, []int64{1})
	x.ok(1, wire.OpBarrierReset, 1, "b", nil)
	x.send(2, wire.OpBarrierWait, 1, "b", []int64{0})
	a = x.send(1, wire.OpBarrierWait, 1, "b", []int64{0})
	x.m.endSession(2)
	x.collect()
	if r := x.got(1, a); r == nil || !errors.Is(r.Err(), latchkey.ErrBrokenBarrier) {
		t.Fatalf("a after waiter died: %+v", r)
	}
	if x.waiters("b") != 0 {
		t.Fatal("ghost")
	}
}

func TestQueueRedeliveryOnSessionEnd(t *testing.T) {
	for _, order := range []int64{0, 1, 2} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			x := newHarness(t)
			x.open(1)
			x.open(2)
			x.openObj(1, 1, wire.ObjectQueue, "q", order, 0)
			x.openObj(2, 1, wire.ObjectQueue, "q", order, 0)
			for _, v := range []string{"a", "b", "c", "d"} {
				x.ok(1, wire.OpQueuePut, 1, "q", nil, []byte(v))
			}
			g1 := string(x.ok(2, wire.OpQueueGet, 1, "q", nil).Bytes[0])
			g2 := string(x.ok(2, wire.OpQueueGet, 1, "q", nil).Bytes[0])
			x.ok(2, wire.OpQueueTaskDone, 1, "q", nil) // retires g1
			x.m.endSession(2)
			x.collect()
			if u := x.ok(1, wire.OpQueueUnfinished, 1, "q", nil).Ints[0]; u != 3 {
				t.Fatalf("unfinished %d, want 3", u)
			}
			if got := string(x.ok(1, wire.OpQueueGet, 1, "q", nil).Bytes[0]); got != g2 {
				t.Fatalf("after the session ended, got %q, want %q back first (g1 %q)", got, g2, g1)
			}
			if n := x.ok(1, wire.OpQueueLen, 1, "q", nil).Ints[0]; n != 2 {
				t.Fatalf("len %d", n)
			}
		})
	}
}

func TestQueueBlockingAndShutdown(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.openObj(1, 1, wire.ObjectQueue, "q", 0, 1)
	x.ok(1, wire.OpQueuePut, 1, "q", nil, []byte("a"))
	x.fails(1, wire.OpQueueTryPut, 1, "q", latchkey.ErrFull, nil, []byte("b"))
	p := x.send(1, wire.OpQueuePut, 1, "q", nil, []byte("b"))
	j := x.send(1, wire.OpQueueJoin, 1, "q", nil)
	if x.waiters("q") != 2 {
		t.Fatal("waiters")
	}
	x.ok(1, wire.OpQueueGet, 1, "q", nil)
	if x.got(1, p) == nil {
		t.Fatal("putter not served")
	}
	x.ok(1, wire.OpQueueTaskDone, 1, "q", nil)
	x.ok(1, wire.OpQueueGet, 1, "q", nil)
	x.ok(1, wire.OpQueueTaskDone, 1, "q", nil)
	if r := x.got(1, j); r == nil || r.Err() != nil {
		t.Fatal("join")
	}
	x.fails(1, wire.OpQueueTaskDone, 1, "q", latchkey.ErrTaskDone, nil)
	g := x.send(1, wire.OpQueueGet, 1, "q", nil)
	x.ok(1, wire.OpQueueShutdown, 1, "q", []int64{0})
	if r := x.got(1, g); r == nil || !errors.Is(r.Err(), latchkey.ErrShutDown) {
		t.Fatalf("getter after shutdown: %+v", r)
	}
	x.fails(1, wire.OpQueuePut, 1, "q", latchkey.ErrShutDown, nil, []byte("c"))
}

func TestSimpleQueueDetachedUndo(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectSimpleQueue, "s")
	x.openObj(2, 1, wire.ObjectSimpleQueue, "s")
	g := x.send(2, wire.OpSimpleQueueGet, 1, "s", nil)
	x.m.detach(2)
	x.ok(1, wire.OpSimpleQueuePut, 1, "s", nil, []byte("x"))
	x.pendingCheck(2, g) // held in the outbox
	x.m.endSession(2)
	x.collect()
	if r := x.ok(1, wire.OpSimpleQueueTryGet, 1, "s", nil); string(r.Bytes[0]) != "x" {
		t.Fatalf("got %q", r.Bytes[0])
	}
	// Resume delivers what was held.
	x.open(3)
	x.openObj(3, 1, wire.ObjectSimpleQueue, "s")
	g = x.send(3, wire.OpSimpleQueueGet, 1, "s", nil)
	x.m.detach(3)
	x.ok(1, wire.OpSimpleQueuePut, 1, "s", nil, []byte("y"))
	x.m.attach(3, 0)
	x.collect()
	if r := x.got(3, g); r == nil || string(r.Bytes[0]) != "y" {
		t.Fatalf("resumed: %+v", r)
	}
}

func TestHandleRules(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.openObj(1, 1, wire.ObjectLock, "l")
	x.fails(1, wire.OpOpen, 1, "l2", latchkey.ErrInvalid, nil)           // id in use
	x.fails(1, wire.OpOpen, 0, "l2", latchkey.ErrInvalid, nil)           // id 0
	x.fails(1, wire.OpOpen, 2, "", latchkey.ErrInvalid, nil)             // empty name
	x.fails(1, wire.OpOpen, 2, "l", latchkey.ErrMismatch, nil)           // Lock vs RLock below
	x.fails(1, wire.OpLockLock, 9, "l", latchkey.ErrClosed, nil)         // not open
	x.fails(1, wire.OpLockLock, 1, "other", latchkey.ErrInvalid, nil)    // name mismatch
	x.fails(1, wire.OpLockLock, 1, "l", latchkey.ErrInvalid, []int64{1}) // arg count
	x.fails(1, wire.Op(0x01FF), 1, "l", latchkey.ErrInvalid, nil)        // unknown op
	x.fails(1, wire.OpWaiters, 0, "nope", latchkey.ErrNotFound, nil)
	r := x.ok(1, wire.OpList, 0, "", nil)
	if len(r.Bytes) != 1 || string(r.Bytes[0]) != "l" || r.Ints[0] != int64(wire.ObjectLock) {
		t.Fatalf("list: %+v", r)
	}
	// Close answers pending requests with status 2 and releases holds.
	x.ok(1, wire.OpLockLock, 1, "l", nil)
	x.openObj(1, 2, wire.ObjectLock, "l")
	w := x.send(1, wire.OpLockLock, 2, "l", nil)
	x.ok(1, wire.OpClose, 2, "l", nil)
	if r := x.got(1, w); r == nil || r.Status != wire.StatusCanceled {
		t.Fatalf("pending on closed handle: %+v", r)
	}
	x.ok(1, wire.OpClose, 1, "l", nil)
	x.openObj(1, 3, wire.ObjectLock, "l")
	if r := x.ok(1, wire.OpLockLocked, 3, "l", nil); r.Ints[0] != 0 {
		t.Fatal("close did not release")
	}
	x.fails(1, wire.OpOpen, 1, "x", latchkey.ErrInvalid, nil) // closed ids are not reused
}

func TestLimitsAndProtocolErrors(t *testing.T) {
	m := newMachine(machineLimits{maxHandles: 1, maxPending: 1})
	m.openSession(1, 0)
	var le *limitError
	if err := m.request(1, &wire.Request{ID: 1, Op: wire.OpOpen, Object: wire.ObjectEvent, Handle: 1, Name: "e"}); err != nil {
		t.Fatal(err)
	}
	if err := m.request(1, &wire.Request{ID: 2, Op: wire.OpOpen, Object: wire.ObjectEvent, Handle: 2, Name: "e"}); !errors.As(err, &le) || le.reason != wire.ReasonLimit {
		t.Fatalf("handles: %v", err)
	}
	if err := m.request(1, &wire.Request{ID: 3, Op: wire.OpEventWait, Object: wire.ObjectEvent, Handle: 1, Name: "e"}); err != nil {
		t.Fatal(err)
	}
	if err := m.request(1, &wire.Request{ID: 4, Op: wire.OpEventWait, Object: wire.ObjectEvent, Handle: 1, Name: "e"}); !errors.As(err, &le) || le.reason != wire.ReasonLimit {
		t.Fatalf("pending: %v", err)
	}
}

func TestResponseTooLarge(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.m.sessions[1].maxFrame = wire.MinMaxFrame
	x.openObj(1, 1, wire.ObjectQueue, "q", 0, 0)
	big := make([]byte, wire.MinMaxFrame)
	x.ok(1, wire.OpQueuePut, 1, "q", nil, big)
	x.fails(1, wire.OpQueueGet, 1, "q", latchkey.ErrOutOfRange, nil)
	if n := x.ok(1, wire.OpQueueLen, 1, "q", nil).Ints[0]; n != 1 {
		t.Fatal("an item that did not fit was taken")
	}
}
