package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/bench/internal/kit"
	"github.com/latchkey/latchkey/client"
)

// value is the 32-byte payload of the dict and queue figures, as in the
// kit's redisbench.
var value = []byte(strings.Repeat("x", 32))

// granted reports whether err from a Lock or Acquire still means the grant
// happened (the previous holder died holding it).
func granted(err error) bool { return err == nil || errors.Is(err, latchkey.ErrOwnerDied) }

// perClient measures n clients, each its own connection and session,
// running the op mk makes for client i (setup is not timed), and emits
// the record of bench and variant.
func (b *bench) perClient(ctx context.Context, network string, n int, bench, variant string, mk func(c *client.Client, i int) (op, error)) error {
	p := &pool{b: b, network: network}
	defer p.close()
	res, err := runClients(n, b.warm, b.dur, func(i int) (op, error) {
		c, err := p.dial(ctx)
		if err != nil {
			return nil, err
		}
		return mk(c, i)
	}, nil)
	if err != nil {
		return err
	}
	return kit.Emit(b.out, kit.Record{Peer: b.peer, Bench: bench, Clients: n, Variant: variant + ", " + transport(network),
		Lat: res.lat, Ops: res.ops, Elapsed: res.elapsed})
}

// getRTT measures one Dict.Load of an existing key per cycle: the
// client's single round trip, the twin of redisbench's get_rtt.
func (b *bench) getRTT(ctx context.Context, network string, n int) error {
	name := unique("rtt")
	return b.perClient(ctx, network, n, "get_rtt", "Dict.Load", func(c *client.Client, _ int) (op, error) {
		d, err := c.Dict(ctx, name)
		if err != nil {
			return nil, err
		}
		if err := d.Store(ctx, "k", value); err != nil {
			return nil, err
		}
		return func() error {
			_, _, err := d.Load(ctx, "k")
			return err
		}, nil
	})
}

// lockCycle measures Lock+Unlock of one shared lock by n clients, each
// its own connection and session.
func (b *bench) lockCycle(ctx context.Context, network string, n int) error {
	name := unique("lock")
	return b.perClient(ctx, network, n, "lock_cycle", "Lock+Unlock (server FIFO queue)", func(c *client.Client, _ int) (op, error) {
		l, err := c.Lock(ctx, name)
		if err != nil {
			return nil, err
		}
		return lockOp(ctx, l), nil
	})
}

func lockOp(ctx context.Context, l latchkey.Lock) op {
	return func() error {
		if _, err := l.Lock(ctx); !granted(err) {
			return err
		}
		return l.Unlock(ctx) // the critical section is empty
	}
}

// lockDistinct measures n goroutines sharing ONE client (one connection,
// one session), each cycling a lock of its own: no contention, so the
// figure is the client's and server's request rate with many calls in
// flight on one connection (the twin of the floor's pipelined_32B).
func (b *bench) lockDistinct(ctx context.Context, network string, n int) error {
	p := &pool{b: b, network: network}
	defer p.close()
	c, err := p.dial(ctx)
	if err != nil {
		return err
	}
	name := unique("lockn")
	res, err := runClients(n, b.warm, b.dur, func(i int) (op, error) {
		l, err := c.Lock(ctx, fmt.Sprintf("%s/%d", name, i))
		if err != nil {
			return nil, err
		}
		return lockOp(ctx, l), nil
	}, nil)
	if err != nil {
		return err
	}
	variant := fmt.Sprintf("%d goroutines distinct locks, one connection", n)
	if network == "unix" {
		variant += ", Unix socket"
	}
	reqs := 2 * float64(res.ops) / res.elapsed.Seconds()
	return kit.Emit(b.out, kit.Record{Peer: b.peer, Bench: "lock_cycle", Clients: n, Variant: variant,
		Lat: res.lat, Ops: res.ops, Elapsed: res.elapsed,
		Extra: map[string]any{
			"requests_per_s": math.Round(reqs*10) / 10,
			"note":           "one cycle = 2 requests (Lock, Unlock); compare requests_per_s with the floor's pipelined_32B msgs/s",
		}})
}

// semCycle measures Acquire+Release of one Semaphore(value) by n clients.
func (b *bench) semCycle(ctx context.Context, network string, n, v int) error {
	name := unique("sem")
	return b.perClient(ctx, network, n, "semaphore_cycle", fmt.Sprintf("Semaphore(%d)", v), func(c *client.Client, _ int) (op, error) {
		s, err := c.Semaphore(ctx, name, v)
		if err != nil {
			return nil, err
		}
		return func() error {
			if _, err := s.Acquire(ctx); !granted(err) {
				return err
			}
			return s.Release(ctx, 1)
		}, nil
	})
}

// dictCycle measures Store then Load of the client's own key.
func (b *bench) dictCycle(ctx context.Context, network string, n int) error {
	name := unique("dict")
	return b.perClient(ctx, network, n, "dict_setget", "Store+Load", func(c *client.Client, i int) (op, error) {
		d, err := c.Dict(ctx, name)
		if err != nil {
			return nil, err
		}
		key := fmt.Sprintf("f%d", i)
		return func() error {
			if err := d.Store(ctx, key, value); err != nil {
				return err
			}
			_, _, err := d.Load(ctx, key)
			return err
		}, nil
	})
}

// queueCycle measures Put then Get by the same client on one FIFO queue.
func (b *bench) queueCycle(ctx context.Context, network string, n int) error {
	name := unique("queue")
	return b.perClient(ctx, network, n, "queue_putget", "Queue Put+Get", func(c *client.Client, _ int) (op, error) {
		q, err := c.Queue(ctx, name, latchkey.QueueOptions{})
		if err != nil {
			return nil, err
		}
		return func() error {
			if err := q.Put(ctx, value); err != nil {
				return err
			}
			_, err := q.Get(ctx)
			return err
		}, nil
	})
}
