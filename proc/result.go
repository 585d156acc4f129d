package proc

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/latchkey/latchkey"
)

// AsyncResult is the pending result of [ApplyAsync] or [MapAsync]: Python's
// AsyncResult. It is safe for concurrent use; its completion (and its
// callback's return) synchronizes before Get, Wait and TryGet return it
// and before Done's channel is closed.
type AsyncResult[R any] struct {
	p             *Pool
	name          string
	codec         wireCodec[R] // decodes the one result of an ApplyAsync
	callback      func(R)
	errorCallback func(error)
	chunks        []*chunk // for a cancelling Apply or Map
	done          chan struct{}
	v             R     // set before done is closed
	err           error // set before done is closed
}

func newAsyncResult[R any](p *Pool, name string, callback func(R), errorCallback func(error)) *AsyncResult[R] {
	return &AsyncResult[R]{p: p, name: name, callback: callback, errorCallback: errorCallback, done: make(chan struct{})}
}

// Get waits for the result: the function's value, or its error. The error
// is a [*RemoteError] for an error the function returned (or a panic,
// matching [ErrPanic]), an [*ExitError] matching [ErrWorkerDied] if its
// worker died, or matches [ErrTerminated] after Terminate. If ctx ends
// first, Get returns ctx's error and the task carries on (Python's
// get(timeout) raising TimeoutError).
func (r *AsyncResult[R]) Get(ctx context.Context) (R, error) {
	select {
	case <-r.done:
		return r.v, r.err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// TryGet returns the result if it is ready, and [ErrNotReady] otherwise.
// Python's successful() is TryGet's error being nil.
func (r *AsyncResult[R]) TryGet() (R, error) {
	select {
	case <-r.done:
		return r.v, r.err
	default:
		var zero R
		return zero, ErrNotReady
	}
}

// Wait waits for the result to be ready; it returns nil then, or ctx's
// error.
func (r *AsyncResult[R]) Wait(ctx context.Context) error {
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ready reports whether the result is ready.
func (r *AsyncResult[R]) Ready() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// Done returns a channel that is closed when the result is ready.
func (r *AsyncResult[R]) Done() <-chan struct{} { return r.done }

// deliver completes an ApplyAsync: the job of its one chunk.
func (r *AsyncResult[R]) deliver(c *chunk, rs *results) {
	var v R
	data, err := rs.next()
	if err == nil {
		if v, err = r.codec.decode(data); err != nil {
			err = fmt.Errorf("proc: %s: decoding the result: %w", r.name, err)
		}
	}
	r.complete(v, err)
}

// complete makes the result ready, after its callback if it has one.
func (r *AsyncResult[R]) complete(v R, err error) {
	if r.callback == nil && r.errorCallback == nil {
		r.finish(v, err)
		return
	}
	r.p.res.push(func() { r.finish(r.runCallbacks(v, err)) })
}

// finish makes the result ready. Its job calls complete, and so finish,
// once: a chunk is delivered at most once, and a Map's job completes when
// the last of its chunks is.
func (r *AsyncResult[R]) finish(v R, err error) {
	r.v, r.err = v, err
	close(r.done)
}

func (r *AsyncResult[R]) runCallbacks(v R, err error) (R, error) {
	if err == nil && r.callback != nil {
		if perr := r.safely(func() { r.callback(v) }); perr != nil {
			return v, perr
		}
	}
	if err != nil && r.errorCallback != nil {
		if perr := r.safely(func() { r.errorCallback(err) }); perr != nil {
			return v, errors.Join(err, perr)
		}
	}
	return v, err
}

// safely runs a callback, turning a panic into an error and a log entry.
func (r *AsyncResult[R]) safely(f func()) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("%w: %s: %v", ErrCallbackPanic, r.name, x)
			r.p.log.Error("proc: result callback panicked", "func", r.name, "panic", x, "stack", string(debug.Stack()))
		}
	}()
	f()
	return nil
}

// chunks encodes args into tasks of size arguments each, for job j whose
// argument base is the first of args. It fails if an argument cannot be
// encoded or a task is too large to send.
func chunks[A, R any](p *Pool, f Func[A, R], args []A, base, size int, j job) ([]*chunk, error) {
	size = max(1, min(size, len(args)))
	cs := make([]*chunk, 0, (len(args)+size-1)/size)
	room := -1 // bytes of arguments expected per task: the size of the last one
	for i := 0; i < len(args); i += size {
		end := min(i+size, len(args))
		if room < 0 {
			room = 8 * (end - i) // a guess: small numbers
		}
		t := newTask(p.nextID.Add(1), f.name, room)
		if k, err := addArgs(t, f.argc, args[i:end]); err != nil {
			return nil, fmt.Errorf("proc: %s: encoding argument %d: %w", f.name, base+i+k, err)
		}
		c, err := t.chunk(base+i, j)
		if err != nil {
			return nil, fmt.Errorf("proc: %s: %w", f.name, err)
		}
		cs = append(cs, c)
		room = len(c.frame)
	}
	return cs, nil
}

// ApplyAsync submits f(ctx, arg) to the pool and returns at once: Python's
// apply_async. When the task completes, callback (if the function
// succeeded) or errorCallback (if not) runs on the pool's result goroutine
// (see [Pool]); either may be nil. An argument the codec cannot encode is
// returned as an error here and nothing is submitted, as is submitting to
// a closed pool ([latchkey.ErrClosed]).
func ApplyAsync[A, R any](p *Pool, f Func[A, R], arg A, callback func(R), errorCallback func(error)) (*AsyncResult[R], error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	r := newAsyncResult(p, f.name, callback, errorCallback)
	r.codec = f.resc
	var err error
	if r.chunks, err = chunks(p, f, []A{arg}, 0, 1, r); err != nil {
		return nil, err
	}
	if err := p.submit(r.chunks); err != nil {
		return nil, err
	}
	return r, nil
}

// Apply runs f(ctx, arg) on a worker and returns its result: Python's
// apply. If ctx ends first, the task is withdrawn (its function's ctx is
// cancelled if it is running) and Apply returns ctx's error. Errors are as
// for [AsyncResult.Get].
func Apply[A, R any](ctx context.Context, p *Pool, f Func[A, R], arg A) (R, error) {
	r, err := ApplyAsync(p, f, arg, nil, nil)
	if err != nil {
		var zero R
		return zero, err
	}
	return r.getOrCancel(ctx)
}

func (r *AsyncResult[R]) getOrCancel(ctx context.Context) (R, error) {
	select {
	case <-r.done:
		return r.v, r.err
	case <-ctx.Done():
		r.p.cancelChunks(r.chunks)
		var zero R
		return zero, ctx.Err()
	}
}

// mapJob collects the results of a Map. Its chunks decode their results
// straight into vals, each into its own part.
type mapJob[R any] struct {
	r     *AsyncResult[[]R]
	codec wireCodec[R]
	name  string
	vals  []R

	mu     sync.Mutex // guards the fields below, and vals once left is 0
	err    error      // the error of the lowest failed index
	errIdx int
	left   int // chunks not delivered
}

func (j *mapJob[R]) deliver(c *chunk, rs *results) {
	var err error // of the chunk's lowest failed index
	errIdx := 0
	for i := c.index; rs.n > 0; i++ {
		data, e := rs.next()
		if e == nil {
			if j.vals[i], e = j.codec.decode(data); e != nil {
				e = fmt.Errorf("decoding the result: %w", e)
			}
		}
		if e != nil && err == nil {
			err, errIdx = e, i
		}
	}
	j.mu.Lock()
	if err != nil && (j.err == nil || errIdx < j.errIdx) {
		j.err = fmt.Errorf("proc: %s: argument %d: %w", j.name, errIdx, err)
		j.errIdx = errIdx
	}
	j.left--
	last := j.left == 0
	j.mu.Unlock()
	if !last {
		return
	}
	if j.err != nil {
		j.r.complete(nil, j.err)
	} else {
		j.r.complete(j.vals, nil)
	}
}

// MapAsync submits f on every argument and returns at once: Python's
// map_async. The result is the list of results in argument order, or, if
// any call failed, the error of the failed argument with the lowest index
// (wrapped with that index), once all calls have finished. callback
// receives the list, errorCallback the error; see [ApplyAsync].
//
// The arguments are cut into tasks of chunkSize arguments each; zero
// means Python's default, len(args) / (4 × workers) rounded up. A worker
// runs every argument of a task even if one fails. A negative chunkSize
// is [latchkey.ErrInvalid]; a task whose encoded arguments exceed 1 GiB is
// refused, before anything is submitted, with [ErrMessageTooLarge] (see
// Chunks in the package doc).
func MapAsync[A, R any](p *Pool, f Func[A, R], args []A, chunkSize int, callback func([]R), errorCallback func(error)) (*AsyncResult[[]R], error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if chunkSize < 0 {
		return nil, fmt.Errorf("proc: chunk size %d: %w", chunkSize, latchkey.ErrInvalid)
	}
	if chunkSize == 0 {
		chunkSize = max(1, (len(args)+4*p.n-1)/(4*p.n))
	}
	r := newAsyncResult(p, f.name, callback, errorCallback)
	j := &mapJob[R]{r: r, codec: f.resc, name: f.name, vals: make([]R, len(args))}
	var err error
	if r.chunks, err = chunks(p, f, args, 0, chunkSize, j); err != nil {
		return nil, err
	}
	j.left = len(r.chunks)
	if len(args) == 0 {
		if err := p.hold(); err != nil {
			return nil, err
		}
		r.complete([]R{}, nil)
		p.done()
		return r, nil
	}
	if err := p.submit(r.chunks); err != nil {
		return nil, err
	}
	return r, nil
}

// Map runs f on every argument and returns the results in argument order:
// Python's map. See [MapAsync] for the chunk size and the error. If ctx
// ends first, the tasks are withdrawn (running ones have their function's
// ctx cancelled) and Map returns ctx's error.
func Map[A, R any](ctx context.Context, p *Pool, f Func[A, R], args []A, chunkSize int) ([]R, error) {
	r, err := MapAsync(p, f, args, chunkSize, nil, nil)
	if err != nil {
		return nil, err
	}
	return r.getOrCancel(ctx)
}

// Starmap is [Map] for a function of two arguments registered with
// [Register2]: Python's starmap, which unpacks each tuple into the
// function's arguments.
func Starmap[A, B, R any](ctx context.Context, p *Pool, f Func[Pair[A, B], R], args []Pair[A, B], chunkSize int) ([]R, error) {
	return Map(ctx, p, f, args, chunkSize)
}

// StarmapAsync is [MapAsync] for a function of two arguments registered
// with [Register2]: Python's starmap_async.
func StarmapAsync[A, B, R any](p *Pool, f Func[Pair[A, B], R], args []Pair[A, B], chunkSize int, callback func([]R), errorCallback func(error)) (*AsyncResult[[]R], error) {
	return MapAsync(p, f, args, chunkSize, callback, errorCallback)
}
