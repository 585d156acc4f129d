// Package faulttest holds latchkey's server fault tests: a durable
// server running as a real process is killed with SIGKILL at random
// moments, under a mixed load from real client processes, and started
// again on the same data directory and port, several times. The package
// has no code outside its tests.
//
// # What the tests prove
//
// For each sync mode that keeps a log (always, interval, never: all of
// them lose nothing when only the server process dies, docs/operations.md),
// after the kills and a drain of the load:
//
//   - No acknowledged write is lost, and none is applied twice: every
//     acknowledged Dict.Store is there with its value; the Value equals
//     the sum of the acknowledged Adds, and sorted by the value each Add
//     returned, every Add returned the previous one plus its delta (the
//     Adds the server applied are exactly the acknowledged ones, although
//     clients sent the calls in flight at each kill again).
//   - Every acknowledged Queue.Put is delivered exactly once, to a
//     consumer or to the final drain, and every item taken was put; every
//     TaskDone counted once (Unfinished is 0 and Join returns).
//   - Fencing tokens only grow: for each lock, the grants all the clients
//     observed, sorted by fence, never overlap in time (the previous
//     holder had started its Unlock before the next grant returned), each
//     client saw its own fences increase, and under SyncAlways the fences
//     are consecutive (no grant went to nobody); under the other modes a
//     restart moves them to a new epoch.
//   - Sessions survive: no client lost its session or saw a call fail,
//     and a client that held a lock when the server was killed still
//     holds it after every restart (the parent's TryLock fails until the
//     holder unlocks).
//   - Snapshots and compaction ran meanwhile (the server writes one every
//     50 records).
//
// # How it works
//
// TestMain looks at LATCHKEY_FAULTTEST_ROLE: when set, the process is a
// child, which runs that role and exits without running any test;
// otherwise it runs the tests under goleak (internal/reexec). The parent
// picks a free loopback port and a data directory under t.TempDir(), and
// starts the test binary again as the server (role "server": server.New
// and Serve until killed, or until its stdin closes) and as clients (role
// "client": a seeded mix of Value.Add, Dict.Store of unique keys, Queue.Put of
// unique items, Queue.Get and TaskDone, Lock and Unlock with fences, each
// from its own goroutine, plus, for the first client, a lock held for
// the whole run).
//
// Every child writes one line per acknowledged operation ("3 add 17
// 4242", "2 locked lock-a 9 <unix ns>") to one pipe shared by all the
// children, one line per write. The parent counts them to pick the kill
// moments (a seeded number of acknowledgements after each restart,
// sometimes none, so that a server is also killed before its clients
// have resumed), and checks the state with its own client at the end.
// The parent sends commands on a client's stdin ("stop", "unlock"); a
// child exits when its stdin closes, so that no child outlives its
// parent. Every wait has a deadline; nothing sleeps.
//
// # Running
//
// The tests need a Unix system. The default run is short; -faulttest.long
// kills the server many more times under more clients. The tests print
// their seed; replay one with -faulttest.seed=N (or
// LATCHKEY_FAULTTEST_SEED=N):
//
//	go test -race ./internal/faulttest -run TestKillServer/always -faulttest.seed=42
//	go test -race -timeout 30m ./internal/faulttest -faulttest.long
//
// The disk faults a process kill cannot cause (fsync and write errors,
// short writes, a power loss) are tested in package server, with an
// in-memory file system (server/fault_test.go).
package faulttest
