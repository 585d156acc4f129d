//go:build linux

package shm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

// Benchmarks for comparison with Python's multiprocessing (see
// testdata/bench.py, which measures the same loops): one Lock and Unlock,
// alone and with a second process doing the same on the same lock; Add on
// a Value with its lock and on a raw Value; one Acquire and Release; a
// Queue's 64-byte message sent to another process and back, and sent one
// way as fast as the other process takes them.

func BenchmarkLock(b *testing.B) {
	b.Run("Uncontended", func(b *testing.B) {
		m := newManager(b)
		l, err := m.OpenLock(b.Context(), "l")
		must(b, err)
		ctx := b.Context()
		for b.Loop() {
			if _, err := l.Lock(ctx); err != nil {
				b.Fatal(err)
			}
			if err := l.Unlock(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TwoProcesses", func(b *testing.B) {
		dir := testDir(b)
		m := newManagerIn(b, dir)
		ctx := b.Context()
		l, err := m.OpenLock(ctx, "l")
		must(b, err)
		stop, err := shm.OpenValue[int64](ctx, m, "l-stop", &shm.Options{Raw: true})
		must(b, err)
		count, err := shm.OpenValue[int64](ctx, m, "l-count", &shm.Options{Raw: true})
		must(b, err)
		c := startChild(b, "bench-lock", dir, "l", 0)
		c.expect(b, "ready")
		start := time.Now()
		for b.Loop() {
			if _, err := l.Lock(ctx); err != nil {
				b.Fatal(err)
			}
			if err := l.Unlock(ctx); err != nil {
				b.Fatal(err)
			}
		}
		must(b, stop.Store(ctx, 1))
		elapsed := time.Since(start)
		must(b, c.wait(b))
		// Python's figure is the time of both processes' loops over
		// their number of iterations: report the same.
		theirs, _ := count.Load(ctx)
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(int64(b.N)+theirs), "ns/op-both")
	})
}

func BenchmarkValueAdd(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts *shm.Options
	}{{"Locked", nil}, {"Raw", &shm.Options{Raw: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			m := newManager(b)
			ctx := b.Context()
			v, err := shm.OpenValue[int64](ctx, m, "v", tc.opts)
			must(b, err)
			for b.Loop() {
				if _, err := v.Add(ctx, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSemaphore(b *testing.B) {
	m := newManager(b)
	ctx := b.Context()
	s, err := m.OpenSemaphore(ctx, "s", 1)
	must(b, err)
	for b.Loop() {
		if _, err := s.Acquire(ctx); err != nil {
			b.Fatal(err)
		}
		if err := s.Release(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// benchQueueOpts are the benchmarks' queues: room for 1024 messages of 64
// bytes.
var benchQueueOpts = shm.QueueOptions{MaxSize: 1024, MaxMessage: 64}

// roleEcho gets each message from the queue name+"-ping" and puts it into
// name+"-pong", until the first is shut down.
func roleEcho(ctx context.Context, m *shm.Manager, name string, _ int) error {
	ping, err := m.OpenQueue(ctx, name+"-ping", benchQueueOpts)
	if err != nil {
		return err
	}
	pong, err := m.OpenQueue(ctx, name+"-pong", benchQueueOpts)
	if err != nil {
		return err
	}
	say("ready")
	for {
		v, err := ping.Get(ctx)
		if errors.Is(err, latchkey.ErrShutDown) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := pong.Put(ctx, v); err != nil {
			return err
		}
	}
}

// roleDrain gets messages from the queue name until it is shut down.
func roleDrain(ctx context.Context, m *shm.Manager, name string, _ int) error {
	q, err := m.OpenQueue(ctx, name, benchQueueOpts)
	if err != nil {
		return err
	}
	say("ready")
	for {
		if _, err := q.Get(ctx); err != nil {
			if errors.Is(err, latchkey.ErrShutDown) {
				return nil
			}
			return err
		}
	}
}

func BenchmarkQueue(b *testing.B) {
	msg := make([]byte, 64)
	b.Run("Uncontended", func(b *testing.B) {
		m := newManager(b)
		ctx := b.Context()
		q, err := m.OpenQueue(ctx, "q", benchQueueOpts)
		must(b, err)
		for b.Loop() {
			if err := q.Put(ctx, msg); err != nil {
				b.Fatal(err)
			}
			if _, err := q.Get(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	// RoundTrip: a message to another process and back, one at a time.
	b.Run("RoundTrip", func(b *testing.B) {
		dir := testDir(b)
		m := newManagerIn(b, dir)
		ctx := b.Context()
		ping, err := m.OpenQueue(ctx, "q-ping", benchQueueOpts)
		must(b, err)
		pong, err := m.OpenQueue(ctx, "q-pong", benchQueueOpts)
		must(b, err)
		c := startChild(b, "echo", dir, "q", 0)
		c.expect(b, "ready")
		for b.Loop() {
			if err := ping.Put(ctx, msg); err != nil {
				b.Fatal(err)
			}
			if _, err := pong.Get(ctx); err != nil {
				b.Fatal(err)
			}
		}
		must(b, ping.Shutdown(ctx, false))
		must(b, c.wait(b))
	})
	// Throughput: messages put as fast as another process takes them,
	// timed until it has taken the last.
	b.Run("Throughput", func(b *testing.B) {
		dir := testDir(b)
		m := newManagerIn(b, dir)
		ctx := b.Context()
		q, err := m.OpenQueue(ctx, "q", benchQueueOpts)
		must(b, err)
		c := startChild(b, "drain", dir, "q", 0)
		c.expect(b, "ready")
		start := time.Now()
		b.ResetTimer()
		for range b.N {
			if err := q.Put(ctx, msg); err != nil {
				b.Fatal(err)
			}
		}
		must(b, q.Shutdown(ctx, false))
		must(b, c.wait(b))
		b.StopTimer()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	})
}
