package itemq

import (
	"slices"
	"testing"

	"github.com/latchkey/latchkey"
)

// takeAll drains s and returns the Seqs in the order they came out.
func takeAll(s *Store) []uint64 {
	var out []uint64
	for s.Len() > 0 {
		out = append(out, s.Take().Seq)
	}
	return out
}

func TestStoreOrders(t *testing.T) {
	vals := map[uint64]string{1: "111", 2: "333", 3: "222"}
	for _, tc := range []struct {
		order latchkey.Order
		want  []uint64
	}{
		{latchkey.FIFO, []uint64{1, 2, 3}},
		{latchkey.LIFO, []uint64{3, 2, 1}},
		{latchkey.Priority, []uint64{1, 3, 2}},
	} {
		s := New(tc.order)
		for seq := uint64(1); seq <= 3; seq++ {
			s.Push(Item{Seq: seq, Val: []byte(vals[seq])})
		}
		if s.Order() != tc.order || s.Len() != 3 || len(s.All()) != 3 {
			t.Fatalf("%v: Order %v, Len %d, All %d", tc.order, s.Order(), s.Len(), len(s.All()))
		}
		if got := takeAll(&s); !slices.Equal(got, tc.want) {
			t.Errorf("%v: order %v, want %v", tc.order, got, tc.want)
		}
	}
}

// TestStorePutBack checks that items put back come out next, in the order
// they first came out (priority: in their place).
func TestStorePutBack(t *testing.T) {
	for _, tc := range []struct {
		order latchkey.Order
		want  []uint64
	}{
		{latchkey.FIFO, []uint64{1, 2, 3, 4}},
		{latchkey.LIFO, []uint64{4, 3, 2, 1}},
		{latchkey.Priority, []uint64{1, 2, 3, 4}},
	} {
		s := New(tc.order)
		for seq := uint64(1); seq <= 4; seq++ {
			s.Push(Item{Seq: seq, Val: []byte{byte(seq)}})
		}
		a, b := s.Take(), s.Take()
		s.PutBack([]Item{a, b})
		if got := takeAll(&s); !slices.Equal(got, tc.want) {
			t.Errorf("%v: after PutBack %v, want %v", tc.order, got, tc.want)
		}
		s.Push(Item{Seq: 9})
		s.Clear()
		if s.Len() != 0 {
			t.Errorf("%v: Len after Clear = %d", tc.order, s.Len())
		}
	}
}

// TestStoreRestore checks that Restore(order, s.All()) rebuilds a store
// with the same layout that hands out the same items, also after PutBack
// left a FIFO or LIFO store out of Seq order.
func TestStoreRestore(t *testing.T) {
	for _, order := range []latchkey.Order{latchkey.FIFO, latchkey.LIFO, latchkey.Priority} {
		s := New(order)
		for seq := uint64(1); seq <= 40; seq++ {
			s.Push(Item{Seq: seq, Val: []byte{byte(seq * 7 % 11)}})
		}
		a, b := s.Take(), s.Take()
		s.Take() // delivered for good
		s.PutBack([]Item{a, b})
		all := s.All()
		r := Restore(order, s.All())
		if r.Order() != order || r.Len() != s.Len() {
			t.Fatalf("%v: restored Order %v Len %d, want %v %d", order, r.Order(), r.Len(), order, s.Len())
		}
		if got := r.All(); !slices.EqualFunc(got, all, func(x, y Item) bool { return x.Seq == y.Seq }) {
			t.Fatalf("%v: restored layout %v, want %v", order, got, all)
		}
		if got, want := takeAll(&r), takeAll(&s); !slices.Equal(got, want) {
			t.Fatalf("%v: restored store gives %v, want %v", order, got, want)
		}
	}
	if r := Restore(latchkey.FIFO, nil); r.Len() != 0 {
		t.Fatal("empty restore")
	}
}
