package latchkey_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

func TestWith(t *testing.T) {
	var l local.Lock
	boom := errors.New("boom")
	if err := latchkey.With(t.Context(), &l, func(latchkey.Fence) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("With = %v, want fn's error", err)
	}
	if locked, _ := l.Locked(t.Context()); locked {
		t.Fatal("lock held after With returned an error")
	}
	func() {
		defer func() { _ = recover() }()
		_ = latchkey.With(t.Context(), &l, func(latchkey.Fence) error { panic("fn") })
	}()
	if locked, _ := l.Locked(t.Context()); locked {
		t.Fatal("lock held after fn panicked")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	if err := latchkey.With(ctx, &l, func(latchkey.Fence) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("With(cancelled ctx) = %v, ran = %v", err, ran)
	}
	// fn releasing the lock itself makes With's unlock fail, and says so.
	err := latchkey.With(t.Context(), &l, func(latchkey.Fence) error { return l.Unlock(t.Context()) })
	if !errors.Is(err, latchkey.ErrNotHeld) {
		t.Fatalf("With = %v, want ErrNotHeld from the unlock", err)
	}
}

func ExampleWith() {
	ctx := context.Background()
	m := local.NewManager()
	defer m.Close()
	lock, _ := m.Lock(ctx, "ledger")
	err := latchkey.With(ctx, lock, func(fence latchkey.Fence) error {
		fmt.Println("in the critical section with fence", fence)
		return nil
	})
	fmt.Println(err)
	// Output:
	// in the critical section with fence 1
	// <nil>
}

// diedLock is a Locker whose Lock grants the lock with ErrOwnerDied, as a
// backend does after the previous holder died holding it.
type diedLock struct{ held, unlocked bool }

func (d *diedLock) Lock(context.Context) (latchkey.Fence, error) {
	d.held = true
	return 7, latchkey.ErrOwnerDied
}

func (d *diedLock) TryLock(ctx context.Context) (latchkey.Fence, error) { return d.Lock(ctx) }

func (d *diedLock) Unlock(context.Context) error {
	d.held, d.unlocked = false, true
	return nil
}

func TestWithOwnerDied(t *testing.T) {
	d := &diedLock{}
	var got latchkey.Fence
	err := latchkey.With(t.Context(), d, func(f latchkey.Fence) error { got = f; return nil })
	if !errors.Is(err, latchkey.ErrOwnerDied) || got != 7 || !d.unlocked {
		t.Fatalf("With = %v, fence %d, unlocked %v; want ErrOwnerDied, fn run with fence 7, unlocked", err, got, d.unlocked)
	}
}
