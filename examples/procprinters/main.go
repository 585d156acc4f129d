// Command procprinters is examples/printers with OS processes: three child
// processes print to one standard output, and each holds one [shm.Lock], a
// lock in shared memory, while it prints, so each process's lines come out
// as one block.
//
// It mirrors seeds 001 (多进程的同步, "work(n, lock)": "n : pid is running",
// a pause, "n : pid is done") and 003 (互斥锁, "task(name, lock)": "name 1",
// "name 2", "name 3" with a pause between them), where
// multiprocessing.Process workers share a multiprocessing.Lock and compete
// for the terminal. A Python child inherits the lock object when it is
// forked; Go cannot fork, so each child is this program started again (see
// [proc.Main]) and opens the lock by its name, which the parent passes as
// the function's argument. The lock is a file in /dev/shm whose name holds
// the parent's pid, so that two runs do not share it, and the parent
// removes it at the end.
//
// The children write straight to the parent's standard output (the same
// open file, not a pipe that the parent copies), as the seeds' processes
// do, so the order of their writes is the order of the lines. With -nolock
// they print without the lock, as in the seeds' first version: every line
// still comes out whole, but the processes' lines interleave (visibly with
// a -delay).
//
// Processes take the lock in the order they ask for it (shm.Lock is FIFO
// across processes), but which one asks first is up to the OS, so the
// order of the blocks varies from run to run. A child killed while it holds
// the lock does not leave it locked, as Python's would: the next one gets
// it with [latchkey.ErrOwnerDied], and says so.
//
// Usage:
//
//	go run ./examples/procprinters [-workers 3] [-lines 3] [-delay 200ms] [-nolock]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/examples/internal/children"
	"github.com/latchkey/latchkey/proc"
	"github.com/latchkey/latchkey/shm"
)

// config is what the flags choose.
type config struct {
	workers int           // number of child processes (≥ 1)
	lines   int           // numbered lines each child prints (≥ 0)
	delay   time.Duration // pause after each line (the seeds' time.sleep)
	noLock  bool          // print without the lock
	dir     string        // directory of the shared-memory objects; "" is /dev/shm
}

func main() {
	proc.Main() // in a child: runs the printer and exits
	var cfg config
	flag.IntVar(&cfg.workers, "workers", 3, "number of child processes")
	flag.IntVar(&cfg.lines, "lines", 3, "numbered lines each process prints")
	flag.DurationVar(&cfg.delay, "delay", 200*time.Millisecond, "pause after each line")
	flag.BoolVar(&cfg.noLock, "nolock", false, "print without the lock: lines of different processes interleave")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "procprinters:", err)
		os.Exit(1)
	}
}

// task is the argument of the printer function: what one child prints, and
// where it finds the lock.
type task struct {
	Worker int           `json:"worker"`
	Lines  int           `json:"lines"`
	Delay  time.Duration `json:"delay"`
	NoLock bool          `json:"nolock"`
	Dir    string        `json:"dir"`  // the shm directory ("" is /dev/shm)
	Lock   string        `json:"lock"` // the lock's name
}

// printer is the seeds' worker, run in a child process: it takes the lock
// (unless told not to), prints its lines to its standard output, and
// releases the lock.
var printer = proc.Register("procprinters.printer", func(ctx context.Context, t task) (struct{}, error) {
	return struct{}{}, printLines(ctx, t)
})

// run starts cfg.workers child processes that print to out under one lock,
// and waits for them. out is shared with the children as it is (a file
// descriptor, not a pipe), so that their writes reach it in the order they
// make them.
func run(ctx context.Context, out *os.File, cfg config) (err error) {
	if cfg.workers < 1 || cfg.lines < 0 || cfg.delay < 0 {
		return fmt.Errorf("invalid settings: %d workers, %d lines, delay %v", cfg.workers, cfg.lines, cfg.delay)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := shm.NewManager(&shm.Config{Dir: cfg.dir})
	if err != nil {
		return err
	}
	defer m.Close()
	// Python's "mutex = Lock()" in the parent. Opening it here creates it
	// (the children open the same name), so that the parent can remove it
	// at the end.
	name := lockName()
	if _, err := m.OpenLock(ctx, name); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, m.Remove(name)) }()

	ps := make([]*proc.Process[task, struct{}], cfg.workers)
	for i := range ps {
		t := task{Worker: i, Lines: cfg.lines, Delay: cfg.delay, NoLock: cfg.noLock, Dir: cfg.dir, Lock: name}
		ps[i] = proc.NewProcess(printer, t, &proc.ProcessConfig{
			Name:   fmt.Sprintf("worker %d", i),
			Daemon: true, // dies with this program, however it ends
			Stdout: out,
		})
	}
	if err := children.StartAll(ctx, ps...); err != nil {
		return err
	}
	return children.JoinAll(ctx, ps...)
}

// lockName is the name of this run's lock: the program's name and the
// parent's pid, unique among the runs on the host.
func lockName() string { return fmt.Sprintf("procprinters-%d", os.Getpid()) }

// printLines runs in a child: Python's "lock.acquire(); print ...;
// lock.release()", with the release also on the error path.
func printLines(ctx context.Context, t task) (err error) {
	if t.NoLock {
		return printTask(ctx, t)
	}
	m, err := shm.NewManager(&shm.Config{Dir: t.Dir})
	if err != nil {
		return err
	}
	defer m.Close()
	l, err := m.OpenLock(ctx, t.Lock)
	if err != nil {
		return err
	}
	_, err = l.Lock(ctx)
	ownerDied := errors.Is(err, latchkey.ErrOwnerDied)
	if err != nil && !ownerDied {
		return err
	}
	// Held from here on, also with ErrOwnerDied.
	defer func() { err = errors.Join(err, l.Unlock(context.WithoutCancel(ctx))) }()
	if ownerDied {
		// What the lock guards is the terminal: nothing to repair.
		if _, err := fmt.Printf("worker %d (pid %d): the previous holder died holding the lock\n", t.Worker, os.Getpid()); err != nil {
			return err
		}
	}
	return printTask(ctx, t)
}

// printTask prints the seeds' lines: the worker announces itself, prints
// t.Lines numbered lines with a pause after each, and says it is done.
// Each line is one write to standard output. It stops with ctx's error
// once ctx is done.
func printTask(ctx context.Context, t task) error {
	name := fmt.Sprintf("worker %d (pid %d)", t.Worker, os.Getpid())
	if _, err := fmt.Printf("%s is running\n", name); err != nil {
		return err
	}
	for i := 1; i <= t.Lines; i++ {
		if _, err := fmt.Printf("%s %d\n", name, i); err != nil {
			return err
		}
		if err := children.Pause(ctx, t.Delay); err != nil {
			return err
		}
	}
	_, err := fmt.Printf("%s is done\n", name)
	return err
}
