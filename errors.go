package latchkey

import (
	"errors"
	"fmt"
)

// Kind classifies a latchkey error. Kinds cross process and machine
// boundaries: the wire codec carries the Kind of an error, and the receiving
// side rebuilds an [*Error] that satisfies errors.Is with the sentinel of the
// same Kind.
//
// Kinds are append-only. Do not reorder or renumber them: their numeric
// values are part of the wire protocol.
type Kind uint16

// The kinds of error. KindOther is any error that has no sentinel.
const (
	KindOther         Kind = 0
	KindLocked        Kind = 1
	KindNoPermit      Kind = 2
	KindNotHeld       Kind = 3
	KindNotOwner      Kind = 4
	KindOverRelease   Kind = 5
	KindBrokenBarrier Kind = 6
	KindEmpty         Kind = 7
	KindFull          Kind = 8
	KindShutDown      Kind = 9
	KindTaskDone      Kind = 10
	KindClosed        Kind = 11
	KindMismatch      Kind = 12
	KindInvalid       Kind = 13
	KindNotFound      Kind = 14
	KindOutOfRange    Kind = 15
	KindUnavailable   Kind = 16
	KindOwnerDied     Kind = 17
	KindDeadlock      Kind = 18
	KindLost          Kind = 19
	kindCount              = 20
)

var kindNames = [kindCount]string{
	"other", "locked", "no permit", "not held", "not owner", "over-release",
	"broken barrier", "empty", "full", "shut down", "task done", "closed",
	"mismatch", "invalid", "not found", "out of range", "unavailable",
	"owner died", "deadlock", "lost",
}

// String returns a short lower-case name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint16(k))
}

// Error is a latchkey error of a known [Kind]. Every sentinel below is an
// *Error, and errors decoded from the wire are *Error values with the
// message the remote side gave; errors.Is(err, ErrX) holds for any *Error of
// ErrX's Kind.
type Error struct {
	Kind Kind   // what went wrong
	Msg  string // human-readable, safe to show to users
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Is reports whether target is an *Error of the same Kind, so that a decoded
// remote error matches the local sentinel.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && e.Kind != KindOther
}

// KindOf returns the Kind of the first *Error in err's chain, or KindOther.
func KindOf(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return KindOther
}

// Errorf returns an *Error of kind k with a formatted message. Backends use it
// to add detail (an object's name, a size) to a sentinel's Kind.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Sentinel errors, checked with errors.Is on every backend.
var (
	// ErrLocked is returned by a Try form when the lock is held.
	ErrLocked = &Error{KindLocked, "latchkey: locked"}
	// ErrNoPermit is returned by a semaphore's TryAcquire when no permit is free.
	ErrNoPermit = &Error{KindNoPermit, "latchkey: no permit available"}
	// ErrNotHeld is returned when releasing a lock that is not locked, or a
	// read or write hold that the handle does not have, or when waiting on or
	// notifying a condition whose lock is not held (Python's RuntimeError).
	ErrNotHeld = &Error{KindNotHeld, "latchkey: lock not held"}
	// ErrNotOwner is returned when a handle releases a reentrant lock it does
	// not own, including one that nobody owns (Python's "cannot release
	// un-acquired lock").
	ErrNotOwner = &Error{KindNotOwner, "latchkey: lock not owned by this handle"}
	// ErrOverRelease is returned when a bounded semaphore would be released
	// past its initial value; the semaphore is left unchanged.
	ErrOverRelease = &Error{KindOverRelease, "latchkey: semaphore released too many times"}
	// ErrBrokenBarrier is returned by a barrier wait when the barrier is
	// broken, aborted or reset while waiting (Python's BrokenBarrierError).
	ErrBrokenBarrier = &Error{KindBrokenBarrier, "latchkey: barrier is broken"}
	// ErrEmpty is returned by a non-blocking get on an empty queue, and by a
	// pop from an empty dict or list.
	ErrEmpty = &Error{KindEmpty, "latchkey: empty"}
	// ErrFull is returned by a non-blocking put on a full queue.
	ErrFull = &Error{KindFull, "latchkey: queue is full"}
	// ErrShutDown is returned by queue operations after Shutdown (Python
	// 3.13's queue.ShutDown).
	ErrShutDown = &Error{KindShutDown, "latchkey: queue is shut down"}
	// ErrTaskDone is returned by TaskDone when it is called more times than
	// there were items put (Python's "task_done() called too many times").
	ErrTaskDone = &Error{KindTaskDone, "latchkey: task done called too many times"}
	// ErrClosed is returned by calls on a closed manager, connection or handle.
	ErrClosed = &Error{KindClosed, "latchkey: closed"}
	// ErrMismatch is returned when an object is opened with a name that
	// already belongs to an object of another type or other parameters.
	ErrMismatch = &Error{KindMismatch, "latchkey: object exists with another type or parameters"}
	// ErrInvalid is returned for an invalid argument: a negative semaphore
	// value, a barrier of no parties, a release of fewer than one permit.
	ErrInvalid = &Error{KindInvalid, "latchkey: invalid argument"}
	// ErrNotFound is returned when a key, attribute or list element does not exist.
	ErrNotFound = &Error{KindNotFound, "latchkey: not found"}
	// ErrOutOfRange is returned for a list or array index outside its bounds.
	ErrOutOfRange = &Error{KindOutOfRange, "latchkey: index out of range"}
	// ErrUnavailable is returned when no server answers.
	ErrUnavailable = &Error{KindUnavailable, "latchkey: server unavailable"}
	// ErrOwnerDied is returned with a grant whose previous owner died while
	// holding it; the caller now holds it and should repair the state it guards.
	ErrOwnerDied = &Error{KindOwnerDied, "latchkey: previous owner died"}
	// ErrDeadlock is returned when a wait would complete a cycle in the
	// wait-for graph.
	ErrDeadlock = &Error{KindDeadlock, "latchkey: deadlock detected"}
	// ErrLost is returned when a handle lost its ownership (its session
	// expired or its server lost it).
	ErrLost = &Error{KindLost, "latchkey: ownership lost"}
)
