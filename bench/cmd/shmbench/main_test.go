package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/latchkey/latchkey/bench/internal/kit"
	"github.com/latchkey/latchkey/proc"
)

func TestMain(m *testing.M) {
	proc.Main() // the figures' child processes are this test binary
	goleak.VerifyTestMain(m)
}

func TestHistPercentiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h hist
	var vals []int64
	for range 100_000 {
		v := int64(r.ExpFloat64() * 5000)
		if r.IntN(100) == 0 {
			v *= 1000
		}
		vals = append(vals, v)
		h.add(v)
	}
	slices.Sort(vals)
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 1} {
		want := float64(vals[int(q*float64(len(vals)-1)+0.5)])
		got := float64(h.Quantile(q))
		if d := got - want; d > want*0.008+1 || -d > want*0.008+1 {
			t.Errorf("pct(%v) = %v, want %v within 0.8%%", q, got, want)
		}
	}
	var sent hist
	if err := sent.merge(h.sparse()); err != nil || sent != h {
		t.Errorf("sparse and merge do not round-trip (err %v)", err)
	}
	if err := sent.merge(map[int]int64{histLen: 1}); err == nil {
		t.Error("merge took a bucket out of range")
	}
	for _, v := range []int64{0, 127, 128, 255, 256, 1 << 40, 1<<63 - 1} {
		if i := bucketOf(v); i < 0 || i >= histLen || (v < histExact && bucketValue(i) != v) {
			t.Errorf("bucketOf(%d) = %d", v, i)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--only", "lock_1,nope"},
		{"--dur", "0s"},
		{"--workers", "0"},
		{"--warmup", "-1s"},
		{"extra"},
		{"--dur", "soon"},
	} {
		var out, errb bytes.Buffer
		err := run(t.Context(), args, &out, &errb)
		if !errors.Is(err, kit.ErrUsage) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
		if out.Len() != 0 {
			t.Errorf("run(%q) printed %q", args, out.String())
		}
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"--list"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\n"); got != len(figures) {
		t.Errorf("--list printed %d lines, want %d", got, len(figures))
	}
}

// TestFigures runs every kind of figure briefly, with real child
// processes, and checks the records.
func TestFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Setenv("GORACE", "atexit_sleep_ms=0") // children of a -race binary exit at once
	dir := t.TempDir()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := run(ctx, []string{"--dur", "100ms", "--warmup", "20ms", "--dir", dir,
		"--only", "lock_2,value_2,value_raw_1,queue_handoff,queue_throughput,pool_apply_async,pool_map"}, &out, &errb)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	want := []string{"lock_cycle", "value_add", "value_add", "queue_handoff", "queue_throughput", "pool_apply_async", "pool_map"}
	var got []string
	for line := range strings.Lines(out.String()) {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		got = append(got, r["bench"].(string))
		if n, _ := r["n"].(float64); n <= 0 {
			t.Errorf("%s: n = %v", line, r["n"])
		}
		for _, k := range []string{"peer", "clients", "variant", "ops_per_s", "p50_us", "p99_us", "dur_s"} {
			if _, ok := r[k]; !ok {
				t.Errorf("%s: no %q", line, k)
			}
		}
		if r["bench"] == "queue_handoff" && r["rtt_p50_us"] == nil {
			t.Errorf("%s: no rtt_p50_us", line)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("benches %q, want %q", got, want)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%d entries left in the objects' directory", len(left))
	}
}
