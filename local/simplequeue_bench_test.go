package local_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey/local"
)

// BenchmarkSimpleQueuePutGet puts and gets one item at a time in one
// goroutine.
func BenchmarkSimpleQueuePutGet(b *testing.B) {
	ctx := context.Background()
	var q local.SimpleQueue
	b.ReportAllocs()
	for b.Loop() {
		q.Put(ctx, benchItem)
		q.Get(ctx)
	}
}

// BenchmarkSimpleQueueHandoff passes items from a producer goroutine to a
// consumer.
func BenchmarkSimpleQueueHandoff(b *testing.B) {
	ctx := context.Background()
	var q local.SimpleQueue
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
}
