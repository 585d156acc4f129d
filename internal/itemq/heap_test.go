package itemq

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestQueueHeapModel checks minHeap against a sorted slice: pop returns
// the smallest bytes, ties in seq order, and remove by seq keeps the heap
// valid, across growth past shrinkAbove and shrinking.
func TestQueueHeapModel(t *testing.T) {
	order := func(a, b Item) int {
		if c := bytes.Compare(a.Val, b.Val); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	}
	for seed := range uint64(3) {
		r := rand.New(rand.NewPCG(seed, 0))
		var h minHeap
		var model []Item // sorted by order
		var seq uint64
		maxCap := 0
		for i := range 16000 {
			grow := (i/4000)%2 == 0
			pushBelow := 1
			if grow {
				pushBelow = 7
			}
			switch op := r.IntN(10); {
			case op < pushBelow:
				seq++
				it := Item{Seq: seq, Val: []byte{byte(r.IntN(8))}}
				h.push(it)
				j, _ := slices.BinarySearchFunc(model, it, order)
				model = slices.Insert(model, j, it)
			case op < 9 && len(model) > 0:
				it := h.pop()
				if it.Seq != model[0].Seq {
					t.Fatalf("seed %d op %d: pop = %d %q, want %d %q", seed, i, it.Seq, it.Val, model[0].Seq, model[0].Val)
				}
				model = model[1:]
			case op == 9 && len(model) > 0:
				k := r.IntN(len(model))
				if !h.remove(model[k].Seq) {
					t.Fatalf("seed %d op %d: remove(%d) = false", seed, i, model[k].Seq)
				}
				model = slices.Delete(model, k, k+1)
				if h.remove(seq + 1) {
					t.Fatalf("seed %d op %d: remove of a missing seq = true", seed, i)
				}
			}
			if len(h) != len(model) {
				t.Fatalf("seed %d op %d: len = %d, want %d", seed, i, len(h), len(model))
			}
			maxCap = max(maxCap, cap(h))
		}
		if maxCap <= shrinkAbove || cap(h) >= maxCap {
			t.Fatalf("seed %d: capacity grew to %d and ended at %d; want it past %d and shrunk", seed, maxCap, cap(h), shrinkAbove)
		}
	}
}
