package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/bench/internal/kit"
	"github.com/latchkey/latchkey/proc"
)

// The records' peer names.
const (
	peerShm  = "latchkey-shm"
	peerProc = "latchkey-proc"
)

// bench holds the settings every figure uses.
type bench struct {
	out, log  io.Writer
	dir       string // the Manager's directory for this run
	warm, dur time.Duration
	workers   int    // pool size
	cpus      string // this process's CPUs, inherited by its children
}

// figures lists every figure in the order they run. The locked value_add
// records come before the raw ones, so that the kit's summaries, which
// pick the first record of a (bench, clients) pair, compare locked with
// locked.
var figures = []kit.Figure[*bench]{
	{Name: "lock_1", Doc: "Lock+Unlock of one shm.Lock, 1 process", Run: func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, 1) }},
	{Name: "lock_2", Doc: "Lock+Unlock of one shm.Lock, 2 processes", Run: func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, 2) }},
	{Name: "lock_4", Doc: "Lock+Unlock of one shm.Lock, 4 processes", Run: func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, 4) }},
	{Name: "lock_16", Doc: "Lock+Unlock of one shm.Lock, 16 processes", Run: func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, 16) }},
	{Name: "value_1", Doc: "Value[int64].Add(1) with its attached lock, 1 process", Run: func(ctx context.Context, b *bench) error { return b.valueAdd(ctx, 1, false) }},
	{Name: "value_2", Doc: "Value[int64].Add(1) with its attached lock, 2 processes", Run: func(ctx context.Context, b *bench) error { return b.valueAdd(ctx, 2, false) }},
	{Name: "value_4", Doc: "Value[int64].Add(1) with its attached lock, 4 processes", Run: func(ctx context.Context, b *bench) error { return b.valueAdd(ctx, 4, false) }},
	{Name: "value_raw_1", Doc: "Value[int64].Add(1) of a raw Value (one atomic add), 1 process", Run: func(ctx context.Context, b *bench) error { return b.valueAdd(ctx, 1, true) }},
	{Name: "value_raw_2", Doc: "Value[int64].Add(1) of a raw Value (one atomic add), 2 processes", Run: func(ctx context.Context, b *bench) error { return b.valueAdd(ctx, 2, true) }},
	{Name: "value_raw_4", Doc: "Value[int64].Add(1) of a raw Value (one atomic add), 4 processes", Run: func(ctx context.Context, b *bench) error { return b.valueAdd(ctx, 4, true) }},
	{Name: "queue_handoff", Doc: "64-byte ping-pong between 2 processes over 2 Queues (one-way latency)", Run: func(ctx context.Context, b *bench) error { return b.queueHandoff(ctx) }},
	{Name: "queue_throughput", Doc: "64-byte messages from 1 producer process to 1 consumer process", Run: func(ctx context.Context, b *bench) error { return b.queueThroughput(ctx) }},
	{Name: "pool_apply_async", Doc: "Pool: batches of 1000 ApplyAsync(square), then Get of all", Run: func(ctx context.Context, b *bench) error { return b.pool(ctx, false) }},
	{Name: "pool_map", Doc: "Pool: batches of Map(square) over 10,000 ints, default chunks", Run: func(ctx context.Context, b *bench) error { return b.pool(ctx, true) }},
}

func main() {
	proc.Main() // in a child process: runs its role and exits
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	kit.Exit("shmbench", err)
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// run parses args, runs the chosen figures and removes their objects.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := kit.NewCommand("shmbench", figures, stderr)
	fs := cmd.Flags
	b := &bench{out: stdout, log: stderr}
	if _, ok := stderr.(*os.File); !ok {
		b.log = &lockedWriter{w: stderr} // children's output is copied by goroutines
	}
	fs.IntVar(&b.workers, "workers", 2, "worker processes of the pool figures")
	base := fs.String("dir", "/dev/shm", "where to make the run's directory of shared objects (removed at the end)")
	chosen, ok, err := cmd.Parse(args, stdout, func() error {
		if cmd.Dur <= 0 || cmd.Warm < 0 || b.workers <= 0 {
			return errors.New("--dur and --workers must be positive, --warmup not negative")
		}
		return nil
	})
	if !ok {
		return err
	}
	b.warm, b.dur = cmd.Warm, cmd.Dur
	if err := startClock(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(*base, "latchkey-shmbench-")
	if err != nil {
		return fmt.Errorf("directory for the shared objects: %w", err)
	}
	defer os.RemoveAll(dir)
	b.dir, b.cpus = dir, cpus()
	for _, f := range chosen {
		start := time.Now()
		if err := f.Run(ctx, b); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		fmt.Fprintf(stderr, "# %s took %.1fs\n", f.Name, time.Since(start).Seconds())
	}
	return nil
}
