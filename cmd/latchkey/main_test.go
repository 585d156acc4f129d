package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/server"
)

// beMainEnv, set to 1, makes the test binary run as latchkey itself: the
// end-to-end tests run the command by re-executing the test binary.
const beMainEnv = "LATCHKEY_CLI_TEST_BE_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(beMainEnv) == "1" {
		os.Exit(execute(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	goleak.VerifyTestMain(m)
}

// processTimeout bounds every latchkey process a test runs, so that a
// hung one fails the test instead of hanging it.
const processTimeout = 30 * time.Second

// latchkeyCmd returns a command that runs latchkey with args, with
// LATCHKEY_ADDR set to addr (unset if addr is ""), killed when t ends. It
// may be called from any goroutine.
func latchkeyCmd(t *testing.T, addr string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Error(err) // the Start will fail
	}
	ctx, cancel := context.WithTimeout(t.Context(), processTimeout)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, exe, args...)
	// A race-enabled binary sleeps a second at exit unless told not to.
	cmd.Env = []string{beMainEnv + "=1", "GORACE=atexit_sleep_ms=0"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LATCHKEY_") && !strings.HasPrefix(kv, "GORACE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if addr != "" {
		cmd.Env = append(cmd.Env, envAddr+"="+addr)
	}
	// A process left behind holding the output pipes must not hang Wait.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// result is what a latchkey process did.
type result struct {
	stdout, stderr string
	code           int
}

// wait waits for cmd, started with outputs from capture, and returns its
// result; code -1 if it could not wait (the test has failed then). It may
// be called from any goroutine.
func wait(t *testing.T, cmd *exec.Cmd, stdout, stderr *bytes.Buffer) result {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Errorf("%v: %v", cmd.Args, err)
		return result{code: -1}
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// capture gives cmd buffers for its stdout and stderr.
func capture(cmd *exec.Cmd) (stdout, stderr *bytes.Buffer) {
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return stdout, stderr
}

// startLK starts latchkey with args against addr, with outputs from
// capture, failing t if it cannot start. Call it from the test's
// goroutine; wait returns the process's result.
func startLK(t *testing.T, addr string, args ...string) (cmd *exec.Cmd, stdout, stderr *bytes.Buffer) {
	t.Helper()
	cmd = latchkeyCmd(t, addr, args...)
	stdout, stderr = capture(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdout, stderr
}

// runLK runs latchkey with args against addr and returns its result; code
// -1 if it could not run (the test has failed then). It may be called
// from any goroutine.
func runLK(t *testing.T, addr string, args ...string) result {
	t.Helper()
	cmd := latchkeyCmd(t, addr, args...)
	stdout, stderr := capture(cmd)
	if err := cmd.Start(); err != nil {
		t.Errorf("%v: %v", cmd.Args, err)
		return result{code: -1}
	}
	return wait(t, cmd, stdout, stderr)
}

// must runs latchkey with args against addr, fails t unless it exits with
// 0, and returns its stdout.
func must(t *testing.T, addr string, args ...string) string {
	t.Helper()
	r := runLK(t, addr, args...)
	if r.code != 0 {
		t.Fatalf("latchkey %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// expect runs latchkey with args against addr and fails t unless it exits
// with code and its stderr contains errPart.
func expect(t *testing.T, code int, errPart, addr string, args ...string) result {
	t.Helper()
	r := runLK(t, addr, args...)
	if r.code != code || !strings.Contains(r.stderr, errPart) {
		t.Fatalf("latchkey %s: exit %d, stderr %q; want exit %d, stderr containing %q", strings.Join(args, " "), r.code, r.stderr, code, errPart)
	}
	return r
}

// startServer starts an in-process server on a free loopback port with cfg
// (nil: defaults) and returns it and its TCP address. It is closed when t
// ends.
func startServer(t *testing.T, cfg *server.Config) (*server.Server, string) {
	t.Helper()
	if cfg == nil {
		cfg = &server.Config{}
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		srv.Close()
		<-done
	})
	return srv, srv.Addr().String()
}

// dialTest returns a client of the server at addr, closed when t ends.
func dialTest(t *testing.T, addr string) *client.Client {
	t.Helper()
	c, err := client.Dial(t.Context(), &client.Config{Addr: addr, Label: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// eventually polls cond until it holds, failing t after 10 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
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

// waiters returns the number of calls blocked on the object name.
func waiters(t *testing.T, c *client.Client, name string) int {
	t.Helper()
	n, err := c.Waiters(t.Context(), name)
	if err != nil {
		return -1 // not created yet
	}
	return n
}

// lines splits s into its lines, without the last newline.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
