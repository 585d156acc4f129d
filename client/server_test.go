package client_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
)

// TestCloseReleases: a client's Close releases what its session held.
func TestCloseReleases(t *testing.T) {
	for _, unix := range []bool{false, true} {
		addr := startServer(t, unix)
		a, err := client.Dial(t.Context(), &client.Config{Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		b, err := client.Dial(t.Context(), &client.Config{Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		la, _ := a.Lock(t.Context(), "l")
		if _, err := la.Lock(t.Context()); err != nil {
			t.Fatal(err)
		}
		lb, _ := b.Lock(t.Context(), "l")
		if _, err := lb.TryLock(t.Context()); !errors.Is(err, latchkey.ErrLocked) {
			t.Fatalf("TryLock of a held lock: %v", err)
		}
		a.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		if _, err := lb.Lock(ctx); err != nil && !errors.Is(err, latchkey.ErrOwnerDied) {
			t.Fatalf("Lock after the holder closed: %v", err)
		}
		cancel()
		b.Close()
	}
}

// TestOwnerHandleCollected: an RLock handle that is garbage collected is
// closed on the server, which releases the lock it held.
func TestOwnerHandleCollected(t *testing.T) {
	c, err := client.Dial(t.Context(), &client.Config{Addr: startServer(t, false)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	func() {
		l, err := c.RLock(t.Context(), "r")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Lock(t.Context()); err != nil {
			t.Fatal(err)
		}
	}()
	w, err := c.RLock(t.Context(), "r")
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := w.Lock(ctx); err != nil && !errors.Is(err, latchkey.ErrOwnerDied) {
		t.Fatalf("Lock after the owner was collected: %v", err)
	}
}
