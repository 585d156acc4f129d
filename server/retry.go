package server

import (
	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// Exactly-once retries (protocol.md 6.1). A session's request ids
// increase in the order the client sends them, so a request whose id is
// not above every id applied before is a retry of one the server already
// has: one still waiting gets its response when it completes; one that
// completed gets the kept response again; one whose response was
// forgotten gets an Unavailable error. A retry is never applied twice.
// Responses are kept until the client's Ack says it has them, and at most
// machineLimits.maxKept per session (the oldest go first).

// defaultMaxKept bounds the kept responses of a session when
// machineLimits.maxKept is not set.
const defaultMaxKept = 10000

// retry answers q, a retry of a request of s the machine has seen.
func (m *machine) retry(s *session, q *wire.Request) {
	if _, waiting := s.pending[q.ID]; waiting {
		return // its response comes when it completes
	}
	if r := s.kept[q.ID]; r != nil {
		m.send(s, r, giveBack{})
		return
	}
	r := &wire.Response{ID: q.ID}
	r.SetErr(latchkey.Errorf(latchkey.KindUnavailable,
		"server: request %d was answered before and its response is no longer kept (ids must increase; see protocol.md 6.1)", q.ID))
	m.send(s, r, giveBack{})
}

// keep records r for a retry of its request.
func (m *machine) keep(s *session, r *wire.Response) {
	if _, ok := s.kept[r.ID]; ok {
		return
	}
	limit := m.limits.maxKept
	if limit <= 0 {
		limit = defaultMaxKept
	}
	for len(s.kept) >= limit {
		delete(s.kept, s.keptIDs.pop())
	}
	s.kept[r.ID] = r
	s.keptIDs.push(r.ID)
}

// forget drops the kept responses of ids below ack: the client has them.
func (s *session) forget(ack uint64) {
	for len(s.keptIDs) > 0 && s.keptIDs[0] < ack {
		delete(s.kept, s.keptIDs.pop())
	}
}

// idHeap is a min-heap of request ids.
type idHeap []uint64

// push adds id.
func (h *idHeap) push(id uint64) {
	*h = append(*h, id)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

// pop removes and returns the smallest id; h must not be empty.
func (h *idHeap) pop() uint64 {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1] < a[c] {
			c++
		}
		if a[i] <= a[c] {
			break
		}
		a[i], a[c] = a[c], a[i]
		i = c
	}
	*h = a
	return top
}
