//go:build unix

package main

import (
	"os"
	"os/exec"
	"syscall"
)

// The signals run sends to its command's process group after losing the
// lock.
var (
	terminateSignal os.Signal = syscall.SIGTERM
	killSignal      os.Signal = syscall.SIGKILL
)

// setProcessGroup makes cmd start in a process group of its own, so that
// signals reach everything it starts.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
}

// signalGroup sends s to the process group that p leads. A group with no
// process left is not an error.
func signalGroup(p *os.Process, s os.Signal) {
	if n, ok := s.(syscall.Signal); ok {
		syscall.Kill(-p.Pid, n)
	}
}

// exitStatus returns the status a shell would report for ps: the exit
// code, or 128+N for a process killed by signal N.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return exitSignalBase + int(ws.Signal())
	}
	return ps.ExitCode()
}
