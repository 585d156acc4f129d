package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
)

// releaseTimeout bounds the release of the lock or permit after the
// command exited.
const releaseTimeout = 5 * time.Second

// runOptions are the flags of `latchkey run`.
type runOptions struct {
	lock, sem string
	limit     int
	timeout   time.Duration
	killAfter time.Duration
}

// runCmd returns `latchkey run`.
func (a *cli) runCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run (--lock NAME | --sem NAME --limit N) [--timeout D] -- CMD [ARG...]",
		Short: "Run a command while holding a lock or a semaphore permit",
		Long: `Run CMD with its arguments while holding the lock NAME (like flock(1), but
across hosts), or one permit of the semaphore NAME that has N permits.

run waits for the lock or permit (with --timeout D, at most D: then it
exits with 75 without running CMD), starts CMD in a process group of its
own with run's standard input, output and error, and releases the lock or
permit when CMD exits. run exits with CMD's status, or 128+N if CMD was
killed by signal N. CMD sees two more environment variables:
LATCHKEY_FENCE, the grant's fencing token (a number that grows with every
grant of the object, to hand to the resource the lock protects so that it
can refuse a stale holder), and LATCHKEY_ADDR, the server's address.

SIGINT, SIGTERM and SIGHUP sent to run are forwarded to CMD's process
group; while run still waits for the lock they end the wait (exit 128+N).
Since CMD has a process group of its own, it is not the terminal's
foreground job: a CMD that reads from the terminal is stopped (SIGTTIN);
give it its input another way.

If run loses the lock or permit while CMD runs (its session with the
server expired, the server went away for longer than the session's TTL,
or the server reported the hold released, as when an operator breaks a
lock), run sends SIGTERM to CMD's process group, SIGKILL after
--kill-after, prints "latchkey: lost the lock NAME: <reason>; terminated
CMD" and exits with 70. If run itself is
killed (SIGKILL), the server releases the lock: at once over a Unix
socket, after the session's TTL over TCP; on Linux CMD is then killed
too.

The semaphore of --sem is a bounded semaphore created with N permits on
first use; naming an existing semaphore with another N, or an object of
another type, is an error (exit 1). CMD not found exits with 127, CMD
not executable with 126, as in a shell.`,
		DisableFlagsInUseLine: true,
		Example: `  latchkey run --lock backup -- rsync -a /data backup:/data
  latchkey run --lock deploy --timeout 30s -- ./deploy.sh
  latchkey run --sem gpu --limit 2 -- python train.py`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(cmd.ArgsLenAtDash(), args, cmd.Flags().Changed("limit")); err != nil {
				return err
			}
			return a.run(cmd.Context(), &o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.lock, "lock", "", "hold the lock `NAME` while the command runs")
	f.StringVar(&o.sem, "sem", "", "hold a permit of the semaphore `NAME` while the command runs")
	f.IntVar(&o.limit, "limit", 0, "the semaphore's number of permits (with --sem)")
	f.DurationVar(&o.timeout, "timeout", 0, "give up (exit 75) if the lock or permit has not come after this long (0: wait forever)")
	f.DurationVar(&o.killAfter, "kill-after", 10*time.Second, "after losing the lock, SIGKILL the command this long after SIGTERM")
	a.clientFlags(cmd)
	return cmd
}

// check validates the options and arguments of run: dash is the index of
// "--" among the arguments (-1 if absent).
func (o *runOptions) check(dash int, args []string, limitSet bool) error {
	switch {
	case dash < 0:
		return usagef("missing -- before the command: latchkey run --lock NAME -- CMD [ARG...]")
	case dash > 0:
		return usagef("unexpected argument %q before --", args[0])
	case len(args) == 0:
		return usagef("no command after --")
	case o.lock == "" && o.sem == "":
		return usagef("give --lock NAME or --sem NAME --limit N")
	case o.lock != "" && o.sem != "":
		return usagef("give --lock or --sem, not both")
	case o.sem != "" && !limitSet:
		return usagef("--sem needs --limit N")
	case o.sem != "" && o.limit < 1:
		return usagef("--limit %d: want 1 or more", o.limit)
	case o.lock != "" && limitSet:
		return usagef("--limit goes with --sem, not --lock")
	}
	if err := checkName(o.lock + o.sem); err != nil {
		return err
	}
	if err := checkDuration("--timeout", o.timeout); err != nil {
		return err
	}
	return checkDuration("--kill-after", o.killAfter)
}

// grant is a held lock or permit and the client that holds it.
type grant struct {
	c       *client.Client
	kind    string // "lock" or "semaphore"
	name    string
	fence   latchkey.Fence
	lost    <-chan struct{} // closed when the server took the hold back; nil if the handle cannot tell
	release func(ctx context.Context) error
}

// lostReason says why g was lost.
func (g *grant) lostReason() string {
	if err := g.c.Err(); err != nil {
		return message(err)
	}
	return "the server released it"
}

// isLost reports whether g is known to be lost.
func (g *grant) isLost() bool {
	select {
	case <-g.lost:
		return true
	case <-g.c.Done():
		return true
	default:
		return false
	}
}

// run runs argv under the lock or permit of o.
func (a *cli) run(ctx context.Context, o *runOptions, argv []string) error {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return commandError(argv[0], err)
	}
	sigs := make(chan os.Signal, 8)
	notifyInterrupts(sigs)
	defer signal.Stop(sigs)

	// A signal while run waits for the grant ends the wait (exit 128+N);
	// once the grant came, the signals on sigs are for the command.
	actx, stopWatch := cancelOnSignal(ctx, sigs)
	g, err := a.acquire(actx, o, "latchkey run "+argv[0])
	if serr := stopWatch(); serr != nil {
		if err == nil { // the grant came first
			a.release(ctx, g)
			g.c.Close()
		}
		return serr
	}
	if err != nil {
		return err
	}
	defer g.c.Close()

	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	cmd.Env = append(os.Environ(), envFence+"="+strconv.FormatUint(uint64(g.fence), 10), envAddr+"="+a.address())
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		a.release(ctx, g)
		return commandError(argv[0], err)
	}
	waitc := make(chan error, 1)
	go func() { waitc <- cmd.Wait() }()

	var (
		werr       error       // the command's Wait
		lostWhy    string      // why the grant was lost, if it was
		kill       *time.Timer // started when the grant was lost while the command ran
		killc      <-chan time.Time
		lost, done = g.lost, g.c.Done()
	)
	onLost := func() {
		lost, done = nil, nil // the first of the two to fire is enough
		lostWhy = g.lostReason()
		signalGroup(cmd.Process, terminateSignal)
		kill = time.NewTimer(o.killAfter)
		killc = kill.C
	}
	for {
		select {
		case s := <-sigs:
			signalGroup(cmd.Process, s)
			continue
		case <-lost:
			onLost()
			continue
		case <-done:
			onLost()
			continue
		case <-killc:
			signalGroup(cmd.Process, killSignal)
			killc = nil
			continue
		case werr = <-waitc:
		}
		break
	}
	terminated := kill != nil
	if terminated {
		kill.Stop()
	} else if g.isLost() {
		lostWhy = g.lostReason()
	}
	if lostWhy != "" {
		// Nothing of the group may go on without the lock.
		signalGroup(cmd.Process, killSignal)
		if terminated {
			fmt.Fprintf(a.stderr, "latchkey: lost the %s %s: %s; terminated %s\n", g.kind, g.name, lostWhy, argv[0])
		} else {
			fmt.Fprintf(a.stderr, "latchkey: lost the %s %s while %s ran: %s\n", g.kind, g.name, argv[0], lostWhy)
		}
		return silentExit(exitLost)
	}
	a.release(ctx, g)
	if cmd.ProcessState == nil {
		return fmt.Errorf("waiting for %s: %w", argv[0], werr)
	}
	if st := exitStatus(cmd.ProcessState); st != 0 {
		return silentExit(st)
	}
	return nil
}

// release releases g, warning on stderr if that fails (closing the
// client releases it anyway).
func (a *cli) release(ctx context.Context, g *grant) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := g.release(rctx); err != nil {
		fmt.Fprintf(a.stderr, "latchkey: releasing the %s %s: %s\n", g.kind, g.name, message(err))
	}
}

// acquire dials the server and takes the lock or permit of o.
func (a *cli) acquire(ctx context.Context, o *runOptions, label string) (_ *grant, err error) {
	c, err := a.dial(ctx, label)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	g := &grant{c: c}
	type loser interface{ Lost() <-chan struct{} }
	var wait func(ctx context.Context) error // takes the lock or permit
	if o.lock != "" {
		g.kind, g.name = "lock", o.lock
		l, err := c.Lock(ctx, o.lock)
		if err != nil {
			return nil, describe(err, "run: lock %s", o.lock)
		}
		if lo, ok := l.(loser); ok {
			g.lost = lo.Lost()
		}
		g.release = l.Unlock
		wait = func(ctx context.Context) (err error) {
			g.fence, err = l.Lock(ctx)
			return err
		}
	} else {
		g.kind, g.name = "semaphore", o.sem
		s, err := c.BoundedSemaphore(ctx, o.sem, o.limit)
		if errors.Is(err, latchkey.ErrMismatch) {
			return nil, fmt.Errorf("run: semaphore %s exists with a limit other than %d, or is not a bounded semaphore: %w", o.sem, o.limit, err)
		}
		if err != nil {
			return nil, describe(err, "run: semaphore %s", o.sem)
		}
		if lo, ok := s.(loser); ok {
			g.lost = lo.Lost()
		}
		g.release = func(ctx context.Context) error { return s.Release(ctx, 1) }
		wait = func(ctx context.Context) (err error) {
			g.fence, err = s.Acquire(ctx)
			return err
		}
	}
	werr := waitBounded(ctx, o.timeout, "the "+g.kind+" "+g.name, wait)
	if errors.Is(werr, latchkey.ErrOwnerDied) {
		fmt.Fprintf(a.stderr, "latchkey: note: the previous holder of the %s %s died holding it\n", g.kind, g.name)
		werr = nil
	}
	if werr != nil {
		return nil, describe(werr, "run")
	}
	return g, nil
}

// commandError returns the exit error for a command that could not be
// found (127) or started (126).
func commandError(name string, err error) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return &exitError{code: exitNotFound, err: fmt.Errorf("%s: command not found", name)}
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		err = ee.Err
	}
	return &exitError{code: exitCannotRun, err: fmt.Errorf("%s: cannot run: %w", name, err)}
}
