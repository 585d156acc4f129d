//go:build unix

package proc_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/proc"
)

func TestProcessResult(t *testing.T) {
	p := startProcess(t, square, 7, nil)
	if p.Pid() <= 0 || p.Pid() == os.Getpid() {
		t.Errorf("Pid = %d", p.Pid())
	}
	if err := p.Join(t.Context()); err != nil {
		t.Fatalf("Join: %v", err)
	}
	if v, err := p.Result(); v != 49 || err != nil {
		t.Errorf("Result = %d, %v; want 49, nil", v, err)
	}
	if code, ok := p.ExitCode(); code != 0 || !ok {
		t.Errorf("ExitCode = %d, %v; want 0, true", code, ok)
	}
	if p.IsAlive() {
		t.Error("IsAlive after Join")
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done not closed after Join")
	}
	if !strings.HasPrefix(p.Name(), "Process-") {
		t.Errorf("Name = %q", p.Name())
	}
}

// TestProcessExitCodes checks Python's exitcode for each way a child ends,
// and the error Result reports.
func TestProcessExitCodes(t *testing.T) {
	t.Run("error", func(t *testing.T) {
		p := startProcess(t, fails, "it failed", nil)
		p.Join(t.Context())
		_, err := p.Result()
		var re *proc.RemoteError
		if !errors.As(err, &re) || re.Msg != "it failed" || re.Pid != p.Pid() {
			t.Errorf("Result error = %#v, want a RemoteError %q from %d", err, "it failed", p.Pid())
		}
		if code, _ := p.ExitCode(); code != 1 {
			t.Errorf("ExitCode = %d, want 1", code)
		}
	})
	t.Run("sentinel", func(t *testing.T) {
		p := startProcess(t, notFound, "k", nil)
		p.Join(t.Context())
		if _, err := p.Result(); !errors.Is(err, latchkey.ErrNotFound) {
			t.Errorf("Result error = %v, want one matching ErrNotFound", err)
		}
	})
	t.Run("panic", func(t *testing.T) {
		p := startProcess(t, panics, 3, &proc.ProcessConfig{Stderr: discardFile(t)})
		p.Join(t.Context())
		_, err := p.Result()
		var re *proc.RemoteError
		if !errors.Is(err, proc.ErrPanic) || !errors.As(err, &re) || !strings.Contains(re.Msg, "boom 3") || re.Stack == "" {
			t.Errorf("Result error = %v, want a RemoteError matching ErrPanic with the value and a stack", err)
		}
		if code, _ := p.ExitCode(); code != 2 {
			t.Errorf("ExitCode = %d, want 2", code)
		}
	})
	t.Run("os.Exit", func(t *testing.T) {
		p := startProcess(t, exits, 3, nil)
		p.Join(t.Context())
		_, err := p.Result()
		var ee *proc.ExitError
		if !errors.Is(err, proc.ErrWorkerDied) || !errors.As(err, &ee) || ee.ExitCode != 3 || ee.Pid != p.Pid() {
			t.Errorf("Result error = %v, want an ExitError with code 3", err)
		}
		if code, _ := p.ExitCode(); code != 3 {
			t.Errorf("ExitCode = %d, want 3", code)
		}
	})
	t.Run("terminate", func(t *testing.T) {
		p := startProcess(t, block, 0, nil)
		if !p.IsAlive() {
			t.Error("not alive after Start")
		}
		if err := p.Terminate(); err != nil {
			t.Fatalf("Terminate: %v", err)
		}
		p.Join(t.Context())
		if code, _ := p.ExitCode(); code != -int(syscall.SIGTERM) {
			t.Errorf("ExitCode = %d, want -15", code)
		}
		_, err := p.Result()
		var ee *proc.ExitError
		if !errors.As(err, &ee) || ee.Signal() != syscall.SIGTERM {
			t.Errorf("Result error = %v, want an ExitError for SIGTERM", err)
		}
		if err := p.Terminate(); err != nil {
			t.Errorf("Terminate after exit = %v, want nil", err)
		}
	})
	t.Run("kill", func(t *testing.T) {
		p := startProcess(t, hang, "", nil)
		if err := p.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		p.Join(t.Context())
		if code, _ := p.ExitCode(); code != -int(syscall.SIGKILL) {
			t.Errorf("ExitCode = %d, want -9", code)
		}
		if _, err := p.Result(); !errors.Is(err, proc.ErrWorkerDied) {
			t.Errorf("Result error = %v, want ErrWorkerDied", err)
		}
	})
}

func TestProcessJoinCancelled(t *testing.T) {
	p := startProcess(t, hang, "", nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.Join(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Join(cancelled) = %v, want context.Canceled", err)
	}
	if !p.IsAlive() {
		t.Error("not alive after a cancelled Join")
	}
	if _, ok := p.ExitCode(); ok {
		t.Error("ExitCode ok while running")
	}
	if _, err := p.Result(); !errors.Is(err, proc.ErrNotReady) {
		t.Errorf("Result while running = %v, want ErrNotReady", err)
	}
	p.Kill()
	if err := p.Join(t.Context()); err != nil {
		t.Fatalf("Join: %v", err)
	}
}

func TestProcessMisuse(t *testing.T) {
	p := proc.NewProcess(square, 2, &proc.ProcessConfig{Name: "sq"})
	if p.Name() != "sq" {
		t.Errorf("Name = %q", p.Name())
	}
	if err := p.Join(t.Context()); !errors.Is(err, proc.ErrNotStarted) {
		t.Errorf("Join before Start = %v, want ErrNotStarted", err)
	}
	if err := p.Terminate(); !errors.Is(err, proc.ErrNotStarted) {
		t.Errorf("Terminate before Start = %v, want ErrNotStarted", err)
	}
	if p.IsAlive() || p.Pid() != 0 {
		t.Errorf("IsAlive, Pid before Start = %v, %d", p.IsAlive(), p.Pid())
	}
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(t.Context()); !errors.Is(err, proc.ErrStarted) {
		t.Errorf("second Start = %v, want ErrStarted", err)
	}
	p.Join(t.Context())

	var zero proc.Func[int, int]
	if err := proc.NewProcess(zero, 1, nil).Start(t.Context()); !errors.Is(err, proc.ErrNotRegistered) {
		t.Errorf("Start of the zero Func = %v, want ErrNotRegistered", err)
	}
	if err := proc.NewProcess(lateFunc(), 1, nil).Start(t.Context()); !errors.Is(err, proc.ErrNotRegistered) {
		t.Errorf("Start of a Func registered after Main = %v, want ErrNotRegistered", err)
	}
}

// TestProcessChildWithoutMain checks that a child that never answers is an
// error, not a hang.
func TestProcessChildWithoutMain(t *testing.T) {
	p := proc.NewProcess(square, 1, &proc.ProcessConfig{Env: []string{envBeforeMain + "=exit"}})
	err := p.Start(t.Context())
	if !errors.Is(err, proc.ErrNoMain) || !strings.Contains(err.Error(), "status 5") {
		t.Errorf("Start of a child that exits before Main = %v, want ErrNoMain with its status", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	p = proc.NewProcess(square, 1, &proc.ProcessConfig{Env: []string{envBeforeMain + "=hang"}})
	if err := p.Start(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Start of a child that never calls Main = %v, want DeadlineExceeded", err)
	}
	if p.IsAlive() {
		t.Error("a failed Start left the process alive")
	}
}

// TestProcessDaemonDiesWithParent starts a child that starts a daemon
// grandchild, kills the child, and checks that the grandchild dies too.
func TestProcessDaemonDiesWithParent(t *testing.T) {
	mine, theirs, err := proc.Pipe(true)
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	p := startProcess(t, spawnDaemon, 0, &proc.ProcessConfig{Conns: []*proc.Conn{theirs}})
	gpid, err := proc.NewConnOf[int](mine, nil).Recv(t.Context())
	if err != nil {
		t.Fatalf("receiving the grandchild's pid: %v", err)
	}
	if !alive(gpid) {
		t.Fatalf("grandchild %d not running", gpid)
	}
	p.Kill()
	p.Join(t.Context())
	waitFor(t, "the daemon grandchild to die", func() bool { return !alive(gpid) })
}

// alive reports whether pid is a process that has not exited (zombies
// count as exited: nobody may reap an orphan in a container).
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}

// discardFile returns /dev/null, for a child whose output the test does
// not want.
func discardFile(t *testing.T) *os.File {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
