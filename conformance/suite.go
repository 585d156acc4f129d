package conformance

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchkey/latchkey"
)

// Backend is an implementation of the root API under test.
type Backend struct {
	// New returns a manager on a fresh, empty namespace of objects. It is
	// called once per test, inside the test's synctest bubble when Bubble
	// is set; the suite closes the manager when the test ends.
	New func(t *testing.T) latchkey.Manager
	// Bubble reports that the backend does no real I/O and starts no
	// goroutine outside the caller's, so that tests run inside
	// testing/synctest bubbles with a fake clock.
	Bubble bool
}

// Waiters is implemented by managers that can report how many calls are
// blocked on an object. The suite uses it to know that a call is blocked
// without sleeping, and to check that cancelled calls leave no ghost
// waiter. What counts, per type:
//
//   - Lock, RLock, RWLock, Semaphore: calls blocked acquiring;
//   - Condition: calls in Wait that have not been notified yet (a notified
//     waiter re-acquiring the lock counts on the lock);
//   - Event: calls blocked in Wait;
//   - Barrier: parties blocked in Wait (Python's n_waiting);
//   - Queue, SimpleQueue: blocked Get, Put and Join calls.
//
// A backend that is not run in a bubble must implement it.
type Waiters interface {
	Waiters(ctx context.Context, name string) (int, error)
}

// Env is one test's environment.
type Env struct {
	// M is the manager under test.
	M       latchkey.Manager
	backend Backend
}

// Short is the duration the suite uses for a timeout that is expected to
// expire: Python's 0.5 s inside a bubble (where it costs nothing), 50 ms
// on a real clock.
func (e *Env) Short() time.Duration {
	if e.backend.Bubble {
		return 500 * time.Millisecond
	}
	return 50 * time.Millisecond
}

// Long is a timeout that must not expire in a passing test.
func (e *Env) Long() time.Duration {
	return time.Minute
}

// Blocked waits until exactly n calls are blocked on the object called
// name, and fails the test if that does not happen. In a bubble it waits
// for every goroutine of the test to block (synctest.Wait) and then checks
// the count if the manager implements [Waiters]; otherwise it polls Waiters
// until the count is n, for up to Long.
func (e *Env) Blocked(t testing.TB, name string, n int) {
	t.Helper()
	w, ok := e.M.(Waiters)
	if e.backend.Bubble {
		synctest.Wait()
		if !ok {
			return
		}
		got, err := w.Waiters(t.Context(), name)
		if err != nil || got != n {
			t.Fatalf("Waiters(%q) = %d, %v; want %d", name, got, err, n)
		}
		return
	}
	if !ok {
		t.Fatalf("conformance: manager %T does not implement Waiters", e.M)
	}
	deadline := time.Now().Add(e.Long())
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		got, err := w.Waiters(t.Context(), name)
		if err == nil && got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Waiters(%q) = %d, %v after %v; want %d", name, got, err, e.Long(), n)
		}
		<-tick.C
	}
}

// Settle waits until every goroutine of the test is blocked, where the
// backend runs in a bubble; elsewhere it does nothing. Use it before
// checking that something did not happen.
func (e *Env) Settle() {
	if e.backend.Bubble {
		synctest.Wait()
	}
}

// test is one conformance test.
type test struct {
	name string
	// py names the CPython test(s) it mirrors, or "" for our own.
	py string
	fn func(t *testing.T, e *Env)
}

// groups lists every test group, in the order they run.
func groups() []struct {
	name  string
	tests []test
} {
	return []struct {
		name  string
		tests []test
	}{
		{"Lock", lockTests},
		{"RLock", rlockTests},
		{"RWLock", rwlockTests},
		{"Semaphore", semaphoreTests},
		{"Condition", conditionTests},
		{"Event", eventTests},
		{"Barrier", barrierTests},
		{"Queue", queueTests},
		{"SimpleQueue", simpleQueueTests},
		{"Dict", dictTests},
		{"List", listTests},
		{"Namespace", namespaceTests},
		{"Value", valueTests},
		{"Array", arrayTests},
		{"Manager", managerTests},
	}
}

// Run runs the whole suite against b.
func Run(t *testing.T, b Backend) {
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) { run(t, b, tc.fn) })
			}
		})
	}
}

func run(t *testing.T, b Backend, fn func(*testing.T, *Env)) {
	body := func(t *testing.T) {
		e := &Env{M: b.New(t), backend: b}
		defer func() {
			if err := e.M.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
		fn(t, e)
	}
	if b.Bubble {
		synctest.Test(t, body)
		return
	}
	body(t)
}

// must fails the test if err is not nil.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// name returns a distinct object name for the i-th object of a test.
func name(kind string, i int) string { return fmt.Sprintf("%s-%d", kind, i) }
