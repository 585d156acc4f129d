package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/wire"
)

// Version is the server's software version, sent in the Welcome.
const Version = "0.1.0"

// ErrServerClosed is returned by [Server.Serve] after [Server.Close].
var ErrServerClosed = errors.New("server: closed")

// Server is the latchkey manager server: it listens on TCP and a Unix
// socket, speaks the protocol of docs/protocol.md, and applies every
// request to one deterministic state machine owned by one goroutine.
//
// Blocking requests never block a goroutine of the server: they are
// waiters inside the machine, answered when granted, cancelled or dropped
// with their session. A session whose client says Goodbye, or whose
// same-host connection (Unix socket or loopback TCP) closes, ends at once
// and releases everything it held; a remote connection that drops without
// a Goodbye leaves its session detached for its TTL, so that the client
// can resume it.
//
// Unless [Config.Sync] is [SyncNone], every change of state is logged in
// DataDir before it is acknowledged (docs/operations.md): a server
// started again on the same DataDir has every object, its contents, its
// fence counters and its sessions, which their clients resume.
//
// A Server is safe for concurrent use. Serve runs it; Close stops it and
// returns after every goroutine of the server has exited.
type Server struct {
	cfg Config
	log *slog.Logger

	tcp, unix net.Listener // nil when disabled

	cmds     chan command  // to the owner goroutine
	shutdown chan struct{} // closed by Close
	once     sync.Once
	done     chan struct{} // closed when Serve has finished
	served   chan struct{} // closed when Serve starts
	startMu  sync.Mutex    // orders Serve's start with Close's look at served

	own     *owner                // the state's owner, run by Serve
	fatal   atomic.Pointer[error] // why the server stopped by itself (a disk failure)
	logOnce sync.Once             // closes own.log

	mu    sync.Mutex         // guards conns
	conns map[*conn]struct{} // live connections
	wg    sync.WaitGroup     // every goroutine but the owner
}

// New returns a server for cfg (nil means [DefaultConfig]) with its
// listeners open, so that [Server.Addr] is known before Serve.
func New(cfg *Config) (*Server, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := *cfg
	c.fill()
	s := &Server{
		cfg: c, log: c.Logger, cmds: make(chan command, 256),
		shutdown: make(chan struct{}), done: make(chan struct{}), served: make(chan struct{}),
		conns: make(map[*conn]struct{}),
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.own = newOwner(s)
	if err := s.own.openLog(); err != nil {
		return nil, err
	}
	if c.Addr != Disabled {
		ln, err := net.Listen("tcp", c.Addr)
		if err != nil {
			s.closeLog()
			return nil, fmt.Errorf("server: %w", err)
		}
		s.tcp = ln
	}
	if c.SocketPath != Disabled {
		ln, err := listenUnix(c.SocketPath)
		if err != nil {
			if s.tcp != nil {
				s.tcp.Close()
			}
			s.closeLog()
			return nil, err
		}
		s.unix = ln
	}
	return s, nil
}

// listenUnix listens on path, creating its directory and removing a stale
// socket that no server answers on.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if _, err := os.Stat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("server: a server is already listening on %s", path)
		}
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return ln, nil
}

// Addr returns the TCP listener's address, or nil if TCP is disabled.
func (s *Server) Addr() net.Addr {
	if s.tcp == nil {
		return nil
	}
	return s.tcp.Addr()
}

// SocketPath returns the Unix socket's path, or "" if it is disabled.
func (s *Server) SocketPath() string {
	if s.unix == nil {
		return ""
	}
	return s.cfg.SocketPath
}

// Close stops the server: it closes the listeners, says Goodbye (reason
// shutdown) to every client and, if Serve is running, waits for it to
// return. It is idempotent.
func (s *Server) Close() error {
	s.once.Do(func() {
		close(s.shutdown)
		if s.tcp != nil {
			s.tcp.Close()
		}
		if s.unix != nil {
			s.unix.Close()
		}
	})
	// Under startMu, Serve has either started (and will see shutdown and
	// return) or will never start: it checks shutdown under the same lock.
	s.startMu.Lock()
	started := isClosed(s.served)
	s.startMu.Unlock()
	if started {
		<-s.done
	} else {
		s.closeLog() // Serve never ran
	}
	return nil
}

// isClosed reports whether ch is closed.
func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// closeLog closes the write-ahead log once, after the owner has stopped
// (or when it never ran), once a snapshot being written has finished.
func (s *Server) closeLog() {
	s.logOnce.Do(func() {
		if s.own.log == nil {
			return
		}
		s.own.waitSnapshot() // one openLog started, if Serve never ran (stop waited for the others)
		if err := s.own.log.Close(); err != nil && s.own.failed == nil {
			s.log.Error("closing the write-ahead log", "err", err)
		}
	})
}

// Serve accepts connections and serves them until ctx is done or Close is
// called. It returns nil after ctx is done, [ErrServerClosed] after
// Close, once every goroutine it started has exited. It may be called
// once.
func (s *Server) Serve(ctx context.Context) error {
	s.startMu.Lock()
	switch {
	case isClosed(s.shutdown):
		s.startMu.Unlock()
		return ErrServerClosed
	case isClosed(s.served):
		s.startMu.Unlock()
		return errors.New("server: Serve called twice")
	}
	close(s.served)
	s.startMu.Unlock()
	defer close(s.done)
	ownerDone := make(chan struct{})
	go func() {
		defer close(ownerDone)
		s.own.run()
	}()
	for _, ln := range []net.Listener{s.tcp, s.unix} {
		if ln != nil {
			s.wg.Add(1)
			go s.accept(ln, ln == s.unix)
		}
	}
	var err error
	select {
	case <-ctx.Done():
	case <-s.shutdown:
		err = ErrServerClosed
	case <-ownerDone:
		// It stopped by itself (the log failed: s.fatal), or because Close
		// closed s.shutdown and this select saw the owner first.
		select {
		case <-s.shutdown:
			err = ErrServerClosed
		default:
		}
	}
	s.once.Do(func() {
		close(s.shutdown)
		if s.tcp != nil {
			s.tcp.Close()
		}
		if s.unix != nil {
			s.unix.Close()
		}
	})
	<-ownerDone // it queued a Goodbye for every session's connection
	s.closeLog()
	// Connections still in their handshake are closed now; the others
	// close after writing their Goodbye, or after a grace period.
	s.closeConns(func(c *conn) bool { return !c.ready.Load() })
	waited := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(waited)
	}()
	grace := time.NewTimer(time.Second)
	defer grace.Stop()
	select {
	case <-waited:
	case <-grace.C:
		s.closeConns(func(*conn) bool { return true })
		<-waited
	}
	if f := s.fatal.Load(); f != nil {
		return *f
	}
	return err
}

// accept accepts connections on ln until it is closed.
func (s *Server) accept(ln net.Listener, unix bool) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.shutdown:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.log.Error("accept failed", "err", err)
			return
		}
		c := newConn(s, nc, unix)
		s.mu.Lock()
		select {
		case <-s.shutdown:
			s.mu.Unlock()
			nc.Close()
			continue
		default:
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// closeConns closes the connections for which pick is true.
func (s *Server) closeConns(pick func(*conn) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if pick(c) {
			c.nc.Close()
		}
	}
}

// send delivers cmd to the owner, or reports false if the server stopped.
func (s *Server) send(cmd command) bool {
	select {
	case s.cmds <- cmd:
		return true
	case <-s.shutdown:
		return false
	}
}

// newToken returns a fresh session token.
func newToken() []byte {
	b := make([]byte, 16)
	rand.Read(b)
	return b
}

func tokenEqual(a, b []byte) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare(a, b) == 1
}

// clampTTL returns the lease to grant for a Hello asking for ttl.
func (s *Server) clampTTL(ttl time.Duration) time.Duration {
	if ttl == 0 {
		return s.cfg.TTL
	}
	return min(max(ttl, s.cfg.MinTTL), s.cfg.MaxTTL)
}

var _ = wire.Version
