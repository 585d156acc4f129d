//go:build linux

package shm_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
	"github.com/latchkey/latchkey/shm"
)

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func TestNewManagerConfig(t *testing.T) {
	dir := testDir(t)
	file := filepath.Join(dir, "file")
	must(t, os.WriteFile(file, nil, 0o600))
	for _, tc := range []struct {
		what string
		cfg  shm.Config
		want error
	}{
		{"negative interval", shm.Config{Dir: dir, CheckInterval: -time.Second}, latchkey.ErrInvalid},
		{"mode with a type bit", shm.Config{Dir: dir, Mode: os.ModeDir | 0o600}, latchkey.ErrInvalid},
		{"dir is a file", shm.Config{Dir: file}, latchkey.ErrInvalid},
		{"dir is missing", shm.Config{Dir: filepath.Join(dir, "missing")}, os.ErrNotExist},
	} {
		_, err := shm.NewManager(&tc.cfg)
		wantErr(t, tc.what, err, tc.want)
	}
	m, err := shm.NewManager(nil)
	must(t, err)
	if m.Dir() != "/dev/shm" {
		t.Errorf("default Dir = %q", m.Dir())
	}
	must(t, m.Close())
	if d := shm.DefaultConfig(); d.Dir != "/dev/shm" || d.Mode != 0o600 || d.CheckInterval <= 0 {
		t.Errorf("DefaultConfig() = %+v", d)
	}
}

// TestNames: any valid name works and names a distinct object, also
// names with slashes, NUL bytes, dots, or too long for a file name.
func TestNames(t *testing.T) {
	ctx := t.Context()
	dir := testDir(t)
	m := newManagerIn(t, dir)
	names := []string{"x", "X", "x ", "a/b c", "ключ", "x\x00y", "*", ".", "..", "%41", "A",
		strings.Repeat("n", latchkey.MaxNameLen), strings.Repeat("/", latchkey.MaxNameLen)}
	for i, n := range names {
		v, err := shm.OpenValue[int64](ctx, m, n, nil)
		must(t, err)
		must(t, v.Store(ctx, int64(i)))
	}
	m2 := newManagerIn(t, dir) // another mapping of each
	for i, n := range names {
		v, err := shm.OpenValue[int64](ctx, m2, n, nil)
		must(t, err)
		if x, _ := v.Load(ctx); x != int64(i) {
			t.Errorf("Value %q = %d, want %d", n, x, i)
		}
	}
	files, err := os.ReadDir(dir)
	must(t, err)
	if len(files) != len(names) {
		t.Errorf("%d files for %d names", len(files), len(names))
	}
	for _, n := range []string{"", strings.Repeat("n", latchkey.MaxNameLen+1)} {
		_, err := m.OpenLock(ctx, n)
		wantErr(t, fmt.Sprintf("OpenLock(%d bytes)", len(n)), err, latchkey.ErrInvalid)
		_, err = shm.OpenValue[int64](ctx, m, n, nil)
		wantErr(t, fmt.Sprintf("OpenValue(%d bytes)", len(n)), err, latchkey.ErrInvalid)
		wantErr(t, "Remove", m.Remove(n), latchkey.ErrInvalid)
		_, err = m.Waiters(ctx, n)
		wantErr(t, "Waiters", err, latchkey.ErrInvalid)
	}
}

// TestMismatch: a name belongs to one type, with one set of parameters.
func TestMismatch(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	other := newManager(t)
	l, err := m.OpenLock(ctx, "l")
	must(t, err)
	l2, err := m.OpenLock(ctx, "l2")
	must(t, err)
	lo, err := other.OpenLock(ctx, "l") // same name, other directory
	must(t, err)
	_, err = m.OpenSemaphore(ctx, "s", 2)
	must(t, err)
	_, err = m.OpenBoundedSemaphore(ctx, "b", 2)
	must(t, err)
	_, err = shm.OpenValue[int64](ctx, m, "v", nil)
	must(t, err)
	_, err = shm.OpenValue[int64](ctx, m, "raw", &shm.Options{Raw: true})
	must(t, err)
	_, err = shm.OpenValue[int64](ctx, m, "ext", &shm.Options{Lock: l})
	must(t, err)
	_, err = shm.OpenArray[float64](ctx, m, "a", 3, nil)
	must(t, err)
	for _, tc := range []struct {
		what string
		err  error
	}{
		{"RLock over a Lock", second(m.OpenRLock(ctx, "l"))},
		{"Semaphore over a Lock", second(m.OpenSemaphore(ctx, "l", 1))},
		{"Value over a Lock", second(shm.OpenValue[int64](ctx, m, "l", nil))},
		{"Lock over a Semaphore", second(m.OpenLock(ctx, "s"))},
		{"Semaphore of another value", second(m.OpenSemaphore(ctx, "s", 3))},
		{"BoundedSemaphore over a Semaphore", second(m.OpenBoundedSemaphore(ctx, "s", 2))},
		{"Semaphore over a BoundedSemaphore", second(m.OpenSemaphore(ctx, "b", 2))},
		{"Value[int32] over a Value[int64]", second(shm.OpenValue[int32](ctx, m, "v", nil))},
		{"Value[float64] over a Value[int64]", second(shm.OpenValue[float64](ctx, m, "v", nil))},
		{"raw Value over a locked one", second(shm.OpenValue[int64](ctx, m, "v", &shm.Options{Raw: true}))},
		{"locked Value over a raw one", second(shm.OpenValue[int64](ctx, m, "raw", nil))},
		{"Value with a lock over a locked one", second(shm.OpenValue[int64](ctx, m, "v", &shm.Options{Lock: l}))},
		{"Value with another lock", second(shm.OpenValue[int64](ctx, m, "ext", &shm.Options{Lock: l2}))},
		{"Value with a lock of the same name elsewhere", second(shm.OpenValue[int64](ctx, m, "ext", &shm.Options{Lock: lo}))},
		{"Value without its lock", second(shm.OpenValue[int64](ctx, m, "ext", nil))},
		{"Array over a Value", second(shm.OpenArray[int64](ctx, m, "v", 1, nil))},
		{"Array of another length", second(shm.OpenArray[float64](ctx, m, "a", 4, nil))},
		{"Array of another type", second(shm.OpenArray[int64](ctx, m, "a", 3, nil))},
	} {
		wantErr(t, tc.what, tc.err, latchkey.ErrMismatch)
	}
	_, err = shm.OpenValue[int64](ctx, m, "ext", &shm.Options{Lock: l})
	must(t, err)
}

func second[T any](_ T, err error) error { return err }

// TestForeignFiles: a file that is not a latchkey object is ErrMismatch,
// whatever its size.
func TestForeignFiles(t *testing.T) {
	ctx := t.Context()
	dir := testDir(t)
	m := newManagerIn(t, dir)
	must(t, os.WriteFile(filepath.Join(dir, "latchkey-small"), []byte("hello"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "latchkey-big"), make([]byte, 1<<16), 0o600))
	for _, n := range []string{"small", "big"} {
		_, err := m.OpenLock(ctx, n)
		wantErr(t, "OpenLock of "+n, err, latchkey.ErrMismatch)
		_, err = m.Waiters(ctx, n)
		wantErr(t, "Waiters of "+n, err, latchkey.ErrMismatch)
	}
}

// TestRemove: a removed object lives on for its handles; the name makes a
// new object.
func TestRemove(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	v, err := shm.OpenValue[int64](ctx, m, "v", nil)
	must(t, err)
	must(t, v.Store(ctx, 5))
	must(t, m.Remove("v"))
	wantErr(t, "second Remove", m.Remove("v"), latchkey.ErrNotFound)
	_, err = m.Waiters(ctx, "v")
	wantErr(t, "Waiters of a removed object", err, latchkey.ErrNotFound)
	if x, err := v.Add(ctx, 1); x != 6 || err != nil {
		t.Fatalf("Add on a removed Value = %d, %v", x, err)
	}
	v2, err := shm.OpenValue[int64](ctx, m, "v", nil)
	must(t, err)
	if x, _ := v2.Load(ctx); x != 0 {
		t.Fatalf("new Value = %d, want 0", x)
	}
	_, err = m.OpenLock(ctx, "v")
	wantErr(t, "Lock over the new Value", err, latchkey.ErrMismatch)
}

// TestClose: opens fail after Close; handles keep working.
func TestClose(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	l, err := m.OpenLock(ctx, "l")
	must(t, err)
	must(t, m.Close())
	must(t, m.Close())
	_, err = m.OpenLock(ctx, "l")
	wantErr(t, "OpenLock after Close", err, latchkey.ErrClosed)
	_, err = m.Semaphore(ctx, "s", 1)
	wantErr(t, "Semaphore after Close", err, latchkey.ErrClosed)
	_, err = m.Array(ctx, "a", 1)
	wantErr(t, "Array after Close", err, latchkey.ErrClosed)
	_, err = m.RWLock(ctx, "rw")
	wantErr(t, "RWLock after Close", err, latchkey.ErrClosed)
	_, err = l.Lock(ctx)
	must(t, err)
	must(t, l.Unlock(ctx))
}

// TestConcurrentCreate: Managers of their own (separate mappings, as
// separate processes have) create one name at once: one type wins, every
// other opener gets ErrMismatch, and openers of the winning type share
// one object.
func TestConcurrentCreate(t *testing.T) {
	ctx := t.Context()
	dir := testDir(t)
	const n = 8
	ms := make([]*shm.Manager, n)
	for i := range ms {
		ms[i] = newManagerIn(t, dir)
	}
	for round := range 4 {
		name := fmt.Sprintf("x%d", round)
		errs := make([]error, n)
		kinds := make([]string, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, m := range ms {
			wg.Go(func() {
				<-start
				switch (i + round) % 3 {
				case 0:
					kinds[i] = "Value"
					var v *shm.Value[int64]
					if v, errs[i] = shm.OpenValue[int64](ctx, m, name, nil); errs[i] == nil {
						_, errs[i] = v.Add(ctx, 1)
					}
				case 1:
					kinds[i] = "Lock"
					_, errs[i] = m.OpenLock(ctx, name)
				case 2:
					kinds[i] = "Semaphore"
					_, errs[i] = m.OpenSemaphore(ctx, name, 1)
				}
			})
		}
		close(start)
		wg.Wait()
		winner, values := "", 0
		for i, err := range errs {
			switch {
			case err == nil && (winner == "" || winner == kinds[i]):
				winner = kinds[i]
				if kinds[i] == "Value" {
					values++
				}
			case err == nil:
				t.Fatalf("both %s and %s opened %q", winner, kinds[i], name)
			case !errors.Is(err, latchkey.ErrMismatch):
				t.Fatalf("%s(%q): %v", kinds[i], name, err)
			}
		}
		if winner == "Value" {
			v, err := shm.OpenValue[int64](ctx, ms[0], name, nil)
			must(t, err)
			if x, _ := v.Load(ctx); x != int64(values) {
				t.Fatalf("Value = %d after %d Adds", x, values)
			}
		}
	}
}

// TestTooManyProcesses: a process cannot open an object whose process
// table is full of live processes; entries of dead ones are reclaimed.
func TestTooManyProcesses(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	l, err := m.OpenLock(t.Context(), "l")
	must(t, err)
	// A dead process: a child that has exited, and been reaped.
	dead := startChild(t, "open-lock", dir, "l", 0)
	dead.expect(t, "open other")
	must(t, dead.wait(t))
	if n := shm.FillProcTable(l, 1); n == 0 {
		t.Skip("cannot read /proc/1/stat")
	}
	// The dead child's entry is reclaimed for a new one...
	a := startChild(t, "hold-lock", dir, "l", 0)
	a.expect(t, "held")
	// ...and then the table is full.
	c := startChild(t, "open-lock", dir, "l", 0)
	if line := c.expect(t, "open"); line != "open unavailable" {
		t.Fatalf("child: %q, want ErrTooManyProcesses", line)
	}
	must(t, c.wait(t))
	_, err = m.OpenLock(t.Context(), "l") // registered already
	must(t, err)
}

// TestValueOptionsInvalid: a Value's lock must be a lock of this
// package, and parameters must be in range.
func TestValueOptionsInvalid(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	l, err := m.OpenLock(ctx, "l")
	must(t, err)
	_, err = shm.OpenValue[int64](ctx, m, "v", &shm.Options{Raw: true, Lock: l})
	wantErr(t, "raw with a lock", err, latchkey.ErrInvalid)
	_, err = shm.OpenValue[int64](ctx, m, "v", &shm.Options{Lock: new(local.Lock)})
	wantErr(t, "a local.Lock", err, latchkey.ErrInvalid)
	_, err = shm.OpenArray[int64](ctx, m, "a", -1, nil)
	wantErr(t, "negative length", err, latchkey.ErrInvalid)
	_, err = m.OpenSemaphore(ctx, "s", -1)
	wantErr(t, "negative semaphore", err, latchkey.ErrInvalid)
	_, err = m.OpenSemaphore(ctx, "s", 1<<31)
	wantErr(t, "semaphore past 2^31-1", err, latchkey.ErrInvalid)
}

// TestUnmap: a process unmaps an object when its last handle is garbage
// collected; the object lives on in its file.
func TestUnmap(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	for i := range 10 {
		v, err := shm.OpenValue[int64](ctx, m, fmt.Sprint("v", i), nil)
		must(t, err)
		must(t, v.Store(ctx, int64(i)))
	}
	if !poll(func() bool {
		runtime.GC()
		return shm.Mapped(m) == 0
	}) {
		t.Fatalf("%d objects still mapped", shm.Mapped(m))
	}
	v, err := shm.OpenValue[int64](ctx, m, "v7", nil)
	must(t, err)
	if x, _ := v.Load(ctx); x != 7 {
		t.Fatalf("Value after unmapping = %d, want 7", x)
	}
}
