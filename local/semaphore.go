package local

import (
	"context"
	"math"
	"sync"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/waitq"
)

var _ latchkey.Semaphore = (*Semaphore)(nil)

// Semaphore is an in-process counting semaphore with Python's
// threading.Semaphore semantics, or, made by [NewBoundedSemaphore],
// threading.BoundedSemaphore's. Permits have no owner: any goroutine may
// release them. An unbounded semaphore grows when released more often than
// acquired; a bounded one refuses a Release that would take its value past
// its initial value with [latchkey.ErrOverRelease] and changes nothing.
//
// Waiters are granted permits in arrival order (FIFO): a Release hands its
// permits directly to the oldest waiters, and neither Acquire nor
// TryAcquire takes a free permit while anybody is queued. (Python
// guarantees no order; FIFO is a deliberate strengthening.)
//
// Acquire blocks until a permit is granted or its ctx is done. A call whose
// ctx is already done returns ctx.Err() without taking a permit; a call
// cancelled while waiting returns ctx.Err() and takes no permit, also when
// a grant raced with the cancellation: the permit is given back and granted
// to the next waiter. TryAcquire, Release and Value never block and ignore
// their ctx.
//
// Every permit granted carries a new fencing token; tokens of one semaphore
// strictly increase in the order the permits are granted.
//
// A Release synchronizes before every Acquire or TryAcquire that takes a
// permit it released. Semaphore is safe for concurrent use and must not be
// copied after first use.
type Semaphore struct {
	_ noCopy

	mu      sync.Mutex // guards value, fence and waiters
	value   int
	fence   latchkey.Fence
	waiters waitq.Queue[latchkey.Fence] // Val: the fence granted

	initial int  // immutable
	bounded bool // immutable
}

// NewSemaphore returns an unbounded semaphore with value free permits.
// A negative value returns [latchkey.ErrInvalid].
func NewSemaphore(value int) (*Semaphore, error) {
	return newSemaphore(value, false)
}

// NewBoundedSemaphore returns a bounded semaphore with value free permits,
// which can never hold more than value. A negative value returns
// [latchkey.ErrInvalid].
func NewBoundedSemaphore(value int) (*Semaphore, error) {
	return newSemaphore(value, true)
}

func newSemaphore(value int, bounded bool) (*Semaphore, error) {
	if value < 0 {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "local: semaphore initial value %d must be >= 0", value)
	}
	return &Semaphore{value: value, initial: value, bounded: bounded}, nil
}

// Bounded reports whether s was made by [NewBoundedSemaphore].
func (s *Semaphore) Bounded() bool { return s.bounded }

// Initial returns the value s was created with.
func (s *Semaphore) Initial() int { return s.initial }

// Acquire blocks until it takes a permit or ctx is done, and returns the
// permit's fencing token. On failure it returns ctx.Err() and leaves the
// semaphore unchanged.
func (s *Semaphore) Acquire(ctx context.Context) (latchkey.Fence, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	if s.value > 0 && s.waiters.Len() == 0 {
		s.value--
		s.fence++
		f := s.fence
		s.mu.Unlock()
		return f, nil
	}
	w := s.waiters.Push(0)
	s.mu.Unlock()
	if err := waitq.Await(ctx, &s.mu, &s.waiters, w, s.giveBackLocked, s.grantLocked); err != nil {
		return 0, err
	}
	return w.Val, nil
}

// giveBackLocked returns the permit granted to a waiter whose ctx ended
// first and grants it to the next waiter. s.mu must be held.
func (s *Semaphore) giveBackLocked(*waitq.Waiter[latchkey.Fence]) {
	s.value++
	s.grantLocked()
}

// grantLocked hands free permits to the queued waiters, oldest first.
// s.mu must be held.
func (s *Semaphore) grantLocked() {
	for s.value > 0 {
		w := s.waiters.Front()
		if w == nil {
			return
		}
		s.value--
		s.fence++
		w.Val = s.fence
		s.waiters.Grant(w)
	}
}

// TryAcquire takes a permit if one is free and nobody waits, and returns
// its fencing token; otherwise it returns [latchkey.ErrNoPermit]. It never
// blocks and ignores ctx.
func (s *Semaphore) TryAcquire(context.Context) (latchkey.Fence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value == 0 || s.waiters.Len() > 0 {
		return 0, latchkey.ErrNoPermit
	}
	s.value--
	s.fence++
	return s.fence, nil
}

// Release returns n permits, granting them to the oldest waiters first.
// n < 1 returns [latchkey.ErrInvalid]. On a bounded semaphore, a release
// that would raise the value past the initial value returns
// [latchkey.ErrOverRelease] and changes nothing (all or nothing). It never
// blocks and ignores ctx.
func (s *Semaphore) Release(_ context.Context, n int) error {
	if n < 1 {
		return latchkey.Errorf(latchkey.KindInvalid, "local: semaphore release of %d permits, must be one or more", n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bounded && n > s.initial-s.value {
		return latchkey.ErrOverRelease
	}
	if n > math.MaxInt-s.value {
		return latchkey.Errorf(latchkey.KindInvalid, "local: semaphore value overflow")
	}
	s.value += n
	s.grantLocked()
	return nil
}

// Value returns the number of free permits (a snapshot). It ignores ctx.
func (s *Semaphore) Value(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value, nil
}

// Waiters returns the number of Acquire calls blocked waiting for a permit.
func (s *Semaphore) Waiters() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiters.Len()
}
