package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/itemq"
	"github.com/latchkey/latchkey/internal/wire"
)

// Snapshots. appendSnapshot encodes the machine's whole state and
// restoreMachine decodes it into a machine that behaves exactly as the
// original: the same inputs give the same outputs, byte for byte, and a
// snapshot of the restored machine is byte-identical to the one it came
// from. A write-ahead log of the machine's inputs is compacted by writing
// a snapshot and dropping the inputs before it.
//
// # Format (version 1)
//
// Integers are LEB128 uvarints in their shortest form; Go int fields and
// signed numbers are zigzag varints; booleans are one byte, 0 or 1;
// strings and byte strings are a uvarint length and the bytes; lists are
// a uvarint count and the elements. A frame (a response or event held for
// a session) is a byte string holding its wire payload (internal/wire,
// without the 4-byte length prefix).
//
//	snapshot = "LKSNAP" version objects sessions orphans outputs
//
// Each of the four sections is a byte string (a length, then the
// section), so a reader can bound every length by what the section has
// left.
//
//	objects  = list of (name, type, state), names ascending; the state is
//	           the type's (its save and restore methods)
//	sessions = list of session, ids ascending:
//	           id, maxFrame, attached, maxID,
//	           used handle ids (ascending),
//	           open handles (ids ascending): handle state,
//	           pending waiters (request ids ascending): id, handle id, op,
//	             lock handle ref, item, write, restore, index, action,
//	             notified, canceled,
//	           semaphore permits: (object name, count), names ascending,
//	           tracked objects: names, in first-use order,
//	           outbox: (frame, give-back flag [, SimpleQueue name, seq, item]),
//	           kept responses: frames, in the order of the keptIDs heap
//	orphans  = list of (session id, session open, handle state)
//	outputs  = list of (session id, frame): outputs not yet taken
//
//	handle state = id, object name, rcount, reads, write, bound handle ref
//
// References: an object by name, a session by id, a waiter by session id
// and request id (wait lists hold those, in list order), a handle by a
// tag: 0 for none; 1, session id, handle id for an open handle; 2, index
// for an orphan. An orphan is a handle that is not open (closed, or its
// session ended) but that the state still refers to: a Lock or RLock
// handle a Condition handle is bound to, closed while the condition's
// Wait was pending; the waiter goes on to take the lock through it.
// Orphans of ended sessions hang off a stand-in session of the same id
// (the machine never reads such a session; orphans of two ended sessions
// of the same id would share one).
//
// Derived state is not written: a handle's type and name (its object's),
// a waiter's object (its handle's), wait-list links (from the lists),
// the set of tracked objects (from their list), and the kept responses
// map (from the heap's order).
//
// # Corrupt input
//
// restoreMachine returns an error wrapping errCorruptSnapshot, naming the
// section, object or session and field, for input that is malformed or
// describes a state the machine cannot reach in ways it relies on
// (dangling references, a waiter in no wait list or in two). It bounds
// every length and count by the input left, so a small input never makes
// it allocate much, and it never returns a partly built machine.

const (
	snapshotMagic   = "LKSNAP"
	snapshotVersion = 1
)

// errCorruptSnapshot is wrapped by restoreMachine's errors about its input.
var errCorruptSnapshot = errors.New("server: corrupt snapshot")

// Handle reference tags.
const (
	refNone   = 0 // no handle
	refOpen   = 1 // an open handle: session id, handle id
	refOrphan = 2 // an orphan: index in the orphans section
)

// appendSnapshot appends an encoding of m's whole state to b.
func (m *machine) appendSnapshot(b []byte) []byte {
	e := &snapEncoder{m: m, b: append(b, snapshotMagic...)}
	e.uvarint(snapshotVersion)
	e.section(e.objects)
	e.section(e.sessions)
	e.section(e.orphanHandles)
	e.section(e.outputs)
	return e.b
}

// snapEncoder writes a snapshot.
type snapEncoder struct {
	m        *machine
	b        []byte
	names    map[object]string // object names, built on first use
	orphans  []*handle         // in the order first referred to
	orphanAt map[*handle]int   // index in orphans
	frameBuf []byte
}

// section appends what body appends, as a byte string.
func (e *snapEncoder) section(body func()) {
	start := len(e.b)
	body()
	e.insertUvarint(start, uint64(len(e.b)-start))
}

// insertUvarint inserts v at offset i of the output.
func (e *snapEncoder) insertUvarint(i int, v uint64) {
	var n [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(n[:], v)
	e.b = slices.Insert(e.b, i, n[:k]...)
}

func (e *snapEncoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *snapEncoder) int(v int)        { e.b = binary.AppendVarint(e.b, int64(v)) }
func (e *snapEncoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *snapEncoder) count(n int)      { e.uvarint(uint64(n)) }
func (e *snapEncoder) string(s string)  { e.b = append(binary.AppendUvarint(e.b, uint64(len(s))), s...) }
func (e *snapEncoder) bytes(p []byte)   { e.b = append(binary.AppendUvarint(e.b, uint64(len(p))), p...) }

func (e *snapEncoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// object appends a reference to o: its name.
func (e *snapEncoder) object(o object) { e.string(e.nameOf(o)) }

// nameOf returns o's name.
func (e *snapEncoder) nameOf(o object) string {
	if e.names == nil {
		e.names = make(map[object]string, len(e.m.objects))
		for name, o := range e.m.objects {
			e.names[o] = name
		}
	}
	return e.names[o]
}

// handle appends a reference to h, which may be nil.
func (e *snapEncoder) handle(h *handle) {
	switch {
	case h == nil:
		e.uvarint(refNone)
	case e.m.sessions[h.s.id] == h.s && h.s.handles[h.id] == h:
		e.uvarint(refOpen)
		e.uvarint(h.s.id)
		e.uvarint(h.id)
	default:
		i, ok := e.orphanAt[h]
		if !ok {
			if e.orphanAt == nil {
				e.orphanAt = make(map[*handle]int)
			}
			i = len(e.orphans)
			e.orphanAt[h] = i
			e.orphans = append(e.orphans, h)
		}
		e.uvarint(refOrphan)
		e.count(i)
	}
}

// waitList appends the waiters of l, in order, by session and request id.
func (e *snapEncoder) waitList(l *waitList) {
	e.count(l.len())
	for w := l.head; w != nil; w = w.next {
		e.uvarint(w.s.id)
		e.uvarint(w.id)
	}
}

// items appends the items of st in its layout (itemq.Store.All).
func (e *snapEncoder) items(st *itemq.Store) {
	all := st.All()
	e.count(len(all))
	for _, it := range all {
		e.item(it)
	}
}

// item appends a queue item: its sequence number and value.
func (e *snapEncoder) item(it itemq.Item) {
	e.uvarint(it.Seq)
	e.bytes(it.Val)
}

// grants appends what every granting object (Lock, RLock, RWLock,
// Semaphore) has: its fence counter, whether a holder died, its waiters.
func (e *snapEncoder) grants(fence uint64, died bool, q *waitList) {
	e.uvarint(fence)
	e.bool(died)
	e.waitList(q)
}

// frame appends f's wire payload. The machine only holds frames that
// encode (machine.fits checks every response with results); should one
// not, a stand-in that does is written instead.
func (e *snapEncoder) frame(f wire.Frame) {
	buf, err := wire.AppendPayload(e.frameBuf[:0], f)
	if err != nil {
		switch f := f.(type) {
		case *wire.Response:
			r := &wire.Response{ID: f.ID}
			r.SetErr(latchkey.Errorf(latchkey.KindUnavailable, "server: response lost in a snapshot: %v", err))
			buf, _ = wire.AppendPayload(e.frameBuf[:0], r)
		case *wire.Event:
			buf, _ = wire.AppendPayload(e.frameBuf[:0], &wire.Event{Code: f.Code, Handle: f.Handle})
		}
	}
	e.frameBuf = buf
	e.bytes(buf) // empty if not a response or an event: never held by the machine
}

func (e *snapEncoder) objects() {
	names := sortedKeys(e.m.objects)
	e.count(len(names))
	for _, name := range names {
		o := e.m.objects[name]
		e.string(name)
		e.uvarint(uint64(o.kind()))
		o.save(e)
	}
}

func (e *snapEncoder) sessions() {
	ids := sortedKeys(e.m.sessions)
	e.count(len(ids))
	for _, id := range ids {
		e.session(e.m.sessions[id])
	}
}

func (e *snapEncoder) session(s *session) {
	e.uvarint(s.id)
	e.int(s.maxFrame)
	e.bool(s.attached)
	e.uvarint(s.maxID)
	used := sortedKeys(s.used)
	e.count(len(used))
	for _, id := range used {
		e.uvarint(id)
	}
	handles := sortedKeys(s.handles)
	e.count(len(handles))
	for _, id := range handles {
		e.handleState(s.handles[id])
	}
	pending := sortedWaiters(s.pending)
	e.count(len(pending))
	for _, w := range pending {
		e.waiter(w)
	}
	type permits struct {
		name string
		n    int
	}
	var sems []permits
	for sm, n := range s.sems {
		sems = append(sems, permits{e.nameOf(sm), n})
	}
	slices.SortFunc(sems, func(a, b permits) int { return strings.Compare(a.name, b.name) })
	e.count(len(sems))
	for _, p := range sems {
		e.string(p.name)
		e.int(p.n)
	}
	e.count(len(s.tracked))
	for _, o := range s.tracked {
		e.object(o)
	}
	e.count(len(s.outbox))
	for _, p := range s.outbox {
		e.frame(p.frame)
		e.bool(p.back.sq != nil)
		if p.back.sq != nil {
			e.object(p.back.sq)
			e.item(p.back.item)
		}
	}
	e.count(len(s.keptIDs))
	for _, id := range s.keptIDs {
		e.frame(s.kept[id])
	}
}

// handleState appends h's own fields.
func (e *snapEncoder) handleState(h *handle) {
	e.uvarint(h.id)
	e.string(h.name)
	e.int(h.rcount)
	e.int(h.reads)
	e.bool(h.write)
	e.handle(h.bound)
}

func (e *snapEncoder) waiter(w *waiter) {
	e.uvarint(w.id)
	e.uvarint(w.h.id)
	e.uvarint(uint64(w.op))
	e.handle(w.lh)
	e.bytes(w.item)
	e.bool(w.write)
	e.int(w.restore)
	e.int(w.index)
	e.bool(w.action)
	e.bool(w.notified)
	e.bool(w.canceled)
}

// orphanHandles appends the orphans referred to so far; an orphan's
// bound handle may add one.
func (e *snapEncoder) orphanHandles() {
	start := len(e.b)
	for i := 0; i < len(e.orphans); i++ {
		h := e.orphans[i]
		e.uvarint(h.s.id)
		e.bool(e.m.sessions[h.s.id] == h.s)
		e.handleState(h)
	}
	e.insertUvarint(start, uint64(len(e.orphans)))
}

func (e *snapEncoder) outputs() {
	e.count(len(e.m.out))
	for _, o := range e.m.out {
		e.uvarint(o.session)
		e.frame(o.frame)
	}
}

// restoreMachine decodes a snapshot made by appendSnapshot into a new
// machine with limits l. It does not keep data.
func restoreMachine(l machineLimits, data []byte) (*machine, error) {
	d := &snapDecoder{m: newMachine(l), p: data, end: len(data), listed: make(map[*waiter]bool)}
	d.header()
	d.section("objects", d.objects)
	d.section("sessions", d.sessions)
	d.section("orphans", d.orphanHandles)
	d.section("outputs", d.outputs)
	if d.err == nil && d.off != len(d.p) {
		d.at = place{section: "end"}
		d.fail("end", "%d bytes after the last section", len(d.p)-d.off)
	}
	d.runFixUps(d.fixes)
	d.checkWaiters()
	if d.err != nil {
		return nil, d.err
	}
	return d.m, nil
}

// snapDecoder reads a snapshot. Its first error sticks: later reads
// return zero values.
type snapDecoder struct {
	m      *machine
	p      []byte
	off    int
	end    int // the end of the current section
	err    error
	at     place
	fixes  []fixUp // reference fix-ups, run once everything exists
	objFix []fixUp // object reference fix-ups, run after the objects section

	orphans []*handle
	ghosts  map[uint64]*session // stand-ins for ended sessions of orphans
	listed  map[*waiter]bool    // waiters put in a wait list
}

// place is what is being decoded, for errors.
type place struct {
	section string
	object  string // the object's name, if any
	session uint64 // the session's id, if inSess
	inSess  bool
	item    string // e.g. "handle", "waiter", if any
	itemID  uint64
}

func (p place) String() string {
	var b strings.Builder
	b.WriteString(p.section)
	if p.object != "" {
		fmt.Fprintf(&b, ": object %q", p.object)
	}
	if p.inSess {
		fmt.Fprintf(&b, ": session %d", p.session)
	}
	if p.item != "" {
		fmt.Fprintf(&b, ": %s %d", p.item, p.itemID)
	}
	return b.String()
}

// fail records an error about field, unless one is recorded already.
func (d *snapDecoder) fail(field, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %v: %s (at byte %d): %s", errCorruptSnapshot, d.at, field, d.off, fmt.Sprintf(format, args...))
	}
}

// fixUp is a reference to resolve once what it refers to exists, with
// the place and offset it was read at, for errors.
type fixUp struct {
	at  place
	off int
	fix func()
}

// later registers fix to run once every object, session and handle
// exists, in registration order.
func (d *snapDecoder) later(fix func()) {
	d.fixes = append(d.fixes, fixUp{d.at, d.off, fix})
}

// runFixUps runs fixes in order until one fails.
func (d *snapDecoder) runFixUps(fixes []fixUp) {
	off := d.off
	for _, f := range fixes {
		if d.err != nil {
			break
		}
		d.at, d.off = f.at, f.off
		f.fix()
	}
	d.off = off
}

func (d *snapDecoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.p[d.off:d.end])
	switch {
	case n == 0:
		d.fail(field, "truncated")
		return 0
	case n < 0:
		d.fail(field, "varint longer than 64 bits")
		return 0
	case n > 1 && d.p[d.off+n-1] == 0:
		d.fail(field, "varint not in its shortest form")
		return 0
	}
	d.off += n
	return v
}

// varint reads a zigzag varint.
func (d *snapDecoder) varint(field string) int64 {
	u := d.uvarint(field)
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// int reads a zigzag varint that must fit an int.
func (d *snapDecoder) int(field string) int {
	v := d.varint(field)
	if v < math.MinInt || v > math.MaxInt {
		d.fail(field, "%d does not fit an int", v)
		return 0
	}
	return int(v)
}

// uint reads a uvarint that must not exceed limit.
func (d *snapDecoder) uint(field string, limit uint64) uint64 {
	v := d.uvarint(field)
	if v > limit {
		d.fail(field, "%d exceeds %d", v, limit)
		return 0
	}
	return v
}

// count reads a list length: at most the bytes left in the section, since
// every element takes at least one byte.
func (d *snapDecoder) count(field string) int {
	n := d.uvarint(field)
	if rest := d.end - d.off; n > uint64(rest) {
		d.fail(field, "%d elements announced, %d bytes left", n, rest)
		return 0
	}
	return int(n)
}

func (d *snapDecoder) bool(field string) bool {
	if d.err != nil {
		return false
	}
	if d.off >= d.end {
		d.fail(field, "truncated")
		return false
	}
	b := d.p[d.off]
	if b > 1 {
		d.fail(field, "boolean %d", b)
		return false
	}
	d.off++
	return b == 1
}

// raw reads a byte string, aliasing the input.
func (d *snapDecoder) raw(field string) []byte {
	n := d.uvarint(field)
	if d.err != nil {
		return nil
	}
	if rest := d.end - d.off; n > uint64(rest) {
		d.fail(field, "%d bytes announced, %d left", n, rest)
		return nil
	}
	d.off += int(n)
	return d.p[d.off-int(n) : d.off]
}

// bytes reads a byte string into new memory.
func (d *snapDecoder) bytes(field string) []byte {
	b := d.raw(field)
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

func (d *snapDecoder) string(field string) string { return string(d.raw(field)) }

// name reads an object name.
func (d *snapDecoder) name(field string) string {
	b := d.raw(field)
	if d.err == nil && len(b) > latchkey.MaxNameLen {
		d.fail(field, "name of %d bytes", len(b))
	}
	return string(b)
}

// object reads a reference to an existing object.
func (d *snapDecoder) object(field string) object {
	name := d.name(field)
	o := d.m.objects[name]
	if o == nil && d.err == nil {
		d.fail(field, "no object %q", name)
	}
	return o
}

// objectLater reads an object reference within the objects section and
// calls set with the object after the section.
func (d *snapDecoder) objectLater(field string, set func(object)) {
	name := d.name(field)
	d.objFix = append(d.objFix, fixUp{d.at, d.off, func() {
		if o := d.m.objects[name]; o != nil {
			set(o)
		} else {
			d.fail(field, "no object %q", name)
		}
	}})
}

// handleRef reads a handle reference and calls set with the handle (nil
// for none) once every handle exists.
func (d *snapDecoder) handleRef(field string, set func(*handle)) {
	tag := d.uint(field, refOrphan)
	var a, b uint64
	switch tag {
	case refOpen:
		a, b = d.uvarint(field), d.uvarint(field)
	case refOrphan:
		a = d.uvarint(field)
	}
	if d.err != nil {
		return
	}
	if tag == refNone {
		set(nil)
		return
	}
	d.later(func() {
		var h *handle
		switch tag {
		case refOpen:
			s := d.m.sessions[a]
			if s == nil {
				d.fail(field, "no session %d", a)
				return
			}
			if h = s.handles[b]; h == nil {
				d.fail(field, "session %d has no open handle %d", a, b)
				return
			}
		case refOrphan:
			if a >= uint64(len(d.orphans)) {
				d.fail(field, "orphan %d of %d", a, len(d.orphans))
				return
			}
			h = d.orphans[a]
		}
		set(h)
	})
}

// sessionRef reads a session id and calls set with the open session of
// that id once every session exists.
func (d *snapDecoder) sessionRef(field string, set func(*session)) {
	id := d.uvarint(field)
	d.later(func() {
		if s := d.m.sessions[id]; s != nil {
			set(s)
		} else {
			d.fail(field, "no session %d", id)
		}
	})
}

// waitList reads the waiters of l and, once every waiter exists, pushes
// them in order. home is the object whose list it is: each waiter must be
// a request on it, or on a Condition bound to it.
func (d *snapDecoder) waitList(field string, l *waitList, home object) {
	type ref struct{ s, id uint64 }
	n := d.count(field)
	if n == 0 {
		return
	}
	refs := make([]ref, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		refs = append(refs, ref{d.uvarint(field), d.uvarint(field)})
	}
	d.later(func() {
		for _, r := range refs {
			var w *waiter
			if s := d.m.sessions[r.s]; s != nil {
				w = s.pending[r.id]
			}
			switch {
			case w == nil:
				d.fail(field, "session %d has no pending request %d", r.s, r.id)
			case d.listed[w]:
				d.fail(field, "request %d of session %d is in two wait lists", r.id, r.s)
			case !waitsOn(w, home):
				d.fail(field, "request %d of session %d (%v) waits on another object", r.id, r.s, w.op)
			}
			if d.err != nil {
				return
			}
			d.listed[w] = true
			l.push(w)
		}
	})
}

// waitsOn reports whether w may be in a wait list of home: w is a request
// on home, or on a Condition bound to home (re-acquiring its lock).
func waitsOn(w *waiter, home object) bool {
	if w.obj == home {
		return true
	}
	c, ok := w.obj.(*condition)
	return ok && c.bound == home
}

// items reads the items of a store of order.
func (d *snapDecoder) items(field string, order latchkey.Order) itemq.Store {
	n := d.count(field)
	its := make([]itemq.Item, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		its = append(its, d.item(field, field))
	}
	return itemq.Restore(order, its)
}

// item reads a queue item, naming its fields seqField and valField.
func (d *snapDecoder) item(seqField, valField string) itemq.Item {
	seq := d.uvarint(seqField)
	return itemq.Item{Seq: seq, Val: d.bytes(valField)}
}

// grants reads what snapEncoder.grants wrote; the waiters are requests on
// home (see waitList).
func (d *snapDecoder) grants(q *waitList, home object) (fence uint64, died bool) {
	fence = d.uvarint("fence")
	died = d.bool("died")
	d.waitList("waiters", q, home)
	return fence, died
}

// frame reads a response or an event.
func (d *snapDecoder) frame(field string) wire.Frame {
	p := d.raw(field)
	if d.err != nil {
		return nil
	}
	f, err := wire.Decode(p)
	if err != nil {
		d.fail(field, "%v", err)
		return nil
	}
	switch f := f.(type) {
	case *wire.Response:
		f.Bytes = copyByteList(f.Bytes) // they alias p; Ints do not
		return f
	case *wire.Event:
		return f // its fields are strings: copies
	}
	d.fail(field, "a %v frame, want a response or an event", f.Type())
	return nil
}

// copyByteList copies the byte strings of v into one new backing array.
func copyByteList(v [][]byte) [][]byte {
	n := 0
	for _, b := range v {
		n += len(b)
	}
	buf := make([]byte, 0, n)
	for i, b := range v {
		buf = append(buf, b...)
		v[i] = buf[len(buf)-len(b) : len(buf) : len(buf)]
	}
	return v
}

// section reads a length-prefixed section with body.
func (d *snapDecoder) section(name string, body func()) {
	d.at = place{section: name}
	n := d.uvarint("length")
	if rest := d.end - d.off; d.err == nil && n > uint64(rest) {
		d.fail("length", "%d bytes announced, %d left", n, rest)
	}
	if d.err != nil {
		return
	}
	d.end = d.off + int(n)
	body()
	if d.err == nil && d.off != d.end {
		d.at = place{section: name}
		d.fail("end", "%d bytes left over", d.end-d.off)
	}
	d.end = len(d.p)
}

func (d *snapDecoder) header() {
	d.at = place{section: "header"}
	if !bytes.HasPrefix(d.p, []byte(snapshotMagic)) {
		d.fail("magic", "not a latchkey snapshot")
		return
	}
	d.off = len(snapshotMagic)
	if v := d.uvarint("version"); d.err == nil && v != snapshotVersion {
		d.fail("version", "snapshot version %d; this server reads version %d", v, snapshotVersion)
	}
}

// emptyObject returns a new object of type t to load, or nil.
func emptyObject(t wire.ObjectType) object {
	switch t {
	case wire.ObjectLock:
		return new(lock)
	case wire.ObjectRLock:
		return new(rlock)
	case wire.ObjectRWLock:
		return new(rwlock)
	case wire.ObjectSemaphore:
		return new(semaphore)
	case wire.ObjectCondition:
		return new(condition)
	case wire.ObjectEvent:
		return new(event)
	case wire.ObjectBarrier:
		return new(barrier)
	case wire.ObjectQueue:
		return new(queue)
	case wire.ObjectSimpleQueue:
		return new(simpleQueue)
	case wire.ObjectDict:
		return newDict()
	case wire.ObjectList:
		return new(listObject)
	case wire.ObjectNamespace:
		return &namespace{attrs: make(map[string][]byte)}
	case wire.ObjectValue, wire.ObjectFloatValue:
		return &value{float: t == wire.ObjectFloatValue}
	case wire.ObjectArray, wire.ObjectFloatArray:
		return &array{float: t == wire.ObjectFloatArray}
	}
	return nil
}

func (d *snapDecoder) objects() {
	n := d.count("objects")
	d.m.objects = make(map[string]object, n)
	prev := ""
	for i := 0; i < n && d.err == nil; i++ {
		d.at = place{section: "objects"}
		name := d.name("name")
		if d.err != nil {
			return
		}
		d.at.object = name
		if err := latchkey.CheckName(name); err != nil {
			d.fail("name", "%v", err)
		}
		if i > 0 && name <= prev {
			d.fail("name", "names out of order or repeated (after %q)", prev)
		}
		prev = name
		t := wire.ObjectType(d.uint("type", math.MaxUint8))
		o := emptyObject(t)
		if o == nil {
			d.fail("type", "unknown object type %d", t)
		}
		if d.err != nil {
			return
		}
		o.restore(d)
		d.m.objects[name] = o
	}
	d.runFixUps(d.objFix)
}

func (d *snapDecoder) sessions() {
	n := d.count("sessions")
	d.m.sessions = make(map[uint64]*session, n)
	var prev uint64
	for i := 0; i < n && d.err == nil; i++ {
		d.at = place{section: "sessions"}
		id := d.uvarint("id")
		if d.err != nil {
			return
		}
		d.at.session, d.at.inSess = id, true
		if i > 0 && id <= prev {
			d.fail("id", "ids out of order or repeated (after %d)", prev)
		}
		prev = id
		s := d.session(id)
		if d.err != nil {
			return
		}
		d.m.sessions[id] = s
	}
}

func (d *snapDecoder) session(id uint64) *session {
	s := newSession(id, 0)
	s.maxFrame = d.int("max frame")
	s.attached = d.bool("attached")
	s.maxID = d.uvarint("max request id")
	var last uint64
	for i, n := 0, d.count("used handle ids"); i < n && d.err == nil; i++ {
		hid := d.uvarint("used handle id")
		if i > 0 && hid <= last {
			d.fail("used handle id", "%d: ids out of order or repeated", hid)
		}
		last = hid
		s.used[hid] = true
	}
	for i, n := 0, d.count("handles"); i < n && d.err == nil; i++ {
		h := d.handleState(s)
		switch {
		case d.err != nil:
		case i > 0 && h.id <= last:
			d.fail("handle id", "%d: ids out of order or repeated", h.id)
		case !s.used[h.id]:
			d.fail("handle id", "%d is not among the used ids", h.id)
		}
		last = h.id
		s.handles[h.id] = h
	}
	d.at.item = ""
	last = 0
	for i, n := 0, d.count("pending"); i < n && d.err == nil; i++ {
		w := d.waiter(s)
		if d.err == nil && i > 0 && w.id <= last {
			d.fail("request id", "%d: ids out of order or repeated", w.id)
		}
		last = w.id
		s.pending[w.id] = w
	}
	d.at.item = ""
	lastName := ""
	for i, n := 0, d.count("semaphore permits"); i < n && d.err == nil; i++ {
		name := d.name("semaphore")
		sm, ok := d.m.objects[name].(*semaphore)
		if !ok && d.err == nil {
			d.fail("semaphore", "%q is not a semaphore", name)
		}
		if i > 0 && name <= lastName {
			d.fail("semaphore", "%q: names out of order or repeated", name)
		}
		lastName = name
		s.sems[sm] = d.int("permits")
	}
	for i, n := 0, d.count("tracked"); i < n && d.err == nil; i++ {
		o := d.object("tracked")
		if d.err == nil && s.isTrack[o] {
			d.fail("tracked", "an object twice")
		}
		s.track(o)
	}
	for sm := range s.sems {
		if d.err == nil && !s.isTrack[sm] {
			d.fail("semaphore permits", "a semaphore the session does not track")
		}
	}
	for i, n := 0, d.count("outbox"); i < n && d.err == nil; i++ {
		p := pendingOutput{frame: d.frame("outbox frame")}
		if d.bool("give back") {
			o := d.object("give back queue")
			sq, ok := o.(*simpleQueue)
			if !ok && d.err == nil {
				d.fail("give back queue", "not a SimpleQueue")
			}
			p.back = giveBack{sq: sq, item: d.item("give back seq", "give back item")}
		}
		s.outbox = append(s.outbox, p)
	}
	for i, n := 0, d.count("kept"); i < n && d.err == nil; i++ {
		r, ok := d.frame("kept response").(*wire.Response)
		switch {
		case d.err != nil:
		case !ok:
			d.fail("kept response", "an event")
		case s.kept[r.ID] != nil:
			d.fail("kept response", "request %d twice", r.ID)
		case i > 0 && s.keptIDs[(i-1)/2] > r.ID:
			d.fail("kept response", "request %d breaks the heap order", r.ID)
		}
		if d.err != nil {
			break
		}
		s.kept[r.ID] = r
		s.keptIDs = append(s.keptIDs, r.ID)
	}
	return s
}

// handleState reads a handle's own fields, for a handle of s.
func (d *snapDecoder) handleState(s *session) *handle {
	h := &handle{s: s, id: d.uvarint("handle id")}
	d.at.item, d.at.itemID = "handle", h.id
	h.name = d.name("object")
	h.obj = d.m.objects[h.name]
	if h.obj == nil {
		d.fail("object", "no object %q", h.name)
		return h
	}
	h.typ = h.obj.kind()
	h.rcount = d.int("rcount")
	h.reads = d.int("reads")
	h.write = d.bool("write")
	d.handleRef("bound", func(b *handle) {
		c, isCond := h.obj.(*condition)
		switch {
		case !isCond && b != nil:
			d.fail("bound", "a %v handle bound to a lock", h.typ)
		case isCond && (c.own == nil) != (b != nil):
			d.fail("bound", "the handle's binding does not match its condition's")
		case b != nil && (b.s != h.s || b.obj != c.bound):
			d.fail("bound", "handle %d is not the session's handle on the condition's lock", b.id)
		}
		h.bound = b
	})
	return h
}

func (d *snapDecoder) waiter(s *session) *waiter {
	w := &waiter{s: s, id: d.uvarint("request id")}
	d.at.item, d.at.itemID = "waiter", w.id
	hid := d.uvarint("handle")
	if w.h = s.handles[hid]; w.h == nil {
		d.fail("handle", "no open handle %d", hid)
		return w
	}
	w.obj = w.h.obj
	w.op = wire.Op(d.uint("op", math.MaxUint16))
	if d.err == nil && (!w.op.Known() || w.op.Object() != w.h.typ) {
		d.fail("op", "%v on a %v handle", w.op, w.h.typ)
	}
	d.handleRef("lock handle", func(lh *handle) {
		if lh == nil {
			d.fail("lock handle", "none")
		}
		w.lh = lh
	})
	w.item = d.bytes("item")
	w.write = d.bool("write")
	w.restore = d.int("restore")
	w.index = d.int("index")
	w.action = d.bool("action")
	w.notified = d.bool("notified")
	w.canceled = d.bool("canceled")
	return w
}

func (d *snapDecoder) orphanHandles() {
	n := d.count("orphans")
	for i := 0; i < n && d.err == nil; i++ {
		d.at = place{section: "orphans", item: "orphan", itemID: uint64(i)}
		sid := d.uvarint("session")
		open := d.bool("session open")
		if d.err != nil {
			return
		}
		var s *session
		switch {
		case open:
			if s = d.m.sessions[sid]; s == nil {
				d.fail("session", "no session %d", sid)
				return
			}
		default: // an ended session, whose id may be in use again
			if s = d.ghosts[sid]; s == nil {
				if d.ghosts == nil {
					d.ghosts = make(map[uint64]*session)
				}
				s = newSession(sid, wire.DefaultMaxFrame)
				d.ghosts[sid] = s
			}
		}
		h := d.handleState(s)
		if d.err == nil && open && (s.handles[h.id] != nil || !s.used[h.id]) {
			d.fail("handle id", "%d is open or was never used in session %d", h.id, sid)
		}
		d.orphans = append(d.orphans, h)
	}
}

func (d *snapDecoder) outputs() {
	for i, n := 0, d.count("outputs"); i < n && d.err == nil; i++ {
		o := output{session: d.uvarint("session")}
		o.frame = d.frame("frame")
		d.m.out = append(d.m.out, o)
	}
}

// checkWaiters checks that every pending waiter is in a wait list, as
// the machine keeps them.
func (d *snapDecoder) checkWaiters() {
	for _, id := range sortedKeys(d.m.sessions) {
		for _, w := range sortedWaiters(d.m.sessions[id].pending) {
			if d.err != nil {
				return
			}
			if !d.listed[w] {
				d.at = place{section: "sessions", session: id, inSess: true, item: "waiter", itemID: w.id}
				d.fail("wait list", "%v is in no wait list", w.op)
			}
		}
	}
}
