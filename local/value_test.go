package local_test

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// TestValue ports _TestValue.test_value and TestSyncManagerTypes.test_value:
// a Value holds its initial value, another goroutine overwrites it, and
// the first sees the new value.
func TestValue(t *testing.T) {
	ctx := t.Context()
	var i local.Value[int64]
	var f local.Value[float64]
	if v, err := i.Load(ctx); v != 0 || err != nil {
		t.Fatalf("zero int Value = %v, %v", v, err)
	}
	if v, err := f.Load(ctx); v != 0 || math.Signbit(v) || err != nil {
		t.Fatalf("zero float Value = %v, %v", v, err)
	}
	_ = i.Store(ctx, 1<<33)
	_ = f.Store(ctx, 1.0/3)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if v, _ := i.Load(ctx); v != 1<<33 {
			t.Errorf("child read %d", v)
		}
		if v, _ := f.Load(ctx); v != 1.0/3 {
			t.Errorf("child read %v", v)
		}
		_ = i.Store(ctx, -7)
		_ = f.Store(ctx, 2.0/3)
	}()
	<-done
	if v, _ := i.Load(ctx); v != -7 {
		t.Fatalf("int = %d, want -7", v)
	}
	if v, _ := f.Load(ctx); v != 2.0/3 {
		t.Fatalf("float = %v, want 2/3", v)
	}
}

func TestValueInt(t *testing.T) {
	ctx := t.Context()
	var v local.Value[int64]
	if n, _ := v.Add(ctx, 5); n != 5 {
		t.Fatalf("Add(5) = %d", n)
	}
	if n, _ := v.Add(ctx, -8); n != -3 {
		t.Fatalf("Add(-8) = %d", n)
	}
	if old, _ := v.Swap(ctx, 10); old != -3 {
		t.Fatalf("Swap = %d", old)
	}
	if ok, _ := v.CompareAndSwap(ctx, 9, 20); ok {
		t.Fatal("CompareAndSwap(9, 20) swapped 10")
	}
	if ok, _ := v.CompareAndSwap(ctx, 10, 20); !ok {
		t.Fatal("CompareAndSwap(10, 20) did not swap")
	}
	if n, _ := v.Load(ctx); n != 20 {
		t.Fatalf("Load = %d", n)
	}
	// Overflow wraps around, as a C long long does.
	_ = v.Store(ctx, math.MaxInt64)
	if n, _ := v.Add(ctx, 1); n != math.MinInt64 {
		t.Fatalf("MaxInt64 + 1 = %d, want MinInt64", n)
	}
	if v.Waiters() != 0 {
		t.Fatalf("Waiters = %d", v.Waiters())
	}
}

func TestValueFloat(t *testing.T) {
	ctx := t.Context()
	var v local.Value[float64]
	if x, _ := v.Add(ctx, 0.5); x != 0.5 {
		t.Fatalf("Add(0.5) = %v", x)
	}
	if x, _ := v.Add(ctx, -2); x != -1.5 {
		t.Fatalf("Add(-2) = %v", x)
	}
	if old, _ := v.Swap(ctx, math.Inf(1)); old != -1.5 {
		t.Fatalf("Swap = %v", old)
	}
	if x, _ := v.Add(ctx, 1); !math.IsInf(x, 1) {
		t.Fatalf("+Inf + 1 = %v", x)
	}

	// CompareAndSwap compares bits: -0 and +0 differ, a NaN equals itself.
	_ = v.Store(ctx, 0)
	if ok, _ := v.CompareAndSwap(ctx, math.Copysign(0, -1), 1); ok {
		t.Fatal("CompareAndSwap(-0) matched +0")
	}
	if ok, _ := v.CompareAndSwap(ctx, 0, 1); !ok {
		t.Fatal("CompareAndSwap(+0) did not match +0")
	}
	nan := math.NaN()
	_ = v.Store(ctx, nan)
	if ok, _ := v.CompareAndSwap(ctx, nan, 2); !ok {
		t.Fatal("CompareAndSwap(NaN) did not match the same NaN")
	}
	if x, _ := v.Load(ctx); x != 2 {
		t.Fatalf("Load = %v", x)
	}
	_ = v.Store(ctx, math.Float64frombits(math.Float64bits(nan)^1)) // another NaN
	if ok, _ := v.CompareAndSwap(ctx, nan, 3); ok {
		t.Fatal("CompareAndSwap(NaN) matched a NaN with other bits")
	}
}

// TestValueNamedTypes checks Values of types whose underlying type is
// int64 or float64.
func TestValueNamedTypes(t *testing.T) {
	type celsius float64
	type count int64
	ctx := t.Context()
	var c local.Value[celsius]
	var n local.Value[count]
	if x, _ := c.Add(ctx, 36.6); x != 36.6 {
		t.Fatalf("celsius Add = %v", x)
	}
	if x, _ := n.Add(ctx, -2); x != -2 {
		t.Fatalf("count Add = %v", x)
	}
	var _ latchkey.Value[celsius] = &c
}

// TestValueIgnoresContext checks that a Value works with a done ctx.
func TestValueIgnoresContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var v local.Value[int64]
	if n, err := v.Add(ctx, 1); n != 1 || err != nil {
		t.Fatalf("Add with a done ctx = %d, %v", n, err)
	}
}

// TestValueConcurrentAdd is the lost-update test: goroutines add 1 many
// times; with Python's v.value += 1 updates get lost, with Add none can.
func TestValueConcurrentAdd(t *testing.T) {
	const goroutines, adds = 8, 2000
	ctx := t.Context()
	var i local.Value[int64]
	var f local.Value[float64]
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range adds {
				_, _ = i.Add(ctx, 1)
				_, _ = f.Add(ctx, 1)
			}
		})
	}
	wg.Wait()
	if n, _ := i.Load(ctx); n != goroutines*adds {
		t.Fatalf("int = %d, want %d", n, goroutines*adds)
	}
	if x, _ := f.Load(ctx); x != goroutines*adds {
		t.Fatalf("float = %v, want %d", x, goroutines*adds)
	}
}

// TestValueCompareAndSwapLoop increments with Load + CompareAndSwap retry
// loops from many goroutines; every increment lands exactly once.
func TestValueCompareAndSwapLoop(t *testing.T) {
	const goroutines, incs = 8, 1000
	ctx := t.Context()
	var i local.Value[int64]
	var f local.Value[float64]
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range incs {
				for {
					old, _ := i.Load(ctx)
					if ok, _ := i.CompareAndSwap(ctx, old, old+1); ok {
						break
					}
				}
				for {
					old, _ := f.Load(ctx)
					if ok, _ := f.CompareAndSwap(ctx, old, old+0.5); ok {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	if n, _ := i.Load(ctx); n != goroutines*incs {
		t.Fatalf("int = %d, want %d", n, goroutines*incs)
	}
	if x, _ := f.Load(ctx); x != goroutines*incs/2 {
		t.Fatalf("float = %v, want %d", x, goroutines*incs/2)
	}
}

// TestValueSwapConcurrent checks that concurrent Swaps hand every value
// to exactly one caller: each goroutine swaps in its own tokens, and the
// tokens swapped out plus the final one are each seen once.
func TestValueSwapConcurrent(t *testing.T) {
	const goroutines, swaps = 4, 500
	ctx := t.Context()
	var v local.Value[int64]
	var wg sync.WaitGroup
	got := make([][]int64, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range swaps {
				old, _ := v.Swap(ctx, int64(g*swaps+i+1))
				got[g] = append(got[g], old)
			}
		})
	}
	wg.Wait()
	seen := map[int64]int{}
	for _, olds := range got {
		for _, old := range olds {
			seen[old]++
		}
	}
	last, _ := v.Load(ctx)
	seen[last]++
	if len(seen) != goroutines*swaps+1 {
		t.Fatalf("%d distinct values, want %d", len(seen), goroutines*swaps+1)
	}
	for x, n := range seen {
		if n != 1 {
			t.Fatalf("value %d seen %d times", x, n)
		}
	}
}
