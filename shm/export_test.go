//go:build linux

package shm

import (
	"os"
	"syscall"
)

// CrashAfterCommit kills this process in the middle of a guard section:
// it takes l's guard, stages taking the lock, writes and commits the redo
// log, and dies before applying it. A process doing this holds the guard
// and, once the log is replayed, the lock.
func CrashAfterCommit(l *Lock) {
	r := l.c.r
	r.lockGuard()
	s := l.c.pin()
	t := r.begin()
	l.c.take(t, s)
	t.writeLog()
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// CrashBeforeCommit kills this process after it has taken l's guard and
// pinned the lock word, before it commits anything.
func CrashBeforeCommit(l *Lock) {
	r := l.c.r
	r.lockGuard()
	l.c.pin()
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// FillProcTable claims every free entry of l's process table for the
// process pid, started at its real start time: a live process if pid is.
func FillProcTable(l *Lock, pid int) int {
	r := l.c.r
	start, _, err := procStat(pid)
	if err != nil {
		return 0
	}
	n := 0
	for idx := uint64(1); idx <= maxProcs; idx++ {
		if r.u64(procOff(idx, procIdent)).CompareAndSwap(0, makeIdent(pid, start)) {
			n++
		}
	}
	return n
}

// Mapped returns the number of objects m has mapped.
func Mapped(m *Manager) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.regions)
}

// CrashMidPut kills this process in the middle of a Put of v on q: it
// holds q's guard, has taken a free cell and written half of v into it,
// and has committed nothing.
func CrashMidPut(q *Queue, v []byte) {
	r := q.c.r
	r.lockGuard()
	t := r.begin()
	n := q.c.alloc(t)
	off := q.c.cellOff(n)
	*r.p64(off + cellLen) = uint64(len(v))
	copy(r.data[off+cellData:], v[:len(v)/2])
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// CrashAfterPutCommit kills this process in the middle of a Put of v on
// q: it holds q's guard and has written v and committed the redo log that
// links it in, but applied none of it.
func CrashAfterPutCommit(q *Queue, v []byte) {
	r := q.c.r
	r.lockGuard()
	t := r.begin()
	q.c.enter(t, v)
	t.writeLog()
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// FreeLockWord frees l's lock word, keeping its fence, without serving
// the callers queued for it: a lock left free with waiters, which the
// waiters' periodic dispatch must repair on its own.
func FreeLockWord(l *Lock) {
	r := l.c.r
	r.lockGuard()
	w := l.c.word()
	w.Store(w.Load()&^(lkLocked|lkProcMask) | lkSlow)
	r.unlockGuard()
}
