// Package proc runs Go functions in other processes, with the semantics of
// Python's multiprocessing Process, Pool and Pipe and without their
// failure modes.
//
// # Registration and Main
//
// Go cannot send a closure to another process, so a function that runs in
// a child is registered by name during initialization, and the program
// calls [Main] first thing in main (or TestMain):
//
//	var square = proc.Register("square", func(ctx context.Context, x int) (int, error) {
//		return x * x, nil
//	})
//
//	func main() {
//		proc.Main() // in a child: runs the requested function and exits
//		p, _ := proc.NewPool(ctx, 4, nil)
//		xs, _ := proc.Map(ctx, p, square, []int{1, 2, 3}, 0)
//		...
//	}
//
// A child is this same binary (os.Executable), started again with no
// arguments and an environment variable naming its role. Its arguments and
// results travel through a [latchkey.Codec] (JSON by default) over a Unix
// socket it inherits, never through argv. Misuse is an error, not a hang:
// starting a child before Main was called is [ErrNoMain] (the child would
// run main again); a child that exits or does not answer without calling
// Main is ErrNoMain or the ctx error; a function registered after Main, or
// not registered in the child, is [ErrNotRegistered].
//
// # Python to Go
//
//	Python (multiprocessing)                       Go (package proc)
//	---------------------------------------------  -----------------------------------------------------------------------
//	def f(x): ...                                  var f = proc.Register("f", func(ctx, x X) (R, error) {...})
//	if __name__ == '__main__':                     proc.Main() first in main (or TestMain)
//	Process(target=f, args=(x,), daemon=d)         proc.NewProcess(f, x, &proc.ProcessConfig{Daemon: d})
//	p.start() / p.join(timeout)                    p.Start(ctx) / p.Join(ctx)
//	p.terminate() / p.kill()                       p.Terminate() / p.Kill()  (SIGTERM / SIGKILL)
//	p.pid / p.exitcode / p.is_alive()              p.Pid() / p.ExitCode() / p.IsAlive()
//	p.sentinel / p.name                            p.Done() / p.Name()
//	(the return value is lost)                     p.Result()
//	Pool(processes, maxtasksperchild=m)            proc.NewPool(ctx, n, &proc.PoolConfig{MaxTasksPerChild: m})
//	pool.apply(f, (x,))                            proc.Apply(ctx, pool, f, x)
//	pool.apply_async(f, (x,), callback, error_cb)  proc.ApplyAsync(pool, f, x, callback, errorCallback)
//	r.get(timeout) / wait / ready / successful     r.Get(ctx) / Wait(ctx) / Ready() / TryGet()
//	pool.map(f, xs, chunksize)                     proc.Map(ctx, pool, f, xs, chunkSize)
//	pool.map_async(f, xs, chunksize, cb, ecb)      proc.MapAsync(pool, f, xs, chunkSize, cb, ecb)
//	pool.imap(f, it, chunksize)                    proc.Imap(ctx, pool, f, seq, chunkSize)
//	pool.imap_unordered(f, it, chunksize)          proc.ImapUnordered(ctx, pool, f, seq, chunkSize)
//	pool.starmap(g, [(a, b), ...])                 proc.Starmap(ctx, pool, g, []proc.Pair[A, B]{...}, 0), g from Register2
//	pool.close() / terminate() / join()            pool.Close() / Terminate() / Join(ctx)
//	a, b = Pipe(duplex)                            a, b, err := proc.Pipe(duplex)
//	conn.send(obj) / conn.recv()                   c := proc.NewConnOf[T](conn, nil); c.Send(ctx, v) / c.Recv(ctx)
//	conn.send_bytes(b) / conn.recv_bytes()         conn.SendBytes(ctx, b) / conn.RecvBytes(ctx)
//	conn.poll(timeout) / conn.poll(0)              conn.Poll(ctx) / conn.TryPoll()
//	Process(target=f, args=(conn,))                ProcessConfig{Conns: []*proc.Conn{conn}}, proc.InheritedConn(0) in f
//	conn.close() / EOFError                        conn.Close() / io.EOF
//
// # Deliberate differences
//
//   - A pool worker that dies mid-task (SIGKILL, OOM, os.Exit) fails that
//     task with an [*ExitError] matching [ErrWorkerDied] and is replaced;
//     Python's task never completes.
//   - A callback that panics is recovered and logged, and its result's
//     error matches [ErrCallbackPanic]; Python's result thread dies and the
//     pool hangs.
//   - Terminate fails every unfinished task with [ErrTerminated] and Join
//     after it returns; Python's get hangs.
//   - Every blocking call takes a ctx, including Join. A cancelled Apply,
//     Map or Imap withdraws its tasks and cancels the function's ctx in
//     the worker.
//   - Imap reads its input as results are consumed (a bounded window);
//     Python's reads it all at once.
//   - An argument that cannot be encoded is an error returned by the
//     submitting call, not a task failure delivered later.
//   - Map and MapAsync report the error of the failed argument with the
//     lowest index; a worker runs every argument of a chunk even if one
//     fails.
//   - A process's function returns a result ([Process.Result]); its error
//     gives exit code 1 and a panic exit code 2 (Go's), where Python gives
//     1 for an uncaught exception.
//   - Ends of a pipe handed to a child are moved: the parent's copies are
//     closed when the child starts, so the peer sees EOF when the child is
//     done. In Python forgetting to close them makes recv hang for ever.
//   - A Conn is safe for concurrent use; Poll reports a whole message (or
//     EOF), so a receive after it never blocks; messages are bounded
//     ([DefaultMaxMessageSize]).
//   - Daemon children die with the parent however it ends (Linux's
//     PR_SET_PDEATHSIG); Python only terminates them at a normal exit. Go
//     has no exit handlers, so non-daemon children are not joined when main
//     returns: join them yourself.
//   - There is no initializer for pool workers, no context/start-method
//     choice (children are always started by exec, like Python's "spawn"),
//     and no Listener/Client.
//
// # Chunks
//
// [Map], [Starmap] and [Imap] cut their arguments into chunks of chunkSize
// arguments ([Map]'s default is Python's: len / (4 × workers), rounded
// up), and a chunk is one task, as in Python: its arguments travel to a
// worker in one message, encoded one after another with the function's
// codec, and its results come back in one, so a chunk costs one round
// trip whatever its size. Each argument still has its own outcome: in a
// chunk whose arguments fail and succeed in turn, Imap yields each one's
// error or result, and Map returns the error of the lowest failed index. A
// worker that dies in the middle of a chunk fails every argument of that
// chunk with [ErrWorkerDied] (the results of those it ran die with it), and
// is replaced. A chunk's encoded arguments, like its encoded results, are
// limited to 1 GiB: beyond, Map and MapAsync return [ErrMessageTooLarge]
// without submitting anything, Imap yields it for each argument of the
// chunk, and results that do not fit fail each with an error matching it.
// Use smaller chunks for larger data.
//
// # Tests
//
// A test binary starts its own children, so TestMain calls Main before
// anything else; Example functions work too, since TestMain dispatches
// before the examples run:
//
//	func TestMain(m *testing.M) {
//		proc.Main()
//		goleak.VerifyTestMain(m)
//	}
//
// A binary built with -race sleeps for a second when it exits (GORACE's
// atexit_sleep_ms), which makes every child's exit slow; set
// GORACE=atexit_sleep_ms=0 in the parent's environment, which children
// inherit.
//
// # Operating systems
//
// Processes, pools and pipes work on Unix systems; Linux is the tested
// one. Elsewhere [NewProcess]'s Start, [NewPool] and [Pipe] return
// [ErrUnsupported], and [Main] returns at once.
package proc
