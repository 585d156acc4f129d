package main

import "syscall"

// setDeathSignal makes the kernel kill the command if run dies (SIGKILL
// leaves run no chance to), so that it does not go on once the server
// releases the lock.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
