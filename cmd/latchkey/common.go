package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/server"
)

// Environment variables latchkey reads or sets.
const (
	envAddr    = client.AddrEnv           // the server's address, for client commands
	envKeyFile = "LATCHKEY_AUTH_KEY_FILE" // the file holding the shared secret
	envFence   = "LATCHKEY_FENCE"         // set by run for its command: the grant's fencing token
)

// dialTimeout bounds how long a client command tries to reach the server
// before it gives up with exit code 69.
const dialTimeout = 3 * time.Second

// interruptSignals are the signals that interrupt a client command (and
// that run forwards to its command).
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// cli is what every command shares: the standard streams, the
// environment, the client flags, and whether a command began to run.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	addr    string // --addr of the client commands
	keyFile string // --auth-key-file of the client commands
	started bool   // a command's Run began: the errors before it are usage errors
}

// execute runs latchkey with args (without the program name) and returns
// its exit code. Errors are reported on stderr.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := a.rootCmd()
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && !a.started {
		// Flag parsing, argument counts, unknown commands, required flags.
		if u := (*usageError)(nil); !errors.As(err, &u) {
			err = &usageError{err}
		}
	}
	path := root.CommandPath()
	if cmd != nil {
		path = cmd.CommandPath()
	}
	report(stderr, err, path)
	return exitCode(err)
}

// rootCmd returns the latchkey command with every subcommand.
func (a *cli) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "latchkey",
		Short: "Locks, semaphores, queues and shared state for processes on one or many hosts",
		Long: `latchkey is Python's threading and multiprocessing synchronization toolkit
for separate programs: a server (latchkey serve) keeps named locks,
semaphores, events, barriers, queues, dicts and values; the other commands
use them from shell scripts, cron jobs and terminals, on this host or others.

Client commands find the server with --addr, else $LATCHKEY_ADDR, else
127.0.0.1:7459. An address is host:port for TCP, or the path of a Unix
socket ("/path/latchkey.sock" or "unix:relative/path"). A server with an
authentication key needs the same key: --auth-key-file, else
$LATCHKEY_AUTH_KEY_FILE (the file's content, without a trailing newline).

Environment:
  LATCHKEY_ADDR           the server's address, when --addr is not given
  LATCHKEY_AUTH_KEY_FILE  the key file, when --auth-key-file is not given
  LATCHKEY_FENCE          set by run for its command: the grant's fencing token
  LATCHKEY_ADDR           also set by run for its command: the address it used

` + exitCodesHelp,
		Version:       server.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE:          missingSubcommand,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(a.serveCmd(), a.runCmd(), a.queueCmd(), a.dictCmd(), a.valueCmd(), a.eventCmd(), a.barrierCmd(), a.lsCmd())
	a.markStart(root)
	return root
}

// markStart makes the Run of cmd and of its subcommands record that
// cobra's checks (flags, arguments, required flags) passed.
func (a *cli) markStart(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			a.started = true
			return run(cmd, args)
		}
	}
	for _, sub := range cmd.Commands() {
		a.markStart(sub)
	}
}

// missingSubcommand is the Run of a command that needs a subcommand.
func missingSubcommand(cmd *cobra.Command, _ []string) error {
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return usagef("missing subcommand (one of: %s)", strings.Join(names, ", "))
}

// group returns a command that only groups subcommands, with the client
// flags.
func (a *cli) group(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Long: long, Args: cobra.NoArgs, RunE: missingSubcommand}
	a.clientFlags(cmd)
	cmd.AddCommand(subs...)
	return cmd
}

// clientFlags adds --addr and --auth-key-file to cmd and its subcommands.
func (a *cli) clientFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&a.addr, "addr", "", "server address: host:port or a Unix socket path (default $"+envAddr+", else "+client.DefaultAddr+")")
	f.StringVar(&a.keyFile, "auth-key-file", "", "file holding the server's authentication key (default $"+envKeyFile+")")
}

// address returns the server address the client commands use.
func (a *cli) address() string {
	if a.addr != "" {
		return a.addr
	}
	if v := a.getenv(envAddr); v != "" {
		return v
	}
	return client.DefaultAddr
}

// checkAddr returns a usage error if addr is neither a Unix socket path
// nor host:port.
func checkAddr(addr string) error {
	if strings.HasPrefix(addr, "/") {
		return nil
	}
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		if p == "" {
			return usagef("address %q names no socket", addr)
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef("bad server address %q: want host:port or a Unix socket path", addr)
	}
	return nil
}

// authKey returns the key of --auth-key-file or $LATCHKEY_AUTH_KEY_FILE,
// or nil if neither names a file.
func (a *cli) authKey() ([]byte, error) {
	path := a.keyFile
	if path == "" {
		path = a.getenv(envKeyFile)
	}
	if path == "" {
		return nil, nil
	}
	return readKeyFile(path)
}

// readKeyFile returns the content of the key file at path without its
// trailing newline. An empty key is an error.
func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the auth key: %w", err)
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return nil, fmt.Errorf("the auth key file %s is empty", path)
	}
	return b, nil
}

// dial connects to the server, giving up after dialTimeout. label names
// the client in the server's listings.
func (a *cli) dial(ctx context.Context, label string) (*client.Client, error) {
	addr := a.address()
	if err := checkAddr(addr); err != nil {
		return nil, err
	}
	key, err := a.authKey()
	if err != nil {
		return nil, err
	}
	cfg := client.DefaultConfig()
	cfg.Addr = addr
	cfg.AuthKey = key
	cfg.DialTimeout = dialTimeout
	cfg.Label = label
	if len(cfg.Label) > latchkey.MaxNameLen {
		cfg.Label = cfg.Label[:latchkey.MaxNameLen]
	}
	c, err := client.Dial(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	return c, nil
}

// withClient runs f with a client of the server and a ctx that SIGINT,
// SIGTERM and SIGHUP cancel; it closes the client afterwards. A command
// that fails because a signal interrupted it exits with 128+signal,
// silently.
func (a *cli) withClient(cmd *cobra.Command, f func(ctx context.Context, c *client.Client) error) error {
	ctx, stop := interruptible(cmd.Context())
	err := func() error {
		c, err := a.dial(ctx, "latchkey "+strings.TrimPrefix(cmd.CommandPath(), "latchkey "))
		if err != nil {
			return err
		}
		defer c.Close()
		return f(ctx, c)
	}()
	if serr := stop(); serr != nil && err != nil {
		return serr
	}
	return err
}

// useObject checks name, connects to the server, opens the object name
// with open and runs f on it, as withClient does; an error of open is
// described as "KIND NAME: ...".
func useObject[T any](a *cli, cmd *cobra.Command, kind, name string, open func(*client.Client, context.Context, string) (T, error), f func(ctx context.Context, obj T) error) error {
	if err := checkName(name); err != nil {
		return err
	}
	return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
		obj, err := open(c, ctx, name)
		if err != nil {
			return describe(err, "%s %s", kind, name)
		}
		return f(ctx, obj)
	})
}

// interruptible returns a ctx that is cancelled when latchkey receives
// SIGINT, SIGTERM or SIGHUP, and stop, which stops watching and returns
// the silent exit error of the signal that came, or nil.
func interruptible(parent context.Context) (ctx context.Context, stop func() error) {
	ch := make(chan os.Signal, 1)
	notifyInterrupts(ch)
	ctx, stopWatch := cancelOnSignal(parent, ch)
	return ctx, func() error {
		signal.Stop(ch)
		return stopWatch()
	}
}

// cancelOnSignal returns a ctx that is cancelled when a signal arrives on
// sigs, and stop, which stops watching sigs (it leaves the signals that
// come later on sigs) and returns the silent exit error of the signal
// that came, or nil.
func cancelOnSignal(parent context.Context, sigs <-chan os.Signal) (ctx context.Context, stop func() error) {
	ctx, cancel := context.WithCancel(parent)
	quit := make(chan struct{})
	var got os.Signal
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case s := <-sigs:
			got = s
			cancel()
		case <-quit:
		}
	})
	return ctx, func() error {
		close(quit)
		wg.Wait()
		cancel()
		if got != nil {
			return silentExit(signalExitCode(got))
		}
		return nil
	}
}

// notifyInterrupts relays SIGINT, SIGTERM and SIGHUP to ch, except those
// latchkey was started ignoring (nohup, background jobs of a script):
// catching them would undo that, for latchkey and for run's command.
func notifyInterrupts(ch chan<- os.Signal) {
	var sigs []os.Signal
	for _, s := range interruptSignals {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) > 0 { // none would mean all
		signal.Notify(ch, sigs...)
	}
}

// signalExitCode returns 128 plus the number of s, as a shell reports a
// process killed by s.
func signalExitCode(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return exitSignalBase + int(n)
	}
	return exitSignalBase + int(syscall.SIGINT)
}

// timeoutFlag adds --timeout to cmd.
func timeoutFlag(cmd *cobra.Command, d *time.Duration, what string) {
	cmd.Flags().DurationVar(d, "timeout", 0, "give up (exit 75) if "+what+" has not come after this long, e.g. 500ms or 2m (0: wait forever)")
}

// waitBounded runs wait with ctx bounded by d (not bounded if d is 0)
// and returns its error, or the timeout error (exit 75) naming what the
// wait was for if d expired.
func waitBounded(ctx context.Context, d time.Duration, what string, wait func(ctx context.Context) error) error {
	if d <= 0 {
		return wait(ctx)
	}
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	err := wait(tctx)
	if err != nil && errors.Is(err, context.DeadlineExceeded) && errors.Is(tctx.Err(), context.DeadlineExceeded) {
		return timedOut(d, what)
	}
	return err
}

// checkDuration returns a usage error if the duration of flag is negative.
func checkDuration(flag string, d time.Duration) error {
	if d < 0 {
		return usagef("%s %v is negative", flag, d)
	}
	return nil
}

// parseInt returns s as an int64, or a usage error naming what it is.
func parseInt(s, what string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, usagef("%s %q is not an integer", what, s)
	}
	return n, nil
}

// checkName returns a usage error if name is not a valid object name.
func checkName(name string) error {
	if err := latchkey.CheckName(name); err != nil {
		return &usageError{err}
	}
	return nil
}

// describe wraps err with what the command was doing, mapping the root
// package's sentinels to plain words where the server's message is terse.
func describe(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, latchkey.ErrMismatch) {
		return fmt.Errorf("%s: the name belongs to an object of another type or with other parameters: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
