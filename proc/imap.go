package proc

import (
	"context"
	"fmt"
	"iter"
	"math"
	"sync"

	"github.com/latchkey/latchkey"
)

// Imap runs f on the arguments of args and yields the results in argument
// order, each with its error: Python's imap. A failed call yields its
// error at its place and iteration goes on (stop with break). chunkSize
// arguments go to a worker at a time; zero means 1, negative yields
// [latchkey.ErrInvalid].
//
// Unlike Python's, Imap does not read all of args ahead: it keeps a
// bounded number of chunks in flight (68 per worker), reading more as
// results are consumed.
// Breaking out of the loop withdraws the tasks in flight (running ones
// have their function's ctx cancelled). If ctx ends, Imap yields ctx's
// error and stops; if the pool is closed, it yields the error matching
// [latchkey.ErrClosed] and stops. The iteration runs in the caller's
// goroutine; args is read there too.
func Imap[A, R any](ctx context.Context, p *Pool, f Func[A, R], args iter.Seq[A], chunkSize int) iter.Seq2[R, error] {
	return stream(ctx, p, f, args, chunkSize, true)
}

// ImapUnordered is [Imap] yielding the results in the order they complete:
// Python's imap_unordered.
func ImapUnordered[A, R any](ctx context.Context, p *Pool, f Func[A, R], args iter.Seq[A], chunkSize int) iter.Seq2[R, error] {
	return stream(ctx, p, f, args, chunkSize, false)
}

type streamItem[R any] struct {
	v   R
	err error
}

// streamJob collects the results of an Imap, a chunk's at a time.
type streamJob[R any] struct {
	codec   wireCodec[R]
	ordered bool
	wake    chan struct{} // signalled on every delivery

	mu      sync.Mutex              // guards the fields below
	runs    map[int][]streamItem[R] // ordered: results not yet taken, by the index of the first
	fifo    []streamItem[R]         // unordered: results not yet taken
	pending map[*chunk]struct{}     // chunks submitted and not delivered

	cur []streamItem[R] // owned by the iterating goroutine: taken, not yet yielded
}

// put adds the results of the arguments from i on. Requires mu.
func (j *streamJob[R]) put(i int, items ...streamItem[R]) {
	if j.ordered {
		j.runs[i] = items
	} else {
		j.fifo = append(j.fifo, items...)
	}
}

func (j *streamJob[R]) deliver(c *chunk, rs *results) {
	out := make([]streamItem[R], rs.n)
	for i := range out {
		var data []byte
		data, out[i].err = rs.next()
		if out[i].err == nil {
			if v, err := j.codec.decode(data); err != nil {
				out[i].err = fmt.Errorf("proc: decoding the result: %w", err)
			} else {
				out[i].v = v
			}
		}
	}
	j.mu.Lock()
	delete(j.pending, c)
	j.put(c.index, out...)
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// take returns the next result to yield, the one of argument want when
// ordered, if it has arrived. The results of the arguments an Imap sends
// together come in one put, which starts where the previous one ended, so
// an ordered take finds want at the start of a run when cur is empty.
func (j *streamJob[R]) take(want int) (streamItem[R], bool) {
	if len(j.cur) == 0 {
		j.mu.Lock()
		if j.ordered {
			j.cur = j.runs[want]
			delete(j.runs, want)
		} else {
			j.cur, j.fifo = j.fifo, nil
		}
		j.mu.Unlock()
		if len(j.cur) == 0 {
			return streamItem[R]{}, false
		}
	}
	it := j.cur[0]
	j.cur[0] = streamItem[R]{}
	j.cur = j.cur[1:]
	return it, true
}

func stream[A, R any](ctx context.Context, p *Pool, f Func[A, R], args iter.Seq[A], chunkSize int, ordered bool) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		var zero R
		if chunkSize < 0 {
			yield(zero, fmt.Errorf("proc: chunk size %d: %w", chunkSize, latchkey.ErrInvalid))
			return
		}
		chunkSize = max(chunkSize, 1)
		if err := f.check(); err != nil {
			yield(zero, err)
			return
		}
		j := &streamJob[R]{
			codec: f.resc, ordered: ordered, wake: make(chan struct{}, 1),
			runs: map[int][]streamItem[R]{}, pending: map[*chunk]struct{}{},
		}
		next, stop := iter.Pull(args)
		defer stop()
		defer func() {
			j.mu.Lock()
			cs := make([]*chunk, 0, len(j.pending))
			for c := range j.pending {
				cs = append(cs, c)
			}
			j.mu.Unlock()
			p.cancelChunks(cs)
		}()
		window := math.MaxInt // arguments in flight: 68 chunks per worker
		if chunkSize < math.MaxInt/((maxPrefetch+4)*p.n) {
			window = (maxPrefetch + 4) * p.n * chunkSize
		}
		submitted, yielded := 0, 0 // arguments
		inputDone := false
		// send submits the task t, whose first argument is base.
		send := func(base int, t *taskBuilder) error {
			if t.count == 0 {
				return nil
			}
			c, err := t.chunk(base, j)
			if err != nil {
				err = fmt.Errorf("proc: %s: %w", f.name, err)
				items := make([]streamItem[R], t.count)
				for i := range items {
					items[i].err = err
				}
				j.mu.Lock()
				j.put(base, items...)
				j.mu.Unlock()
				return nil
			}
			j.mu.Lock()
			j.pending[c] = struct{}{}
			j.mu.Unlock()
			return p.submit([]*chunk{c})
		}
		room := 8 * min(chunkSize, 8<<10) // bytes of arguments expected per task: a guess, then the largest so far
		for {
			for !inputDone && submitted-yielded < window {
				base := submitted
				t := newTask(p.nextID.Add(1), f.name, room)
				for t.count < chunkSize {
					a, ok := next()
					if !ok {
						inputDone = true
						break
					}
					if err := addArg(t, f.argc, a); err != nil {
						// Send what came before; this argument fails at its place.
						if err := send(base, t); err != nil {
							yield(zero, err)
							return
						}
						j.mu.Lock()
						j.put(base+t.count, streamItem[R]{err: fmt.Errorf("proc: %s: encoding argument %d: %w", f.name, base+t.count, err)})
						j.mu.Unlock()
						submitted = base + t.count + 1
						base = submitted
						t = newTask(p.nextID.Add(1), f.name, room)
						continue
					}
				}
				if err := send(base, t); err != nil {
					yield(zero, err)
					return
				}
				submitted = base + t.count
				room = max(room, len(t.b))
			}
			if inputDone && yielded == submitted {
				return
			}
			if it, ok := j.take(yielded); ok {
				yielded++
				if !yield(it.v, it.err) {
					return
				}
				continue
			}
			select {
			case <-j.wake:
			case <-ctx.Done():
				yield(zero, ctx.Err())
				return
			}
		}
	}
}
