package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/examples/internal/childtest"
	"github.com/latchkey/latchkey/proc"
	"github.com/latchkey/latchkey/shm"
)

// TestMain lets the test binary be the children (proc.Main runs their
// function and exits), then runs the tests with a goroutine leak check.
func TestMain(m *testing.M) { childtest.Main(m) }

// holdLock runs in a child: it takes the lock called name in dir and exits
// holding it.
var holdLock = proc.Register("procprinters.test.holdLock", func(ctx context.Context, where struct{ Dir, Name string }) (struct{}, error) {
	m, err := shm.NewManager(&shm.Config{Dir: where.Dir})
	if err != nil {
		return struct{}{}, err
	}
	l, err := m.OpenLock(ctx, where.Name)
	if err != nil {
		return struct{}{}, err
	}
	_, err = l.Lock(ctx)
	return struct{}{}, err
})

// runToFile runs the program with cfg (on a new shm directory), its
// output going to a file, and returns the output's lines and run's error.
// It checks that run removed its shared-memory objects.
func runToFile(t *testing.T, ctx context.Context, cfg config) ([]string, error) {
	t.Helper()
	if cfg.dir == "" {
		cfg.dir = t.TempDir()
	}
	out := childtest.OutFile(t)
	err := run(ctx, out, cfg)
	childtest.CheckRemoved(t, cfg.dir)
	return childtest.ReadLines(t, out), err
}

// script returns the lines worker i, in process pid, prints.
func script(i, pid, lines int) []string {
	name := fmt.Sprintf("worker %d (pid %d)", i, pid)
	s := []string{name + " is running"}
	for k := 1; k <= lines; k++ {
		s = append(s, fmt.Sprintf("%s %d", name, k))
	}
	return append(s, name+" is done")
}

// workerOf parses the worker number and pid at the start of line.
func workerOf(line string) (worker, pid int, ok bool) {
	_, err := fmt.Sscanf(line, "worker %d (pid %d)", &worker, &pid)
	return worker, pid, err == nil
}

// checkBlocks checks that lines are every worker's script as one block
// each, in any order of workers, each from a process of its own other than
// this one.
func checkBlocks(t *testing.T, lines []string, cfg config) {
	t.Helper()
	n := cfg.lines + 2
	if len(lines) != cfg.workers*n {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), cfg.workers*n, strings.Join(lines, "\n"))
	}
	workers := make(map[int]bool)
	pids := map[int]bool{os.Getpid(): true}
	for b := range cfg.workers {
		block := lines[b*n : (b+1)*n]
		i, pid, ok := workerOf(block[0])
		if !ok || i < 0 || i >= cfg.workers {
			t.Fatalf("block %d starts with %q, want a worker's first line", b, block[0])
		}
		if want := script(i, pid, cfg.lines); !slices.Equal(block, want) {
			t.Errorf("block %d = %q, want %q", b, block, want)
		}
		if workers[i] {
			t.Errorf("worker %d printed two blocks", i)
		}
		workers[i] = true
		if pids[pid] {
			t.Errorf("worker %d ran in process %d, which is this one or another worker's", i, pid)
		}
		pids[pid] = true
	}
}

func TestRunLocked(t *testing.T) {
	for _, cfg := range []config{
		{workers: 3, lines: 3},
		{workers: 1, lines: 0},
		{workers: 4, lines: 50},
		{workers: 3, lines: 2, delay: time.Millisecond},
	} {
		t.Run(fmt.Sprintf("%dx%d,%v", cfg.workers, cfg.lines, cfg.delay), func(t *testing.T) {
			lines, err := runToFile(t, t.Context(), cfg)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, strings.Join(lines, "\n"))
			}
			checkBlocks(t, lines, cfg)
		})
	}
}

// TestRunNoLock checks that without the lock every worker still prints all
// its lines, in order. Whether they interleave is up to the OS.
func TestRunNoLock(t *testing.T) {
	cfg := config{workers: 3, lines: 20, noLock: true}
	lines, err := runToFile(t, t.Context(), cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(lines) != cfg.workers*(cfg.lines+2) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), cfg.workers*(cfg.lines+2), strings.Join(lines, "\n"))
	}
	interleaved := false
	for i := range cfg.workers {
		var mine []string
		first, last := -1, -1
		pid := 0
		for j, l := range lines {
			if w, p, ok := workerOf(l); ok && w == i {
				mine = append(mine, l)
				pid = p
				if first < 0 {
					first = j
				}
				last = j
			}
		}
		if want := script(i, pid, cfg.lines); !slices.Equal(mine, want) {
			t.Errorf("worker %d printed %q, want %q", i, mine, want)
		}
		if last-first != len(mine)-1 {
			interleaved = true
		}
	}
	t.Logf("lines of different workers interleaved: %v", interleaved)
}

// TestRunOwnerDied has a process exit holding the lock before the run:
// the first worker gets the lock with ErrOwnerDied, says so, and the run
// completes as usual.
func TestRunOwnerDied(t *testing.T) {
	dir := t.TempDir()
	where := struct{ Dir, Name string }{dir, lockName()} // the name of this process's runs
	p := proc.NewProcess(holdLock, where, &proc.ProcessConfig{Daemon: true})
	if err := p.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := p.Join(t.Context()); err != nil {
		t.Fatalf("Join: %v", err)
	}
	if _, err := p.Result(); err != nil {
		t.Fatalf("holdLock: %v", err)
	}

	cfg := config{workers: 2, lines: 2, dir: dir}
	lines, err := runToFile(t, t.Context(), cfg)
	output := strings.Join(lines, "\n")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, output)
	}
	t.Logf("output:\n%s", output)
	if len(lines) == 0 {
		t.Fatal("no output")
	}
	i, pid, _ := workerOf(lines[0])
	if want := fmt.Sprintf("worker %d (pid %d): the previous holder died holding the lock", i, pid); lines[0] != want {
		t.Fatalf("first line = %q, want %q", lines[0], want)
	}
	checkBlocks(t, lines[1:], cfg)
}

// TestRunCancelWhileRunning cancels the run while the first worker holds
// the lock in a long pause and the others wait for it: run returns
// context.Canceled after terminating every child, and removes the lock.
func TestRunCancelWhileRunning(t *testing.T) {
	cfg := config{workers: 3, lines: 3, delay: time.Hour, dir: t.TempDir()}
	out := childtest.OutFile(t)
	// The first worker has printed its first numbered line: it then
	// pauses for an hour, holding the lock.
	lines := childtest.CancelWhen(t, out,
		func(ctx context.Context) error { return run(ctx, out, cfg) },
		"a worker prints two lines",
		func(lines []string) bool { return len(lines) >= 2 })
	if len(lines) != 2 {
		t.Fatalf("output = %q, want the first two lines of one worker", lines)
	}
	i, pid, _ := workerOf(lines[0])
	if want := script(i, pid, cfg.lines)[:2]; !slices.Equal(lines, want) {
		t.Errorf("output = %q, want %q", lines, want)
	}
	childtest.CheckRemoved(t, cfg.dir)
}

func TestRunCancelled(t *testing.T) {
	dir := t.TempDir()
	childtest.RunCancelled(t, func(ctx context.Context, out *os.File) error {
		return run(ctx, out, config{workers: 3, lines: 3, dir: dir})
	})
	childtest.CheckRemoved(t, dir)
}

func TestRunInvalid(t *testing.T) {
	for _, cfg := range []config{
		{workers: 0, lines: 3},
		{workers: 3, lines: -1},
		{workers: 3, lines: 3, delay: -time.Second},
	} {
		if err := run(t.Context(), os.Stdout, cfg); err == nil {
			t.Errorf("run(%+v) succeeded", cfg)
		}
	}
}
