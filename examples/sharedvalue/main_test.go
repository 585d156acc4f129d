package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/examples/internal/children"
	"github.com/latchkey/latchkey/examples/internal/childtest"
	"github.com/latchkey/latchkey/proc"
	"github.com/latchkey/latchkey/shm"
)

// TestMain lets the test binary be the children (proc.Main runs their
// function and exits), then runs the tests with a goroutine leak check.
func TestMain(m *testing.M) { childtest.Main(m) }

// newManager returns a manager on a new shm directory, and the directory,
// with the counting processes' barrier, "start", created.
func newManager(t *testing.T) (*shm.Manager, string) {
	t.Helper()
	dir := t.TempDir()
	m, err := shm.NewManager(&shm.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if _, err := m.OpenBarrier(t.Context(), "start", workers, nil); err != nil {
		t.Fatal(err)
	}
	return m, dir
}

func TestRun(t *testing.T) {
	const n = 20_000
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(t.Context(), &out, dir, n); err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Logf("output:\n%s", &out)
	childtest.CheckRemoved(t, dir)

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8 {
		t.Fatalf("got %d lines, want 8:\n%s", len(lines), &out)
	}
	// The seed's output: what the child stored, read by the parent.
	for i, want := range []string{
		"num.value = 3.1415927",
		"arr[:]    = [0 -1 -2 -3 -4 -5 -6 -7 -8 -9]",
		"",
		fmt.Sprintf("2 processes add 1 to a shared number %d times each (%d in all):", n, workers*n),
	} {
		if lines[i] != want {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], want)
		}
	}

	scan := func(line, format string, args ...any) {
		t.Helper()
		if _, err := fmt.Sscanf(line, format, args...); err != nil {
			t.Fatalf("line %q does not match %q: %v", line, format, err)
		}
	}
	const want = workers * n
	for i, mode := range modes {
		line := lines[4+i]
		var total, lost int64
		switch mode {
		case rawLoadStore, lockedLoadStore:
			scan(line, mode+": %d (%d updates lost)", &total, &lost)
			if total < 1 || total > want || total+lost != want {
				t.Errorf("%s: total %d, lost %d; want a total in [1, %d] and total+lost = %d", mode, total, lost, want, want)
			}
		default:
			scan(line, mode+": %d", &total)
			if total != want {
				t.Errorf("%s: total %d, want %d", mode, total, want)
			}
		}
	}
}

// TestLostUpdates checks that the two Load-then-Store ways, with and
// without the Value's lock, do lose updates when two processes count at
// once. Whether they do in one run depends on the scheduler, so it tries a
// few times.
func TestLostUpdates(t *testing.T) {
	const n = 20_000
	for _, mode := range []string{rawLoadStore, lockedLoadStore} {
		t.Run(mode, func(t *testing.T) {
			m, dir := newManager(t)
			for try := range 5 {
				args := countArgs{Dir: dir, Value: fmt.Sprint("counter", try), Barrier: "start", Mode: mode, N: n}
				got, err := countWith(t.Context(), m, args)
				if err != nil {
					t.Fatalf("countWith: %v", err)
				}
				if got < workers*n {
					t.Logf("%d of %d updates lost", workers*n-got, workers*n)
					return
				}
			}
			t.Errorf("no update was lost in 5 runs of %d increments", workers*n)
		})
	}
}

// TestChildFails checks that a counting process that fails makes the run
// fail with its error, and that its partner, left waiting at the barrier,
// is terminated rather than waited for.
func TestChildFails(t *testing.T) {
	m, dir := newManager(t)
	good := countArgs{Dir: dir, Value: "counter", Barrier: "start", Mode: rawAdd, N: 1}
	// The bad process opens the raw counter as a Value with a lock, which
	// fails with ErrMismatch before the barrier: the good process waits
	// there for a partner that never comes.
	bad := good
	bad.Mode = lockedGetLock
	ps := []*proc.Process[countArgs, struct{}]{
		proc.NewProcess(countChild, good, &proc.ProcessConfig{Name: "good", Daemon: true}),
		proc.NewProcess(countChild, bad, &proc.ProcessConfig{Name: "bad", Daemon: true}),
	}
	if _, err := shm.OpenValue[int64](t.Context(), m, "counter", options(rawAdd)); err != nil {
		t.Fatal(err)
	}
	if err := children.StartAll(t.Context(), ps...); err != nil {
		t.Fatal(err)
	}
	err := children.JoinAll(t.Context(), ps...)
	if !errors.Is(err, latchkey.ErrMismatch) || !strings.HasPrefix(err.Error(), "bad: ") || strings.Contains(err.Error(), "good:") {
		t.Fatalf("JoinAll = %v, want the bad process's ErrMismatch only", err)
	}
	for _, p := range ps {
		if p.IsAlive() {
			t.Errorf("%s is still running", p.Name())
		}
	}
	if code, _ := ps[0].ExitCode(); code != -15 {
		t.Errorf("the good process's exit code is %d, want -15 (terminated)", code)
	}
}

func TestRunCancelled(t *testing.T) {
	dir := t.TempDir()
	childtest.RunCancelled(t, func(ctx context.Context, out *os.File) error {
		return run(ctx, out, dir, 10)
	})
	childtest.CheckRemoved(t, dir)
}

func TestCountUnknownMode(t *testing.T) {
	err := count(t.Context(), countArgs{Dir: t.TempDir(), Value: "v", Barrier: "b", Mode: "sideways", N: 1})
	if !errors.Is(err, latchkey.ErrInvalid) {
		t.Fatalf("count with an unknown mode = %v, want ErrInvalid", err)
	}
}

func TestRunNegative(t *testing.T) {
	if err := run(t.Context(), new(bytes.Buffer), t.TempDir(), -1); err == nil {
		t.Fatal("run with n = -1 succeeded")
	}
}
