package local_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey/local"
)

func BenchmarkRLockUncontended(b *testing.B) {
	ctx := context.Background()
	var r local.RLock
	for b.Loop() {
		_, _ = r.Lock(ctx)
		_ = r.Unlock(ctx)
	}
}

func BenchmarkRLockContended(b *testing.B) {
	ctx := context.Background()
	var r local.RLock
	b.RunParallel(func(pb *testing.PB) {
		h := r.Handle()
		for pb.Next() {
			_, _ = h.Lock(ctx)
			_ = h.Unlock(ctx)
		}
	})
}
