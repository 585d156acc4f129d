package client_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/internal/wire"
)

// dial connects a client to s and returns it with the server side of its
// connection; the client is closed at the end of the test.
func dial(t *testing.T, s *fakeServer, cfg *client.Config) (*client.Client, *fakeConn) {
	t.Helper()
	if cfg == nil {
		cfg = client.DefaultConfig()
	}
	cfg.Addr = s.addr()
	cfg.ReconnectMin, cfg.ReconnectMax = time.Millisecond, 5*time.Millisecond
	c, err := client.Dial(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	fc := s.next()
	t.Cleanup(func() {
		s.mu.Lock()
		for _, fc := range s.all {
			fc.nc.Close()
		}
		s.mu.Unlock()
		c.Close()
	})
	return c, fc
}

// openVia opens an object with open while fc answers the Open; it returns
// the handle and the Open request.
func openVia[T any](t *testing.T, fc *fakeConn, open func() (T, error)) (T, *wire.Request) {
	t.Helper()
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	go func() {
		v, err := open()
		ch <- res{v, err}
	}()
	q := fc.request()
	if q.Op != wire.OpOpen {
		t.Fatalf("got op %v, want Open", q.Op)
	}
	fc.ok(q, nil)
	r := <-ch
	if r.err != nil {
		t.Fatalf("open: %v", r.err)
	}
	return r.v, q
}

// async runs f in a goroutine and returns its error on a channel.
func async(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

func recvErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("call did not return")
	}
	return nil
}

func TestDialUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = client.Dial(t.Context(), &client.Config{Addr: addr})
	if !errors.Is(err, latchkey.ErrUnavailable) {
		t.Fatalf("Dial to nothing: %v, want ErrUnavailable", err)
	}
	_, err = client.Dial(t.Context(), &client.Config{Addr: "unix:" + t.TempDir() + "/none.sock"})
	if !errors.Is(err, latchkey.ErrUnavailable) {
		t.Fatalf("Dial to no socket: %v, want ErrUnavailable", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []client.Config{
		{TTL: -1}, {DialTimeout: -time.Second}, {ReconnectMin: time.Second, ReconnectMax: time.Millisecond},
		{Label: strings.Repeat("x", 256)}, {Addr: "unix:"},
	} {
		if err := c.Validate(); !errors.Is(err, latchkey.ErrInvalid) {
			t.Errorf("Validate(%v) = %v, want ErrInvalid", &c, err)
		}
		if _, err := client.Dial(t.Context(), &c); !errors.Is(err, latchkey.ErrInvalid) {
			t.Errorf("Dial(%v) = %v, want ErrInvalid", &c, err)
		}
	}
	if err := client.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestHandshake(t *testing.T) {
	key := []byte("s3cret-key-bytes")
	s := newFakeServer(t, key)
	c, fc := dial(t, s, &client.Config{AuthKey: key, TTL: 7 * time.Second, Label: "worker"})
	h := fc.hello
	if h.Version != wire.Version || h.TTL != 7*time.Second || h.Label != "worker" || h.SessionID != 0 || h.PID == 0 {
		t.Fatalf("hello %+v", h)
	}
	if bytes.Contains(fc.raw, key) {
		t.Fatal("the key crossed the wire")
	}
	if c.SessionID() == 0 || c.Err() != nil {
		t.Fatalf("session %d, err %v", c.SessionID(), c.Err())
	}

	for _, k := range [][]byte{[]byte("wrong"), nil} {
		_, err := client.Dial(t.Context(), &client.Config{Addr: s.addr(), AuthKey: k})
		if !errors.Is(err, client.ErrAuth) {
			t.Fatalf("Dial with key %q: %v, want ErrAuth", k, err)
		}
	}
}

func TestHandshakeGarbage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		rd := wire.NewReader(nc, 0)
		rd.ReadFrame()
		nc.Write([]byte{0, 0, 0, 3, 4, 0xff, 0xff}) // a truncated Welcome
		rd.ReadFrame()
	})
	_, err = client.Dial(t.Context(), &client.Config{Addr: ln.Addr().String()})
	if !errors.Is(err, latchkey.ErrUnavailable) || !strings.Contains(err.Error(), "welcome") {
		t.Fatalf("Dial to a garbage server: %v", err)
	}
}

func TestPipelineOutOfOrder(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	v, _ := openVia(t, fc, func() (latchkey.Value[int64], error) { return c.Value(t.Context(), "v") })
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() {
			got, err := v.Add(t.Context(), int64(i))
			if err == nil && got != int64(i)*10 {
				err = errors.New("wrong result")
			}
			errs <- err
		}()
	}
	reqs := make([]*wire.Request, n)
	ids := map[uint64]bool{}
	for i := range reqs {
		reqs[i] = fc.request()
		if reqs[i].Op != wire.OpValueAdd || ids[reqs[i].ID] {
			t.Fatalf("request %+v", reqs[i])
		}
		ids[reqs[i].ID] = true
	}
	slices.Reverse(reqs)
	var out []wire.Frame
	for _, q := range reqs {
		out = append(out, &wire.Response{ID: q.ID, Ints: []int64{q.Ints[0] * 10}})
	}
	fc.send(out...)
	for range n {
		if err := recvErr(t, errs); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRemoteErrors(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	l, _ := openVia(t, fc, func() (latchkey.Lock, error) { return c.Lock(t.Context(), "l") })
	ch := async(func() error { _, err := l.TryLock(t.Context()); return err })
	q := fc.request()
	fc.send(&wire.Response{ID: q.ID, Status: wire.StatusError, Kind: latchkey.KindLocked, Message: "held"})
	if err := recvErr(t, ch); !errors.Is(err, latchkey.ErrLocked) {
		t.Fatalf("TryLock: %v, want ErrLocked", err)
	}
	fch := make(chan latchkey.Fence, 1)
	ch = async(func() error { f, err := l.Lock(t.Context()); fch <- f; return err })
	q = fc.request()
	fc.send(&wire.Response{ID: q.ID, Status: wire.StatusError, Kind: latchkey.KindOwnerDied, Message: "died", Ints: []int64{42}})
	if err := recvErr(t, ch); !errors.Is(err, latchkey.ErrOwnerDied) || <-fch != 42 {
		t.Fatalf("Lock: %v, want ErrOwnerDied with fence 42", err)
	}
	// A response lacking its results is an error, not a panic.
	ch = async(func() error { _, err := l.Locked(t.Context()); return err })
	fc.ok(fc.request(), nil)
	if err := recvErr(t, ch); err == nil {
		t.Fatal("Locked without a result: no error")
	}
}

func TestCancel(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	l, _ := openVia(t, fc, func() (latchkey.Lock, error) { return c.Lock(t.Context(), "l") })

	// Already done: nothing is sent.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Lock(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with a done ctx: %v", err)
	}

	for _, granted := range []bool{false, true} {
		ctx, cancel := context.WithCancel(t.Context())
		fch := make(chan latchkey.Fence, 1)
		ch := async(func() error { f, err := l.Lock(ctx); fch <- f; return err })
		q := fc.request()
		if q.Op != wire.OpLockLock {
			t.Fatalf("op %v, want Lock (the done-ctx Lock was sent?)", q.Op)
		}
		cancel()
		f := fc.next()
		if cf, ok := f.(*wire.Cancel); !ok || cf.ID != q.ID {
			t.Fatalf("got %T %+v, want Cancel of %d", f, f, q.ID)
		}
		if granted {
			fc.ok(q, []int64{7}) // the grant raced the cancel
			if err := recvErr(t, ch); err != nil || <-fch != 7 {
				t.Fatalf("Lock whose grant won the race: %v", err)
			}
		} else {
			fc.send(&wire.Response{ID: q.ID, Status: wire.StatusCanceled})
			if err := recvErr(t, ch); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled Lock: %v", err)
			}
		}
	}
}

func TestFrameLimit(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	d, _ := openVia(t, fc, func() (latchkey.Dict, error) { return c.Dict(t.Context(), "d") })
	err := d.Store(t.Context(), "k", make([]byte, wire.DefaultMaxFrame))
	if !errors.Is(err, latchkey.ErrInvalid) {
		t.Fatalf("Store of a huge value: %v, want ErrInvalid", err)
	}
	ch := async(func() error { return d.Store(t.Context(), "k", []byte("v")) })
	q := fc.request()
	if q.Op != wire.OpDictStore {
		t.Fatalf("op %v", q.Op)
	}
	fc.ok(q, nil)
	if err := recvErr(t, ch); err != nil {
		t.Fatal(err)
	}
}

func TestHeartbeat(t *testing.T) {
	s := newFakeServer(t, nil)
	_, fc := dial(t, s, &client.Config{HeartbeatInterval: 5 * time.Millisecond})
	for range 3 {
		select {
		case <-fc.pings:
		case <-time.After(10 * time.Second):
			t.Fatal("no ping")
		}
	}
}

func TestClose(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	v, _ := openVia(t, fc, func() (latchkey.Value[int64], error) { return c.Value(t.Context(), "v") })
	pending := async(func() error { _, err := v.Load(t.Context()); return err })
	fc.request()
	done := async(c.Close)
	if g, ok := fc.next().(*wire.Goodbye); !ok || g.Reason != wire.ReasonNormal {
		t.Fatalf("got %+v, want Goodbye", g)
	}
	fc.send(&wire.Goodbye{Reason: wire.ReasonNormal})
	if err := recvErr(t, done); err != nil {
		t.Fatal(err)
	}
	if err := recvErr(t, pending); !errors.Is(err, latchkey.ErrClosed) {
		t.Fatalf("pending call: %v, want ErrClosed", err)
	}
	<-c.Done()
	if !errors.Is(c.Err(), latchkey.ErrClosed) {
		t.Fatalf("Err = %v", c.Err())
	}
	if _, err := v.Load(t.Context()); !errors.Is(err, latchkey.ErrClosed) {
		t.Fatalf("call after Close: %v", err)
	}
	if _, err := c.Lock(t.Context(), "x"); !errors.Is(err, latchkey.ErrClosed) {
		t.Fatalf("open after Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLostEvent(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	l, q := openVia(t, fc, func() (latchkey.Lock, error) { return c.Lock(t.Context(), "l") })
	lost := l.(*client.Lock).Lost()
	fc.send(&wire.Event{Code: 99, Handle: q.Handle}, &wire.Event{Code: wire.EventLost, Handle: q.Handle, Name: "l", Message: "broken by operator"})
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Fatal("Lost not closed")
	}
	if c.Err() != nil {
		t.Fatalf("session ended: %v", c.Err())
	}
}

func TestServerGoodbye(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	fc.send(&wire.Goodbye{Reason: wire.ReasonExpired, Message: "silent"})
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed")
	}
	if !errors.Is(c.Err(), latchkey.ErrLost) {
		t.Fatalf("Err = %v, want ErrLost", c.Err())
	}
}

func TestResume(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	l, _ := openVia(t, fc, func() (latchkey.Lock, error) { return c.Lock(t.Context(), "l") })
	fch := make(chan latchkey.Fence, 1)
	lockRes := async(func() error { f, err := l.Lock(t.Context()); fch <- f; return err })
	lq := fc.request()
	lockedRes := async(func() error { _, err := l.Locked(t.Context()); return err })
	fc.request()
	fc.nc.Close() // the connection drops with both in flight

	fc2 := s.next()
	if fc2.hello.SessionID != c.SessionID() || len(fc2.hello.Token) == 0 {
		t.Fatalf("resume hello %+v", fc2.hello)
	}
	// The client sends both again, in id order and with their ids: the
	// server applies neither twice (it answers a retry from what it kept).
	q := fc2.request()
	if q.Op != wire.OpLockLock || q.ID != lq.ID {
		t.Fatalf("re-sent first %+v, want Lock %d", q, lq.ID)
	}
	q2 := fc2.request()
	if q2.Op != wire.OpLockLocked || q2.ID != lq.ID+1 || q2.Flags != wire.FlagAck || q2.Ack > lq.ID {
		t.Fatalf("re-sent second %+v", q2)
	}
	fc2.ok(q2, []int64{1})
	if err := recvErr(t, lockedRes); err != nil {
		t.Fatalf("in-flight Locked across a resume: %v", err)
	}
	fc2.ok(q, []int64{9})
	if err := recvErr(t, lockRes); err != nil || <-fch != 9 {
		t.Fatalf("Lock across a resume: %v", err)
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
}

func TestSessionLost(t *testing.T) {
	s := newFakeServer(t, nil)
	c, fc := dial(t, s, nil)
	l, _ := openVia(t, fc, func() (latchkey.Lock, error) { return c.Lock(t.Context(), "l") })
	ch := async(func() error { _, err := l.Lock(t.Context()); return err })
	fc.request()
	s.mu.Lock()
	s.resume = false
	s.mu.Unlock()
	fc.send(&wire.Response{ID: 1 << 40}, &wire.Ping{Value: 5}) // an unknown id is ignored
	fc.nc.Write([]byte{0, 0, 0, 2, 0x63, 0})                   // garbage: an unknown frame type
	fc2 := s.next()
	if g, ok := fc2.next().(*wire.Goodbye); !ok {
		t.Fatalf("got %+v, want the new session's Goodbye", g)
	}
	err := recvErr(t, ch)
	if !errors.Is(err, latchkey.ErrLost) || !strings.Contains(err.Error(), "protocol error") {
		t.Fatalf("pending Lock: %v, want ErrLost naming the protocol error", err)
	}
	<-c.Done()
	<-l.(*client.Lock).Lost()
	if _, err := l.Locked(t.Context()); !errors.Is(err, latchkey.ErrLost) {
		t.Fatalf("call after loss: %v", err)
	}
}
