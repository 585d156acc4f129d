package latchkey_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/latchkey/latchkey"
)

// TestPriorityCodecOrder checks that byte order of encoded items is the
// numeric order of their priorities, negatives and extremes included.
func TestPriorityCodecOrder(t *testing.T) {
	c := latchkey.PriorityCodec[string](nil)
	prios := []int64{math.MinInt64, -1 << 40, -2, -1, 0, 1, 2, 1 << 40, math.MaxInt64}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		prios = append(prios, r.Int64()-r.Int64())
	}
	for _, a := range prios {
		for _, b := range prios[:20] {
			ea, _ := c.Encode(latchkey.Prioritized[string]{Priority: a, Value: "zz"})
			eb, _ := c.Encode(latchkey.Prioritized[string]{Priority: b, Value: "a"})
			if got, want := bytes.Compare(ea, eb), cmp(a, b); (want != 0 && got != want) || (want == 0 && got <= 0) {
				t.Fatalf("priority %d vs %d: bytes.Compare = %d, want %d", a, b, got, want)
			}
		}
	}
	enc, _ := c.Encode(latchkey.Prioritized[string]{Priority: -7, Value: "x"})
	dec, err := c.Decode(enc)
	if err != nil || dec.Priority != -7 || dec.Value != "x" {
		t.Fatalf("round trip = %+v, %v", dec, err)
	}
	if _, err := c.Decode([]byte{1, 2}); err == nil {
		t.Fatal("Decode of a short item succeeded")
	}
}

func cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestJSONCodec(t *testing.T) {
	type point struct{ X, Y int }
	c := latchkey.JSON[point]{}
	b, err := c.Encode(point{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Decode(b)
	if err != nil || p != (point{1, 2}) {
		t.Fatalf("round trip = %v, %v", p, err)
	}
	if _, err := c.Decode([]byte("{")); err == nil {
		t.Fatal("Decode of bad JSON succeeded")
	}
}
