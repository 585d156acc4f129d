package client_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/conformance"
	"github.com/latchkey/latchkey/server"
)

// startServer starts a real server without durability (SyncNone) on
// 127.0.0.1:0 and a Unix socket in a fresh directory, stopped at the end
// of the test, and returns the address a client dials: TCP, or the socket
// with unix set.
func startServer(t testing.TB, unix bool) string {
	t.Helper()
	return startServerSync(t, unix, server.SyncNone)
}

// startServerSync is startServer with the given sync mode.
func startServerSync(t testing.TB, unix bool, sync server.Sync) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "lkc") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s, err := server.New(&server.Config{Addr: "127.0.0.1:0", DataDir: dir, SocketPath: filepath.Join(dir, "s"), Sync: sync})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background()) }()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	if unix {
		return "unix:" + s.SocketPath()
	}
	return s.Addr().String()
}

func TestConformance(t *testing.T) {
	// Over TCP to a durable server (every answer waits for its fsync), and
	// over the Unix socket to a server in memory.
	for _, tc := range []struct {
		name string
		unix bool
		sync server.Sync
	}{{"TCP", false, server.SyncAlways}, {"Unix", true, server.SyncNone}} {
		t.Run(tc.name, func(t *testing.T) {
			conformance.Run(t, conformance.Backend{
				New: func(t *testing.T) latchkey.Manager {
					c, err := client.Dial(t.Context(), &client.Config{Addr: startServerSync(t, tc.unix, tc.sync)})
					if err != nil {
						t.Fatal(err)
					}
					return c
				},
			})
		})
	}
}
