package local_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey/local"
	"golang.org/x/sync/semaphore"
)

// benchSem is what the benchmarked semaphores have in common: take and give
// back one permit.
type benchSem interface {
	acquire(ctx context.Context) error
	release(ctx context.Context)
}

type benchLocal struct{ s *local.Semaphore }

func (b benchLocal) acquire(ctx context.Context) error { _, err := b.s.Acquire(ctx); return err }
func (b benchLocal) release(ctx context.Context)       { _ = b.s.Release(ctx, 1) }

type benchWeighted struct{ s *semaphore.Weighted }

func (b benchWeighted) acquire(ctx context.Context) error { return b.s.Acquire(ctx, 1) }
func (b benchWeighted) release(context.Context)           { b.s.Release(1) }

type benchChan chan struct{}

func (b benchChan) acquire(ctx context.Context) error {
	select {
	case b <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (b benchChan) release(context.Context) { <-b }

// benchSems returns the semaphores compared, each of n permits.
func benchSems(b *testing.B, n int) []struct {
	name string
	sem  benchSem
} {
	s, err := local.NewSemaphore(n)
	if err != nil {
		b.Fatal(err)
	}
	return []struct {
		name string
		sem  benchSem
	}{
		{"local", benchLocal{s}},
		{"xsync", benchWeighted{semaphore.NewWeighted(int64(n))}},
		{"chan", make(benchChan, n)},
	}
}

// BenchmarkSemaphoreUncontended measures one Acquire and one Release of a
// one-permit semaphore by a single goroutine, against x/sync's Weighted(1)
// and a buffered channel.
func BenchmarkSemaphoreUncontended(b *testing.B) {
	for _, bs := range benchSems(b, 1) {
		b.Run(bs.name, func(b *testing.B) {
			ctx := b.Context()
			for b.Loop() {
				if err := bs.sem.acquire(ctx); err != nil {
					b.Fatal(err)
				}
				bs.sem.release(ctx)
			}
		})
	}
}

// benchParallel runs Acquire and Release of a four-permit semaphore in
// parallelism×GOMAXPROCS goroutines (b.RunParallel).
func benchParallel(b *testing.B, parallelism int) {
	for _, bs := range benchSems(b, 4) {
		b.Run(bs.name, func(b *testing.B) {
			ctx := b.Context()
			b.SetParallelism(parallelism)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := bs.sem.acquire(ctx); err != nil {
						b.Error(err)
						return
					}
					bs.sem.release(ctx)
				}
			})
		})
	}
}

// BenchmarkSemaphoreContended measures Acquire and Release of a
// four-permit semaphore by GOMAXPROCS goroutines at once: they contend for
// the semaphore, not for permits.
func BenchmarkSemaphoreContended(b *testing.B) { benchParallel(b, 1) }
