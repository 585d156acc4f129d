package shm

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/latchkey/latchkey"
)

// The layout of an object file (see "File layout" in the package doc).
// Every word is naturally aligned and accessed atomically; the byte order
// is the host's.
const (
	fileMagic   = 0x314d48534b4c5441 // "ATLKSHM1" read as a little-endian word
	fileVersion = 1

	// Header.
	offMagic   = 0   // uint64
	offVersion = 8   // uint32
	offKind    = 12  // uint32
	offSize    = 16  // uint64: the file's size
	offParams  = 24  // [numParams]uint64
	numParams  = 6   //
	offNameLen = 72  // uint64
	offName    = 80  // [latchkey.MaxNameLen]byte
	headerSize = 512 //

	// Core: the guard, its redo log, the waiter queue, the process table.
	offGuard      = 512  // uint32 futex: holder's pid | guardWaiters
	offOverSeq    = 516  // uint32 futex: rung when a waiter slot is freed
	offGuardIdent = 520  // uint64: the guard holder's ident
	offLogN       = 528  // uint64: committed, not yet fully applied log entries
	offLog        = 536  // [logCap]logEntry
	logCap        = 24   //
	logEntrySize  = 24   //
	offTicket     = 1112 // uint64: the next waiter's ticket
	offNWait      = 1120 // uint64: slots in state slotWaiting
	offOverflow   = 1128 // uint64: calls waiting for a free slot
	offProcs      = 1152 // [maxProcs]proc
	maxProcs      = 127  // process indices are 1..maxProcs
	procSize      = 32   //
	offSlots      = 5248 // [numSlots]slot
	numSlots      = 64   //
	slotSize      = 64   //
	offBody       = 9344 // the object's own words

	// A process-table entry.
	procIdent    = 0  // uint64: makeIdent(pid, start), 0 when free
	procCount    = 8  // uint64: permits (or holds) taken and not given back
	procOverflow = 16 // uint64: this process's calls waiting for a free slot
	procAux      = 24 // uint64: kind-specific (a Barrier's: the cycle procCount counts in, plus 1)

	// A waiter slot.
	slotCtl    = 0  // uint64: state | proc<<8 | slotDied
	slotTicket = 8  // uint64: arrival order
	slotFence  = 16 // uint64: the fence granted
	slotArg    = 24 // uint64: kind-specific
	slotSeq    = 32 // uint32 futex: the waiter's doorbell

	maxFileSize = 1 << 40
)

// Slot states and flags, in slotCtl.
const (
	slotFree    = 0
	slotWaiting = 1
	slotGranted = 2
	slotStateM  = 0xff
	slotProcSh  = 8
	slotDied    = 1 << 16 // the grant comes with ErrOwnerDied
)

const guardWaiters = 1 << 31

// Process identities: a pid (22 bits, Linux's largest pid_max) and the
// process's start time in clock ticks since boot, in one word so that a
// table entry is claimed with one compare-and-swap.
const identPidBits = 22

func makeIdent(pid int, start uint64) uint64 {
	return start<<identPidBits | uint64(pid)&(1<<identPidBits-1)
}
func identPid(id uint64) int      { return int(id & (1<<identPidBits - 1)) }
func identStart(id uint64) uint64 { return id >> identPidBits }

// fileKey identifies a mapped file: a name removed and created again is
// another file.
type fileKey struct{ dev, ino uint64 }

// region is one process's mapping of an object file. Handles of one
// object opened through one Manager share it; it is unmapped when the last
// of them is garbage collected, so every method that touches the mapping
// keeps its region alive to the end (runtime.KeepAlive).
type region struct {
	data     []byte
	base     unsafe.Pointer
	path     string
	name     string
	me       uint64        // this process's index in the process table
	ident    uint64        // this process's identity
	interval time.Duration // how long a wait lasts before liveness checks
	obj      objectCore    // the kind's recovery hooks

	rl rlockLocal // which handle of this process owns the region's lock, if an RLock
	t  tx         // the transaction of the guard section in progress; guarded by the guard

	checkMu   sync.Mutex // guards lastCheck
	lastCheck map[uint64]time.Time
}

// objectCore is what the region's generic code needs from an object kind:
// how to give back what a dead process held, and whom to suspect when a
// waiter has waited for an interval. Every method but suspects is called
// with the guard held.
//
// Adding a kind: give it a kind
// number (manager.go), a body layout after offBody and its parameters, an
// objectCore, and a case in newCore. Its operations take the guard, stage
// their changes in r.begin()'s transaction (at most logCap words per
// commit: split larger changes into steps that each leave a consistent
// state, as semCore.dispatch does) and commit. A blocking call uses
// queue (with a non-blocking attempt) and settle; the code that
// serves waiters grants their slots (tx.grant, whose doorbells ring when
// the guard is released) and puts per-grant results in slotFence and
// slotArg. Bytes too large for the log (a queue's items) are written to
// space that no committed word refers to yet, and published by committing
// the word that does. Per-process holdings that must come back when a
// process dies go in its process-table entry (procCount, or a new field).
type objectCore interface {
	// reapGrant undoes a grant made to the dead process idx in slot i,
	// which that process never claimed. The caller frees the slot.
	reapGrant(t *tx, i int, idx uint64)
	// reapHolder gives back what the dead process idx holds.
	reapHolder(t *tx, idx uint64)
	// dispatch grants what can be granted to waiters after a reap; the
	// caller commits what it leaves staged.
	dispatch(t *tx)
	// suspects appends the indices of the processes whose death would let
	// a waiter proceed.
	suspects(ids []uint64) []uint64
}

func (r *region) u64(off uintptr) *atomic.Uint64 {
	return (*atomic.Uint64)(unsafe.Add(r.base, off))
}

// p64 returns the word at off for a plain access (see [tx.commit]).
func (r *region) p64(off uintptr) *uint64 {
	return (*uint64)(unsafe.Add(r.base, off))
}

func (r *region) u32(off uintptr) *atomic.Uint32 {
	return (*atomic.Uint32)(unsafe.Add(r.base, off))
}

func procOff(idx uint64, field uintptr) uintptr {
	return offProcs + uintptr(idx-1)*procSize + field
}

func slotOff(i int, field uintptr) uintptr {
	return offSlots + uintptr(i)*slotSize + field
}

func (r *region) param(i int) uint64 { return r.u64(offParams + uintptr(i)*8).Load() }

// initHeader fills in the header of a new object file.
func initHeader(data []byte, kind uint32, params [numParams]uint64, name string) {
	r := &region{base: unsafe.Pointer(&data[0])}
	r.u32(offVersion).Store(fileVersion)
	r.u32(offKind).Store(kind)
	r.u64(offSize).Store(uint64(len(data)))
	for i, p := range params {
		r.u64(offParams + uintptr(i)*8).Store(p)
	}
	r.u64(offNameLen).Store(uint64(len(name)))
	copy(data[offName:offName+latchkey.MaxNameLen], name)
	r.u64(offMagic).Store(fileMagic)
}

// storedName returns the name recorded in the header.
func (r *region) storedName() string {
	n := r.u64(offNameLen).Load()
	if n > latchkey.MaxNameLen {
		return ""
	}
	return string(r.data[offName : offName+n])
}

// # The guard

// lockGuard takes the region's guard: the internal mutex under which
// every change but the lock fast paths is made. Guard sections are short
// and never block. A waiter that waits a whole interval checks whether the
// holder died, and if so takes the guard over and replays the holder's
// redo log, which makes its last change complete.
func (r *region) lockGuard() {
	g := r.u32(offGuard)
	pid := uint32(identPid(r.ident))
	if !g.CompareAndSwap(0, pid) {
		r.lockGuardSlow(g, pid)
	}
	*r.p64(offGuardIdent) = r.ident
	raceAcquire(unsafe.Pointer(&r.t))
}

func (r *region) lockGuardSlow(g *atomic.Uint32, pid uint32) {
	for range 8 {
		runtime.Gosched()
		if g.CompareAndSwap(0, pid) {
			return
		}
	}
	for {
		v := g.Load()
		if v == 0 {
			// Others may still wait: keep the bit, so Unlock wakes one.
			if g.CompareAndSwap(0, pid|guardWaiters) {
				return
			}
			continue
		}
		if v&guardWaiters == 0 && !g.CompareAndSwap(v, v|guardWaiters) {
			continue
		}
		if !futexWait(g, v|guardWaiters, r.interval) {
			continue
		}
		// A whole interval: has the holder died?
		holder := int(v &^ guardWaiters)
		id := r.u64(offGuardIdent).Load()
		if identPid(id) != holder {
			id = makeIdent(holder, 0) // it died before recording itself
		}
		if identDead(id) && g.CompareAndSwap(v|guardWaiters, pid|guardWaiters) {
			r.replay()
			return
		}
	}
}

// unlockGuard releases the guard, then rings the doorbells that the
// guard section's transactions asked for.
func (r *region) unlockGuard() {
	rings, over := r.t.rings, r.t.ringOver
	r.t.rings, r.t.ringOver = 0, false
	raceRelease(unsafe.Pointer(&r.t))
	g := r.u32(offGuard)
	if g.Swap(0)&guardWaiters != 0 {
		futexWake(g, 1)
	}
	for rings != 0 {
		i := bits.TrailingZeros64(rings)
		rings &^= 1 << i
		r.ring(i)
	}
	if over {
		r.ringOverflow()
	}
}

// # Transactions

// tx collects the changes of one guard section and applies them all or
// none: commit writes them to the redo log, marks the log committed with
// one store, applies them, and clears the log. A process that takes over
// the guard from a dead holder replays a committed log (replay), with
// compare-and-swap from the value read when staged, so that a replay never
// undoes a later change made by a lock fast path.
//
// Reads through get see the changes staged so far. A region has one tx,
// which only the guard holder uses ([region.begin]).
type tx struct {
	r *region
	n int
	e [logCap]struct{ off, old, new uint64 }

	// Doorbells to ring once the guard is released: slots granted, and
	// the overflow doorbell when a slot was freed.
	rings    uint64
	ringOver bool
}

func (t *tx) get(off uintptr) uint64 {
	for i := range t.n {
		if t.e[i].off == uint64(off) {
			return t.e[i].new
		}
	}
	return t.r.u64(off).Load()
}

func (t *tx) set(off uintptr, v uint64) {
	for i := range t.n {
		if t.e[i].off == uint64(off) {
			t.e[i].new = v
			return
		}
	}
	old := t.r.u64(off).Load()
	if old == v {
		return
	}
	if t.n == logCap {
		panic("shm: internal error: transaction too large") // a bug, not a runtime condition
	}
	t.e[t.n] = struct{ off, old, new uint64 }{uint64(off), old, v}
	t.n++
}

func (t *tx) add(off uintptr, d int64) { t.set(off, t.get(off)+uint64(d)) }

// commit applies the staged changes atomically with respect to crashes.
//
// Log entries and the changes are written with plain stores: aligned
// words are written whole on every supported architecture, nobody else
// writes these words while the guard is held (fast paths are kept out by
// lkSlow), and the atomic store of the log's length orders them.
func (t *tx) commit() {
	if t.n == 0 {
		return
	}
	t.writeLog()
	for _, e := range t.e[:t.n] {
		*t.r.p64(uintptr(e.off)) = e.new
	}
	t.r.u64(offLogN).Store(0)
	t.n = 0
}

// writeLog writes the staged changes to the redo log and marks it
// committed.
func (t *tx) writeLog() {
	r := t.r
	for i, e := range t.e[:t.n] {
		o := offLog + uintptr(i)*logEntrySize
		*r.p64(o) = e.off
		*r.p64(o + 8) = e.old
		*r.p64(o + 16) = e.new
	}
	r.u64(offLogN).Store(uint64(t.n))
}

// replay completes the committed log of a holder that died. Call with the
// guard held.
func (r *region) replay() {
	n := r.u64(offLogN).Load()
	if n > logCap {
		n = 0
	}
	for i := range uintptr(n) {
		o := offLog + i*logEntrySize
		off, old, new := r.u64(o).Load(), r.u64(o+8).Load(), r.u64(o+16).Load()
		if off%8 == 0 && off >= offTicket && off+8 <= uint64(len(r.data)) {
			r.u64(uintptr(off)).CompareAndSwap(old, new)
		}
	}
	r.u64(offLogN).Store(0)
}

// begin returns the region's transaction. Call with the guard held.
func (r *region) begin() *tx {
	r.t.r = r
	r.t.n = 0
	return &r.t
}

// # Waiter slots

func slotState(ctl uint64) uint64 { return ctl & slotStateM }
func slotProc(ctl uint64) uint64  { return ctl >> slotProcSh & 0xff }

// enqueue stages a new waiter of this process in a free slot, with arg,
// and reports the slot, or -1 if every slot is taken. Call with the guard
// held.
func (t *tx) enqueue(arg uint64) int {
	r := t.r
	for i := range numSlots {
		if slotState(t.get(slotOff(i, slotCtl))) != slotFree {
			continue
		}
		tk := t.get(offTicket)
		t.set(offTicket, tk+1)
		t.set(slotOff(i, slotTicket), tk)
		t.set(slotOff(i, slotFence), 0)
		t.set(slotOff(i, slotArg), arg)
		t.set(slotOff(i, slotCtl), slotWaiting|r.me<<slotProcSh)
		t.add(offNWait, 1)
		return i
	}
	return -1
}

// oldest returns the waiting slot with the smallest ticket, or -1, and
// whether another slot waits too. Call with the guard held.
func (t *tx) oldest() (first int, more bool) {
	first = -1
	var best uint64
	for i := range numSlots {
		if slotState(t.get(slotOff(i, slotCtl))) != slotWaiting {
			continue
		}
		tk := t.get(slotOff(i, slotTicket))
		if first >= 0 {
			more = true
			if tk >= best {
				continue
			}
		}
		first, best = i, tk
	}
	return first, more
}

// oldestArg returns the waiting slot with the smallest ticket among those
// whose arg, masked with mask, is want; or -1. Call with the guard held.
func (t *tx) oldestArg(mask, want uint64) int {
	if t.get(offNWait) == 0 {
		return -1
	}
	first := -1
	var best uint64
	for i := range numSlots {
		if slotState(t.get(slotOff(i, slotCtl))) != slotWaiting || t.get(slotOff(i, slotArg))&mask != want {
			continue
		}
		if tk := t.get(slotOff(i, slotTicket)); first < 0 || tk < best {
			first, best = i, tk
		}
	}
	return first
}

// hasFreeSlot reports whether enqueue would find a slot. Call with the
// guard held.
func (t *tx) hasFreeSlot() bool {
	for i := range numSlots {
		if slotState(t.get(slotOff(i, slotCtl))) == slotFree {
			return true
		}
	}
	return false
}

// fit commits the changes staged so far if k more words might not fit in
// the log: the caller is between two steps that each leave a consistent
// state.
func (t *tx) fit(k int) {
	if t.n+k > logCap {
		t.commit()
	}
}

// grantedTo appends the processes, other than this one, that hold grants
// they have not claimed: if such a process died, its grant must be
// undone or passed on, which the reaping does.
func (r *region) grantedTo(ids []uint64) []uint64 {
	for i := range numSlots {
		ctl := r.u64(slotOff(i, slotCtl)).Load()
		if p := slotProc(ctl); slotState(ctl) == slotGranted && p != r.me {
			ids = append(ids, p)
		}
	}
	return ids
}

// wakeOverflow asks for the calls waiting for a free slot to be woken when
// the guard is released, so that they try again: the object changed in a
// way that may let them proceed.
func (t *tx) wakeOverflow() { t.ringOver = true }

// grant stages the grant of fence to the waiter in slot i. Call with the
// guard held; ring the slot after the commit.
func (t *tx) grant(i int, fence uint64, died bool) {
	ctl := t.get(slotOff(i, slotCtl))
	ctl = ctl&^(slotStateM|slotDied) | slotGranted
	if died {
		ctl |= slotDied
	}
	t.set(slotOff(i, slotFence), fence)
	t.set(slotOff(i, slotCtl), ctl)
	t.add(offNWait, -1)
	t.rings |= 1 << i
}

// free stages slot i's return to the free list. A slot still waiting
// leaves the count of waiters.
func (t *tx) free(i int) {
	if slotState(t.get(slotOff(i, slotCtl))) == slotWaiting {
		t.add(offNWait, -1)
	}
	t.set(slotOff(i, slotCtl), slotFree)
	t.ringOver = true
}

// ring wakes the waiter of slot i (a doorbell: the waiter re-checks its
// slot).
func (r *region) ring(i int) {
	s := r.u32(slotOff(i, slotSeq))
	s.Add(1)
	futexWake(s, 1)
}

// ringOverflow wakes every call waiting for a free slot, if there is one.
func (r *region) ringOverflow() {
	if r.u64(offOverflow).Load() == 0 {
		return
	}
	s := r.u32(offOverSeq)
	s.Add(1)
	futexWake(s, 1<<30)
}

// waiters returns the number of calls blocked on the object.
func (r *region) waiters() int {
	return int(r.u64(offNWait).Load() + r.u64(offOverflow).Load())
}

// waiter is a call queued in a slot.
type waiter struct {
	slot   int
	ticket uint64
}

// queue puts the calling goroutine in a waiter slot, with arg: it calls
// tryNow with the guard held, and if that fails takes a slot. It returns
// with the guard released, and ok if tryNow succeeded, else the waiter.
// When every slot is taken it waits outside the queue for one to be freed
// (arrival order among such calls is not kept); ctx ends that wait with
// ctx.Err().
func (r *region) queue(ctx context.Context, arg uint64, tryNow func(t *tx) bool) (w waiter, ok bool, err error) {
	return r.queueWith(ctx, func(t *tx) (bool, uint64) { return tryNow(t), arg })
}

// queueWith is queue with the waiter's arg chosen by tryNow, which
// returns it with ok false.
func (r *region) queueWith(ctx context.Context, tryNow func(t *tx) (ok bool, arg uint64)) (w waiter, ok bool, err error) {
	for {
		r.lockGuard()
		t := r.begin()
		ok, arg := tryNow(t)
		if ok {
			t.commit()
			r.unlockGuard()
			return waiter{}, true, nil
		}
		if i := t.enqueue(arg); i >= 0 {
			w = waiter{i, t.get(slotOff(i, slotTicket))}
			t.commit()
			r.unlockGuard()
			return w, false, nil
		}
		t.commit() // what tryNow staged, if anything
		// Every slot is taken: wait for one outside the queue.
		t.add(offOverflow, 1)
		t.add(procOff(r.me, procOverflow), 1)
		t.commit()
		seq := r.u32(offOverSeq)
		v := seq.Load()
		r.unlockGuard()
		stop := context.AfterFunc(ctx, func() {
			seq.Add(1)
			futexWake(seq, 1<<30)
		})
		if futexWait(seq, v, r.interval) {
			r.reapDead(nil) // slots of dead waiters, as well as holders
		}
		stop()
		r.lockGuard()
		t = r.begin()
		t.add(offOverflow, -1)
		t.add(procOff(r.me, procOverflow), -1)
		t.commit()
		r.unlockGuard()
		if err := ctx.Err(); err != nil {
			return waiter{}, false, err
		}
	}
}

// await blocks until w's slot is no longer waiting or ctx is done, and
// returns with the guard held, for the caller to claim. Each interval
// without news it looks for dead suspects (a holder that died) and, if
// there are none, dispatches: a state left inconsistent by a process that
// died in the middle of a multi-step change heals this way.
func (r *region) await(ctx context.Context, w waiter) {
	seq := r.u32(slotOff(w.slot, slotSeq))
	ctl := r.u64(slotOff(w.slot, slotCtl))
	stop := context.AfterFunc(ctx, func() { r.ring(w.slot) })
	defer stop()
	for {
		v := seq.Load()
		if slotState(ctl.Load()) != slotWaiting || ctx.Err() != nil {
			break
		}
		if futexWait(seq, v, r.interval) && !r.checkSuspects(true) {
			r.lockGuard()
			t := r.begin()
			r.obj.dispatch(t)
			t.commit() // what dispatch left staged (a lock's hand-off)
			r.unlockGuard()
		}
	}
	r.lockGuard()
}

// claim takes w's slot back after await: it stages the slot's release and
// reports the fence granted in it and whether the grant came with
// ErrOwnerDied. granted is false if the slot still waits (ctx ended
// first): then the caller returns ctx.Err(). lost reports a slot that no
// longer belongs to w, which happens only if another process took this
// one for dead and reaped it. Call with the guard held.
func (t *tx) claim(w waiter) (fence uint64, died, granted, lost bool) {
	r := t.r
	ctl := t.get(slotOff(w.slot, slotCtl))
	if slotState(ctl) == slotFree || slotProc(ctl) != r.me || t.get(slotOff(w.slot, slotTicket)) != w.ticket {
		return 0, false, false, true
	}
	fence = t.get(slotOff(w.slot, slotFence))
	granted = slotState(ctl) == slotGranted
	t.free(w.slot)
	return fence, ctl&slotDied != 0, granted, false
}

// settle finishes a blocking call queued as w: it waits (await), claims
// the slot, lets then stage what the outcome calls for (then may be nil;
// it runs with the guard held, and is told the fence and whether the slot
// was granted or lost), commits, and releases the guard. It returns the
// grant's fence and whether it came with ErrOwnerDied; errLost if the slot
// was lost, and ctx.Err() if ctx ended before a grant.
func (r *region) settle(ctx context.Context, w waiter, then func(t *tx, fence uint64, granted, lost bool)) (fence uint64, died bool, err error) {
	r.await(ctx, w)
	t := r.begin()
	fence, died, granted, lost := t.claim(w)
	if then != nil {
		then(t, fence, granted, lost)
	}
	t.commit()
	r.unlockGuard()
	switch {
	case lost:
		return 0, false, errLost
	case !granted:
		return 0, false, ctx.Err()
	}
	return fence, died, nil
}

// tryTake runs take in a guard section and commits what it staged. If take
// fails and a process that stands in its way has died (a suspect found
// alive is not checked again for an interval), it reaps that process and
// runs take once more. It returns take's result.
func (r *region) tryTake(take func(t *tx) (fence uint64, died, ok bool)) (fence uint64, died, ok bool) {
	for attempt := range 2 {
		r.lockGuard()
		t := r.begin()
		fence, died, ok = take(t)
		t.commit()
		r.unlockGuard()
		if ok || attempt == 1 || !r.checkSuspects(true) {
			break
		}
	}
	return fence, died, ok
}

// errLost is returned by a blocked call whose waiter slot was reaped: some
// process took this one for dead, which happens only when processes do
// not share a PID namespace.
var errLost = fmt.Errorf("shm: waiter removed by another process that took this one for dead: %w", latchkey.ErrLost)

// # Processes

// register finds or claims this process's entry in the process table.
// When the table is full it reaps the entries of dead processes once.
func (r *region) register() error {
	registerMu.Lock()
	defer registerMu.Unlock()
	for attempt := range 2 {
		for idx := uint64(1); idx <= maxProcs; idx++ {
			if r.u64(procOff(idx, procIdent)).Load() == r.ident {
				r.me = idx
				return nil
			}
		}
		for idx := uint64(1); idx <= maxProcs; idx++ {
			if r.u64(procOff(idx, procIdent)).CompareAndSwap(0, r.ident) {
				r.me = idx
				return nil
			}
		}
		if attempt == 0 {
			r.reapDead(nil)
		}
	}
	return ErrTooManyProcesses
}

// registerMu serializes registrations in this process, so that two
// mappings of one file register the process once.
var registerMu sync.Mutex

// checkSuspects reaps the suspects that have died. With limit, a suspect
// found alive within the last interval is not checked again.
func (r *region) checkSuspects(limit bool) bool {
	var buf [8]uint64
	ids := r.obj.suspects(buf[:0])
	if len(ids) == 0 {
		return false
	}
	if limit {
		now := time.Now()
		r.checkMu.Lock()
		keep := ids[:0]
		for _, idx := range ids {
			id := r.u64(procOff(idx, procIdent)).Load()
			if t, ok := r.lastCheck[id]; ok && now.Sub(t) < r.interval {
				continue
			}
			if r.lastCheck == nil || len(r.lastCheck) > 4*maxProcs {
				r.lastCheck = make(map[uint64]time.Time)
			}
			r.lastCheck[id] = now
			keep = append(keep, idx)
		}
		r.checkMu.Unlock()
		ids = keep
	}
	return r.reapDead(ids)
}

// reapDead checks the liveness of the processes ids (every process, if ids
// is nil) and reaps the dead ones. It reports whether it reaped any. It
// takes the guard only for the reaping: the checks read /proc.
func (r *region) reapDead(ids []uint64) bool {
	if ids == nil {
		for idx := uint64(1); idx <= maxProcs; idx++ {
			ids = append(ids, idx)
		}
	}
	reaped := false
	for _, idx := range ids {
		id := r.u64(procOff(idx, procIdent)).Load()
		if id == 0 || id == r.ident || !identDead(id) {
			continue
		}
		r.lockGuard()
		if r.u64(procOff(idx, procIdent)).Load() == id {
			r.reap(idx)
			reaped = true
		}
		r.unlockGuard()
	}
	return reaped
}

// reap gives back everything of the dead process idx: its waiter slots,
// the grants it never claimed, its holds, and finally its table entry.
// Each step is one transaction, so a reaper that dies leaves a state that
// the next one finishes. Call with the guard held.
func (r *region) reap(idx uint64) {
	t := r.begin()
	for i := range numSlots {
		ctl := r.u64(slotOff(i, slotCtl)).Load()
		if slotState(ctl) == slotFree || slotProc(ctl) != idx {
			continue
		}
		if slotState(ctl) == slotGranted {
			r.obj.reapGrant(t, i, idx)
		}
		t.free(i)
		t.commit()
	}
	r.obj.reapHolder(t, idx)
	t.commit()
	t.add(offOverflow, -int64(r.u64(procOff(idx, procOverflow)).Load()))
	t.set(procOff(idx, procOverflow), 0)
	t.set(procOff(idx, procCount), 0)
	t.set(procOff(idx, procAux), 0)
	t.set(procOff(idx, procIdent), 0)
	t.commit()
	r.obj.dispatch(t)
	t.commit()
}

func randUint64() uint64 { return rand.Uint64() }
