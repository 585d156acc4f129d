// Command counter shows why a shared counter needs synchronization. Two
// goroutines increment one counter n times each (1,000,000 by default),
// three times over:
//
//  1. without a lock: each increment is a separate load and store, so an
//     increment that runs between another goroutine's load and store is
//     lost, and the total comes out below 2n;
//  2. with a [local.Lock] around each increment: the total is exactly 2n;
//  3. with a [local.Value] and its atomic Add: exactly 2n, without a lock.
//
// It mirrors seed 004 (python互斥锁、加锁、同步机制), where two
// threading.Thread objects run "thnum += 1" under a threading.Lock, and the
// lost-update bug of multiprocessing's "v.value += 1" that Value.Add exists
// to prevent. Python's GIL does not make "+=" atomic: the interpreter may
// switch threads between the load and the store. Go has no GIL at all: the
// goroutines run in parallel, and every shared variable needs a lock, an
// atomic operation or another latchkey object.
//
// This version uses goroutines and package local. examples/sharedvalue
// counts the same way with two child processes and a Value in shared
// memory (package shm): raw, with its lock, under GetLock, and with Add.
//
// Usage:
//
//	go run ./examples/counter [-n 1000000]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/latchkey/latchkey/local"
)

func main() {
	n := flag.Int("n", 1_000_000, "increments per goroutine")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *n); err != nil {
		fmt.Fprintln(os.Stderr, "counter:", err)
		os.Exit(1)
	}
}

// workers is the number of goroutines incrementing the counter, as in the seed.
const workers = 2

// run increments a counter n times in each of two goroutines, in the three
// ways the package doc lists, and prints the three totals to w.
func run(ctx context.Context, w io.Writer, n int) error {
	if n < 0 {
		return fmt.Errorf("negative increment count %d", n)
	}
	want := int64(workers * n)

	racy := withoutLock(n)
	locked, err := withLock(ctx, n)
	if err != nil {
		return fmt.Errorf("with a lock: %w", err)
	}
	added, err := withValue(ctx, n)
	if err != nil {
		return fmt.Errorf("with a value: %w", err)
	}

	_, err = fmt.Fprintf(w, "without a lock:          %d (%d updates lost)\n"+
		"with local.Lock:         %d\n"+
		"with local.Value.Add:    %d\n",
		racy, want-racy, locked, added)
	return err
}

// withoutLock is Python's unsynchronized "thnum += 1" in two threads.
//
// A plain "counter++" on a shared int64 from two goroutines would be a data
// race: undefined behaviour in Go's memory model, which the race detector
// reports. To show the lost update and still be race-free, the increment is
// split into an atomic Load and a separate atomic Store. Each access is
// well defined, but the read-modify-write as a whole is not atomic: when
// both goroutines load the same value, both store value+1, and one
// increment is lost. This is Python's "+=", whose load and store are
// separate bytecodes with a possible thread switch in between.
//
// The runtime.Gosched between the two stands for that thread switch. It
// widens the window between the load and the store, so that updates are
// lost at this size on any machine, even with GOMAXPROCS=1. Without it, on
// a multi-core machine, they are still lost, only more rarely (millions of
// increments lose a few percent).
func withoutLock(n int) int64 {
	var counter atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range n {
				v := counter.Load()
				runtime.Gosched()    // Python may switch threads here
				counter.Store(v + 1) // not atomic with the Load: updates get lost
			}
		})
	}
	wg.Wait()
	return counter.Load()
}

// withLock is the seed's second program: each "thnum += 1" runs under the
// lock, so the counter is a plain int64 that only the lock holder touches.
// An Unlock synchronizes before the Lock it lets proceed, which is what
// makes the plain reads and writes race-free.
func withLock(ctx context.Context, n int) (int64, error) {
	var (
		mu      local.Lock
		counter int64 // guarded by mu
	)
	err := parallel(func() error {
		for range n {
			if _, err := mu.Lock(ctx); err != nil {
				return err
			}
			counter++
			if err := mu.Unlock(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return counter, err
}

// withValue uses a shared number with an atomic read-modify-write: Add is
// what multiprocessing's "with v.get_lock(): v.value += 1" does in one step.
func withValue(ctx context.Context, n int) (int64, error) {
	var counter local.Value[int64]
	err := parallel(func() error {
		for range n {
			if _, err := counter.Add(ctx, 1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return counter.Load(ctx)
}

// parallel runs f in each of the workers goroutines and returns their
// errors joined.
func parallel(f func() error) error {
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { errs[i] = f() })
	}
	wg.Wait()
	return errors.Join(errs...)
}
