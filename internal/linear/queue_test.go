package linear

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/latchkey/latchkey"
)

type queueOp uint8

const (
	queuePut queueOp = iota
	queueTryPut
	queueGet
	queueTryGet
	queueLen
)

// queueInput is a call by worker w on the FIFO queue obj of capacity cap
// (0: unbounded); v is the item put.
type queueInput struct {
	Obj string
	Cap int
	Op  queueOp
	V   string
	W   int
}

func (in queueInput) String() string {
	name := [...]string{"Put", "TryPut", "Get", "TryGet", "Len"}[in.Op]
	if in.Op <= queueTryPut {
		return fmt.Sprintf("%s.%s(%s)", in.Obj, name, in.V)
	}
	return in.Obj + "." + name + "()"
}

// queueState is a queue's items, oldest first, each followed by a
// newline: a string, so that states compare with ==.
type queueState string

func (s queueState) len() int { return strings.Count(string(s), "\n") }

// pop returns the oldest item and the rest; s is not empty.
func (s queueState) pop() (string, queueState) {
	item, rest, _ := strings.Cut(string(s), "\n")
	return item, queueState(rest)
}

// queueModel is a FIFO latchkey.Queue, bounded or not, partitioned by
// object: Put and TryPut append when there is room (TryPut fails with
// ErrFull otherwise), Get and TryGet take the oldest item (TryGet fails
// with ErrEmpty on an empty queue), Len is the number of items.
func queueModel() porcupine.Model {
	return porcupine.Model{
		Partition: partitionBy(func(in any) string { return in.(queueInput).Obj }),
		Init:      func() any { return queueState("") },
		Hash: func(st any) uint64 {
			h := fnv.New64a()
			h.Write([]byte(st.(queueState)))
			return h.Sum64()
		},
		Step: func(st, in, out any) (bool, any) {
			return queueStep(st.(queueState), in.(queueInput), out.(output))
		},
		DescribeOperation: func(in, out any) string {
			o := out.(output)
			res := ""
			switch in.(queueInput).Op {
			case queueGet, queueTryGet:
				res = o.S
			case queueLen:
				res = fmt.Sprint(o.N)
			}
			return fmt.Sprintf("%v → %s", in, o.describe(res))
		},
		DescribeState: func(st any) string {
			return "[" + strings.ReplaceAll(strings.TrimSuffix(string(st.(queueState)), "\n"), "\n", " ") + "]"
		},
	}
}

func queueStep(s queueState, in queueInput, out output) (bool, queueState) {
	if out.St == stCanceled {
		return true, s
	}
	n := s.len()
	room := in.Cap == 0 || n < in.Cap
	switch in.Op {
	case queuePut, queueTryPut:
		switch {
		case out.St == stOK:
			return room, s + queueState(in.V+"\n")
		case out.St == stUnknown:
			if room {
				return true, s + queueState(in.V+"\n")
			}
			return true, s
		case in.Op == queueTryPut && out.Kind == latchkey.KindFull:
			return !room, s
		}
	case queueGet, queueTryGet:
		switch {
		case out.St == stOK:
			if n == 0 {
				return false, s
			}
			item, rest := s.pop()
			return item == out.S, rest
		case out.St == stUnknown:
			if n > 0 {
				_, rest := s.pop()
				return true, rest
			}
			return true, s
		case in.Op == queueTryGet && out.Kind == latchkey.KindEmpty:
			return n == 0, s
		}
	case queueLen:
		return out.St == stUnknown || out.St == stOK && out.N == int64(n), s
	}
	return false, s
}

// queueWorkload: two FIFO queues, one unbounded and one of 2 items. A
// worker puts unique items (blocking puts wait a few milliseconds at
// most), takes items, blocking or not, and reads the length. On the
// unbounded queue takes are much more frequent than puts, so that it
// stays short: the order of concurrent puts is only learnt when their
// items come out, and the longer the queue the more orders the checker
// must keep open (a queue that grew to 20 items made some checks take
// minutes). On the bounded queue puts are as frequent as takes, so that
// it is often full.
func queueWorkload(w *worker) (func(), error) {
	type queue struct {
		q    latchkey.Queue
		in   queueInput
		puts int // percentage of puts, half of them blocking
	}
	u, err := w.c.Queue(w.ctx, "queue.unbounded", latchkey.QueueOptions{})
	if err != nil {
		return nil, err
	}
	b, err := w.c.Queue(w.ctx, "queue.bounded", latchkey.QueueOptions{MaxSize: 2})
	if err != nil {
		return nil, err
	}
	queues := []queue{{u, queueInput{Obj: "u", W: w.id}, 24}, {b, queueInput{Obj: "b", Cap: 2, W: w.id}, 42}}
	seq := 0
	get := func(f func(context.Context) ([]byte, error)) func(context.Context) (output, error) {
		return func(ctx context.Context) (output, error) {
			v, err := f(ctx)
			return output{S: string(v)}, err
		}
	}
	return func() {
		q := queues[w.rng.IntN(2)]
		in := q.in
		// r < puts: a put; then takes, blocking or not, and Len.
		switch r := w.rng.IntN(100); {
		case r < q.puts:
			seq++
			in.V = fmt.Sprintf("w%d.%d", w.id, seq)
			if r < q.puts/2 {
				in.Op = queuePut
				w.do(in, w.blockFor(), func(ctx context.Context) (output, error) { return output{}, q.q.Put(ctx, []byte(in.V)) })
			} else {
				in.Op = queueTryPut
				w.do(in, 0, func(ctx context.Context) (output, error) { return output{}, q.q.TryPut(ctx, []byte(in.V)) })
			}
		case r < q.puts+(85-q.puts)/2:
			in.Op = queueGet
			w.do(in, w.blockFor(), get(q.q.Get))
		case r < 85:
			in.Op = queueTryGet
			w.do(in, 0, get(q.q.TryGet))
		default:
			in.Op = queueLen
			w.do(in, 0, func(ctx context.Context) (output, error) {
				n, err := q.q.Len(ctx)
				return output{N: int64(n)}, err
			})
		}
	}, nil
}

// TestQueue checks histories of an unbounded and a bounded FIFO queue
// shared by eight workers.
func TestQueue(t *testing.T) { forVariants(t, "queue", queueWorkload) }

// TestQueueModel: the queue model refuses histories that reorder,
// duplicate, lose or invent items, overfill a bounded queue or get Len
// wrong, and accepts overlapping and unknown outcomes that have a
// linearization.
func TestQueueModel(t *testing.T) {
	put := func(obj, v string, w int) queueInput {
		in := queueInput{Obj: obj, Op: queuePut, V: v, W: w}
		if obj == "b" {
			in.Cap = 1
		}
		return in
	}
	with := func(in queueInput, op queueOp) queueInput { in.Op = op; return in }
	get := func(obj string, w int) queueInput { return with(put(obj, "", w), queueGet) }
	sOut := func(s string) output { return output{S: s} }
	bad := map[string][]porcupine.Operation{
		"LIFO instead of FIFO": {
			op(0, 0, 10, put("u", "a", 0), okOut),
			op(0, 20, 30, put("u", "b", 0), okOut),
			op(1, 40, 50, get("u", 1), sOut("b")),
		},
		"item delivered twice": {
			op(0, 0, 10, put("u", "a", 0), okOut),
			op(1, 20, 30, get("u", 1), sOut("a")),
			op(2, 40, 50, get("u", 2), sOut("a")),
		},
		"item invented": {
			op(1, 0, 10, with(get("u", 1), queueTryGet), sOut("x")),
		},
		"item lost": {
			op(0, 0, 10, put("u", "a", 0), okOut),
			op(1, 20, 30, with(get("u", 1), queueTryGet), errOut(latchkey.KindEmpty)),
		},
		"bounded queue overfilled": {
			op(0, 0, 10, put("b", "a", 0), okOut),
			op(0, 20, 30, with(put("b", "b", 0), queueTryPut), okOut),
		},
		"full while empty": {
			op(0, 0, 10, with(put("b", "a", 0), queueTryPut), errOut(latchkey.KindFull)),
		},
		"a canceled Get took the item": {
			op(0, 0, 10, put("u", "a", 0), okOut),
			op(1, 20, 30, get("u", 1), canceledOut),
			op(2, 40, 50, with(get("u", 2), queueLen), nOut(0)),
		},
	}
	good := map[string][]porcupine.Operation{
		"concurrent puts in either order": {
			op(0, 0, 100, put("u", "a", 0), okOut),
			op(1, 0, 100, put("u", "b", 1), okOut),
			op(2, 110, 120, get("u", 2), sOut("b")),
			op(2, 130, 140, get("u", 2), sOut("a")),
		},
		"a Get waits for the Put": {
			op(1, 0, 100, get("b", 1), sOut("a")),
			op(0, 50, 60, put("b", "a", 0), okOut),
			op(0, 70, 80, put("b", "b", 0), okOut),
			op(2, 110, 120, with(get("b", 2), queueLen), nOut(1)),
		},
		"an unknown Put that put": {
			op(0, 0, -1, put("u", "a", 0), unknownOut),
			op(1, 10, 20, get("u", 1), sOut("a")),
		},
		"an unknown Get that took": {
			op(0, 0, 10, put("u", "a", 0), okOut),
			op(1, 20, -1, get("u", 1), unknownOut),
			op(2, 30, 40, with(get("u", 2), queueTryGet), errOut(latchkey.KindEmpty)),
		},
	}
	selfTest(t, queueModel(), bad, good)
}
