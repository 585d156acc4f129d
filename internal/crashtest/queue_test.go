//go:build unix

package crashtest

import (
	"testing"

	"github.com/latchkey/latchkey"
)

// TestQueueGetterKilled: a child blocked in Get is killed; the parent
// then puts one item, which a second consumer receives: the dead getter
// swallows nothing.
//
// For a Queue the parent puts at once, racing the server's discovery of
// the death: whether the item goes to the dead getter (and back, since
// the getter never marked it done) or straight to the live one, it must
// arrive. A SimpleQueue has no task tracking, so an item answered to a
// connection that still looked alive cannot be taken back; for it the
// parent puts only once the dead getter's session has ended, and checks
// that it left no ghost getter.
func TestQueueGetterKilled(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"queue", "simple"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			eachTransport(t, func(t *testing.T, h *harness) {
				const name = "q"
				a := h.start(roleGet, name, kind)
				h.waiters(name, 1)
				h.mustKill(a)
				var put func(v string)
				var q latchkey.Queue
				if kind == "simple" {
					h.gone(a)
					if n := h.count(name); n != 0 {
						t.Fatalf("%d getters after the only one was killed, want 0 (a ghost getter?)", n)
					}
					sq, err := h.c.SimpleQueue(t.Context(), name)
					if err != nil {
						t.Fatal(err)
					}
					put = func(v string) { mustDo(t, sq.Put(t.Context(), []byte(v))) }
				} else {
					var err error
					q, err = h.c.Queue(t.Context(), name, latchkey.QueueOptions{})
					if err != nil {
						t.Fatal(err)
					}
					put = func(v string) { mustDo(t, q.Put(t.Context(), []byte(v))) }
				}
				put("item-1")

				b := h.start(roleGet, name, kind)
				if got := h.expect(b, "got").arg(0); got != "item-1" {
					t.Fatalf("second consumer got %q, want item-1", got)
				}
				for _, ev := range h.reportsOf(a) {
					t.Errorf("the killed getter reported %q", ev.line)
				}
				h.gone(a)
				if n := h.count(name); n != 0 {
					t.Errorf("%d waiters left, want 0", n)
				}
				if q == nil {
					return
				}
				if n := queueLen(t, q); n != 0 {
					t.Errorf("%d items left, want 0", n)
				}
				if n := unfinished(t, q); n != 1 {
					t.Errorf("%d unfinished tasks before the consumer's TaskDone, want 1", n)
				}
				h.send(b, "done")
				h.expect(b, "done")
				if n := unfinished(t, q); n != 0 {
					t.Errorf("%d unfinished tasks after the TaskDone, want 0", n)
				}
				mustDo(t, q.Join(h.ctx()))
			})
		})
	}
}

// TestQueueDeliveredToKilled: the item is handed to a getter that is
// frozen (SIGSTOP), so that its response sits unread in the connection,
// and the getter is then killed: the item goes back to the queue and a
// second consumer receives it.
func TestQueueDeliveredToKilled(t *testing.T) {
	t.Parallel()
	eachTransport(t, func(t *testing.T, h *harness) {
		const name = "q"
		q, err := h.c.Queue(t.Context(), name, latchkey.QueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		a := h.start(roleGet, name, "queue")
		h.waiters(name, 1)
		h.freeze(a)
		mustDo(t, q.Put(t.Context(), []byte("item-1")))
		if n, l := h.count(name), queueLen(t, q); n != 0 || l != 0 {
			t.Fatalf("after the Put: %d waiters, %d items; want the item handed to the frozen getter", n, l)
		}
		h.mustKill(a)
		b := h.start(roleGet, name, "queue")
		if got := h.expect(b, "got").arg(0); got != "item-1" {
			t.Fatalf("second consumer got %q, want item-1", got)
		}
		for _, ev := range h.reportsOf(a) {
			t.Errorf("the killed getter reported %q", ev.line)
		}
		if n := unfinished(t, q); n != 1 {
			t.Errorf("%d unfinished tasks, want 1", n)
		}
		h.send(b, "done")
		h.expect(b, "done")
		mustDo(t, q.Join(h.ctx()))
	})
}

// TestJoinableQueueKilledBeforeTaskDone: a child takes the first of three
// items and is killed before its TaskDone. The item goes back to the head
// of the queue, and a Join waiting all along returns only once all
// three items are done.
func TestJoinableQueueKilledBeforeTaskDone(t *testing.T) {
	t.Parallel()
	eachTransport(t, func(t *testing.T, h *harness) {
		const name = "jq"
		q, err := h.c.Queue(t.Context(), name, latchkey.QueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"a", "b", "c"} {
			mustDo(t, q.Put(t.Context(), []byte(v)))
		}
		joined := make(chan error, 1)
		ctx := h.ctx()
		go func() { joined <- q.Join(ctx) }()
		h.waiters(name, 1)

		a := h.start(roleGet, name, "queue")
		if got := h.expect(a, "got").arg(0); got != "a" {
			t.Fatalf("child got %q, want a", got)
		}
		h.mustKill(a)
		h.gone(a)
		if l, u, w := queueLen(t, q), unfinished(t, q), h.count(name); l != 3 || u != 3 || w != 1 {
			t.Fatalf("after the consumer died: %d items, %d unfinished, %d waiters; want 3, 3 and the joiner", l, u, w)
		}
		for i, want := range []string{"a", "b", "c"} {
			v, err := q.TryGet(t.Context())
			if err != nil {
				t.Fatalf("TryGet %d: %v", i, err)
			}
			if string(v) != want {
				t.Fatalf("TryGet %d = %q, want %q (the dead consumer's item first)", i, v, want)
			}
			mustDo(t, q.TaskDone(t.Context()))
			if i == 2 {
				break
			}
			if u, w := unfinished(t, q), h.count(name); u != 2-i || w != 1 {
				t.Fatalf("after %d TaskDones: %d unfinished, %d waiters; want %d and the joiner", i+1, u, w, 2-i)
			}
			select {
			case err := <-joined:
				t.Fatalf("Join returned (%v) with tasks unfinished", err)
			default:
			}
		}
		if err := <-joined; err != nil {
			t.Fatalf("Join: %v", err)
		}
	})
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func queueLen(t *testing.T, q latchkey.Queue) int {
	t.Helper()
	n, err := q.Len(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func unfinished(t *testing.T, q latchkey.Queue) int {
	t.Helper()
	n, err := q.Unfinished(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
