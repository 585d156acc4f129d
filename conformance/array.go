package conformance

import (
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/latchkey/latchkey"
)

// arrayTests mirrors _test_multiprocessing's Array tests and our own rules.
// _TestArray.test_rawarray and test_getobj_getlock_obj have no counterpart
// (no raw array, no lock object: every method is atomic by itself).
// Unlike Python's arrays, indices are never negative: -1 is ErrOutOfRange,
// and LoadRange and StoreRange do not clamp.
var arrayTests = []test{
	{"Array", "_test_multiprocessing._TestArray.test_array", aArray},
	{"FromSize", "_test_multiprocessing._TestArray.test_array_from_size", aFromSize},
	{"SyncManagerArray", "_test_multiprocessing.TestSyncManagerTypes.test_array", aSyncManagerArray},
	{"Ops", "", aOps},
	{"FloatOps", "", aFloatOps},
	{"Bounds", "", aBounds},
	{"ZeroLength", "", aZeroLength},
	{"NegativeLength", "", aNegativeLength},
	{"ReopenMismatch", "", aReopenMismatch},
	{"ConcurrentAdd", "", aConcurrentAdd},
	{"RangeAtomic", "", aRangeAtomic},
}

func aOpen(t testing.TB, e *Env, name string, n int) latchkey.Array[int64] {
	t.Helper()
	a, err := e.M.Array(t.Context(), name, n)
	if err != nil {
		t.Fatalf("Array(%q, %d): %v", name, n, err)
	}
	if a.Len() != n {
		t.Fatalf("Array(%q, %d).Len() = %d", name, n, a.Len())
	}
	return a
}

func aOpenFloat(t testing.TB, e *Env, name string, n int) latchkey.Array[float64] {
	t.Helper()
	a, err := e.M.FloatArray(t.Context(), name, n)
	if err != nil {
		t.Fatalf("FloatArray(%q, %d): %v", name, n, err)
	}
	if a.Len() != n {
		t.Fatalf("FloatArray(%q, %d).Len() = %d", name, n, a.Len())
	}
	return a
}

func aWant[T latchkey.Number](t testing.TB, a latchkey.Array[T], want ...T) {
	t.Helper()
	got, err := a.LoadRange(t.Context(), 0, a.Len())
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("LoadRange(0, %d) = %v, %v; want %v", a.Len(), got, err, want)
	}
	for i, w := range want {
		if v, err := a.Load(t.Context(), i); err != nil || v != w {
			t.Fatalf("Load(%d) = %v, %v; want %v", i, v, err, w)
		}
	}
}

// aArray: indexing, slicing and slice assignment; a "child" with its own
// handle computes prefix sums in place and the parent sees them.
func aArray(t *testing.T, e *Env) {
	ctx := t.Context()
	seq := []int64{680, 626, 934, 821, 150, 233, 548, 982, 714, 831}
	a := aOpen(t, e, "a", len(seq))
	must(t, a.StoreRange(ctx, 0, seq))
	if v, err := a.Load(ctx, 3); err != nil || v != seq[3] {
		t.Fatalf("Load(3) = %d, %v", v, err)
	}
	if vs, err := a.LoadRange(ctx, 2, 7); err != nil || !slices.Equal(vs, seq[2:7]) {
		t.Fatalf("LoadRange(2, 7) = %v, %v", vs, err)
	}
	copy(seq[4:8], []int64{1, 2, 3, 4})
	must(t, a.StoreRange(ctx, 4, []int64{1, 2, 3, 4}))
	aWant(t, a, seq...)
	child := kvAsync(t, func() error {
		c, err := e.M.Array(ctx, "a", len(seq))
		if err != nil {
			return err
		}
		for i := 1; i < c.Len(); i++ {
			prev, err := c.Load(ctx, i-1)
			if err != nil {
				return err
			}
			if _, err := c.Add(ctx, i, prev); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, kvRecv(t, e, child))
	for i := 1; i < len(seq); i++ {
		seq[i] += seq[i-1]
	}
	aWant(t, a, seq...)
}

// aFromSize: a new array is zero-filled (checked on three arrays, as
// CPython does for bpo-11675), then takes a slice assignment.
func aFromSize(t *testing.T, e *Env) {
	ctx := t.Context()
	zero := make([]int64, 10)
	for i := range 3 {
		aWant(t, aOpen(t, e, name("a", i), 10), zero...)
		aWant(t, aOpenFloat(t, e, name("f", i), 10), make([]float64, 10)...)
	}
	a := aOpen(t, e, "a-0", 10)
	r := []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	must(t, a.StoreRange(ctx, 0, r))
	aWant(t, a, r...)
}

func aSyncManagerArray(t *testing.T, e *Env) {
	ctx := t.Context()
	a := aOpen(t, e, "a", 2)
	must(t, a.StoreRange(ctx, 0, []int64{0, 1}))
	child := kvAsync(t, func() error {
		c, err := e.M.Array(ctx, "a", 2)
		if err != nil {
			return err
		}
		if c.Len() != 2 {
			return fmt.Errorf("child: Len = %d", c.Len())
		}
		for i := range 2 {
			if v, err := c.Load(ctx, i); err != nil || v != int64(i) {
				return fmt.Errorf("child: Load(%d) = %d, %v", i, v, err)
			}
		}
		if vs, err := c.LoadRange(ctx, 0, c.Len()); err != nil || !slices.Equal(vs, []int64{0, 1}) {
			return fmt.Errorf("child: LoadRange = %v, %v", vs, err)
		}
		return nil
	})
	must(t, kvRecv(t, e, child))
}

func aOps(t *testing.T, e *Env) {
	ctx := t.Context()
	a := aOpen(t, e, "a", 3)
	must(t, a.Store(ctx, 1, 10))
	if v, err := a.Add(ctx, 1, 5); err != nil || v != 15 {
		t.Fatalf("Add = %d, %v; want 15", v, err)
	}
	if v, err := a.Add(ctx, 2, -4); err != nil || v != -4 {
		t.Fatalf("Add = %d, %v; want -4", v, err)
	}
	if ok, err := a.CompareAndSwap(ctx, 1, 10, 0); err != nil || ok {
		t.Fatalf("CompareAndSwap(1, 10, 0) = %v, %v; want false", ok, err)
	}
	if ok, err := a.CompareAndSwap(ctx, 1, 15, 7); err != nil || !ok {
		t.Fatalf("CompareAndSwap(1, 15, 7) = %v, %v; want true", ok, err)
	}
	aWant(t, a, 0, 7, -4)
	must(t, a.StoreRange(ctx, 1, []int64{8, 9}))
	must(t, a.StoreRange(ctx, 0, nil))
	aWant(t, a, 0, 8, 9)
	// Copies out: changing a LoadRange result changes nothing.
	vs, err := a.LoadRange(ctx, 0, 3)
	must(t, err)
	vs[0] = 99
	in := []int64{1, 2}
	must(t, a.StoreRange(ctx, 0, in))
	in[0] = 99
	aWant(t, a, 1, 2, 9)
}

func aFloatOps(t *testing.T, e *Env) {
	ctx := t.Context()
	a := aOpenFloat(t, e, "a", 2)
	must(t, a.Store(ctx, 0, 0.5))
	if v, err := a.Add(ctx, 0, 0.25); err != nil || v != 0.75 {
		t.Fatalf("Add = %v, %v; want 0.75", v, err)
	}
	if ok, err := a.CompareAndSwap(ctx, 0, 0.75, -1); err != nil || !ok {
		t.Fatalf("CompareAndSwap = %v, %v; want true", ok, err)
	}
	must(t, a.StoreRange(ctx, 1, []float64{1e-300}))
	aWant(t, a, -1, 1e-300)
	_, err := a.Load(ctx, 2)
	kvIs(t, err, latchkey.ErrOutOfRange, "float Load(2)")
}

// aBounds: every index outside [0, Len) and every range outside
// [0, Len] is ErrOutOfRange and changes nothing.
func aBounds(t *testing.T, e *Env) {
	ctx := t.Context()
	a := aOpen(t, e, "a", 4)
	must(t, a.StoreRange(ctx, 0, []int64{1, 2, 3, 4}))
	for _, i := range []int{-1, 4, 5, -100} {
		what := fmt.Sprintf("index %d of 4", i)
		_, err := a.Load(ctx, i)
		kvIs(t, err, latchkey.ErrOutOfRange, "Load "+what)
		kvIs(t, a.Store(ctx, i, 9), latchkey.ErrOutOfRange, "Store "+what)
		_, err = a.Add(ctx, i, 9)
		kvIs(t, err, latchkey.ErrOutOfRange, "Add "+what)
		_, err = a.CompareAndSwap(ctx, i, 0, 9)
		kvIs(t, err, latchkey.ErrOutOfRange, "CompareAndSwap "+what)
	}
	for _, r := range [][2]int{{-1, 2}, {0, 5}, {3, 2}, {5, 5}, {-2, -1}} {
		_, err := a.LoadRange(ctx, r[0], r[1])
		kvIs(t, err, latchkey.ErrOutOfRange, fmt.Sprintf("LoadRange(%d, %d) of 4", r[0], r[1]))
	}
	for _, c := range []struct {
		lo int
		vs []int64
	}{{3, []int64{9, 9}}, {-1, []int64{9}}, {0, []int64{9, 9, 9, 9, 9}}, {5, []int64{9}}} {
		kvIs(t, a.StoreRange(ctx, c.lo, c.vs), latchkey.ErrOutOfRange, fmt.Sprintf("StoreRange(%d, %v) of 4", c.lo, c.vs))
	}
	aWant(t, a, 1, 2, 3, 4)
	for _, r := range [][2]int{{0, 0}, {4, 4}, {2, 2}} {
		if vs, err := a.LoadRange(ctx, r[0], r[1]); err != nil || len(vs) != 0 {
			t.Fatalf("LoadRange(%d, %d) = %v, %v; want empty", r[0], r[1], vs, err)
		}
	}
	must(t, a.StoreRange(ctx, 2, []int64{7, 8}))
	aWant(t, a, 1, 2, 7, 8)
}

func aZeroLength(t *testing.T, e *Env) {
	ctx := t.Context()
	a := aOpen(t, e, "a", 0)
	_, err := a.Load(ctx, 0)
	kvIs(t, err, latchkey.ErrOutOfRange, "Load(0) of an empty array")
	if vs, err := a.LoadRange(ctx, 0, 0); err != nil || len(vs) != 0 {
		t.Fatalf("LoadRange(0, 0) = %v, %v", vs, err)
	}
	aOpenFloat(t, e, "f", 0)
}

func aNegativeLength(t *testing.T, e *Env) {
	_, err := e.M.Array(t.Context(), "a", -1)
	kvIs(t, err, latchkey.ErrInvalid, "Array of length -1")
	_, err = e.M.FloatArray(t.Context(), "f", -1)
	kvIs(t, err, latchkey.ErrInvalid, "FloatArray of length -1")
}

// aReopenMismatch: an array's length is part of its identity.
func aReopenMismatch(t *testing.T, e *Env) {
	ctx := t.Context()
	a := aOpen(t, e, "a", 3)
	must(t, a.Store(ctx, 2, 5))
	for _, n := range []int{0, 2, 4} {
		_, err := e.M.Array(ctx, "a", n)
		kvIs(t, err, latchkey.ErrMismatch, fmt.Sprintf("Array(a, %d) over a length 3", n))
	}
	_, err := e.M.FloatArray(ctx, "a", 3)
	kvIs(t, err, latchkey.ErrMismatch, "FloatArray over an Array")
	aWant(t, aOpen(t, e, "a", 3), 0, 0, 5)
	f := aOpenFloat(t, e, "f", 2)
	_, err = e.M.FloatArray(ctx, "f", 3)
	kvIs(t, err, latchkey.ErrMismatch, "FloatArray(f, 3) over a length 2")
	aWant(t, f, 0, 0)
}

// aConcurrentAdd: concurrent Adds through separate handles are never lost.
func aConcurrentAdd(t *testing.T, e *Env) {
	const n, m, size = 8, 24, 3
	ctx := t.Context()
	kvGoN(t, n, func(int) {
		a, err := e.M.Array(ctx, "a", size)
		if err != nil {
			t.Errorf("Array: %v", err)
			return
		}
		f, err := e.M.FloatArray(ctx, "f", size)
		if err != nil {
			t.Errorf("FloatArray: %v", err)
			return
		}
		for j := range m {
			if _, err := a.Add(ctx, j%size, 1); err != nil {
				t.Errorf("Add: %v", err)
				return
			}
			if _, err := f.Add(ctx, j%size, 0.5); err != nil {
				t.Errorf("float Add: %v", err)
				return
			}
		}
	})()
	aWant(t, aOpen(t, e, "a", size), n*m/size, n*m/size, n*m/size)
	aWant(t, aOpenFloat(t, e, "f", size), n*m/size/2.0, n*m/size/2.0, n*m/size/2.0)
}

// aRangeAtomic: LoadRange never sees half of a StoreRange.
func aRangeAtomic(t *testing.T, e *Env) {
	const rounds, size = 40, 8
	ctx := t.Context()
	a := aOpen(t, e, "a", size)
	w := kvAsync(t, func() error {
		vs := make([]int64, size)
		for i := range rounds {
			for j := range vs {
				vs[j] = int64(i)
			}
			if err := a.StoreRange(ctx, 0, vs); err != nil {
				return err
			}
		}
		return nil
	})
	r := kvAsync(t, func() error {
		for range rounds {
			vs, err := a.LoadRange(ctx, 0, size)
			if err != nil {
				return err
			}
			for _, v := range vs {
				if v != vs[0] {
					return fmt.Errorf("LoadRange saw %v: half a StoreRange", vs)
				}
			}
			runtime.Gosched()
		}
		return nil
	})
	must(t, kvRecv(t, e, w))
	must(t, kvRecv(t, e, r))
}
