// Package latchkey is Python's threading and multiprocessing
// synchronization toolkit for Go, made safe for real systems: the same
// primitives and shared objects with the same semantics, for goroutines,
// for processes on one host and for machines across a network.
//
// This package is the public API every backend implements. It declares the
// objects as small interfaces, the sentinel errors, and typed wrappers over
// the byte-valued objects; the backends live in their own packages:
//
//   - package local: in-process objects for goroutines (and the reference
//     model the other backends are tested against);
//   - package conformance: the one test suite every backend passes.
//
// Planned, in this order: a manager server and its Go client, durability,
// shared memory and processes (Process, Pool, Pipe), an etcd backend.
//
// # Objects
//
// Locks: [Lock] (Python's threading.Lock: no owner, any handle may
// release), [RLock] (reentrant, owned by a handle), [RWLock] (beyond
// Python). Counting: [Semaphore], bounded or not. Signalling: [Event],
// [Condition], [Barrier]. Queues: [Queue] (FIFO, LIFO or priority; bounded;
// task tracking and shutdown) and [SimpleQueue]. Shared state: [Dict],
// [List], [Namespace], [Value] and [Array]. A [Manager] hands them out by
// name, like Python's multiprocessing Manager.
//
// # Calls, cancellation and errors
//
// Every call that can block takes a [context.Context] first; deadlines and
// cancellation replace Python's block and timeout arguments. A blocking
// call whose ctx ends returns an error for which errors.Is(err,
// context.DeadlineExceeded) or errors.Is(err, context.Canceled) holds, and
// leaves the object as it was: no half-acquired lock, no lost queue item.
// (The one exception is Python's own: a barrier wait that times out breaks
// the barrier.) Every blocking call has a non-blocking Try form, or a
// snapshot method where waiting is its only meaning (Event.IsSet,
// Queue.Unfinished).
//
// Runtime conditions are errors, never panics: releasing an unheld lock is
// [ErrNotHeld], over-releasing a bounded semaphore [ErrOverRelease], and so
// on. Errors carry a [Kind] that crosses process boundaries, so an error
// from a remote server satisfies errors.Is with the same sentinel as a
// local one.
//
// # Ownership and fencing
//
// Go has no thread identity, so a handle is the owner: every call to a
// Manager's opener returns a new handle, and reentrancy and owner-only
// release are per handle. Every grant of ownership carries a [Fence], a
// token that only grows per object, so a resource can refuse a holder
// whose grant was superseded.
//
// # Fairness
//
// Blocked callers are served in arrival order (FIFO), and a Try form never
// overtakes a queued waiter. Python promises no order; we do, so that no
// waiter starves.
//
// # Values
//
// Queues, dicts, lists and namespaces hold byte strings, the form in which
// values cross processes and machines. [QueueOf], [DictOf], [ListOf] and
// [NamespaceOf] hold Go values through a [Codec], [JSON] by default.
package latchkey
