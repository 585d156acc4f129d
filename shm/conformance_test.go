//go:build linux

package shm_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/conformance"
	"github.com/latchkey/latchkey/internal/remotemgr"
	"github.com/latchkey/latchkey/shm"
)

// conformanceGroups are the suite's groups that package shm implements.
// The others (Dict, List, Namespace, and the Manager group, which opens
// every type) are skipped.
var conformanceGroups = []string{"Lock", "RLock", "RWLock", "Semaphore", "Condition", "Event", "Barrier",
	"Queue", "SimpleQueue", "Value", "Array"}

// skipUnimplemented skips a test of a group shm does not implement.
func skipUnimplemented(t *testing.T) {
	_, rest, _ := strings.Cut(t.Name(), "/")
	group, _, _ := strings.Cut(rest, "/")
	if !slices.Contains(conformanceGroups, group) {
		t.Skipf("shm does not implement the %s group", group)
	}
}

// TestConformance runs the suite with every contender a goroutine of this
// process, each with its own handle.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Backend{
		New: func(t *testing.T) latchkey.Manager {
			skipUnimplemented(t)
			return fullManager{newManager(t)}
		},
	})
}

// conformanceChildren is how many processes TestConformanceProcesses
// spreads handles over. Most tests (237 of 261) open at most 6 handles, each
// then in its own process; the others (up to 25 handles: the
// ManyGoroutines, Hammer and notify tests) wrap around, so that some of
// their contenders share a process but every process has some.
const conformanceChildren = 6

// TestConformanceProcesses runs the suite with every handle living in
// another process: the suite's goroutines drive proxies
// (internal/remotemgr), each call runs in the child that opened the
// handle, and a test's first handles are in distinct children, so that
// contenders are separate processes sharing the objects by name.
func TestConformanceProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the multi-process conformance run")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pool, err := remotemgr.Start(conformanceChildren, func() *exec.Cmd {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0", roleEnv+"="+conformanceRole)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := pool.Close(); err != nil {
			t.Error(err)
		}
	}()
	conformance.Run(t, conformance.Backend{
		New: func(t *testing.T) latchkey.Manager {
			skipUnimplemented(t)
			m, err := pool.Manager(t.Context(), testDir(t))
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
	})
}

// conformanceRole is the child role of TestConformanceProcesses.
const conformanceRole = "conformance"

// serveConformance is that role: it serves remotemgr calls on managers
// of the directories the parent names.
func serveConformance() error {
	return remotemgr.Serve(func(dir string) (latchkey.Manager, error) {
		m, err := shm.NewManager(&shm.Config{Dir: dir})
		if err != nil {
			return nil, err
		}
		return fullManager{m}, nil
	})
}

// fullManager completes a *shm.Manager into a latchkey.Manager for the
// suite. The containers shm lacks are never opened by the groups that
// run, except to check that a name of another type is ErrMismatch: they
// return that for an existing name, and ErrUnavailable otherwise.
type fullManager struct{ *shm.Manager }

func (m fullManager) missing(ctx context.Context, name string) error {
	if _, err := m.Waiters(ctx, name); err == nil {
		return latchkey.Errorf(latchkey.KindMismatch, "shm test: %q is another type", name)
	}
	return latchkey.Errorf(latchkey.KindUnavailable, "shm test: not implemented")
}

func (m fullManager) Dict(ctx context.Context, name string) (latchkey.Dict, error) {
	return nil, m.missing(ctx, name)
}
func (m fullManager) List(ctx context.Context, name string) (latchkey.List, error) {
	return nil, m.missing(ctx, name)
}
func (m fullManager) Namespace(ctx context.Context, name string) (latchkey.Namespace, error) {
	return nil, m.missing(ctx, name)
}
