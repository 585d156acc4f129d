package local

import (
	"context"
	"fmt"
	"sync"

	"github.com/latchkey/latchkey"
)

var _ latchkey.Barrier = (*Barrier)(nil)

// Barrier is an in-process cyclic barrier for a fixed number of parties,
// with Python's threading.Barrier semantics. A Barrier value is a handle:
// [Barrier.Handle] returns another handle on the same barrier with options
// of its own, and the action that runs at a trip is the one of the handle
// of the last party to arrive.
//
// Wait blocks until all parties have called Wait, and returns the caller's
// arrival index in the cycle: 0 for the first, Parties()-1 for the last. The
// last party runs its handle's action, if any, before any party is
// released; if the action returns an error or panics (the panic is
// recovered) the barrier breaks, the last party gets the action's error
// wrapped with [latchkey.ErrBrokenBarrier], and the others get
// ErrBrokenBarrier.
//
// A Wait whose ctx ends while it waits, or whose handle's Timeout expires
// (applied when ctx has no earlier deadline), breaks the barrier: that call
// returns an error for which both errors.Is(err, latchkey.ErrBrokenBarrier)
// and errors.Is(err, ctx.Err()) hold, every other waiter gets
// ErrBrokenBarrier, and so does every later Wait until Reset. A Wait whose
// ctx is already done trips the barrier normally if it is the last party
// (it need not wait, as in Python), and breaks the barrier otherwise.
// Abort, Reset and the accessors never block and ignore their ctx.
//
// The barrier is cyclic: each trip starts a new cycle at once. Cycles are
// generation objects, so the draining phase Python has after a trip (and
// after a Reset) takes no time here: a party arriving just after a trip
// joins the next cycle without waiting for the released parties to leave.
// A party arriving while the last party of the current cycle runs the
// action waits until the action has finished (as Python's arrivals wait for
// its lock); if its ctx ends meanwhile it breaks the barrier. The cycle
// being tripped is decided by its action alone: an Abort, a Reset, or a
// party whose ctx ends while the action runs changes the barrier's state
// for later Waits, not the outcome of that cycle, except that a party of
// that cycle whose ctx ends during the action returns its ctx's error (and
// breaks the barrier) rather than waiting for the action.
//
// A trip synchronizes before every Wait it releases returns; the action
// runs after every party of the cycle has arrived.
//
// Barrier is safe for concurrent use.
type Barrier struct {
	s    *barrierState
	opts latchkey.BarrierOptions
}

// barrierState is what the handles of one barrier share.
type barrierState struct {
	parties int // immutable

	mu      sync.Mutex  // guards broken, gen and blocked, and the fields of every generation
	broken  bool        // Python's state -2: Waits fail until Reset
	gen     *generation // the current cycle
	blocked int         // Waits blocked on some generation's done channel
}

// generation is one cycle of a barrier. Its fields are guarded by the
// barrierState's mu.
type generation struct {
	done     chan struct{} // closed when the cycle trips or breaks
	closed   bool          // done is closed
	broken   bool          // the cycle broke instead of tripping (set before closing done)
	tripping bool          // every party arrived; the last one runs the action
	count    int           // parties arrived in this cycle
	blocked  int           // Waits blocked on done (counted in barrierState.blocked)
}

func newGeneration() *generation { return &generation{done: make(chan struct{})} }

// NewBarrier returns a barrier for parties parties (parties < 1 returns
// [latchkey.ErrInvalid]) whose first handle has options opts (nil means
// none).
func NewBarrier(parties int, opts *latchkey.BarrierOptions) (*Barrier, error) {
	if parties < 1 {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "local: barrier parties %d must be > 0", parties)
	}
	s := &barrierState{parties: parties, gen: newGeneration()}
	return s.handle(opts), nil
}

// Handle returns a new handle on the same barrier with options opts (nil
// means none).
func (b *Barrier) Handle(opts *latchkey.BarrierOptions) *Barrier {
	return b.s.handle(opts)
}

func (s *barrierState) handle(opts *latchkey.BarrierOptions) *Barrier {
	b := &Barrier{s: s}
	if opts != nil {
		b.opts = *opts
	}
	return b
}

// Parties returns the number of parties needed to trip the barrier.
func (b *Barrier) Parties() int { return b.s.parties }

// Wait blocks until all parties have called Wait, and returns the caller's
// arrival index (0 for the first). On error it returns 0 and the error; see
// [Barrier] for which errors.
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	if b.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.opts.Timeout)
		defer cancel()
	}
	s := b.s
	s.mu.Lock()
	// Wait for the action of the cycle being tripped.
	for s.gen.tripping && !s.broken {
		g := s.gen
		s.blockLocked(g)
		s.mu.Unlock()
		select {
		case <-g.done:
		case <-ctx.Done():
		}
		s.mu.Lock()
		s.unblockLocked(g)
		if !g.closed && ctx.Err() != nil {
			s.breakLocked()
			s.mu.Unlock()
			return 0, brokenBy(ctx.Err())
		}
	}
	if s.broken {
		s.mu.Unlock()
		return 0, latchkey.ErrBrokenBarrier
	}
	g := s.gen
	index := g.count
	g.count++
	if g.count == s.parties {
		return index, b.tripLocked(g)
	}
	if err := ctx.Err(); err != nil {
		s.breakLocked()
		s.mu.Unlock()
		return 0, brokenBy(err)
	}
	s.blockLocked(g)
	s.mu.Unlock()
	select {
	case <-g.done:
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unblockLocked(g)
	switch {
	case g.closed && g.broken:
		return 0, latchkey.ErrBrokenBarrier
	case g.closed:
		return index, nil // a trip that raced with the cancellation wins
	}
	s.breakLocked()
	return 0, brokenBy(ctx.Err())
}

// brokenBy returns the error of a Wait whose ctx ended.
func brokenBy(ctxErr error) error {
	return fmt.Errorf("%w: %w", latchkey.ErrBrokenBarrier, ctxErr)
}

// tripLocked trips generation g, whose last party has just arrived: it runs
// the action without the lock and releases g's parties, or breaks the
// barrier if the action fails. s.mu must be held; tripLocked unlocks it.
func (b *Barrier) tripLocked(g *generation) error {
	s := b.s
	if b.opts.Action == nil {
		s.endLocked(g, false)
		s.gen = newGeneration()
		s.mu.Unlock()
		return nil
	}
	g.tripping = true
	s.mu.Unlock()
	err := runAction(b.opts.Action)
	s.mu.Lock()
	defer s.mu.Unlock()
	g.tripping = false
	s.gen = newGeneration()
	if err != nil {
		s.broken = true
		s.endLocked(g, true)
		return fmt.Errorf("%w: %w", latchkey.ErrBrokenBarrier, err)
	}
	s.endLocked(g, false)
	return nil
}

// runAction runs a barrier action and turns a panic into an error.
func runAction(action func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("local: barrier action panicked: %w", e)
			} else {
				err = fmt.Errorf("local: barrier action panicked: %v", r)
			}
		}
	}()
	return action()
}

// blockLocked counts a Wait about to block on g.done. s.mu must be held.
func (s *barrierState) blockLocked(g *generation) {
	g.blocked++
	s.blocked++
}

// unblockLocked uncounts a Wait that stopped blocking on g.done, unless
// closing g.done already did. s.mu must be held.
func (s *barrierState) unblockLocked(g *generation) {
	if !g.closed {
		g.blocked--
		s.blocked--
	}
}

// endLocked closes g's done channel, releasing its waiters with the cycle
// tripped or broken. s.mu must be held.
func (s *barrierState) endLocked(g *generation, broken bool) {
	g.broken = broken
	g.closed = true
	s.blocked -= g.blocked
	g.blocked = 0
	close(g.done)
}

// breakLocked breaks the barrier: the parties waiting in the current cycle
// get ErrBrokenBarrier, and so do later Waits until Reset. A cycle whose
// action runs is left to finish. s.mu must be held.
func (s *barrierState) breakLocked() {
	s.broken = true
	s.dropLocked()
}

// dropLocked ends the current cycle as broken if parties wait in it and
// starts a new one. A cycle whose action runs is left to finish. s.mu must
// be held.
func (s *barrierState) dropLocked() {
	g := s.gen
	if g.tripping || g.count == 0 {
		return
	}
	s.endLocked(g, true)
	s.gen = newGeneration()
}

// Abort breaks the barrier: current and later Waits return
// [latchkey.ErrBrokenBarrier] until Reset.
func (b *Barrier) Abort(context.Context) error {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	b.s.breakLocked()
	return nil
}

// Reset returns the barrier to its initial state: the parties waiting in
// the current cycle get [latchkey.ErrBrokenBarrier], and the barrier is
// usable again at once (Python's "resetting" phase takes no time here).
func (b *Barrier) Reset(context.Context) error {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	b.s.broken = false
	b.s.dropLocked()
	return nil
}

// Waiting returns the number of parties that have arrived in the current
// cycle (Python's n_waiting), or 0 when the barrier is broken. While the
// last party runs the action it is Parties().
func (b *Barrier) Waiting(context.Context) (int, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	if b.s.broken {
		return 0, nil
	}
	return b.s.gen.count, nil
}

// Broken reports whether the barrier is broken.
func (b *Barrier) Broken(context.Context) (bool, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	return b.s.broken, nil
}

// Waiters returns the number of Wait calls blocked: parties waiting for
// their cycle to trip, and arrivals waiting for an action to finish.
func (b *Barrier) Waiters() int {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	return b.s.blocked
}
