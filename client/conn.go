package client

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// closeWait bounds how long Close waits for the server's Goodbye.
const closeWait = 2 * time.Second

// conn is one connection of the session: a reader and a writer goroutine,
// which the supervisor (Client.run) starts and stops.
type conn struct {
	nc       net.Conn
	rd       *wire.Reader
	gen      uint64
	hb       time.Duration // heartbeat interval
	ttl      time.Duration // silence after which the connection is dead
	lastRecv atomic.Int64  // unix nanoseconds of the last frame received

	readerDone chan struct{}
	stop       chan struct{} // closed by the supervisor to stop the writer

	// Set by the reader before readerDone closes.
	goodbye *wire.Goodbye
	rerr    error
}

func newConn(c *Client, nc net.Conn, rd *wire.Reader, gen uint64) *conn {
	ttl := c.ttl
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	hb := c.cfg.HeartbeatInterval
	if hb <= 0 {
		hb = ttl / 3
	}
	cn := &conn{nc: nc, rd: rd, gen: gen, hb: max(hb, time.Millisecond), ttl: ttl,
		readerDone: make(chan struct{}), stop: make(chan struct{})}
	cn.lastRecv.Store(time.Now().UnixNano())
	return cn
}

func hostAndPID() (string, uint64) {
	host, _ := os.Hostname()
	if len(host) > wire.MaxLabelLen {
		host = host[:wire.MaxLabelLen]
	}
	return host, uint64(os.Getpid())
}

// handshakeError is a refusal by the server that reconnecting cannot cure.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// connect dials the server and performs the handshake for a new session
// (id 0) or to resume one. Dial and network failures satisfy
// latchkey.ErrUnavailable; a refusal is a *handshakeError.
func (c *Client) connect(ctx context.Context, id uint64, token []byte) (net.Conn, *wire.Reader, *wire.Welcome, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	netw, addr := network(c.cfg.Addr)
	var d net.Dialer
	nc, err := d.DialContext(ctx, netw, addr)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", latchkey.ErrUnavailable, err)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	rd, w, err := c.handshake(nc, id, token)
	if !stop() || err != nil {
		nc.Close()
		if err == nil || !errors.As(err, new(*handshakeError)) {
			if err == nil {
				err = ctx.Err()
			}
			err = fmt.Errorf("%w: handshake with %s: %w", latchkey.ErrUnavailable, c.cfg.Addr, err)
		}
		return nil, nil, nil, err
	}
	nc.SetDeadline(time.Time{})
	return nc, rd, w, nil
}

// handshake sends the Hello and reads the server's answers up to the
// Welcome.
func (c *Client) handshake(nc net.Conn, id uint64, token []byte) (*wire.Reader, *wire.Welcome, error) {
	hello := &wire.Hello{
		Version:   wire.Version,
		TTL:       c.cfg.TTL,
		SessionID: id,
		Token:     token,
		PID:       c.pid,
		Host:      c.host,
		Label:     c.cfg.Label,
	}
	hb, err := wire.Append(nil, hello)
	if err != nil {
		return nil, nil, &handshakeError{latchkey.Errorf(latchkey.KindInvalid, "client: encoding hello: %v", err)}
	}
	if _, err := nc.Write(hb); err != nil {
		return nil, nil, err
	}
	payload := hb[4:]
	rd := wire.NewReader(nc, wire.DefaultMaxFrame)
	authed := false
	for {
		t, p, err := rd.ReadFrame()
		if err != nil {
			return nil, nil, err
		}
		switch t {
		case wire.TypeChallenge:
			var ch wire.Challenge
			if err := ch.Decode(p); err != nil {
				return nil, nil, err
			}
			if authed {
				return nil, nil, fmt.Errorf("client: second challenge: %w", wire.ErrBadValue)
			}
			authed = true
			if len(c.cfg.AuthKey) == 0 {
				b, _ := wire.Append(nil, &wire.Goodbye{Reason: wire.ReasonAuth, Message: "client has no key"})
				nc.Write(b)
				return nil, nil, &handshakeError{fmt.Errorf("%w: the server asks for a key and Config.AuthKey is empty", ErrAuth)}
			}
			a := &wire.Auth{MAC: wire.AuthMAC(c.cfg.AuthKey, &ch.Nonce, payload)}
			b, _ := wire.Append(nil, a)
			if _, err := nc.Write(b); err != nil {
				return nil, nil, err
			}
		case wire.TypeWelcome:
			var w wire.Welcome
			if err := w.Decode(p); err != nil {
				return nil, nil, err
			}
			if w.SessionID == 0 {
				return nil, nil, fmt.Errorf("client: welcome with session id 0: %w", wire.ErrBadValue)
			}
			w.Token = append([]byte(nil), w.Token...)
			return rd, &w, nil
		case wire.TypeGoodbye:
			var g wire.Goodbye
			if err := g.Decode(p); err != nil {
				return nil, nil, err
			}
			switch g.Reason {
			case wire.ReasonAuth:
				return nil, nil, &handshakeError{fmt.Errorf("%w: %s", ErrAuth, g.Message)}
			case wire.ReasonVersion:
				return nil, nil, &handshakeError{fmt.Errorf("%w: %s", ErrVersion, g.Message)}
			}
			return nil, nil, fmt.Errorf("server said goodbye (%v): %s", g.Reason, g.Message)
		default:
			return nil, nil, fmt.Errorf("client: %v frame during the handshake: %w", t, wire.ErrBadValue)
		}
	}
}

// run is the supervisor: it runs each connection's reader and writer,
// and reconnects when a connection drops, until the session is over.
func (c *Client) run(cn *conn) {
	for cn != nil {
		var wg sync.WaitGroup
		wg.Go(func() { c.readLoop(cn) })
		wg.Go(func() { c.writeLoop(cn) })
		select {
		case <-cn.readerDone:
		case <-c.quit:
			t := time.NewTimer(closeWait)
			select {
			case <-cn.readerDone:
			case <-t.C:
			}
			t.Stop()
		}
		close(cn.stop)
		cn.nc.Close()
		wg.Wait()
		cn = c.afterDrop(cn)
	}
}

// readLoop reads and dispatches frames until the connection fails.
func (c *Client) readLoop(cn *conn) {
	defer close(cn.readerDone)
	var (
		resp wire.Response
		ev   wire.Event
		ping wire.Ping
	)
	for {
		t, p, err := cn.rd.ReadFrame()
		if err != nil {
			cn.rerr = err
			return
		}
		cn.lastRecv.Store(time.Now().UnixNano())
		switch t {
		case wire.TypeResponse:
			err = resp.Decode(p)
			if err == nil {
				c.dispatch(&resp)
			}
		case wire.TypeEvent:
			err = ev.Decode(p)
			if err == nil {
				c.event(&ev)
			}
		case wire.TypePing:
			err = ping.Decode(p)
			if err == nil {
				c.mu.Lock()
				c.queueControlLocked(&wire.Pong{Value: ping.Value})
				c.mu.Unlock()
			}
		case wire.TypePong:
			var pong wire.Pong
			err = pong.Decode(p) // any frame proves the server alive: nothing else to do
		case wire.TypeGoodbye:
			var g wire.Goodbye
			err = g.Decode(p)
			if err == nil {
				g.Message = string([]byte(g.Message))
				cn.goodbye = &g
				return
			}
		default:
			err = fmt.Errorf("client: %v frame not allowed from the server: %w", t, wire.ErrBadValue)
		}
		if err != nil {
			cn.rerr = fmt.Errorf("protocol error: %w", err)
			return
		}
	}
}

// writeLoop writes queued frames, all that are queued at once, and pings
// every heartbeat interval; it drops the connection when nothing has
// arrived for the TTL.
func (c *Client) writeLoop(cn *conn) {
	hb := time.NewTimer(cn.hb)
	defer hb.Stop()
	var bufs net.Buffers
	for {
		select {
		case <-c.wake:
		case <-hb.C:
			if silent := time.Since(time.Unix(0, cn.lastRecv.Load())); silent > cn.ttl {
				c.cfg.Logger.Warn("latchkey server silent; dropping the connection", "silent", silent)
				cn.nc.Close()
				<-cn.stop
				return
			}
			c.mu.Lock()
			c.nextPing++
			c.queueControlLocked(&wire.Ping{Value: c.nextPing})
			c.mu.Unlock()
			hb.Reset(cn.hb)
		case <-cn.stop:
			return
		}
		c.mu.Lock()
		if c.conn != cn {
			c.mu.Unlock()
			<-cn.stop
			return
		}
		batch := c.sendq
		c.sendq = nil
		bye := false
		bufs = bufs[:0]
		for _, f := range batch {
			if f.c != nil {
				if f.c.done {
					continue
				}
				f.c.sentGen = cn.gen
			}
			if f.cancelOf != nil && f.cancelOf.done {
				continue
			}
			bufs = append(bufs, f.b)
			bye = bye || f.goodbye
		}
		c.mu.Unlock()
		if len(bufs) == 0 {
			continue
		}
		w := bufs // WriteTo consumes its receiver
		if _, err := w.WriteTo(cn.nc); err != nil {
			cn.nc.Close()
			<-cn.stop
			return
		}
		clear(bufs)
		if bye {
			if cw, ok := cn.nc.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
			<-cn.stop
			return
		}
	}
}

// dispatch delivers a response to its call.
func (c *Client) dispatch(resp *wire.Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.pending[resp.ID]
	if cl == nil {
		c.cfg.Logger.Debug("latchkey response for no pending call", "id", resp.ID, "status", resp.Status)
		return
	}
	c.completeLocked(cl, callResult{resp: resp.Clone()})
}

// event handles a server notice.
func (c *Client) event(ev *wire.Event) {
	if ev.Code != wire.EventLost {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg.Logger.Warn("latchkey ownership lost", "handle", ev.Handle, "name", ev.Name, "reason", ev.Message)
	if ev.Handle == 0 {
		for _, h := range c.holds {
			h.markLost()
		}
		return
	}
	if h := c.holds[ev.Handle]; h != nil {
		h.markLost()
	}
}

// afterDrop handles the end of connection cn and returns the next
// connection, or nil when the session is over.
func (c *Client) afterDrop(cn *conn) *conn {
	c.mu.Lock()
	c.conn = nil
	if c.err != nil {
		c.mu.Unlock()
		return nil
	}
	reason := "connection lost"
	if cn.rerr != nil && !errors.Is(cn.rerr, io.EOF) && !errors.Is(cn.rerr, net.ErrClosed) {
		reason = cn.rerr.Error()
	}
	if g := cn.goodbye; g != nil {
		reason = fmt.Sprintf("server said goodbye (%v): %s", g.Reason, g.Message)
		switch g.Reason {
		case wire.ReasonNormal:
			c.finishLocked(fmt.Errorf("%w: %s", latchkey.ErrClosed, reason))
		case wire.ReasonExpired, wire.ReasonSuperseded:
			c.finishLocked(fmt.Errorf("%w: %s", latchkey.ErrLost, reason))
		case wire.ReasonAuth, wire.ReasonVersion:
			c.finishLocked(fmt.Errorf("%w: %w: %s", latchkey.ErrLost, ErrAuth, reason))
		}
		// A server shutting down may come back with its state (a durable
		// server keeps sessions across restarts): resume as after any
		// drop.
		if c.err != nil {
			c.mu.Unlock()
			c.cfg.Logger.Warn("latchkey session ended", "reason", reason)
			return nil
		}
	}
	// Calls sent on cn are in doubt; queued ones go out on the next
	// connection; control frames are dropped.
	for _, cl := range c.pending {
		if cl.sentGen == 0 {
			continue
		}
		cl.inDoubt = true
	}
	q := c.sendq[:0]
	for _, f := range c.sendq {
		if (f.c != nil && !f.c.done && f.c.sentGen == 0) || (f.cancelOf != nil && !f.cancelOf.done) {
			q = append(q, f)
		}
	}
	c.sendq = q
	c.lastDrop = reason
	c.mu.Unlock()
	c.cfg.Logger.Warn("latchkey connection dropped; reconnecting", "reason", reason)
	return c.reconnect()
}

// reconnect dials again with jittered exponential backoff until the
// session resumes, is found lost, or cannot have survived (its TTL has
// passed), or the client is closed.
func (c *Client) reconnect() *conn {
	c.mu.Lock()
	deadline := time.Now().Add(c.ttl)
	id, token := c.sessionID, c.token
	c.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	delay := c.cfg.ReconnectMin
	timer := time.NewTimer(jitter(delay))
	defer timer.Stop()
	var lastErr error
	for {
		select {
		case <-c.quit:
			return nil
		case <-timer.C:
		}
		if time.Now().After(deadline) {
			c.mu.Lock()
			c.finishLocked(fmt.Errorf("%w: %w: no server answered within the session's TTL (%v) after the connection was lost (%s): %v", latchkey.ErrLost, latchkey.ErrUnavailable, c.ttl, c.lastDrop, lastErr))
			c.mu.Unlock()
			return nil
		}
		nc, rd, w, err := c.connect(ctx, id, token)
		if err != nil {
			if he := (*handshakeError)(nil); errors.As(err, &he) {
				c.mu.Lock()
				c.finishLocked(fmt.Errorf("%w: %w", latchkey.ErrLost, err))
				c.mu.Unlock()
				return nil
			}
			lastErr = err
			c.cfg.Logger.Debug("latchkey reconnect failed", "err", err, "retry in", delay)
			delay = min(2*delay, c.cfg.ReconnectMax)
			timer.Reset(jitter(delay))
			continue
		}
		c.mu.Lock()
		if c.err != nil || !w.Resumed {
			if c.err == nil {
				c.finishLocked(fmt.Errorf("%w: the server no longer knows session %d (the connection was lost: %s)", latchkey.ErrLost, id, c.lastDrop))
			}
			c.mu.Unlock()
			b, _ := wire.Append(nil, &wire.Goodbye{Reason: wire.ReasonNormal})
			nc.SetWriteDeadline(time.Now().Add(time.Second))
			nc.Write(b)
			nc.Close()
			return nil
		}
		c.token, c.ttl = w.Token, w.TTL
		c.maxFrame = maxFrameOf(w.MaxFrame)
		c.gen++
		cn := newConn(c, nc, rd, c.gen)
		c.conn = cn
		c.resumeLocked()
		c.mu.Unlock()
		c.cfg.Logger.Info("latchkey session resumed", "session", id)
		return cn
	}
}

// resumeLocked queues, ahead of everything else, every call sent on the
// dropped connection, with its id unchanged, and the Cancel of those whose
// caller gave up meanwhile. The server never applies a request twice: it
// answers a retry of a completed request with the response it kept, and a
// retry of a request still waiting with its response when it completes
// (protocol.md 6.1). c.mu is held.
func (c *Client) resumeLocked() {
	rest := c.sendq
	c.sendq = nil
	var doubt []*call
	for _, cl := range c.pending {
		if cl.inDoubt {
			doubt = append(doubt, cl)
		}
	}
	slices.SortFunc(doubt, func(a, b *call) int { return cmp.Compare(a.id, b.id) })
	for _, cl := range doubt {
		cl.inDoubt = false
		c.sendq = append(c.sendq, outFrame{b: cl.frame, c: cl})
		if cl.canceled {
			c.queueControlLocked(&wire.Cancel{ID: cl.id})
		}
	}
	c.sendq = append(c.sendq, rest...)
	c.wakeLocked()
}

// jitter returns d plus a random part of up to half of d.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + rand.N(d/2+1)
}
