package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/latchkey/latchkey/proc"
	"github.com/latchkey/latchkey/shm"
)

// TestMain lets the test binary be the children (proc.Main runs their
// function and exits), then runs the tests with a goroutine leak check.
func TestMain(m *testing.M) {
	proc.Main()
	// A binary built with -race sleeps a second at exit unless told not
	// to; children inherit this.
	if _, ok := os.LookupEnv("GORACE"); !ok {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	goleak.VerifyTestMain(m)
}

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
// output going to a file, and returns the output and run's error. It
// checks that run removed its shared-memory objects.
func runToFile(t *testing.T, ctx context.Context, cfg config) (string, error) {
	t.Helper()
	if cfg.dir == "" {
		cfg.dir = t.TempDir()
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	runErr := run(ctx, out, cfg)
	data, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	checkRemoved(t, cfg.dir)
	return string(data), runErr
}

// checkRemoved checks that dir holds no shared-memory object.
func checkRemoved(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("run left %s in the shm directory", e.Name())
	}
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
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
			out, err := runToFile(t, t.Context(), cfg)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out)
			}
			checkBlocks(t, splitLines(out), cfg)
		})
	}
}

// TestRunNoLock checks that without the lock every worker still prints all
// its lines, in order. Whether they interleave is up to the OS.
func TestRunNoLock(t *testing.T) {
	cfg := config{workers: 3, lines: 20, noLock: true}
	out, err := runToFile(t, t.Context(), cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	lines := splitLines(out)
	if len(lines) != cfg.workers*(cfg.lines+2) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), cfg.workers*(cfg.lines+2), out)
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
	out, err := runToFile(t, t.Context(), cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	t.Logf("output:\n%s", out)
	lines := splitLines(out)
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
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg := config{workers: 3, lines: 3, delay: time.Hour, dir: dir}
	done := make(chan error, 1)
	go func() { done <- run(ctx, out, cfg) }()

	// Poll the output until the first worker has printed its first
	// numbered line: it then pauses for an hour, holding the lock.
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		data, err := os.ReadFile(out.Name())
		if err != nil {
			t.Fatal(err)
		}
		if lines := splitLines(string(data)); len(lines) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("no worker printed two lines in 20s; output: %q", data)
		}
		select {
		case <-tick.C:
		case err := <-done:
			t.Fatalf("run returned %v before it was cancelled", err)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run = %v, want context.Canceled", err)
	}
	data, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	lines := splitLines(string(data))
	if len(lines) != 2 {
		t.Fatalf("output = %q, want the first two lines of one worker", lines)
	}
	i, pid, _ := workerOf(lines[0])
	if want := script(i, pid, cfg.lines)[:2]; !slices.Equal(lines, want) {
		t.Errorf("output = %q, want %q", lines, want)
	}
	checkRemoved(t, dir)
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out, err := runToFile(t, ctx, config{workers: 3, lines: 3})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run with a cancelled ctx = %v, want context.Canceled", err)
	}
	if out != "" {
		t.Errorf("run with a cancelled ctx printed %q", out)
	}
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
