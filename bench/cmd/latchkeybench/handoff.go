package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/bench/internal/kit"
)

// The handoffs follow the kit: two clients (two connections and sessions)
// in this process ping-pong through the primitive; one-way latency runs
// from the moment the producer starts its call to the moment the
// consumer's wait/get returns, both read from this process's monotonic
// clock; ops_per_s counts round trips.

// pingPong is what a handoff measured.
type pingPong struct {
	oneway, rtt []time.Duration
	elapsed     time.Duration
}

// emitHandoff writes a handoff record.
func (b *bench) emitHandoff(bench, variant string, pp pingPong) error {
	rtt := kit.Samples(append([]time.Duration(nil), pp.rtt...))
	return kit.Emit(b.out, kit.Record{Peer: b.peer, Bench: bench, Clients: 2, Variant: variant,
		Lat: kit.Samples(pp.oneway), Ops: int64(len(pp.rtt)), Elapsed: pp.elapsed,
		Extra: map[string]any{
			"rtt_p50_us": kit.US(rtt.Quantile(0.5)), "rtt_p99_us": kit.US(rtt.Quantile(0.99)),
			"note": "p50/p99 = one-way handoff; ops_per_s = round trips/s",
		}})
}

// measure runs cycle for the warm-up, then for dur, and returns how many
// cycles the warm-up ran, the measured elapsed time and the first error.
func (b *bench) measure(cycle func() error) (warmN int, elapsed time.Duration, err error) {
	for wend := time.Now().Add(b.warm); time.Now().Before(wend); warmN++ {
		if err := cycle(); err != nil {
			return 0, 0, err
		}
	}
	start := time.Now()
	for time.Since(start) < b.dur {
		if err := cycle(); err != nil {
			return 0, 0, err
		}
	}
	return warmN, time.Since(start), nil
}

// stopConsumer ends a handoff that failed: it cancels B's ctx (B may be
// waiting), waits for B's goroutine to send its result on done, and
// returns err.
func stopConsumer(cancel context.CancelFunc, done <-chan error, err error) error {
	cancel()
	<-done
	return err
}

// eventHandoff: A sets ping and waits for pong, then clears pong; B waits
// for ping, clears it and sets pong (the kit's mp.Manager Event figure).
// One-way = A's Set start -> B's Wait return.
func (b *bench) eventHandoff(ctx context.Context, network string) error {
	p := &pool{b: b, network: network}
	defer p.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	name := unique("event")
	open := func() (ping, pong latchkey.Event, err error) {
		c, err := p.dial(ctx)
		if err != nil {
			return nil, nil, err
		}
		if ping, err = c.Event(ctx, name+"/ping"); err != nil {
			return nil, nil, err
		}
		pong, err = c.Event(ctx, name+"/pong")
		return ping, pong, err
	}
	pingA, pongA, err := open()
	if err != nil {
		return err
	}
	pingB, pongB, err := open()
	if err != nil {
		return err
	}
	base := time.Now()
	var stop atomic.Bool
	var t1s []time.Duration // B's Wait returns; read after done
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			for {
				if err := pingB.Wait(ctx); err != nil {
					return err
				}
				t1 := time.Since(base)
				if err := pingB.Clear(ctx); err != nil {
					return err
				}
				if stop.Load() {
					return nil
				}
				t1s = append(t1s, t1)
				if err := pongB.Set(ctx); err != nil {
					return err
				}
			}
		}()
	}()
	var t0s, rtt []time.Duration
	warmN, elapsed, err := b.measure(func() error {
		t0 := time.Since(base)
		if err := pingA.Set(ctx); err != nil {
			return err
		}
		if err := pongA.Wait(ctx); err != nil {
			return err
		}
		if err := pongA.Clear(ctx); err != nil {
			return err
		}
		t0s = append(t0s, t0)
		rtt = append(rtt, time.Since(base)-t0)
		return nil
	})
	if err != nil {
		return stopConsumer(cancel, done, err)
	}
	stop.Store(true)
	if err := pingA.Set(ctx); err != nil {
		return stopConsumer(cancel, done, err)
	}
	if err := <-done; err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	k := min(len(t0s), len(t1s))
	oneway := make([]time.Duration, 0, k-warmN)
	for i := warmN; i < k; i++ {
		oneway = append(oneway, t1s[i]-t0s[i])
	}
	return b.emitHandoff("event_handoff", "Event set->wait, "+transport(network),
		pingPong{oneway: oneway, rtt: rtt[warmN:], elapsed: elapsed})
}

// queueHandoff: A puts its start time on queue a and gets from queue b;
// B gets from a, notes the one-way time and puts on b (the kit's Redis
// LPUSH->BLPOP and mp.Manager Queue figures). An empty item stops B.
func (b *bench) queueHandoff(ctx context.Context, network string) error {
	p := &pool{b: b, network: network}
	defer p.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	name := unique("qhand")
	open := func() (qa, qb latchkey.Queue, err error) {
		c, err := p.dial(ctx)
		if err != nil {
			return nil, nil, err
		}
		if qa, err = c.Queue(ctx, name+"/a", latchkey.QueueOptions{}); err != nil {
			return nil, nil, err
		}
		qb, err = c.Queue(ctx, name+"/b", latchkey.QueueOptions{})
		return qa, qb, err
	}
	qaA, qbA, err := open()
	if err != nil {
		return err
	}
	qaB, qbB, err := open()
	if err != nil {
		return err
	}
	base := time.Now()
	var oneway []time.Duration // B's; read after done
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			for {
				v, err := qaB.Get(ctx)
				if err != nil {
					return err
				}
				t1 := time.Since(base)
				if len(v) != 8 {
					return nil // stop
				}
				oneway = append(oneway, t1-time.Duration(binary.LittleEndian.Uint64(v)))
				if err := qbB.Put(ctx, []byte{1}); err != nil {
					return err
				}
			}
		}()
	}()
	var rtt []time.Duration
	warmN, elapsed, err := b.measure(func() error {
		t0 := time.Since(base)
		if err := qaA.Put(ctx, binary.LittleEndian.AppendUint64(nil, uint64(t0))); err != nil {
			return err
		}
		if _, err := qbA.Get(ctx); err != nil {
			return err
		}
		rtt = append(rtt, time.Since(base)-t0)
		return nil
	})
	if err != nil {
		return stopConsumer(cancel, done, err)
	}
	if err := qaA.Put(ctx, nil); err != nil {
		return stopConsumer(cancel, done, err)
	}
	if err := <-done; err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	return b.emitHandoff("queue_handoff", "Queue put->get, "+transport(network),
		pingPong{oneway: oneway[warmN:], rtt: rtt[warmN:], elapsed: elapsed})
}
