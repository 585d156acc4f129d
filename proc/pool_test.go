//go:build unix

package proc_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/proc"
)

func TestPoolApplyMap(t *testing.T) {
	p := newPool(t, 2, nil)
	if v, err := proc.Apply(t.Context(), p, square, 9); v != 81 || err != nil {
		t.Fatalf("Apply = %d, %v; want 81, nil", v, err)
	}
	xs := make([]int, 100)
	want := make([]int, 100)
	for i := range xs {
		xs[i], want[i] = i, i*i
	}
	for _, chunk := range []int{0, 1, 7, 1000, math.MaxInt} {
		got, err := proc.Map(t.Context(), p, square, xs, chunk)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Map(chunk %d) = %v, %v; want squares", chunk, got, err)
		}
	}
	if got, err := proc.Map(t.Context(), p, square, nil, 0); err != nil || got == nil || len(got) != 0 {
		t.Errorf("Map(nil) = %#v, %v; want an empty slice", got, err)
	}
	pairs := []proc.Pair[int, int]{{First: 1, Second: 2}, {First: 30, Second: 40}}
	if got, err := proc.Starmap(t.Context(), p, add, pairs, 0); err != nil || !slices.Equal(got, []int{3, 70}) {
		t.Errorf("Starmap = %v, %v; want [3 70]", got, err)
	}
	if p.Processes() != 2 || len(p.Pids()) != 2 {
		t.Errorf("Processes, Pids = %d, %v", p.Processes(), p.Pids())
	}
	p.Close()
	if err := p.Join(t.Context()); err != nil {
		t.Fatalf("Join: %v", err)
	}
	if _, err := proc.Apply(t.Context(), p, square, 1); !errors.Is(err, latchkey.ErrClosed) {
		t.Errorf("Apply after Close = %v, want ErrClosed", err)
	}
}

func TestPoolErrors(t *testing.T) {
	p := newPool(t, 2, &proc.PoolConfig{Stderr: discardFile(t)})
	_, err := proc.Apply(t.Context(), p, fails, "bad")
	var re *proc.RemoteError
	if !errors.As(err, &re) || re.Msg != "bad" {
		t.Errorf("Apply(fails) = %v, want a RemoteError %q", err, "bad")
	}
	if _, err := proc.Apply(t.Context(), p, notFound, "k"); !errors.Is(err, latchkey.ErrNotFound) {
		t.Errorf("Apply(notFound) = %v, want one matching ErrNotFound", err)
	}
	if _, err := proc.Apply(t.Context(), p, panics, 1); !errors.Is(err, proc.ErrPanic) {
		t.Errorf("Apply(panics) = %v, want one matching ErrPanic", err)
	}
	// A panic does not kill the worker: the pool keeps its processes.
	pids := p.Pids()
	if _, err := proc.Apply(t.Context(), p, square, 2); err != nil {
		t.Fatal(err)
	}
	if !sameSet(pids, p.Pids()) {
		t.Errorf("workers changed after a panic: %v, then %v", pids, p.Pids())
	}
	// Map reports the lowest failed index.
	_, err = proc.Map(t.Context(), p, panics, []int{0, 1, 2, 3}, 1)
	if !errors.Is(err, proc.ErrPanic) || !strings.Contains(err.Error(), "argument 0") {
		t.Errorf("Map(panics) = %v, want the error of argument 0", err)
	}
	if _, err := proc.Map(t.Context(), p, square, []int{1}, -1); !errors.Is(err, latchkey.ErrInvalid) {
		t.Errorf("Map(chunk -1) = %v, want ErrInvalid", err)
	}
	if _, err := proc.Apply(t.Context(), p, lateFunc(), 1); !errors.Is(err, proc.ErrNotRegistered) {
		t.Errorf("Apply of a Func registered after Main = %v, want ErrNotRegistered", err)
	}
	// An argument JSON cannot encode is an error of the submitting call.
	if _, err := proc.ApplyAsync(p, takesChan, make(chan int), nil, nil); err == nil {
		t.Error("ApplyAsync with an unencodable argument succeeded")
	}
	if err := p.Join(t.Context()); !errors.Is(err, proc.ErrRunning) {
		t.Errorf("Join of a running pool = %v, want ErrRunning", err)
	}
}

func TestPoolInvalid(t *testing.T) {
	if _, err := proc.NewPool(t.Context(), -1, nil); !errors.Is(err, latchkey.ErrInvalid) {
		t.Errorf("NewPool(-1) = %v, want ErrInvalid", err)
	}
	if _, err := proc.NewPool(t.Context(), 1, &proc.PoolConfig{MaxTasksPerChild: -1}); !errors.Is(err, latchkey.ErrInvalid) {
		t.Errorf("NewPool(MaxTasksPerChild -1) = %v, want ErrInvalid", err)
	}
	_, err := proc.NewPool(t.Context(), 2, &proc.PoolConfig{Env: []string{envBeforeMain + "=exit"}})
	if !errors.Is(err, proc.ErrNoMain) {
		t.Errorf("NewPool of workers that exit before Main = %v, want ErrNoMain", err)
	}
}

// TestPoolApplyAsyncCallbacks checks that callbacks run one at a time on
// the result goroutine, before their result is ready.
func TestPoolApplyAsyncCallbacks(t *testing.T) {
	p := newPool(t, 2, nil)
	var running, overlaps, sum, errs atomic.Int64
	enter := func() {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
	}
	var rs []*proc.AsyncResult[int]
	for i := range 50 {
		if i%10 == 0 {
			r, err := proc.ApplyAsync(p, fails, "x", func(int) { t.Error("callback for a failed task") },
				func(error) { enter(); errs.Add(1); running.Add(-1) })
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, r)
			continue
		}
		r, err := proc.ApplyAsync(p, square, i, func(v int) { enter(); sum.Add(int64(v)); running.Add(-1) }, nil)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	var want int64
	for i, r := range rs {
		v, err := r.Get(t.Context())
		if i%10 == 0 {
			if err == nil {
				t.Errorf("task %d: no error", i)
			}
			continue
		}
		if err != nil || v != i*i {
			t.Errorf("task %d = %d, %v", i, v, err)
		}
		want += int64(i * i)
	}
	// Every result is ready only after its callback ran.
	if sum.Load() != want || errs.Load() != 5 {
		t.Errorf("callbacks saw sum %d and %d errors; want %d and 5", sum.Load(), errs.Load(), want)
	}
	if overlaps.Load() != 0 {
		t.Errorf("callbacks overlapped %d times", overlaps.Load())
	}
	if _, err := rs[1].TryGet(); err != nil {
		t.Errorf("TryGet of a ready result = %v", err)
	}
	// A callback may submit more work.
	inner := make(chan *proc.AsyncResult[int], 1)
	r, err := proc.ApplyAsync(p, square, 2, func(v int) {
		r2, err := proc.ApplyAsync(p, square, v, nil, nil)
		if err != nil {
			t.Error(err)
		}
		inner <- r2
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Wait(t.Context())
	if v, err := (<-inner).Get(t.Context()); v != 16 || err != nil {
		t.Errorf("task submitted by a callback = %d, %v", v, err)
	}
	if !rs[1].Ready() {
		t.Error("Ready = false")
	}
}

func TestPoolPanickingCallback(t *testing.T) {
	var log logBuffer
	p := newPool(t, 1, &proc.PoolConfig{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	r, err := proc.ApplyAsync(p, square, 3, func(int) { panic("callback boom") }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := r.Get(t.Context()); !errors.Is(err, proc.ErrCallbackPanic) || v != 9 {
		t.Errorf("Get = %d, %v; want 9 and ErrCallbackPanic", v, err)
	}
	r2, err := proc.ApplyAsync(p, fails, "e", nil, func(error) { panic("error callback boom") })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Get(t.Context()); !errors.Is(err, proc.ErrCallbackPanic) || !strings.Contains(err.Error(), "e") {
		t.Errorf("Get = %v; want the task's error and ErrCallbackPanic", err)
	}
	// The pool carries on, callbacks included.
	got := make(chan int, 1)
	r3, err := proc.ApplyAsync(p, square, 4, func(v int) { got <- v }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := r3.Get(t.Context()); v != 16 || err != nil || <-got != 16 {
		t.Errorf("Get after panics = %d, %v", v, err)
	}
	if !strings.Contains(log.String(), "callback boom") || !strings.Contains(log.String(), "error callback boom") {
		t.Errorf("log does not report the panics:\n%s", log.String())
	}
	p.Close()
	if err := p.Join(t.Context()); err != nil {
		t.Fatalf("Join: %v", err)
	}
}

// TestPoolWorkerKilledMidTask kills the worker running a task: that task
// fails with ErrWorkerDied and the pool replaces the worker.
func TestPoolWorkerKilledMidTask(t *testing.T) {
	p := newPool(t, 1, nil)
	before := p.Pids()
	marker := filepath.Join(t.TempDir(), "started")
	var errCallback atomic.Pointer[error]
	r, err := proc.ApplyAsync(p, hang, marker, nil, func(err error) { errCallback.Store(&err) })
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the task to start", func() bool { _, err := os.Stat(marker); return err == nil })
	if err := syscall.Kill(before[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, err = r.Get(t.Context())
	var ee *proc.ExitError
	if !errors.Is(err, proc.ErrWorkerDied) || !errors.As(err, &ee) || ee.Pid != before[0] || ee.Signal() != syscall.SIGKILL {
		t.Fatalf("Get = %v; want an ExitError for pid %d and SIGKILL", err, before[0])
	}
	if ecb := errCallback.Load(); ecb == nil || !errors.Is(*ecb, proc.ErrWorkerDied) {
		t.Errorf("error callback got %v", ecb)
	}
	if v, err := proc.Apply(t.Context(), p, square, 5); v != 25 || err != nil {
		t.Fatalf("Apply after the death = %d, %v", v, err)
	}
	after := p.Pids()
	if len(after) != 1 || after[0] == before[0] {
		t.Errorf("workers %v after the death of %v", after, before)
	}
}

// TestPoolWorkerDiesInMap has a worker kill itself on one argument of an
// Imap: that argument fails, every other one succeeds (tasks the worker
// had been sent ahead go back to the queue).
func TestPoolWorkerDiesInMap(t *testing.T) {
	p := newPool(t, 2, nil)
	xs := slices.Collect(func(yield func(int) bool) {
		for i := range 40 {
			if !yield(i) {
				return
			}
		}
	})
	i := 0
	for v, err := range proc.Imap(t.Context(), p, dieAt, slices.Values(xs), 1) {
		if i == 13 {
			if !errors.Is(err, proc.ErrWorkerDied) {
				t.Errorf("argument 13: %d, %v; want ErrWorkerDied", v, err)
			}
		} else if v != i || err != nil {
			t.Errorf("argument %d: %d, %v", i, v, err)
		}
		i++
	}
	if i != 40 {
		t.Errorf("%d results, want 40", i)
	}
	_, err := proc.Map(t.Context(), p, dieAt, xs, 4)
	if !errors.Is(err, proc.ErrWorkerDied) || !strings.Contains(err.Error(), "argument 12") {
		// The chunk [12, 16) dies with its worker; 12 is its lowest index.
		t.Errorf("Map = %v; want ErrWorkerDied for argument 12", err)
	}
	waitFor(t, "the pool to replace its workers", func() bool { return len(p.Pids()) == 2 })
}

func TestPoolMaxTasksPerChild(t *testing.T) {
	p := newPool(t, 1, &proc.PoolConfig{MaxTasksPerChild: 2})
	pids, err := proc.Map(t.Context(), p, pid, make([]int, 6), 1)
	if err != nil {
		t.Fatal(err)
	}
	if pids[0] != pids[1] || pids[2] != pids[3] || pids[4] != pids[5] || len(set(pids)) != 3 {
		t.Errorf("pids %v: want three workers, two tasks each", pids)
	}
	// Close and Join complete every task across replacements.
	rs := make([]*proc.AsyncResult[int], 5)
	for i := range rs {
		if rs[i], err = proc.ApplyAsync(p, square, i, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	if err := p.Join(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if v, err := r.TryGet(); v != i*i || err != nil {
			t.Errorf("task %d after Join: %d, %v", i, v, err)
		}
	}
}

func TestPoolImap(t *testing.T) {
	p := newPool(t, 2, nil)
	// Decreasing delays: later arguments finish first.
	xs := []int{60, 50, 40, 30, 20, 10, 0}
	var got []int
	for v, err := range proc.Imap(t.Context(), p, delayed, slices.Values(xs), 1) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, xs) {
		t.Errorf("Imap = %v, want %v", got, xs)
	}
	got = got[:0]
	for v, err := range proc.ImapUnordered(t.Context(), p, delayed, slices.Values(xs), 2) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !sameSet(got, xs) || len(got) != len(xs) {
		t.Errorf("ImapUnordered = %v, want a permutation of %v", got, xs)
	}
	// A chunk size larger than anything.
	got = got[:0]
	for v, err := range proc.Imap(t.Context(), p, delayed, slices.Values(xs), math.MaxInt) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, xs) {
		t.Errorf("Imap in one chunk = %v, want %v", got, xs)
	}
	// Errors come at their place and iteration goes on.
	n := 0
	for v, err := range proc.Imap(t.Context(), p, square, slices.Values([]int{1, 2, 3}), 0) {
		n++
		if v != n*n || err != nil {
			t.Errorf("Imap item %d = %d, %v", n, v, err)
		}
	}
}

func TestPoolImapBreak(t *testing.T) {
	p := newPool(t, 2, nil)
	n := 0
	for range proc.Imap(t.Context(), p, delayed, slices.Values([]int{0, 0, 100, 100, 100, 100, 100, 100}), 1) {
		if n++; n == 2 {
			break
		}
	}
	// Cancelled tasks free the workers at once.
	if v, err := proc.Apply(t.Context(), p, square, 3); v != 9 || err != nil {
		t.Errorf("Apply after break = %d, %v", v, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, err := range proc.Imap(ctx, p, block, slices.Values([]int{1}), 1) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Imap with a cancelled ctx yields %v", err)
		}
	}
}

// TestPoolApplyCancel cancels Apply of a task that only returns when its
// ctx is cancelled: the cancellation reaches the worker, which is free
// again.
func TestPoolApplyCancel(t *testing.T) {
	p := newPool(t, 1, nil)
	ctx, cancel := context.WithCancel(t.Context())
	r, err := proc.ApplyAsync(p, delayed, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Wait(t.Context())
	done := make(chan error, 1)
	go func() { _, err := proc.Apply(ctx, p, block, 0); done <- err }()
	// Queue something behind it, then cancel the blocked one.
	r2, err := proc.ApplyAsync(p, square, 6, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Apply = %v, want context.Canceled", err)
	}
	if v, err := r2.Get(t.Context()); v != 36 || err != nil {
		t.Errorf("task after the cancelled one = %d, %v", v, err)
	}
	if _, err := proc.Map(ctx, p, square, []int{1, 2}, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Map with a cancelled ctx = %v", err)
	}
}

func TestPoolTerminate(t *testing.T) {
	p := newPool(t, 2, nil)
	var errs atomic.Int64
	var rs []*proc.AsyncResult[int]
	for range 5 {
		r, err := proc.ApplyAsync(p, hang, "", nil, func(err error) {
			if errors.Is(err, proc.ErrTerminated) {
				errs.Add(1)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	pids := p.Pids()
	if err := p.Terminate(); err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if _, err := r.Get(t.Context()); !errors.Is(err, proc.ErrTerminated) {
			t.Errorf("task %d = %v, want ErrTerminated", i, err)
		}
	}
	if err := p.Join(t.Context()); err != nil {
		t.Fatalf("Join after Terminate: %v", err)
	}
	if errs.Load() != 5 {
		t.Errorf("%d error callbacks saw ErrTerminated, want 5", errs.Load())
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("worker %d alive after Join", pid)
		}
	}
	if _, err := proc.ApplyAsync(p, square, 1, nil, nil); !errors.Is(err, latchkey.ErrClosed) {
		t.Errorf("ApplyAsync after Terminate = %v, want ErrClosed", err)
	}
	p.Close()
	if err := p.Terminate(); err != nil {
		t.Errorf("second Terminate = %v", err)
	}
}

func TestPoolJoinCancelled(t *testing.T) {
	p := newPool(t, 1, nil)
	r, err := proc.ApplyAsync(p, block, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.Join(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Join(cancelled) = %v, want context.Canceled", err)
	}
	if r.Ready() {
		t.Error("task finished after a cancelled Join")
	}
	p.Terminate()
	if err := p.Join(t.Context()); err != nil {
		t.Fatalf("Join after Terminate: %v", err)
	}
	if _, err := r.TryGet(); !errors.Is(err, proc.ErrTerminated) {
		t.Errorf("task = %v, want ErrTerminated", err)
	}
}

func set[T comparable](xs []T) map[T]bool {
	m := map[T]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func sameSet[T comparable](a, b []T) bool { return maps.Equal(set(a), set(b)) }

// TestPoolHammer has several goroutines submit work of every kind at once
// while workers are recycled every few tasks and some kill themselves.
func TestPoolHammer(t *testing.T) {
	p := newPool(t, 3, &proc.PoolConfig{MaxTasksPerChild: 7})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			xs := make([]int, 30)
			for i := range xs {
				xs[i] = g*100 + i
			}
			switch g {
			case 0:
				got, err := proc.Map(t.Context(), p, square, xs, 2)
				for i, v := range got {
					if err != nil || v != xs[i]*xs[i] {
						t.Errorf("Map[%d] = %d, %v", i, v, err)
					}
				}
			case 1:
				var rs []*proc.AsyncResult[int]
				for _, x := range xs {
					r, err := proc.ApplyAsync(p, square, x, nil, nil)
					if err != nil {
						t.Error(err)
						return
					}
					rs = append(rs, r)
				}
				for i, r := range rs {
					if v, err := r.Get(t.Context()); v != xs[i]*xs[i] || err != nil {
						t.Errorf("ApplyAsync %d = %d, %v", i, v, err)
					}
				}
			case 2:
				i := 0
				for v, err := range proc.ImapUnordered(t.Context(), p, dieAt, slices.Values([]int{1, 13, 2, 13, 3}), 1) {
					if err != nil && !errors.Is(err, proc.ErrWorkerDied) || err == nil && v != 1 && v != 2 && v != 3 {
						t.Errorf("ImapUnordered = %d, %v", v, err)
					}
					i++
				}
				if i != 5 {
					t.Errorf("ImapUnordered yielded %d results, want 5", i)
				}
			case 3:
				for _, x := range xs[:10] {
					if v, err := proc.Apply(t.Context(), p, square, x); v != x*x || err != nil {
						t.Errorf("Apply(%d) = %d, %v", x, v, err)
					}
				}
			}
		})
	}
	wg.Wait()
	p.Close()
	if err := p.Join(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestPoolChunkMixedErrors runs chunks whose arguments fail and succeed in
// turn: each argument gets its own outcome.
func TestPoolChunkMixedErrors(t *testing.T) {
	p := newPool(t, 2, nil)
	xs := make([]int, 50)
	for i := range xs {
		xs[i] = i
	}
	for _, chunk := range []int{0, 1, 7, 50} {
		i := 0
		for v, err := range proc.Imap(t.Context(), p, oddFails, slices.Values(xs), chunk) {
			var re *proc.RemoteError
			switch {
			case i%2 == 0 && (v != i*i || err != nil):
				t.Errorf("chunk %d: argument %d = %d, %v; want %d", chunk, i, v, err, i*i)
			case i%2 == 1 && (!errors.As(err, &re) || re.Msg != fmt.Sprintf("odd %d", i)):
				t.Errorf("chunk %d: argument %d = %d, %v; want the error %q", chunk, i, v, err, fmt.Sprintf("odd %d", i))
			}
			i++
		}
		if i != len(xs) {
			t.Errorf("chunk %d: %d results, want %d", chunk, i, len(xs))
		}
		// Map reports the lowest failed argument, whichever chunk it is in.
		if _, err := proc.Map(t.Context(), p, oddFails, xs[2:], chunk); err == nil || !strings.Contains(err.Error(), "argument 1: odd 3") {
			t.Errorf("chunk %d: Map = %v, want the error of argument 1", chunk, err)
		}
		if got, err := proc.Map(t.Context(), p, oddFails, []int{0, 2, 4, 6}, chunk); err != nil || !slices.Equal(got, []int{0, 4, 16, 36}) {
			t.Errorf("chunk %d: Map of evens = %v, %v", chunk, got, err)
		}
	}
	// A panic in the middle of a chunk fails that argument only.
	i := 0
	for _, err := range proc.ImapUnordered(t.Context(), p, panics, slices.Values([]int{1, 2, 3}), 3) {
		if !errors.Is(err, proc.ErrPanic) {
			t.Errorf("panics item %d: %v, want ErrPanic", i, err)
		}
		i++
	}
	if i != 3 {
		t.Errorf("%d results of panics, want 3", i)
	}
}

// TestPoolWorkerDiesMidChunk has a worker kill itself in the middle of a
// chunk: the arguments of that chunk fail with ErrWorkerDied (those run
// before the death too: their results were never sent), every other
// chunk succeeds, and the pool replaces the worker.
func TestPoolWorkerDiesMidChunk(t *testing.T) {
	p := newPool(t, 2, nil)
	before := p.Pids()
	xs := make([]int, 40)
	for i := range xs {
		xs[i] = i
	}
	i := 0
	for v, err := range proc.Imap(t.Context(), p, dieAt, slices.Values(xs), 5) {
		var ee *proc.ExitError
		switch {
		case i >= 10 && i < 15:
			if !errors.As(err, &ee) || ee.Signal() != syscall.SIGKILL || !slices.Contains(before, ee.Pid) {
				t.Errorf("argument %d: %d, %v; want ErrWorkerDied by SIGKILL", i, v, err)
			}
		case v != i || err != nil:
			t.Errorf("argument %d: %d, %v", i, v, err)
		}
		i++
	}
	if i != len(xs) {
		t.Errorf("%d results, want %d", i, len(xs))
	}
	waitFor(t, "the pool to replace its worker", func() bool {
		pids := p.Pids()
		return len(pids) == 2 && !sameSet(pids, before)
	})
	if got, err := proc.Map(t.Context(), p, square, []int{1, 2, 3}, 0); err != nil || !slices.Equal(got, []int{1, 4, 9}) {
		t.Errorf("Map after the death = %v, %v", got, err)
	}
}

// TestPoolChunkTooLarge lowers the frame limit: a chunk whose arguments
// exceed it is refused by the submitting call, one whose results exceed it
// fails each of its arguments, and the pool carries on.
func TestPoolChunkTooLarge(t *testing.T) {
	p := newPool(t, 1, nil)
	xs := make([]int, 300)
	for i := range xs {
		xs[i] = 1000 + i
	}
	// Arguments: 300 × (4 + 4) bytes do not fit in 1000.
	proc.SetFrameLimit(1000)
	_, err := proc.Map(t.Context(), p, square, xs, 300)
	proc.SetFrameLimit(0)
	if !errors.Is(err, proc.ErrMessageTooLarge) {
		t.Errorf("Map of a chunk over the limit = %v, want ErrMessageTooLarge", err)
	}
	if got, err := proc.Map(t.Context(), p, square, xs, 300); err != nil || len(got) != 300 || got[299] != 1299*1299 {
		t.Fatalf("Map under the default limit: %d results, %v", len(got), err)
	}
	// Results: 300 × (5 + 7) bytes do not fit in 2000 in the worker.
	if _, err := proc.Apply(t.Context(), p, setFrameLimit, 2000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Apply(context.Background(), p, setFrameLimit, 0) })
	n := 0
	for _, err := range proc.Imap(t.Context(), p, square, slices.Values(xs), 300) {
		if !errors.Is(err, proc.ErrMessageTooLarge) {
			t.Errorf("result %d: %v, want ErrMessageTooLarge", n, err)
		}
		n++
	}
	if n != 300 {
		t.Errorf("%d results, want 300", n)
	}
	// Small chunks fit.
	if got, err := proc.Map(t.Context(), p, square, xs, 10); err != nil || got[299] != 1299*1299 {
		t.Errorf("Map in chunks of 10 = %v", err)
	}
	if _, err := proc.Apply(t.Context(), p, setFrameLimit, 0); err != nil {
		t.Fatal(err)
	}
	if got, err := proc.Map(t.Context(), p, square, xs, 300); err != nil || got[299] != 1299*1299 {
		t.Errorf("Map after restoring the limit = %v", err)
	}
}

// TestPoolChunkCodecError has the codec fail on one argument or result of
// a chunk.
func TestPoolChunkCodecError(t *testing.T) {
	p := newPool(t, 2, nil)
	xs := make([]int, 20)
	for i := range xs {
		xs[i] = i
	}
	// An argument: Map submits nothing and says which argument; Imap
	// yields the error at its place and runs the others.
	if _, err := proc.Map(t.Context(), p, pickyArg, xs, 5); err == nil || !strings.Contains(err.Error(), "argument 13") || !strings.Contains(err.Error(), "unlucky") {
		t.Errorf("Map with an unencodable argument = %v", err)
	}
	if _, err := proc.MapAsync(p, pickyArg, xs, 0, nil, nil); err == nil {
		t.Error("MapAsync with an unencodable argument succeeded")
	}
	for _, chunk := range []int{1, 5, 20} {
		i := 0
		for v, err := range proc.Imap(t.Context(), p, pickyArg, slices.Values(xs), chunk) {
			if i == 13 {
				if err == nil || !strings.Contains(err.Error(), "unlucky") {
					t.Errorf("chunk %d: argument 13 = %d, %v; want the encoding error", chunk, v, err)
				}
			} else if v != i || err != nil {
				t.Errorf("chunk %d: argument %d = %d, %v", chunk, i, v, err)
			}
			i++
		}
		if i != len(xs) {
			t.Errorf("chunk %d: %d results, want %d", chunk, i, len(xs))
		}
	}
	// A result: that argument fails in the worker, the others succeed.
	_, err := proc.Map(t.Context(), p, pickyResult, xs, 0)
	var re *proc.RemoteError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "argument 13") || !strings.Contains(re.Msg, "encoding the result") {
		t.Errorf("Map with an unencodable result = %v", err)
	}
	i := 0
	for v, err := range proc.Imap(t.Context(), p, pickyResult, slices.Values(xs), 20) {
		if (i == 13) != (err != nil) || i != 13 && v != i {
			t.Errorf("argument %d = %d, %v", i, v, err)
		}
		i++
	}
}
