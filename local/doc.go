// Package local is latchkey's in-process backend: every object of the root
// API for goroutines of one program, with Python's semantics. It is also
// the reference model that the other backends are tested against.
//
// Use the concrete types directly (their zero values are ready to use where
// they need no parameter), or a [Manager] to hand out named objects the
// way every other backend does, so that code moves between backends
// unchanged.
//
// # Contract shared by every type
//
//   - Every type is safe for concurrent use by multiple goroutines. Types
//     with a usable zero value must not be copied after first use.
//   - A blocking call (Lock, Acquire, Wait, Get, Put, Join) whose ctx is
//     already done returns ctx.Err() without acting; one cancelled while it
//     waits returns ctx.Err() and leaves the object unchanged: a grant that
//     raced with the cancellation is given back. Calls that never block
//     ignore ctx.
//   - Blocked callers are served in arrival order, and a Try form never
//     overtakes a queued waiter.
//   - Runtime misuse returns the root package's sentinel errors; nothing
//     panics.
//   - Every type has a Waiters method reporting how many calls are blocked
//     on it, for introspection and tests.
//
// # Differences from Python
//
// Go has no thread identity: an [RLock] (and an [RWLock]) handle is the
// owner, and Handle makes another owner of the same lock. A zero
// [Condition] is bound to a [Lock], not an RLock: goroutines sharing one
// zero-value condition would otherwise be one owner, and each could enter
// the other's critical section. Timeouts are contexts.
package local
