package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/server"
)

// Options configures [Start]. The zero value (or a nil *Options) is
// what most programs want.
type Options struct {
	// Dir is the private directory the socket is created in; it must not
	// exist yet, or exist empty (Start fails with an error satisfying
	// errors.Is(err, latchkey.ErrInvalid) otherwise). Empty means a new
	// directory under os.TempDir(). It is removed by Close.
	Dir string
	// Logger receives the embedded server's logs. Nil discards them.
	Logger *slog.Logger
}

// Manager is a running embedded server and the parent's client of it.
// Its methods (Lock, Queue, Dict, ...) are those of [client.Client]: the
// objects live in the server and are shared with every process that
// connects to [Manager.Addr].
type Manager struct {
	*client.Client
	srv    *server.Server
	dir    string
	addr   string
	served chan error
	once   sync.Once
	err    error
}

// Start starts a server on a Unix socket in a private directory, and
// connects to it. ctx bounds the start only. Close stops the server.
func Start(ctx context.Context, opts *Options) (*Manager, error) {
	if opts == nil {
		opts = &Options{}
	}
	dir, err := makeDir(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("manager: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("manager: %w", err)
	}
	sock := filepath.Join(dir, "s")
	srv, err := server.New(&server.Config{
		Addr: server.Disabled, DataDir: dir, SocketPath: sock, Sync: server.SyncNone, Logger: opts.Logger,
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("manager: %w", err)
	}
	m := &Manager{srv: srv, dir: dir, addr: "unix:" + sock, served: make(chan error, 1)}
	go func() { m.served <- srv.Serve(context.Background()) }()
	c, err := client.Dial(ctx, &client.Config{Addr: m.addr})
	if err != nil {
		m.stop()
		return nil, fmt.Errorf("manager: %w", err)
	}
	m.Client = c
	return m, nil
}

// makeDir returns the manager's directory: a new one under os.TempDir()
// if dir is empty, else dir, created if it does not exist. An existing dir
// must be empty, since Close removes it with everything in it.
func makeDir(dir string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "latchkey-manager-")
	}
	err := os.Mkdir(dir, 0o700)
	if !errors.Is(err, os.ErrExist) {
		return dir, err
	}
	f, err := os.Open(dir)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); !errors.Is(err, io.EOF) {
		if err == nil {
			err = latchkey.Errorf(latchkey.KindInvalid, "directory %s is not empty", dir)
		}
		return "", err
	}
	return dir, nil
}

// Addr returns the server's address, as client.Config.Addr and
// LATCHKEY_ADDR take it ("unix:/path").
func (m *Manager) Addr() string { return m.addr }

// Env returns the environment entries a child process needs to reach the
// server (LATCHKEY_ADDR=...): append them to exec.Cmd.Env.
func (m *Manager) Env() []string { return []string{client.AddrEnv + "=" + m.addr} }

// Close closes the parent's client, stops the server (every child's
// session ends, and what it held is released) and removes the directory.
// It is idempotent.
func (m *Manager) Close() error {
	m.once.Do(func() {
		m.Client.Close()
		m.stop()
	})
	return m.err
}

func (m *Manager) stop() {
	m.srv.Close()
	if err := <-m.served; err != nil && !errors.Is(err, server.ErrServerClosed) {
		m.err = err
	}
	if err := os.RemoveAll(m.dir); err != nil && m.err == nil {
		m.err = err
	}
}

// Connect connects a child process to the manager its parent started: it
// reads the address from LATCHKEY_ADDR, which [Manager.Env] sets. ctx
// bounds the connection only.
func Connect(ctx context.Context) (*client.Client, error) {
	addr := os.Getenv(client.AddrEnv)
	if addr == "" {
		return nil, fmt.Errorf("manager: %s is not set: start this process with the Manager's Env()", client.AddrEnv)
	}
	return client.Dial(ctx, &client.Config{Addr: addr})
}
