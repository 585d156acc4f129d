//go:build linux

package shm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

// roleBarrier passes the Barrier name of n/1000 parties n%1000 times,
// printing "pass <p> <index>" after each, or "result <error kind>" when a
// Wait fails.
func roleBarrier(ctx context.Context, m *shm.Manager, name string, n int) error {
	b, err := m.OpenBarrier(ctx, name, n/1000, nil)
	if err != nil {
		return err
	}
	say("ready")
	for p := range n % 1000 {
		i, err := b.Wait(ctx)
		if err != nil {
			say("result %v", latchkey.KindOf(err))
			return nil
		}
		say("pass %d %d", p, i)
	}
	return nil
}

// roleBarrierAction arrives at the Barrier name of n parties with an
// action that prints "action" and blocks.
func roleBarrierAction(ctx context.Context, m *shm.Manager, name string, n int) error {
	b, err := m.OpenBarrier(ctx, name, n, &latchkey.BarrierOptions{Action: func() error {
		say("action")
		return block()
	}})
	if err != nil {
		return err
	}
	_, err = b.Wait(ctx)
	return err
}

// TestProcBarrier: the parent and two children pass a barrier of three
// parties ten times; in each cycle the three get distinct indices.
func TestProcBarrier(t *testing.T) {
	const passes = 10
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	b, err := m.OpenBarrier(ctx, "b", 3, nil)
	must(t, err)
	var cs []*child
	for range 2 {
		c := startChild(t, "barrier", dir, "b", 3000+passes)
		c.expect(t, "ready")
		cs = append(cs, c)
	}
	for p := range passes {
		i, err := b.Wait(ctx)
		must(t, err)
		seen := map[int]bool{i: true}
		for _, c := range cs {
			var cp, ci int
			line := c.expect(t, "pass")
			if _, err := fmt.Sscanf(line, "pass %d %d", &cp, &ci); err != nil || cp != p {
				t.Fatalf("child printed %q in pass %d", line, p)
			}
			seen[ci] = true
		}
		if !seen[0] || !seen[1] || !seen[2] {
			t.Fatalf("pass %d: indices %v, want 0, 1 and 2", p, seen)
		}
	}
	for _, c := range cs {
		must(t, c.wait(t))
	}
}

// TestProcBarrierKill: of four parties, the parent and two children wait;
// one child is killed, which breaks the barrier for the two others, until
// Reset.
func TestProcBarrierKill(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	b, err := m.OpenBarrier(ctx, "b", 4, nil)
	must(t, err)
	a := startChild(t, "barrier", dir, "b", 4001)
	a.expect(t, "ready")
	k := startChild(t, "barrier", dir, "b", 4001)
	k.expect(t, "ready")
	res := make(chan error, 1)
	go func() {
		_, err := b.Wait(ctx)
		res <- err
	}()
	waitWaiters(t, m, "b", 3)
	k.kill()
	if err := <-res; !errors.Is(err, latchkey.ErrBrokenBarrier) {
		t.Fatalf("Wait after a party died: %v, want ErrBrokenBarrier", err)
	}
	if line := a.expect(t, "result"); line != "result broken barrier" {
		t.Fatalf("other child: %q", line)
	}
	if broken, _ := b.Broken(ctx); !broken {
		t.Fatal("Broken = false")
	}
	_, err = b.Wait(ctx)
	wantErr(t, "Wait on the broken barrier", err, latchkey.ErrBrokenBarrier)
	must(t, b.Reset(ctx))
	if n, _ := b.Waiting(ctx); n != 0 {
		t.Fatalf("Waiting = %d after Reset", n)
	}
}

// TestProcBarrierKillTripper: the last party's process is killed while
// it runs the action: the barrier breaks, as for an action that fails.
func TestProcBarrierKillTripper(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	b, err := m.OpenBarrier(ctx, "b", 2, nil)
	must(t, err)
	res := make(chan error, 1)
	go func() {
		_, err := b.Wait(ctx)
		res <- err
	}()
	waitWaiters(t, m, "b", 1)
	c := startChild(t, "barrier-action", dir, "b", 2)
	c.expect(t, "action")
	if n, _ := b.Waiting(ctx); n != 2 {
		t.Fatalf("Waiting = %d while the action runs, want 2", n)
	}
	c.kill()
	if err := <-res; !errors.Is(err, latchkey.ErrBrokenBarrier) {
		t.Fatalf("Wait after the tripper died: %v, want ErrBrokenBarrier", err)
	}
	must(t, b.Reset(ctx))
	if broken, _ := b.Broken(ctx); broken {
		t.Fatal("Broken after Reset")
	}
}

// TestBarrierOpen: parties must be positive and are part of the identity.
func TestBarrierOpen(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	_, err := m.OpenBarrier(ctx, "b", 0, nil)
	wantErr(t, "Barrier of 0 parties", err, latchkey.ErrInvalid)
	_, err = m.OpenBarrier(ctx, "b", 66, nil)
	wantErr(t, "Barrier of 66 parties", err, latchkey.ErrInvalid)
	b, err := m.OpenBarrier(ctx, "b", 2, nil)
	must(t, err)
	_, err = m.OpenBarrier(ctx, "b", 3, nil)
	if !errors.Is(err, latchkey.ErrMismatch) || !strings.Contains(err.Error(), "parties") {
		t.Fatalf("Barrier of other parties: %v", err)
	}
	if b.Parties() != 2 || b.Name() != "b" || b.Waiters() != 0 {
		t.Fatalf("Parties = %d, Name = %q, Waiters = %d", b.Parties(), b.Name(), b.Waiters())
	}
}

// TestBarrierMaxParties: 65 parties, one more than the waiter slots, pass
// a barrier twice.
func TestBarrierMaxParties(t *testing.T) {
	const n = 65
	ctx := t.Context()
	m := newManager(t)
	errs := make(chan error, 2*n)
	for range n {
		b, err := m.OpenBarrier(ctx, "b", n, nil)
		must(t, err)
		go func() {
			for range 2 {
				_, err := b.Wait(ctx)
				errs <- err
			}
		}()
	}
	for range 2 * n {
		must(t, <-errs)
	}
}
