package conformance

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
)

// Helpers of the lock, semaphore, condition, event and barrier groups.
// Their names start with lk to stay clear of the other groups' helpers.

// lkGroup runs a test's goroutines. Every goroutine blocks on ctx (derived
// from t.Context()), so that a failing test can stop them: the test defers
// Stop, which cancels ctx and waits. A passing test calls Join, which waits
// without cancelling.
type lkGroup struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// lkStart returns a group for t's goroutines; defer its Stop.
func lkStart(t *testing.T) *lkGroup {
	ctx, cancel := context.WithCancel(t.Context())
	return &lkGroup{ctx: ctx, cancel: cancel}
}

// Go starts f in a goroutine of the group.
func (g *lkGroup) Go(f func()) { g.wg.Go(f) }

// Stop cancels the group's ctx and waits for its goroutines.
func (g *lkGroup) Stop() {
	g.cancel()
	g.wg.Wait()
}

// Join waits for the group's goroutines to end by themselves; after Long
// it fails the test and cancels them.
func (g *lkGroup) Join(t testing.TB, e *Env) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(e.Long())
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Errorf("goroutines still running after %v", e.Long())
		g.cancel()
		<-done
	}
}

// lkRecv receives a value from ch, failing the test if none comes within
// Long.
func lkRecv[T any](t testing.TB, e *Env, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(e.Long())
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("nothing received after %v", e.Long())
	}
	var zero T
	return zero
}

// lkRecvN receives n values from ch.
func lkRecvN[T any](t testing.TB, e *Env, ch <-chan T, n int) []T {
	t.Helper()
	vs := make([]T, 0, n)
	for range n {
		vs = append(vs, lkRecv(t, e, ch))
	}
	return vs
}

// lkNone fails the test if ch has a value once everything has settled:
// what must not have happened yet has not.
func lkNone[T any](t testing.TB, e *Env, ch <-chan T, what string) {
	t.Helper()
	e.Settle()
	select {
	case v := <-ch:
		t.Fatalf("%s: got %v, want nothing yet", what, v)
	default:
	}
}

// lkShort returns a context that expires after e.Short().
func lkShort(ctx context.Context, e *Env) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.Short())
}

// lkDone returns a context that is already cancelled.
func lkDone(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	return ctx
}

// lkIsCtxErr reports whether err is a cancelled call's error.
func lkIsCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// lkWantErr fails the test unless errors.Is(err, want).
func lkWantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

// lkWantCtxErr fails the test unless err is a cancelled call's error.
func lkWantCtxErr(t testing.TB, what string, err error) {
	t.Helper()
	if !lkIsCtxErr(err) {
		t.Fatalf("%s: err = %v, want a context error", what, err)
	}
}

// lkFences checks that fencing tokens are non-zero and strictly increase.
func lkFences(t testing.TB, fs ...latchkey.Fence) {
	t.Helper()
	for i, f := range fs {
		if f == 0 {
			t.Errorf("fence %d is 0", i)
		}
		if i > 0 && f <= fs[i-1] {
			t.Errorf("fences %v do not strictly increase at %d", fs, i)
		}
	}
}

// Openers: they fail the test on error, so call them from the test's
// goroutine and hand the handles to the goroutines.

func lkLock(t testing.TB, e *Env, name string) latchkey.Lock {
	t.Helper()
	l, err := e.M.Lock(t.Context(), name)
	if err != nil {
		t.Fatalf("Lock(%q): %v", name, err)
	}
	return l
}

func lkRLock(t testing.TB, e *Env, name string) latchkey.RLock {
	t.Helper()
	l, err := e.M.RLock(t.Context(), name)
	if err != nil {
		t.Fatalf("RLock(%q): %v", name, err)
	}
	return l
}

func lkRW(t testing.TB, e *Env, name string) latchkey.RWLock {
	t.Helper()
	l, err := e.M.RWLock(t.Context(), name)
	if err != nil {
		t.Fatalf("RWLock(%q): %v", name, err)
	}
	return l
}

func lkSem(t testing.TB, e *Env, name string, value int) latchkey.Semaphore {
	t.Helper()
	s, err := e.M.Semaphore(t.Context(), name, value)
	if err != nil {
		t.Fatalf("Semaphore(%q, %d): %v", name, value, err)
	}
	return s
}

func lkBSem(t testing.TB, e *Env, name string, value int) latchkey.Semaphore {
	t.Helper()
	s, err := e.M.BoundedSemaphore(t.Context(), name, value)
	if err != nil {
		t.Fatalf("BoundedSemaphore(%q, %d): %v", name, value, err)
	}
	return s
}

func lkCond(t testing.TB, e *Env, name string, l latchkey.Locker) latchkey.Condition {
	t.Helper()
	c, err := e.M.Condition(t.Context(), name, l)
	if err != nil {
		t.Fatalf("Condition(%q): %v", name, err)
	}
	return c
}

func lkEvent(t testing.TB, e *Env, name string) latchkey.Event {
	t.Helper()
	ev, err := e.M.Event(t.Context(), name)
	if err != nil {
		t.Fatalf("Event(%q): %v", name, err)
	}
	return ev
}

func lkBarrier(t testing.TB, e *Env, name string, parties int, opts *latchkey.BarrierOptions) latchkey.Barrier {
	t.Helper()
	b, err := e.M.Barrier(t.Context(), name, parties, opts)
	if err != nil {
		t.Fatalf("Barrier(%q, %d): %v", name, parties, err)
	}
	return b
}

// State accessors that fail the test on error.

func lkLocked(t testing.TB, l latchkey.Lock) bool {
	t.Helper()
	v, err := l.Locked(t.Context())
	must(t, err)
	return v
}

func lkCount(t testing.TB, l latchkey.RLock) int {
	t.Helper()
	n, err := l.Count(t.Context())
	must(t, err)
	return n
}

func lkValue(t testing.TB, s latchkey.Semaphore) int {
	t.Helper()
	n, err := s.Value(t.Context())
	must(t, err)
	return n
}

func lkWantValue(t testing.TB, s latchkey.Semaphore, want int) {
	t.Helper()
	if got := lkValue(t, s); got != want {
		t.Fatalf("Value = %d, want %d", got, want)
	}
}

// Hammer support: randomized tests log their seed and take it from
// $LATCHKEY_SEED to repeat a run.

// lkSeed returns the seed of a randomized test.
func lkSeed(t testing.TB) uint64 {
	t.Helper()
	seed := rand.Uint64()
	if s := os.Getenv("LATCHKEY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("LATCHKEY_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (set LATCHKEY_SEED=%d to repeat)", seed, seed)
	return seed
}

// The shape of every hammer: lkWorkers goroutines, lkIters attempts each.
// Small enough for a real network backend.
const (
	lkWorkers = 8
	lkIters   = 100
)

// lkHammer runs lkWorkers goroutines, each calling attempt lkIters times
// with its own random source, and waits for them.
func lkHammer(t *testing.T, e *Env, attempt func(ctx context.Context, i int, r *rand.Rand)) {
	t.Helper()
	seed := lkSeed(t)
	g := lkStart(t)
	defer g.Stop()
	for i := range lkWorkers {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		g.Go(func() {
			for range lkIters {
				if g.ctx.Err() != nil {
					return
				}
				attempt(g.ctx, i, r)
			}
		})
	}
	g.Join(t, e)
}

// lkAttemptCtx returns the ctx of one hammer attempt: already cancelled,
// cancelled by another goroutine at some point, or with a random timeout
// of at most Short/10 (possibly zero). Call the returned func when the
// attempt is over.
func lkAttemptCtx(ctx context.Context, e *Env, r *rand.Rand) (context.Context, func()) {
	switch r.IntN(8) {
	case 0:
		return lkDone(ctx), func() {}
	case 1:
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		yields := r.IntN(3)
		go func() {
			defer close(done)
			for range yields {
				runtime.Gosched()
			}
			cancel()
		}()
		return ctx, func() { <-done }
	default:
		d := time.Duration(r.Int64N(int64(e.Short()/10) + 1))
		ctx, cancel := context.WithTimeout(ctx, d)
		return ctx, cancel
	}
}

// lkHold is the hammer's critical section: it yields, or keeps the object
// for a random time of at most Short/50, so that other attempts time out
// while it is held. It is the workload, not a synchronization.
func lkHold(ctx context.Context, e *Env, r *rand.Rand) {
	if r.IntN(2) == 0 {
		runtime.Gosched()
		return
	}
	timer := time.NewTimer(time.Duration(r.Int64N(int64(e.Short()/50) + 1)))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
