//go:build linux

package shm_test

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/shm"
)

// Benchmarks for comparison with Python's multiprocessing (see
// testdata/bench.py, which measures the same loops): one Lock and Unlock,
// alone and with a second process doing the same on the same lock; Add on
// a Value with its lock and on a raw Value; one Acquire and Release.

func BenchmarkLock(b *testing.B) {
	b.Run("Uncontended", func(b *testing.B) {
		m := newManager(b)
		l, err := m.OpenLock(b.Context(), "l")
		must(b, err)
		ctx := b.Context()
		for b.Loop() {
			if _, err := l.Lock(ctx); err != nil {
				b.Fatal(err)
			}
			if err := l.Unlock(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TwoProcesses", func(b *testing.B) {
		dir := testDir(b)
		m := newManagerIn(b, dir)
		ctx := b.Context()
		l, err := m.OpenLock(ctx, "l")
		must(b, err)
		stop, err := shm.OpenValue[int64](ctx, m, "l-stop", &shm.Options{Raw: true})
		must(b, err)
		count, err := shm.OpenValue[int64](ctx, m, "l-count", &shm.Options{Raw: true})
		must(b, err)
		c := startChild(b, "bench-lock", dir, "l", 0)
		c.expect(b, "ready")
		start := time.Now()
		for b.Loop() {
			if _, err := l.Lock(ctx); err != nil {
				b.Fatal(err)
			}
			if err := l.Unlock(ctx); err != nil {
				b.Fatal(err)
			}
		}
		must(b, stop.Store(ctx, 1))
		elapsed := time.Since(start)
		must(b, c.wait(b))
		// Python's figure is the time of both processes' loops over
		// their number of iterations: report the same.
		theirs, _ := count.Load(ctx)
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(int64(b.N)+theirs), "ns/op-both")
	})
}

func BenchmarkValueAdd(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts *shm.Options
	}{{"Locked", nil}, {"Raw", &shm.Options{Raw: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			m := newManager(b)
			ctx := b.Context()
			v, err := shm.OpenValue[int64](ctx, m, "v", tc.opts)
			must(b, err)
			for b.Loop() {
				if _, err := v.Add(ctx, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSemaphore(b *testing.B) {
	m := newManager(b)
	ctx := b.Context()
	s, err := m.OpenSemaphore(ctx, "s", 1)
	must(b, err)
	for b.Loop() {
		if _, err := s.Acquire(ctx); err != nil {
			b.Fatal(err)
		}
		if err := s.Release(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
}
