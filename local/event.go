package local

import (
	"context"
	"sync"

	"github.com/latchkey/latchkey"
)

var _ latchkey.Event = (*Event)(nil)

// Event is an in-process flag that goroutines wait on, with Python's
// threading.Event semantics. The zero value is a clear event.
//
// Wait blocks until the flag is set or its ctx is done. A Wait whose ctx is
// already done returns ctx.Err() without looking at the flag (Python's
// wait(0) is IsSet); a Wait cancelled while blocked returns ctx.Err(),
// unless a Set woke it first. A Wait woken by Set returns nil even if a
// Clear ran before it resumed (gh-57711). Set wakes every waiter at once;
// Set, Clear and IsSet never block and ignore their ctx.
//
// A Set synchronizes before every Wait it wakes and every Wait or IsSet
// that observes the flag set.
//
// Event is safe for concurrent use and must not be copied after first use.
type Event struct {
	_ noCopy

	mu      sync.Mutex    // guards set, wake and waiters
	set     bool          // the flag
	wake    chan struct{} // closed by Set; nil until a Wait needs one, dropped by Set
	waiters int           // Waits blocked on wake
}

// Set sets the flag and wakes every waiter. It is idempotent.
func (e *Event) Set(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.set {
		return nil
	}
	e.set = true
	if e.wake != nil {
		close(e.wake)
		e.wake = nil
		e.waiters = 0
	}
	return nil
}

// Clear resets the flag. It is idempotent.
func (e *Event) Clear(context.Context) error {
	e.mu.Lock()
	e.set = false
	e.mu.Unlock()
	return nil
}

// IsSet reports whether the flag is set (a snapshot).
func (e *Event) IsSet(context.Context) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.set, nil
}

// Wait blocks until the flag is set or ctx is done. It returns nil when the
// flag was set on entry or a Set woke it, and ctx.Err() otherwise.
func (e *Event) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	if e.set {
		e.mu.Unlock()
		return nil
	}
	if e.wake == nil {
		e.wake = make(chan struct{})
	}
	wake := e.wake
	e.waiters++
	e.mu.Unlock()

	select {
	case <-wake:
		return nil
	case <-ctx.Done():
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	select {
	case <-wake:
		return nil // a Set raced with the cancellation and won
	default:
	}
	e.waiters--
	return ctx.Err()
}

// Waiters returns the number of Wait calls blocked waiting for a Set.
func (e *Event) Waiters() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.waiters
}
