package reexec

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// Main is the TestMain of a test binary that is also its own children:
// when the environment variable env names a role, the process is a child,
// which runs child(role) and exits with the code it returns, running no
// test; otherwise Main runs the tests and checks that none leaked a
// goroutine (goleak.VerifyTestMain).
func Main(m *testing.M, env string, child func(role string) int) {
	if role := os.Getenv(env); role != "" {
		os.Exit(child(role))
	}
	goleak.VerifyTestMain(m)
}

// Command returns the command of a child: the test binary run again with
// no test selected (-test.run=^$), with env (entries "KEY=value") added
// to this process's environment, and GORACE=atexit_sleep_ms=0 unless this
// process has GORACE set (see the package doc). The caller sets its
// standard streams and starts it.
func Command(env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = os.Environ()
	if _, ok := os.LookupEnv("GORACE"); !ok {
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// Pipe opens the report pipe of t's children and returns its write end,
// to give to [Start] as the children's stdout and for the parent to write
// lines of its own to. A goroutine reads the pipe and calls line with each
// line, without its newline, in order, until the pipe closes; line runs on
// that goroutine only. When t ends, Pipe closes both ends and waits for
// that goroutine, after the children started later have been killed (test
// cleanups run last-registered first): a line that blocks must return
// once t.Context() is done.
func Pipe(t testing.TB, line func(string)) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line(sc.Text())
		}
	}()
	t.Cleanup(func() {
		w.Close()
		r.Close() // ends a Scan still waiting for a child that is gone
		<-done
	})
	return w
}

// Report writes a child's report to its stdout, the pipe of its test:
// who, a space, the message and a newline, in one write, with any newline
// in the message replaced by a space so that the report stays one line.
func Report(who, format string, args ...any) {
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
	os.Stdout.WriteString(who + " " + msg + "\n")
}

// Child is a child process started by [Start].
type Child struct {
	// Name is what failure messages call the child ("client 2").
	Name string
	// Cmd is its command; Cmd.Process is the process.
	Cmd *exec.Cmd

	stdin  io.WriteCloser
	stderr syncBuf
	exited chan struct{} // closed once Cmd.Wait has returned
}

// Start starts [Command](env...) as a child called name, with its stdout
// going to stdout (the write end of a [Pipe], typically) and its stdin
// and stderr kept for [Child.Send] and [Child.Stderr]. It fails the test
// if the child cannot start. When t ends, the child is killed if it is
// still running and reaped, and if t failed its stderr is logged.
func Start(t testing.TB, name string, stdout io.Writer, env ...string) *Child {
	t.Helper()
	c := &Child{Name: name, Cmd: Command(env...), exited: make(chan struct{})}
	c.Cmd.Stdout = stdout
	c.Cmd.Stderr = &c.stderr
	var err error
	if c.stdin, err = c.Cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := c.Cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		c.Cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			c.Cmd.Process.Kill()
			<-c.exited
		}
		c.stdin.Close()
		if s := c.Stderr(); t.Failed() && s != "" {
			t.Logf("stderr of %s:\n%s", c.Name, s)
		}
	})
	return c
}

// Send writes line and a newline to c's stdin.
func (c *Child) Send(line string) error {
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		return fmt.Errorf("command %q to %s: %w", line, c.Name, err)
	}
	return nil
}

// CloseStdin closes c's stdin, which tells a child that follows the
// package's protocol to exit.
func (c *Child) CloseStdin() error { return c.stdin.Close() }

// Exited returns a channel that is closed once c has exited and been
// reaped.
func (c *Child) Exited() <-chan struct{} { return c.exited }

// Status returns how c ended; c must have exited (see [Child.Exited]).
func (c *Child) Status() syscall.WaitStatus {
	ws, _ := c.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ws
}

// Stderr returns what c has written to its stderr so far.
func (c *Child) Stderr() string { return c.stderr.String() }

// Kill sends c SIGKILL, waits until it has exited and been reaped, and
// reports whether the signal killed it: false means that c had exited by
// itself first.
func (c *Child) Kill() (bool, error) {
	if err := c.Cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return false, fmt.Errorf("killing %s: %w", c.Name, err)
	}
	<-c.exited
	ws := c.Status()
	return ws.Signaled() && ws.Signal() == syscall.SIGKILL, nil
}

// syncBuf is a bytes.Buffer safe for concurrent use: a child's stderr,
// written by os/exec while the test reads it.
type syncBuf struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
