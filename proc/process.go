package proc

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// ProcessConfig configures a [Process]. The zero value (or a nil pointer)
// is a non-daemon child named "Process-N" that shares this program's
// standard output and error.
type ProcessConfig struct {
	// Name is the process's name, as Python's Process.name; empty means
	// "Process-N" with N counting the processes of this program from 1.
	Name string
	// Daemon makes the child die with this program. On Linux the kernel
	// kills it (SIGKILL) the moment its parent exits, however the parent
	// ends (PR_SET_PDEATHSIG). The kernel ties that signal to the thread
	// that started the child, not the process; proc starts children from
	// a fresh goroutine that is never locked to its thread, and the Go
	// runtime only ends locked threads, so the child dies with the
	// process. On other Unix systems a daemon child exits when its
	// connection to the parent closes. A non-daemon child (false, Python's default) keeps
	// running when the parent exits and its result is lost; its function's
	// ctx is cancelled then, so it can stop early if it wants to. Go has no
	// exit handlers, so unlike Python the parent's exit does not wait for
	// non-daemon children: Join them before main returns.
	Daemon bool
	// Conns are ends of pipes (see [Pipe]) handed to the child, where
	// [InheritedConn](i) returns Conns[i]. They are moved, not copied: a
	// successful Start closes this program's copies, so that the peer sees
	// end of file when the child closes its copy or exits (in Python you
	// must close them yourself, or the peer never sees EOF).
	Conns []*Conn
	// Env holds extra environment variables ("KEY=value") for the child,
	// which otherwise inherits this program's environment.
	Env []string
	// Stdout and Stderr receive the child's output; nil means this
	// program's os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
}

var processCount atomic.Int64

// Process is a registered function running in a child process, Python's
// multiprocessing.Process: create it with [NewProcess], then Start, Join,
// Terminate or Kill it, and read its ExitCode and Result. The child is this
// binary started again; see [Main].
//
// A Process is safe for concurrent use. Its exit synchronizes before the
// return of Join and before Done's channel is closed.
type Process[A, R any] struct {
	f    Func[A, R]
	arg  A
	cfg  ProcessConfig
	name string
	done chan struct{} // closed when the child has exited and been reaped

	mu      sync.Mutex // guards started, ch, and the outcome below
	started bool
	ch      *child
	res     R
	err     error
	code    int
}

// NewProcess returns a Process that will run f(ctx, arg) in a child process
// once started; cfg may be nil.
func NewProcess[A, R any](f Func[A, R], arg A, cfg *ProcessConfig) *Process[A, R] {
	p := &Process[A, R]{f: f, arg: arg, done: make(chan struct{})}
	if cfg != nil {
		p.cfg = *cfg
	}
	p.name = p.cfg.Name
	if p.name == "" {
		p.name = fmt.Sprintf("Process-%d", processCount.Add(1))
	}
	return p
}

// Name returns the process's name.
func (p *Process[A, R]) Name() string { return p.name }

// Start starts the child, sends it the argument, and returns once the
// child's [Main] has answered: an error here means no function runs. ctx
// bounds that wait, which covers the child's start-up (a few
// milliseconds); so does a 30 s limit, after which a child that has not
// called Main is killed and Start returns an error matching [ErrNoMain]. A second Start returns [ErrStarted]; an argument the
// codec cannot encode, or a Func registered too late, is an error and
// leaves the Process unstarted.
func (p *Process[A, R]) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.started {
		p.mu.Unlock()
		return ErrStarted
	}
	p.started = true
	p.mu.Unlock()
	ch, err := p.start(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.started = false
		return err
	}
	p.ch = ch
	for _, c := range p.cfg.Conns {
		c.Close()
	}
	go p.wait(ch)
	return nil
}

func (p *Process[A, R]) start(ctx context.Context) (*child, error) {
	if err := p.f.check(); err != nil {
		return nil, err
	}
	t := newTask(0, p.f.name, 0)
	if err := addArg(t, p.f.argc, p.arg); err != nil {
		return nil, fmt.Errorf("proc: %s: encoding the argument: %w", p.f.name, err)
	}
	task, err := t.done()
	if err != nil {
		return nil, err
	}
	ch, err := startChild(ctx, childSpec{
		role: roleProcess, daemon: p.cfg.Daemon, conns: p.cfg.Conns,
		env: p.cfg.Env, stdout: p.cfg.Stdout, stderr: p.cfg.Stderr,
	})
	if err != nil {
		return nil, err
	}
	// A failed write means the child died already; wait reports it.
	ch.conn.Write(task)
	return ch, nil
}

// wait reads the child's result, reaps it, and records the outcome.
func (p *Process[A, R]) wait(ch *child) {
	var rs *results
	for {
		typ, payload, err := readFrame(ch.r)
		if err != nil {
			break
		}
		if typ == msgResult && rs == nil {
			if _, _, r, err := parseResult(payload, ch.pid); err == nil && r.n == 1 {
				rs = r
			}
		}
	}
	code := ch.wait()
	ch.conn.Close()
	var res R
	var err error
	var data []byte
	if rs != nil {
		data, err = rs.next()
	}
	switch {
	case rs == nil:
		err = &ExitError{Pid: ch.pid, ExitCode: code}
	case err != nil:
	default:
		if res, err = p.f.resc.decode(data); err != nil {
			err = fmt.Errorf("proc: %s: decoding the result: %w", p.f.name, err)
		}
	}
	p.mu.Lock()
	p.res, p.err, p.code = res, err, code
	p.mu.Unlock()
	close(p.done)
}

// Join waits until the child has exited, or ctx ends. Like Python's join it
// reports nothing about the child; read ExitCode and Result. It returns
// [ErrNotStarted] before Start, and ctx's error (leaving the child
// running) if ctx ends first.
func (p *Process[A, R]) Join(ctx context.Context) error {
	if !p.isStarted() {
		return ErrNotStarted
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done returns a channel that is closed when the child has exited, like
// Python's Process.sentinel. It is never closed if the Process is never
// started.
func (p *Process[A, R]) Done() <-chan struct{} { return p.done }

func (p *Process[A, R]) isStarted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ch != nil
}

// Terminate sends the child SIGTERM, which kills a Go program that does not
// handle it: its deferred functions do not run, and its own children are
// not killed. It returns [ErrNotStarted] before Start and nil if the child
// has already exited. Python's terminate.
func (p *Process[A, R]) Terminate() error { return p.signal(terminate) }

// Kill sends the child SIGKILL, which no program can handle. Python's kill.
func (p *Process[A, R]) Kill() error { return p.signal((*os.Process).Kill) }

func (p *Process[A, R]) signal(send func(*os.Process) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil {
		return ErrNotStarted
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := send(p.ch.cmd.Process); err != nil && err != os.ErrProcessDone {
		return fmt.Errorf("proc: signalling process %d: %w", p.ch.pid, err)
	}
	return nil
}

// Pid returns the child's process id, or 0 before Start.
func (p *Process[A, R]) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil {
		return 0
	}
	return p.ch.pid
}

// IsAlive reports whether the child has been started and has not exited.
func (p *Process[A, R]) IsAlive() bool {
	if !p.isStarted() {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// ExitCode returns Python's exitcode and true once the child has exited,
// or false while it runs or before Start. The code is 0 when the function
// returned a nil error, 1 when it returned an error, 2 when it panicked,
// the status passed to os.Exit if it called it, and minus the signal's
// number when a signal killed it (-15 after Terminate, -9 after Kill).
func (p *Process[A, R]) ExitCode() (int, bool) {
	select {
	case <-p.done:
	default:
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code, true
}

// Result returns what the function returned once the child has exited
// (Python's Process has no result; the function's exception only shows in
// the exit code). The error is the function's, as a [*RemoteError]; an
// [*ExitError] matching [ErrWorkerDied] if the child ended without a
// result (a signal, os.Exit, a crash); or [ErrNotReady] while it runs or
// before Start.
func (p *Process[A, R]) Result() (R, error) {
	select {
	case <-p.done:
	default:
		var zero R
		return zero, ErrNotReady
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.res, p.err
}
