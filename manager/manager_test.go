package manager_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/manager"
)

const roleEnv = "LATCHKEY_MANAGER_TEST_ROLE"

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		if err := child(role); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// child runs a child process's role against its parent's manager.
func child(role string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := manager.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	switch role {
	case "add":
		v, err := c.Value(ctx, "count")
		if err != nil {
			return err
		}
		n, err := v.Add(ctx, 1)
		if err != nil {
			return err
		}
		q, err := c.Queue(ctx, "done", latchkey.QueueOptions{})
		if err != nil {
			return err
		}
		return q.Put(ctx, fmt.Appendf(nil, "%d", n))
	case "hold":
		l, err := c.Lock(ctx, "l")
		if err != nil {
			return err
		}
		if _, err := l.Lock(ctx); err != nil {
			return err
		}
		fmt.Println("holding")
		select {} // until killed
	}
	return fmt.Errorf("unknown role %q", role)
}

func start(t *testing.T) *manager.Manager {
	t.Helper()
	m, err := manager.Start(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

// childCmd returns a command that runs role in a child process of this
// test binary, connected to m.
func childCmd(m *manager.Manager, role string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), roleEnv+"="+role), m.Env()...)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestChildrenShareObjects: three child processes reach the parent's
// manager from their environment and change the same Value and Queue.
func TestChildrenShareObjects(t *testing.T) {
	m := start(t)
	var cmds []*exec.Cmd
	for range 3 {
		cmd := childCmd(m, "add")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	ctx := t.Context()
	v, _ := m.Value(ctx, "count")
	if n, err := v.Load(ctx); err != nil || n != 3 {
		t.Fatalf("count = %d, %v; want 3", n, err)
	}
	q, _ := m.Queue(ctx, "done", latchkey.QueueOptions{})
	seen := map[string]bool{}
	for range 3 {
		it, err := q.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen[string(it)] = true
	}
	if !seen["1"] || !seen["2"] || !seen["3"] {
		t.Fatalf("items %v", seen)
	}
}

// TestDeadChildReleases: a child killed while holding a lock releases it
// at once (Python's manager keeps it for ever).
func TestDeadChildReleases(t *testing.T) {
	m := start(t)
	cmd := childCmd(m, "hold")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "holding") {
		t.Fatalf("child said %q", buf[:n])
	}
	cmd.Process.Kill()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	l, _ := m.Lock(ctx, "l")
	if _, err := l.Lock(ctx); !errors.Is(err, latchkey.ErrOwnerDied) {
		t.Fatalf("Lock after the holder died: %v, want ErrOwnerDied", err)
	}
}

func TestConnectWithoutEnv(t *testing.T) {
	t.Setenv("LATCHKEY_ADDR", "")
	if _, err := manager.Connect(t.Context()); err == nil || !strings.Contains(err.Error(), "LATCHKEY_ADDR") {
		t.Fatalf("Connect without the environment: %v", err)
	}
}

func TestCloseRemovesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	m, err := manager.Start(t.Context(), &manager.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Addr(), "unix:"+dir+string(filepath.Separator)) {
		t.Errorf("Addr = %q, want a socket in %s", m.Addr(), dir)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory after Close: %v", err)
	}
}

// TestStartNonEmptyDir: Start refuses an existing directory that is not
// empty, which Close would remove with everything in it, and leaves it as
// it was.
func TestStartNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := manager.Start(t.Context(), &manager.Options{Dir: dir})
	if err == nil {
		m.Close()
	}
	if !errors.Is(err, latchkey.ErrInvalid) {
		t.Errorf("Start on a directory that is not empty: %v, want ErrInvalid", err)
	}
	if data, err := os.ReadFile(keep); err != nil || string(data) != "mine" {
		t.Errorf("the directory's file after Start: %q, %v; want it unchanged", data, err)
	}
}

// TestStartEmptyDir: Start takes an existing empty directory.
func TestStartEmptyDir(t *testing.T) {
	dir := t.TempDir()
	m, err := manager.Start(t.Context(), &manager.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory after Close: %v", err)
	}
}
