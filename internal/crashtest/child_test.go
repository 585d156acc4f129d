//go:build unix

package crashtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/internal/reexec"
)

// The environment of a child: the parent sets it when it starts the test
// binary again as a child.
const (
	envRole  = "LATCHKEY_CRASHTEST_ROLE"  // the role to run; unset in the parent
	envAddr  = "LATCHKEY_CRASHTEST_ADDR"  // the server's address, as client.Config.Addr
	envTTL   = "LATCHKEY_CRASHTEST_TTL"   // the session TTL the child asks for
	envID    = "LATCHKEY_CRASHTEST_ID"    // the child's id, the first word of its reports
	envName  = "LATCHKEY_CRASHTEST_NAME"  // the object the role works on
	envArgs  = "LATCHKEY_CRASHTEST_ARGS"  // the role's arguments, space-separated
	envAlive = "LATCHKEY_CRASHTEST_ALIVE" // the sentinel lock the child waits on all its life
)

// The roles of a child. Each dials the server, starts waiting on its
// sentinel lock, waits for the parent's "go" (sent once the parent has
// seen that waiter), does its first step and then its next steps on the
// parent's commands; a child exits when its stdin closes.
const (
	// roleLock locks the Lock (report "locked F", or "locked F died" for
	// a grant with ErrOwnerDied); on "unlock" it unlocks it ("unlocked").
	roleLock = "lock"
	// roleSem acquires a permit of the semaphore of ARGS "value bounded"
	// or "value unbounded" ("acquired F [died]"); on "release" it
	// releases one ("released").
	roleSem = "sem"
	// roleGet gets an item from the Queue (ARGS "queue") or SimpleQueue
	// (ARGS "simple"): "got ITEM"; on "done" (Queue) it calls TaskDone
	// ("done").
	roleGet = "get"
	// roleBarrier waits on the Barrier of ARGS parties: "passed INDEX",
	// or "broken" for ErrBrokenBarrier.
	roleBarrier = "barrier"
	// roleSoak locks and unlocks the Lock ARGS "cycles seed" times,
	// reporting "locked F [died]" after each grant and "unlocking" before
	// each Unlock. In between it holds the lock for a random number of
	// round trips, after sometimes reporting "holding" and waiting for the
	// parent's "release". It ends with "exit" and a clean Close.
	roleSoak = "soak"
)

// kid is the state of a child process.
type kid struct {
	id      int
	c       *client.Client
	name    string
	args    []string
	cmds    chan string // the parent's commands, one per stdin line
	closing atomic.Bool // set before a clean Close: the session's end is expected
}

// childMain runs role and returns the exit code.
func childMain(role string) int {
	ctx := context.Background()
	k := &kid{name: os.Getenv(envName), args: strings.Fields(os.Getenv(envArgs)), cmds: make(chan string, 16)}
	id, err := strconv.Atoi(os.Getenv(envID))
	if err != nil {
		fmt.Fprintf(os.Stderr, "crashtest child: bad %s: %v\n", envID, err)
		return 2
	}
	k.id = id
	go k.readCommands()
	ttl, err := time.ParseDuration(os.Getenv(envTTL))
	if err != nil {
		k.fail("bad %s: %v", envTTL, err)
	}
	c, err := client.Dial(ctx, &client.Config{Addr: os.Getenv(envAddr), TTL: ttl, Label: fmt.Sprintf("crashtest-%d", id)})
	if err != nil {
		k.fail("dial: %v", err)
	}
	k.c = c
	go func() {
		<-c.Done()
		if !k.closing.Load() {
			k.fail("session ended: %v", c.Err())
		}
	}()
	alive, err := c.Lock(ctx, os.Getenv(envAlive))
	if err != nil {
		k.fail("open sentinel: %v", err)
	}
	go alive.Lock(ctx) // the parent holds it: this waiter lives as long as the session
	k.await("go")      // the parent has seen the waiter

	switch role {
	case roleLock:
		k.lock(ctx)
	case roleSem:
		k.sem(ctx)
	case roleGet:
		k.get(ctx)
	case roleBarrier:
		k.barrier(ctx)
	case roleSoak:
		k.soak(ctx)
		k.report("exit")
		k.closing.Store(true)
		c.Close()
		return 0
	default:
		k.fail("unknown role %q", role)
	}
	k.idle()
	return 0
}

// readCommands forwards stdin's lines to k.cmds and exits the process
// when stdin closes (the parent is done with the child, or gone).
func (k *kid) readCommands() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		k.cmds <- sc.Text()
	}
	os.Exit(0)
}

// report writes one line to the shared pipe, in one write.
func (k *kid) report(format string, args ...any) {
	reexec.Report(strconv.Itoa(k.id), format, args...)
}

// fail reports an unexpected error and exits.
func (k *kid) fail(format string, args ...any) {
	k.report("fail %s", fmt.Sprintf(format, args...))
	os.Exit(1)
}

// await waits for the parent's command want.
func (k *kid) await(want string) {
	if got := <-k.cmds; got != want {
		k.fail("command %q, want %q", got, want)
	}
}

// idle waits for stdin to close.
func (k *kid) idle() {
	for cmd := range k.cmds {
		k.fail("unexpected command %q", cmd)
	}
}

// grant reports a grant: "verb F", or "verb F died" when it came with
// ErrOwnerDied.
func (k *kid) grant(verb string, f latchkey.Fence, err error) {
	switch {
	case err == nil:
		k.report("%s %d", verb, f)
	case errors.Is(err, latchkey.ErrOwnerDied):
		k.report("%s %d died", verb, f)
	default:
		k.fail("%s: %v", verb, err)
	}
}

func (k *kid) lock(ctx context.Context) {
	l, err := k.c.Lock(ctx, k.name)
	if err != nil {
		k.fail("open: %v", err)
	}
	f, err := l.Lock(ctx)
	k.grant("locked", f, err)
	k.await("unlock")
	if err := l.Unlock(ctx); err != nil {
		k.fail("unlock: %v", err)
	}
	k.report("unlocked")
}

func (k *kid) sem(ctx context.Context) {
	if len(k.args) != 2 {
		k.fail("args %q, want \"value bounded|unbounded\"", k.args)
	}
	n, err := strconv.Atoi(k.args[0])
	if err != nil {
		k.fail("bad value: %v", err)
	}
	var s latchkey.Semaphore
	if k.args[1] == "bounded" {
		s, err = k.c.BoundedSemaphore(ctx, k.name, n)
	} else {
		s, err = k.c.Semaphore(ctx, k.name, n)
	}
	if err != nil {
		k.fail("open: %v", err)
	}
	f, err := s.Acquire(ctx)
	k.grant("acquired", f, err)
	k.await("release")
	if err := s.Release(ctx, 1); err != nil {
		k.fail("release: %v", err)
	}
	k.report("released")
}

func (k *kid) get(ctx context.Context) {
	if len(k.args) != 1 {
		k.fail("args %q, want \"queue\" or \"simple\"", k.args)
	}
	if k.args[0] == "simple" {
		q, err := k.c.SimpleQueue(ctx, k.name)
		if err != nil {
			k.fail("open: %v", err)
		}
		v, err := q.Get(ctx)
		if err != nil {
			k.fail("get: %v", err)
		}
		k.report("got %s", v)
		return
	}
	q, err := k.c.Queue(ctx, k.name, latchkey.QueueOptions{})
	if err != nil {
		k.fail("open: %v", err)
	}
	v, err := q.Get(ctx)
	if err != nil {
		k.fail("get: %v", err)
	}
	k.report("got %s", v)
	k.await("done")
	if err := q.TaskDone(ctx); err != nil {
		k.fail("task done: %v", err)
	}
	k.report("done")
}

func (k *kid) barrier(ctx context.Context) {
	if len(k.args) != 1 {
		k.fail("args %q, want \"parties\"", k.args)
	}
	n, err := strconv.Atoi(k.args[0])
	if err != nil {
		k.fail("bad parties: %v", err)
	}
	b, err := k.c.Barrier(ctx, k.name, n, nil)
	if err != nil {
		k.fail("open: %v", err)
	}
	i, err := b.Wait(ctx)
	switch {
	case err == nil:
		k.report("passed %d", i)
	case errors.Is(err, latchkey.ErrBrokenBarrier):
		k.report("broken")
	default:
		k.fail("wait: %v", err)
	}
}

func (k *kid) soak(ctx context.Context) {
	if len(k.args) != 2 {
		k.fail("args %q, want \"cycles seed\"", k.args)
	}
	cycles, err := strconv.Atoi(k.args[0])
	if err != nil {
		k.fail("bad cycles: %v", err)
	}
	seed, err := strconv.ParseUint(k.args[1], 10, 64)
	if err != nil {
		k.fail("bad seed: %v", err)
	}
	rng := rand.New(rand.NewPCG(seed, uint64(k.id)))
	l, err := k.c.Lock(ctx, k.name)
	if err != nil {
		k.fail("open: %v", err)
	}
	for range cycles {
		f, err := l.Lock(ctx)
		k.grant("locked", f, err)
		if rng.IntN(3) == 0 { // hold it until the parent releases or kills us
			k.report("holding")
			k.await("release")
		}
		for range rng.IntN(4) { // or a while, so that some random kills land on a holder
			if _, err := l.Locked(ctx); err != nil {
				k.fail("locked: %v", err)
			}
		}
		k.report("unlocking")
		if err := l.Unlock(ctx); err != nil {
			k.fail("unlock: %v", err)
		}
	}
}
