package server

import (
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/wire"
)

// cmdKind is what a command asks the owner to do.
type cmdKind uint8

const (
	cmdHello   cmdKind = iota // a handshake finished: open or resume a session
	cmdRequest                // a Request frame
	cmdCancel                 // a Cancel frame
	cmdPing                   // a Ping frame: answer Pong
	cmdTouch                  // any other frame that renews the lease
	cmdGoodbye                // the client said Goodbye: end the session
	cmdClosed                 // the connection ended (after a protocol error, or dropped)
	cmdQuery                  // an in-process query (Server.Objects, Server.Stats): run fn
)

// command is an input for the owner goroutine, from a connection.
type command struct {
	kind  cmdKind
	c     *conn
	req   *wire.Request
	id    uint64             // cancel: request id; ping: value
	hello *wire.Hello        // cmdHello
	reply chan *wire.Welcome // cmdHello: the Welcome, or nil if refused
	ack   chan struct{}      // cmdGoodbye: closed once applied
	fn    func(*owner)       // cmdQuery: runs on the owner goroutine
}

// ownerSession is what the owner knows about a session beyond the machine.
type ownerSession struct {
	id       uint64
	token    []byte
	ttl      time.Duration
	c        *conn     // the attached connection, or nil
	lastSeen time.Time // the last frame (attached) or the detach time
	host     string    // what the client said in its Hello, for Sessions
	pid      uint64
	label    string
}

// owner is the goroutine that owns the machine: it applies commands in
// arrival order, routes the machine's outputs to connections and expires
// sessions whose lease ran out.
type owner struct {
	s        *Server
	m        *machine
	sessions map[uint64]*ownerSession
	nextID   uint64
	requests uint64 // requests applied, for Stats
}

func newOwner(s *Server) *owner {
	return &owner{
		s:        s,
		m:        newMachine(machineLimits{maxHandles: s.cfg.MaxHandles, maxPending: s.cfg.MaxPending}),
		sessions: make(map[uint64]*ownerSession),
	}
}

// run applies commands until the server shuts down, then says Goodbye to
// every connection.
func (o *owner) run() {
	tick := max(o.s.cfg.MinTTL/4, 5*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case cmd := <-o.s.cmds:
			o.apply(cmd, time.Now())
			// Apply what is queued before routing, so that a burst of
			// requests is answered in one batch per connection.
		batch:
			for range 256 {
				select {
				case cmd := <-o.s.cmds:
					o.apply(cmd, time.Now())
				default:
					break batch
				}
			}
			o.route()
		case now := <-t.C:
			o.expire(now)
			o.route()
		case <-o.s.shutdown:
			for _, os := range o.sessions {
				if os.c != nil {
					os.c.goodbye(wire.ReasonShutdown, "server shutting down")
				}
			}
			return
		}
	}
}

// route sends the machine's outputs to their connections.
func (o *owner) route() {
	for _, out := range o.m.takeOutputs() {
		if os := o.sessions[out.session]; os != nil && os.c != nil {
			os.c.send(out.frame)
		}
	}
}

func (o *owner) apply(cmd command, now time.Time) {
	switch cmd.kind {
	case cmdHello:
		cmd.reply <- o.hello(cmd, now)
		return
	case cmdQuery:
		cmd.fn(o)
		return
	}
	if cmd.ack != nil {
		defer close(cmd.ack)
	}
	os := o.sessions[cmd.c.sid]
	if os == nil || os.c != cmd.c {
		return // a superseded or ended connection
	}
	os.lastSeen = now
	switch cmd.kind {
	case cmdRequest:
		o.requests++
		if err := o.m.request(os.id, cmd.req); err != nil {
			var le *limitError
			if errors.As(err, &le) {
				o.s.log.Info("closing session", "session", os.id, "reason", le.reason, "err", le.msg)
				cmd.c.goodbye(le.reason, le.msg)
				o.dropped(os, cmd.c)
			}
		}
	case cmdCancel:
		o.m.cancel(os.id, cmd.id)
	case cmdPing:
		cmd.c.send(&wire.Pong{Value: cmd.id})
	case cmdTouch:
	case cmdGoodbye:
		o.end(os)
		cmd.c.goodbye(wire.ReasonNormal, "")
	case cmdClosed:
		o.dropped(os, cmd.c)
	}
}

// dropped handles a connection that ended without a Goodbye: the session
// of a same-host client (Unix socket or loopback TCP) ends at once, since
// on one host a connection closes only when its client closed it or died
// (unless Config.ResumeLocal); any other session is detached for its TTL.
func (o *owner) dropped(os *ownerSession, c *conn) {
	if c.local && !o.s.cfg.ResumeLocal {
		o.end(os)
		return
	}
	os.c = nil
	os.lastSeen = time.Now()
	o.m.detach(os.id)
	o.s.log.Debug("session detached", "session", os.id)
}

// end ends a session and releases everything it held.
func (o *owner) end(os *ownerSession) {
	o.m.endSession(os.id)
	delete(o.sessions, os.id)
	os.c = nil
	o.s.log.Debug("session ended", "session", os.id)
}

// expire ends sessions whose lease ran out.
func (o *owner) expire(now time.Time) {
	for _, id := range sortedKeys(o.sessions) {
		os := o.sessions[id]
		if now.Sub(os.lastSeen) < os.ttl {
			continue
		}
		if os.c != nil {
			os.c.goodbye(wire.ReasonExpired, "session expired: nothing received for its TTL")
		}
		o.s.log.Info("session expired", "session", id)
		o.end(os)
	}
}

// hello opens or resumes a session for a connection that passed the
// handshake.
func (o *owner) hello(cmd command, now time.Time) *wire.Welcome {
	h, c := cmd.hello, cmd.c
	ttl := o.s.clampTTL(h.TTL)
	w := &wire.Welcome{TTL: ttl, MaxFrame: uint32(o.s.cfg.MaxFrame), ServerVersion: Version}
	if os := o.sessions[h.SessionID]; h.SessionID != 0 && os != nil && tokenEqual(os.token, h.Token) {
		if os.c != nil {
			os.c.goodbye(wire.ReasonSuperseded, "session resumed on another connection")
		}
		os.c, os.ttl, os.lastSeen = c, ttl, now
		c.sid = os.id
		o.m.attach(os.id, int(h.MaxFrame))
		w.SessionID, w.Token, w.Resumed = os.id, os.token, true
		o.s.log.Debug("session resumed", "session", os.id)
		return w
	}
	o.nextID++
	os := &ownerSession{id: o.nextID, token: newToken(), ttl: ttl, c: c, lastSeen: now, host: h.Host, pid: h.PID, label: h.Label}
	o.sessions[os.id] = os
	c.sid = os.id
	o.m.openSession(os.id, int(h.MaxFrame))
	w.SessionID, w.Token = os.id, os.token
	o.s.log.Debug("session opened", "session", os.id, "host", h.Host, "pid", h.PID, "label", h.Label, "unix", c.unix)
	return w
}
