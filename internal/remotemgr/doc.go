// Package remotemgr runs the handles of a [latchkey.Manager] in other
// processes, so that a test (the conformance suite, in particular) can
// drive contenders that live in separate processes with the same code it
// uses for goroutines.
//
// A [Pool] starts child processes (normally the test binary, re-executed
// in a role that calls [Serve]). [Pool.Manager] returns a
// latchkey.Manager whose every open call runs in one of the children:
// the child opens the object on its own backend manager (the backend's
// objects must be shared between processes by name, as package shm's are)
// and the parent gets a proxy handle. Every method of a proxy handle is a
// call to the child that holds the real handle. Consecutive opens go to
// consecutive children, so that the first [Pool.Size] handles of a
// manager live in distinct processes; a Condition goes to the child of
// the lock it is bound to.
//
// Calls keep the root API's contract across the process boundary: a
// call's ctx deadline travels with it and its cancellation is sent to the
// child, and the parent returns only once the child has answered, so a
// cancelled call has finished (and left the object as it was) when it
// returns; errors keep their [latchkey.Kind] and their ctx error, so
// errors.Is works on them as on the backend's own; numbers keep their
// bits (NaN included); a function argument (a Condition's WaitFor
// predicate, a Barrier's Action) stays in the parent and the child calls
// back to run it.
//
// Supported: the types of the Locks, Signals, Queues and Numbers groups.
// Dict, List and Namespace opens are forwarded (so that their errors,
// such as ErrMismatch, are the backend's), but a successful one is closed
// again and reported as ErrUnavailable: their proxies are not written.
//
// The protocol is encoding/gob over two pipes inherited as file
// descriptors 3 (parent to child) and 4 (child to parent); the child's
// stdout and stderr stay free for the test's output.
package remotemgr
