package local_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

var benchItem = []byte("12345678")

// BenchmarkQueuePutGet puts and gets one item at a time in one goroutine,
// on an unbounded FIFO queue and, for comparison, a buffered channel.
func BenchmarkQueuePutGet(b *testing.B) {
	ctx := context.Background()
	b.Run("queue", func(b *testing.B) {
		var q local.Queue
		b.ReportAllocs()
		for b.Loop() {
			q.Put(ctx, benchItem)
			q.Get(ctx)
		}
	})
	b.Run("queue-batch64", func(b *testing.B) {
		var q local.Queue
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			q.Put(ctx, benchItem)
			if i%64 == 63 {
				for range 64 {
					q.Get(ctx)
				}
			}
		}
	})
	b.Run("chan", func(b *testing.B) {
		ch := make(chan []byte, 64)
		b.ReportAllocs()
		for b.Loop() {
			ch <- benchItem
			<-ch
		}
	})
}

// BenchmarkQueueHandoff passes items from a producer goroutine to a
// consumer, through an unbounded queue and through channels.
func BenchmarkQueueHandoff(b *testing.B) {
	ctx := context.Background()
	b.Run("queue", func(b *testing.B) {
		var q local.Queue
		b.ReportAllocs()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range b.N {
				q.Put(ctx, benchItem)
			}
		}()
		for range b.N {
			q.Get(ctx)
		}
		<-done
	})
	b.Run("queue-bounded64", func(b *testing.B) {
		q, _ := local.NewQueue(latchkey.QueueOptions{MaxSize: 64})
		b.ReportAllocs()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range b.N {
				q.Put(ctx, benchItem)
			}
		}()
		for range b.N {
			q.Get(ctx)
		}
		<-done
	})
	for _, size := range []int{0, 64} {
		name := "chan-unbuffered"
		if size > 0 {
			name = "chan-buffered64"
		}
		b.Run(name, func(b *testing.B) {
			ch := make(chan []byte, size)
			b.ReportAllocs()
			go func() {
				for range b.N {
					ch <- benchItem
				}
			}()
			for range b.N {
				<-ch
			}
		})
	}
}

// BenchmarkQueueContended has 16 goroutines per CPU put and get on a
// queue bounded to 16 items (so that Puts and Gets block), and on a
// channel of 16.
func BenchmarkQueueContended(b *testing.B) {
	ctx := context.Background()
	b.Run("queue", func(b *testing.B) {
		q, _ := local.NewQueue(latchkey.QueueOptions{MaxSize: 16})
		b.ReportAllocs()
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				q.Put(ctx, benchItem)
				q.Get(ctx)
			}
		})
	})
	b.Run("chan", func(b *testing.B) {
		ch := make(chan []byte, 16)
		b.ReportAllocs()
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				ch <- benchItem
				<-ch
			}
		})
	})
}
