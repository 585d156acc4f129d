//go:build !unix

package main

import (
	"os"
	"os/exec"
)

// The signals run sends to its command after losing the lock. Without
// process groups and signals, both kill the command.
var (
	terminateSignal os.Signal = os.Kill
	killSignal      os.Signal = os.Kill
)

// setProcessGroup does nothing: process groups are a Unix notion.
func setProcessGroup(*exec.Cmd) {}

// signalGroup sends s to p itself, which is all this platform offers.
func signalGroup(p *os.Process, s os.Signal) { p.Signal(s) }

// exitStatus returns ps's exit code.
func exitStatus(ps *os.ProcessState) int { return ps.ExitCode() }
