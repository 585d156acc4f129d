//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/examples/internal/childtest"
)

// TestMain lets the test binary be the pool's workers (proc.Main runs
// their tasks and exits), then runs the tests with a goroutine leak check.
func TestMain(m *testing.M) { childtest.Main(m) }

// checkOutput checks run's output for cfg: every task's lines in order,
// from a worker process whose parent is this one; each task's callback,
// in this process, after the task's lines; the results the callbacks
// collected, in the order they ran; the map's result.
func checkOutput(t *testing.T, lines []string, cfg config) {
	t.Helper()
	me := os.Getpid()
	if want := cfg.tasks*5 + 3; len(lines) != want {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), want, strings.Join(lines, "\n"))
	}
	workers := map[int]bool{}
	var collected []string // the callbacks' results, in the order they printed them
	for i := range cfg.tasks {
		prefix := fmt.Sprintf("task %d: ", i)
		var mine []string
		last := -1
		for j, l := range lines {
			if strings.HasPrefix(l, prefix) {
				mine = append(mine, l)
				last = j
			}
		}
		if len(mine) != 4 {
			t.Fatalf("task %d printed %q, want 4 lines", i, mine)
		}
		var pid, ppid int
		if _, err := fmt.Sscanf(mine[0], prefix+"in a pool process: pid=%d, ppid=%d", &pid, &ppid); err != nil {
			t.Fatalf("task %d's first line %q: %v", i, mine[0], err)
		}
		if pid == me || ppid != me {
			t.Errorf("task %d ran in process %d, child of %d; want a child of this process, %d", i, pid, ppid, me)
		}
		workers[pid] = true
		if want := []string{prefix + "0", prefix + "1", prefix + "2"}; !slices.Equal(mine[1:], want) {
			t.Errorf("task %d printed %q, want %q after its first line", i, mine[1:], want)
		}

		callback := fmt.Sprintf("callback for task %d: pid=%d, args=over %d", i, me, i)
		at := slices.Index(lines, callback)
		if at < 0 {
			t.Errorf("no line %q", callback)
		} else if at < last {
			t.Errorf("the callback of task %d printed before the task's last line:\n%s", i, strings.Join(lines, "\n"))
		}
	}
	if len(workers) > cfg.workers {
		t.Errorf("the tasks ran in %d processes, more than the pool's %d", len(workers), cfg.workers)
	}
	for _, l := range lines {
		var task int
		if _, err := fmt.Sscanf(l, "callback for task %d:", &task); err == nil {
			collected = append(collected, fmt.Sprintf("over %d", task))
		}
	}
	tail := lines[len(lines)-3:]
	for i, want := range []string{
		fmt.Sprintf("main process: pid=%d", me),
		fmt.Sprintf("callbacks collected %q", collected),
		"map(square, range(10)) = [0 1 4 9 16 25 36 49 64 81]",
	} {
		if tail[i] != want {
			t.Errorf("line %d = %q, want %q", len(lines)-2+i, tail[i], want)
		}
	}
}

func TestRun(t *testing.T) {
	for _, cfg := range []config{
		{workers: 3, tasks: 3},
		{workers: 2, tasks: 7},
		{workers: 1, tasks: 0},
		{workers: 3, tasks: 3, delay: time.Millisecond},
	} {
		t.Run(fmt.Sprintf("%dx%d,%v", cfg.workers, cfg.tasks, cfg.delay), func(t *testing.T) {
			out := childtest.OutFile(t)
			if err := run(t.Context(), out, cfg); err != nil {
				t.Fatalf("run: %v", err)
			}
			lines := childtest.ReadLines(t, out)
			t.Logf("output:\n%s", strings.Join(lines, "\n"))
			checkOutput(t, lines, cfg)
		})
	}
}

// TestRunCancelWhileRunning cancels the run while every task sleeps: run
// returns context.Canceled, and the pool's workers are gone.
func TestRunCancelWhileRunning(t *testing.T) {
	out := childtest.OutFile(t)
	cfg := config{workers: 2, tasks: 2, delay: time.Hour}
	lines := childtest.CancelWhen(t, out,
		func(ctx context.Context) error { return run(ctx, out, cfg) },
		"both tasks print their 0 and sleep",
		func(lines []string) bool {
			return slices.Contains(lines, "task 0: 0") && slices.Contains(lines, "task 1: 0")
		})
	if len(lines) != 4 {
		t.Fatalf("output = %q, want the first two lines of each task", lines)
	}
	for _, l := range lines {
		var task, pid, ppid int
		if _, err := fmt.Sscanf(l, "task %d: in a pool process: pid=%d, ppid=%d", &task, &pid, &ppid); err != nil {
			continue
		}
		// The pool has reaped its workers: the pid is gone.
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("worker %d of task %d: kill(pid, 0) = %v, want ESRCH", pid, task, err)
		}
	}
}

func TestRunCancelled(t *testing.T) {
	childtest.RunCancelled(t, func(ctx context.Context, out *os.File) error {
		return run(ctx, out, config{workers: 2, tasks: 2})
	})
}

func TestRunInvalid(t *testing.T) {
	for _, cfg := range []config{
		{workers: 0, tasks: 3},
		{workers: 3, tasks: -1},
		{workers: 3, tasks: 3, delay: -time.Second},
	} {
		if err := run(t.Context(), os.Stdout, cfg); err == nil {
			t.Errorf("run(%+v) succeeded", cfg)
		}
	}
}
