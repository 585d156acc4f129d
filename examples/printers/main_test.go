package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// script returns the lines worker i prints.
func script(i, lines int) []string {
	name := fmt.Sprintf("worker %d", i)
	s := []string{name + " is running"}
	for k := 1; k <= lines; k++ {
		s = append(s, fmt.Sprintf("%s %d", name, k))
	}
	return append(s, name+" is done")
}

func splitLines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// checkBlocks checks that out is every worker's script as one block each,
// in any order of workers.
func checkBlocks(t *testing.T, out string, cfg config) {
	t.Helper()
	got := splitLines(out)
	n := cfg.lines + 2
	if len(got) != cfg.workers*n {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), cfg.workers*n, out)
	}
	seen := make(map[string]bool)
	for b := range cfg.workers {
		block := got[b*n : (b+1)*n]
		var i int
		if _, err := fmt.Sscanf(block[0], "worker %d is running", &i); err != nil || i < 0 || i >= cfg.workers {
			t.Fatalf("block %d starts with %q, want a worker's first line:\n%s", b, block[0], out)
		}
		if want := script(i, cfg.lines); !slices.Equal(block, want) {
			t.Errorf("block %d = %q, want %q", b, block, want)
		}
		if seen[block[0]] {
			t.Errorf("%s printed two blocks", block[0])
		}
		seen[block[0]] = true
	}
}

// checkInOrder checks that out has every worker's script, each in order,
// and reports whether the workers' lines interleave.
func checkInOrder(t *testing.T, out string, cfg config) (interleaved bool) {
	t.Helper()
	got := splitLines(out)
	for i := range cfg.workers {
		name := fmt.Sprintf("worker %d ", i)
		var mine []int // indices of worker i's lines
		var lines []string
		for j, l := range got {
			if strings.HasPrefix(l, name) {
				mine = append(mine, j)
				lines = append(lines, l)
			}
		}
		if want := script(i, cfg.lines); !slices.Equal(lines, want) {
			t.Errorf("worker %d printed %q, want %q", i, lines, want)
		}
		if len(mine) > 0 && mine[len(mine)-1]-mine[0] != len(mine)-1 {
			interleaved = true
		}
	}
	if len(got) != cfg.workers*(cfg.lines+2) {
		t.Errorf("got %d lines, want %d:\n%s", len(got), cfg.workers*(cfg.lines+2), out)
	}
	return interleaved
}

func TestRunLocked(t *testing.T) {
	for _, cfg := range []config{
		{workers: 3, lines: 3},
		{workers: 1, lines: 0},
		{workers: 8, lines: 100},
	} {
		t.Run(fmt.Sprintf("%dx%d", cfg.workers, cfg.lines), func(t *testing.T) {
			var out bytes.Buffer
			if err := run(t.Context(), &out, cfg); err != nil {
				t.Fatalf("run: %v", err)
			}
			checkBlocks(t, out.String(), cfg)
		})
	}
}

// TestRunDelay runs the program with the seeds' one-second pauses on a
// fake clock: with the lock each worker keeps the others waiting through
// its pauses, so the run takes workers × lines seconds and prints blocks;
// without it the workers pause together and their lines interleave.
func TestRunDelay(t *testing.T) {
	for _, noLock := range []bool{false, true} {
		t.Run(fmt.Sprintf("nolock=%v", noLock), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := config{workers: 3, lines: 3, delay: time.Second, noLock: noLock}
				var out bytes.Buffer
				start := time.Now()
				if err := run(t.Context(), &out, cfg); err != nil {
					t.Fatalf("run: %v", err)
				}
				took := time.Since(start)
				t.Logf("took %v:\n%s", took, &out)
				want := time.Duration(cfg.workers*cfg.lines) * cfg.delay
				if noLock {
					want = time.Duration(cfg.lines) * cfg.delay
					if !checkInOrder(t, out.String(), cfg) {
						t.Errorf("without the lock the workers' lines did not interleave:\n%s", &out)
					}
				} else {
					checkBlocks(t, out.String(), cfg)
				}
				if took != want {
					t.Errorf("run took %v, want %v", took, want)
				}
			})
		})
	}
}

// TestRunDeadline stops the run while one worker holds the lock and the
// others wait for it: every worker returns the deadline error, the holder
// releases the lock on its way out, and nothing is left blocked.
func TestRunDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		cfg := config{workers: 3, lines: 3, delay: time.Second}
		var out bytes.Buffer
		err := run(ctx, &out, cfg)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("run = %v, want context.DeadlineExceeded", err)
		}
		got := splitLines(out.String())
		if len(got) != 3 || !slices.Equal(got, script(0, cfg.lines)[:3]) &&
			!slices.Equal(got, script(1, cfg.lines)[:3]) && !slices.Equal(got, script(2, cfg.lines)[:3]) {
			t.Errorf("output = %q, want the first three lines of one worker", got)
		}
	})
}

func TestRunInvalid(t *testing.T) {
	for _, cfg := range []config{
		{workers: 0, lines: 3},
		{workers: 3, lines: -1},
		{workers: 3, lines: 3, delay: -time.Second},
	} {
		if err := run(t.Context(), new(bytes.Buffer), cfg); err == nil {
			t.Errorf("run(%+v) succeeded", cfg)
		}
	}
}
