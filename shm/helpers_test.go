//go:build linux

package shm_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

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

// testRand returns the random source of a randomized test, seeded from
// $LATCHKEY_SEED if set, and logs the seed so that a run can be repeated.
func testRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := rand.Uint64()
	if s := os.Getenv("LATCHKEY_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("LATCHKEY_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (set LATCHKEY_SEED to repeat)", seed)
	return rand.New(rand.NewPCG(seed, 0))
}

// poll calls done every millisecond until it reports true, for up to
// procTimeout, and reports whether it did.
func poll(done func() bool) bool {
	deadline := time.Now().Add(procTimeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}
