package local_test

import (
	"testing"

	"github.com/latchkey/latchkey/local"
)

// BenchmarkArray measures element and range operations on a 64-element
// Array, serially and from parallel goroutines.
func BenchmarkArray(b *testing.B) {
	const n = 64
	b.Run("Add/serial", func(b *testing.B) {
		ctx := b.Context()
		a, _ := local.NewArray[int64](n)
		i := 0
		for b.Loop() {
			_, _ = a.Add(ctx, i%n, 1)
			i++
		}
	})
	b.Run("Load/parallel", func(b *testing.B) {
		ctx := b.Context()
		a, _ := local.NewArray[int64](n)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				_, _ = a.Load(ctx, i%n)
				i++
			}
		})
	})
	b.Run("Add/parallel", func(b *testing.B) {
		ctx := b.Context()
		a, _ := local.NewArray[int64](n)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				_, _ = a.Add(ctx, i%n, 1)
				i++
			}
		})
	})
	b.Run("LoadRange/serial", func(b *testing.B) {
		ctx := b.Context()
		a, _ := local.NewArray[int64](n)
		for b.Loop() {
			_, _ = a.LoadRange(ctx, 0, n)
		}
	})
}
