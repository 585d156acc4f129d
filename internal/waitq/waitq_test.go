package waitq_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/latchkey/latchkey/internal/waitq"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFIFOAndRemove(t *testing.T) {
	var q waitq.Queue[int]
	ws := make([]*waitq.Waiter[int], 5)
	for i := range ws {
		ws[i] = q.Push(i)
	}
	if !q.Remove(ws[2]) || q.Remove(ws[2]) {
		t.Fatal("Remove: want true then false")
	}
	q.Grant(ws[0])
	var got []int
	for w := range q.All() {
		got = append(got, w.Val)
		q.Grant(w)
	}
	if want := []int{1, 3, 4}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("order = %v, want %v", got, want)
	}
	if q.Len() != 0 || q.Front() != nil {
		t.Fatalf("queue not empty: len %d", q.Len())
	}
	for _, w := range ws {
		if i := w.Val; i != 2 && !w.Granted() {
			t.Fatalf("waiter %d not granted", i)
		}
	}
}

func TestAwaitCancelRemoves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var q waitq.Queue[int]
		mu.Lock()
		w := q.Push(1)
		mu.Unlock()
		ctx, cancel := context.WithCancel(t.Context())
		removed := false
		done := make(chan error)
		go func() { done <- waitq.Await(ctx, &mu, &q, w, nil, func() { removed = true }) }()
		synctest.Wait()
		cancel()
		if err := <-done; err != context.Canceled {
			t.Fatalf("Await = %v, want context.Canceled", err)
		}
		if !removed || q.Len() != 0 {
			t.Fatalf("removed=%v len=%d", removed, q.Len())
		}
	})
}

func TestAwaitGrantRacingCancelGivesBack(t *testing.T) {
	var mu sync.Mutex
	var q waitq.Queue[int]
	w := q.Push(1)
	q.Grant(w)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	// Both channels are ready; whichever Await picks, the result must be
	// consistent: nil means keep the grant, an error means it was given back.
	gaveBack := false
	err := waitq.Await(ctx, &mu, &q, w, func(*waitq.Waiter[int]) { gaveBack = true }, nil)
	if (err == nil) == gaveBack {
		t.Fatalf("err=%v gaveBack=%v: grant must be kept xor given back", err, gaveBack)
	}
}
