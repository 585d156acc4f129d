//go:build unix && !linux

package proc

import "syscall"

// sysProcAttr returns the attributes of a child. Without Linux's
// PR_SET_PDEATHSIG, a daemon child notices its parent's death only when its
// control connection reaches end of file, and then exits.
func sysProcAttr(daemon bool) *syscall.SysProcAttr { return nil }
