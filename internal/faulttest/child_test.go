//go:build unix

package faulttest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/internal/reexec"
	"github.com/latchkey/latchkey/server"
)

// The environment of a child: the parent sets it when it starts the test
// binary again as a child.
const (
	envRole = "LATCHKEY_FAULTTEST_ROLE" // "server" or "client"; unset in the parent
	envAddr = "LATCHKEY_FAULTTEST_ADDR" // the server's TCP address
	envData = "LATCHKEY_FAULTTEST_DATA" // server: the data directory
	envSync = "LATCHKEY_FAULTTEST_SYNC" // server: the sync mode
	envSnap = "LATCHKEY_FAULTTEST_SNAP" // server: SnapshotEvery
	envGen  = "LATCHKEY_FAULTTEST_GEN"  // server: its generation, in its "ready" report
	envID   = "LATCHKEY_FAULTTEST_ID"   // client: its id, the first word of its reports
	envRng  = "LATCHKEY_FAULTTEST_RNG"  // client: the seed of its workload
	envHold = "LATCHKEY_FAULTTEST_HOLD" // client: "1" to hold the lock "held" all along
)

// The objects of the workload.
const (
	valueName = "v"
	dictName  = "d"
	queueName = "q"
	heldName  = "held"
)

// lockNames are the locks the lockers take.
var lockNames = []string{"lock-a", "lock-b"}

// clientTTL is the session lease of every client: long enough to outlive
// a restart of the server, however slow.
const clientTTL = 30 * time.Second

// opTimeout bounds one operation of a child; the call is never cancelled
// otherwise, so that it ends with its result.
const opTimeout = 60 * time.Second

// childMain runs role and returns the exit code.
func childMain(role string) int {
	switch role {
	case "server":
		return serverMain()
	case "client":
		return clientMain()
	}
	fmt.Fprintf(os.Stderr, "faulttest child: unknown role %q\n", role)
	return 2
}

// serverMain runs a durable server until it is killed or its stdin
// closes (then it closes the server and exits 0).
func serverMain() int {
	snap, err := strconv.Atoi(os.Getenv(envSnap))
	if err != nil {
		fmt.Fprintf(os.Stderr, "faulttest server: bad %s: %v\n", envSnap, err)
		return 2
	}
	s, err := server.New(&server.Config{
		Addr: os.Getenv(envAddr), DataDir: os.Getenv(envData), SocketPath: server.Disabled,
		Sync: server.Sync(os.Getenv(envSync)), SnapshotEvery: snap,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "faulttest server: %v\n", err)
		return 1
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		s.Close()
	}()
	reexec.Report("s", "ready %s", os.Getenv(envGen))
	if err := s.Serve(context.Background()); !errors.Is(err, server.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "faulttest server: Serve: %v\n", err)
		return 1
	}
	return 0
}

// kid is a client child.
type kid struct {
	id      string
	c       *client.Client
	v       latchkey.Value[int64]
	d       latchkey.Dict
	q       latchkey.Queue
	locks   map[string]latchkey.Lock
	stop    chan struct{}      // closed on "stop"
	stopCtx context.Context    // cancelled on "stop": ends blocked Gets and Locks
	cancel  context.CancelFunc // cancels stopCtx
	wg      sync.WaitGroup     // the workers
	once    sync.Once          // stops the workers
}

// clientMain runs a client child: it dials, reports "ready SESSION",
// runs its workers and follows the commands on its stdin.
func clientMain() int {
	k := &kid{id: os.Getenv(envID), stop: make(chan struct{}), locks: map[string]latchkey.Lock{}}
	seed, err := strconv.ParseUint(os.Getenv(envRng), 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "faulttest client: bad %s: %v\n", envRng, err)
		return 2
	}
	k.stopCtx, k.cancel = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	c, err := client.Dial(ctx, &client.Config{
		Addr: os.Getenv(envAddr), TTL: clientTTL, Label: "faulttest-" + k.id,
		ReconnectMin: 5 * time.Millisecond, ReconnectMax: 100 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "faulttest client %s: dial: %v\n", k.id, err)
		return 1
	}
	k.c = c
	sid := c.SessionID()
	var held latchkey.Lock
	if os.Getenv(envHold) == "1" {
		if held, err = c.Lock(ctx, heldName); err == nil {
			var f latchkey.Fence
			if f, err = held.Lock(ctx); err == nil {
				reexec.Report(k.id, "held %d", f)
			}
		}
	}
	if err == nil {
		err = k.open(ctx)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "faulttest client %s: %v\n", k.id, err)
		return 1
	}
	reexec.Report(k.id, "ready %d", sid)

	for w := range 2 {
		rng := rand.New(rand.NewPCG(seed, uint64(w)))
		k.wg.Go(func() { k.writer(w, rng) })
	}
	k.wg.Go(k.consumer)
	lrng := rand.New(rand.NewPCG(seed, 99))
	k.wg.Go(func() { k.locker(lrng) })

	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "stop":
			k.halt()
			reexec.Report(k.id, "stopped")
		case "unlock":
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			if err := held.Unlock(ctx); err != nil {
				k.fail("unlock "+heldName, err)
			} else {
				reexec.Report(k.id, "unlocked")
			}
			cancel()
		}
	}
	k.halt()
	status := "ok"
	if err := c.Err(); err != nil {
		status = err.Error()
	}
	reexec.Report(k.id, "end %d %s", c.SessionID(), status)
	c.Close()
	return 0
}

// open opens the workload's objects.
func (k *kid) open(ctx context.Context) error {
	var err error
	if k.v, err = k.c.Value(ctx, valueName); err != nil {
		return err
	}
	if k.d, err = k.c.Dict(ctx, dictName); err != nil {
		return err
	}
	if k.q, err = k.c.Queue(ctx, queueName, latchkey.QueueOptions{}); err != nil {
		return err
	}
	for _, name := range lockNames {
		if k.locks[name], err = k.c.Lock(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// halt stops the workers and waits for them; their calls end with their
// results.
func (k *kid) halt() {
	k.once.Do(func() {
		close(k.stop)
		k.cancel()
	})
	k.wg.Wait()
}

func (k *kid) stopped() bool {
	select {
	case <-k.stop:
		return true
	default:
		return false
	}
}

// fail reports a failed call: "error OP: ERR".
func (k *kid) fail(op string, err error) {
	reexec.Report(k.id, "error %s: %v", op, err)
}

// cancelled reports whether err is the end of a blocking call that "stop"
// cancelled.
func (k *kid) cancelled(err error) bool {
	return k.stopCtx.Err() != nil && errors.Is(err, context.Canceled)
}

// writer adds to the Value, stores unique keys and puts unique items, in
// a seeded mix: "add DELTA RESULT", "store KEY VALUE", "put ITEM".
func (k *kid) writer(w int, rng *rand.Rand) {
	for n := 0; !k.stopped(); n++ {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		err := k.write(ctx, w, n, rng)
		cancel()
		if err != nil {
			return
		}
	}
}

func (k *kid) write(ctx context.Context, w, n int, rng *rand.Rand) error {
	name := fmt.Sprintf("c%s-w%d-%d", k.id, w, n)
	switch rng.IntN(3) {
	case 0:
		return k.add(ctx, 1+rng.Int64N(1000))
	case 1:
		val := strconv.FormatUint(rng.Uint64(), 36)
		if err := k.d.Store(ctx, name, []byte(val)); err != nil {
			k.fail("store "+name, err)
			return err
		}
		reexec.Report(k.id, "store %s %s", name, val)
	default:
		if err := k.q.Put(ctx, []byte(name)); err != nil {
			k.fail("put "+name, err)
			return err
		}
		reexec.Report(k.id, "put %s", name)
	}
	return nil
}

func (k *kid) add(ctx context.Context, delta int64) error {
	got, err := k.v.Add(ctx, delta)
	if err != nil {
		k.fail(fmt.Sprintf("add %d", delta), err)
		return err
	}
	reexec.Report(k.id, "add %d %d", delta, got)
	return nil
}

// consumer takes items and marks them done: "got ITEM".
func (k *kid) consumer() {
	for !k.stopped() {
		it, err := k.q.Get(k.stopCtx)
		if err != nil {
			if !k.cancelled(err) {
				k.fail("get", err)
			}
			return
		}
		reexec.Report(k.id, "got %s", it)
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		err = k.q.TaskDone(ctx)
		cancel()
		if err != nil {
			k.fail("task done", err)
			return
		}
	}
}

// locker takes a random lock, adds to the Value up to twice while it
// holds it, and unlocks it: "locked NAME FENCE NS" once granted,
// "unlocking NAME FENCE NS" before the Unlock, NS being the wall clock
// in nanoseconds.
func (k *kid) locker(rng *rand.Rand) {
	for !k.stopped() {
		name := lockNames[rng.IntN(len(lockNames))]
		l := k.locks[name]
		f, err := l.Lock(k.stopCtx)
		if err != nil && f == 0 {
			if !k.cancelled(err) {
				k.fail("lock "+name, err)
			}
			return
		}
		reexec.Report(k.id, "locked %s %d %d", name, f, time.Now().UnixNano())
		if err != nil { // granted, with ErrOwnerDied: no holder may die here
			k.fail("lock "+name, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		for range rng.IntN(3) {
			if k.add(ctx, 1+rng.Int64N(1000)) != nil {
				break
			}
		}
		reexec.Report(k.id, "unlocking %s %d %d", name, f, time.Now().UnixNano())
		err = l.Unlock(ctx)
		cancel()
		if err != nil {
			k.fail("unlock "+name, err)
			return
		}
	}
}
