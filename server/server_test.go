package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// startServer runs a server for the test and stops it when the test ends.
func startServer(t *testing.T, cfg *Config) *Server {
	t.Helper()
	if cfg == nil {
		cfg = &Config{}
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(context.Background()) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-errc; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

// tclient is a minimal test client speaking the wire protocol.
type tclient struct {
	t       *testing.T
	nc      net.Conn
	rd      *wire.Reader
	wr      *wire.Writer
	welcome *wire.Welcome
	next    uint64
	stash   map[uint64]*wire.Response
}

func rawDial(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return nc
}

// connect dials and completes the handshake; it returns the first frame
// after the Hello (and Auth) if it is not a Welcome.
func connect(t *testing.T, network, addr string, hello *wire.Hello, key []byte) (*tclient, wire.Frame) {
	t.Helper()
	nc := rawDial(t, network, addr)
	c := &tclient{t: t, nc: nc, rd: wire.NewReader(nc, 0), wr: wire.NewWriter(nc, wire.MinMaxFrame), stash: map[uint64]*wire.Response{}}
	if hello == nil {
		hello = &wire.Hello{}
	}
	hello.Version = wire.Version
	payload, err := wire.Append(nil, hello)
	if err != nil {
		t.Fatal(err)
	}
	c.write(hello)
	f := c.read()
	if ch, ok := f.(*wire.Challenge); ok {
		c.write(&wire.Auth{MAC: wire.AuthMAC(key, &ch.Nonce, payload[4:])})
		f = c.read()
	}
	w, ok := f.(*wire.Welcome)
	if !ok {
		return c, f
	}
	w.Token = bytes.Clone(w.Token) // it aliases the reader's buffer
	c.welcome = w
	c.wr.SetMaxFrame(int(w.MaxFrame))
	return c, nil
}

func mustConnect(t *testing.T, network, addr string, hello *wire.Hello) *tclient {
	t.Helper()
	c, f := connect(t, network, addr, hello, nil)
	if f != nil {
		t.Fatalf("handshake: got %#v", f)
	}
	return c
}

func (c *tclient) write(fs ...wire.Frame) {
	c.t.Helper()
	for _, f := range fs {
		if err := c.wr.Write(f); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := c.wr.Flush(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *tclient) read() wire.Frame {
	c.t.Helper()
	_, p, err := c.rd.ReadFrame()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	f, err := wire.Decode(p)
	if err != nil {
		c.t.Fatal(err)
	}
	if r, ok := f.(*wire.Response); ok {
		return r.Clone()
	}
	return f
}

// req sends a request and returns its id.
func (c *tclient) req(op wire.Op, obj wire.ObjectType, h uint64, name string, ints []int64, bs ...[]byte) uint64 {
	c.next++
	c.write(&wire.Request{ID: c.next, Op: op, Object: obj, Handle: h, Name: name, Ints: ints, Bytes: bs})
	return c.next
}

// resp reads until the response to id.
func (c *tclient) resp(id uint64) *wire.Response {
	c.t.Helper()
	for {
		if r, ok := c.stash[id]; ok {
			delete(c.stash, id)
			return r
		}
		switch f := c.read().(type) {
		case *wire.Response:
			c.stash[f.ID] = f
		case *wire.Goodbye:
			c.t.Fatalf("goodbye while waiting for %d: %v %q", id, f.Reason, f.Message)
		}
	}
}

func (c *tclient) call(op wire.Op, obj wire.ObjectType, h uint64, name string, ints []int64, bs ...[]byte) *wire.Response {
	c.t.Helper()
	return c.resp(c.req(op, obj, h, name, ints, bs...))
}

func (c *tclient) open(h uint64, obj wire.ObjectType, name string, params ...int64) {
	c.t.Helper()
	if err := c.call(wire.OpOpen, obj, h, name, params).Err(); err != nil {
		c.t.Fatalf("open: %v", err)
	}
}

// expectGoodbye reads until a Goodbye and checks its reason.
func (c *tclient) expectGoodbye(want wire.Reason) {
	c.t.Helper()
	for {
		_, p, err := c.rd.ReadFrame()
		if err != nil {
			c.t.Fatalf("no goodbye (want %v): %v", want, err)
		}
		f, err := wire.Decode(p)
		if err != nil {
			c.t.Fatal(err)
		}
		if g, ok := f.(*wire.Goodbye); ok {
			if g.Reason != want {
				c.t.Fatalf("goodbye %v %q, want %v", g.Reason, g.Message, want)
			}
			return
		}
	}
}

// waitersOf polls the Waiters op until it reports n (no sleeping: each
// poll is a round trip).
func (c *tclient) waitersOf(name string, n int64) {
	c.t.Helper()
	for i := 0; ; i++ {
		r := c.call(wire.OpWaiters, 0, 0, name, nil)
		if r.Err() == nil && r.Ints[0] == n {
			return
		}
		if i > 100000 {
			c.t.Fatalf("waiters of %q never reached %d", name, n)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:7459", ":7459", "10.1.2.3:1"} {
		err := (&Config{Addr: addr}).Validate()
		if err == nil || !strings.Contains(err.Error(), "AuthKey") {
			t.Errorf("Validate(%q) = %v, want a refusal naming AuthKey", addr, err)
		}
		if err := (&Config{Addr: addr, AuthKey: []byte("k")}).Validate(); err != nil {
			t.Errorf("with a key: %v", err)
		}
	}
	for _, addr := range []string{"", "127.0.0.1:1", "[::1]:1", "localhost:1"} {
		if err := (&Config{Addr: addr}).Validate(); err != nil {
			t.Errorf("Validate(%q) = %v", addr, err)
		}
	}
	if err := (&Config{Addr: Disabled, SocketPath: Disabled}).Validate(); err == nil {
		t.Error("no listener accepted")
	}
	d := DefaultConfig()
	if d.Addr != DefaultAddr || d.TTL != 10*time.Second || d.SocketPath != filepath.Join(d.DataDir, "latchkey.sock") {
		t.Errorf("defaults: %+v", d)
	}
	if _, err := New(&Config{Addr: "0.0.0.0:0"}); err == nil {
		t.Error("New accepted a public address without a key")
	}
}

func TestServeAndCloseIdempotent(t *testing.T) {
	s := startServer(t, nil)
	if s.Addr() == nil || s.SocketPath() == "" {
		t.Fatal("no addresses")
	}
	c := mustConnect(t, "tcp", s.Addr().String(), nil)
	if c.welcome.SessionID == 0 || len(c.welcome.Token) == 0 || c.welcome.TTL != 10*time.Second {
		t.Fatalf("welcome %+v", c.welcome)
	}
	s.Close()
	c.expectGoodbye(wire.ReasonShutdown)
	s.Close()
}

func TestServeReturnsOnContext(t *testing.T) {
	s, err := New(&Config{Addr: "127.0.0.1:0", SocketPath: Disabled})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx) }()
	c := mustConnect(t, "tcp", s.Addr().String(), nil)
	cancel()
	c.expectGoodbye(wire.ReasonShutdown)
	if err := <-errc; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	s.Close()
}

func TestLockAcrossClientsAndGoodbye(t *testing.T) {
	s := startServer(t, nil)
	for _, nw := range []struct{ network, addr string }{{"tcp", s.Addr().String()}, {"unix", s.SocketPath()}} {
		t.Run(nw.network, func(t *testing.T) {
			name := "l-" + nw.network
			a := mustConnect(t, nw.network, nw.addr, nil)
			b := mustConnect(t, nw.network, nw.addr, nil)
			a.open(1, wire.ObjectLock, name)
			b.open(1, wire.ObjectLock, name)
			if r := a.call(wire.OpLockLock, wire.ObjectLock, 1, name, nil); r.Err() != nil {
				t.Fatal(r.Err())
			}
			if err := b.call(wire.OpLockTryLock, wire.ObjectLock, 1, name, nil).Err(); !errors.Is(err, latchkey.ErrLocked) {
				t.Fatalf("trylock: %v", err)
			}
			id := b.req(wire.OpLockLock, wire.ObjectLock, 1, name, nil)
			b.waitersOf(name, 1)
			a.write(&wire.Goodbye{Reason: wire.ReasonNormal})
			a.expectGoodbye(wire.ReasonNormal)
			if err := b.resp(id).Err(); !errors.Is(err, latchkey.ErrOwnerDied) {
				t.Fatalf("after the holder's goodbye: %v", err)
			}
		})
	}
}

// TestLocalCloseReleasesAtOnce: a same-host client (Unix socket or
// loopback TCP) whose connection closes without a Goodbye is released at
// once, long before its lease (10 minutes here) would run out.
func TestLocalCloseReleasesAtOnce(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			s := startServer(t, nil)
			addr := s.SocketPath()
			if network == "tcp" {
				addr = s.Addr().String()
			}
			hello := &wire.Hello{TTL: 10 * time.Minute}
			a := mustConnect(t, network, addr, hello)
			b := mustConnect(t, network, addr, nil)
			a.open(1, wire.ObjectLock, "l")
			b.open(1, wire.ObjectLock, "l")
			a.call(wire.OpLockLock, wire.ObjectLock, 1, "l", nil)
			id := b.req(wire.OpLockLock, wire.ObjectLock, 1, "l", nil)
			b.waitersOf("l", 1)
			a.nc.Close() // no goodbye
			if err := b.resp(id).Err(); !errors.Is(err, latchkey.ErrOwnerDied) {
				t.Fatalf("after the holder dropped: %v", err)
			}
		})
	}
}

func TestTCPDropResumeAndExpire(t *testing.T) {
	s := startServer(t, &Config{MinTTL: 50 * time.Millisecond, SocketPath: Disabled, ResumeLocal: true})
	addr := s.Addr().String()
	a := mustConnect(t, "tcp", addr, &wire.Hello{TTL: 300 * time.Millisecond})
	b := mustConnect(t, "tcp", addr, nil)
	a.open(1, wire.ObjectLock, "l")
	b.open(1, wire.ObjectLock, "l")
	a.call(wire.OpLockLock, wire.ObjectLock, 1, "l", nil)
	a.nc.Close()
	// Resume: the session and its lock carry on.
	a2 := mustConnect(t, "tcp", addr, &wire.Hello{SessionID: a.welcome.SessionID, Token: a.welcome.Token, TTL: 300 * time.Millisecond})
	if !a2.welcome.Resumed || a2.welcome.SessionID != a.welcome.SessionID {
		t.Fatalf("resume: %+v", a2.welcome)
	}
	a2.next = 100
	if r := a2.call(wire.OpLockLocked, wire.ObjectLock, 1, "l", nil); r.Err() != nil || r.Ints[0] != 1 {
		t.Fatalf("after resume: %+v", r)
	}
	// A wrong token opens a new session.
	c, _ := connect(t, "tcp", addr, &wire.Hello{SessionID: a.welcome.SessionID, Token: []byte("bad")}, nil)
	if c.welcome == nil || c.welcome.Resumed {
		t.Fatalf("bad token resumed: %+v", c.welcome)
	}
	// Dropped without resuming: the session expires and the lock goes to b.
	id := b.req(wire.OpLockLock, wire.ObjectLock, 1, "l", nil)
	a2.nc.Close()
	if err := b.resp(id).Err(); !errors.Is(err, latchkey.ErrOwnerDied) {
		t.Fatalf("after expiry: %v", err)
	}
}

func TestSilentConnectionExpires(t *testing.T) {
	s := startServer(t, &Config{MinTTL: 50 * time.Millisecond, SocketPath: Disabled})
	a := mustConnect(t, "tcp", s.Addr().String(), &wire.Hello{TTL: 100 * time.Millisecond})
	a.expectGoodbye(wire.ReasonExpired)
}

func TestSupersede(t *testing.T) {
	s := startServer(t, &Config{SocketPath: Disabled})
	a := mustConnect(t, "tcp", s.Addr().String(), nil)
	mustConnect(t, "tcp", s.Addr().String(), &wire.Hello{SessionID: a.welcome.SessionID, Token: a.welcome.Token})
	a.expectGoodbye(wire.ReasonSuperseded)
}

func TestAuth(t *testing.T) {
	key := []byte("secret")
	s := startServer(t, &Config{AuthKey: key})
	for _, nw := range []struct{ network, addr string }{{"tcp", s.Addr().String()}, {"unix", s.SocketPath()}} {
		c, f := connect(t, nw.network, nw.addr, nil, key)
		if f != nil || c.welcome == nil {
			t.Fatalf("%s: right key refused: %#v", nw.network, f)
		}
		c.open(1, wire.ObjectEvent, "e")
		_, f = connect(t, nw.network, nw.addr, nil, []byte("wrong"))
		if g, ok := f.(*wire.Goodbye); !ok || g.Reason != wire.ReasonAuth {
			t.Fatalf("%s: wrong key: %#v", nw.network, f)
		}
	}
}

func TestBadVersion(t *testing.T) {
	s := startServer(t, &Config{SocketPath: Disabled})
	nc := rawDial(t, "tcp", s.Addr().String())
	nc.Write([]byte{0, 0, 0, 8, 1, 'L', 'K', 'E', 'Y', 0, 9, 0})
	rd := wire.NewReader(nc, 0)
	_, p, err := rd.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	var g wire.Goodbye
	if err := g.Decode(p); err != nil || g.Reason != wire.ReasonVersion || !strings.Contains(g.Message, "version 9") {
		t.Fatalf("goodbye %+v, %v", g, err)
	}
}

func TestBadFrames(t *testing.T) {
	s := startServer(t, &Config{SocketPath: Disabled})
	addr := s.Addr().String()
	frame := func(payload ...byte) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(payload))), payload...)
	}
	cases := map[string][]byte{
		"unknown type":      frame(99),
		"hello again":       frame(1, 'L', 'K', 'E', 'Y', 0, 1),
		"truncated request": frame(5, 1),
		"request flags":     frame(5, 1, 1, 1, 1, 1, 1, 'l', 0, 0),
		"trailing cancel":   frame(7, 1, 0),
		"zero length":       {0, 0, 0, 0},
		"too large":         {0xff, 0, 0, 0},
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			c := mustConnect(t, "tcp", addr, nil)
			if _, err := c.nc.Write(b); err != nil {
				t.Fatal(err)
			}
			c.expectGoodbye(wire.ReasonProtocol)
		})
	}
	t.Run("not a hello", func(t *testing.T) {
		nc := rawDial(t, "tcp", addr)
		nc.Write(frame(8, 0))
		var buf [64]byte
		for {
			if _, err := nc.Read(buf[:]); err != nil {
				break // closed
			}
		}
	})
	// The server still serves.
	c := mustConnect(t, "tcp", addr, nil)
	c.open(1, wire.ObjectValue, "v")
}

func TestPipelining(t *testing.T) {
	s := startServer(t, &Config{SocketPath: Disabled})
	c := mustConnect(t, "tcp", s.Addr().String(), nil)
	const n = 2000
	c.next++
	frames := []wire.Frame{&wire.Request{ID: c.next, Op: wire.OpOpen, Object: wire.ObjectValue, Handle: 1, Name: "v"}}
	for range n {
		c.next++
		frames = append(frames, &wire.Request{ID: c.next, Op: wire.OpValueAdd, Object: wire.ObjectValue, Handle: 1, Name: "v", Ints: []int64{1}})
	}
	c.write(frames...)
	seen := map[int64]bool{}
	for id := uint64(2); id <= c.next; id++ {
		r := c.resp(id)
		if r.Err() != nil || seen[r.Ints[0]] {
			t.Fatalf("response %d: %+v", id, r)
		}
		seen[r.Ints[0]] = true
	}
	if r := c.call(wire.OpValueLoad, wire.ObjectValue, 1, "v", nil); r.Ints[0] != n {
		t.Fatalf("value %d, want %d", r.Ints[0], n)
	}
	// Requests are applied in order: the Adds saw 1..n.
	for i := int64(1); i <= n; i++ {
		if !seen[i] {
			t.Fatalf("missing %d", i)
		}
	}
}

func TestCancelBlockingRequest(t *testing.T) {
	s := startServer(t, &Config{SocketPath: Disabled})
	c := mustConnect(t, "tcp", s.Addr().String(), nil)
	c.open(1, wire.ObjectQueue, "q", 0, 0)
	id := c.req(wire.OpQueueGet, wire.ObjectQueue, 1, "q", nil)
	c.waitersOf("q", 1)
	c.write(&wire.Cancel{ID: id})
	if r := c.resp(id); r.Status != wire.StatusCanceled {
		t.Fatalf("cancel: %+v", r)
	}
	c.waitersOf("q", 0)
	// Ping is answered.
	c.write(&wire.Ping{Value: 42})
	for {
		if p, ok := c.read().(*wire.Pong); ok {
			if p.Value != 42 {
				t.Fatalf("pong %d", p.Value)
			}
			break
		}
	}
	// The put item is not lost to the cancelled get.
	c.call(wire.OpQueuePut, wire.ObjectQueue, 1, "q", nil, []byte("x"))
	if r := c.call(wire.OpQueueTryGet, wire.ObjectQueue, 1, "q", nil); r.Err() != nil || !bytes.Equal(r.Bytes[0], []byte("x")) {
		t.Fatalf("get: %+v", r)
	}
}

func TestPendingLimit(t *testing.T) {
	s := startServer(t, &Config{SocketPath: Disabled, MaxPending: 2})
	c := mustConnect(t, "tcp", s.Addr().String(), nil)
	c.open(1, wire.ObjectEvent, "e")
	for range 3 {
		c.req(wire.OpEventWait, wire.ObjectEvent, 1, "e", nil)
	}
	c.expectGoodbye(wire.ReasonLimit)
}

// TestServeCloseRace: Close racing two Serve calls never closes the log
// under a starting owner and never panics: every Serve returns
// ErrServerClosed or the called-twice error, and nothing is logged at
// error level.
func TestServeCloseRace(t *testing.T) {
	for range 20 {
		logs := &syncBuf{}
		s, err := New(&Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), SocketPath: Disabled,
			Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError}))})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for range 2 {
			go func() { errs <- s.Serve(context.Background()) }()
		}
		s.Close()
		for range 2 {
			if err := <-errs; !errors.Is(err, ErrServerClosed) && (err == nil || !strings.Contains(err.Error(), "called twice")) {
				t.Fatalf("Serve racing Close = %v; want ErrServerClosed or called twice", err)
			}
		}
		if l := logs.String(); l != "" {
			t.Fatalf("errors logged: %s", l)
		}
	}
}
