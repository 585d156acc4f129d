// Package linear checks that the latchkey server is linearizable: that
// whatever concurrent clients observe could have come from applying their
// calls one at a time, each at some instant between its call and its
// return, to a simple sequential model of the object. The checker is
// github.com/anishathalye/porcupine. The package has no code outside its
// tests.
//
// # Histories
//
// A test starts an in-process server on loopback TCP and eight workers:
// goroutines that call random methods of the objects under test, chosen
// by a seeded generator. Workers 0 to 4 each dial their own session;
// workers 5, 6 and 7 share one client (one session, one connection,
// concurrent calls multiplexed on it). For every call a worker records one
// porcupine.Operation: the worker (ClientId), the input (method and
// arguments), the output, and the times of the call and of the return,
// read from one monotonic clock shared by every worker (the time since
// the run started). The history is the set of these operations; a run
// records two thousand (-linear.long: thirty thousand).
//
// A call ends in one of four ways, which the output records:
//
//   - success, with its results (a fence, an item, a value);
//   - a latchkey error that the model expects (ErrLocked from TryLock,
//     ErrEmpty from TryGet, ErrOverRelease, ...): the model decides
//     whether the state allowed it. An error of a Kind that the model does
//     not expect (ErrOwnerDied, ErrInvalid, ...) is refused;
//   - canceled: the call's ctx ended first. Blocking calls (Lock,
//     Acquire, Put, Get) are given a few milliseconds. By the client's
//     contract such a call had no effect (the server dropped it, or it was
//     never sent; a grant that raced the cancel is returned as a success),
//     so the model takes it as a no-op. This checks that promise: a
//     canceled Lock that took the lock anyway makes the history illegal;
//   - unknown: the call failed without a definite answer (the session was
//     lost, no server answered, a malformed response). As porcupine models
//     a call that never returned, its return time is infinite (the largest
//     int64): the checker may linearize it anywhere after its call,
//     including after every other operation, that is, never. The models
//     accept any output for it and apply its effect when the state allows
//     it. A worker stops after such a call, since it no longer knows what
//     it holds.
//
// # The models
//
// Each model is a porcupine.Model whose state is a comparable value.
//
//   - Lock: the holder (a worker, or none) and the latest fence. Lock and
//     TryLock succeed only on a free lock, and the fence of each grant is
//     the previous one plus one (fences continue exactly under SyncAlways,
//     across restarts, and start at 1 under SyncNone: docs/operations.md);
//     TryLock fails with ErrLocked only on a held lock; Locked reports
//     whether it is held; Unlock succeeds only for the holder (the workload
//     unlocks only what it locked, so this also checks mutual exclusion)
//     and fails with ErrNotHeld on a free lock. A worker that holds the
//     lock sometimes locks it again, which must time out.
//   - Semaphore: a bounded and an unbounded semaphore of 2 permits,
//     partitioned by object; the state is the free permits and the latest
//     fence. Acquire and TryAcquire take a permit (next fence), TryAcquire
//     fails with ErrNoPermit only when none is free, Release(n) adds n or,
//     on the bounded one, fails with ErrOverRelease when that would exceed
//     its initial value, Value reports the free permits.
//   - Queue: an unbounded and a 2-item FIFO queue, partitioned by object;
//     the state is the sequence of items (each put is unique). Put and
//     TryPut append when there is room (TryPut fails with ErrFull
//     otherwise), Get and TryGet take the oldest (TryGet fails with
//     ErrEmpty on an empty queue), Len is the length.
//   - Dict: Load, Store, Delete, CompareAndSwap, LoadOrStore,
//     LoadAndDelete, Swap and CompareAndDelete on four keys, partitioned by
//     key; the state of a key is its value or its absence.
//   - Value (int64): Load, Store, Add (returns the new value), Swap
//     (returns the old one) and CompareAndSwap.
//
// Every model has a self-test (TestLockModel, ...): hand-made histories
// that break the object's contract must be refused, so that the model is
// not vacuous, and hand-made linearizable ones, with overlapping and
// unknown operations, accepted, so that it is not too strict.
//
// # Restarts
//
// Each model runs in three variants: "always" (Sync always, no restart),
// "restarts" (Sync always, two restarts, a snapshot every 97 log records
// so that a restart recovers from a snapshot and the log after it) and
// "none" (Sync none, no restart: that server keeps nothing across one).
// A restart is server.Server.Close (every client gets a Goodbye saying
// the server is shutting down) followed by server.New on the same data
// directory and the same loopback address, while the workers go on. The
// clients ask for a TTL of a minute, reconnect within milliseconds and
// resume their sessions; calls in flight are sent again with their
// request ids and take effect exactly once, and calls made meanwhile wait
// for the resume. So every call still has exactly one outcome, and the
// history runs across the restarts with nothing special in the models: a
// restart must be invisible to clients. The restarts happen after a third
// and two thirds of the operations, and appear in the visualization as
// annotations tagged "server".
//
// A session that ends during a run fails the test whatever the check
// says: the server would have released what it held without an operation
// in the history.
//
// # Reading a failure
//
// A refused history fails the test with the paths of files written to
// $LATCHKEY_LINEAR_OUT, or to a new directory under os.TempDir
// (t.TempDir would be removed with the test):
//
//   - NAME.json: the history, which -linear.recheck=NAME.json checks
//     again (and reports on again) without running anything;
//   - NAME.txt: a listing, one operation a line in call order: call and
//     return time in microseconds since the start ("inf": unknown), the
//     worker, the operation and its output, and the error text;
//   - NAME.html: porcupine's visualization. Each worker is a row of
//     operations; porcupine shows the longest partial linearizations it
//     found, and hovering over an operation shows the state before and
//     after it. The first operation it could not place is where to look;
//   - NAME-min.txt and NAME-min.html: the same for the first refused
//     partition (one object or key) cut at the earliest call at which it
//     is already refused. In such a prefix the operations still in flight
//     at the cut are made unknown, which only relaxes the history, so the
//     violation happened before the cut.
//
// A check that does not finish within its timeout (30 s) is logged with
// the saved history but does not fail the test: porcupine found no
// violation, and -linear.recheck can try again for longer.
//
// # Running
//
// Each run prints its seed; -linear.seed=N replays the workers' choices
// (not the interleaving, which the scheduler decides). -linear.long
// records thirty thousand operations a run, with ten restarts in the
// "restarts" variant; it takes minutes and is not for CI. $LATCHKEY_LINEAR_LOG names a directory for the debug logs of the
// server and the clients of each run.
//
//	go test ./internal/linear -run 'TestQueue/restarts' -v -linear.seed=42
//	go test ./internal/linear -run TestRecheck -args -linear.recheck=/tmp/x/TestQueue-restarts-42.json
package linear
