package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/bench/internal/kit"
)

// barrierCycle runs parties clients (each its own connection and session)
// calling Wait on one Barrier(parties) in a loop, as the kit's mp.Manager
// figure does: 50 warm-up waits each, a common start, then the first
// party past the deadline aborts the barrier, which breaks the others'
// pending Wait. ops = completed generations (the fewest any party saw);
// latency = one Wait per party.
func (b *bench) barrierCycle(ctx context.Context, network string, parties int) error {
	p := &pool{b: b, network: network}
	defer p.close()
	name := unique("barrier")
	bars := make([]latchkey.Barrier, parties)
	for i := range bars {
		c, err := p.dial(ctx)
		if err != nil {
			return err
		}
		if bars[i], err = c.Barrier(ctx, name, parties, nil); err != nil {
			return err
		}
	}
	type out struct {
		start, end time.Time
		n          int
		lat        []time.Duration
		err        error
	}
	outs := make([]out, parties)
	var warm, done sync.WaitGroup
	begin := make(chan struct{})
	warm.Add(parties)
	for i, bar := range bars {
		done.Go(func() {
			o := &outs[i]
			for range 50 {
				if _, err := bar.Wait(ctx); err != nil {
					o.err = fmt.Errorf("warm-up: %w", err)
					bar.Abort(ctx) // release the others
					warm.Done()
					return
				}
			}
			warm.Done()
			<-begin
			o.start = time.Now()
			deadline := o.start.Add(b.dur)
			for {
				t0 := time.Now()
				_, err := bar.Wait(ctx)
				if errors.Is(err, latchkey.ErrBrokenBarrier) {
					break
				}
				if err != nil {
					o.err = err
					bar.Abort(ctx)
					break
				}
				t1 := time.Now()
				o.lat = append(o.lat, t1.Sub(t0))
				o.n++
				if !t1.Before(deadline) {
					if err := bar.Abort(ctx); err != nil {
						o.err = err
					}
					break
				}
			}
			o.end = time.Now()
		})
	}
	warm.Wait()
	close(begin)
	done.Wait()
	var lat []time.Duration
	gens := outs[0].n
	first, last := outs[0].start, outs[0].end
	for _, o := range outs {
		if o.err != nil {
			return o.err
		}
		lat = append(lat, o.lat...)
		gens = min(gens, o.n)
		if o.start.Before(first) {
			first = o.start
		}
		if o.end.After(last) {
			last = o.end
		}
	}
	return kit.Emit(b.out, kit.Record{Peer: b.peer, Bench: "barrier_cycle", Clients: parties,
		Variant: fmt.Sprintf("Barrier(%d), %s", parties, transport(network)),
		Lat:     kit.Samples(lat), Ops: int64(gens), Elapsed: last.Sub(first),
		Extra: map[string]any{"note": "ops = completed barrier generations; latency = one Wait per party"}})
}
