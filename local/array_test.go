package local_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

func newArray[T latchkey.Number](t *testing.T, n int) *local.Array[T] {
	t.Helper()
	a, err := local.NewArray[T](n)
	if err != nil {
		t.Fatalf("NewArray(%d): %v", n, err)
	}
	return a
}

func arrayContents[T latchkey.Number](t *testing.T, a *local.Array[T]) []T {
	t.Helper()
	vs, err := a.LoadRange(t.Context(), 0, a.Len())
	if err != nil {
		t.Fatalf("LoadRange(0, %d): %v", a.Len(), err)
	}
	return vs
}

// TestArrayFromSize ports _TestArray.test_array_from_size: a new array is
// zero-filled (checked three times, bpo-11675), then range(10) is
// slice-assigned.
func TestArrayFromSize(t *testing.T) {
	const size = 10
	for range 3 {
		a := newArray[int64](t, size)
		if a.Len() != size {
			t.Fatalf("Len = %d", a.Len())
		}
		if got := arrayContents(t, a); !slices.Equal(got, make([]int64, size)) {
			t.Fatalf("new array = %v, want zeros", got)
		}
		if err := a.StoreRange(t.Context(), 0, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}); err != nil {
			t.Fatal(err)
		}
		if got := arrayContents(t, a); !slices.Equal(got, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
			t.Fatalf("after a[:] = range(10): %v", got)
		}
	}
	f := newArray[float64](t, 3)
	if got := arrayContents(t, f); !slices.Equal(got, []float64{0, 0, 0}) {
		t.Fatalf("new float array = %v", got)
	}
}

// TestArray ports _TestArray.test_array: length, indexing, slicing, slice
// assignment, and prefix sums computed in place by another goroutine.
func TestArray(t *testing.T) {
	ctx := t.Context()
	seq := []int64{680, 626, 934, 821, 150, 233, 548, 982, 714, 831}
	a := newArray[int64](t, len(seq))
	if err := a.StoreRange(ctx, 0, seq); err != nil {
		t.Fatal(err)
	}
	if a.Len() != len(seq) {
		t.Fatalf("len = %d", a.Len())
	}
	if x, _ := a.Load(ctx, 4); x != seq[4] {
		t.Fatalf("a[4] = %d", x)
	}
	if got, _ := a.LoadRange(ctx, 2, 7); !slices.Equal(got, seq[2:7]) {
		t.Fatalf("a[2:7] = %v", got)
	}
	if err := a.StoreRange(ctx, 4, []int64{1, 2, 3}); err != nil { // a[4:7] = ...
		t.Fatal(err)
	}
	want := slices.Clone(seq)
	copy(want[4:], []int64{1, 2, 3})
	if got := arrayContents(t, a); !slices.Equal(got, want) {
		t.Fatalf("after a[4:7] = [1 2 3]: %v, want %v", got, want)
	}

	done := make(chan struct{})
	go func() { // the "child process" of the Python test
		defer close(done)
		for i := 1; i < a.Len(); i++ {
			prev, _ := a.Load(ctx, i-1)
			_, _ = a.Add(ctx, i, prev)
		}
	}()
	<-done
	for i := 1; i < len(want); i++ {
		want[i] += want[i-1]
	}
	if got := arrayContents(t, a); !slices.Equal(got, want) {
		t.Fatalf("prefix sums = %v, want %v", got, want)
	}
}

// TestArraySyncManagerTypes ports TestSyncManagerTypes.test_array.
func TestArraySyncManagerTypes(t *testing.T) {
	ctx := t.Context()
	a := newArray[int64](t, 2)
	_ = a.StoreRange(ctx, 0, []int64{0, 1})
	done := make(chan []int64)
	go func() {
		x0, _ := a.Load(ctx, 0)
		x1, _ := a.Load(ctx, 1)
		done <- []int64{x0, x1, int64(a.Len())}
	}()
	if got := <-done; !slices.Equal(got, []int64{0, 1, 2}) {
		t.Fatalf("child read a[0], a[1], len = %v", got)
	}
}

func TestArrayBounds(t *testing.T) {
	ctx := t.Context()
	if a, err := local.NewArray[int64](-1); a != nil || !errors.Is(err, latchkey.ErrInvalid) {
		t.Fatalf("NewArray(-1) = %v, %v; want ErrInvalid", a, err)
	}
	a := newArray[int64](t, 3)
	for _, i := range []int{-1, 3, 100, math.MinInt} {
		if _, err := a.Load(ctx, i); !errors.Is(err, latchkey.ErrOutOfRange) {
			t.Errorf("Load(%d) = %v", i, err)
		}
		if err := a.Store(ctx, i, 1); !errors.Is(err, latchkey.ErrOutOfRange) {
			t.Errorf("Store(%d) = %v", i, err)
		}
		if _, err := a.Add(ctx, i, 1); !errors.Is(err, latchkey.ErrOutOfRange) {
			t.Errorf("Add(%d) = %v", i, err)
		}
		if _, err := a.CompareAndSwap(ctx, i, 0, 1); !errors.Is(err, latchkey.ErrOutOfRange) {
			t.Errorf("CompareAndSwap(%d) = %v", i, err)
		}
	}
	for _, r := range [][2]int{{-1, 2}, {2, 1}, {0, 4}, {4, 4}} {
		if _, err := a.LoadRange(ctx, r[0], r[1]); !errors.Is(err, latchkey.ErrOutOfRange) {
			t.Errorf("LoadRange(%d, %d) = %v", r[0], r[1], err)
		}
	}
	for _, r := range [][2]int{{0, 0}, {3, 3}, {1, 3}} {
		if got, err := a.LoadRange(ctx, r[0], r[1]); err != nil || len(got) != r[1]-r[0] {
			t.Errorf("LoadRange(%d, %d) = %v, %v", r[0], r[1], got, err)
		}
	}
	for _, tc := range []struct {
		lo int
		vs []int64
	}{{-1, nil}, {-1, []int64{1}}, {3, []int64{1}}, {2, []int64{1, 2}}, {0, []int64{1, 2, 3, 4}}, {math.MaxInt, []int64{1}}} {
		if err := a.StoreRange(ctx, tc.lo, tc.vs); !errors.Is(err, latchkey.ErrOutOfRange) {
			t.Errorf("StoreRange(%d, %v) = %v", tc.lo, tc.vs, err)
		}
	}
	if got := arrayContents(t, a); !slices.Equal(got, []int64{0, 0, 0}) {
		t.Fatalf("failed calls changed the array: %v", got)
	}
	for _, lo := range []int{0, 3} {
		if err := a.StoreRange(ctx, lo, nil); err != nil {
			t.Errorf("StoreRange(%d, nil) = %v", lo, err)
		}
	}
	empty := newArray[float64](t, 0)
	if _, err := empty.Load(ctx, 0); !errors.Is(err, latchkey.ErrOutOfRange) {
		t.Errorf("Load(0) on an empty array = %v", err)
	}
	if got, err := empty.LoadRange(ctx, 0, 0); err != nil || len(got) != 0 {
		t.Errorf("LoadRange(0, 0) on an empty array = %v, %v", got, err)
	}
}

func TestArrayElementOps(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // an Array ignores its ctx
	a := newArray[int64](t, 2)
	if x, _ := a.Add(ctx, 1, 5); x != 5 {
		t.Fatalf("Add = %d", x)
	}
	if ok, _ := a.CompareAndSwap(ctx, 1, 4, 9); ok {
		t.Fatal("CompareAndSwap(4) swapped 5")
	}
	if ok, _ := a.CompareAndSwap(ctx, 1, 5, 9); !ok {
		t.Fatal("CompareAndSwap(5) did not swap")
	}
	_ = a.Store(ctx, 0, math.MaxInt64)
	if x, _ := a.Add(ctx, 0, 1); x != math.MinInt64 {
		t.Fatalf("MaxInt64 + 1 = %d, want MinInt64", x)
	}
	if got := arrayContents(t, a); !slices.Equal(got, []int64{math.MinInt64, 9}) {
		t.Fatalf("array = %v", got)
	}
	if a.Waiters() != 0 {
		t.Fatalf("Waiters = %d", a.Waiters())
	}

	f := newArray[float64](t, 1)
	if ok, _ := f.CompareAndSwap(ctx, 0, math.Copysign(0, -1), 1); ok {
		t.Fatal("CompareAndSwap(-0) matched +0")
	}
	nan := math.NaN()
	_ = f.Store(ctx, 0, nan)
	if ok, _ := f.CompareAndSwap(ctx, 0, nan, 0.25); !ok {
		t.Fatal("CompareAndSwap(NaN) did not match the same NaN")
	}
	if x, _ := f.Add(ctx, 0, 0.5); x != 0.75 {
		t.Fatalf("Add = %v", x)
	}
}

// TestArrayNoAliasing checks that StoreRange copies its argument and
// LoadRange returns a copy.
func TestArrayNoAliasing(t *testing.T) {
	ctx := t.Context()
	a := newArray[int64](t, 3)
	in := []int64{1, 2, 3}
	_ = a.StoreRange(ctx, 0, in)
	in[0] = 100
	out, _ := a.LoadRange(ctx, 0, 3)
	out[1] = 200
	if got := arrayContents(t, a); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("array = %v", got)
	}
}

// TestArrayConcurrentAdd has goroutines add to every element at once;
// no update is lost.
func TestArrayConcurrentAdd(t *testing.T) {
	const goroutines, rounds, n = 8, 500, 4
	ctx := t.Context()
	a := newArray[int64](t, n)
	f := newArray[float64](t, n)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for r := range rounds {
				i := (g + r) % n
				_, _ = a.Add(ctx, i, 1)
				_, _ = f.Add(ctx, i, 0.5)
			}
		})
	}
	wg.Wait()
	var sum int64
	for _, x := range arrayContents(t, a) {
		sum += x
	}
	if sum != goroutines*rounds {
		t.Fatalf("sum = %d, want %d", sum, goroutines*rounds)
	}
	var fsum float64
	for _, x := range arrayContents(t, f) {
		fsum += x
	}
	if fsum != goroutines*rounds/2 {
		t.Fatalf("float sum = %v, want %d", fsum, goroutines*rounds/2)
	}
}

// TestArrayRangeAtomic checks that a LoadRange never observes part of a
// StoreRange: writers store runs of one repeated value, and element
// writers bump single elements in between; every LoadRange must see the
// run written by one StoreRange, plus the bumps that followed it.
func TestArrayRangeAtomic(t *testing.T) {
	const n, writes, reads = 64, 300, 300
	ctx := t.Context()
	a := newArray[int64](t, n)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			run := make([]int64, n)
			for k := range writes {
				for i := range run {
					run[i] = int64(w*writes+k) << 20
				}
				if err := a.StoreRange(ctx, 0, run); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for k := range writes {
			_, _ = a.Add(ctx, k%n, 1) // stays below 1<<20: the low bits
		}
	})
	for range 2 {
		wg.Go(func() {
			for range reads {
				vs, err := a.LoadRange(ctx, 0, n)
				if err != nil {
					t.Error(err)
					return
				}
				for _, x := range vs {
					if x>>20 != vs[0]>>20 {
						t.Errorf("LoadRange saw a half-applied StoreRange: %v", vs)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
