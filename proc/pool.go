package proc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey"
)

const (
	// maxPrefetch is how many tasks a worker may hold, the running one
	// included. A worker is sent tasks ahead only while its tasks run
	// shorter than fastTask, and only about fastTask's worth of them, so
	// that trivial tasks stream without a round trip each and no task
	// waits behind another for much more than a millisecond.
	maxPrefetch = 64
	fastTask    = 1000 // µs

	defaultGrace = 5 * time.Second
)

// PoolConfig configures a [Pool]. The zero value (or a nil pointer) means
// workers that live for ever, a 5 s grace period after Terminate, output
// shared with this program, and slog.Default for the log.
type PoolConfig struct {
	// MaxTasksPerChild, when positive, is how many tasks a worker runs
	// before it exits and is replaced with a fresh process (Python's
	// maxtasksperchild; a chunk of a Map counts as one task). Zero means
	// no limit; negative is invalid.
	MaxTasksPerChild int
	// TerminateGrace is how long workers have to exit after Terminate's
	// SIGTERM before they get SIGKILL; zero means 5 s, negative is
	// invalid.
	TerminateGrace time.Duration
	// Env holds extra environment variables ("KEY=value") for the
	// workers, which otherwise inherit this program's environment.
	Env []string
	// Stdout and Stderr receive the workers' output; nil means this
	// program's os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
	// Logger receives what the pool cannot return to a caller: a callback
	// that panicked, a worker that died, a replacement that failed to
	// start. Nil means slog.Default().
	Logger *slog.Logger
}

type poolState int

const (
	stateRun poolState = iota
	stateClose
	stateTerminate
)

// Pool is a pool of worker processes that run registered functions:
// Python's multiprocessing.Pool. Submit work with [Apply], [ApplyAsync],
// [Map], [MapAsync], [Imap], [ImapUnordered], [Starmap] and
// [StarmapAsync]; these are functions rather than methods because Go
// methods cannot have type parameters. Every worker is this binary started
// again (see [Main]) as a daemon child: it dies with this program.
//
// # Lifecycle
//
// A pool runs until Close (no new work; queued work finishes, then the
// workers exit) or Terminate (workers are stopped at once; unfinished
// tasks fail with [ErrTerminated]). Join then waits for the workers and
// the result goroutine to finish; it is an error ([ErrRunning]) before
// Close or Terminate. Submitting after Close or Terminate returns an error
// matching [latchkey.ErrClosed]. Python's `with Pool() as p:` terminates on
// exit; the Go idiom is
//
//	p, err := proc.NewPool(ctx, 4, nil)
//	...
//	defer p.Join(ctx)
//	defer p.Close()
//
// # Scheduling
//
// Tasks wait in one FIFO queue and go to idle workers. A worker whose last
// task ran under a millisecond may be sent further tasks while it runs one
// (about a millisecond's worth, at most 63), so that trivial tasks do not
// pay a round trip each; a worker running longer tasks only ever holds the
// one it runs. A chunk of a Map is one task, sent in one message and
// answered in one (see Chunks in the package doc).
//
// # Failures
//
// A task whose worker dies while running it (a signal, os.Exit, a crash)
// fails with an [*ExitError] that matches [ErrWorkerDied] and names the
// pid and the signal; tasks the worker had been sent but not started go
// back to the queue, and the worker is replaced. Python's Pool loses such
// a task, which never completes. If no worker can be started at all, the
// queued tasks and later submissions fail with [ErrBroken].
//
// # Callbacks
//
// The callbacks of [ApplyAsync] and [MapAsync] run on the pool's one result
// goroutine, one at a time, in the order the results arrived, as Python
// runs them on its result-handler thread: a slow callback delays the
// others. A result becomes ready after its callback has returned, so Get
// sees the callback's effects. A callback that panics is recovered and
// logged, and the result's error then matches [ErrCallbackPanic]; the pool
// carries on (Python's result thread dies and the pool hangs). Results
// without callbacks are completed directly, without the result goroutine.
//
// A Pool is safe for concurrent use. It cannot be copied or passed to
// another process.
type Pool struct {
	n      int
	cfg    PoolConfig
	log    *slog.Logger
	ctx    context.Context // ends at Terminate, aborting worker start-ups
	cancel context.CancelFunc
	res    *resultLoop
	nextID atomic.Uint64

	// mu guards the fields below, the fields of workers marked as guarded
	// by it, and chunk.w and chunk.finished.
	mu        sync.Mutex
	state     poolState
	queue     []*chunk // queue[qhead:] waits for a worker, in order
	qhead     int
	workers   []*worker
	spawning  int   // replacement workers being started
	active    int   // worker readers, plus calls delivering failures
	broken    error // set when no worker could be started
	killTimer *time.Timer
	finished  bool      // active reached 0 after Run: the result loop stops
	fill      []*worker // dispatchLocked's scratch
}

// worker is a worker process as the pool sees it.
type worker struct {
	*child

	// Guarded by the pool's mu.
	outstanding []*chunk // sent (or being sent) and not answered, in order
	sendq       [][]byte // frames waiting to be written
	sending     bool     // a goroutine is writing sendq
	assigned    int      // tasks sent in the worker's life
	retiring    bool     // gets no more tasks
	closeInput  bool     // its input is to be closed once sendq is written
	inputClosed bool
	depth       int // how many tasks it may hold: 1, or more while its tasks are fast
}

// chunk is one task: a call of a function on one or more arguments (a
// chunk of a Map), sent to one worker.
type chunk struct {
	id    uint64
	frame []byte // the task frame
	n     int    // arguments
	index int    // of the first argument in its job
	job   job

	w        *worker // guarded by the pool's mu: its worker, nil while queued
	finished bool    // guarded by the pool's mu: delivered or abandoned
}

// job receives the outcome of its chunks. deliver is called at most once
// per chunk, without the pool's lock.
type job interface {
	deliver(c *chunk, rs *results)
}

// NewPool starts a pool of n worker processes; n == 0 means one per CPU
// (Python's processes=None), a negative n is [latchkey.ErrInvalid]. ctx
// bounds the start-up, as does a 30 s limit for a worker's [Main] to
// answer (see [Process.Start]). If any worker fails to start, the others
// are stopped and the error is returned. cfg may be nil.
func NewPool(ctx context.Context, n int, cfg *PoolConfig) (*Pool, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	var c PoolConfig
	if cfg != nil {
		c = *cfg
	}
	switch {
	case n < 0:
		return nil, fmt.Errorf("proc: a pool of %d processes: %w", n, latchkey.ErrInvalid)
	case c.MaxTasksPerChild < 0:
		return nil, fmt.Errorf("proc: MaxTasksPerChild %d: %w", c.MaxTasksPerChild, latchkey.ErrInvalid)
	case c.TerminateGrace < 0:
		return nil, fmt.Errorf("proc: TerminateGrace %v: %w", c.TerminateGrace, latchkey.ErrInvalid)
	}
	if n == 0 {
		n = runtime.NumCPU()
	}
	if c.TerminateGrace == 0 {
		c.TerminateGrace = defaultGrace
	}
	p := &Pool{n: n, cfg: c, log: c.Logger, res: newResultLoop()}
	if p.log == nil {
		p.log = slog.Default()
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	chs := make([]*child, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { chs[i], errs[i] = startChild(ctx, p.spec()) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			for _, ch := range chs {
				if ch != nil {
					ch.stop()
				}
			}
			p.cancel()
			return nil, err
		}
	}
	go p.res.run()
	p.mu.Lock()
	for _, ch := range chs {
		p.addLocked(ch)
	}
	p.mu.Unlock()
	return p, nil
}

func (p *Pool) spec() childSpec {
	return childSpec{role: roleWorker, daemon: true, env: p.cfg.Env, stdout: p.cfg.Stdout, stderr: p.cfg.Stderr}
}

// Processes returns the number of worker processes the pool keeps.
func (p *Pool) Processes() int { return p.n }

// Pids returns the process ids of the current workers, in no order.
func (p *Pool) Pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	pids := make([]int, len(p.workers))
	for i, w := range p.workers {
		pids[i] = w.pid
	}
	return pids
}

// Close stops the pool taking work. Queued and running tasks complete;
// then the workers exit. Close is idempotent and does not wait: Join
// does. Python's close.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.state == stateRun {
		p.state = stateClose
	}
	flush := p.dispatchLocked()
	p.active++ // so that done below checks whether the pool is finished
	p.mu.Unlock()
	p.flush(flush)
	p.done()
	return nil
}

// Terminate stops the workers at once with SIGTERM (SIGKILL for those still
// alive after [PoolConfig.TerminateGrace]). Every task that has not
// completed fails with [ErrTerminated], its error callback running as
// usual; Python's results hang for ever instead. Terminate is idempotent
// and does not wait: Join does.
func (p *Pool) Terminate() error {
	p.mu.Lock()
	if p.state == stateTerminate {
		p.mu.Unlock()
		return nil
	}
	p.state = stateTerminate
	fails := p.drainLocked()
	for _, w := range p.workers {
		for _, c := range w.outstanding {
			if !c.finished {
				c.finished = true
				fails = append(fails, c)
			}
		}
		w.retiring = true
		terminate(w.cmd.Process)
	}
	p.cancel()
	if len(p.workers) > 0 {
		p.killTimer = time.AfterFunc(p.cfg.TerminateGrace, p.killAll)
	}
	p.active++
	p.mu.Unlock()
	fail(fails, ErrTerminated)
	p.done()
	return nil
}

func (p *Pool) killAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.workers {
		w.cmd.Process.Kill()
	}
}

// Join waits until every worker has exited and every callback has run,
// after Close or Terminate; before, it returns [ErrRunning]. If ctx ends
// first it returns ctx's error and the pool carries on; Join can be called
// again.
func (p *Pool) Join(ctx context.Context) error {
	p.mu.Lock()
	st := p.state
	p.mu.Unlock()
	if st == stateRun {
		return ErrRunning
	}
	select {
	case <-p.res.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fail delivers err as the outcome of every argument of cs.
func fail(cs []*chunk, err error) {
	for _, c := range cs {
		c.job.deliver(c, failed(c.n, err))
	}
}

// done ends a reader or a delivering call, and finishes the pool when it
// was the last after Close or Terminate.
func (p *Pool) done() {
	p.mu.Lock()
	p.active--
	last := p.active == 0 && p.state != stateRun && !p.finished
	if last {
		p.finished = true
		if p.killTimer != nil {
			p.killTimer.Stop()
		}
		p.cancel()
	}
	p.mu.Unlock()
	if last {
		p.res.stop()
	}
}

// hold keeps the pool from finishing while a call delivers outside the
// lock; release with done. It fails after Close or Terminate.
func (p *Pool) hold() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != stateRun {
		return fmt.Errorf("proc: pool not running: %w", latchkey.ErrClosed)
	}
	p.active++
	return nil
}

// submit queues chunks and hands them to idle workers.
func (p *Pool) submit(cs []*chunk) error {
	p.mu.Lock()
	switch {
	case p.state != stateRun:
		p.mu.Unlock()
		return fmt.Errorf("proc: pool not running: %w", latchkey.ErrClosed)
	case p.broken != nil:
		p.mu.Unlock()
		return p.broken
	}
	p.queue = append(p.queue, cs...)
	flush := p.dispatchLocked()
	p.mu.Unlock()
	p.flush(flush)
	return nil
}

// cancelChunks abandons chunks: queued ones are dropped, running ones have
// their ctx cancelled in the worker. Their jobs get no outcome.
func (p *Pool) cancelChunks(cs []*chunk) {
	p.mu.Lock()
	var flush []*worker
	for _, c := range cs {
		if c.finished {
			continue
		}
		c.finished = true
		if w := c.w; w != nil && !w.inputClosed {
			w.sendq = append(w.sendq, cancelFrame(c.id))
			if !w.sending {
				w.sending = true
				flush = append(flush, w)
			}
		}
	}
	p.mu.Unlock()
	p.flush(flush)
}

// queued reports whether a chunk waits in the queue, dropping abandoned
// ones from its head. Requires mu.
func (p *Pool) queued() bool {
	for p.qhead < len(p.queue) && p.queue[p.qhead].finished {
		p.queue[p.qhead] = nil
		p.qhead++
	}
	if p.qhead == len(p.queue) {
		p.queue, p.qhead = p.queue[:0], 0
		return false
	}
	return true
}

// pop takes the next chunk; queued must have returned true. Requires mu.
func (p *Pool) pop() *chunk {
	c := p.queue[p.qhead]
	p.queue[p.qhead] = nil
	p.qhead++
	if p.qhead > 64 && p.qhead > len(p.queue)/2 {
		p.queue = append(p.queue[:0], p.queue[p.qhead:]...)
		p.qhead = 0
	}
	return c
}

// pushFront puts chunks back at the head of the queue. Requires mu.
func (p *Pool) pushFront(cs []*chunk) {
	if len(cs) == 0 {
		return
	}
	q := make([]*chunk, 0, len(cs)+len(p.queue)-p.qhead)
	q = append(append(q, cs...), p.queue[p.qhead:]...)
	p.queue, p.qhead = q, 0
}

// drainLocked empties the queue and returns its unfinished chunks, marked
// finished. Requires mu.
func (p *Pool) drainLocked() []*chunk {
	var cs []*chunk
	for p.queued() {
		c := p.pop()
		c.finished = true
		cs = append(cs, c)
	}
	return cs
}

// dispatchLocked hands queued chunks to workers, idle ones first, and
// retires workers that are done; it returns the workers whose input the
// caller must flush after unlocking. Requires mu.
func (p *Pool) dispatchLocked() (flush []*worker) {
	if p.state == stateTerminate {
		return nil
	}
	// Idle workers first; then top up the fast ones, once they are down
	// to half their depth, so that their tasks go out in batches. The top
	// up deals one task per worker in turn, so that a short queue (the
	// chunks of a Map) is shared out evenly rather than prefetched by the
	// first worker.
	for _, w := range p.workers {
		if !w.retiring && len(w.outstanding) == 0 && p.queued() {
			p.assign(w, p.pop())
		}
	}
	fill := p.fill[:0]
	for _, w := range p.workers {
		if !w.retiring && len(w.outstanding) <= w.depth/2 && len(w.outstanding) < w.depth {
			fill = append(fill, w)
		}
	}
	for len(fill) > 0 && p.queued() {
		k := 0
		for _, w := range fill {
			if !p.queued() {
				break
			}
			p.assign(w, p.pop())
			if !w.retiring && len(w.outstanding) < w.depth {
				fill[k] = w
				k++
			}
		}
		fill = fill[:k]
	}
	clear(fill[:cap(fill)]) // drop the workers, which may exit
	p.fill = fill[:0]
	for _, w := range p.workers {
		if !w.retiring && p.state == stateClose && !p.queued() {
			w.retiring = true
		}
		if w.retiring && len(w.outstanding) == 0 {
			w.closeInput = true
		}
		if (len(w.sendq) > 0 || w.closeInput && !w.inputClosed) && !w.sending {
			w.sending = true
			flush = append(flush, w)
		}
	}
	return flush
}

// assign sends c to w. Requires mu.
func (p *Pool) assign(w *worker, c *chunk) {
	c.w = w
	w.outstanding = append(w.outstanding, c)
	w.sendq = append(w.sendq, c.frame)
	w.assigned++
	if p.cfg.MaxTasksPerChild > 0 && w.assigned >= p.cfg.MaxTasksPerChild {
		w.retiring = true
	}
}

// flush writes the pending frames of workers, and closes their input when
// they are retired. One goroutine at a time writes a worker's frames (the
// one that set sending), in the order they were queued.
func (p *Pool) flush(ws []*worker) {
	for _, w := range ws {
		for {
			p.mu.Lock()
			q := w.sendq
			w.sendq = nil
			if len(q) == 0 {
				w.sending = false
				closeIn := w.closeInput && !w.inputClosed
				w.inputClosed = w.inputClosed || closeIn
				p.mu.Unlock()
				if closeIn {
					w.conn.CloseWrite()
				}
				break
			}
			p.mu.Unlock()
			// An error means the worker is gone; its reader deals with it.
			bufs := net.Buffers(q)
			bufs.WriteTo(w.conn)
		}
	}
}

// addLocked adds a started worker and starts its reader. Requires mu.
func (p *Pool) addLocked(ch *child) {
	w := &worker{child: ch}
	if p.state == stateTerminate {
		w.retiring = true
		terminate(ch.cmd.Process)
	}
	p.workers = append(p.workers, w)
	p.active++
	go p.read(w)
}

// read receives a worker's results until it exits, then settles its
// tasks and replaces it. Results that arrive together are settled together,
// with one dispatch: the worker's next tasks go out in one write.
func (p *Pool) read(w *worker) {
	var batch []taskResult
	for {
		typ, payload, err := readFrame(w.r)
		if err != nil {
			break
		}
		var res taskResult
		if typ == msgResult {
			res.id, res.us, res.rs, err = parseResult(payload, w.pid)
		} else {
			err = fmt.Errorf("%w: frame type %d", errMalformed, typ)
		}
		if err != nil {
			p.log.Error("proc: bad frame from pool worker; killing it", "pid", w.pid, "err", err)
			w.cmd.Process.Kill()
			break
		}
		batch = append(batch, res)
		if w.r.Buffered() == 0 || len(batch) == maxPrefetch {
			p.settle(w, batch)
			clear(batch)
			batch = batch[:0]
		}
	}
	p.settle(w, batch)
	p.exit(w)
}

// taskResult is a result frame from a worker.
type taskResult struct {
	id uint64
	us uint32
	rs *results
}

// settle delivers results from w, after sending w its next tasks.
func (p *Pool) settle(w *worker, batch []taskResult) {
	if len(batch) == 0 {
		return
	}
	deliver := make([]*chunk, len(batch))
	p.mu.Lock()
	for i, res := range batch {
		j := slices.IndexFunc(w.outstanding, func(c *chunk) bool { return c.id == res.id })
		if j < 0 {
			continue
		}
		c := w.outstanding[j]
		w.outstanding = slices.Delete(w.outstanding, j, j+1)
		if !c.finished {
			c.finished = true
			deliver[i] = c
		}
	}
	w.depth = taskDepth(batch[len(batch)-1].us)
	flush := p.dispatchLocked()
	p.mu.Unlock()
	p.flush(flush)
	for i, c := range deliver {
		switch {
		case c == nil:
		case batch[i].rs.n != c.n:
			fail([]*chunk{c}, fmt.Errorf("%w: %d results for %d arguments", errMalformed, batch[i].rs.n, c.n))
		default:
			c.job.deliver(c, batch[i].rs)
		}
	}
}

// taskDepth returns how many tasks a worker whose last task ran for us
// microseconds may hold: about fastTask's worth.
func taskDepth(us uint32) int {
	if us >= fastTask {
		return 1
	}
	return min(maxPrefetch, fastTask/(int(us)+1))
}

// exit settles the tasks of a worker that has exited and replaces it.
func (p *Pool) exit(w *worker) {
	code := w.wait()
	w.conn.Close()
	p.mu.Lock()
	p.workers = slices.DeleteFunc(p.workers, func(x *worker) bool { return x == w })
	lost := w.outstanding
	w.outstanding = nil
	// The worker ran its tasks in order: the first unanswered one was
	// running, the others had not started and go back to the queue.
	var died *chunk
	var requeue []*chunk
	for i, c := range lost {
		c.w = nil
		switch {
		case c.finished:
		case i == 0:
			c.finished = true
			died = c
		default:
			requeue = append(requeue, c)
		}
	}
	p.pushFront(requeue)
	expected := p.state == stateTerminate || w.inputClosed && died == nil && code == 0
	replace := p.state == stateRun || p.state == stateClose && p.queued()
	if replace {
		p.spawning++
	}
	flush := p.dispatchLocked()
	p.mu.Unlock()
	p.flush(flush)
	if !expected {
		p.log.Warn("proc: pool worker died", "pid", w.pid, "exitcode", code)
	}
	if died != nil {
		fail([]*chunk{died}, &ExitError{Pid: w.pid, ExitCode: code})
	}
	if replace {
		p.replace()
	}
	p.done()
}

// replace starts a worker in place of one that exited.
func (p *Pool) replace() {
	var err error
retry:
	for attempt := range 3 {
		if attempt > 0 {
			t := time.NewTimer(time.Duration(attempt) * 50 * time.Millisecond)
			select {
			case <-t.C:
			case <-p.ctx.Done(): // Terminate: no process to start and kill
				t.Stop()
				break retry
			}
		}
		var ch *child
		if ch, err = startChild(p.ctx, p.spec()); err == nil {
			p.mu.Lock()
			p.spawning--
			p.addLocked(ch)
			flush := p.dispatchLocked()
			p.mu.Unlock()
			p.flush(flush)
			return
		}
		if p.ctx.Err() != nil {
			break
		}
		p.log.Error("proc: starting a pool worker", "err", err)
	}
	p.mu.Lock()
	p.spawning--
	var fails []*chunk
	if len(p.workers) == 0 && p.spawning == 0 && p.state != stateTerminate {
		p.broken = fmt.Errorf("%w: %w", ErrBroken, err)
		fails = p.drainLocked()
	}
	broken := p.broken
	p.mu.Unlock()
	fail(fails, broken)
}

// resultLoop is the pool's result goroutine: it runs callbacks one at a
// time, in the order they were pushed.
type resultLoop struct {
	mu      sync.Mutex
	q       []func() // guarded by mu
	stopped bool     // guarded by mu
	wake    chan struct{}
	done    chan struct{} // closed when run returns
}

func newResultLoop() *resultLoop {
	return &resultLoop{wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (l *resultLoop) push(f func()) {
	l.mu.Lock()
	l.q = append(l.q, f)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *resultLoop) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *resultLoop) run() {
	defer close(l.done)
	for {
		l.mu.Lock()
		q, stopped := l.q, l.stopped
		l.q = nil
		l.mu.Unlock()
		for _, f := range q {
			f()
		}
		if len(q) == 0 {
			if stopped {
				return
			}
			<-l.wake
		}
	}
}
