package local_test

import (
	"context"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/local"
)

// The target: uncontended Lock+Unlock within 2x of sync.Mutex.
func BenchmarkLockUncontended(b *testing.B) {
	ctx := context.Background()
	b.Run("latchkey", func(b *testing.B) {
		var l local.Lock
		for b.Loop() {
			_, _ = l.Lock(ctx)
			_ = l.Unlock(ctx)
		}
	})
	b.Run("sync.Mutex", func(b *testing.B) {
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock() //nolint:staticcheck // empty critical section on purpose
		}
	})
	b.Run("chan", func(b *testing.B) {
		ch := make(chan struct{}, 1)
		for b.Loop() {
			ch <- struct{}{}
			<-ch
		}
	})
}

func BenchmarkLockContended(b *testing.B) {
	ctx := context.Background()
	b.Run("latchkey", func(b *testing.B) {
		var l local.Lock
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = l.Lock(ctx)
				_ = l.Unlock(ctx)
			}
		})
	})
	b.Run("sync.Mutex", func(b *testing.B) {
		var mu sync.Mutex
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				mu.Unlock() //nolint:staticcheck // empty critical section on purpose
			}
		})
	})
	b.Run("chan", func(b *testing.B) {
		ch := make(chan struct{}, 1)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				ch <- struct{}{}
				<-ch
			}
		})
	})
}
