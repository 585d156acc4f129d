package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"crypto/rand"

	"github.com/latchkey/latchkey/internal/wire"
)

// maxQueued is how many frames may wait for the writer before the reader
// stops reading requests (backpressure on a client that does not read).
const maxQueued = 4096

// conn is one client connection: a reader (the goroutine running serve)
// and a writer goroutine that batches frames: it writes everything queued,
// then flushes once.
type conn struct {
	s     *Server
	nc    net.Conn
	unix  bool   // a Unix socket connection
	local bool   // a same-host client: Unix socket or loopback TCP
	sid   uint64 // set by the owner in hello; read only by the owner

	ready atomic.Bool // the handshake is done

	mu      sync.Mutex    // guards out and closing
	out     []wire.Frame  // frames for the writer
	closing bool          // a Goodbye is queued: nothing more is sent
	wake    chan struct{} // cap 1: frames were queued
	space   chan struct{} // cap 1: the writer drained the queue
	stop    chan struct{} // closed when the reader is done
}

func newConn(s *Server, nc net.Conn, unix bool) *conn {
	local := unix
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
		local = true
	}
	return &conn{s: s, nc: nc, unix: unix, local: local, wake: make(chan struct{}, 1), space: make(chan struct{}, 1), stop: make(chan struct{})}
}

// send queues frames for the writer. It never blocks.
func (c *conn) send(fs ...wire.Frame) {
	c.mu.Lock()
	if !c.closing {
		c.out = append(c.out, fs...)
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// goodbye queues a Goodbye; the writer closes the connection after it.
func (c *conn) goodbye(r wire.Reason, msg string) {
	c.mu.Lock()
	if !c.closing {
		c.out = append(c.out, &wire.Goodbye{Reason: r, Message: msg})
		c.closing = true
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *conn) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.out)
}

// serve runs the connection: handshake, then the reader loop; it returns
// after the writer has exited and the connection is closed.
func (c *conn) serve() {
	defer c.nc.Close()
	log := c.s.log.With("remote", c.nc.RemoteAddr().String(), "unix", c.unix)
	rd := wire.NewReader(c.nc, wire.MinMaxFrame)
	wr := wire.NewWriter(c.nc, wire.MinMaxFrame)
	welcome, err := c.handshake(rd, wr)
	if err != nil {
		log.Info("handshake failed", "err", err)
		return
	}
	if welcome == nil {
		return
	}
	rd.SetMaxFrame(c.s.cfg.MaxFrame)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writer(wr)
	}()
	err = c.read(rd)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		log.Debug("connection ended", "err", err)
	}
	c.s.send(command{kind: cmdClosed, c: c})
	close(c.stop)
	<-writerDone
}

// handshake reads the Hello, authenticates, and has the owner open or
// resume the session. It returns the Welcome it sent, or nil if the
// connection was refused.
func (c *conn) handshake(rd *wire.Reader, wr *wire.Writer) (*wire.Welcome, error) {
	c.nc.SetDeadline(time.Now().Add(c.s.cfg.HandshakeTimeout))
	bye := func(r wire.Reason, msg string) {
		wr.Write(&wire.Goodbye{Reason: r, Message: msg})
		wr.Flush()
	}
	t, p, err := rd.ReadFrame()
	if err != nil {
		return nil, err
	}
	if t != wire.TypeHello {
		bye(wire.ReasonProtocol, fmt.Sprintf("expected a hello frame, got %v", t))
		return nil, fmt.Errorf("first frame is a %v", t)
	}
	hello := new(wire.Hello)
	if err := hello.Decode(p); err != nil {
		var ve *wire.VersionError
		if errors.As(err, &ve) {
			bye(wire.ReasonVersion, fmt.Sprintf("version %d unsupported; this server speaks version %d", ve.Version, wire.Version))
		} else {
			bye(wire.ReasonProtocol, err.Error())
		}
		return nil, err
	}
	helloPayload := append([]byte(nil), p...)
	hello.Token = append([]byte(nil), hello.Token...)
	if len(c.s.cfg.AuthKey) > 0 {
		ch := &wire.Challenge{Method: wire.AuthHMAC}
		rand.Read(ch.Nonce[:])
		if err := wr.Write(ch); err != nil {
			return nil, err
		}
		if err := wr.Flush(); err != nil {
			return nil, err
		}
		t, p, err := rd.ReadFrame()
		if err != nil {
			return nil, err
		}
		if t == wire.TypeGoodbye {
			return nil, errors.New("client has no key")
		}
		var a wire.Auth
		if t != wire.TypeAuth || a.Decode(p) != nil {
			bye(wire.ReasonProtocol, "expected an auth frame")
			return nil, fmt.Errorf("expected auth, got %v", t)
		}
		if !wire.CheckAuth(c.s.cfg.AuthKey, &ch.Nonce, helloPayload, &a.MAC) {
			bye(wire.ReasonAuth, "authentication failed")
			return nil, errors.New("authentication failed")
		}
	}
	reply := make(chan *wire.Welcome, 1)
	if !c.s.send(command{kind: cmdHello, c: c, hello: hello, reply: reply}) {
		bye(wire.ReasonShutdown, "server shutting down")
		return nil, nil
	}
	var w *wire.Welcome
	select {
	case w = <-reply:
	case <-c.s.shutdown:
		bye(wire.ReasonShutdown, "server shutting down")
		return nil, nil
	}
	c.ready.Store(true) // from now on the owner may queue a Goodbye for it
	wr.SetMaxFrame(int(hello.MaxFrame))
	if err := wr.Write(w); err != nil {
		return nil, err
	}
	if err := wr.Flush(); err != nil {
		return nil, err
	}
	c.nc.SetDeadline(time.Time{})
	return w, nil
}

// read reads frames until the connection ends or breaks the protocol.
func (c *conn) read(rd *wire.Reader) error {
	for {
		t, p, err := rd.ReadFrame()
		if err != nil {
			var fe *wire.FrameSizeError
			if errors.As(err, &fe) {
				c.goodbye(wire.ReasonProtocol, err.Error())
			}
			return err
		}
		var cmd command
		switch t {
		case wire.TypeRequest:
			var q wire.Request
			if err := q.Decode(p); err != nil {
				c.goodbye(wire.ReasonProtocol, err.Error())
				return err
			}
			for c.queued() > maxQueued {
				select {
				case <-c.space:
				case <-c.s.shutdown:
					return nil
				}
			}
			cmd = command{kind: cmdRequest, req: q.Clone()}
		case wire.TypeCancel:
			var x wire.Cancel
			if err := x.Decode(p); err != nil {
				c.goodbye(wire.ReasonProtocol, err.Error())
				return err
			}
			cmd = command{kind: cmdCancel, id: x.ID}
		case wire.TypePing:
			var x wire.Ping
			if err := x.Decode(p); err != nil {
				c.goodbye(wire.ReasonProtocol, err.Error())
				return err
			}
			cmd = command{kind: cmdPing, id: x.Value}
		case wire.TypePong:
			var x wire.Pong
			if err := x.Decode(p); err != nil {
				c.goodbye(wire.ReasonProtocol, err.Error())
				return err
			}
			cmd = command{kind: cmdTouch}
		case wire.TypeGoodbye:
			ack := make(chan struct{})
			if c.s.send(command{kind: cmdGoodbye, c: c, ack: ack}) {
				select {
				case <-ack:
				case <-c.s.shutdown:
				}
			}
			return nil
		default:
			err := fmt.Errorf("a %v frame is not allowed from a client after the handshake", t)
			c.goodbye(wire.ReasonProtocol, err.Error())
			return err
		}
		cmd.c = c
		if !c.s.send(cmd) {
			return nil
		}
	}
}

// writer writes queued frames, one flush per batch, until the reader is
// done or a Goodbye has been written.
func (c *conn) writer(wr *wire.Writer) {
	for {
		stopping := false
		select {
		case <-c.wake:
		case <-c.stop:
			stopping = true
		}
		c.mu.Lock()
		fs, closing := c.out, c.closing
		c.out = nil
		c.mu.Unlock()
		for _, f := range fs {
			if err := wr.Write(f); err != nil {
				var fe *wire.FrameSizeError
				if errors.As(err, &fe) {
					continue // the machine checks sizes; never expected
				}
				c.nc.Close()
				return
			}
		}
		if err := wr.Flush(); err != nil {
			c.nc.Close()
			return
		}
		select {
		case c.space <- struct{}{}:
		default:
		}
		if closing {
			// Half-close so that the client reads the Goodbye, then
			// close.
			if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
				tc.CloseWrite()
			}
			c.nc.Close()
			return
		}
		if stopping {
			return
		}
	}
}
