package server_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/internal/wal"
	"github.com/latchkey/latchkey/server"
)

// serveAt starts a server on addr with data in dir and returns a function
// that stops it.
func serveAt(t *testing.T, dir, addr string, sync server.Sync, snapEvery int) (*server.Server, func()) {
	t.Helper()
	s, err := server.New(&server.Config{Addr: addr, DataDir: dir, SocketPath: server.Disabled, Sync: sync, SnapshotEvery: snapEvery})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background()) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			s.Close()
			if err := <-done; err != nil && !errors.Is(err, server.ErrServerClosed) {
				t.Errorf("Serve: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return s, stop
}

// TestRestartKeepsState: a server stopped and started again on the same
// data directory has every object, its contents and its fences, and the
// sessions of clients that come back within their TTL, with their holds.
func TestRestartKeepsState(t *testing.T) {
	for _, mode := range []server.Sync{server.SyncAlways, server.SyncInterval, server.SyncNever} {
		t.Run(string(mode), func(t *testing.T) { testRestart(t, mode, 0) })
	}
	// A snapshot every 3 records: the state comes back from a snapshot
	// and the records after it.
	t.Run("snapshots", func(t *testing.T) { testRestart(t, server.SyncAlways, 3) })
}

func testRestart(t *testing.T, mode server.Sync, snapEvery int) {
	dir := t.TempDir()
	s1, stop1 := serveAt(t, dir, "127.0.0.1:0", mode, snapEvery)
	addr := s1.Addr().String()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, &client.Config{Addr: addr, TTL: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l, _ := c.Lock(ctx, "l")
	f1, err := l.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := c.Queue(ctx, "q", latchkey.QueueOptions{})
	for _, s := range []string{"a", "b", "c"} {
		if err := q.Put(ctx, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if it, err := q.Get(ctx); err != nil || string(it) != "a" {
		t.Fatalf("Get = %q, %v", it, err)
	}
	d, _ := c.Dict(ctx, "d")
	if err := d.Store(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	v, _ := c.Value(ctx, "n")
	if _, err := v.Add(ctx, 41); err != nil {
		t.Fatal(err)
	}

	stop1()
	if snapEvery > 0 {
		snaps, _ := filepath.Glob(filepath.Join(dir, "wal", "*.snap"))
		if len(snaps) == 0 {
			t.Fatal("no snapshot written")
		}
	}
	_, stop2 := serveAt(t, dir, addr, mode, snapEvery)
	defer stop2()

	// The client resumes its session: its lock is still its own.
	if locked, err := l.Locked(ctx); err != nil || !locked {
		t.Fatalf("Locked after the restart = %v, %v", locked, err)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("session after the restart: %v", err)
	}
	if n, err := v.Add(ctx, 1); err != nil || n != 42 {
		t.Fatalf("Add after the restart = %d, %v; want 42", n, err)
	}
	if got, ok, err := d.Load(ctx, "k"); err != nil || !ok || string(got) != "v" {
		t.Fatalf("dict after the restart: %q, %v", got, err)
	}

	c2, err := client.Dial(ctx, &client.Config{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	l2, _ := c2.Lock(ctx, "l")
	if _, err := l2.TryLock(ctx); !errors.Is(err, latchkey.ErrLocked) {
		t.Fatalf("TryLock of the lock held across the restart: %v", err)
	}
	if err := l.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	f2, err := l2.Lock(ctx)
	if err != nil || f2 <= f1 {
		t.Fatalf("Lock after the restart: fence %d (before: %d), %v", f2, f1, err)
	}
	// A mode that may lose acknowledged grants on power loss moves the
	// fences to a new epoch, above anything a lost grant could have had.
	if mode != server.SyncAlways && f2 <= 1<<40 {
		t.Fatalf("fence after a %s restart = %d, want above 2^40", mode, f2)
	} else if mode == server.SyncAlways && f2 != f1+1 {
		t.Fatalf("fence after a restart = %d, want %d (exact counters under always)", f2, f1+1)
	}
	// The item the first client took and did not mark done is still its
	// own; the others wait in order.
	q2, _ := c2.Queue(ctx, "q", latchkey.QueueOptions{})
	for _, want := range []string{"b", "c"} {
		if it, err := q2.Get(ctx); err != nil || string(it) != want {
			t.Fatalf("Get after the restart = %q, %v; want %q", it, err, want)
		}
	}
	// When the first client goes, its undone item comes back.
	c.Close()
	if it, err := q2.Get(ctx); err != nil || string(it) != "a" {
		t.Fatalf("Get of the dead session's item = %q, %v; want a", it, err)
	}
}

// TestRepairLog: a log corrupt in the middle is refused, naming the
// file; with RepairLog the server starts on what came before the bad
// record, and what followed it is lost.
func TestRepairLog(t *testing.T) {
	dir := t.TempDir()
	s1, stop1 := serveAt(t, dir, "127.0.0.1:0", server.SyncAlways, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, &client.Config{Addr: s1.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Value(ctx, "n")
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := v.Add(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	stop1()

	// Flip a byte of the first record's payload: good records follow it.
	segs, err := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("segments: %v, %v", segs, err)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	const firstPayload = 24 + 16 // segment header, record header
	b[firstPayload] ^= 0xff
	if err := os.WriteFile(segs[0], b, 0o600); err != nil {
		t.Fatal(err)
	}

	cfg := func(repair bool) *server.Config {
		return &server.Config{Addr: "127.0.0.1:0", DataDir: dir, SocketPath: server.Disabled, RepairLog: repair}
	}
	if s, err := server.New(cfg(false)); err == nil || !strings.Contains(err.Error(), filepath.Base(segs[0])) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("New on a corrupt log = %v; want an error naming %s", err, filepath.Base(segs[0]))
	}
	s2, err := server.New(cfg(true))
	if err != nil {
		t.Fatalf("New with RepairLog: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s2.Serve(context.Background()) }()
	defer func() {
		s2.Close()
		<-done
	}()
	c2, err := client.Dial(ctx, &client.Config{Addr: s2.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	v2, err := c2.Value(ctx, "n")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := v2.Load(ctx); err != nil || n != 0 {
		t.Fatalf("value after the repair = %d, %v; want 0 (every record from the first on was cut)", n, err)
	}
}

// TestCloseWithoutServeFinishesSnapshot: New may start a snapshot (the
// records it replayed and its restart record reach SnapshotEvery); Close
// without Serve waits for it before closing the log, so that the snapshot
// is written and its goroutine has ended when Close returns.
func TestCloseWithoutServeFinishesSnapshot(t *testing.T) {
	dir := t.TempDir()
	for range 3 {
		s, err := server.New(&server.Config{Addr: "127.0.0.1:0", DataDir: dir, SocketPath: server.Disabled, SnapshotEvery: 1})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	l, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal")})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	idx, _, err := l.Snapshot()
	if err != nil || idx != l.Last() {
		t.Fatalf("Snapshot() = %d, %v after three restarts, want the last record's index %d", idx, err, l.Last())
	}
}
