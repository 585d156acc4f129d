package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"
)

// This file mirrors the peer kit's go/internal/stats (duplicated, not
// imported, so that this module does not depend on the kit): the same
// timed loop, the same nearest-rank percentiles, the same JSON record.

// op is one timed cycle; an error aborts the run.
type op func() error

// result is what runClients measured.
type result struct {
	lat     []time.Duration // one per completed cycle, every client
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

// pct returns the q-quantile (0..1) of d, nearest rank; it sorts d.
func pct(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	if !slices.IsSorted(d) {
		slices.Sort(d)
	}
	return d[int(math.Round(q*float64(len(d)-1)))]
}

// us converts d to microseconds rounded to 0.01.
func us(d time.Duration) float64 { return math.Round(float64(d)/1e1) / 1e2 }

// record is one figure, as the kit's tools/summarize.py reads it.
type record struct {
	peer    string
	bench   string
	clients int
	variant string
	lat     []time.Duration
	ops     int64
	elapsed time.Duration
	extra   map[string]any
}

// emit writes r as one JSON line.
func emit(w io.Writer, r record) error {
	m := map[string]any{
		"peer":      r.peer,
		"bench":     r.bench,
		"clients":   r.clients,
		"variant":   r.variant,
		"ops_per_s": 0.0,
		"p50_us":    us(pct(r.lat, 0.50)),
		"p99_us":    us(pct(r.lat, 0.99)),
		"n":         r.ops,
		"dur_s":     math.Round(r.elapsed.Seconds()*1000) / 1000,
	}
	if r.elapsed > 0 {
		m["ops_per_s"] = math.Round(float64(r.ops)/r.elapsed.Seconds()*10) / 10
	}
	for k, v := range r.extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
