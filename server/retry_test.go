package server

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// resend sends q again as a retry and returns the responses it produced.
func resend(t *testing.T, m *machine, sid uint64, q *wire.Request) []*wire.Response {
	t.Helper()
	if err := m.request(sid, q); err != nil {
		t.Fatalf("retry of %d: %v", q.ID, err)
	}
	var rs []*wire.Response
	for _, o := range m.takeOutputs() {
		if r, ok := o.frame.(*wire.Response); ok {
			rs = append(rs, r)
		}
	}
	return rs
}

func TestRetryCompletedIsNotApplied(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.openObj(1, 1, wire.ObjectValue, "v")
	id := x.send(1, wire.OpValueAdd, 1, "v", []int64{5})
	first := x.got(1, id)
	q := &wire.Request{ID: id, Op: wire.OpValueAdd, Object: wire.ObjectValue, Handle: 1, Name: "v", Ints: []int64{5}}
	for range 3 {
		rs := resend(t, x.m, 1, q)
		if len(rs) != 1 || rs[0] != first {
			t.Fatalf("retry answered %v, want the first response %v", rs, first)
		}
	}
	if r := x.ok(1, wire.OpValueLoad, 1, "v", nil); r.Ints[0] != 5 {
		t.Fatalf("value after retries = %d, want 5 (applied once)", r.Ints[0])
	}
}

func TestRetryWaitingGetsOneResponse(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.open(2)
	x.openObj(1, 1, wire.ObjectLock, "l")
	x.openObj(2, 1, wire.ObjectLock, "l")
	x.ok(1, wire.OpLockLock, 1, "l", nil)
	id := x.send(2, wire.OpLockLock, 1, "l", nil)
	if rs := resend(t, x.m, 2, &wire.Request{ID: id, Op: wire.OpLockLock, Object: wire.ObjectLock, Handle: 1, Name: "l"}); len(rs) != 0 {
		t.Fatalf("retry of a waiting request answered %v", rs)
	}
	if n := x.waiters("l"); n != 1 {
		t.Fatalf("waiters = %d after a retry, want 1", n)
	}
	x.ok(1, wire.OpLockUnlock, 1, "l", nil)
	if r := x.got(2, id); r == nil || r.Err() != nil {
		t.Fatalf("the waiting request: %+v", r)
	}
}

func TestRetryForgotten(t *testing.T) {
	x := newHarness(t)
	x.open(1)
	x.openObj(1, 1, wire.ObjectValue, "v")
	id := x.send(1, wire.OpValueAdd, 1, "v", []int64{1})
	// A later request acks everything below it: id's response is dropped.
	x.nextID++
	ack := &wire.Request{ID: x.nextID, Flags: wire.FlagAck, Ack: x.nextID, Op: wire.OpValueLoad, Object: wire.ObjectValue, Handle: 1, Name: "v"}
	resend(t, x.m, 1, ack)
	if n := len(x.m.sessions[1].kept); n != 1 {
		t.Fatalf("kept %d responses after the ack, want 1 (the ack's own)", n)
	}
	rs := resend(t, x.m, 1, &wire.Request{ID: id, Op: wire.OpValueAdd, Object: wire.ObjectValue, Handle: 1, Name: "v", Ints: []int64{1}})
	if len(rs) != 1 || !errors.Is(rs[0].Err(), latchkey.ErrUnavailable) {
		t.Fatalf("retry of a forgotten request: %v", rs)
	}
	if r := x.ok(1, wire.OpValueLoad, 1, "v", nil); r.Ints[0] != 1 {
		t.Fatalf("value = %d, want 1", r.Ints[0])
	}
}

func TestRetryKeptBounded(t *testing.T) {
	x := newHarness(t)
	x.m.limits.maxKept = 4
	x.open(1)
	x.openObj(1, 1, wire.ObjectValue, "v")
	var ids []uint64
	for range 10 {
		ids = append(ids, x.send(1, wire.OpValueAdd, 1, "v", []int64{1}))
	}
	if n := len(x.m.sessions[1].kept); n != 4 {
		t.Fatalf("kept %d, want 4", n)
	}
	old := resend(t, x.m, 1, &wire.Request{ID: ids[0], Op: wire.OpValueAdd, Object: wire.ObjectValue, Handle: 1, Name: "v", Ints: []int64{1}})
	recent := resend(t, x.m, 1, &wire.Request{ID: ids[9], Op: wire.OpValueAdd, Object: wire.ObjectValue, Handle: 1, Name: "v", Ints: []int64{1}})
	if len(old) != 1 || !errors.Is(old[0].Err(), latchkey.ErrUnavailable) || len(recent) != 1 || recent[0].Err() != nil || recent[0].Ints[0] != 10 {
		t.Fatalf("old retry %v, recent retry %v", old, recent)
	}
}

func TestIDHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h idHeap
	var all []uint64
	for i := range 500 {
		v := r.Uint64N(1000)
		h.push(v)
		all = append(all, v)
		if i%7 == 0 {
			slices.Sort(all)
			if got := h.pop(); got != all[0] {
				t.Fatalf("pop = %d, want %d", got, all[0])
			}
			all = all[1:]
		}
	}
	slices.Sort(all)
	for _, want := range all {
		if got := h.pop(); got != want {
			t.Fatalf("pop = %d, want %d", got, want)
		}
	}
}
