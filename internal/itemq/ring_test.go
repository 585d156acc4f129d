package itemq

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestQueueRingModel checks ring against a plain slice kept in seq
// order, through pushes, pops at both ends, sorted inserts and removals,
// across growth, wrap-around and shrinking.
func TestQueueRingModel(t *testing.T) {
	for seed := range uint64(3) {
		r := rand.New(rand.NewPCG(seed, 0))
		var ring ring
		var model []uint64
		var seq uint64
		var spare []uint64 // seqs taken out, to insert back
		maxBuf := 0
		for i := range 16000 {
			// Phases of growth and of draining, so that the ring grows
			// past shrinkAbove and shrinks again.
			grow := (i/4000)%2 == 0
			pushBelow := 1
			if grow {
				pushBelow = 5
			}
			switch op := r.IntN(10); {
			case op < pushBelow:
				seq++
				ring.pushBack(Item{Seq: seq})
				model = append(model, seq)
			case op < 7 && op%2 == 0 && len(model) > 0:
				it := ring.popFront()
				if it.Seq != model[0] {
					t.Fatalf("seed %d op %d: popFront = %d, want %d", seed, i, it.Seq, model[0])
				}
				spare = append(spare, model[0])
				model = model[1:]
			case op < 7 && len(model) > 0:
				it := ring.popBack()
				if want := model[len(model)-1]; it.Seq != want {
					t.Fatalf("seed %d op %d: popBack = %d, want %d", seed, i, it.Seq, want)
				}
				spare = append(spare, it.Seq)
				model = model[:len(model)-1]
			case (op == 7 || op == 8) && len(spare) > 0:
				k := r.IntN(len(spare))
				s := spare[k]
				spare = slices.Delete(spare, k, k+1)
				ring.insert(Item{Seq: s})
				j, _ := slices.BinarySearch(model, s)
				model = slices.Insert(model, j, s)
			case op == 9 && len(model) > 0:
				s := model[r.IntN(len(model))]
				if r.IntN(4) == 0 {
					s = seq + 1 // not there
				}
				got := ring.remove(s)
				j, found := slices.BinarySearch(model, s)
				if got != found {
					t.Fatalf("seed %d op %d: remove(%d) = %v, want %v", seed, i, s, got, found)
				}
				if found {
					model = slices.Delete(model, j, j+1)
				}
			}
			if ring.len() != len(model) {
				t.Fatalf("seed %d op %d: len = %d, want %d", seed, i, ring.len(), len(model))
			}
			if i%101 == 0 || ring.n < 8 {
				for j, s := range model {
					if got := ring.at(j).Seq; got != s {
						t.Fatalf("seed %d op %d: item %d = %d, want %d", seed, i, j, got, s)
					}
				}
			}
			if c := len(ring.buf); c != 0 && (c&(c-1) != 0 || c < ring.n) {
				t.Fatalf("seed %d op %d: buffer of %d for %d items", seed, i, c, ring.n)
			}
			maxBuf = max(maxBuf, len(ring.buf))
		}
		if maxBuf <= shrinkAbove || len(ring.buf) >= maxBuf {
			t.Fatalf("seed %d: buffer grew to %d and ended at %d; want it past %d and shrunk", seed, maxBuf, len(ring.buf), shrinkAbove)
		}
	}
}
