//go:build linux

package shm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

// The environment of a child role: the Manager's directory, the object's
// name, and a number whose meaning depends on the role.
const (
	dirEnv  = "LATCHKEY_SHM_TEST_DIR"
	nameEnv = "LATCHKEY_SHM_TEST_NAME"
	nEnv    = "LATCHKEY_SHM_TEST_N"
)

// procInterval is the check interval of the multi-process tests: short,
// so that dead holders are found quickly.
const procInterval = 20 * time.Millisecond

// roles are the child roles, by name. Each prints what the parent waits
// for on stdout, one line at a time; a role that holds something blocks
// until its stdin is closed (or it is killed).
var roles = map[string]func(ctx context.Context, m *shm.Manager, name string, n int) error{
	"hold-lock":           roleHoldLock,
	"hold-rlock":          roleHoldRLock,
	"hold-sem":            roleHoldSem,
	"wait-lock":           roleWaitLock,
	"timed-lock":          roleTimedLock,
	"counter":             roleCounter,
	"add":                 roleAdd,
	"open":                roleOpen,
	"crash-after-commit":  roleCrashAfterCommit,
	"crash-before-commit": roleCrashBeforeCommit,
	"churn":               roleChurn,
	"bench-lock":          roleBenchLock,
	"open-lock":           roleOpenLock,
	"hold-rwlock":         roleHoldRWLock,
	"wait-event":          roleWaitEvent,
	"set-event":           roleSetEvent,
	"cond-wait":           roleCondWait,
	"barrier":             roleBarrier,
	"barrier-action":      roleBarrierAction,
	"produce":             roleProduce,
	"consume":             roleConsume,
	"get-queue":           roleGetQueue,
	"crash-mid-put":       roleCrashMidPut,
	"crash-after-put":     roleCrashAfterPut,
	"echo":                roleEcho,
	"drain":               roleDrain,
	"queue-churn":         roleQueueChurn,
}

// runRole runs the child role role.
func runRole(role string) error {
	if role == conformanceRole {
		return serveConformance()
	}
	f, ok := roles[role]
	if !ok {
		return fmt.Errorf("unknown role %q", role)
	}
	m, err := shm.NewManager(&shm.Config{Dir: os.Getenv(dirEnv), CheckInterval: procInterval})
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(os.Getenv(nEnv))
	return f(context.Background(), m, os.Getenv(nameEnv), n)
}

// say prints a line for the parent.
func say(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// block waits until the parent closes stdin.
func block() error {
	_, err := io.Copy(io.Discard, os.Stdin)
	return err
}

func roleHoldLock(ctx context.Context, m *shm.Manager, name string, _ int) error {
	l, err := m.OpenLock(ctx, name)
	if err != nil {
		return err
	}
	f, err := l.Lock(ctx)
	if err != nil {
		return err
	}
	say("held %d", f)
	return block()
}

func roleHoldRLock(ctx context.Context, m *shm.Manager, name string, _ int) error {
	l, err := m.OpenRLock(ctx, name)
	if err != nil {
		return err
	}
	f, err := l.Lock(ctx)
	if err != nil {
		return err
	}
	if _, err := l.Lock(ctx); err != nil {
		return err
	}
	say("held %d", f)
	return block()
}

// roleHoldSem acquires n permits of the semaphore of 3 called name.
func roleHoldSem(ctx context.Context, m *shm.Manager, name string, n int) error {
	s, err := m.OpenBoundedSemaphore(ctx, name, 3)
	if err != nil {
		return err
	}
	for range n {
		if _, err := s.Acquire(ctx); err != nil {
			return err
		}
	}
	say("held %d", n)
	return block()
}

// roleWaitLock blocks on a held lock; it is killed while it waits.
func roleWaitLock(ctx context.Context, m *shm.Manager, name string, _ int) error {
	l, err := m.OpenLock(ctx, name)
	if err != nil {
		return err
	}
	say("waiting")
	f, err := l.Lock(ctx)
	say("got %d %v", f, err)
	return block()
}

// roleTimedLock waits n milliseconds for a held lock.
func roleTimedLock(ctx context.Context, m *shm.Manager, name string, n int) error {
	l, err := m.OpenLock(ctx, name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(n)*time.Millisecond)
	defer cancel()
	_, err = l.Lock(ctx)
	say("result %v", errors.Is(err, context.DeadlineExceeded))
	return nil
}

// roleCounter increments the raw Value name+"-v" n times, each time
// under the Lock name: a read and a write, which lose updates unless the
// lock excludes every other process.
func roleCounter(ctx context.Context, m *shm.Manager, name string, n int) error {
	return counter(ctx, m, name, n)
}

func counter(ctx context.Context, m *shm.Manager, name string, n int) error {
	l, err := m.OpenLock(ctx, name)
	if err != nil {
		return err
	}
	v, err := shm.OpenValue[int64](ctx, m, name+"-v", &shm.Options{Raw: true})
	if err != nil {
		return err
	}
	for range n {
		if _, err := l.Lock(ctx); err != nil {
			return err
		}
		x, _ := v.Load(ctx)
		if err := v.Store(ctx, x+1); err != nil {
			return err
		}
		if err := l.Unlock(ctx); err != nil {
			return err
		}
	}
	say("done")
	return nil
}

// roleAdd adds to the numbers of addAll n times.
func roleAdd(ctx context.Context, m *shm.Manager, name string, n int) error {
	if err := addAll(ctx, m, name, n); err != nil {
		return err
	}
	say("done")
	return nil
}

// addAll adds 1 to an int64 Value, 0.5 to a raw float64 Value, 1 to an
// uint32 Value and to each element of an int32 Array of 3, n times each.
func addAll(ctx context.Context, m *shm.Manager, name string, n int) error {
	i, err := shm.OpenValue[int64](ctx, m, name+"-i", nil)
	if err != nil {
		return err
	}
	f, err := shm.OpenValue[float64](ctx, m, name+"-f", &shm.Options{Raw: true})
	if err != nil {
		return err
	}
	u, err := shm.OpenValue[uint32](ctx, m, name+"-u", nil)
	if err != nil {
		return err
	}
	a, err := shm.OpenArray[int32](ctx, m, name+"-a", 3, nil)
	if err != nil {
		return err
	}
	for j := range n {
		if _, err := i.Add(ctx, 1); err != nil {
			return err
		}
		if _, err := f.Add(ctx, 0.5); err != nil {
			return err
		}
		if _, err := u.Add(ctx, 1); err != nil {
			return err
		}
		if _, err := a.Add(ctx, j%3, 1); err != nil {
			return err
		}
	}
	return nil
}

// roleOpen reads the int64 Value called name, stores n in it, and tries
// to open the name as a Lock.
func roleOpen(ctx context.Context, m *shm.Manager, name string, n int) error {
	v, err := shm.OpenValue[int64](ctx, m, name, nil)
	if err != nil {
		return err
	}
	x, err := v.Load(ctx)
	if err != nil {
		return err
	}
	if err := v.Store(ctx, int64(n)); err != nil {
		return err
	}
	_, err = m.OpenLock(ctx, name)
	say("saw %d, lock %v", x, latchkey.KindOf(err))
	return nil
}

func roleCrashAfterCommit(ctx context.Context, m *shm.Manager, name string, _ int) error {
	l, err := m.OpenLock(ctx, name)
	if err != nil {
		return err
	}
	shm.CrashAfterCommit(l)
	return nil
}

func roleCrashBeforeCommit(ctx context.Context, m *shm.Manager, name string, _ int) error {
	l, err := m.OpenLock(ctx, name)
	if err != nil {
		return err
	}
	shm.CrashBeforeCommit(l)
	return nil
}

// roleChurn locks and unlocks the Lock name, and acquires and releases
// the bounded semaphore of 2 name+"-s", in n goroutines, forever; it
// prints a line every 64 rounds of its first goroutine.
func roleChurn(ctx context.Context, m *shm.Manager, name string, n int) error {
	return churn(n, func(int) (func(int) error, error) {
		l, err := m.OpenLock(ctx, name)
		if err != nil {
			return nil, err
		}
		s, err := m.OpenBoundedSemaphore(ctx, name+"-s", 2)
		if err != nil {
			return nil, err
		}
		return func(int) error {
			if _, err := l.Lock(ctx); err != nil && !errors.Is(err, latchkey.ErrOwnerDied) {
				return err
			}
			if err := l.Unlock(ctx); err != nil {
				return err
			}
			if _, err := s.Acquire(ctx); err != nil && !errors.Is(err, latchkey.ErrOwnerDied) {
				return err
			}
			return s.Release(ctx, 1)
		}, nil
	})
}

// churn runs the rounds of n goroutines until one fails, and returns its
// error; it prints a line every 64 rounds of the first goroutine. open
// returns goroutine g's round, which is given the round's number. It is
// for child roles, which are killed: the goroutines are never stopped.
func churn(n int, open func(g int) (round func(i int) error, err error)) error {
	errs := make(chan error, n)
	for g := range n {
		round, err := open(g)
		if err != nil {
			return err
		}
		go func() {
			for i := 0; ; i++ {
				if err := round(i); err != nil {
					errs <- err
					return
				}
				if g == 0 && i%64 == 0 {
					say("round %d", i)
				}
			}
		}()
	}
	return <-errs
}

// roleOpenLock opens the Lock name and prints the error's kind.
func roleOpenLock(ctx context.Context, m *shm.Manager, name string, _ int) error {
	_, err := m.OpenLock(ctx, name)
	say("open %v", latchkey.KindOf(err))
	return nil
}

// roleBenchLock locks and unlocks the Lock name until the raw Value
// name+"-stop" is not 0.
func roleBenchLock(ctx context.Context, m *shm.Manager, name string, _ int) error {
	l, err := m.OpenLock(ctx, name)
	if err != nil {
		return err
	}
	stop, err := shm.OpenValue[int64](ctx, m, name+"-stop", &shm.Options{Raw: true})
	if err != nil {
		return err
	}
	count, err := shm.OpenValue[int64](ctx, m, name+"-count", &shm.Options{Raw: true})
	if err != nil {
		return err
	}
	say("ready")
	for n := int64(0); ; n++ {
		if x, _ := stop.Load(ctx); x != 0 {
			return count.Store(ctx, n)
		}
		if _, err := l.Lock(ctx); err != nil {
			return err
		}
		if err := l.Unlock(ctx); err != nil {
			return err
		}
	}
}
