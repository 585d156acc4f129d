package proc

import "syscall"

// sysProcAttr returns the attributes of a child. A daemon child gets
// SIGKILL when its parent dies (PR_SET_PDEATHSIG). Linux sends it when the
// *thread* that started the child exits, not the process; children are
// therefore always started from a fresh goroutine that is not locked to
// its thread, and the Go runtime does not end such threads.
func sysProcAttr(daemon bool) *syscall.SysProcAttr {
	if !daemon {
		return nil
	}
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
