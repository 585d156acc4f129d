package local_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchkey/latchkey/local"
)

func eventIsSet(t testing.TB, e *local.Event) bool {
	t.Helper()
	set, err := e.IsSet(t.Context())
	if err != nil {
		t.Fatalf("IsSet: %v", err)
	}
	return set
}

func eventSet(t testing.TB, e *local.Event) {
	t.Helper()
	if err := e.Set(t.Context()); err != nil {
		t.Fatalf("Set: %v", err)
	}
}

func eventClear(t testing.TB, e *local.Event) {
	t.Helper()
	if err := e.Clear(t.Context()); err != nil {
		t.Fatalf("Clear: %v", err)
	}
}

// test_is_set
func TestEventIsSet(t *testing.T) {
	var e local.Event
	if eventIsSet(t, &e) {
		t.Fatal("zero Event is set")
	}
	eventSet(t, &e)
	if !eventIsSet(t, &e) {
		t.Fatal("not set after Set")
	}
	eventSet(t, &e)
	if !eventIsSet(t, &e) {
		t.Fatal("not set after a second Set")
	}
	eventClear(t, &e)
	if eventIsSet(t, &e) {
		t.Fatal("set after Clear")
	}
	eventClear(t, &e)
	if eventIsSet(t, &e) {
		t.Fatal("set after a second Clear")
	}
}

// test_notify: 5 goroutines wait twice each; none returns before Set, all
// ten waits return nil after it. Run again after Set and Clear.
func TestEventNotify(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var e local.Event
		notify := func() {
			t.Helper()
			results := make(chan error, 10)
			for range 5 {
				go func() {
					results <- e.Wait(t.Context())
					results <- e.Wait(t.Context())
				}()
			}
			synctest.Wait()
			if len(results) != 0 {
				t.Fatalf("%d waits returned before Set", len(results))
			}
			if w := e.Waiters(); w != 5 {
				t.Fatalf("Waiters = %d; want 5", w)
			}
			eventSet(t, &e)
			for range 10 {
				if err := <-results; err != nil {
					t.Fatalf("Wait: %v", err)
				}
			}
			if w := e.Waiters(); w != 0 {
				t.Fatalf("Waiters = %d after Set; want 0", w)
			}
		}
		notify()
		eventSet(t, &e)
		eventClear(t, &e)
		notify()
	})
}

// test_timeout: on a clear event a poll (IsSet, Go's wait(0)) is false and
// a Wait with a 0.5 s deadline fails after 0.5 s; after Set both succeed.
// A Wait whose ctx is already done returns ctx.Err() without looking at the
// flag (the ctx convention of package local).
func TestEventTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var e local.Event
		type result struct {
			polled  bool
			waitErr error
			elapsed time.Duration
		}
		run := func() []result {
			results := make(chan result, 5)
			for range 5 {
				go func() {
					var r result
					r.polled = eventIsSet(t, &e)
					ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
					defer cancel()
					start := time.Now()
					r.waitErr = e.Wait(ctx)
					r.elapsed = time.Since(start)
					results <- r
				}()
			}
			var rs []result
			for range 5 {
				rs = append(rs, <-results)
			}
			return rs
		}
		for _, r := range run() {
			if r.polled || !errors.Is(r.waitErr, context.DeadlineExceeded) || r.elapsed != 500*time.Millisecond {
				t.Fatalf("clear event: polled %v, Wait %v after %v; want false, DeadlineExceeded after 0.5s", r.polled, r.waitErr, r.elapsed)
			}
		}
		if w := e.Waiters(); w != 0 {
			t.Fatalf("Waiters = %d after timeouts; want 0", w)
		}
		eventSet(t, &e)
		for _, r := range run() {
			if !r.polled || r.waitErr != nil || r.elapsed != 0 {
				t.Fatalf("set event: polled %v, Wait %v after %v; want true, nil at once", r.polled, r.waitErr, r.elapsed)
			}
		}
		done, cancel := context.WithCancel(t.Context())
		cancel()
		if err := e.Wait(done); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait with a done ctx = %v; want Canceled", err)
		}
	})
}

// test_set_and_clear (gh-57711): waiters woken by a Set return nil even if
// Clear ran before they resumed.
func TestEventSetAndClear(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var e local.Event
		results := make(chan error, 5)
		for range 5 {
			go func() {
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				results <- e.Wait(ctx)
			}()
		}
		synctest.Wait()
		eventSet(t, &e)
		eventClear(t, &e)
		for range 5 {
			if err := <-results; err != nil {
				t.Fatalf("Wait: %v", err)
			}
		}
		if eventIsSet(t, &e) {
			t.Fatal("set after Clear")
		}
	})
}

// A cancelled Wait returns ctx.Err() and leaves no waiter behind; waiters
// that stay are still woken by a later Set.
func TestEventCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var e local.Event
		ctx, cancel := context.WithCancel(t.Context())
		cancelled := make(chan error)
		go func() { cancelled <- e.Wait(ctx) }()
		stays := make(chan error)
		go func() { stays <- e.Wait(t.Context()) }()
		synctest.Wait()
		if w := e.Waiters(); w != 2 {
			t.Fatalf("Waiters = %d; want 2", w)
		}
		cancel()
		if err := <-cancelled; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Wait = %v; want Canceled", err)
		}
		if w := e.Waiters(); w != 1 {
			t.Fatalf("Waiters = %d after cancel; want 1", w)
		}
		if eventIsSet(t, &e) {
			t.Fatal("a cancelled Wait set the event")
		}
		eventSet(t, &e)
		if err := <-stays; err != nil {
			t.Fatalf("Wait: %v", err)
		}
		if w := e.Waiters(); w != 0 {
			t.Fatalf("Waiters = %d; want 0", w)
		}
	})
}
