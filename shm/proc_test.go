//go:build linux

package shm_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

// Multi-process tests: the test binary re-executes itself in a child role
// (roles_test.go), the processes share objects by name, and children are
// killed with SIGKILL while they hold or wait.

// procTimeout bounds every wait of a multi-process test: a test that
// hangs fails instead.
const procTimeout = 20 * time.Second

// child is a running child process.
type child struct {
	role  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string   // the child's stdout, line by line; closed at EOF
	done  chan struct{} // closed when the child has been waited for
	err   error         // the child's exit status, once done is closed
}

// startChild starts the test binary in role, on the objects of dir, with
// name and n in its environment. It is killed and waited for when the
// test ends.
func startChild(t testing.TB, role, dir, name string, n int) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0", roleEnv+"="+role, dirEnv+"="+dir, nameEnv+"="+name, nEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{role: role, cmd: cmd, stdin: stdin, lines: make(chan string, 1024), done: make(chan struct{})}
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer close(c.lines)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			c.lines <- s.Text()
		}
	}()
	go func() {
		<-read
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.stdin.Close()
		c.kill()
		<-c.done
	})
	return c
}

// expect returns the child's next line, which must start with prefix.
func (c *child) expect(t testing.TB, prefix string) string {
	t.Helper()
	timer := time.NewTimer(procTimeout)
	defer timer.Stop()
	select {
	case line, ok := <-c.lines:
		if !ok {
			t.Fatalf("child %s ended before printing %q", c.role, prefix)
		}
		if !strings.HasPrefix(line, prefix) {
			t.Fatalf("child %s printed %q, want a line starting with %q", c.role, line, prefix)
		}
		return line
	case <-timer.C:
		t.Fatalf("child %s printed nothing in %v, want %q", c.role, procTimeout, prefix)
	}
	return ""
}

// kill kills the child with SIGKILL (it becomes a zombie until the test
// reaps it).
func (c *child) kill() { c.cmd.Process.Kill() }

// wait waits for the child to exit and returns its status.
func (c *child) wait(t testing.TB) error {
	t.Helper()
	timer := time.NewTimer(procTimeout)
	defer timer.Stop()
	select {
	case <-c.done:
		return c.err
	case <-timer.C:
		t.Fatalf("child still running after %v", procTimeout)
	}
	return nil
}

// procManager returns a Manager on dir with the multi-process tests'
// check interval.
func procManager(t testing.TB, dir string) *shm.Manager {
	t.Helper()
	m, err := shm.NewManager(&shm.Config{Dir: dir, CheckInterval: procInterval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// procCtx returns a context that ends after procTimeout.
func procCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), procTimeout)
	t.Cleanup(cancel)
	return ctx
}

// waitWaiters polls the object's Waiters until it is n, for up to
// procTimeout.
func waitWaiters(t testing.TB, m *shm.Manager, name string, n int) {
	t.Helper()
	var got int
	var err error
	if !poll(func() bool {
		got, err = m.Waiters(t.Context(), name)
		return err == nil && got == n
	}) {
		t.Fatalf("Waiters(%q) = %d, %v; want %d", name, got, err, n)
	}
}

func fenceOf(t testing.TB, line string) latchkey.Fence {
	t.Helper()
	f, err := strconv.ParseUint(strings.Fields(line)[1], 10, 64)
	if err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	return latchkey.Fence(f)
}

// TestProcOpenByName: a child opens the parent's Value by name, sees the
// parent's number, stores its own, and gets ErrMismatch opening the name
// as a Lock.
func TestProcOpenByName(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	v, err := shm.OpenValue[int64](ctx, m, "v", nil)
	must(t, err)
	must(t, v.Store(ctx, 7))
	c := startChild(t, "open", dir, "v", 42)
	if line := c.expect(t, "saw"); line != "saw 7, lock mismatch" {
		t.Fatalf("child: %q", line)
	}
	must(t, c.wait(t))
	if x, err := v.Load(ctx); x != 42 || err != nil {
		t.Fatalf("Load = %d, %v; want the child's 42", x, err)
	}
}

// TestProcMutualExclusion: three children and the parent increment one
// number under one Lock with a read and a write each; no update is lost.
func TestProcMutualExclusion(t *testing.T) {
	const children, n = 3, 300
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	var cs []*child
	for range children {
		cs = append(cs, startChild(t, "counter", dir, "c", n))
	}
	// The parent's share runs in two goroutines with handles of their own.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := counter(ctx, m, "c", n); err != nil {
				t.Error(err)
			}
		})
	}
	for _, c := range cs {
		c.expect(t, "done")
		must(t, c.wait(t))
	}
	wg.Wait()
	v, err := shm.OpenValue[int64](ctx, m, "c-v", &shm.Options{Raw: true})
	must(t, err)
	if x, _ := v.Load(ctx); x != (children+2)*n {
		t.Fatalf("counter = %d, want %d", x, (children+2)*n)
	}
}

// TestProcValueAdd: three children and the parent Add to Values and an
// Array; the sums are exact.
func TestProcValueAdd(t *testing.T) {
	const children, n = 3, 1000
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	var cs []*child
	for range children {
		cs = append(cs, startChild(t, "add", dir, "a", n))
	}
	must(t, addAll(ctx, m, "a", n))
	for _, c := range cs {
		c.expect(t, "done")
		must(t, c.wait(t))
	}
	const total = (children + 1) * n
	i, err := shm.OpenValue[int64](ctx, m, "a-i", nil)
	must(t, err)
	f, err := shm.OpenValue[float64](ctx, m, "a-f", &shm.Options{Raw: true})
	must(t, err)
	u, err := shm.OpenValue[uint32](ctx, m, "a-u", nil)
	must(t, err)
	a, err := shm.OpenArray[int32](ctx, m, "a-a", 3, nil)
	must(t, err)
	if x, _ := i.Load(ctx); x != total {
		t.Errorf("int64 Value = %d, want %d", x, total)
	}
	if x, _ := f.Load(ctx); x != total/2.0 {
		t.Errorf("float64 Value = %v, want %v", x, total/2.0)
	}
	if x, _ := u.Load(ctx); x != total {
		t.Errorf("uint32 Value = %d, want %d", x, total)
	}
	vs, err := a.LoadRange(ctx, 0, 3)
	must(t, err)
	if sum := vs[0] + vs[1] + vs[2]; sum != total {
		t.Errorf("Array %v sums to %d, want %d", vs, sum, total)
	}
}

// TestProcKillLockHolder: a child holding a Lock is killed; the parent's
// Lock returns a greater fence with ErrOwnerDied, and the next grant has
// no error.
func TestProcKillLockHolder(t *testing.T) {
	for _, reap := range []bool{false, true} {
		t.Run(fmt.Sprintf("reaped=%v", reap), func(t *testing.T) {
			dir := testDir(t)
			m := procManager(t, dir)
			ctx := procCtx(t)
			l, err := m.OpenLock(ctx, "l")
			must(t, err)
			f0, err := l.Lock(ctx)
			must(t, err)
			must(t, l.Unlock(ctx))
			c := startChild(t, "hold-lock", dir, "l", 0)
			f1 := fenceOf(t, c.expect(t, "held"))
			if _, err := l.TryLock(ctx); !errors.Is(err, latchkey.ErrLocked) {
				t.Fatalf("TryLock of a lock a live child holds: %v", err)
			}
			c.kill()
			if reap {
				c.wait(t) // gone from /proc; otherwise a zombie
			}
			f2, err := l.Lock(ctx)
			if !errors.Is(err, latchkey.ErrOwnerDied) {
				t.Fatalf("Lock after the holder died: %v, want ErrOwnerDied", err)
			}
			if !(f0 < f1 && f1 < f2) {
				t.Fatalf("fences %d, %d, %d do not grow", f0, f1, f2)
			}
			must(t, l.Unlock(ctx))
			f3, err := l.Lock(ctx)
			if err != nil || f3 <= f2 {
				t.Fatalf("next Lock = %d, %v; want a fence above %d and no error", f3, err, f2)
			}
			must(t, l.Unlock(ctx))
		})
	}
}

// TestProcKillLockHolderTryLock: TryLock recovers a lock whose holder
// died, once it has been checked (at most an interval later).
func TestProcKillLockHolderTryLock(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	l, err := m.OpenLock(ctx, "l")
	must(t, err)
	c := startChild(t, "hold-lock", dir, "l", 0)
	c.expect(t, "held")
	c.kill()
	c.wait(t)
	if !poll(func() bool {
		_, err = l.TryLock(ctx)
		return !errors.Is(err, latchkey.ErrLocked)
	}) || !errors.Is(err, latchkey.ErrOwnerDied) {
		t.Fatalf("TryLock: %v", err)
	}
	must(t, l.Unlock(ctx))
}

// TestProcKillRLockHolder: as for a Lock, for an RLock held twice.
func TestProcKillRLockHolder(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	l, err := m.OpenRLock(ctx, "r")
	must(t, err)
	c := startChild(t, "hold-rlock", dir, "r", 0)
	f1 := fenceOf(t, c.expect(t, "held"))
	if err := l.Unlock(ctx); !errors.Is(err, latchkey.ErrNotOwner) {
		t.Fatalf("Unlock of another process's RLock: %v", err)
	}
	c.kill()
	f2, err := l.Lock(ctx)
	if !errors.Is(err, latchkey.ErrOwnerDied) || f2 <= f1 {
		t.Fatalf("Lock after the owner died = %d, %v; want a fence above %d with ErrOwnerDied", f2, err, f1)
	}
	if n, _ := l.Count(ctx); n != 1 {
		t.Fatalf("Count = %d, want 1", n)
	}
	must(t, l.Unlock(ctx))
}

// TestProcKillSemaphoreHolder: a child holding 2 of 3 permits is killed;
// a blocked Acquire gets one with ErrOwnerDied, and the other comes back.
func TestProcKillSemaphoreHolder(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	s, err := m.OpenBoundedSemaphore(ctx, "s", 3)
	must(t, err)
	c := startChild(t, "hold-sem", dir, "s", 2)
	c.expect(t, "held")
	_, err = s.Acquire(ctx)
	must(t, err)
	if v, _ := s.Value(ctx); v != 0 {
		t.Fatalf("Value = %d, want 0", v)
	}
	res := make(chan error, 1)
	go func() {
		_, err := s.Acquire(ctx)
		res <- err
	}()
	waitWaiters(t, m, "s", 1)
	c.kill()
	if err := <-res; !errors.Is(err, latchkey.ErrOwnerDied) {
		t.Fatalf("Acquire after the holder died: %v, want ErrOwnerDied", err)
	}
	if v, _ := s.Value(ctx); v != 1 {
		t.Fatalf("Value = %d, want 1: the dead child's second permit", v)
	}
	must(t, s.Release(ctx, 2))
	if err := s.Release(ctx, 1); !errors.Is(err, latchkey.ErrOverRelease) {
		t.Fatalf("Release past the bound after recovery: %v", err)
	}
}

// TestProcKillWaiter: a child killed while it waits for a Lock leaves no
// trace: the grant it would have got passes on, without ErrOwnerDied.
func TestProcKillWaiter(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	l, err := m.OpenLock(ctx, "l")
	must(t, err)
	_, err = l.Lock(ctx)
	must(t, err)
	c := startChild(t, "wait-lock", dir, "l", 0)
	c.expect(t, "waiting")
	waitWaiters(t, m, "l", 1)
	c.kill()
	c.wait(t)
	must(t, l.Unlock(ctx)) // hands the lock to the dead waiter
	if _, err := l.Lock(ctx); err != nil {
		t.Fatalf("Lock after a waiter died: %v, want no error", err)
	}
	if n := l.Waiters(); n != 0 {
		t.Fatalf("Waiters = %d after the dead waiter was reaped", n)
	}
	must(t, l.Unlock(ctx))
}

// TestProcTimedOutWaiter: a child's Lock that times out leaves no waiter.
func TestProcTimedOutWaiter(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	l, err := m.OpenLock(ctx, "l")
	must(t, err)
	_, err = l.Lock(ctx)
	must(t, err)
	c := startChild(t, "timed-lock", dir, "l", 50)
	if line := c.expect(t, "result"); line != "result true" {
		t.Fatalf("child: %q, want its Lock to time out", line)
	}
	must(t, c.wait(t))
	if n := l.Waiters(); n != 0 {
		t.Fatalf("Waiters = %d after the child's Lock timed out", n)
	}
	must(t, l.Unlock(ctx))
	_, err = l.TryLock(ctx)
	must(t, err)
	must(t, l.Unlock(ctx))
}

// TestProcCrashInGuard: a child killed inside a guard section, after or
// before committing its redo log, does not wedge the object.
func TestProcCrashInGuard(t *testing.T) {
	for _, tc := range []struct {
		role string
		died bool // the crashed change took the lock: the parent's grant reports it
	}{{"crash-after-commit", true}, {"crash-before-commit", false}} {
		t.Run(tc.role, func(t *testing.T) {
			dir := testDir(t)
			m := procManager(t, dir)
			ctx := procCtx(t)
			l, err := m.OpenLock(ctx, "l")
			must(t, err)
			c := startChild(t, tc.role, dir, "l", 0)
			c.wait(t)
			_, err = l.Lock(ctx)
			if tc.died != errors.Is(err, latchkey.ErrOwnerDied) || err != nil && !tc.died {
				t.Fatalf("Lock after the crash: %v, want ErrOwnerDied %v", err, tc.died)
			}
			must(t, l.Unlock(ctx))
			_, err = l.TryLock(ctx)
			must(t, err)
			must(t, l.Unlock(ctx))
		})
	}
}

// TestProcKillRandom kills a child that churns a Lock and a semaphore in
// four goroutines, at a random moment; the objects recover every time.
func TestProcKillRandom(t *testing.T) {
	r := testRand(t)
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	l, err := m.OpenLock(ctx, "l")
	must(t, err)
	s, err := m.OpenBoundedSemaphore(ctx, "l-s", 2)
	must(t, err)
	for round := range 4 {
		c := startChild(t, "churn", dir, "l", 4)
		for range 1 + r.IntN(4) {
			c.expect(t, "round")
		}
		c.kill()
		c.wait(t)
		if _, err := l.Lock(ctx); err != nil && !errors.Is(err, latchkey.ErrOwnerDied) {
			t.Fatalf("round %d: Lock: %v", round, err)
		}
		must(t, l.Unlock(ctx))
		for range 2 {
			if _, err := s.Acquire(ctx); err != nil && !errors.Is(err, latchkey.ErrOwnerDied) {
				t.Fatalf("round %d: Acquire: %v", round, err)
			}
		}
		must(t, s.Release(ctx, 2))
		if n, _ := m.Waiters(ctx, "l"); n != 0 {
			t.Fatalf("round %d: %d waiters left on the lock", round, n)
		}
		if n, _ := m.Waiters(ctx, "l-s"); n != 0 {
			t.Fatalf("round %d: %d waiters left on the semaphore", round, n)
		}
	}
}
