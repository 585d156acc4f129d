//go:build linux

package shm_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

// TestValueTypes: every Number type loads what it stores, wraps around on
// overflow, and compares floats by their bits.
func TestValueTypes(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	i32, err := shm.OpenValue[int32](ctx, m, "i32", nil)
	must(t, err)
	must(t, i32.Store(ctx, math.MaxInt32))
	if x, _ := i32.Add(ctx, 1); x != math.MinInt32 {
		t.Errorf("int32 MaxInt32+1 = %d", x)
	}
	if x, _ := i32.Add(ctx, -2); x != math.MaxInt32-1 {
		t.Errorf("int32 MinInt32-2 = %d", x)
	}
	u32, err := shm.OpenValue[uint32](ctx, m, "u32", &shm.Options{Raw: true})
	must(t, err)
	if x, _ := u32.Add(ctx, math.MaxUint32); x != math.MaxUint32 {
		t.Errorf("uint32 Add = %d", x)
	}
	if x, _ := u32.Add(ctx, 2); x != 1 {
		t.Errorf("uint32 wrap = %d", x)
	}
	u64, err := shm.OpenValue[uint64](ctx, m, "u64", nil)
	must(t, err)
	must(t, u64.Store(ctx, math.MaxUint64))
	if x, _ := u64.Load(ctx); x != math.MaxUint64 {
		t.Errorf("uint64 = %d", x)
	}
	i64, err := shm.OpenValue[int64](ctx, m, "i64", nil)
	must(t, err)
	if x, _ := i64.Add(ctx, -1<<40); x != -1<<40 {
		t.Errorf("int64 = %d", x)
	}
	if old, _ := i64.Swap(ctx, 3); old != -1<<40 {
		t.Errorf("Swap returned %d", old)
	}
	if ok, _ := i64.CompareAndSwap(ctx, 2, 4); ok {
		t.Error("CompareAndSwap with a wrong old value succeeded")
	}
	if ok, _ := i64.CompareAndSwap(ctx, 3, 4); !ok {
		t.Error("CompareAndSwap failed")
	}
	f32, err := shm.OpenValue[float32](ctx, m, "f32", nil)
	must(t, err)
	if x, _ := f32.Add(ctx, 1.25); x != 1.25 {
		t.Errorf("float32 Add = %v", x)
	}
	f64, err := shm.OpenValue[float64](ctx, m, "f64", nil)
	must(t, err)
	nan := math.NaN()
	must(t, f64.Store(ctx, nan))
	if ok, _ := f64.CompareAndSwap(ctx, nan, 1); !ok {
		t.Error("NaN does not equal the same NaN")
	}
	must(t, f64.Store(ctx, math.Copysign(0, -1)))
	if ok, _ := f64.CompareAndSwap(ctx, 0, 1); ok {
		t.Error("-0 equals +0")
	}
	type myInt int64
	mi, err := shm.OpenValue[myInt](ctx, m, "i64", nil)
	must(t, err)
	if x, _ := mi.Load(ctx); x != 4 {
		t.Errorf("Value[myInt] over a Value[int64] = %d", x)
	}
}

// TestValueGetLock: code holding the lock excludes every method, and
// works on the number through Raw.
func TestValueGetLock(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	v, err := shm.OpenValue[int64](ctx, m, "v", nil)
	must(t, err)
	l := v.GetLock()
	if _, ok := l.(*shm.Lock); !ok {
		t.Fatalf("GetLock() = %T, want *shm.Lock", l)
	}
	_, err = l.Lock(ctx)
	must(t, err)
	done := make(chan int64, 1)
	go func() {
		x, err := v.Add(ctx, 10)
		if err != nil {
			t.Error(err)
		}
		done <- x
	}()
	waitWaiters(t, m, "v", 1)
	raw := v.Raw()
	x, _ := raw.Load(ctx)
	must(t, raw.Store(ctx, x+1)) // a read and a write, safe under the lock
	if raw.GetLock() != nil {
		t.Error("Raw().GetLock() is not nil")
	}
	must(t, l.Unlock(ctx))
	if x := <-done; x != 11 {
		t.Fatalf("Add after the holder's update = %d, want 11", x)
	}
}

// TestValueExternalLock: a Value synchronized by a lock of its own
// choosing takes that lock.
func TestValueExternalLock(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	l, err := m.OpenRLock(ctx, "r")
	must(t, err)
	v, err := shm.OpenValue[int64](ctx, m, "v", &shm.Options{Lock: l})
	must(t, err)
	if v.GetLock() != latchkey.Locker(l) {
		t.Fatal("GetLock() is not the given lock")
	}
	// The RLock handle is reentrant, so the Value's methods work while
	// it holds the lock; another handle's Values wait.
	_, err = l.Lock(ctx)
	must(t, err)
	if x, err := v.Add(ctx, 1); x != 1 || err != nil {
		t.Fatalf("Add under the RLock = %d, %v", x, err)
	}
	l2, err := m.OpenRLock(ctx, "r")
	must(t, err)
	v2, err := shm.OpenValue[int64](ctx, m, "v", &shm.Options{Lock: l2})
	must(t, err)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := v2.Add(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Add through another owner: %v, want DeadlineExceeded", err)
	}
	must(t, l.Unlock(ctx))
	if x, err := v2.Add(ctx, 1); x != 2 || err != nil {
		t.Fatalf("Add after Unlock = %d, %v", x, err)
	}
	if n := l.Waiters(); n != 0 {
		t.Fatalf("Waiters = %d", n)
	}
}

// TestValueCancel: a method waiting for the lock honours ctx; one that
// does not wait ignores it.
func TestValueCancel(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	v, err := shm.OpenValue[int64](ctx, m, "v", nil)
	must(t, err)
	done, cancel := context.WithCancel(ctx)
	cancel()
	if x, err := v.Add(done, 1); x != 1 || err != nil {
		t.Fatalf("Add with a done ctx and a free lock = %d, %v", x, err)
	}
	_, err = v.GetLock().Lock(ctx)
	must(t, err)
	if _, err := v.Load(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with a done ctx and a held lock: %v", err)
	}
	must(t, v.GetLock().Unlock(ctx))
	if x, _ := v.Load(ctx); x != 1 {
		t.Fatalf("Load = %d", x)
	}
	raw, err := shm.OpenValue[int64](ctx, m, "raw", &shm.Options{Raw: true})
	must(t, err)
	if x, err := raw.Add(done, 2); x != 2 || err != nil {
		t.Fatalf("raw Add with a done ctx = %d, %v", x, err)
	}
}
