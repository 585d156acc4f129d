package proc_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/latchkey/latchkey/proc"
)

// benchPool starts a pool of one worker per CPU for a benchmark.
func benchPool(b *testing.B) *proc.Pool {
	b.Helper()
	p := newPool(b, 0, nil)
	// Warm up: every worker has run a task.
	if _, err := proc.Map(b.Context(), p, square, make([]int, 100), 1); err != nil {
		b.Fatal(err)
	}
	return p
}

// upTo returns 0, 1, ..., n-1: Python's range(n).
func upTo(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

func reportTasks(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tasks/s")
}

// BenchmarkPoolApplyAsync submits a trivial task per op and waits for
// all of them at the end: Python's [pool.apply_async(sq, (i,)) for i in
// range(n)] then [r.get() for r in rs].
func BenchmarkPoolApplyAsync(b *testing.B) {
	p := benchPool(b)
	rs := make([]*proc.AsyncResult[int], b.N)
	b.ResetTimer()
	for i := range b.N {
		r, err := proc.ApplyAsync(p, square, i, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		rs[i] = r
	}
	for _, r := range rs {
		if _, err := r.Get(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportTasks(b, b.N)
}

// BenchmarkPoolApplyAsyncCallback is BenchmarkPoolApplyAsync with a
// callback per task, run on the pool's result goroutine.
func BenchmarkPoolApplyAsyncCallback(b *testing.B) {
	p := benchPool(b)
	var sum int
	rs := make([]*proc.AsyncResult[int], b.N)
	b.ResetTimer()
	for i := range b.N {
		r, err := proc.ApplyAsync(p, square, i, func(v int) { sum += v }, nil)
		if err != nil {
			b.Fatal(err)
		}
		rs[i] = r
	}
	for _, r := range rs {
		r.Wait(b.Context())
	}
	b.StopTimer()
	reportTasks(b, b.N)
}

// BenchmarkPoolApply runs one trivial task at a time: a round trip each.
func BenchmarkPoolApply(b *testing.B) {
	p := benchPool(b)
	n := 0
	for b.Loop() {
		if _, err := proc.Apply(b.Context(), p, square, 3); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportTasks(b, n)
}

// BenchmarkPoolMap maps a trivial function over 10 000 arguments per op,
// one argument per task (chunk1) or with Python's default chunk size:
// Python's pool.map(sq, range(10000), chunksize).
func BenchmarkPoolMap(b *testing.B) {
	for _, bc := range []struct {
		name  string
		chunk int
	}{{"chunk1", 1}, {"default", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			p := benchPool(b)
			xs := upTo(10_000)
			n := 0
			for b.Loop() {
				if _, err := proc.Map(b.Context(), p, square, xs, bc.chunk); err != nil {
					b.Fatal(err)
				}
				n += len(xs)
			}
			reportTasks(b, n)
		})
	}
}

// BenchmarkPoolStarmap adds 10 000 pairs per op with Python's default
// chunk size: Python's pool.starmap(add, pairs).
func BenchmarkPoolStarmap(b *testing.B) {
	p := benchPool(b)
	pairs := make([]proc.Pair[int, int], 10_000)
	for i := range pairs {
		pairs[i] = proc.Pair[int, int]{First: i, Second: i}
	}
	n := 0
	for b.Loop() {
		if _, err := proc.Starmap(b.Context(), p, add, pairs, 0); err != nil {
			b.Fatal(err)
		}
		n += len(pairs)
	}
	reportTasks(b, n)
}

// BenchmarkPoolImap streams 10 000 trivial tasks per op, one argument per
// task (chunk1) or 100.
func BenchmarkPoolImap(b *testing.B) {
	for _, chunk := range []int{1, 100} {
		b.Run(fmt.Sprintf("chunk%d", chunk), func(b *testing.B) {
			p := benchPool(b)
			xs := upTo(10_000)
			n := 0
			for b.Loop() {
				for _, err := range proc.Imap(b.Context(), p, square, slices.Values(xs), chunk) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			reportTasks(b, n)
		})
	}
}
