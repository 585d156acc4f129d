// Package crashtest holds latchkey's crash tests: tests in which real
// processes contend for objects of a real server and are killed with
// SIGKILL, while holding and while waiting. The package has no code
// outside its tests.
//
// # What the tests prove
//
// Over each transport (the Unix socket, loopback TCP, and loopback TCP
// with the server's ResumeLocal, where a dropped session waits out its
// TTL as a remote client's does), the tests check that a client's
// death, never a clean exit, releases what its session held and
// withdraws what it waited for:
//
//   - Lock: a holder killed while holding lets the next waiter in, whose
//     grant reports latchkey.ErrOwnerDied with a larger fence; a waiter
//     killed while waiting leaves no ghost waiter, and the next Unlock
//     goes to the next live waiter.
//   - Semaphore and BoundedSemaphore: a killed holder's permit goes to a
//     waiter; once everyone is killed every permit is back, no more (a
//     bounded semaphore whose permit was released by another process on
//     the dead one's behalf does not get it twice).
//   - Queue: an item put after a getter was killed, or handed to a getter
//     that never read it, reaches a live consumer (nothing is swallowed);
//     an item taken by a consumer killed before TaskDone goes back to the
//     head of the queue and Join still waits for it.
//   - Barrier: a party killed while waiting breaks the barrier for the
//     others; Reset makes it usable again.
//   - Fences only grow: in a randomized run of children that lock and
//     unlock in a loop while random ones are killed, every reported
//     fence is larger than every earlier one, no two live children ever
//     report holding the lock at once, and ErrOwnerDied is reported
//     exactly when a holder died holding the lock.
//
// # How it works
//
// TestMain looks at LATCHKEY_CRASHTEST_ROLE: when set, the process is a
// child, which runs that role and exits without running any test;
// otherwise it runs the tests under goleak (internal/reexec). A test
// starts an in-process server and then children, the test binary started
// again by internal/reexec with an environment that names the role, the
// server's address, the object, the child's id and role arguments.
//
// Every child writes its reports ("3 locked 17", "3 broken") to one pipe
// shared by all the children of a test, one line per write, which the
// pipe keeps atomic and in write order. So the order in which the parent
// reads reports respects causality across children: a holder's
// "unlocking" comes before the report of the grant its Unlock caused.
// The parent writes its own markers into the same pipe ("0 kill 3"
// before it kills child 3, "0 dead 3" once it has reaped it), which
// places each death in that order. The parent sends commands ("unlock",
// "done") on a child's stdin; a child exits when its stdin closes, so
// that no child outlives its parent.
//
// To know that a child is waiting, the parent polls its own client's
// Waiters until the count is what it expects. To know that a dead
// child's session has ended, it uses a sentinel: before starting a
// child, the parent takes a lock of the child's own; the child waits on
// it for its whole life, so the lock's waiter count drops to zero
// exactly when the server ends the child's session. Every wait has a
// deadline; nothing sleeps.
//
// # Running
//
// The tests need a Unix system (SIGKILL, SIGSTOP, Unix sockets). The
// default run is short. The randomized test prints its seed; replay it
// with -crashtest.seed=N (or LATCHKEY_CRASHTEST_SEED=N), and run the long
// version with -crashtest.long:
//
//	go test ./internal/crashtest -run TestFencesOnlyGrow -crashtest.long -crashtest.seed=42
package crashtest
