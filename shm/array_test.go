//go:build linux

package shm_test

import (
	"slices"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

func TestArrayBounds(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	for _, opts := range []*shm.Options{nil, {Raw: true}} {
		a, err := shm.OpenArray[uint32](ctx, m, "a"+a2s(opts), 4, opts)
		must(t, err)
		if a.Len() != 4 {
			t.Fatalf("Len = %d", a.Len())
		}
		for _, i := range []int{-1, 4, 1 << 40} {
			_, err := a.Load(ctx, i)
			wantErr(t, "Load out of range", err, latchkey.ErrOutOfRange)
			wantErr(t, "Store out of range", a.Store(ctx, i, 1), latchkey.ErrOutOfRange)
			_, err = a.Add(ctx, i, 1)
			wantErr(t, "Add out of range", err, latchkey.ErrOutOfRange)
			_, err = a.Swap(ctx, i, 1)
			wantErr(t, "Swap out of range", err, latchkey.ErrOutOfRange)
			_, err = a.CompareAndSwap(ctx, i, 0, 1)
			wantErr(t, "CompareAndSwap out of range", err, latchkey.ErrOutOfRange)
		}
		for _, r := range [][2]int{{-1, 2}, {3, 2}, {0, 5}} {
			_, err := a.LoadRange(ctx, r[0], r[1])
			wantErr(t, "LoadRange out of range", err, latchkey.ErrOutOfRange)
		}
		wantErr(t, "StoreRange past the end", a.StoreRange(ctx, 2, []uint32{1, 2, 3}), latchkey.ErrOutOfRange)
		wantErr(t, "StoreRange before 0", a.StoreRange(ctx, -1, []uint32{1}), latchkey.ErrOutOfRange)
		must(t, a.StoreRange(ctx, 1, []uint32{7, 8, 9}))
		must(t, a.StoreRange(ctx, 4, nil))
		if x, _ := a.Add(ctx, 0, 5); x != 5 {
			t.Fatalf("Add = %d", x)
		}
		if old, _ := a.Swap(ctx, 3, 1); old != 9 {
			t.Fatalf("Swap = %d", old)
		}
		vs, err := a.LoadRange(ctx, 0, 4)
		must(t, err)
		if !slices.Equal(vs, []uint32{5, 7, 8, 1}) {
			t.Fatalf("LoadRange = %v", vs)
		}
		if vs, _ := a.LoadRange(ctx, 2, 2); len(vs) != 0 {
			t.Fatalf("empty LoadRange = %v", vs)
		}
	}
	z, err := shm.OpenArray[float64](ctx, m, "z", 0, nil)
	must(t, err)
	_, err = z.Load(ctx, 0)
	wantErr(t, "Load of an empty array", err, latchkey.ErrOutOfRange)
}

func a2s(o *shm.Options) string {
	if o == nil {
		return "locked"
	}
	return "raw"
}

// TestArrayGetLock: holding an Array's lock excludes its methods; Raw
// works under it.
func TestArrayGetLock(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	a, err := shm.OpenArray[float32](ctx, m, "a", 2, nil)
	must(t, err)
	l := a.GetLock()
	_, err = l.Lock(ctx)
	must(t, err)
	done := make(chan []float32, 1)
	go func() {
		vs, err := a.LoadRange(ctx, 0, 2)
		if err != nil {
			t.Error(err)
		}
		done <- vs
	}()
	waitWaiters(t, m, "a", 1)
	raw := a.Raw()
	must(t, raw.Store(ctx, 0, -1.5))
	must(t, raw.Store(ctx, 1, 1.5))
	must(t, l.Unlock(ctx))
	if vs := <-done; !slices.Equal(vs, []float32{-1.5, 1.5}) {
		t.Fatalf("LoadRange = %v", vs)
	}
}
