package main

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
	"time"

	"github.com/latchkey/latchkey/bench/internal/kit"
)

var _ kit.Latencies = (*hist)(nil)

// histSub is the number of buckets per power of two above histExact.
const (
	histExact = 128 // values below are counted exactly (ns)
	histSub   = 64
	histLen   = histExact + 56*histSub // up to the largest int64
)

// hist is a log-linear histogram of nanosecond durations: exact below
// 128 ns, then 64 buckets per power of two, so that a bucket's midpoint
// is within 0.8% of every value in it. Its zero value is empty.
type hist struct {
	c [histLen]int64
	n int64
}

func bucketOf(v int64) int {
	if v < histExact {
		return int(max(v, 0))
	}
	shift := bits.Len64(uint64(v)) - 7 // v>>shift is in [64, 128)
	return histExact + (shift-1)*histSub + int(v>>shift) - histSub
}

// bucketValue is the midpoint of bucket i.
func bucketValue(i int) int64 {
	if i < histExact {
		return int64(i)
	}
	shift := (i-histExact)/histSub + 1
	top := int64((i-histExact)%histSub + histSub)
	return top<<shift + int64(1)<<shift/2
}

func (h *hist) add(ns int64) {
	h.c[bucketOf(ns)]++
	h.n++
}

// merge adds the counts of the sparse form c to h; it rejects bucket
// numbers out of range, which only a corrupt result could carry.
func (h *hist) merge(c map[int]int64) error {
	for i, k := range c {
		if i < 0 || i >= histLen || k < 0 {
			return fmt.Errorf("bad histogram bucket %d (count %d)", i, k)
		}
		h.c[i] += k
		h.n += k
	}
	return nil
}

// sparse returns the non-empty buckets, the form a child sends back.
func (h *hist) sparse() map[int]int64 {
	m := make(map[int]int64)
	for i, k := range h.c {
		if k != 0 {
			m[i] = k
		}
	}
	return m
}

// Quantile returns the q-quantile (0..1), nearest rank as the kit
// computes it on sorted samples (index round(q·(n-1))), to within the
// bucket's 0.8%; 0 if h is empty. It makes *hist a [kit.Latencies].
func (h *hist) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Round(q * float64(h.n-1)))
	var cum int64
	for i, k := range h.c {
		cum += k
		if cum > rank {
			return time.Duration(bucketValue(i))
		}
	}
	return 0 // not reached
}

// monoBase and monoOffset turn Go's monotonic clock into CLOCK_MONOTONIC:
// on Linux Go reads that clock (through the vDSO) and reports it relative
// to a start time of its own, so one offset per process, measured once,
// makes readings comparable across processes at the cost of time.Since.
var (
	monoBase   = time.Now()
	monoOffset = sync.OnceValues(calibrate)
)

// calibrate returns CLOCK_MONOTONIC − time.Since(monoBase), from the
// narrowest of 64 readings of clock_gettime bracketed by two readings of
// Go's clock (the error is at most half that bracket).
func calibrate() (int64, error) {
	best, off := int64(math.MaxInt64), int64(0)
	for range 64 {
		a := int64(time.Since(monoBase))
		t, err := clockMonotonic()
		if err != nil {
			return 0, err
		}
		b := int64(time.Since(monoBase))
		if b-a < best {
			best, off = b-a, t-(a+b)/2
		}
	}
	return off, nil
}

// mono returns CLOCK_MONOTONIC in nanoseconds; calibrate must have
// succeeded (startClock checks).
func mono() int64 {
	off, _ := monoOffset()
	return int64(time.Since(monoBase)) + off
}

// startClock calibrates the clock, so that a process finds out at once
// when it cannot.
func startClock() error {
	_, err := monoOffset()
	return err
}
