package shm

import (
	"context"
	"runtime"
	"unsafe"

	"github.com/latchkey/latchkey"
)

var (
	_ latchkey.Array[int64]   = (*Array[int64])(nil)
	_ latchkey.Array[float64] = (*Array[float64])(nil)
)

// maxArrayBytes bounds an Array's numbers.
const maxArrayBytes = 1 << 36

// Array is a fixed-length array of numbers in shared memory, zero-filled
// at creation (Python's multiprocessing.Array). Indices run from 0 to
// Len()-1; any other index returns [latchkey.ErrOutOfRange].
//
// Its lock is chosen as for [Value]: by default an attached [Lock] that
// every method takes, so that LoadRange never sees part of a StoreRange
// and code holding [Array.GetLock] excludes every other method call;
// such code uses [Array.Raw]. A raw Array (Options.Raw, Python's RawArray)
// has no lock: each single-element method is one atomic instruction, and
// LoadRange and StoreRange are atomic only element by element.
//
// Blocking, ctx, ErrOwnerDied, overflow and float comparison are as for
// [Value]. An Array handle is safe for concurrent use.
//
// Differences from Python: no negative indices, no slice steps, and a
// range's bounds must lie within the array.
type Array[T Number] struct {
	r *region
	p unsafe.Pointer // element 0
	k elemKind
	n int
	l locking
}

func (a *Array[T]) elem(i int) elem {
	return elem{unsafe.Add(a.p, uintptr(i)*a.k.size()), a.k}
}

// check returns ErrOutOfRange unless 0 ≤ i < Len.
func (a *Array[T]) check(i int) error {
	if i < 0 || i >= a.n {
		return latchkey.Errorf(latchkey.KindOutOfRange, "shm: array index %d out of range for length %d", i, a.n)
	}
	return nil
}

// Len returns the array's length.
func (a *Array[T]) Len() int { return a.n }

// Load returns element i.
func (a *Array[T]) Load(ctx context.Context, i int) (T, error) {
	defer runtime.KeepAlive(a.r)
	if err := a.check(i); err != nil {
		return 0, err
	}
	err := a.l.lock(ctx)
	if !held(err) {
		return 0, err
	}
	x := loadNum[T](a.elem(i))
	return x, a.l.unlock(ctx, err)
}

// Store sets element i to x.
func (a *Array[T]) Store(ctx context.Context, i int, x T) error {
	defer runtime.KeepAlive(a.r)
	if err := a.check(i); err != nil {
		return err
	}
	err := a.l.lock(ctx)
	if !held(err) {
		return err
	}
	storeNum(a.elem(i), x)
	return a.l.unlock(ctx, err)
}

// Add adds delta to element i atomically and returns the new value.
func (a *Array[T]) Add(ctx context.Context, i int, delta T) (T, error) {
	defer runtime.KeepAlive(a.r)
	if err := a.check(i); err != nil {
		return 0, err
	}
	err := a.l.lock(ctx)
	if !held(err) {
		return 0, err
	}
	x := addNum(a.elem(i), delta)
	return x, a.l.unlock(ctx, err)
}

// Swap sets element i to x and returns the previous value.
func (a *Array[T]) Swap(ctx context.Context, i int, x T) (T, error) {
	defer runtime.KeepAlive(a.r)
	if err := a.check(i); err != nil {
		return 0, err
	}
	err := a.l.lock(ctx)
	if !held(err) {
		return 0, err
	}
	old := swapNum(a.elem(i), x)
	return old, a.l.unlock(ctx, err)
}

// CompareAndSwap sets element i to new if it equals old, and reports
// whether it did.
func (a *Array[T]) CompareAndSwap(ctx context.Context, i int, old, new T) (bool, error) {
	defer runtime.KeepAlive(a.r)
	if err := a.check(i); err != nil {
		return false, err
	}
	err := a.l.lock(ctx)
	if !held(err) {
		return false, err
	}
	ok := casNum(a.elem(i), old, new)
	return ok, a.l.unlock(ctx, err)
}

// LoadRange returns a copy of elements [lo, hi) (Python's slice). It
// returns [latchkey.ErrOutOfRange] unless 0 ≤ lo ≤ hi ≤ Len.
func (a *Array[T]) LoadRange(ctx context.Context, lo, hi int) ([]T, error) {
	defer runtime.KeepAlive(a.r)
	if lo < 0 || lo > hi || hi > a.n {
		return nil, latchkey.Errorf(latchkey.KindOutOfRange, "shm: array range [%d:%d] out of range for length %d", lo, hi, a.n)
	}
	vs := make([]T, hi-lo)
	err := a.l.lock(ctx)
	if !held(err) {
		return nil, err
	}
	for i := range vs {
		vs[i] = loadNum[T](a.elem(lo + i))
	}
	return vs, a.l.unlock(ctx, err)
}

// StoreRange sets elements [lo, lo+len(vs)) to vs (Python's slice
// assignment). It returns [latchkey.ErrOutOfRange] unless lo ≥ 0 and
// lo+len(vs) ≤ Len.
func (a *Array[T]) StoreRange(ctx context.Context, lo int, vs []T) error {
	defer runtime.KeepAlive(a.r)
	if lo < 0 || lo > a.n || len(vs) > a.n-lo {
		return latchkey.Errorf(latchkey.KindOutOfRange, "shm: array range [%d:%d+%d] out of range for length %d", lo, lo, len(vs), a.n)
	}
	err := a.l.lock(ctx)
	if !held(err) {
		return err
	}
	for i, x := range vs {
		storeNum(a.elem(lo+i), x)
	}
	return a.l.unlock(ctx, err)
}

// GetLock returns the Array's lock (Python's get_lock()): its attached
// [*Lock], the lock given in its Options, or nil for a raw Array.
func (a *Array[T]) GetLock() latchkey.Locker { return a.l.locker() }

// Raw returns a handle on the same numbers that takes no lock (Python's
// get_obj()), for code that holds the lock.
func (a *Array[T]) Raw() *Array[T] { return &Array[T]{r: a.r, p: a.p, k: a.k, n: a.n} }

// Waiters returns the number of calls blocked on the Array's attached lock
// (a snapshot).
func (a *Array[T]) Waiters() int {
	defer runtime.KeepAlive(a.r)
	return a.r.waiters()
}

// Name returns the Array's name.
func (a *Array[T]) Name() string { return a.r.name }

// OpenArray opens the [Array] of n numbers of T called name in m (n ≥ 0,
// else [latchkey.ErrInvalid]), zero-filled when it is created, with the
// lock that opts chooses (nil: an attached Lock). A name that belongs to
// another type, or an Array of another T, length or lock choice, returns
// [latchkey.ErrMismatch].
func OpenArray[T Number](ctx context.Context, m *Manager, name string, n int, opts *Options) (*Array[T], error) {
	k := kindOf[T]()
	if n < 0 || uint64(n)*uint64(k.size()) > maxArrayBytes {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "shm: array length %d out of range", n)
	}
	mode, id0, id1, err := lockParams(opts)
	if err != nil {
		return nil, err
	}
	size := int(offNumbers) + n*int(k.size())
	r, err := m.open(ctx, name, kindArray, [numParams]uint64{uint64(k), mode, id0, id1, uint64(n)}, size, nil)
	if err != nil {
		return nil, err
	}
	return &Array[T]{r: r, p: unsafe.Add(r.base, offNumbers), k: k, n: n, l: newLocking(r, offBody, opts)}, nil
}
