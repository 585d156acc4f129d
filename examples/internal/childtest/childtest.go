// Package childtest holds what the tests of the example programs with
// child processes share: a TestMain for a test binary that is also the
// program's children, a file for a run's output and its lines, a check
// that a run removed its shared-memory objects, and the two ways a test
// cancels a run (before it starts, and once its output shows it under
// way).
//
// A run's output goes to a file rather than a pipe or a buffer because the
// children write to it directly, as they write to the program's standard
// output (see examples/internal/children).
package childtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/latchkey/latchkey/proc"
)

// Main is the TestMain of a test binary that is also the program's
// children: in a child, [proc.Main] runs the function the child was
// started for and exits; in the parent, Main sets GORACE (unless it is
// set already) so that children built with -race do not sleep a second
// when they exit, and runs the tests with a goroutine leak check.
func Main(m *testing.M) {
	proc.Main()
	if _, ok := os.LookupEnv("GORACE"); !ok {
		os.Setenv("GORACE", "atexit_sleep_ms=0") // children inherit it
	}
	goleak.VerifyTestMain(m)
}

// OutFile returns a new file for a run's output, closed when the test
// ends.
func OutFile(t testing.TB) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// ReadLines returns the lines of the file f, none if it is empty.
func ReadLines(t testing.TB, f *os.File) []string {
	t.Helper()
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// CheckRemoved checks that dir holds no shared-memory object.
func CheckRemoved(t testing.TB, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("run left %s in the shm directory", e.Name())
	}
}

// RunCancelled calls run with a context cancelled beforehand, and checks
// that it returns context.Canceled without printing anything to out.
func RunCancelled(t testing.TB, run func(ctx context.Context, out *os.File) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out := OutFile(t)
	if err := run(ctx, out); !errors.Is(err, context.Canceled) {
		t.Fatalf("run with a cancelled ctx = %v, want context.Canceled", err)
	}
	if lines := ReadLines(t, out); len(lines) != 0 {
		t.Errorf("run with a cancelled ctx printed %q", lines)
	}
}

// CancelWhen calls run on another goroutine and cancels its context once
// ready holds for the lines of out, which it polls every few
// milliseconds. It fails the test if run returns before that or if ready
// does not hold within 20 seconds (what names what ready waits for); it
// checks that run then returns context.Canceled, and returns out's lines
// after run has returned. Whichever way it ends, run has returned by the
// time CancelWhen does.
func CancelWhen(t testing.TB, out *os.File, run func(context.Context) error, what string, ready func(lines []string) bool) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx)
		close(done) // a later receive returns at once
	}()
	// However the test ends, run has returned before CancelWhen does.
	defer func() {
		cancel()
		<-done
	}()

	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for lines := ReadLines(t, out); !ready(lines); lines = ReadLines(t, out) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in 20s; output: %q", what, lines)
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
	return ReadLines(t, out)
}
