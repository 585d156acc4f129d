package remotemgr_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/conformance"
	"github.com/latchkey/latchkey/internal/reexec"
	"github.com/latchkey/latchkey/internal/remotemgr"
	"github.com/latchkey/latchkey/local"
)

const roleEnv = "LATCHKEY_REMOTEMGR_TEST_ROLE"

// TestMain serves calls when the test binary is re-executed as a child,
// and runs the tests (checking for leaked goroutines) otherwise.
func TestMain(m *testing.M) {
	reexec.Main(m, roleEnv, func(string) int {
		if err := remotemgr.Serve(openLocal); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		return 0
	})
}

// openLocal is the children's backend: a local.Manager per spec, in this
// process only. A spec of "pid" is a Manager whose Value starts at the
// child's pid, so that a test can see where a handle lives.
func openLocal(spec string) (latchkey.Manager, error) {
	m := local.NewManager()
	if spec == "pid" {
		v, err := m.Value(context.Background(), "pid")
		if err != nil {
			return nil, err
		}
		if err := v.Store(context.Background(), int64(os.Getpid())); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func startPool(t *testing.T, n int) *remotemgr.Pool {
	t.Helper()
	p, err := remotemgr.Start(n, func() *exec.Cmd {
		cmd := reexec.Command(roleEnv + "=child")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// newManager opens a manager for spec on p's children, closed when the
// test ends.
func newManager(t *testing.T, p *remotemgr.Pool, spec string) *remotemgr.Manager {
	t.Helper()
	m, err := p.Manager(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestConformanceOneChild runs the proxied groups of the suite on a local
// manager in one child: every object and contender is in that child, so
// what is checked is the proxy (errors, cancellation, deadlines, NaN,
// callbacks), not sharing.
func TestConformanceOneChild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	p := startPool(t, 1)
	unproxied := []string{"Dict", "List", "Namespace", "Manager"}
	conformance.Run(t, conformance.Backend{
		New: func(t *testing.T) latchkey.Manager {
			_, rest, _ := strings.Cut(t.Name(), "/")
			group, _, _ := strings.Cut(rest, "/")
			if slices.Contains(unproxied, group) {
				t.Skipf("remotemgr has no %s proxy", group)
			}
			m, err := p.Manager(t.Context(), "")
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
	})
}

// TestSpread: consecutive opens go to consecutive children.
func TestSpread(t *testing.T) {
	m := newManager(t, startPool(t, 3), "pid")
	var pids []int64
	for range 4 {
		v, err := m.Value(t.Context(), "pid")
		if err != nil {
			t.Fatal(err)
		}
		pid, err := v.Load(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if pids[0] == pids[1] || pids[1] == pids[2] || pids[0] == pids[2] || pids[3] != pids[0] || slices.Contains(pids, int64(os.Getpid())) {
		t.Fatalf("handles' processes = %v; want three distinct children, then the first again", pids)
	}
}

// TestCancelWaits: a cancelled call returns once the child has given up,
// with the ctx's error.
func TestCancelWaits(t *testing.T) {
	m := newManager(t, startPool(t, 1), "")
	l, err := m.Lock(t.Context(), "l")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lock(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := l.Lock(ctx)
		done <- err
	}()
	waitFor(t, func() bool { n, _ := m.Waiters(t.Context(), "l"); return n == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Lock = %v; want context.Canceled", err)
	}
	if n, err := m.Waiters(t.Context(), "l"); n != 0 || err != nil {
		t.Fatalf("Waiters after the cancel = %d, %v; want 0", n, err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), time.Millisecond)
	defer cancel()
	if _, err := l.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock past its deadline = %v; want context.DeadlineExceeded", err)
	}
}

// TestChildDies: a call in flight when its child dies fails, and so do
// later calls; nothing hangs.
func TestChildDies(t *testing.T) {
	p := startPool(t, 1)
	m, err := p.Manager(t.Context(), "pid")
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.Value(t.Context(), "pid")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := v.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Lock(t.Context(), "l")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lock(t.Context()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := l.Lock(t.Context())
		done <- err
	}()
	waitFor(t, func() bool { n, _ := m.Waiters(t.Context(), "l"); return n == 1 })
	proc, err := os.FindProcess(int(pid))
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("Lock in flight when its child died succeeded")
	}
	if _, err := v.Load(t.Context()); err == nil {
		t.Fatal("Load on a dead child succeeded")
	}
	if err := m.Close(); err == nil {
		t.Fatal("Close on a dead child succeeded")
	}
	if err := p.Close(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Pool.Close after a child was killed = %v; want its exit status", err)
	}
}

// TestCallbacks: a barrier's Action runs in the parent, once, and its
// error keeps its identity.
func TestCallbacks(t *testing.T) {
	m := newManager(t, startPool(t, 1), "")
	errAction := errors.New("action failed")
	ran := 0
	b, err := m.Barrier(t.Context(), "b", 1, &latchkey.BarrierOptions{Action: func() error { ran++; return errAction }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Wait(t.Context()); !errors.Is(err, errAction) || !errors.Is(err, latchkey.ErrBrokenBarrier) {
		t.Fatalf("Wait with a failing action = %v; want the action's error and ErrBrokenBarrier", err)
	}
	if ran != 1 {
		t.Fatalf("action ran %d times; want 1", ran)
	}
}

// TestBadArgument: a value that cannot cross is an error, not a panic.
func TestBadArgument(t *testing.T) {
	m := newManager(t, startPool(t, 1), "")
	if _, err := m.Condition(t.Context(), "c", new(local.Lock)); err == nil {
		t.Fatal("Condition bound to a lock of this process succeeded")
	}
}

// waitFor polls cond until it holds, for up to 20 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 20s")
		}
		<-tick.C
	}
}
