package proc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// The environment that makes a started binary a child. The parent sets it;
// Main reads it and removes it, so that the child's own children start
// clean.
const (
	envRole   = "LATCHKEY_PROC_ROLE"   // roleProcess or roleWorker
	envDaemon = "LATCHKEY_PROC_DAEMON" // "1" for a daemon child
	envConns  = "LATCHKEY_PROC_CONNS"  // the directions of the inherited Conns, one letter each

	roleProcess = "process"
	roleWorker  = "worker"

	controlFD     = 3 // the control connection; inherited Conns follow it
	childBufLen   = 64 << 10
	maxKeptBuffer = 4 << 20 // a worker keeps a result buffer up to this size for the next task
)

// childConns is envConns as the child found it; InheritedConn reads it.
var childConns struct {
	sync.Mutex
	dirs  string
	conns map[int]*Conn // handed out so far
	isSet bool
}

// Main makes this program usable as a child process. Call it first thing
// in main, and in TestMain for tests that start processes:
//
//	func main() {
//		proc.Main()
//		...
//	}
//
//	func TestMain(m *testing.M) {
//		proc.Main()
//		goleak.VerifyTestMain(m)
//	}
//
// Processes and pool workers are this same binary, started again (found
// with os.Executable) with no arguments and with an environment variable
// that names their role. In such a child, Main does not return: it runs
// the function the parent asks for (a pool worker: the tasks it is sent)
// and exits. In any other program Main returns at once, having noted that
// it was called: the functions that start children refuse to do so
// before, with [ErrNoMain], since a child started from a binary whose main
// does not call Main would run that main again. Whatever main does before
// calling Main, the child does too; keep it to nothing.
//
// A child that does not call Main, or not in time, is detected: the
// parent's Start (or [NewPool]) returns an error matching [ErrNoMain], or
// the ctx error, instead of hanging.
func Main() {
	mainCalled.Store(true)
	role, ok := os.LookupEnv(envRole)
	if !ok {
		return
	}
	daemon := os.Getenv(envDaemon) == "1"
	childConns.Lock()
	childConns.dirs, childConns.isSet = os.Getenv(envConns), true
	for i := range len(childConns.dirs) {
		setCloseOnExec(controlFD + 1 + i) // not to leak into this child's children
	}
	childConns.Unlock()
	for _, k := range []string{envRole, envDaemon, envConns} {
		os.Unsetenv(k)
	}
	os.Exit(runChild(role, daemon))
}

// runChild runs the child's role and returns its exit status.
func runChild(role string, daemon bool) int {
	f, err := inheritedFile(controlFD, "latchkey-control")
	var conn *net.UnixConn
	if err == nil {
		conn, err = unixConn(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "proc: %s is set, but descriptor %d is not a latchkey control connection: %v\n", envRole, controlFD, err)
		return 2
	}
	w := bufio.NewWriterSize(conn, childBufLen)
	hello := newFrame(msgHello, 5)
	hello.u8(protoVersion)
	hello.u32(uint32(os.Getpid()))
	b, _ := hello.done()
	w.Write(b)
	if w.Flush() != nil {
		return 2 // the parent is gone
	}
	r := bufio.NewReaderSize(conn, childBufLen)
	switch role {
	case roleProcess:
		return runProcessChild(r, w, daemon)
	case roleWorker:
		return runWorker(r, w)
	}
	fmt.Fprintf(os.Stderr, "proc: unknown %s %q\n", envRole, role)
	return 2
}

// runProcessChild runs the one task of a Process child.
func runProcessChild(r *bufio.Reader, w *bufio.Writer, daemon bool) int {
	typ, p, err := readFrame(r)
	if err != nil {
		return 2 // the parent went away before sending the task
	}
	id, name, args, err := parseTask(p)
	if err == nil && (typ != msgTask || args.n != 1) {
		err = errMalformed
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "proc: child: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// The parent sends nothing more: end of file means it is gone.
		io.Copy(io.Discard, r)
		cancel()
		if daemon {
			os.Exit(1) // where PR_SET_PDEATHSIG is not there to do it
		}
	}()
	start := time.Now()
	res, err := runTask(ctx, nil, id, name, args)
	w.Write(res.done(micros(start)))
	w.Flush()
	var pe *panicError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &pe):
		fmt.Fprintf(os.Stderr, "panic: %v\n\n%s", pe.value, pe.stack)
		return 2
	}
	return 1
}

func micros(start time.Time) uint32 {
	return uint32(min(time.Since(start).Microseconds(), 1<<32-1))
}

// runTask calls the named function once per argument and returns the
// result frame, built in buf, and the error of the last call.
func runTask(ctx context.Context, buf []byte, id uint64, name string, args taskArgs) (res *resultBuilder, err error) {
	res = newResult(buf, id)
	e := lookup(name)
	for args.n > 0 {
		a := args.next()
		switch {
		case e == nil:
			err = fmt.Errorf("%w: %q is not registered in child %d; register functions during package initialization", ErrNotRegistered, name, os.Getpid())
			res.fail(err)
		case ctx.Err() != nil:
			err = context.Cause(ctx)
			res.fail(err)
		default:
			err = res.call(ctx, e, a)
		}
	}
	return res, err
}

// wtask is a task a worker has received.
type wtask struct {
	id     uint64
	name   string
	args   taskArgs
	ctx    context.Context
	cancel context.CancelFunc
}

// runWorker runs tasks one at a time until its input ends. A reader
// goroutine takes tasks and cancellations off the connection; this one
// runs the tasks in order and writes each result before it starts the
// next task.
func runWorker(r *bufio.Reader, w *bufio.Writer) int {
	tasks := make(chan *wtask, maxPrefetch+1)
	var mu sync.Mutex
	cancels := map[uint64]context.CancelFunc{} // guarded by mu: received tasks not yet answered
	go func() {
		for {
			typ, p, err := readFrame(r)
			if err != nil {
				// The pool retired this worker (it closes its end only when
				// no task is outstanding) or is gone.
				os.Exit(0)
			}
			switch typ {
			case msgTask:
				id, name, args, err := parseTask(p)
				if err != nil {
					fmt.Fprintf(os.Stderr, "proc: worker: %v\n", err)
					os.Exit(2)
				}
				ctx, cancel := context.WithCancel(context.Background())
				mu.Lock()
				cancels[id] = cancel
				mu.Unlock()
				tasks <- &wtask{id: id, name: name, args: args, ctx: ctx, cancel: cancel}
			case msgCancel:
				d := &decoder{b: p}
				id := d.u64()
				mu.Lock()
				if c := cancels[id]; c != nil {
					c()
				}
				mu.Unlock()
			default:
				fmt.Fprintf(os.Stderr, "proc: worker: unexpected frame type %d\n", typ)
				os.Exit(2)
			}
		}
	}()
	var buf []byte // the result frames, reused
	for t := range tasks {
		start := time.Now()
		res, _ := runTask(t.ctx, buf, t.id, t.name, t.args)
		mu.Lock()
		delete(cancels, t.id)
		mu.Unlock()
		t.cancel()
		// Flush before the next task: if that one kills the process, the
		// pool must have this result to know which task was running.
		w.Write(res.done(micros(start)))
		if w.Flush() != nil {
			return 0 // the pool is gone
		}
		if cap(res.b) <= maxKeptBuffer {
			buf = res.b
		}
	}
	return 0
}
