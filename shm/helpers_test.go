//go:build linux

package shm_test

import (
	"os"
	"testing"

	"github.com/latchkey/latchkey/shm"
)

// testDir returns a fresh directory on /dev/shm (or the temporary
// directory if there is none), removed when the test ends.
func testDir(t testing.TB) string {
	t.Helper()
	base := "/dev/shm"
	if fi, err := os.Stat(base); err != nil || !fi.IsDir() {
		base = ""
	}
	dir, err := os.MkdirTemp(base, "latchkey-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// newManager returns a Manager on a fresh directory.
func newManager(t testing.TB) *shm.Manager {
	t.Helper()
	return newManagerIn(t, testDir(t))
}

// newManagerIn returns a Manager on dir, closed when the test ends.
func newManagerIn(t testing.TB, dir string) *shm.Manager {
	t.Helper()
	m, err := shm.NewManager(&shm.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
