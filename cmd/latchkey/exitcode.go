package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/latchkey/latchkey"
)

// Exit codes of latchkey. They are part of the command's contract: scripts
// test them, and the root command's help and the package doc list them.
// `run` also exits with its command's own status, which may be any of these.
const (
	exitOK         = 0   // success
	exitFailure    = 1   // any other failure; a one-line message on stderr
	exitUsage      = 2   // bad flags, arguments, numbers or durations; bad serve configuration
	exitNoServer   = 69  // no server answers (sysexits EX_UNAVAILABLE)
	exitLost       = 70  // run: ownership was lost while the command ran; the command was terminated
	exitTimeout    = 75  // --timeout expired before the lock, permit, item, event or barrier came (EX_TEMPFAIL)
	exitCannotRun  = 126 // run: the command was found but could not be started
	exitNotFound   = 127 // run: the command was not found
	exitSignalBase = 128 // 128+N: interrupted by signal N (run: the command was killed by signal N)
)

// exitCodesHelp describes the exit codes, for the root command's help.
const exitCodesHelp = `Exit codes:
  0    success (event is-set prints true or false and exits 0 either way)
  1    any other failure, with a one-line "latchkey: ..." message on stderr
       (a missing key in "dict get", a name that exists with another type)
  2    usage error: unknown command or flag, wrong number of arguments, a bad
       number or duration; for serve, a configuration the server refuses
  69   no server answers at the address (connection refused, no socket, or
       no answer within 3s)
  70   run: ownership of the lock or permit was lost while the command ran;
       the command was terminated
  75   --timeout expired before the lock, permit, queue item, event or
       barrier came (run did not start its command)
  126  run: the command could not be started (not executable)
  127  run: the command was not found
  128+N  interrupted by signal N before finishing (run: its command was
       killed by signal N)
  run otherwise exits with its command's own status.`

// exitError is an error that carries its exit code. A nil err exits
// silently (a command's own status, an interruption).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError is a usage error: exit code 2, with a hint to read the help.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// silentExit returns an error that exits with code and prints nothing.
func silentExit(code int) error { return &exitError{code: code} }

// timedOut returns the exit-75 error of a wait for what that lasted d.
func timedOut(d time.Duration, what string) error {
	return &exitError{code: exitTimeout, err: fmt.Errorf("timed out after %v waiting for %s", d, what)}
}

// exitCode returns the exit code for err, the error a command returned.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	if u := (*usageError)(nil); errors.As(err, &u) {
		return exitUsage
	}
	if e := (*exitError)(nil); errors.As(err, &e) {
		return e.code
	}
	switch {
	case errors.Is(err, latchkey.ErrUnavailable):
		return exitNoServer
	case errors.Is(err, context.DeadlineExceeded):
		return exitTimeout
	}
	return exitFailure
}

// report writes err's one-line message on w, if it has one, after
// "latchkey: ". For a usage error it adds where to find the usage of
// cmdPath.
func report(w io.Writer, err error, cmdPath string) {
	if err == nil {
		return
	}
	if e := (*exitError)(nil); errors.As(err, &e) && e.err == nil {
		return
	}
	fmt.Fprintf(w, "latchkey: %s\n", message(err))
	if u := (*usageError)(nil); errors.As(err, &u) {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmdPath)
	}
}

// message returns err's message on one line, without the "latchkey: "
// prefixes of the errors it wraps: the line says "latchkey" once.
func message(err error) string {
	msg := strings.ReplaceAll(err.Error(), "latchkey: ", "")
	return strings.ReplaceAll(msg, "\n", " ")
}
