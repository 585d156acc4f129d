package kit_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/latchkey/latchkey/bench/internal/kit"
)

func TestSamplesQuantile(t *testing.T) {
	var none kit.Samples
	if got := none.Quantile(0.5); got != 0 {
		t.Errorf("empty Quantile(0.5) = %v, want 0", got)
	}
	s := kit.Samples{5, 1, 4, 2, 3, 10, 9, 8, 7, 6} // 1..10 shuffled
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0, 1}, {0.5, 6}, {0.9, 9}, {0.99, 10}, {1, 10}} { // index round(q·9)
		if got := s.Quantile(c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if s[0] != 1 || s[9] != 10 {
		t.Errorf("Quantile left %v unsorted", s)
	}
}

func TestUS(t *testing.T) {
	for d, want := range map[time.Duration]float64{0: 0, 1234: 1.23, 1235: 1.24, 2 * time.Millisecond: 2000} {
		if got := kit.US(d); got != want {
			t.Errorf("US(%d) = %v, want %v", d, got, want)
		}
	}
}

func TestEmit(t *testing.T) {
	for _, c := range []struct {
		name string
		r    kit.Record
		want string
	}{
		{"timed", kit.Record{Peer: "p", Bench: "lock_cycle", Clients: 4, Variant: "v",
			Lat: kit.Samples{1000, 2000, 3000}, Ops: 3, Elapsed: 1500 * time.Millisecond,
			Extra: map[string]any{"note": "n"}},
			`{"bench":"lock_cycle","clients":4,"dur_s":1.5,"n":3,"note":"n","ops_per_s":2,"p50_us":2,"p99_us":3,"peer":"p","variant":"v"}`},
		{"untimed, fields replaced", kit.Record{Peer: "p", Bench: "mem_object", Clients: 1, Ops: 10,
			Extra: map[string]any{"bytes": 42, "p50_us": nil, "ops_per_s": nil}},
			`{"bench":"mem_object","bytes":42,"clients":1,"dur_s":0,"n":10,"ops_per_s":null,"p50_us":null,"p99_us":0,"peer":"p","variant":""}`},
	} {
		var out bytes.Buffer
		if err := kit.Emit(&out, c.r); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := out.String(); got != c.want+"\n" {
			t.Errorf("%s: Emit wrote\n%s want\n%s", c.name, got, c.want)
		}
	}
	if err := kit.Emit(&bytes.Buffer{}, kit.Record{Extra: map[string]any{"bad": func() {}}}); err == nil {
		t.Error("Emit of an unencodable field did not fail")
	}
}
