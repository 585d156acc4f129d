package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// machine is the server's deterministic core: every object, session,
// handle and waiter, and every rule of protocol.md sections 6 to 8. It
// starts no goroutine, reads no clock and does no I/O: its owner feeds it
// inputs one at a time (session open, attach, detach and end, a request, a
// cancel) and collects the outputs (responses and events addressed to
// sessions) with takeOutputs. The same inputs in the same order always
// give the same outputs.
//
// A machine is not safe for concurrent use: one goroutine owns it.
type machine struct {
	limits   machineLimits
	objects  map[string]object   // by name
	sessions map[uint64]*session // by id
	out      []output            // produced since the last takeOutputs
	scratch  []byte              // for measuring responses
	// fenceBase is the lowest fence counter of any object: raised on a
	// restart of a server whose log may have lost grants (see fence.go).
	fenceBase uint64
}

// machineLimits are the per-session bounds the machine enforces.
type machineLimits struct {
	maxHandles int // open handles per session; ≤ 0: unbounded
	maxPending int // pending blocking requests per session; ≤ 0: unbounded
	maxKept    int // responses kept for retries per session; ≤ 0: 10000
}

// output is a frame for a session: a *wire.Response or a *wire.Event.
type output struct {
	session uint64
	frame   wire.Frame
}

// limitError is returned by machine.request when a session exceeded a
// limit or broke the protocol: the owner sends a Goodbye of Reason and
// closes the connection.
type limitError struct {
	reason wire.Reason
	msg    string
}

func (e *limitError) Error() string { return e.msg }

// session is one client session as the machine sees it.
type session struct {
	id       uint64
	maxFrame int                       // the client's frame size limit
	attached bool                      // a connection carries the session
	handles  map[uint64]*handle        // open handles by id
	used     map[uint64]bool           // every handle id ever opened
	pending  map[uint64]*waiter        // blocking requests by request id
	sems     map[*semaphore]int        // permits taken minus released, per semaphore
	tracked  []object                  // objects whose endSession must run for s, in first-use order
	isTrack  map[object]bool           // the set of tracked
	outbox   []pendingOutput           // outputs produced while detached
	maxID    uint64                    // the highest request id applied
	kept     map[uint64]*wire.Response // responses kept for retries, by request id
	keptIDs  idHeap                    // the ids of kept, smallest first
}

// pendingOutput is an output held for a detached session, with what to
// give back if the session ends before it is delivered.
type pendingOutput struct {
	frame wire.Frame
	back  giveBack
}

// handle is an open handle of a session on an object.
type handle struct {
	id   uint64
	s    *session
	obj  object
	typ  wire.ObjectType
	name string

	rcount int     // RLock: this handle's recursion count (when it owns the lock)
	reads  int     // RWLock: read holds
	write  bool    // RWLock: write hold
	bound  *handle // Condition: the Lock or RLock handle it acts through; nil for its own lock
}

// waiter is a pending blocking request.
type waiter struct {
	s   *session
	h   *handle
	id  uint64 // request id
	op  wire.Op
	obj object

	list       *waitList // the list w is in, if any
	prev, next *waiter

	lh       *handle // lock waits: the handle acting on the lock
	item     []byte  // Queue.Put: the item
	write    bool    // RWLock: a write lock
	restore  int     // RLock and Condition re-acquire: the recursion count to take
	index    int     // Barrier: arrival index
	action   bool    // Barrier: the handle has an action
	notified bool    // Condition: notified (or cancelled): re-acquiring the lock
	canceled bool    // Condition: answer status 2 once the lock is re-acquired
}

// object is a named object's state.
type object interface {
	// kind returns the object type.
	kind() wire.ObjectType
	// sameParams reports whether Open parameters p match the object's.
	sameParams(m *machine, s *session, p []int64) error
	// waiters returns the count conformance.Waiters defines.
	waiters() int
	// do applies a request through handle h.
	do(m *machine, h *handle, q *wire.Request)
	// cancel handles a Cancel of w (still pending).
	cancel(m *machine, w *waiter)
	// abandon removes w without answering it (session end), or with
	// status 2 (handle close) when reply is set.
	abandon(m *machine, w *waiter, reply bool)
	// release gives back every hold of h; died marks it an owner death.
	release(m *machine, h *handle)
	// endSession cleans up what s owned beyond its handles' holds.
	endSession(m *machine, s *session)
	// save appends the object's state to a snapshot (snapshot.go).
	save(e *snapEncoder)
	// restore sets the state of a new, empty object from a snapshot; it
	// records an error in d, or reference fix-ups to run once every
	// object, session and handle exists.
	restore(d *snapDecoder)
}

// baseObject gives objects default no-op hooks.
type baseObject struct{}

func (baseObject) waiters() int                                 { return 0 }
func (baseObject) cancel(*machine, *waiter)                     {}
func (baseObject) abandon(*machine, *waiter, bool)              {}
func (baseObject) release(*machine, *handle)                    {}
func (baseObject) endSession(*machine, *session)                {}
func (baseObject) sameParams(*machine, *session, []int64) error { return nil }

func newMachine(l machineLimits) *machine {
	return &machine{limits: l, objects: make(map[string]object), sessions: make(map[uint64]*session)}
}

// openSession creates an attached session. id must be new and non-zero.
func (m *machine) openSession(id uint64, maxFrame int) {
	if maxFrame <= 0 {
		maxFrame = wire.DefaultMaxFrame
	}
	s := newSession(id, maxFrame)
	s.attached = true
	m.sessions[id] = s
}

// newSession returns an empty detached session.
func newSession(id uint64, maxFrame int) *session {
	return &session{
		id: id, maxFrame: maxFrame,
		handles: make(map[uint64]*handle), used: make(map[uint64]bool),
		pending: make(map[uint64]*waiter), sems: make(map[*semaphore]int),
		isTrack: make(map[object]bool), kept: make(map[uint64]*wire.Response),
	}
}

// hasSession reports whether session id exists.
func (m *machine) hasSession(id uint64) bool { return m.sessions[id] != nil }

// detach marks session id as without a connection: its outputs are held.
func (m *machine) detach(id uint64) {
	if s := m.sessions[id]; s != nil {
		s.attached = false
	}
}

// attach gives session id a connection again (with the client's frame
// size limit) and releases the outputs held meanwhile.
func (m *machine) attach(id uint64, maxFrame int) {
	s := m.sessions[id]
	if s == nil {
		return
	}
	if maxFrame <= 0 {
		maxFrame = wire.DefaultMaxFrame
	}
	s.attached, s.maxFrame = true, maxFrame
	for _, p := range s.outbox {
		m.out = append(m.out, output{session: id, frame: p.frame})
	}
	s.outbox = nil
}

// endSession ends session id: its pending requests are dropped without
// response, its handles closed and their holds released, and every
// undelivered output undone.
func (m *machine) endSession(id uint64) {
	s := m.sessions[id]
	if s == nil {
		return
	}
	for _, w := range sortedWaiters(s.pending) {
		delete(s.pending, w.id)
		w.obj.abandon(m, w, false)
	}
	for _, id := range sortedKeys(s.handles) {
		h := s.handles[id]
		h.obj.release(m, h)
	}
	for _, o := range s.tracked {
		o.endSession(m, s)
	}
	delete(m.sessions, id)
	for _, p := range slices.Backward(s.outbox) {
		p.back.apply(m)
	}
	s.outbox = nil
}

// track makes o's endSession run when s ends: objects call it when s
// comes to own something beyond its handles' holds (permits, taken queue
// items), so that ending a session costs what it owned, not the number of
// objects on the server.
func (s *session) track(o object) {
	if !s.isTrack[o] {
		s.isTrack[o] = true
		s.tracked = append(s.tracked, o)
	}
}

func sortedKeys[K interface{ ~uint64 | ~string }, V any](mp map[K]V) []K {
	ks := make([]K, 0, len(mp))
	for k := range mp {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sortedWaiters(mp map[uint64]*waiter) []*waiter {
	ws := make([]*waiter, 0, len(mp))
	for _, k := range sortedKeys(mp) {
		ws = append(ws, mp[k])
	}
	return ws
}

// takeOutputs returns the outputs produced since the last call.
func (m *machine) takeOutputs() []output {
	o := m.out
	m.out = nil
	return o
}

// emit sends f to s, or holds it while s is detached. A response is also
// kept, for a retry of its request.
func (m *machine) emit(s *session, f wire.Frame, back giveBack) {
	if r, ok := f.(*wire.Response); ok {
		m.keep(s, r)
	}
	m.send(s, f, back)
}

// send sends f to s, or holds it while s is detached.
func (m *machine) send(s *session, f wire.Frame, back giveBack) {
	if s.attached {
		m.out = append(m.out, output{session: s.id, frame: f})
		return
	}
	s.outbox = append(s.outbox, pendingOutput{frame: f, back: back})
}

// reply answers request id of s with success.
func (m *machine) reply(s *session, id uint64, ints []int64, bs [][]byte) {
	m.replyBack(s, id, ints, bs, giveBack{})
}

// replyBack is reply with what to give back if s ends before the
// response is delivered. A response too large for s gives it back at once.
func (m *machine) replyBack(s *session, id uint64, ints []int64, bs [][]byte, back giveBack) {
	r := &wire.Response{ID: id, Ints: ints, Bytes: bs}
	if !m.fits(s, r) {
		back.apply(m)
		back = giveBack{}
		r = &wire.Response{ID: id}
		r.SetErr(latchkey.Errorf(latchkey.KindOutOfRange, "server: response larger than the client's frame limit of %d bytes", s.maxFrame))
	}
	m.emit(s, r, back)
}

// fail answers request id of s with err (and optional results).
func (m *machine) fail(s *session, id uint64, err error, ints ...int64) {
	r := &wire.Response{ID: id, Ints: ints}
	r.SetErr(err)
	m.emit(s, r, giveBack{})
}

// canceled answers request id of s with status 2.
func (m *machine) canceled(s *session, id uint64) {
	m.emit(s, &wire.Response{ID: id, Status: wire.StatusCanceled}, giveBack{})
}

// fits reports whether r fits s's frame size limit.
func (m *machine) fits(s *session, r *wire.Response) bool {
	n := 64 + 10*len(r.Ints)
	for _, b := range r.Bytes {
		n += len(b) + 10
	}
	if n <= s.maxFrame {
		return true
	}
	buf, err := wire.Append(m.scratch[:0], r)
	if cap(buf) <= 64<<10 {
		m.scratch = buf
	}
	return err == nil && len(buf)-4 <= s.maxFrame
}

// fitsBytes reports whether a response carrying bs would fit s's limit:
// the check an op makes before it takes effect.
func (m *machine) fitsBytes(s *session, bs ...[]byte) bool {
	return m.fits(s, &wire.Response{ID: 1 << 62, Ints: []int64{1 << 62}, Bytes: bs})
}

// finish ends pending waiter w (which must be out of every list).
func (m *machine) finish(w *waiter) { delete(w.s.pending, w.id) }

// grantOK finishes w with success.
func (m *machine) grantOK(w *waiter, ints []int64, bs [][]byte) {
	m.finish(w)
	m.reply(w.s, w.id, ints, bs)
}

// grantErr finishes w with an error.
func (m *machine) grantErr(w *waiter, err error, ints ...int64) {
	m.finish(w)
	m.fail(w.s, w.id, err, ints...)
}

// request applies request q of session sid. q must not be modified
// afterwards. It returns a *limitError when the session must be closed.
func (m *machine) request(sid uint64, q *wire.Request) error {
	s := m.sessions[sid]
	if s == nil {
		return nil
	}
	if q.Flags&wire.FlagAck != 0 {
		s.forget(q.Ack)
	}
	if q.ID <= s.maxID {
		m.retry(s, q)
		return nil
	}
	s.maxID = q.ID
	if !q.Op.Known() {
		m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: unknown op %v", q.Op))
		return nil
	}
	if q.Op.Blocking() && m.limits.maxPending > 0 && len(s.pending) >= m.limits.maxPending {
		return &limitError{wire.ReasonLimit, fmt.Sprintf("server: more than %d pending requests", m.limits.maxPending)}
	}
	switch q.Op {
	case wire.OpOpen:
		return m.open(s, q)
	case wire.OpList:
		m.list(s, q)
		return nil
	case wire.OpWaiters:
		m.waitersOp(s, q)
		return nil
	}
	h := s.handles[q.Handle]
	switch {
	case h == nil:
		m.fail(s, q.ID, latchkey.Errorf(latchkey.KindClosed, "server: handle %d is not open", q.Handle))
	case q.Object != h.typ || q.Op.Object() != h.typ && q.Op != wire.OpClose || q.Name != h.name:
		m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: %v on handle %d of %v %q: object or name mismatch", q.Op, q.Handle, h.typ, h.name))
	case q.Op == wire.OpClose:
		if !argc(m, s, q, 0, 0) {
			return nil
		}
		m.closeHandle(h)
		m.reply(s, q.ID, nil, nil)
	default:
		h.obj.do(m, h, q)
	}
	return nil
}

// closeHandle closes h: its pending requests get status 2, its holds are
// released.
func (m *machine) closeHandle(h *handle) {
	s := h.s
	// A Condition handle acting through h cannot go on without it: it is
	// closed first, so that none of its waits re-acquires the lock
	// through a closed handle (which nothing could then release).
	for _, id := range sortedKeys(s.handles) {
		if c := s.handles[id]; c.bound == h {
			m.closeHandle(c)
		}
	}
	for _, w := range sortedWaiters(s.pending) {
		if w.h == h {
			delete(s.pending, w.id)
			w.obj.abandon(m, w, true)
		}
	}
	h.obj.release(m, h)
	delete(s.handles, h.id)
}

// cancel applies a Cancel of request rid of session sid.
func (m *machine) cancel(sid, rid uint64) {
	s := m.sessions[sid]
	if s == nil {
		return
	}
	if w := s.pending[rid]; w != nil {
		w.obj.cancel(m, w)
	}
}

// cancelSimple is the common cancel: remove w from its list, answer 2.
func (m *machine) cancelSimple(w *waiter) {
	if w.list != nil {
		w.list.remove(w)
	}
	m.finish(w)
	m.canceled(w.s, w.id)
}

// abandonSimple is the common abandon: remove w, answer 2 if reply.
func (m *machine) abandonSimple(w *waiter, reply bool) {
	if w.list != nil {
		w.list.remove(w)
	}
	if reply {
		m.canceled(w.s, w.id)
	}
}

// wait registers q as a pending waiter in list l (may be nil).
func (m *machine) wait(h *handle, q *wire.Request, l *waitList) *waiter {
	w := &waiter{s: h.s, h: h, id: q.ID, op: q.Op, obj: h.obj, lh: h}
	h.s.pending[q.ID] = w
	if l != nil {
		l.push(w)
	}
	return w
}

// argc checks the argument counts of q; on mismatch it answers Invalid.
func argc(m *machine, s *session, q *wire.Request, ints, bs int) bool {
	if len(q.Ints) != ints || len(q.Bytes) != bs {
		m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: %v takes %d ints and %d byte strings, got %d and %d", q.Op, ints, bs, len(q.Ints), len(q.Bytes)))
		return false
	}
	return true
}

// open applies an Open request.
func (m *machine) open(s *session, q *wire.Request) error {
	if len(q.Bytes) != 0 {
		m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: Open takes no byte strings"))
		return nil
	}
	if err := latchkey.CheckName(q.Name); err != nil {
		m.fail(s, q.ID, err)
		return nil
	}
	if q.Handle == 0 || s.used[q.Handle] {
		m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: handle id %d is zero or already used", q.Handle))
		return nil
	}
	if m.limits.maxHandles > 0 && len(s.handles) >= m.limits.maxHandles {
		return &limitError{wire.ReasonLimit, fmt.Sprintf("server: more than %d open handles", m.limits.maxHandles)}
	}
	h := &handle{id: q.Handle, s: s, typ: q.Object, name: q.Name}
	obj := m.objects[q.Name]
	if obj != nil {
		if obj.kind() != q.Object {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindMismatch, "server: %q is a %v, not a %v", q.Name, obj.kind(), q.Object))
			return nil
		}
		if err := obj.sameParams(m, s, q.Ints); err != nil {
			m.fail(s, q.ID, err)
			return nil
		}
	} else {
		var err error
		if obj, err = m.newObject(s, q.Object, q.Ints); err != nil {
			m.fail(s, q.ID, err)
			return nil
		}
		raiseFence(obj, m.fenceBase)
		m.objects[q.Name] = obj
	}
	if c, ok := obj.(*condition); ok && len(q.Ints) == 1 && q.Ints[0] != 0 {
		h.bound = s.handles[uint64(q.Ints[0])]
		_ = c
	}
	h.obj = obj
	s.handles[h.id] = h
	s.used[h.id] = true
	m.reply(s, q.ID, nil, nil)
	return nil
}

// newObject creates an object of type t with Open parameters p.
func (m *machine) newObject(s *session, t wire.ObjectType, p []int64) (object, error) {
	want := map[wire.ObjectType]int{
		wire.ObjectLock: 0, wire.ObjectRLock: 0, wire.ObjectRWLock: 0, wire.ObjectSemaphore: 2,
		wire.ObjectCondition: 1, wire.ObjectEvent: 0, wire.ObjectBarrier: 1, wire.ObjectQueue: 2,
		wire.ObjectSimpleQueue: 0, wire.ObjectDict: 0, wire.ObjectList: 0, wire.ObjectNamespace: 0,
		wire.ObjectValue: 0, wire.ObjectFloatValue: 0, wire.ObjectArray: 1, wire.ObjectFloatArray: 1,
	}
	n, ok := want[t]
	if !ok {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "server: unknown object type %d", t)
	}
	if len(p) != n {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "server: a %v takes %d parameters, got %d", t, n, len(p))
	}
	switch t {
	case wire.ObjectLock:
		return new(lock), nil
	case wire.ObjectRLock:
		return new(rlock), nil
	case wire.ObjectRWLock:
		return new(rwlock), nil
	case wire.ObjectSemaphore:
		return newSemaphore(p)
	case wire.ObjectCondition:
		return newCondition(s, p)
	case wire.ObjectEvent:
		return new(event), nil
	case wire.ObjectBarrier:
		return newBarrier(p)
	case wire.ObjectQueue:
		return newQueue(p)
	case wire.ObjectSimpleQueue:
		return new(simpleQueue), nil
	case wire.ObjectDict:
		return newDict(), nil
	case wire.ObjectList:
		return new(listObject), nil
	case wire.ObjectNamespace:
		return &namespace{attrs: make(map[string][]byte)}, nil
	case wire.ObjectValue:
		return &value{}, nil
	case wire.ObjectFloatValue:
		return &value{float: true}, nil
	case wire.ObjectArray, wire.ObjectFloatArray:
		return newArray(p, t == wire.ObjectFloatArray)
	}
	return nil, latchkey.Errorf(latchkey.KindInvalid, "server: unknown object type %d", t)
}

// list applies a List request.
func (m *machine) list(s *session, q *wire.Request) {
	if !argc(m, s, q, 0, 0) {
		return
	}
	var ints []int64
	var names [][]byte
	for _, name := range sortedKeys(m.objects) {
		o := m.objects[name]
		if q.Object != wire.ObjectNone && o.kind() != q.Object || !strings.HasPrefix(name, q.Name) {
			continue
		}
		ints = append(ints, int64(o.kind()), int64(o.waiters()))
		names = append(names, []byte(name))
	}
	m.reply(s, q.ID, ints, names)
}

// waitersOp applies a Waiters request.
func (m *machine) waitersOp(s *session, q *wire.Request) {
	if !argc(m, s, q, 0, 0) {
		return
	}
	o := m.objects[q.Name]
	if o == nil || q.Object != wire.ObjectNone && o.kind() != q.Object {
		m.fail(s, q.ID, latchkey.Errorf(latchkey.KindNotFound, "server: no object %q", q.Name))
		return
	}
	m.reply(s, q.ID, []int64{int64(o.waiters())}, nil)
}

// invalid answers q with an Invalid error for an unexpected op.
func (m *machine) invalidOp(s *session, q *wire.Request) {
	m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: op %v does not apply here", q.Op))
}

// boolInt returns 1 for true, 0 for false.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ownerDied returns the error reported with a grant whose previous holder
// died holding it.
func ownerDied() error { return latchkey.ErrOwnerDied }
