// Command printers shows a lock turning concurrent work into serial work:
// three workers share one output, and each holds a [local.Lock] while it
// prints, so each worker's lines come out as one block.
//
// It mirrors seeds 001 (多进程的同步, "work(n, lock)": "is running" ...
// "is done") and 003 (互斥锁, "task(name, lock)": "name 1", "name 2",
// "name 3" with a sleep between them), where multiprocessing.Process
// workers compete for the terminal. With -nolock the workers print without
// the lock, as in the seeds' first version: every line still comes out
// whole, but the workers' lines interleave (more visibly with a -delay).
//
// Workers take the lock in the order they ask for it (local.Lock is FIFO),
// but which worker asks first is up to the scheduler, so the order of the
// blocks varies from run to run.
//
// This version uses goroutines and package local; examples/procprinters is
// the same program with child processes sharing a lock in shared memory
// (packages proc and shm).
//
// Usage:
//
//	go run ./examples/printers [-workers 3] [-lines 3] [-delay 200ms] [-nolock]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/latchkey/latchkey/examples/internal/children"
	"github.com/latchkey/latchkey/local"
)

// config is what the flags choose.
type config struct {
	workers int           // number of workers (≥ 1)
	lines   int           // numbered lines each worker prints (≥ 0)
	delay   time.Duration // pause after each line (the seeds' time.sleep)
	noLock  bool          // print without the lock
}

func main() {
	var cfg config
	flag.IntVar(&cfg.workers, "workers", 3, "number of workers")
	flag.IntVar(&cfg.lines, "lines", 3, "numbered lines each worker prints")
	flag.DurationVar(&cfg.delay, "delay", 200*time.Millisecond, "pause after each line")
	flag.BoolVar(&cfg.noLock, "nolock", false, "print without the lock: lines of different workers interleave")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "printers:", err)
		os.Exit(1)
	}
}

// run starts cfg.workers workers that print to w, and waits for them.
func run(ctx context.Context, w io.Writer, cfg config) error {
	if cfg.workers < 1 || cfg.lines < 0 || cfg.delay < 0 {
		return fmt.Errorf("invalid settings: %d workers, %d lines, delay %v", cfg.workers, cfg.lines, cfg.delay)
	}
	// out writes each line with one Write call under its own mutex, as a
	// terminal does: lines stay whole, but nothing keeps a worker's lines
	// together. That is the lock's job.
	out := &lineWriter{w: w}
	var mu local.Lock
	errs := make([]error, cfg.workers)
	var wg sync.WaitGroup
	for i := range cfg.workers {
		wg.Go(func() {
			name := fmt.Sprintf("worker %d", i)
			if cfg.noLock {
				errs[i] = task(ctx, out, name, cfg)
				return
			}
			errs[i] = locked(ctx, &mu, func() error { return task(ctx, out, name, cfg) })
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// locked runs body with mu held: Python's "lock.acquire(); ...;
// lock.release()", with the release also on the error path.
func locked(ctx context.Context, mu *local.Lock, body func() error) (err error) {
	if _, err := mu.Lock(ctx); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, mu.Unlock(ctx)) }()
	return body()
}

// task is the seeds' worker: it announces itself, prints cfg.lines
// numbered lines with a pause after each, and says it is done.
// It stops with ctx's error once ctx is done.
func task(ctx context.Context, out *lineWriter, name string, cfg config) error {
	if err := out.printf(ctx, "%s is running\n", name); err != nil {
		return err
	}
	for i := 1; i <= cfg.lines; i++ {
		if err := out.printf(ctx, "%s %d\n", name, i); err != nil {
			return err
		}
		if err := children.Pause(ctx, cfg.delay); err != nil {
			return err
		}
	}
	return out.printf(ctx, "%s is done\n", name)
}

// lineWriter writes formatted lines to w, one at a time.
type lineWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

// printf formats one line and writes it with one Write call, unless ctx
// is done.
func (lw *lineWriter) printf(ctx context.Context, format string, args ...any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	line := fmt.Sprintf(format, args...)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	_, err := io.WriteString(lw.w, line)
	return err
}
