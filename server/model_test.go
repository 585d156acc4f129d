package server

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/latchkey/latchkey/internal/wire"
)

var seedFlag = flag.Uint64("seed", 0, "seed of TestMachineRandom (0: several fixed seeds)")

// TestMachineRandom applies seeded random commands from several sessions
// (requests, cancels, session ends, detach and attach) and checks the
// machine's invariants after every step.
func TestMachineRandom(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6, 7, 8}
	if *seedFlag != 0 {
		seeds = []uint64{*seedFlag}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d (rerun with -seed=%d)", seed, seed)
			runRandom(t, seed, 3000)
		})
	}
}

// testInput is one input of the machine, as its owner applies them.
type testInput struct {
	kind     testInputKind
	session  uint64
	maxFrame int           // tinOpen, tinAttach
	req      *wire.Request // tinRequest
	id       uint64        // tinCancel: the request id
}

type testInputKind uint8

const (
	tinOpen testInputKind = iota
	tinAttach
	tinDetach
	tinRequest
	tinCancel
	tinEnd
)

// apply applies in to m.
func (in testInput) apply(m *machine) error {
	switch in.kind {
	case tinOpen:
		m.openSession(in.session, in.maxFrame)
	case tinAttach:
		m.attach(in.session, in.maxFrame)
	case tinDetach:
		m.detach(in.session)
	case tinRequest:
		return m.request(in.session, in.req)
	case tinCancel:
		m.cancel(in.session, in.id)
	case tinEnd:
		m.endSession(in.session)
	}
	return nil
}

// rnd generates seeded random inputs from several sessions and applies
// them to its harness's machine.
type rnd struct {
	*harness
	r         *rand.Rand
	live      []uint64
	nextSess  uint64
	lastFence map[string]int64
	puts      int
	retired   int

	// after, if set, is called with every input applied, its error and
	// its outputs (already recorded in the harness).
	after func(in testInput, err error, outs []output)
	// more adds a Barrier, an Event, a SimpleQueue, a Condition with its
	// own lock, closes of the Lock handle the Condition "c" is bound to,
	// and Acks (set before run; TestMachineRandom runs without).
	more bool
}

func runRandom(t *testing.T, seed uint64, steps int) {
	x := newRnd(t, seed)
	x.run(steps, nil)
	x.finish()
}

func newRnd(t testing.TB, seed uint64) *rnd {
	return &rnd{harness: newHarness(t), r: rand.New(rand.NewPCG(seed, seed^0x9e37)), lastFence: map[string]int64{}}
}

// run opens four sessions and applies steps random steps, checking the
// invariants after each and then calling each, if set.
func (x *rnd) run(steps int, each func()) {
	for range 4 {
		x.newSession()
	}
	for range steps {
		x.step()
		x.check()
		if each != nil {
			each()
		}
	}
}

// finish ends every session and checks that everything was given back.
func (x *rnd) finish() {
	t := x.t
	for _, s := range x.live {
		x.apply(testInput{kind: tinEnd, session: s})
	}
	x.live = nil
	x.check()
	for name, o := range x.m.objects {
		if o.waiters() != 0 {
			t.Fatalf("%s: %d waiters with no session left", name, o.waiters())
		}
	}
	if l := x.m.objects["l"].(*lock); l.locked {
		t.Fatal("lock still locked after every session ended")
	}
	if r := x.m.objects["r"].(*rlock); r.owner != nil {
		t.Fatal("rlock still owned")
	}
	if s := x.m.objects["s"].(*semaphore); s.value != s.initial {
		t.Fatalf("semaphore value %d, want %d", s.value, s.initial)
	}
	q := x.m.objects["q"].(*queue)
	if len(q.out) != 0 || q.items.Len() != x.puts-x.retired {
		t.Fatalf("queue: %d items, %d out; %d put, %d retired", q.items.Len(), len(q.out), x.puts, x.retired)
	}
}

// apply applies in to the machine, records the responses and calls
// x.after.
func (x *rnd) apply(in testInput) error {
	if in.kind == tinOpen {
		x.resp[in.session] = make(map[uint64]*wire.Response)
	}
	err := in.apply(x.m)
	outs := x.m.takeOutputs()
	x.record(outs)
	if x.after != nil {
		x.after(in, err, outs)
	}
	return err
}

func (x *rnd) newSession() {
	x.nextSess++
	s := x.nextSess
	x.apply(testInput{kind: tinOpen, session: s})
	x.live = append(x.live, s)
	x.openObj(s, 1, wire.ObjectLock, "l")
	x.openObj(s, 2, wire.ObjectRLock, "r")
	x.openObj(s, 3, wire.ObjectSemaphore, "s", 2, 1)
	x.openObj(s, 4, wire.ObjectQueue, "q", 0, 3)
	x.openObj(s, 5, wire.ObjectRWLock, "rw")
	x.openObj(s, 6, wire.ObjectCondition, "c", 1) // bound to the Lock
	if x.more {
		x.openObj(s, 7, wire.ObjectBarrier, "b", 3)
		x.openObj(s, 8, wire.ObjectEvent, "e")
		x.openObj(s, 9, wire.ObjectSimpleQueue, "sq")
		x.openObj(s, 10, wire.ObjectCondition, "oc", 0)
	}
}

// openObj opens handle h of session sid on name.
func (x *rnd) openObj(sid, h uint64, t wire.ObjectType, name string, params ...int64) {
	x.t.Helper()
	x.nextID++
	q := &wire.Request{ID: x.nextID, Op: wire.OpOpen, Object: t, Handle: h, Name: name, Ints: params}
	if err := x.apply(testInput{kind: tinRequest, session: sid, req: q}); err != nil {
		x.t.Fatal(err)
	}
	if err := x.got(sid, x.nextID).Err(); err != nil {
		x.t.Fatalf("open %v %q: %v", t, name, err)
	}
}

func (x *rnd) step() {
	s := x.live[x.r.IntN(len(x.live))]
	switch k := x.r.IntN(100); {
	case k < 3:
		x.apply(testInput{kind: tinEnd, session: s})
		for i, v := range x.live {
			if v == s {
				x.live = append(x.live[:i], x.live[i+1:]...)
				break
			}
		}
		x.newSession()
		return
	case k < 5:
		x.apply(testInput{kind: tinDetach, session: s})
		return
	case k < 8:
		x.apply(testInput{kind: tinAttach, session: s})
		return
	case k < 18:
		if ids := sortedKeys(x.m.sessions[s].pending); len(ids) > 0 {
			x.apply(testInput{kind: tinCancel, session: s, id: ids[x.r.IntN(len(ids))]})
		}
		return
	}
	type req struct {
		op   wire.Op
		h    uint64
		name string
		ints []int64
		bs   [][]byte
	}
	reqs := []req{
		{wire.OpLockLock, 1, "l", nil, nil}, {wire.OpLockTryLock, 1, "l", nil, nil}, {wire.OpLockUnlock, 1, "l", nil, nil},
		{wire.OpRLockLock, 2, "r", nil, nil}, {wire.OpRLockTryLock, 2, "r", nil, nil}, {wire.OpRLockUnlock, 2, "r", nil, nil},
		{wire.OpSemaphoreAcquire, 3, "s", nil, nil}, {wire.OpSemaphoreRelease, 3, "s", []int64{1}, nil},
		{wire.OpQueuePut, 4, "q", nil, [][]byte{[]byte(fmt.Sprint(x.nextID))}},
		{wire.OpQueueGet, 4, "q", nil, nil}, {wire.OpQueueTryGet, 4, "q", nil, nil}, {wire.OpQueueTaskDone, 4, "q", nil, nil},
		{wire.OpRWLockLock, 5, "rw", nil, nil}, {wire.OpRWLockRLock, 5, "rw", nil, nil},
		{wire.OpRWLockUnlock, 5, "rw", nil, nil}, {wire.OpRWLockRUnlock, 5, "rw", nil, nil},
		{wire.OpConditionWait, 6, "c", nil, nil}, {wire.OpConditionNotify, 6, "c", []int64{1}, nil},
	}
	if x.more {
		reqs = append(reqs,
			req{wire.OpConditionLock, 6, "c", nil, nil}, req{wire.OpConditionUnlock, 6, "c", nil, nil},
			req{wire.OpClose, 1, "l", nil, nil},
			req{wire.OpBarrierWait, 7, "b", []int64{0}, nil}, req{wire.OpBarrierWait, 7, "b", []int64{1}, nil},
			req{wire.OpBarrierActionDone, 7, "b", []int64{1}, nil}, req{wire.OpBarrierActionDone, 7, "b", []int64{0}, nil},
			req{wire.OpBarrierAbort, 7, "b", nil, nil}, req{wire.OpBarrierReset, 7, "b", nil, nil},
			req{wire.OpEventSet, 8, "e", nil, nil}, req{wire.OpEventClear, 8, "e", nil, nil}, req{wire.OpEventWait, 8, "e", nil, nil},
			req{wire.OpSimpleQueuePut, 9, "sq", nil, [][]byte{[]byte(fmt.Sprint(x.nextID))}},
			req{wire.OpSimpleQueueGet, 9, "sq", nil, nil}, req{wire.OpSimpleQueueTryGet, 9, "sq", nil, nil},
			req{wire.OpConditionLock, 10, "oc", nil, nil}, req{wire.OpConditionWait, 10, "oc", nil, nil},
			req{wire.OpConditionNotifyAll, 10, "oc", nil, nil}, req{wire.OpConditionUnlock, 10, "oc", nil, nil},
		)
	}
	q := reqs[x.r.IntN(len(reqs))]
	if q.op.Blocking() && len(x.m.sessions[s].pending) >= 8 {
		return
	}
	x.send(s, q.op, q.h, q.name, q.ints, q.bs...)
}

// record records the responses among outs.
func (x *rnd) record(outs []output) {
	for _, o := range outs {
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

func (x *rnd) send(sid uint64, op wire.Op, h uint64, name string, ints []int64, bs ...[]byte) {
	x.nextID++
	id := x.nextID
	q := &wire.Request{ID: id, Op: op, Object: op.Object(), Handle: h, Name: name, Ints: ints, Bytes: bs}
	if op == wire.OpClose {
		q.Object = wire.ObjectLock
	}
	if x.more && x.r.IntN(4) == 0 {
		q.Flags, q.Ack = wire.FlagAck, id-min(id, x.r.Uint64N(40))
	}
	qu := x.m.objects["q"].(*queue)
	unf, out := qu.unfinished, len(qu.out)
	if err := x.apply(testInput{kind: tinRequest, session: sid, req: q}); err != nil {
		x.t.Fatalf("request: %v", err)
	}
	switch op {
	case wire.OpQueueTaskDone:
		if qu.unfinished < unf && len(qu.out) < out {
			x.retired++ // a TaskDone with nothing outstanding retires no item
		}
	}
}

func (x *rnd) check() {
	t := x.t
	m := x.m
	// No waiter belongs to a dead session, and each pending waiter is
	// registered with its session.
	lists := map[string][]*waitList{}
	l := m.objects["l"].(*lock)
	r := m.objects["r"].(*rlock)
	sm := m.objects["s"].(*semaphore)
	qu := m.objects["q"].(*queue)
	rw := m.objects["rw"].(*rwlock)
	c := m.objects["c"].(*condition)
	lists["l"] = []*waitList{&l.q}
	lists["r"] = []*waitList{&r.q}
	lists["s"] = []*waitList{&sm.q}
	lists["q"] = []*waitList{&qu.getters, &qu.putters, &qu.joiners}
	lists["rw"] = []*waitList{&rw.q}
	lists["c"] = []*waitList{&c.q}
	for name, ls := range lists {
		for _, wl := range ls {
			n := 0
			for w := wl.head; w != nil; w = w.next {
				n++
				s := m.sessions[w.s.id]
				if s != w.s || s.pending[w.id] != w {
					t.Fatalf("%s: waiter %d of session %d is a ghost", name, w.id, w.s.id)
				}
			}
			if n != wl.len() {
				t.Fatalf("%s: list length %d, counted %d", name, wl.len(), n)
			}
		}
	}
	for _, s := range m.sessions {
		for id, w := range s.pending {
			if w.list == nil {
				t.Fatalf("session %d: pending request %d (%v) is in no wait list", s.id, id, w.op)
			}
		}
	}
	// At most one holder.
	if l.locked != (l.holder != nil) || !l.locked && l.q.len() > 0 {
		t.Fatalf("lock: locked %v holder %v waiters %d", l.locked, l.holder != nil, l.q.len())
	}
	if r.owner == nil && r.q.len() > 0 || r.owner != nil && r.owner.rcount < 1 {
		t.Fatal("rlock state")
	}
	if rw.writer != nil && rw.readers != 0 || rw.readers < 0 {
		t.Fatalf("rwlock: writer %v readers %d", rw.writer != nil, rw.readers)
	}
	if sm.value < 0 || sm.value > sm.initial || sm.value > 0 && sm.q.len() > 0 {
		t.Fatalf("semaphore value %d waiters %d", sm.value, sm.q.len())
	}
	// Queue: no duplicated or lost item; deliveries never exceed unfinished.
	seen := map[string]bool{}
	for _, it := range qu.items.All() {
		if seen[string(it.Val)] {
			t.Fatalf("queue: item %q twice", it.Val)
		}
		seen[string(it.Val)] = true
	}
	for _, d := range qu.out {
		if seen[string(d.it.Val)] {
			t.Fatalf("queue: item %q twice", d.it.Val)
		}
		seen[string(d.it.Val)] = true
		if m.sessions[d.s.id] != d.s {
			t.Fatalf("queue: delivery to dead session %d", d.s.id)
		}
	}
	x.puts = int(qu.seq)
	if qu.unfinished > qu.items.Len()+len(qu.out) || qu.items.Len()+len(qu.out)+x.retired != x.puts {
		t.Fatalf("queue: unfinished %d, items %d, out %d, retired %d, put %d", qu.unfinished, qu.items.Len(), len(qu.out), x.retired, x.puts)
	}
	// Fences grow.
	for name, f := range map[string]uint64{"l": l.fence, "r": r.fence, "s": sm.fence, "rw": rw.fence, "q": qu.fence} {
		if int64(f) < x.lastFence[name] {
			t.Fatalf("%s: fence went back from %d to %d", name, x.lastFence[name], f)
		}
		x.lastFence[name] = int64(f)
	}
}
