package conformance

import (
	"fmt"
	"math"
	"testing"

	"github.com/latchkey/latchkey"
)

// valueTests mirrors _test_multiprocessing's Value tests and our own:
// atomic read-modify-write, so that Python's lost update of
// v.value += 1 cannot happen. _TestValue.test_rawvalue and
// test_getobj_getlock have no counterpart: there is no unlocked raw value
// and no lock object, every method is atomic by itself.
var valueTests = []test{
	{"Value", "_test_multiprocessing._TestValue.test_value", vValue},
	{"SyncManagerValue", "_test_multiprocessing.TestSyncManagerTypes.test_value", vSyncManagerValue},
	{"Int", "", vInt},
	{"Float", "", vFloat},
	{"FloatBits", "", vFloatBits},
	{"ConcurrentAdd", "", vConcurrentAdd},
	{"ConcurrentCAS", "", vConcurrentCAS},
}

func vOpen(t testing.TB, e *Env, name string) latchkey.Value[int64] {
	t.Helper()
	v, err := e.M.Value(t.Context(), name)
	if err != nil {
		t.Fatalf("Value(%q): %v", name, err)
	}
	return v
}

func vOpenFloat(t testing.TB, e *Env, name string) latchkey.Value[float64] {
	t.Helper()
	v, err := e.M.FloatValue(t.Context(), name)
	if err != nil {
		t.Fatalf("FloatValue(%q): %v", name, err)
	}
	return v
}

func vWant[T latchkey.Number](t testing.TB, v latchkey.Value[T], want T) {
	t.Helper()
	got, err := v.Load(t.Context())
	if err != nil || got != want {
		t.Fatalf("Load = %v, %v; want %v", got, err, want)
	}
}

// vValue: values set by the parent are seen by a "child" with its own
// handle, and the child's new values by the parent.
func vValue(t *testing.T, e *Env) {
	ctx := t.Context()
	i := vOpen(t, e, "i")
	f := vOpenFloat(t, e, "f")
	vWant(t, i, 0)
	vWant(t, f, 0)
	must(t, i.Store(ctx, 1<<33))
	must(t, f.Store(ctx, 1.0/3))
	child := kvAsync(t, func() error {
		ci, err := e.M.Value(ctx, "i")
		if err != nil {
			return err
		}
		cf, err := e.M.FloatValue(ctx, "f")
		if err != nil {
			return err
		}
		if v, err := ci.Load(ctx); err != nil || v != 1<<33 {
			return fmt.Errorf("child: int Load = %d, %v", v, err)
		}
		if v, err := cf.Load(ctx); err != nil || v != 1.0/3 {
			return fmt.Errorf("child: float Load = %v, %v", v, err)
		}
		if err := ci.Store(ctx, -7); err != nil {
			return err
		}
		return cf.Store(ctx, 2.5)
	})
	must(t, kvRecv(t, e, child))
	vWant(t, i, -7)
	vWant(t, f, 2.5)
}

func vSyncManagerValue(t *testing.T, e *Env) {
	ctx := t.Context()
	v := vOpen(t, e, "v")
	must(t, v.Store(ctx, 1))
	child := kvAsync(t, func() error {
		c, err := e.M.Value(ctx, "v")
		if err != nil {
			return err
		}
		if n, err := c.Load(ctx); err != nil || n != 1 {
			return fmt.Errorf("child: Load = %d, %v", n, err)
		}
		return c.Store(ctx, 2)
	})
	must(t, kvRecv(t, e, child))
	vWant(t, v, 2)
}

func vInt(t *testing.T, e *Env) {
	ctx := t.Context()
	v := vOpen(t, e, "v")
	vWant(t, v, 0)
	must(t, v.Store(ctx, 5))
	if n, err := v.Add(ctx, 3); err != nil || n != 8 {
		t.Fatalf("Add(3) = %d, %v; want 8", n, err)
	}
	if n, err := v.Add(ctx, -10); err != nil || n != -2 {
		t.Fatalf("Add(-10) = %d, %v; want -2", n, err)
	}
	if old, err := v.Swap(ctx, math.MaxInt64); err != nil || old != -2 {
		t.Fatalf("Swap = %d, %v; want -2", old, err)
	}
	vWant(t, v, math.MaxInt64)
	if ok, err := v.CompareAndSwap(ctx, 0, 1); err != nil || ok {
		t.Fatalf("CompareAndSwap(0, 1) = %v, %v; want false", ok, err)
	}
	vWant(t, v, math.MaxInt64)
	if ok, err := v.CompareAndSwap(ctx, math.MaxInt64, math.MinInt64); err != nil || !ok {
		t.Fatalf("CompareAndSwap(max, min) = %v, %v; want true", ok, err)
	}
	vWant(t, v, math.MinInt64)
}

func vFloat(t *testing.T, e *Env) {
	ctx := t.Context()
	v := vOpenFloat(t, e, "v")
	vWant(t, v, 0)
	must(t, v.Store(ctx, 1.5))
	if n, err := v.Add(ctx, 0.25); err != nil || n != 1.75 {
		t.Fatalf("Add(0.25) = %v, %v; want 1.75", n, err)
	}
	if old, err := v.Swap(ctx, -3); err != nil || old != 1.75 {
		t.Fatalf("Swap = %v, %v; want 1.75", old, err)
	}
	if ok, err := v.CompareAndSwap(ctx, 3, 4); err != nil || ok {
		t.Fatalf("CompareAndSwap(3, 4) = %v, %v; want false", ok, err)
	}
	if ok, err := v.CompareAndSwap(ctx, -3, 1e300); err != nil || !ok {
		t.Fatalf("CompareAndSwap(-3, 1e300) = %v, %v; want true", ok, err)
	}
	vWant(t, v, 1e300)
	must(t, v.Store(ctx, math.Inf(-1)))
	vWant(t, v, math.Inf(-1))
	must(t, v.Store(ctx, math.SmallestNonzeroFloat64))
	vWant(t, v, math.SmallestNonzeroFloat64)
}

// vFloatBits: floats are compared by their bits: NaN equals the same NaN,
// and -0 differs from +0.
func vFloatBits(t *testing.T, e *Env) {
	ctx := t.Context()
	v := vOpenFloat(t, e, "v")
	negZero := math.Copysign(0, -1)
	if ok, err := v.CompareAndSwap(ctx, negZero, 1); err != nil || ok {
		t.Fatalf("CompareAndSwap(-0, 1) on +0 = %v, %v; want false", ok, err)
	}
	if ok, err := v.CompareAndSwap(ctx, 0, negZero); err != nil || !ok {
		t.Fatalf("CompareAndSwap(+0, -0) = %v, %v; want true", ok, err)
	}
	if got, err := v.Load(ctx); err != nil || math.Float64bits(got) != math.Float64bits(negZero) {
		t.Fatalf("Load = %v (bits %x), %v; want -0", got, math.Float64bits(got), err)
	}
	nan := math.NaN()
	must(t, v.Store(ctx, nan))
	if got, err := v.Load(ctx); err != nil || math.Float64bits(got) != math.Float64bits(nan) {
		t.Fatalf("Load = %v (bits %x), %v; want NaN bits %x", got, math.Float64bits(got), err, math.Float64bits(nan))
	}
	if ok, err := v.CompareAndSwap(ctx, nan, 2); err != nil || !ok {
		t.Fatalf("CompareAndSwap(NaN, 2) on NaN = %v, %v; want true", ok, err)
	}
	vWant(t, v, 2)
}

// vConcurrentAdd: N goroutines × M Add(1), each through its own handle,
// make N*M, for ints and floats.
func vConcurrentAdd(t *testing.T, e *Env) {
	const n, m = 8, 25
	ctx := t.Context()
	kvGoN(t, n, func(int) {
		vi, err := e.M.Value(ctx, "i")
		if err != nil {
			t.Errorf("Value: %v", err)
			return
		}
		vf, err := e.M.FloatValue(ctx, "f")
		if err != nil {
			t.Errorf("FloatValue: %v", err)
			return
		}
		for range m {
			if _, err := vi.Add(ctx, 1); err != nil {
				t.Errorf("Add: %v", err)
				return
			}
			if _, err := vf.Add(ctx, 1); err != nil {
				t.Errorf("float Add: %v", err)
				return
			}
		}
	})()
	vWant(t, vOpen(t, e, "i"), n*m)
	vWant(t, vOpenFloat(t, e, "f"), n*m)
}

// vConcurrentCAS: increments by Load and CompareAndSwap retry loops from N
// goroutines are never lost.
func vConcurrentCAS(t *testing.T, e *Env) {
	const n, m = 4, 15
	ctx := t.Context()
	kvGoN(t, n, func(int) {
		v, err := e.M.Value(ctx, "v")
		if err != nil {
			t.Errorf("Value: %v", err)
			return
		}
		for range m {
			for {
				old, err := v.Load(ctx)
				if err != nil {
					t.Errorf("Load: %v", err)
					return
				}
				ok, err := v.CompareAndSwap(ctx, old, old+1)
				if err != nil {
					t.Errorf("CompareAndSwap: %v", err)
					return
				}
				if ok {
					break
				}
			}
		}
	})()
	vWant(t, vOpen(t, e, "v"), n*m)
}
