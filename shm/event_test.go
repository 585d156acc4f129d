//go:build linux

package shm_test

import (
	"context"
	"sync"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

// roleWaitEvent waits for the Event name and prints the result.
func roleWaitEvent(ctx context.Context, m *shm.Manager, name string, _ int) error {
	e, err := m.OpenEvent(ctx, name)
	if err != nil {
		return err
	}
	say("waiting")
	say("set %v", e.Wait(ctx))
	return nil
}

// roleSetEvent sets the Event name.
func roleSetEvent(ctx context.Context, m *shm.Manager, name string, _ int) error {
	e, err := m.OpenEvent(ctx, name)
	if err != nil {
		return err
	}
	if err := e.Set(ctx); err != nil {
		return err
	}
	say("done")
	return nil
}

// TestProcEvent: a Set in one child wakes waiters in two other children
// and in the parent; a Clear then makes Wait block again.
func TestProcEvent(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	e, err := m.OpenEvent(ctx, "e")
	must(t, err)
	var ws []*child
	for range 2 {
		c := startChild(t, "wait-event", dir, "e", 0)
		c.expect(t, "waiting")
		ws = append(ws, c)
	}
	res := make(chan error, 1)
	go func() { res <- e.Wait(ctx) }()
	waitWaiters(t, m, "e", 3)
	s := startChild(t, "set-event", dir, "e", 0)
	s.expect(t, "done")
	must(t, s.wait(t))
	must(t, <-res)
	for _, c := range ws {
		if line := c.expect(t, "set"); line != "set <nil>" {
			t.Fatalf("child: %q", line)
		}
		must(t, c.wait(t))
	}
	if set, _ := e.IsSet(ctx); !set {
		t.Fatal("IsSet = false after Set")
	}
	must(t, e.Clear(ctx))
	tctx, cancel := context.WithTimeout(ctx, procInterval)
	defer cancel()
	wantErr(t, "Wait after Clear", e.Wait(tctx), context.DeadlineExceeded)
	if n := e.Waiters(); n != 0 {
		t.Fatalf("Waiters = %d after a timed-out Wait", n)
	}
}

// TestEventOverflow: more waiters than waiter slots all wake on a Set,
// even one followed at once by a Clear.
func TestEventOverflow(t *testing.T) {
	const n = 80
	ctx := t.Context()
	m := newManager(t)
	e, err := m.OpenEvent(ctx, "e")
	must(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		h, err := m.OpenEvent(ctx, "e")
		must(t, err)
		wg.Go(func() { errs <- h.Wait(ctx) })
	}
	waitWaiters(t, m, "e", n)
	must(t, e.Set(ctx))
	must(t, e.Clear(ctx))
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if e.Waiters() != 0 || e.Name() != "e" {
		t.Fatalf("Waiters = %d, Name = %q", e.Waiters(), e.Name())
	}
	_, err = m.OpenSemaphore(ctx, "e", 1)
	wantErr(t, "Semaphore over an Event", err, latchkey.ErrMismatch)
}
