package wal

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var seedFlag = flag.Uint64("seed", 0, "seed for randomized tests (0: random)")

// newRand returns a generator seeded with -seed or a random seed, which
// it logs so that a failure can be replayed.
func newRand(t testing.TB) *rand.Rand {
	seed := *seedFlag
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed))
}

// env is a file system to run a test on, with helpers to tamper with files.
type env struct {
	name  string
	fs    FS
	dir   string
	read  func(t testing.TB, name string) []byte
	write func(t testing.TB, name string, data []byte)
	logs  *logBuf
}

// forEachFS runs f on the real file system (in a temporary directory) and
// on MemFS.
func forEachFS(t *testing.T, f func(t *testing.T, e *env)) {
	t.Run("os", func(t *testing.T) {
		f(t, &env{
			name: "os", fs: osFS{}, dir: filepath.Join(t.TempDir(), "wal"), logs: &logBuf{},
			read: func(t testing.TB, name string) []byte {
				t.Helper()
				b, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
			write: func(t testing.TB, name string, data []byte) {
				t.Helper()
				if err := os.WriteFile(name, data, 0o600); err != nil {
					t.Fatal(err)
				}
			},
		})
	})
	t.Run("mem", func(t *testing.T) { f(t, newMemEnv()) })
}

func newMemEnv() *env {
	m := NewMemFS()
	return &env{name: "mem", fs: m, dir: "/data/wal", read: m.readFile, write: m.writeFile, logs: &logBuf{}}
}

// open opens the log in e with opts (Dir, fs and Logger filled in) and
// closes it when the test ends.
func (e *env) open(t testing.TB, opts Options) *Log {
	t.Helper()
	l, err := e.tryOpen(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func (e *env) tryOpen(opts Options) (*Log, error) {
	opts.Dir, opts.FS, opts.Logger = e.dir, e.fs, slog.New(slog.NewTextHandler(e.logs, nil))
	return Open(opts)
}

func (e *env) path(name string) string { return filepath.Join(e.dir, name) }

// files returns the names of the log's segment and snapshot files.
func (e *env) files(t testing.TB) []string {
	t.Helper()
	names, err := e.fs.ReadDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, segSuffix) || strings.HasSuffix(n, snapSuffix) {
			out = append(out, n)
		}
	}
	return out
}

// logBuf collects log output; it is safe for concurrent use.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// take returns the lines logged since the last take.
func (b *logBuf) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSpace(b.b.String())
	b.b.Reset()
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// rec is the payload of the record at index i in most tests.
func rec(i uint64) []byte {
	return fmt.Appendf(nil, "record %d%s", i, strings.Repeat(".", int(i%7)))
}

// appendRecs appends rec(i) for the next n indexes and returns the last.
func appendRecs(t testing.TB, l *Log, n int) uint64 {
	t.Helper()
	var last uint64
	for range n {
		want := l.Last() + 1
		i, err := l.Append(rec(want))
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		if i != want {
			t.Fatalf("Append returned index %d, want %d", i, want)
		}
		last = i
	}
	return last
}

// waitDurable waits until Durable reaches index, failing on a log error.
func waitDurable(t testing.TB, l *Log, index uint64) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for l.Durable() < index {
		if err := l.Err(); err != nil {
			t.Fatalf("waiting for index %d: %v", index, err)
		}
		select {
		case <-l.Notify():
		case <-deadline.C:
			t.Fatalf("index %d not durable after 10s (durable %d)", index, l.Durable())
		}
	}
}

// replayAll returns the records after index after, checking that their
// indexes are consecutive.
func replayAll(t testing.TB, l *Log, after uint64) map[uint64][]byte {
	t.Helper()
	got := map[uint64][]byte{}
	next := after + 1
	err := l.Replay(after, func(i uint64, r []byte) error {
		if i != next {
			return fmt.Errorf("replayed index %d, want %d", i, next)
		}
		next++
		got[i] = r
		return nil
	})
	if err != nil {
		t.Fatalf("Replay(%d): %v", after, err)
	}
	return got
}

// checkRecs checks that the log holds rec(i) for every index in
// (after, last] and nothing after.
func checkRecs(t testing.TB, l *Log, after, last uint64) {
	t.Helper()
	got := replayAll(t, l, after)
	if uint64(len(got)) != last-after {
		t.Fatalf("Replay(%d): %d records, want %d (to index %d)", after, len(got), last-after, last)
	}
	for i := after + 1; i <= last; i++ {
		if !bytes.Equal(got[i], rec(i)) {
			t.Fatalf("record %d = %q, want %q", i, got[i], rec(i))
		}
	}
	if l.Last() != last {
		t.Fatalf("Last() = %d, want %d", l.Last(), last)
	}
}
