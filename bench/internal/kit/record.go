package kit

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// Latencies is where a [Record] takes its p50_us and p99_us from.
type Latencies interface {
	// Quantile returns the q-quantile (0 ≤ q ≤ 1), nearest rank as the
	// kit computes it: the value at index round(q·(n−1)) of the sorted
	// latencies; 0 if there are none.
	Quantile(q float64) time.Duration
}

// Samples are latencies, one per timed cycle.
type Samples []time.Duration

// Quantile returns the q-quantile (0..1) of s, nearest rank; it sorts s
// in place (once: a sorted s is left as it is).
func (s Samples) Quantile(q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	if !slices.IsSorted(s) {
		slices.Sort(s)
	}
	return s[int(math.Round(q*float64(len(s)-1)))]
}

// US converts d to microseconds rounded to 0.01, the unit of the
// records' latency fields.
func US(d time.Duration) float64 { return math.Round(float64(d)/1e1) / 1e2 }

// Record is one figure, as the kit's tools/summarize.py reads it.
type Record struct {
	Peer    string // "peer": whose figure it is
	Bench   string // "bench": the kit's name of the measurement
	Clients int    // "clients"
	Variant string // "variant": how it was measured
	// Lat gives "p50_us" and "p99_us"; nil gives 0.
	Lat     Latencies
	Ops     int64         // "n"; ops_per_s is Ops per second of Elapsed
	Elapsed time.Duration // "dur_s"; 0 gives ops_per_s 0
	// Extra holds further fields; they replace the ones above of the
	// same name (nil values print as null).
	Extra map[string]any
}

// Emit writes r to w as one JSON line (keys sorted).
func Emit(w io.Writer, r Record) error {
	var p50, p99 time.Duration
	if r.Lat != nil {
		p50, p99 = r.Lat.Quantile(0.50), r.Lat.Quantile(0.99)
	}
	m := map[string]any{
		"peer":      r.Peer,
		"bench":     r.Bench,
		"clients":   r.Clients,
		"variant":   r.Variant,
		"ops_per_s": 0.0,
		"p50_us":    US(p50),
		"p99_us":    US(p99),
		"n":         r.Ops,
		"dur_s":     math.Round(r.Elapsed.Seconds()*1000) / 1000,
	}
	if r.Elapsed > 0 {
		m["ops_per_s"] = math.Round(float64(r.Ops)/r.Elapsed.Seconds()*10) / 10
	}
	for k, v := range r.Extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
