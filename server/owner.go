package server

import (
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/wal"
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
// sessions whose lease ran out. With a log, every change of state is an
// input, appended to the log before it is applied, and what an input
// produces (responses, a Welcome) is held until the log has made the input
// durable.
type owner struct {
	s        *Server
	m        *machine
	sessions map[uint64]*ownerSession
	nextID   uint64
	requests uint64 // requests applied, for Stats

	log       *wal.Log   // nil without durability (SyncNone)
	held      []heldOut  // outputs waiting for the log, in log order
	buf       []byte     // for encoding records
	sinceSnap int        // records since the last snapshot
	lastWrite uint64     // the last record that changes state beyond a read (see record)
	snapping  bool       // a snapshot is being written
	snapDone  chan error // the snapshot writer's result
	failed    error      // the log failed: nothing more is acknowledged
}

// heldOut is what waits for the log to reach index idx: machine outputs,
// then an answer given outside the machine (a Welcome, a Goodbye).
type heldOut struct {
	idx  uint64
	outs []output
	then func()
}

func newOwner(s *Server) *owner {
	return &owner{
		s:        s,
		m:        newMachine(machineLimits{maxHandles: s.cfg.MaxHandles, maxPending: s.cfg.MaxPending}),
		sessions: make(map[uint64]*ownerSession),
		snapDone: make(chan error, 1),
	}
}

// run applies commands until the server shuts down, or until the log
// fails (Serve sees the owner return and shuts the server down), then
// says Goodbye to every connection.
func (o *owner) run() {
	defer o.stop()
	tick := max(o.s.cfg.MinTTL/4, 5*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	var notify <-chan struct{}
	if o.log != nil {
		notify = o.log.Notify()
	}
	for o.failed == nil {
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
		case <-notify:
			o.release()
		case err := <-o.snapDone:
			o.snapping = false
			if err != nil {
				o.s.log.Warn("snapshot failed; the log keeps growing until the next one", "err", err)
			}
		case now := <-t.C:
			o.expire(now)
			o.route()
		case <-o.s.shutdown:
			return
		}
	}
}

// stop says Goodbye to every connection and waits for a snapshot being
// written.
func (o *owner) stop() {
	for _, os := range o.sessions {
		if os.c != nil {
			os.c.goodbye(wire.ReasonShutdown, "server shutting down")
		}
	}
	o.waitSnapshot()
}

// route sends the machine's outputs to their connections, or holds them
// until the log has made the inputs that produced them durable.
func (o *owner) route() {
	outs := o.m.takeOutputs()
	if o.log == nil {
		o.send(outs)
		return
	}
	if len(outs) > 0 {
		o.held = append(o.held, heldOut{idx: o.lastWrite, outs: outs})
	}
	o.release()
}

// release delivers what the log has made durable.
func (o *owner) release() {
	if o.log == nil {
		return
	}
	if err := o.log.Err(); err != nil {
		o.fail(err)
		return
	}
	durable := o.log.Durable()
	n := 0
	for _, h := range o.held {
		if h.idx > durable {
			break
		}
		o.send(h.outs)
		if h.then != nil {
			h.then()
		}
		n++
	}
	clear(o.held[:n])
	o.held = o.held[n:]
}

func (o *owner) send(outs []output) {
	for _, out := range outs {
		if os := o.sessions[out.session]; os != nil && os.c != nil {
			os.c.send(out.frame)
		}
	}
}

// fail stops the server after a log failure: nothing that is not durable
// is acknowledged, and no request is accepted any more.
func (o *owner) fail(err error) {
	if o.failed != nil {
		return
	}
	o.failed = err
	o.s.log.Error("write-ahead log failed; stopping the server rather than acknowledge what is not durable", "err", err)
	o.s.fatal.Store(&err)
	o.held = nil
}

// whenDurable runs fn, an answer given outside the machine, once the log
// has made durable every change before it, after the outputs produced so
// far; at once without a log, or once the log has failed (nothing more
// is acknowledged then: fn only says goodbye or refuses).
func (o *owner) whenDurable(fn func()) {
	o.route()
	if o.log == nil || o.failed != nil {
		fn()
		return
	}
	o.held = append(o.held, heldOut{idx: o.lastWrite, then: fn})
	o.release()
}

// record appends in to the log, if there is one.
func (o *owner) record(in *input) {
	if o.log == nil || o.failed != nil {
		return
	}
	b, err := appendInput(o.buf[:0], in)
	var idx uint64
	if err == nil {
		o.buf = b
		idx, err = o.log.Append(b)
	}
	if err != nil {
		o.fail(err)
		return
	}
	// A read-only request is logged (its id counts for retries) but its
	// answer need not wait for its own record: it reports changes whose
	// records come before it. If a crash loses the record, the client's
	// retry reads again.
	if in.kind != inRequest || !in.req.Op.ReadOnly() {
		o.lastWrite = idx
	}
	o.sinceSnap++
}

// exec applies in to the state. The live path and the replay of the log
// both come through here, so that they agree.
func (o *owner) exec(in *input) error {
	switch in.kind {
	case inHello:
		o.nextID = max(o.nextID, in.sid)
		o.sessions[in.sid] = &ownerSession{id: in.sid, token: in.token, ttl: in.ttl, host: in.host, pid: in.pid, label: in.label}
		o.m.openSession(in.sid, int(in.maxFrame))
	case inAttach:
		if os := o.sessions[in.sid]; os != nil {
			os.ttl = in.ttl
		}
		o.m.attach(in.sid, int(in.maxFrame))
	case inDetach:
		o.m.detach(in.sid)
	case inRequest:
		o.requests++
		return o.m.request(in.sid, in.req)
	case inCancel:
		o.m.cancel(in.sid, in.rid)
	case inEnd:
		o.m.endSession(in.sid)
		delete(o.sessions, in.sid)
	case inRestart:
		for _, id := range sortedKeys(o.sessions) {
			o.m.detach(id)
		}
	case inEpoch:
		o.m.raiseFences(in.base)
	}
	return nil
}

// do records in and applies it, and starts a snapshot when enough
// records have accumulated: after the apply, since a snapshot at index i
// must hold the effect of record i.
func (o *owner) do(in *input) error {
	o.record(in)
	err := o.exec(in)
	if o.log != nil && o.failed == nil && o.sinceSnap >= o.s.cfg.SnapshotEvery && !o.snapping {
		o.snapshot()
	}
	return err
}

func (o *owner) apply(cmd command, now time.Time) {
	select {
	case <-o.s.shutdown:
		// Shutting down: nothing more changes the state. A connection the
		// shutdown itself closed must not end its session (it is resumed
		// after a restart), and a request that came too late is sent
		// again by its client after the resume.
		switch {
		case cmd.kind == cmdHello:
			cmd.reply <- nil
		case cmd.ack != nil:
			close(cmd.ack)
		}
		return
	default:
	}
	switch cmd.kind {
	case cmdHello:
		o.hello(cmd, now)
		return
	case cmdQuery:
		cmd.fn(o)
		return
	}
	ack := cmd.ack
	defer func() {
		if ack != nil {
			close(ack)
		}
	}()
	os := o.sessions[cmd.c.sid]
	if os == nil || os.c != cmd.c {
		return // a superseded or ended connection
	}
	os.lastSeen = now
	if o.failed != nil && cmd.kind != cmdClosed {
		return // the server is stopping: accept nothing more
	}
	switch cmd.kind {
	case cmdRequest:
		if err := o.do(&input{kind: inRequest, sid: os.id, req: cmd.req}); err != nil {
			var le *limitError
			if errors.As(err, &le) {
				o.s.log.Info("closing session", "session", os.id, "reason", le.reason, "err", le.msg)
				cmd.c.goodbye(le.reason, le.msg)
				o.dropped(os, cmd.c)
			}
		}
	case cmdCancel:
		o.do(&input{kind: inCancel, sid: os.id, rid: cmd.id})
	case cmdPing:
		cmd.c.send(&wire.Pong{Value: cmd.id})
	case cmdTouch:
	case cmdGoodbye:
		o.end(os)
		// The answer says the session has ended: it waits for the log.
		c, done := cmd.c, ack
		ack = nil // closed with the answer
		o.whenDurable(func() {
			c.goodbye(wire.ReasonNormal, "")
			close(done)
		})
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
	o.do(&input{kind: inDetach, sid: os.id})
	o.s.log.Debug("session detached", "session", os.id)
}

// end ends a session and releases everything it held.
func (o *owner) end(os *ownerSession) {
	os.c = nil
	o.do(&input{kind: inEnd, sid: os.id})
	o.s.log.Debug("session ended", "session", os.id)
}

// expire ends sessions whose lease ran out.
func (o *owner) expire(now time.Time) {
	if o.failed != nil {
		return
	}
	for _, id := range sortedKeys(o.sessions) {
		os := o.sessions[id]
		if now.Sub(os.lastSeen) < os.ttl {
			continue
		}
		c := os.c
		o.s.log.Info("session expired", "session", id)
		o.end(os)
		if c != nil {
			// Like every answer, the Goodbye waits for the log to hold the end.
			o.whenDurable(func() { c.goodbye(wire.ReasonExpired, "session expired: nothing received for its TTL") })
		}
	}
}

// hello opens or resumes a session for a connection that passed the
// handshake, and answers with a Welcome (nil: refused) once the session
// is durable.
func (o *owner) hello(cmd command, now time.Time) {
	if o.failed != nil {
		cmd.reply <- nil
		return
	}
	h, c := cmd.hello, cmd.c
	ttl := o.s.clampTTL(h.TTL)
	w := &wire.Welcome{TTL: ttl, MaxFrame: uint32(o.s.cfg.MaxFrame), ServerVersion: Version}
	if os := o.sessions[h.SessionID]; h.SessionID != 0 && os != nil && tokenEqual(os.token, h.Token) {
		if os.c != nil {
			os.c.goodbye(wire.ReasonSuperseded, "session resumed on another connection")
		}
		os.c, os.lastSeen = c, now
		c.sid = os.id
		o.do(&input{kind: inAttach, sid: os.id, ttl: ttl, maxFrame: h.MaxFrame})
		w.SessionID, w.Token, w.Resumed = os.id, os.token, true
		o.s.log.Debug("session resumed", "session", os.id)
	} else {
		in := &input{kind: inHello, sid: o.nextID + 1, token: newToken(), ttl: ttl, maxFrame: h.MaxFrame, host: h.Host, pid: h.PID, label: h.Label}
		o.do(in)
		os := o.sessions[in.sid]
		os.c, os.lastSeen = c, now
		c.sid = os.id
		w.SessionID, w.Token = os.id, os.token
		o.s.log.Debug("session opened", "session", os.id, "host", h.Host, "pid", h.PID, "label", h.Label, "unix", c.unix)
	}
	// The Welcome waits for the session to be durable, behind the outputs
	// before it (the attach may release outputs held for the session). A
	// log that failed meanwhile refuses the connection.
	o.whenDurable(func() {
		if o.failed != nil {
			w = nil
		}
		cmd.reply <- w
	})
}
