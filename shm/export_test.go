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
