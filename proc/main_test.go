package proc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/proc"
)

// envBeforeMain makes a child misbehave before it calls proc.Main: "exit"
// exits with status 5, "hang" never gets there.
const envBeforeMain = "PROC_TEST_BEFORE_MAIN"

// TestMain dispatches child roles first (proc.Main does not return in a
// child), then runs the tests with a goroutine leak check.
func TestMain(m *testing.M) {
	switch os.Getenv(envBeforeMain) {
	case "exit":
		os.Exit(5)
	case "hang":
		time.Sleep(time.Hour) // a child that never calls Main; the parent kills it
		os.Exit(6)
	}
	proc.Main()
	// A binary built with -race sleeps a second at exit unless told not
	// to; children inherit this.
	if _, ok := os.LookupEnv("GORACE"); !ok {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	goleak.VerifyTestMain(m)
}

// The functions the tests run in children.
var (
	square = proc.Register("square", func(ctx context.Context, x int) (int, error) {
		return x * x, nil
	})
	add = proc.Register2("add", func(ctx context.Context, a, b int) (int, error) {
		return a + b, nil
	})
	fails = proc.Register("fails", func(ctx context.Context, msg string) (int, error) {
		return 0, errors.New(msg)
	})
	notFound = proc.Register("notFound", func(ctx context.Context, key string) (int, error) {
		return 0, fmt.Errorf("no key %q: %w", key, latchkey.ErrNotFound)
	})
	panics = proc.Register("panics", func(ctx context.Context, x int) (int, error) {
		panic(fmt.Sprintf("boom %d", x))
	})
	exits = proc.Register("exits", func(ctx context.Context, code int) (int, error) {
		os.Exit(code)
		return 0, nil
	})
	pid = proc.Register("pid", func(ctx context.Context, _ int) (int, error) {
		return os.Getpid(), nil
	})
	// block returns when its ctx is cancelled.
	block = proc.Register("block", func(ctx context.Context, _ int) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	})
	// hang creates the file it is given, then waits an hour: only a
	// signal ends it, or the end of its parent (which cancels ctx).
	hang = proc.Register("hang", func(ctx context.Context, marker string) (int, error) {
		if marker != "" {
			if err := os.WriteFile(marker, nil, 0o600); err != nil {
				return 0, err
			}
		}
		t := time.NewTimer(time.Hour)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return 0, nil
	})
	// dieAt kills its own process when x is 13.
	dieAt = proc.Register("dieAt", func(ctx context.Context, x int) (int, error) {
		if x == 13 {
			if self, err := os.FindProcess(os.Getpid()); err == nil {
				self.Kill() // SIGKILL on Unix
			}
			select {} // until the kill lands
		}
		return x, nil
	})
	// delayed returns x after x milliseconds: later arguments of a
	// decreasing sequence finish first.
	delayed = proc.Register("delayed", func(ctx context.Context, x int) (int, error) {
		t := time.NewTimer(time.Duration(x) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			return x, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
	// echo sends back every message of its inherited Conn 0 until end of
	// file, and returns how many there were.
	echo = proc.Register("echo", func(ctx context.Context, _ int) (int, error) {
		c, err := proc.InheritedConn(0)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		for n := 0; ; n++ {
			m, err := c.RecvBytes(ctx)
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			if err := c.SendBytes(ctx, m); err != nil {
				return n, err
			}
		}
	})
	// rawEcho is echo on the descriptor of the inherited Conn 0, read and
	// written directly: each read is taken for one message.
	rawEcho = proc.Register("rawEcho", func(ctx context.Context, _ int) (int, error) {
		c, err := proc.InheritedConn(0)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		f, buf := proc.RawFile(c), make([]byte, 4096)
		for n := 0; ; n++ {
			m, err := f.Read(buf)
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			if _, err := f.Write(buf[:m]); err != nil {
				return n, err
			}
		}
	})
	// produce sends the strings it is given on its inherited Conn 0 and
	// returns.
	produce = proc.Register("produce", func(ctx context.Context, msgs []string) (int, error) {
		c, err := proc.InheritedConn(0)
		if err != nil {
			return 0, err
		}
		cc := proc.NewConnOf[string](c, nil)
		for _, m := range msgs {
			if err := cc.Send(ctx, m); err != nil {
				return 0, err
			}
		}
		return len(msgs), c.Close()
	})
	// spawnDaemon starts a daemon child running hang, sends its pid on
	// the inherited Conn 0, and waits to be killed (or for its parent to
	// go away, which cancels ctx).
	spawnDaemon = proc.Register("spawnDaemon", func(ctx context.Context, _ int) (int, error) {
		c, err := proc.InheritedConn(0)
		if err != nil {
			return 0, err
		}
		d := proc.NewProcess(hang, "", &proc.ProcessConfig{Daemon: true})
		if err := d.Start(ctx); err != nil {
			return 0, err
		}
		if err := proc.NewConnOf[int](c, nil).Send(ctx, d.Pid()); err != nil {
			return 0, err
		}
		<-ctx.Done()
		return 0, nil
	})
)

// lateFunc registers a function after proc.Main has run, which is too
// late for children to see it.
var lateFunc = sync.OnceValue(func() proc.Func[int, int] {
	return proc.Register("late", func(ctx context.Context, x int) (int, error) { return x, nil })
})

// Functions for the chunk tests.
var (
	// oddFails fails on odd arguments and squares even ones.
	oddFails = proc.Register("oddFails", func(ctx context.Context, x int) (int, error) {
		if x%2 != 0 {
			return 0, fmt.Errorf("odd %d", x)
		}
		return x * x, nil
	})
	// setFrameLimit sets the frame limit of the process that runs it; 0
	// restores the default.
	setFrameLimit = proc.Register("setFrameLimit", func(ctx context.Context, n int) (int, error) {
		proc.SetFrameLimit(n)
		return n, nil
	})
	// pickyArg and pickyResult return their argument, through a codec that
	// cannot encode 13: the argument's, or the result's.
	pickyArg    = proc.RegisterCodec[int, int]("pickyArg", identity, not13{}, nil)
	pickyResult = proc.RegisterCodec[int, int]("pickyResult", identity, nil, not13{})
)

func identity(ctx context.Context, x int) (int, error) { return x, nil }

// not13 is JSON for ints other than 13.
type not13 struct{ latchkey.JSON[int] }

func (c not13) Encode(x int) ([]byte, error) {
	if x == 13 {
		return nil, errors.New("13 is unlucky")
	}
	return c.JSON.Encode(x)
}

// takesChan takes an argument that JSON cannot encode.
var takesChan = proc.Register("takesChan", func(ctx context.Context, c chan int) (int, error) { return 0, nil })

// discard is a logger for pools whose log the test does not read.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// logBuffer is a logger whose output the test reads.
type logBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.String()
}

// newPool starts a pool that the test's cleanup terminates and joins.
func newPool(t testing.TB, n int, cfg *proc.PoolConfig) *proc.Pool {
	t.Helper()
	if cfg == nil {
		cfg = &proc.PoolConfig{}
	}
	if cfg.Logger == nil {
		cfg.Logger = discard
	}
	p, err := proc.NewPool(t.Context(), n, cfg)
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() {
		p.Terminate()
		if err := p.Join(context.Background()); err != nil {
			t.Errorf("Join: %v", err)
		}
	})
	return p
}

// startProcess starts a process that the test's cleanup kills and joins.
func startProcess[A, R any](t testing.TB, f proc.Func[A, R], arg A, cfg *proc.ProcessConfig) *proc.Process[A, R] {
	t.Helper()
	p := proc.NewProcess(f, arg, cfg)
	if err := p.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		p.Kill()
		p.Join(context.Background())
	})
	return p
}

// waitFor polls cond until it holds or 10 s have passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
