// Package shm is latchkey's shared-memory backend: locks, semaphores,
// signals, queues and numbers that processes on one host share at memory
// speed, the way Python's multiprocessing.Lock, RLock, Semaphore,
// BoundedSemaphore, Event, Condition, Barrier, Queue, JoinableQueue,
// Value and Array do (and an RWLock, which Python lacks), with the root
// package's semantics (FIFO waiters, cancellation by context, fencing
// tokens, errors instead of panics) and with recovery from processes that
// die holding or waiting for them.
//
// Each object is a file in a directory of a memory file system
// (/dev/shm), mapped by every process that opens it by name through a
// [Manager]. Unrelated processes open the same name; children, which Go
// cannot fork, open it by name too (pass them the name, and the directory
// if it is not the default). Objects outlive processes: a file stays
// until [Manager.Remove] (Python's SharedMemory.unlink) or a reboot.
//
// The containers (Dict, List, Namespace) are not here: use the server.
// Linux only: on other systems [NewManager] returns [ErrUnsupported]. All
// processes that share an object must see each other in /proc (one PID
// namespace), since that is how they tell that one of them died.
//
// # Contract
//
//   - Every handle is safe for concurrent use by goroutines; every method
//     is atomic with respect to every process.
//   - A blocking call (Lock, RLock, Acquire, Wait, Put, Get, Join, and a
//     Value or Array method waiting for its lock) whose ctx is already
//     done returns ctx.Err() without acting (a Barrier's Wait breaks the
//     barrier, as Python's timeout does); one cancelled while it waits
//     returns ctx.Err() and leaves the object unchanged: it leaves the
//     queue. A call served at the moment its ctx ended completes, as if
//     served just before.
//   - Blocked callers are served in arrival order across all processes,
//     with direct hand-off, and a Try form never overtakes a queued
//     waiter (as in package local, and unlike Python, which promises no
//     order).
//   - Every grant of a lock, read or write hold, or permit carries a
//     fencing token, one greater than the object's previous grant. Lock
//     and RLock tokens have 54 bits and wrap to 0 after 2⁵⁴ grants (over
//     ten years at 50 million grants a second); RWLock and semaphore
//     tokens have 64.
//   - Runtime misuse returns the root package's sentinel errors; nothing
//     panics.
//
// # Processes that die
//
// Python's multiprocessing primitives stay locked forever when their
// holder dies. Here every grant records the holder's process, by pid and
// start time (field 22 of /proc/<pid>/stat, so that a reused pid is not
// mistaken for the holder). A call that has waited [Config].CheckInterval
// (100ms by default) without being served checks whether the processes
// it waits for are alive; TryLock, TryRLock and TryAcquire check when
// they fail (a holder found alive is trusted for an interval). When one is
// dead, its holds are given back — a Lock or RLock is handed to the oldest
// waiter or freed, an RWLock gets back that process's read and write
// holds, a semaphore its net permits — its waiters leave the queue, and
// the next grant returns its fence together with [latchkey.ErrOwnerDied]:
// the caller holds the lock or permit, and should repair what it guards
// (an RWLock reports it only for a write hold given back). A grant that a
// process received but died before seeing is passed on without
// ErrOwnerDied: a notification to the next waiter of a Condition, a
// message handed to a getter back to the front of its Queue, room
// reserved for a putter to the next putter.
//
// The signals recover too: a Barrier breaks when a process dies with a
// party waiting in it, or while it runs the action (Python's waits
// forever); an Event needs nothing. What a Queue loses is exactly this:
// a message whose Get had removed it when its process died (see
// [Queue]); a Put is whole or absent.
//
// Why wait an interval rather than watch: a futex wait cannot also wait
// for another process's exit, and a pidfd per holder would need a thread
// per waiter watching a holder that changes on every grant. The check is
// made only by a call that has been blocked a whole interval, costs one
// small read of /proc, and bounds how long a dead holder goes unnoticed;
// a call that is served never checks anything. The same holds for the
// guard below. Python's mp.Lock, by comparison, never notices.
//
// # Waiting
//
// Waiting uses Linux futexes on the shared mapping (not the private
// kind), so a wake in one process reaches a waiter in another. Each
// blocked call has a waiter slot in the object with a doorbell word of
// its own; the call that grants it rings that doorbell. A waiter's
// context is watched with [context.AfterFunc], which rings the waiter's
// own doorbell when ctx is done, so cancellation interrupts the futex
// wait at once: there is no polling, and a blocked call costs no CPU. A
// blocked call does hold an OS thread in the futex system call, as any
// blocking system call does in Go.
//
// Before queueing, a Lock yields and looks at a held lock a few times, so
// that a lock held for a moment changes hands without sleeping, and a
// queue's Get does the same with an empty queue; this never overtakes a
// queued waiter.
//
// Fairness has a price when contending processes outnumber CPUs. A
// release with waiters hands the lock to the oldest one, which is asleep;
// the releaser, locking again at once, finds it held and queues too, so
// every grant costs a futex wake and a context switch (a lock convoy).
// Measured on 2 vCPUs (docs/benchmarks.md): 1 to 4 processes looping on
// one Lock do 10–14 million cycles a second, 5–7 times Python's
// multiprocessing.Lock; 16 processes do 33–105 thousand, against 1.1–1.4
// million for Python's, whose sem_t lets the running process take the
// lock again ahead of sleeping waiters (and can starve them). Go's
// sync.Mutex makes the same trade the other way (barging, with a switch
// to hand-off after a waiter has waited 1 ms). Under that kind of
// contention, hold the lock for a batch of work rather than per item.
//
// # Crash safety
//
// An object's state is changed either by one compare-and-swap (taking a
// free Lock or RLock nobody waits for, and releasing one nobody waits for)
// or under the object's guard: an internal futex mutex whose word holds
// its holder's pid, held for a few hundred nanoseconds and never across a
// wait. Changes made under the guard go through a small redo log: the
// holder writes the words it will change (address, old value, new value)
// to the log, marks it committed with one store, applies it, and clears
// it. A waiter that finds the guard held for a whole interval by a dead
// process takes it over and replays the log, so every change is whole or
// absent, whenever a process is killed. A replay sets a word only if it
// still holds the entry's old value, so it never undoes a later change
// made by a fast path. Multi-step operations (a Release that wakes several
// waiters, a Set or NotifyAll, an immediate Shutdown, reaping a dead
// process) are sequences of such changes, each leaving a consistent
// state, and the next caller or waiter carries on. A queue's message is
// written into a free cell before the change that links the cell in.
//
// # File layout
//
// One file per object (a Condition with a lock of its own has a second, its
// name and "%L"), named "latchkey-" and the object's name with bytes
// other than letters, digits, '.', '_' and '-' escaped as %XX (a name too
// long for a file name becomes "%h" and its SHA-256). A creator fills in a
// new file while it has no name (O_TMPFILE), then links it into place in
// one step: no process sees a half-made object, and of concurrent
// creators one wins and the others open its file. The file holds, in
// host byte order:
//
//	header   magic, format version, kind, file size, 6 kind parameters
//	         (a semaphore's value and boundedness, a number type, an
//	         array's length, a lock choice, a barrier's parties, a
//	         queue's order, capacity and largest message), the object's
//	         full name
//	guard    futex word (holder pid), holder identity, redo log (24 entries)
//	queue    next ticket, waiting count, 64 waiter slots (state, process,
//	         ticket, fence, doorbell), 64 bytes each
//	procs    127 process entries: identity (pid and start time in one
//	         word), a count (net semaphore permits, RWLock read holds,
//	         barrier arrivals), calls waiting for a free slot, and a
//	         kind-specific word (the barrier cycle counted)
//	body     the object's words: a lock word (locked, waiters, died,
//	         holder's process entry, fence), a semaphore's value and
//	         fence, an RWLock's readers, writer and fence, an Event's
//	         flag, a Barrier's count, cycle and state, a Value's or
//	         Array's numbers; a queue's counters, its ring of stored
//	         cells, its stack of free cells, and the cells (length,
//	         sequence number, message)
//
// Opening an existing name checks the magic, version, name, kind, each
// parameter and the size, and returns [latchkey.ErrMismatch] on any
// difference.
//
// # Limits
//
// At most 127 processes use one object at a time ([ErrTooManyProcesses]
// beyond that; entries of dead processes are reclaimed first). At most 64
// calls wait in arrival order; more wait for a free slot outside the
// queue, in no particular order, and count as waiters — except on a
// Condition, where a 65th Wait returns [ErrTooManyWaiters], and a
// Barrier, which has at most 65 parties. A queue holds a fixed number of
// messages of a fixed largest size ([QueueOptions]). A process's pid must
// fit in 22 bits (Linux's largest pid_max).
//
// # Differences from Python
//
// Owners are handles, not threads: an [RLock] handle is an owner, and
// goroutines sharing a handle share its ownership. A [Value]'s or
// [Array]'s attached lock is a [Lock], not an RLock: code that holds it
// uses Raw (Python's get_obj()) instead of calling the methods, which take
// the lock. A Condition opened without a lock is bound to a Lock, not an
// RLock. Blocked calls are served in FIFO order. A lock or permit held by
// a dead process comes back with ErrOwnerDied instead of staying taken,
// and a barrier breaks instead of waiting forever. A queue is bounded
// even when opened unbounded, its Put has stored the message when it
// returns (there is no feeder thread), and messages are bytes, not
// pickled objects.
package shm
