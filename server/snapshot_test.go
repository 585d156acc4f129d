package server

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// roundTrip snapshots m, restores the snapshot and checks that the
// restored machine's snapshot is byte-identical. It returns the restored
// machine.
func roundTrip(t testing.TB, m *machine) *machine {
	t.Helper()
	snap := m.appendSnapshot(nil)
	data := bytes.Clone(snap)
	m2, err := restoreMachine(m.limits, data)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	clear(data) // the restored machine must not use it
	if again := m2.appendSnapshot(nil); !bytes.Equal(again, snap) {
		t.Fatalf("the restored machine's snapshot differs: %d bytes, first difference at byte %d of %d", len(again), firstDiff(again, snap), len(snap))
	}
	return m2
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// sameOutputs fails unless a and b are the same outputs: the same
// sessions and frames encoded byte for byte.
func sameOutputs(t testing.TB, what string, a, b []output) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d outputs, restored machine %d", what, len(a), len(b))
	}
	for i := range a {
		fa, err := wire.Append(nil, a[i].frame)
		if err != nil {
			t.Fatal(err)
		}
		fb, err := wire.Append(nil, b[i].frame)
		if err != nil {
			t.Fatal(err)
		}
		if a[i].session != b[i].session || !bytes.Equal(fa, fb) {
			t.Fatalf("%s: output %d: session %d %+v, restored machine session %d %+v", what, i, a[i].session, a[i].frame, b[i].session, b[i].frame)
		}
	}
}

// TestSnapshotRandom runs the random model test, snapshotting and
// restoring the machine after every step (the restored machine's snapshot
// must be byte-identical), and at random points drives the restored
// machine with the same next inputs as the original: their outputs and
// their snapshots afterwards must be identical.
func TestSnapshotRandom(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4}
	if *seedFlag != 0 {
		seeds = []uint64{*seedFlag}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d (rerun with -seed=%d)", seed, seed)
			x := newRnd(t, seed)
			x.more = true
			x.m.limits.maxKept = 16 // evictions too; bounds the snapshot's size
			r := rand.New(rand.NewPCG(seed, 0x5eed))
			var twin *machine
			left, twins, orphaned := 0, 0, 0
			x.after = func(in testInput, err error, outs []output) {
				if twin == nil {
					return
				}
				err2 := in.apply(twin)
				if fmt.Sprint(err) != fmt.Sprint(err2) {
					t.Fatalf("input %+v: error %v, restored machine %v", in, err, err2)
				}
				sameOutputs(t, fmt.Sprintf("input %+v", in), outs, twin.takeOutputs())
				if left--; left == 0 {
					if a, b := x.m.appendSnapshot(nil), twin.appendSnapshot(nil); !bytes.Equal(a, b) {
						t.Fatalf("snapshots differ after the same inputs: first difference at byte %d", firstDiff(a, b))
					}
					twin = nil
				}
			}
			x.run(1200, func() {
				m2 := roundTrip(t, x.m)
				if countOrphans(x.m) > 0 {
					orphaned++
				}
				if twin == nil && r.IntN(10) == 0 {
					twin, left = m2, 1+r.IntN(100)
					twins++
				}
			})
			x.finish()
			t.Logf("%d restored machines driven alongside; %d snapshots with orphan handles", twins, orphaned)
		})
	}
}

// countOrphans returns the number of orphan handles in m's snapshot.
func countOrphans(m *machine) int {
	e := &snapEncoder{m: m}
	e.objects()
	e.sessions()
	return len(e.orphans)
}

// TestSnapshotConditionReacquire restores Condition waiters that were
// notified (one also cancelled) and are queued to re-acquire the RLock
// the condition is bound to, with their recursion count.
func TestSnapshotConditionReacquire(t *testing.T) {
	x := newHarness(t)
	for s := uint64(1); s <= 3; s++ {
		x.open(s)
		x.openObj(s, 1, wire.ObjectRLock, "r")
		x.openObj(s, 2, wire.ObjectCondition, "c", 1)
	}
	x.ok(1, wire.OpConditionLock, 2, "c", nil)
	x.ok(1, wire.OpConditionLock, 2, "c", nil) // count 2
	w1 := x.send(1, wire.OpConditionWait, 2, "c", nil)
	x.ok(2, wire.OpConditionLock, 2, "c", nil)
	w2 := x.send(2, wire.OpConditionWait, 2, "c", nil)
	x.ok(3, wire.OpConditionLock, 2, "c", nil)
	x.ok(3, wire.OpConditionNotify, 2, "c", []int64{1}) // w1: re-acquiring
	x.m.cancel(2, w2)                                   // w2: cancelled, re-acquiring
	x.collect()
	x.pendingCheck(1, w1)
	x.pendingCheck(2, w2)

	x.m = roundTrip(t, x.m)
	if n := x.waiters("r"); n != 2 {
		t.Fatalf("rlock waiters after restore = %d, want 2", n)
	}
	x.ok(3, wire.OpConditionUnlock, 2, "c", nil)
	if r := x.got(1, w1); r == nil || r.Err() != nil {
		t.Fatalf("notified wait after restore: %+v", r)
	}
	if n := x.ok(1, wire.OpRLockCount, 1, "r", nil).Ints[0]; n != 2 {
		t.Fatalf("recursion count after the wait = %d, want 2", n)
	}
	x.pendingCheck(2, w2)
	x.ok(1, wire.OpConditionUnlock, 2, "c", nil)
	x.ok(1, wire.OpConditionUnlock, 2, "c", nil)
	if r := x.got(2, w2); r == nil || r.Status != wire.StatusCanceled {
		t.Fatalf("cancelled wait after restore: %+v", r)
	}
	if n := x.ok(2, wire.OpRLockCount, 1, "r", nil).Ints[0]; n != 1 {
		t.Fatalf("count of the cancelled waiter = %d, want 1 (it holds the lock again)", n)
	}
}

// TestSnapshotBarrierBroken restores a barrier whose cycle trips (the
// action runs) with waiters in the cycle and one held for the next, and
// which was aborted meanwhile.
func TestSnapshotBarrierBroken(t *testing.T) {
	x := newHarness(t)
	for s := uint64(1); s <= 3; s++ {
		x.open(s)
		x.openObj(s, 1, wire.ObjectBarrier, "b", 3)
	}
	a := x.send(1, wire.OpBarrierWait, 1, "b", []int64{0})
	b := x.send(2, wire.OpBarrierWait, 1, "b", []int64{0})
	if r := x.ok(3, wire.OpBarrierWait, 1, "b", []int64{1}); r.Ints[1] != 1 {
		t.Fatalf("last party: %+v", r)
	}
	next := x.send(1, wire.OpBarrierWait, 1, "b", []int64{0}) // held for the next cycle
	x.ok(2, wire.OpBarrierAbort, 1, "b", nil)                 // broken, but the cycle trips on
	x.pendingCheck(1, a)

	x.m = roundTrip(t, x.m)
	if r := x.ok(3, wire.OpBarrierBroken, 1, "b", nil); r.Ints[0] != 1 {
		t.Fatal("not broken after restore")
	}
	x.ok(3, wire.OpBarrierActionDone, 1, "b", []int64{1})
	if r := x.got(1, a); r == nil || r.Err() != nil || r.Ints[0] != 0 {
		t.Fatalf("a: %+v", r)
	}
	if r := x.got(2, b); r == nil || r.Err() != nil || r.Ints[0] != 1 {
		t.Fatalf("b: %+v", r)
	}
	if r := x.got(1, next); r == nil || !errors.Is(r.Err(), latchkey.ErrBrokenBarrier) {
		t.Fatalf("held arrival: %+v, want BrokenBarrier", r)
	}
	if x.waiters("b") != 0 {
		t.Fatal("ghost waiter")
	}
}

// TestSnapshotQueueDeliveriesBack restores a JoinableQueue with items a
// session took and did not mark done; when that session ends after the
// restore, they go back to the head, in the order they came out.
func TestSnapshotQueueDeliveriesBack(t *testing.T) {
	for _, order := range []int64{0, 1, 2} {
		t.Run(fmt.Sprint(latchkey.Order(order)), func(t *testing.T) {
			x := newHarness(t)
			x.open(1)
			x.open(2)
			x.openObj(1, 1, wire.ObjectQueue, "q", order, 0)
			x.openObj(2, 1, wire.ObjectQueue, "q", order, 0)
			for _, v := range []string{"a", "b", "c", "d", "e"} {
				x.ok(1, wire.OpQueuePut, 1, "q", nil, []byte(v))
			}
			var got []string
			for range 3 {
				got = append(got, string(x.ok(2, wire.OpQueueGet, 1, "q", nil).Bytes[0]))
			}
			x.ok(2, wire.OpQueueTaskDone, 1, "q", nil) // retires got[0]
			other := x.ok(1, wire.OpQueueGet, 1, "q", nil)

			x.m = roundTrip(t, x.m)
			x.m.endSession(2)
			x.collect()
			x.m = roundTrip(t, x.m)
			if u := x.ok(1, wire.OpQueueUnfinished, 1, "q", nil).Ints[0]; u != 4 {
				t.Fatalf("unfinished %d, want 4", u)
			}
			for i, want := range got[1:] {
				if r := x.ok(1, wire.OpQueueGet, 1, "q", nil); string(r.Bytes[0]) != want || r.Ints[0] <= other.Ints[0]+int64(i) {
					t.Fatalf("get %d after the session ended: %q fence %d, want %q back first, fence above %d", i, r.Bytes[0], r.Ints[0], want, other.Ints[0])
				}
			}
		})
	}
}

// TestSnapshotSimpleQueueOutbox restores a detached session holding a
// SimpleQueue item in its outbox: when the session ends after the
// restore, the item goes back; when another resumes, it gets its item.
func TestSnapshotSimpleQueueOutbox(t *testing.T) {
	x := newHarness(t)
	for s := uint64(1); s <= 3; s++ {
		x.open(s)
		x.openObj(s, 1, wire.ObjectSimpleQueue, "s")
	}
	g2 := x.send(2, wire.OpSimpleQueueGet, 1, "s", nil)
	g3 := x.send(3, wire.OpSimpleQueueGet, 1, "s", nil)
	x.m.detach(2)
	x.m.detach(3)
	x.ok(1, wire.OpSimpleQueuePut, 1, "s", nil, []byte("x"))
	x.ok(1, wire.OpSimpleQueuePut, 1, "s", nil, []byte("y"))
	x.pendingCheck(2, g2)

	x.m = roundTrip(t, x.m)
	if n := len(x.m.sessions[2].outbox); n != 1 {
		t.Fatalf("outbox of %d after restore, want 1", n)
	}
	x.m.endSession(2) // expired: x goes back
	x.collect()
	x.m.attach(3, 0)
	x.collect()
	if r := x.got(3, g3); r == nil || string(r.Bytes[0]) != "y" {
		t.Fatalf("resumed session: %+v", r)
	}
	if r := x.ok(1, wire.OpSimpleQueueTryGet, 1, "s", nil); string(r.Bytes[0]) != "x" {
		t.Fatalf("after the session ended: %q, want x back", r.Bytes[0])
	}
}

// TestSnapshotKeptRetry checks that kept responses answer retries after
// a restore, and that a forgotten one and a waiting one behave as before.
func TestSnapshotKeptRetry(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectValue, "v")
	x.openObj(1, 2, wire.ObjectLock, "l")
	x.openObj(2, 2, wire.ObjectLock, "l")
	add := &wire.Request{Op: wire.OpValueAdd, Object: wire.ObjectValue, Handle: 1, Name: "v", Ints: []int64{5}}
	var ids []uint64
	for range 5 {
		ids = append(ids, x.send(1, add.Op, 1, "v", add.Ints))
	}
	first := x.got(1, ids[3])
	x.nextID++
	ack := &wire.Request{ID: x.nextID, Flags: wire.FlagAck, Ack: ids[2], Op: wire.OpValueLoad, Object: wire.ObjectValue, Handle: 1, Name: "v"}
	resend(t, x.m, 1, ack) // forgets ids[0] and ids[1]
	x.ok(1, wire.OpLockLock, 2, "l", nil)
	lockReq := &wire.Request{Op: wire.OpLockLock, Object: wire.ObjectLock, Handle: 2, Name: "l"}
	lockReq.ID = x.send(2, wire.OpLockLock, 2, "l", nil)

	x.m = roundTrip(t, x.m)
	q := *add
	q.ID = ids[3]
	if rs := resend(t, x.m, 1, &q); len(rs) != 1 || rs[0].Err() != nil || rs[0].Ints[0] != first.Ints[0] {
		t.Fatalf("retry after restore: %v, want %+v", rs, first)
	}
	q.ID = ids[0]
	if rs := resend(t, x.m, 1, &q); len(rs) != 1 || !errors.Is(rs[0].Err(), latchkey.ErrUnavailable) {
		t.Fatalf("retry of a forgotten request after restore: %v", rs)
	}
	if rs := resend(t, x.m, 2, lockReq); len(rs) != 0 {
		t.Fatalf("retry of a waiting request answered %v", rs)
	}
	if r := x.ok(1, wire.OpValueLoad, 1, "v", nil); r.Ints[0] != 25 {
		t.Fatalf("value %d, want 25: applied once each", r.Ints[0])
	}
	x.ok(1, wire.OpLockUnlock, 2, "l", nil)
	if r := x.got(2, lockReq.ID); r == nil || r.Err() != nil {
		t.Fatalf("waiting lock after restore: %+v", r)
	}
}

// TestSnapshotFencesGrow checks that every fence goes on growing after a
// restore.
func TestSnapshotFencesGrow(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.openObj(1, 1, wire.ObjectLock, "l")
	x.openObj(1, 2, wire.ObjectRLock, "r")
	x.openObj(1, 3, wire.ObjectRWLock, "rw")
	x.openObj(1, 4, wire.ObjectSemaphore, "s", 1, 0)
	x.openObj(1, 5, wire.ObjectQueue, "q", 0, 0)
	x.openObj(1, 6, wire.ObjectSimpleQueue, "sq")
	x.openObj(1, 7, wire.ObjectCondition, "c", 0)
	type grant struct {
		acquire, release wire.Op
		h                uint64
		name             string
		ints             []int64
		bs               [][]byte
	}
	grants := []grant{
		{wire.OpLockLock, wire.OpLockUnlock, 1, "l", nil, nil},
		{wire.OpRLockLock, wire.OpRLockUnlock, 2, "r", nil, nil},
		{wire.OpRWLockLock, wire.OpRWLockUnlock, 3, "rw", nil, nil},
		{wire.OpSemaphoreAcquire, wire.OpSemaphoreRelease, 4, "s", nil, nil},
		{wire.OpQueueGet, wire.OpQueuePut, 5, "q", nil, [][]byte{[]byte("i")}},
		{wire.OpSimpleQueueGet, wire.OpSimpleQueuePut, 6, "sq", nil, [][]byte{[]byte("i")}},
		{wire.OpConditionTryLock, wire.OpConditionUnlock, 7, "c", nil, nil},
	}
	last := map[string]int64{}
	for round := range 4 {
		for _, g := range grants {
			if g.acquire == wire.OpQueueGet || g.acquire == wire.OpSimpleQueueGet {
				x.ok(1, g.release, g.h, g.name, nil, g.bs...)
			}
			f := x.ok(1, g.acquire, g.h, g.name, nil).Ints[0]
			if f <= last[g.name] {
				t.Fatalf("round %d: %s fence %d after %d", round, g.name, f, last[g.name])
			}
			last[g.name] = f
			switch g.acquire {
			case wire.OpSemaphoreAcquire:
				x.ok(1, g.release, g.h, g.name, []int64{1})
			case wire.OpQueueGet, wire.OpSimpleQueueGet:
			default:
				x.ok(1, g.release, g.h, g.name, nil)
			}
		}
		x.m = roundTrip(t, x.m)
	}
}

// TestCloseBoundLockHandle: closing a Lock or RLock handle that a
// Condition handle of the session is bound to closes the condition handle
// too, answering its pending Waits with status 2, so that no wait takes
// the lock through a closed handle (which nothing could release). The
// state round-trips with no orphan handle.
func TestCloseBoundLockHandle(t *testing.T) {
	x, waits := orphanHarness(t)
	for _, w := range waits {
		if r := x.got(1, w); r == nil || r.Status != wire.StatusCanceled {
			t.Fatalf("wait %d after its lock handle closed: %+v", w, r)
		}
	}
	m := roundTrip(t, x.m)
	if n := countOrphans(m); n != 0 {
		t.Fatalf("%d orphan handles", n)
	}
	if s := m.sessions[1]; s.handles[2] != nil || s.handles[4] != nil {
		t.Fatal("condition handles bound to closed lock handles are still open")
	}
	if r := m.objects["r"].(*rlock); r.owner != nil {
		t.Fatalf("rlock owned by %+v", r.owner)
	}
	if l := m.objects["l"].(*lock); l.locked {
		t.Fatal("lock still held")
	}
	twinDrive(t, x.m, m, []testInput{
		{kind: tinRequest, session: 2, req: &wire.Request{ID: 1001, Op: wire.OpRLockTryLock, Object: wire.ObjectRLock, Handle: 1, Name: "r"}},
		{kind: tinRequest, session: 3, req: &wire.Request{ID: 1002, Op: wire.OpConditionLock, Object: wire.ObjectCondition, Handle: 4, Name: "cl"}},
	})
}

// orphanHarness returns a harness in which session 1 closed its handles
// 1 (RLock "r") and 3 (Lock "l") while Condition waits of its handles 2
// and 4, bound to them, were pending, and the ids of those waits. (Before
// closeHandle closed bound condition handles, this left orphan handles
// holding the locks.)
func orphanHarness(t testing.TB) (*harness, []uint64) {
	x := newHarness(t)
	for s := uint64(1); s <= 3; s++ {
		x.open(s)
		x.openObj(s, 1, wire.ObjectRLock, "r")
		x.openObj(s, 2, wire.ObjectCondition, "c", 1)
		x.openObj(s, 3, wire.ObjectLock, "l")
		x.openObj(s, 4, wire.ObjectCondition, "cl", 3)
	}
	x.ok(1, wire.OpConditionLock, 2, "c", nil)
	w1 := x.send(1, wire.OpConditionWait, 2, "c", nil)
	x.ok(1, wire.OpConditionLock, 4, "cl", nil)
	w2 := x.send(1, wire.OpConditionWait, 4, "cl", nil)
	x.ok(1, wire.OpClose, 1, "r", nil) // the waits' lock handles
	x.ok(1, wire.OpClose, 3, "l", nil)
	x.ok(2, wire.OpConditionLock, 2, "c", nil)
	x.ok(2, wire.OpConditionNotifyAll, 2, "c", nil)
	x.ok(2, wire.OpConditionUnlock, 2, "c", nil)
	x.ok(2, wire.OpConditionLock, 4, "cl", nil)
	x.ok(2, wire.OpConditionNotifyAll, 4, "cl", nil)
	x.ok(2, wire.OpConditionUnlock, 4, "cl", nil)
	return x, []uint64{w1, w2}
}

// twinDrive applies inputs to a and b, which must give the same outputs
// and end in the same state.
func twinDrive(t *testing.T, a, b *machine, inputs []testInput) {
	t.Helper()
	a.takeOutputs()
	b.takeOutputs()
	for _, in := range inputs {
		ea, eb := in.apply(a), in.apply(b)
		if fmt.Sprint(ea) != fmt.Sprint(eb) {
			t.Fatalf("input %+v: %v, restored machine %v", in, ea, eb)
		}
		sameOutputs(t, fmt.Sprintf("input %+v", in), a.takeOutputs(), b.takeOutputs())
	}
	if sa, sb := a.appendSnapshot(nil), b.appendSnapshot(nil); !bytes.Equal(sa, sb) {
		t.Fatalf("snapshots differ after the same inputs at byte %d", firstDiff(sa, sb))
	}
}

// richMachine returns a machine with an object of every type, with
// contents, holders and waiters, detached sessions with outboxes, and
// outputs not yet taken.
func richMachine(t testing.TB) *machine {
	x := newHarness(t)
	for s := uint64(1); s <= 3; s++ {
		x.open(s)
	}
	x.openObj(1, 1, wire.ObjectDict, "d")
	x.ok(1, wire.OpDictUpdate, 1, "d", nil, []byte("k2"), []byte("v2"), []byte("k1"), []byte(""), []byte("k3"), []byte("v3"))
	x.ok(1, wire.OpDictStore, 1, "d", nil, []byte("k2"), []byte("v2'"))
	x.openObj(1, 2, wire.ObjectList, "li")
	x.ok(1, wire.OpListAppend, 2, "li", nil, []byte("b"), []byte("a"), nil)
	x.openObj(1, 3, wire.ObjectNamespace, "ns")
	x.ok(1, wire.OpNamespaceStore, 3, "ns", nil, []byte("z"), []byte("1"))
	x.ok(1, wire.OpNamespaceStore, 3, "ns", nil, []byte("a"), []byte("2"))
	x.openObj(1, 4, wire.ObjectValue, "v")
	x.ok(1, wire.OpValueStore, 4, "v", []int64{-7})
	x.openObj(1, 5, wire.ObjectFloatValue, "fv")
	x.ok(1, wire.OpFloatValueStore, 5, "fv", []int64{0x400921fb54442d18})
	x.openObj(1, 6, wire.ObjectArray, "a", 3)
	x.ok(1, wire.OpArrayStore, 6, "a", []int64{1, -1 << 62})
	x.openObj(1, 7, wire.ObjectFloatArray, "fa", 2)
	x.openObj(1, 8, wire.ObjectEvent, "e")
	x.openObj(2, 8, wire.ObjectEvent, "e")
	x.send(2, wire.OpEventWait, 8, "e", nil)
	x.openObj(1, 9, wire.ObjectSemaphore, "s", 2, 1)
	x.openObj(2, 9, wire.ObjectSemaphore, "s", 2, 1)
	x.ok(1, wire.OpSemaphoreAcquire, 9, "s", nil)
	x.ok(2, wire.OpSemaphoreAcquire, 9, "s", nil)
	x.send(1, wire.OpSemaphoreAcquire, 9, "s", nil)
	x.openObj(1, 10, wire.ObjectRWLock, "rw")
	x.openObj(2, 10, wire.ObjectRWLock, "rw")
	x.ok(1, wire.OpRWLockRLock, 10, "rw", nil)
	x.send(2, wire.OpRWLockLock, 10, "rw", nil)
	x.send(1, wire.OpRWLockRLock, 10, "rw", nil)
	for i, order := range []int64{0, 1, 2} {
		name := fmt.Sprintf("q%d", order)
		h := uint64(11 + i)
		x.openObj(1, h, wire.ObjectQueue, name, order, 2)
		x.openObj(2, h, wire.ObjectQueue, name, order, 2)
		x.ok(1, wire.OpQueuePut, h, name, nil, []byte("m"))
		x.ok(1, wire.OpQueuePut, h, name, nil, []byte("c"))
		x.send(1, wire.OpQueuePut, h, name, nil, []byte("x"))
		x.ok(2, wire.OpQueueGet, h, name, nil)
		x.ok(2, wire.OpQueueGet, h, name, nil)
		x.send(1, wire.OpQueueJoin, h, name, nil)
	}
	x.openObj(3, 12, wire.ObjectQueue, "q1", 1, 2)
	x.m.endSession(2) // deliveries of q0..q2 go back (out of seq order)
	x.collect()
	x.open(2)
	x.openObj(1, 14, wire.ObjectSimpleQueue, "sq")
	x.openObj(2, 14, wire.ObjectSimpleQueue, "sq")
	x.ok(1, wire.OpSimpleQueuePut, 14, "sq", nil, []byte("s1"))
	x.ok(2, wire.OpSimpleQueueGet, 14, "sq", nil)
	x.send(2, wire.OpSimpleQueueGet, 14, "sq", nil)
	x.openObj(2, 8, wire.ObjectEvent, "e")
	x.send(2, wire.OpEventWait, 8, "e", nil)
	x.ok(3, wire.OpQueueGet, 12, "q1", nil)
	x.openObj(1, 15, wire.ObjectBarrier, "b", 3)
	x.openObj(3, 15, wire.ObjectBarrier, "b", 3)
	x.send(1, wire.OpBarrierWait, 15, "b", []int64{0})
	x.send(3, wire.OpBarrierWait, 15, "b", []int64{1})
	x.openObj(3, 16, wire.ObjectCondition, "c", 0)
	x.openObj(1, 16, wire.ObjectCondition, "c", 0)
	x.ok(3, wire.OpConditionLock, 16, "c", nil)
	x.send(3, wire.OpConditionWait, 16, "c", nil)
	x.ok(1, wire.OpConditionLock, 16, "c", nil)
	x.ok(1, wire.OpConditionNotify, 16, "c", []int64{1})
	x.openObj(3, 17, wire.ObjectRLock, "r")
	x.openObj(3, 18, wire.ObjectCondition, "cr", 17)
	x.openObj(1, 17, wire.ObjectRLock, "r")
	x.openObj(1, 18, wire.ObjectCondition, "cr", 17)
	x.ok(3, wire.OpRLockLock, 17, "r", nil)
	x.ok(3, wire.OpRLockLock, 17, "r", nil)
	x.send(1, wire.OpConditionLock, 18, "cr", nil)
	x.m.detach(2)
	x.m.detach(3)
	x.ok(1, wire.OpSimpleQueuePut, 14, "sq", nil, []byte("s2"))
	x.ok(1, wire.OpSimpleQueuePut, 14, "sq", nil, []byte("s3"))
	x.ok(1, wire.OpEventSet, 8, "e", nil) // answers session 2, detached
	x.ok(1, wire.OpConditionUnlock, 16, "c", nil)
	x.nextID++ // a request whose response is not taken: m.out
	if err := x.m.request(1, &wire.Request{ID: x.nextID, Op: wire.OpValueAdd, Object: wire.ObjectValue, Handle: 4, Name: "v", Ints: []int64{1}}); err != nil {
		t.Fatal(err)
	}
	return x.m
}

// TestSnapshotRichMachine round-trips a machine with every object type
// and drives it and its restored copy with the same inputs.
func TestSnapshotRichMachine(t *testing.T) {
	m := richMachine(t)
	if len(m.out) == 0 || len(m.sessions[2].outbox) == 0 || len(m.sessions[3].outbox) == 0 {
		t.Fatal("the rich machine lacks untaken outputs or outboxes")
	}
	m2 := roundTrip(t, m)
	sameOutputs(t, "untaken outputs", m.out, m2.out)
	var inputs []testInput
	id := uint64(10000)
	req := func(s uint64, op wire.Op, h uint64, name string, ints []int64, bs ...[]byte) {
		id++
		inputs = append(inputs, testInput{kind: tinRequest, session: s, req: &wire.Request{ID: id, Op: op, Object: op.Object(), Handle: h, Name: name, Ints: ints, Bytes: bs}})
	}
	req(1, wire.OpDictAll, 1, "d", nil)
	req(1, wire.OpDictPopItem, 1, "d", nil)
	req(1, wire.OpListAll, 2, "li", nil)
	req(1, wire.OpNamespaceAll, 3, "ns", nil)
	req(1, wire.OpFloatValueAdd, 5, "fv", []int64{0x3ff0000000000000})
	req(1, wire.OpArrayLoadRange, 6, "a", []int64{0, 3})
	req(1, wire.OpRWLockRUnlock, 10, "rw", nil)
	for i := range 3 {
		name := fmt.Sprintf("q%d", i)
		for range 3 {
			req(1, wire.OpQueueTryGet, uint64(11+i), name, nil)
			req(1, wire.OpQueueTaskDone, uint64(11+i), name, nil)
		}
	}
	req(1, wire.OpBarrierWait, 15, "b", []int64{0})
	inputs = append(inputs,
		testInput{kind: tinEnd, session: 3},
		testInput{kind: tinAttach, session: 2},
		testInput{kind: tinCancel, session: 1, id: 1},
	)
	req(1, wire.OpSimpleQueueTryGet, 14, "sq", nil)
	req(1, wire.OpSemaphoreRelease, 9, "s", []int64{1})
	req(1, wire.OpConditionUnlock, 16, "c", nil)
	req(1, wire.OpList, 0, "", nil)
	inputs = append(inputs, testInput{kind: tinEnd, session: 2}, testInput{kind: tinEnd, session: 1})
	twinDrive(t, m, m2, inputs)
}

// TestRestoreMachineCorrupt checks that bad input gives an error wrapping
// errCorruptSnapshot that names what is wrong, never a panic.
func TestRestoreMachineCorrupt(t *testing.T) {
	l := machineLimits{}
	snap := richMachine(t).appendSnapshot(nil)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a latchkey snapshot"},
		{"magic", []byte("LKSNAX\x01"), "not a latchkey snapshot"},
		{"version", []byte("LKSNAP\x02"), "snapshot version 2"},
		{"trailing", append(bytes.Clone(snap), 0), "bytes after the last section"},
		{"section length", append([]byte("LKSNAP\x01\xff\xff\x03"), snap[8:]...), "bytes announced"},
	} {
		_, err := restoreMachine(l, tc.data)
		if !errors.Is(err, errCorruptSnapshot) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	for n := range len(snap) {
		if m, err := restoreMachine(l, snap[:n]); m != nil || !errors.Is(err, errCorruptSnapshot) {
			t.Fatalf("truncated to %d bytes: %v, %v", n, m != nil, err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		bad := bytes.Clone(snap)
		bad[r.IntN(len(bad))] ^= byte(1 + r.IntN(255))
		if m, err := restoreMachine(l, bad); err != nil && (m != nil || !errors.Is(err, errCorruptSnapshot)) {
			t.Fatalf("flipped byte: %v, %v", m != nil, err)
		}
	}

	// States the machine cannot reach, written by a tampered machine.
	for _, tc := range []struct {
		name   string
		tamper func(m *machine)
		want   string
	}{
		{"waiter in no list", func(m *machine) {
			e := m.objects["e"].(*event)
			e.q.pop()
			e.q.push(&waiter{s: m.sessions[1], id: 9999})
			m.sessions[1].pending[9998] = &waiter{s: m.sessions[1], id: 9998, h: m.sessions[1].handles[8], obj: e, op: wire.OpEventWait, lh: m.sessions[1].handles[8]}
		}, "no pending request 9999"},
		{"unlisted waiter", func(m *machine) {
			h := m.sessions[1].handles[8]
			m.sessions[1].pending[9998] = &waiter{s: m.sessions[1], id: 9998, h: h, obj: h.obj, op: wire.OpEventWait, lh: h}
		}, "in no wait list"},
		{"condition bound to an event", func(m *machine) {
			m.objects["c"].(*condition).own = nil
			m.objects["c"].(*condition).bound = m.objects["e"]
		}, "not a Lock or RLock"},
		{"kept heap", func(m *machine) {
			s := m.sessions[1]
			s.keptIDs[0], s.keptIDs[len(s.keptIDs)-1] = s.keptIDs[len(s.keptIDs)-1], s.keptIDs[0]
		}, "heap order"},
		{"waiter on another object", func(m *machine) {
			w := m.objects["b"].(*barrier).gen.pop()
			m.objects["e"].(*event).q.push(w)
		}, "waits on another object"},
	} {
		m := richMachine(t)
		tc.tamper(m)
		_, err := restoreMachine(l, m.appendSnapshot(nil))
		if !errors.Is(err, errCorruptSnapshot) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// FuzzRestoreMachine checks that restoreMachine never panics, and that a
// machine it accepts snapshots to a fixed point and ends its sessions
// without panicking.
func FuzzRestoreMachine(f *testing.F) {
	f.Add(newMachine(machineLimits{}).appendSnapshot(nil))
	f.Add(richMachine(f).appendSnapshot(nil))
	o, _ := orphanHarness(f)
	f.Add(o.m.appendSnapshot(nil))
	o.m.endSession(1)
	f.Add(o.m.appendSnapshot(nil))
	x := newRnd(f, 1)
	x.m.limits.maxKept = 4
	x.run(300, nil)
	f.Add(x.m.appendSnapshot(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := restoreMachine(machineLimits{}, data)
		if err != nil {
			if m != nil || !errors.Is(err, errCorruptSnapshot) {
				t.Fatalf("restore: %v, machine %v", err, m != nil)
			}
			return
		}
		snap := m.appendSnapshot(nil)
		m2 := roundTrip(t, m)
		if again := m2.appendSnapshot(nil); !bytes.Equal(again, snap) {
			t.Fatal("snapshot of an accepted snapshot is no fixed point")
		}
		for _, id := range sortedKeys(m.sessions) {
			m.endSession(id)
		}
		m.appendSnapshot(nil)
	})
}

// BenchmarkSnapshot measures the snapshot of 10000 idle locks and 1000
// sessions, each with 10 handles on them and their 10 Open responses kept.
func BenchmarkSnapshot(b *testing.B) {
	m := newMachine(machineLimits{})
	for s := uint64(1); s <= 1000; s++ {
		m.openSession(s, 0)
		for h := uint64(1); h <= 10; h++ {
			name := fmt.Sprintf("lock-%05d", (s-1)*10+h-1)
			if err := m.request(s, &wire.Request{ID: h, Op: wire.OpOpen, Object: wire.ObjectLock, Handle: h, Name: name}); err != nil {
				b.Fatal(err)
			}
		}
	}
	m.takeOutputs()
	snap := m.appendSnapshot(nil)
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, len(snap))
		b.ReportAllocs()
		for b.Loop() {
			buf = m.appendSnapshot(buf[:0])
		}
		b.ReportMetric(float64(len(snap)), "bytes")
	})
	b.Run("restore", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := restoreMachine(machineLimits{}, snap); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(snap)), "bytes")
	})
}
