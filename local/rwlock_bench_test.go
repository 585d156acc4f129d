package local_test

import (
	"context"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/local"
)

// BenchmarkRWLockReadMostly: one write in ten operations, all goroutines
// on one lock.
func BenchmarkRWLockReadMostly(b *testing.B) {
	ctx := context.Background()
	b.Run("latchkey", func(b *testing.B) {
		var rw local.RWLock
		b.RunParallel(func(pb *testing.PB) {
			h := rw.Handle()
			for i := 0; pb.Next(); i++ {
				if i%10 == 0 {
					_, _ = h.Lock(ctx)
					_ = h.Unlock(ctx)
				} else {
					_, _ = h.RLock(ctx)
					_ = h.RUnlock(ctx)
				}
			}
		})
	})
	b.Run("sync.RWMutex", func(b *testing.B) {
		var rw sync.RWMutex
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				if i%10 == 0 {
					rw.Lock()
					rw.Unlock() //nolint:staticcheck // empty critical section on purpose
				} else {
					rw.RLock()
					rw.RUnlock() //nolint:staticcheck // empty critical section on purpose
				}
			}
		})
	})
}
