package client_test

import (
	"crypto/rand"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/wire"
)

// fakeServer is a scripted server for the connection layer's tests: it
// performs the handshake (with auth when key is set) and hands each
// connection to the test, which reads the client's frames and answers
// them by hand.
type fakeServer struct {
	t     *testing.T
	ln    net.Listener
	key   []byte
	conns chan *fakeConn

	mu       sync.Mutex // guards sessions, nextID, resume, all
	sessions map[uint64]string
	nextID   uint64
	resume   bool // honour resumes
	all      []*fakeConn

	wg sync.WaitGroup
}

// fakeConn is one handshaken connection.
type fakeConn struct {
	nc     net.Conn
	hello  wire.Hello
	raw    []byte // the Hello payload as received
	frames chan wire.Frame
	wmu    sync.Mutex
	pings  chan uint64
	t      *testing.T
}

func newFakeServer(t *testing.T, key []byte) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{t: t, ln: ln, key: key, conns: make(chan *fakeConn, 16), sessions: map[uint64]string{}, resume: true}
	s.wg.Go(s.accept)
	t.Cleanup(s.close)
	return s
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

func (s *fakeServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.all {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *fakeServer) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		fc := &fakeConn{nc: nc, frames: make(chan wire.Frame, 1024), pings: make(chan uint64, 1024), t: s.t}
		s.all = append(s.all, fc)
		s.mu.Unlock()
		s.wg.Go(func() { s.serve(fc) })
	}
}

func (s *fakeServer) serve(fc *fakeConn) {
	defer close(fc.frames)
	rd := wire.NewReader(fc.nc, 0)
	t, p, err := rd.ReadFrame()
	if err != nil || t != wire.TypeHello {
		fc.nc.Close()
		return
	}
	fc.raw = append([]byte(nil), p...)
	if err := fc.hello.Decode(fc.raw); err != nil {
		fc.nc.Close()
		return
	}
	if s.key != nil {
		ch := &wire.Challenge{Method: wire.AuthHMAC}
		rand.Read(ch.Nonce[:])
		fc.send(ch)
		t, p, err := rd.ReadFrame()
		if err != nil {
			fc.nc.Close()
			return
		}
		var a wire.Auth
		if t != wire.TypeAuth || a.Decode(p) != nil || !wire.CheckAuth(s.key, &ch.Nonce, fc.raw, &a.MAC) {
			fc.send(&wire.Goodbye{Reason: wire.ReasonAuth, Message: "bad key"})
			fc.nc.Close()
			return
		}
	}
	s.mu.Lock()
	w := &wire.Welcome{TTL: 10 * time.Second, ServerVersion: "fake"}
	if tok, ok := s.sessions[fc.hello.SessionID]; ok && s.resume && tok == string(fc.hello.Token) {
		w.SessionID, w.Resumed = fc.hello.SessionID, true
	} else {
		s.nextID++
		w.SessionID = s.nextID
	}
	w.Token = []byte{byte(w.SessionID), 0xAA}
	s.sessions[w.SessionID] = string(w.Token)
	s.mu.Unlock()
	fc.send(w)
	select {
	case s.conns <- fc:
	default:
		s.t.Error("fake server: too many connections")
	}
	for {
		_, p, err := rd.ReadFrame()
		if err != nil {
			return
		}
		f, err := wire.Decode(p)
		if err != nil {
			s.t.Errorf("fake server: decoding a client frame: %v", err)
			return
		}
		if q, ok := f.(*wire.Request); ok {
			f = q.Clone()
		}
		if pg, ok := f.(*wire.Ping); ok {
			select {
			case fc.pings <- pg.Value:
			default:
			}
		}
		fc.frames <- f
	}
}

// next returns the next connection, waiting up to 10 s.
func (s *fakeServer) next() *fakeConn {
	s.t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(10 * time.Second):
		s.t.Fatal("fake server: no connection")
	}
	return nil
}

// send writes frames to the client.
func (fc *fakeConn) send(fs ...wire.Frame) {
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	var b []byte
	for _, f := range fs {
		var err error
		b, err = wire.Append(b, f)
		if err != nil {
			fc.t.Errorf("fake server: encoding %v: %v", f.Type(), err)
		}
	}
	fc.nc.Write(b)
}

// next returns the client's next frame that is not a Ping, answering
// Pings in order; nil if the connection ended.
func (fc *fakeConn) next() wire.Frame {
	fc.t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	for {
		select {
		case f, ok := <-fc.frames:
			if !ok {
				return nil
			}
			if p, ok := f.(*wire.Ping); ok {
				fc.send(&wire.Pong{Value: p.Value})
				continue
			}
			return f
		case <-timer.C:
			fc.t.Fatal("fake server: no frame from the client")
			return nil
		}
	}
}

// request returns the client's next frame, which must be a Request.
func (fc *fakeConn) request() *wire.Request {
	fc.t.Helper()
	f := fc.next()
	q, ok := f.(*wire.Request)
	if !ok {
		fc.t.Fatalf("fake server: got %T %+v, want a request", f, f)
	}
	return q
}

// ok answers q with status ok and results.
func (fc *fakeConn) ok(q *wire.Request, ints []int64, bytes ...[]byte) {
	fc.send(&wire.Response{ID: q.ID, Ints: ints, Bytes: bytes})
}
