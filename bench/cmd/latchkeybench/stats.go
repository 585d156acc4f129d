package main

import (
	"sync"
	"time"

	"github.com/latchkey/latchkey/bench/internal/kit"
)

// This file mirrors the peer kit's go/internal/stats (duplicated, not
// imported, so that this module does not depend on the kit): the same
// timed loop; package kit has its percentiles and JSON record.

// op is one timed cycle; an error aborts the run.
type op func() error

// result is what runClients measured.
type result struct {
	lat     kit.Samples // one per completed cycle, every client
	ops     int64
	elapsed time.Duration
}

// runClients builds n clients' ops with mk (not timed), lets every client
// warm up for warm, starts them together and runs each until dur has
// passed since the common start. onStart, if not nil, runs after the
// warm-up and before the start (e.g. to reset counters).
func runClients(n int, warm, dur time.Duration, mk func(i int) (op, error), onStart func()) (result, error) {
	ops := make([]op, n)
	for i := range ops {
		o, err := mk(i)
		if err != nil {
			return result{}, err
		}
		ops[i] = o
	}
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	lats := make([][]time.Duration, n)
	errs := make([]error, n)
	var t0 time.Time
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			o := ops[i]
			wend := time.Now().Add(warm)
			for time.Now().Before(wend) {
				if err := o(); err != nil {
					errs[i] = err
					break
				}
			}
			ready.Done()
			<-start
			deadline := t0.Add(dur)
			lat := make([]time.Duration, 0, 1<<16)
			for errs[i] == nil {
				a := time.Now()
				if err := o(); err != nil {
					errs[i] = err
					break
				}
				b := time.Now()
				lat = append(lat, b.Sub(a))
				if !b.Before(deadline) {
					break
				}
			}
			lats[i] = lat
		}()
	}
	ready.Wait()
	if onStart != nil {
		onStart()
	}
	t0 = time.Now()
	close(start)
	done.Wait()
	elapsed := time.Since(t0)
	for _, err := range errs {
		if err != nil {
			return result{}, err
		}
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	return result{lat: all, ops: int64(len(all)), elapsed: elapsed}, nil
}
