// Command pool runs functions on a pool of worker processes, a
// [proc.Pool], the counterpart of Python's multiprocessing.Pool: tasks
// submitted with [proc.ApplyAsync] and a callback that collects their
// results, then a [proc.Map].
//
// It mirrors the asynchronous part of seed 004 (异步的实现): a Pool(3) runs
// test() with apply_async and a callback, test2. test() prints its pid and
// its parent's pid, counts to three with a one-second sleep after each
// number, and returns "over"; test2 runs in the main process and prints
// its pid and the result. Here three such tasks run at once (-tasks), each
// returning "over" and its number, and the callback appends each result to
// a list as it arrives. Where the seed sleeps five seconds and hopes the
// task is done by then, the program waits for each result (AsyncResult's
// Wait, Python's r.wait()). Finally it squares 0 to 9 with Map (Python's
// pool.map) and closes the pool.
//
// The output shows what runs where: the tasks print the pids of the
// worker processes, whose parent is the main process; the callbacks print
// the main process's pid, since they run there, on the pool's result
// goroutine, one at a time. The seed's author finds its output "not quite
// right": the callback's lines come before the task's. That is Python's
// buffering: the worker's prints sit in its stdout buffer while the
// callback prints. Here the workers write straight to the main program's
// standard output (the same open file, not a pipe that the parent copies),
// one write per line, so a task's lines always come before the lines of
// its callback.
//
// The workers are this program started again (see [proc.Main]), as daemon
// children that die with it.
//
// Usage:
//
//	go run ./examples/pool [-workers 3] [-tasks 3] [-delay 200ms]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/latchkey/latchkey/examples/internal/children"
	"github.com/latchkey/latchkey/proc"
)

// config is what the flags choose.
type config struct {
	workers int           // worker processes (≥ 1)
	tasks   int           // tasks submitted with ApplyAsync (≥ 0)
	delay   time.Duration // pause after each number a task prints (the seed's time.sleep)
}

func main() {
	proc.Main() // in a pool worker: runs the tasks it is sent, then exits
	var cfg config
	flag.IntVar(&cfg.workers, "workers", 3, "worker processes")
	flag.IntVar(&cfg.tasks, "tasks", 3, "tasks submitted with ApplyAsync")
	flag.DurationVar(&cfg.delay, "delay", 200*time.Millisecond, "pause after each number a task prints")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "pool:", err)
		os.Exit(1)
	}
}

// job is the argument of test.
type job struct {
	Task  int           `json:"task"`
	Delay time.Duration `json:"delay"`
}

// The functions the workers run, registered during initialization so that
// the workers (this program, started again) know them too.
var (
	// test is the seed's test(), run in a worker process.
	test = proc.Register("pool.test", func(ctx context.Context, j job) (string, error) {
		if _, err := fmt.Printf("task %d: in a pool process: pid=%d, ppid=%d\n", j.Task, os.Getpid(), os.Getppid()); err != nil {
			return "", err
		}
		for i := range 3 {
			if _, err := fmt.Printf("task %d: %d\n", j.Task, i); err != nil {
				return "", err
			}
			if err := children.Pause(ctx, j.Delay); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("over %d", j.Task), nil
	})
	// square is the function of the Map.
	square = proc.Register("pool.square", func(ctx context.Context, x int) (int, error) {
		return x * x, nil
	})
)

// run starts a pool of cfg.workers processes that print to out, submits
// cfg.tasks tasks with a callback, waits for them, maps square over 0 to
// 9, and closes the pool. out is shared with the workers as it is (a file
// descriptor, not a pipe), so that their writes and the callbacks' reach
// it in the order they are made.
func run(ctx context.Context, out *os.File, cfg config) (err error) {
	if cfg.workers < 1 || cfg.tasks < 0 || cfg.delay < 0 {
		return fmt.Errorf("invalid settings: %d workers, %d tasks, delay %v", cfg.workers, cfg.tasks, cfg.delay)
	}
	pool, err := proc.NewPool(ctx, cfg.workers, &proc.PoolConfig{Stdout: out}) // Pool(3)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Python's terminate (and what "with Pool() as p:" does on
			// exit): stop the workers now; unfinished tasks fail.
			pool.Terminate()
		} else {
			// Python's close: no more tasks; the workers exit once idle.
			pool.Close()
		}
		// Wait for the workers to exit, however the run ended.
		err = errors.Join(err, pool.Join(context.WithoutCancel(ctx)))
	}()

	// results is filled in by the callbacks, in the order the tasks
	// complete. The callbacks run one at a time on the pool's result
	// goroutine, and each result is ready only after its callback has
	// returned, so reading results after waiting for every result is
	// race-free, without a lock.
	var results []string
	rs := make([]*proc.AsyncResult[string], cfg.tasks)
	for i := range rs {
		callback := func(s string) { // the seed's test2
			results = append(results, s)
			fmt.Fprintf(out, "callback for task %d: pid=%d, args=%s\n", i, os.Getpid(), s)
		}
		rs[i], err = proc.ApplyAsync(pool, test, job{Task: i, Delay: cfg.delay}, callback, nil)
		if err != nil {
			return err
		}
	}
	for _, r := range rs {
		// Python's time.sleep(5), done right: wait for the result itself.
		if _, err := r.Get(ctx); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(out, "main process: pid=%d\ncallbacks collected %q\n", os.Getpid(), results); err != nil {
		return err
	}

	xs := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	squares, err := proc.Map(ctx, pool, square, xs, 0) // pool.map(square, range(10))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "map(square, range(10)) = %v\n", squares)
	return err
}
