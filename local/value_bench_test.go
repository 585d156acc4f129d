package local_test

import (
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/local"
)

// BenchmarkValueAdd measures Add on an int and a float Value against
// atomic.Int64.Add, serially and from parallel goroutines.
func BenchmarkValueAdd(b *testing.B) {
	b.Run("Int64/serial", func(b *testing.B) {
		ctx := b.Context()
		var v local.Value[int64]
		for b.Loop() {
			_, _ = v.Add(ctx, 1)
		}
	})
	b.Run("Int64/parallel", func(b *testing.B) {
		ctx := b.Context()
		var v local.Value[int64]
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = v.Add(ctx, 1)
			}
		})
	})
	b.Run("Float64/serial", func(b *testing.B) {
		ctx := b.Context()
		var v local.Value[float64]
		for b.Loop() {
			_, _ = v.Add(ctx, 1)
		}
	})
	b.Run("Float64/parallel", func(b *testing.B) {
		ctx := b.Context()
		var v local.Value[float64]
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = v.Add(ctx, 1)
			}
		})
	})
	b.Run("atomic.Int64/serial", func(b *testing.B) {
		var v atomic.Int64
		for b.Loop() {
			v.Add(1)
		}
	})
	b.Run("atomic.Int64/parallel", func(b *testing.B) {
		var v atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				v.Add(1)
			}
		})
	})
}
