// Package conformance is the one test suite every latchkey backend runs
// unchanged: the in-process backend, the server's client, shared memory
// and etcd. A backend is done when it passes it.
//
// A backend's test calls [Run] with a [Backend] that opens a manager on a
// fresh namespace for each test:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Backend{
//			New:    func(*testing.T) latchkey.Manager { return local.NewManager() },
//			Bubble: true,
//		})
//	}
//
// The suite never sleeps to synchronize. Backends without real I/O run each
// test in a testing/synctest bubble, where timeouts cost nothing and
// "blocked" means durably blocked; other backends implement [Waiters], and
// the suite polls it to know that a call is blocked. The same count checks
// that a cancelled call leaves no ghost waiter behind.
//
// # What the suite mirrors
//
// The tests port the behaviour that CPython's own tests assert
// (Lib/test/lock_tests.py, Lib/test/test_queue.py and the
// synchronization and manager parts of Lib/test/_test_multiprocessing.py),
// translated to the Go API: timeouts become contexts, exceptions become
// sentinel errors, threads become goroutines with a handle each. Each test
// records the Python test it mirrors; the table below lists them.
//
// TABLE
package conformance
