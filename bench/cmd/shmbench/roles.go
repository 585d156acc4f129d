package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/proc"
	"github.com/latchkey/latchkey/shm"
)

// The roles of child processes. Each is a function registered with
// package proc, so that this binary, started again by proc, can run it;
// each receives a job and returns its tally as its result.
var (
	lockRole    = proc.Register("shmbench.lock", runLock)
	valueRole   = proc.Register("shmbench.value", runValue)
	pingRole    = proc.Register("shmbench.ping", runPing)
	pongRole    = proc.Register("shmbench.pong", runPong)
	produceRole = proc.Register("shmbench.produce", runProduce)
	consumeRole = proc.Register("shmbench.consume", runConsume)
	square      = proc.Register("shmbench.square", func(_ context.Context, x int) (int, error) { return x * x, nil })
)

// job is what a child process is asked to do.
type job struct {
	Dir     string        // the Manager's directory
	Name    string        // the object's name (a queue pair's prefix)
	Parties int           // processes meeting at the start barrier Name+"-start"
	Raw     bool          // value: a raw Value (no lock)
	Warm    time.Duration // warm-up before the start
	Dur     time.Duration // measured time
}

// tally is what a child process measured. Times are CLOCK_MONOTONIC
// nanoseconds, comparable across processes.
type tally struct {
	Start, End int64
	N          int64         // timed cycles (handoff: round trips or messages)
	Total      int64         // every operation, warm-up included (value: adds)
	Hist       map[int]int64 // latencies (sparse hist)
}

// msgSize is the size of the queue figures' messages, as in
// shm/bench_test.go.
const msgSize = 64

// queueOpts are the queue figures' queues: 1024 messages of 64 bytes,
// like Python's mp.Queue(1024) in mp_bench.py.
var queueOpts = shm.QueueOptions{MaxSize: 1024, MaxMessage: msgSize}

// withManager runs body with a Manager on j.Dir, after checking the
// clock, and closes the Manager when body returns.
func withManager(j job, body func(m *shm.Manager) (tally, error)) (tally, error) {
	if err := startClock(); err != nil {
		return tally{}, err
	}
	m, err := shm.NewManager(&shm.Config{Dir: j.Dir})
	if err != nil {
		return tally{}, err
	}
	defer m.Close()
	return body(m)
}

// openValue opens j's Value: raw (no lock) if j.Raw.
func openValue(ctx context.Context, m *shm.Manager, j job) (*shm.Value[int64], error) {
	var opts *shm.Options
	if j.Raw {
		opts = &shm.Options{Raw: true}
	}
	return shm.OpenValue[int64](ctx, m, j.Name, opts)
}

func runLock(ctx context.Context, j job) (tally, error) {
	return withManager(j, func(m *shm.Manager) (tally, error) {
		l, err := m.OpenLock(ctx, j.Name)
		if err != nil {
			return tally{}, err
		}
		return cycles(ctx, m, j, func() error {
			if _, err := l.Lock(ctx); err != nil {
				return err
			}
			return l.Unlock(ctx) // the critical section is empty
		})
	})
}

func runValue(ctx context.Context, j job) (tally, error) {
	return withManager(j, func(m *shm.Manager) (tally, error) {
		v, err := openValue(ctx, m, j)
		if err != nil {
			return tally{}, err
		}
		return cycles(ctx, m, j, func() error {
			_, err := v.Add(ctx, 1)
			return err
		})
	})
}

// meet waits at the start barrier of j's processes.
func meet(ctx context.Context, m *shm.Manager, j job) error {
	bar, err := m.OpenBarrier(ctx, j.Name+"-start", j.Parties, nil)
	if err != nil {
		return err
	}
	if _, err := bar.Wait(ctx); err != nil {
		return fmt.Errorf("start barrier: %w", err)
	}
	return nil
}

// warmUp runs op for j.Warm and returns how many times it ran.
func warmUp(j job, op func() error) (int64, error) {
	var n int64
	for end := mono() + int64(j.Warm); mono() < end; n++ {
		if err := op(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// cycles runs op for j.Warm, meets the other processes at the start
// barrier, then runs op for j.Dur, timing each cycle with one clock
// reading.
func cycles(ctx context.Context, m *shm.Manager, j job, op func() error) (tally, error) {
	var r tally
	var err error
	if r.Total, err = warmUp(j, op); err != nil {
		return tally{}, err
	}
	if err := meet(ctx, m, j); err != nil {
		return tally{}, err
	}
	var h hist
	t := mono()
	r.Start = t
	deadline := t + int64(j.Dur)
	for {
		if err := op(); err != nil {
			return tally{}, err
		}
		now := mono()
		h.add(now - t)
		t = now
		r.N++
		if now >= deadline {
			break
		}
	}
	r.End, r.Total, r.Hist = t, r.Total+r.N, h.sparse()
	return r, nil
}

// openPair opens the queues name+"-a" and name+"-b".
func openPair(ctx context.Context, m *shm.Manager, name string) (qa, qb *shm.Queue, err error) {
	if qa, err = m.OpenQueue(ctx, name+"-a", queueOpts); err != nil {
		return nil, nil, err
	}
	qb, err = m.OpenQueue(ctx, name+"-b", queueOpts)
	return qa, qb, err
}

// withQueues runs body on j's queue pair (openPair) once the other
// process of the pair is there (the start barrier).
func withQueues(ctx context.Context, j job, body func(qa, qb *shm.Queue) (tally, error)) (tally, error) {
	return withManager(j, func(m *shm.Manager) (tally, error) {
		qa, qb, err := openPair(ctx, m, j.Name)
		if err != nil {
			return tally{}, err
		}
		if err := meet(ctx, m, j); err != nil {
			return tally{}, err
		}
		return body(qa, qb)
	})
}

// drain gets messages from q until it is shut down and passes each to
// each, with the clock read just after the Get if timed (else 0).
func drain(ctx context.Context, q *shm.Queue, timed bool, each func(v []byte, at int64) error) error {
	for {
		v, err := q.Get(ctx)
		if errors.Is(err, latchkey.ErrShutDown) {
			return nil
		}
		if err != nil {
			return err
		}
		var at int64
		if timed {
			at = mono()
		}
		if len(v) != msgSize {
			return fmt.Errorf("got a message of %d bytes, want %d", len(v), msgSize)
		}
		if err := each(v, at); err != nil {
			return err
		}
	}
}

// A handoff message carries the sender's clock in bytes 0-7 and, in byte
// 8, whether it belongs to the timed part (1) or the warm-up (0).
const timedFlag = 8

// runPing is side A of the handoff: once B is there (the start
// barrier), it puts its clock on queue a, gets the echo from queue b,
// and times the round trip; warm-up first, then j.Dur timed; then it
// shuts queue a down, which stops side B.
func runPing(ctx context.Context, j job) (tally, error) {
	return withQueues(ctx, j, func(qa, qb *shm.Queue) (tally, error) {
		msg := make([]byte, msgSize)
		trip := func(flag byte) (int64, error) {
			t0 := mono()
			binary.LittleEndian.PutUint64(msg, uint64(t0))
			msg[timedFlag] = flag
			if err := qa.Put(ctx, msg); err != nil {
				return 0, err
			}
			if _, err := qb.Get(ctx); err != nil {
				return 0, err
			}
			return mono() - t0, nil
		}
		var r tally
		var err error
		if r.Total, err = warmUp(j, func() error { _, err := trip(0); return err }); err != nil {
			return tally{}, err
		}
		var h hist
		r.Start = mono()
		deadline := r.Start + int64(j.Dur)
		for {
			rtt, err := trip(1)
			if err != nil {
				return tally{}, err
			}
			h.add(rtt)
			r.N++
			if mono() >= deadline {
				break
			}
		}
		r.End, r.Total, r.Hist = mono(), r.Total+r.N, h.sparse()
		return r, qa.Shutdown(ctx, false)
	})
}

// runPong is side B of the handoff: it gets each message from queue a,
// notes its one-way time if timed, and puts it on queue b, until queue a
// is shut down.
func runPong(ctx context.Context, j job) (tally, error) {
	return withQueues(ctx, j, func(qa, qb *shm.Queue) (tally, error) {
		var h hist
		var r tally
		err := drain(ctx, qa, true, func(v []byte, t1 int64) error {
			if v[timedFlag] == 1 {
				h.add(t1 - int64(binary.LittleEndian.Uint64(v)))
				r.N++
			}
			r.Total++
			return qb.Put(ctx, v)
		})
		if err != nil {
			return tally{}, err
		}
		r.Hist = h.sparse()
		return r, nil
	})
}

// runProduce puts 64-byte messages on queue a as fast as they are taken,
// once the consumer is there (the start barrier): warm-up messages (byte
// 0 is 0), then j.Dur of timed ones (byte 0 is 1); then it shuts the
// queue down.
func runProduce(ctx context.Context, j job) (tally, error) {
	return withQueues(ctx, j, func(qa, _ *shm.Queue) (tally, error) {
		msg := make([]byte, msgSize)
		var r tally
		var err error
		if r.Total, err = warmUp(j, func() error { return qa.Put(ctx, msg) }); err != nil {
			return tally{}, err
		}
		msg[0] = 1
		r.Start = mono()
		for deadline := r.Start + int64(j.Dur); mono() < deadline; r.N++ {
			if err := qa.Put(ctx, msg); err != nil {
				return tally{}, err
			}
		}
		r.End, r.Total = mono(), r.Total+r.N
		return r, qa.Shutdown(ctx, false)
	})
}

// runConsume gets messages from queue a until it is shut down, counting
// the timed ones; its End is when it found the queue shut down, just
// after the last message.
func runConsume(ctx context.Context, j job) (tally, error) {
	return withQueues(ctx, j, func(qa, _ *shm.Queue) (tally, error) {
		var r tally
		err := drain(ctx, qa, false, func(v []byte, _ int64) error {
			if v[0] == 1 {
				r.N++
			}
			r.Total++
			return nil
		})
		if err != nil {
			return tally{}, err
		}
		r.End = mono()
		return r, nil
	})
}
