package local_test

import (
	"context"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/local"
)

// BenchmarkConditionPingPong: two goroutines take turns through a
// condition, against sync.Cond.
func BenchmarkConditionPingPong(b *testing.B) {
	ctx := context.Background()
	b.Run("latchkey", func(b *testing.B) {
		var c local.Condition
		turn := 0 // guarded by c's lock
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Lock(ctx)
			defer c.Unlock(ctx)
			for i := 0; i < b.N; i++ {
				c.WaitFor(ctx, func() bool { return turn == 1 })
				turn = 0
				c.Notify(ctx, 1)
			}
		}()
		c.Lock(ctx)
		for i := 0; i < b.N; i++ {
			turn = 1
			c.Notify(ctx, 1)
			c.WaitFor(ctx, func() bool { return turn == 0 })
		}
		c.Unlock(ctx)
		<-done
	})
	b.Run("sync.Cond", func(b *testing.B) {
		var mu sync.Mutex
		c := sync.NewCond(&mu)
		turn := 0 // guarded by mu
		done := make(chan struct{})
		go func() {
			defer close(done)
			mu.Lock()
			defer mu.Unlock()
			for i := 0; i < b.N; i++ {
				for turn != 1 {
					c.Wait()
				}
				turn = 0
				c.Signal()
			}
		}()
		mu.Lock()
		for i := 0; i < b.N; i++ {
			turn = 1
			c.Signal()
			for turn != 0 {
				c.Wait()
			}
		}
		mu.Unlock()
		<-done
	})
}
