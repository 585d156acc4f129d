package proc

import (
	"context"
	"fmt"
	"iter"
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

// streamJob collects the results of an Imap.
type streamJob[R any] struct {
	codec   latchkey.Codec[R]
	ordered bool
	wake    chan struct{} // signalled on every delivery

	mu      sync.Mutex            // guards the fields below
	byIndex map[int]streamItem[R] // ordered: results not yet yielded
	fifo    []streamItem[R]       // unordered: results not yet yielded
	pending map[*chunk]struct{}   // chunks submitted and not delivered
}

func (j *streamJob[R]) put(i int, it streamItem[R]) {
	if j.ordered {
		j.byIndex[i] = it
	} else {
		j.fifo = append(j.fifo, it)
	}
}

func (j *streamJob[R]) deliver(c *chunk, items []itemResult) {
	out := make([]streamItem[R], len(items))
	for i, it := range items {
		out[i].err = it.err
		if it.err == nil {
			if v, err := j.codec.Decode(it.data); err != nil {
				out[i].err = fmt.Errorf("proc: decoding the result: %w", err)
			} else {
				out[i].v = v
			}
		}
	}
	j.mu.Lock()
	delete(j.pending, c)
	for i, it := range out {
		j.put(c.index+i, it)
	}
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// take returns the next result to yield, if it has arrived.
func (j *streamJob[R]) take(want int) (streamItem[R], bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ordered {
		it, ok := j.byIndex[want]
		delete(j.byIndex, want)
		return it, ok
	}
	if len(j.fifo) == 0 {
		return streamItem[R]{}, false
	}
	it := j.fifo[0]
	j.fifo = j.fifo[1:]
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
			byIndex: map[int]streamItem[R]{}, pending: map[*chunk]struct{}{},
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
		window := (maxPrefetch + 4) * p.n * chunkSize
		submitted, yielded := 0, 0 // arguments
		inputDone := false
		// send submits the encoded arguments enc, which start at base.
		send := func(base int, enc [][]byte) error {
			if len(enc) == 0 {
				return nil
			}
			cs, err := p.chunks(f.name, enc, base, len(enc), j)
			if err != nil {
				j.mu.Lock()
				for i := range enc {
					j.put(base+i, streamItem[R]{err: err})
				}
				j.mu.Unlock()
				return nil
			}
			j.mu.Lock()
			j.pending[cs[0]] = struct{}{}
			j.mu.Unlock()
			return p.submit(cs)
		}
		for {
			for !inputDone && submitted-yielded < window {
				base := submitted
				enc := make([][]byte, 0, chunkSize)
				for len(enc) < chunkSize {
					a, ok := next()
					if !ok {
						inputDone = true
						break
					}
					b, err := f.argc.Encode(a)
					if err != nil {
						// Send what came before; this argument fails at its place.
						if err := send(base, enc); err != nil {
							yield(zero, err)
							return
						}
						j.mu.Lock()
						j.put(base+len(enc), streamItem[R]{err: fmt.Errorf("proc: %s: encoding argument %d: %w", f.name, base+len(enc), err)})
						j.mu.Unlock()
						submitted = base + len(enc) + 1
						base, enc = submitted, enc[:0:0]
						continue
					}
					enc = append(enc, b)
				}
				if err := send(base, enc); err != nil {
					yield(zero, err)
					return
				}
				submitted = base + len(enc)
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
