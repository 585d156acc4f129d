package proc

import (
	"errors"
	"fmt"
	"syscall"
)

// Sentinel errors of package proc, checked with errors.Is. Misuse that
// Python reports with ValueError or AssertionError (joining a running
// pool, starting a process twice) is one of these or a root package
// sentinel such as [latchkey.ErrClosed] or [latchkey.ErrInvalid].
var (
	// ErrWorkerDied is matched by the error of a task or [Process] whose
	// process ended (killed by a signal, os.Exit, a crash) before it
	// delivered the result. The error is an [*ExitError] with the pid and
	// the exit code. Python's Pool hangs forever in this case.
	ErrWorkerDied = errors.New("proc: process died before delivering its result")
	// ErrTerminated is the error of every task that had not completed when
	// its [Pool] was terminated. Python's results hang forever instead.
	ErrTerminated = errors.New("proc: pool terminated before the task completed")
	// ErrNotRegistered is returned when a function name is not registered
	// in the process that should run it, or was registered after [Main]
	// ran (too late for a child to see it).
	ErrNotRegistered = errors.New("proc: function not registered")
	// ErrNoMain is returned when a child cannot be started because [Main]
	// was not called: in this program (so the re-executed binary would run
	// its ordinary main again), or in the child, which exited or did not
	// answer without calling it.
	ErrNoMain = errors.New("proc: proc.Main was not called")
	// ErrPanic is matched by the error of a function that panicked in its
	// child process; the [*RemoteError] carries the panic value and stack.
	ErrPanic = errors.New("proc: function panicked")
	// ErrCallbackPanic is matched by the error of an [AsyncResult] whose
	// callback or error callback panicked. The pool recovers the panic,
	// logs it, and carries on; Python's pool hangs instead.
	ErrCallbackPanic = errors.New("proc: result callback panicked")
	// ErrMessageTooLarge is returned when a message exceeds the size limit
	// of a [Conn], and matched by the error of a pool task (a chunk of a
	// Map) whose encoded arguments, or results, exceed 1 GiB.
	ErrMessageTooLarge = errors.New("proc: message too large")
	// ErrReadOnly is returned by a send on the receiving end of a
	// one-way [Pipe] (Python's "connection is read-only").
	ErrReadOnly = errors.New("proc: connection is read-only")
	// ErrWriteOnly is returned by a receive or poll on the sending end of a
	// one-way [Pipe] (Python's "connection is write-only").
	ErrWriteOnly = errors.New("proc: connection is write-only")
	// ErrStarted is returned by a second Start of a [Process] (Python's
	// "cannot start a process twice").
	ErrStarted = errors.New("proc: process already started")
	// ErrNotStarted is returned by Join, Terminate and Kill of a [Process]
	// that was never started (Python's "can only join a started process").
	ErrNotStarted = errors.New("proc: process not started")
	// ErrNotReady is returned by the Try and Result forms while a task or
	// process has not finished (Python's "not ready" ValueError).
	ErrNotReady = errors.New("proc: result not ready")
	// ErrRunning is returned by Join on a pool that is neither closed nor
	// terminated (Python's "Pool is still running").
	ErrRunning = errors.New("proc: pool is still running; call Close or Terminate first")
	// ErrBroken is matched by the errors of tasks that a [Pool] could not
	// run because it could start no worker process at all.
	ErrBroken = errors.New("proc: pool cannot start worker processes")
	// ErrUnsupported is returned on operating systems where child processes
	// and pipes are not implemented (everything but Unix).
	ErrUnsupported = errors.New("proc: not supported on this operating system")
)

// ExitError describes a process that ended without delivering a result.
// It matches [ErrWorkerDied] with errors.Is.
type ExitError struct {
	Pid int // the process's id
	// ExitCode is Python's exitcode: the status the process exited with, or
	// minus the number of the signal that killed it (-9 for SIGKILL).
	ExitCode int
}

// Error describes the exit.
func (e *ExitError) Error() string {
	return fmt.Sprintf("proc: process %d %s before delivering its result", e.Pid, describeExit(e.ExitCode))
}

// Is reports whether target is [ErrWorkerDied].
func (e *ExitError) Is(target error) bool { return target == ErrWorkerDied }

// Signal returns the signal that killed the process, or 0 if it exited.
func (e *ExitError) Signal() syscall.Signal {
	if e.ExitCode < 0 {
		return syscall.Signal(-e.ExitCode)
	}
	return 0
}

func describeExit(code int) string {
	if code < 0 {
		return fmt.Sprintf("was killed by signal %d (%v)", -code, syscall.Signal(-code))
	}
	return fmt.Sprintf("exited with status %d", code)
}

// RemoteError is an error returned (or a panic raised) by a function that
// ran in another process. Its text is the error's text in that process. It
// unwraps to the local error it stands for where there is one, so errors.Is
// works across the process boundary for: the root package's sentinels (by
// [latchkey.Kind]), context.Canceled and context.DeadlineExceeded,
// [ErrPanic], [ErrNotRegistered] and [ErrMessageTooLarge]. Python attaches the remote traceback
// as the exception's cause in the same way.
type RemoteError struct {
	Pid   int    // the process that ran the function
	Msg   string // the error's text in that process
	Stack string // for a panic, the goroutine's stack; empty otherwise
	err   error
}

// Error returns the remote error's text.
func (e *RemoteError) Error() string { return e.Msg }

// Unwrap returns the local error that the remote one stands for, or nil.
func (e *RemoteError) Unwrap() error { return e.err }
