package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

var (
	_ latchkey.Manager = (*Client)(nil)
	_ interface {
		Waiters(ctx context.Context, name string) (int, error)
	} = (*Client)(nil)
)

// Errors of the handshake that reconnecting cannot cure.
var (
	// ErrAuth is returned by Dial (and ends a client's session) when the
	// server refuses the client's key, or asks for one and the client has
	// none. It also satisfies errors.Is(err, latchkey.ErrInvalid).
	ErrAuth = &latchkey.Error{Kind: latchkey.KindInvalid, Msg: "client: authentication failed"}
	// ErrVersion is returned by Dial when the server does not speak the
	// client's protocol version.
	ErrVersion = &latchkey.Error{Kind: latchkey.KindInvalid, Msg: fmt.Sprintf("client: server does not speak protocol version %d", wire.Version)}
)

// Client is a connection to a latchkey manager server and the session it
// carries: the network backend of [latchkey.Manager]. Open objects with its
// methods (Lock, Queue, Dict, ...); every handle works through the one
// connection, which carries any number of concurrent calls.
//
// A Client is safe for concurrent use. See the package documentation for
// cancellation, reconnection and loss of the session.
type Client struct {
	cfg      Config
	host     string
	pid      uint64
	closeErr error // what Close leaves in Err

	mu         sync.Mutex // guards every field below
	pending    map[uint64]*call
	sendq      []outFrame
	conn       *conn // the live connection; nil while reconnecting
	gen        uint64
	sessionID  uint64
	token      []byte
	ttl        time.Duration
	maxFrame   int // the server's frame size limit
	nextID     uint64
	nextHandle uint64
	nextPing   uint64
	floor      uint64 // no call below this id is pending: the Ack of the next request
	holds      map[uint64]*holdState
	cache      map[cacheKey]any
	err        error  // why the session is over; nil while it lives
	lastDrop   string // why the last connection dropped, for errors

	wake      chan struct{} // cap 1: sendq has frames for the writer
	done      chan struct{} // closed when err is set
	quit      chan struct{} // closed by Close
	closeOnce sync.Once
	wg        sync.WaitGroup // the supervisor goroutine
}

// callMode says how a call behaves when its ctx is done. (Reconnection
// treats every call alike: it is sent again with its id, and the server
// never applies it twice.)
type callMode uint8

const (
	// modeNormal: a done ctx fails the call before it is sent; a ctx that
	// ends while it waits sends a Cancel, whose answer says whether the
	// call took effect.
	modeNormal callMode = iota
	// modeAlways: sent even when ctx is already done, and cancelled at
	// once (Barrier.Wait: the last party trips the barrier, any other
	// breaks it, as Python's timeout does).
	modeAlways
)

// call is one request waiting for its response.
type call struct {
	id       uint64
	req      wire.Request
	mode     callMode
	ch       chan callResult // cap 1; receives exactly one result
	sentGen  uint64          // the connection that carried it; 0 while queued
	canceled bool            // the caller's ctx ended: a Cancel was or will be sent
	inDoubt  bool            // sent on a connection that dropped; sent again on the resume
	frame    []byte          // the encoded request, to send again after a resume
	done     bool            // a result was delivered
}

type callResult struct {
	resp *wire.Response
	err  error
}

// outFrame is an encoded frame waiting for the writer.
type outFrame struct {
	b        []byte
	c        *call // the request's call; nil for control frames
	cancelOf *call // for the Cancel of a call not sent yet (modeAlways): kept across reconnections
	goodbye  bool  // the last frame of the connection
}

// holdState is a handle's lost-ownership signal.
type holdState struct {
	lost chan struct{}
	once sync.Once
}

func newHoldState() *holdState { return &holdState{lost: make(chan struct{})} }

func (h *holdState) markLost() { h.once.Do(func() { close(h.lost) }) }

type cacheKey struct {
	obj    wire.ObjectType
	name   string
	p0, p1 int64
}

// Dial connects to the server cfg names, performs the handshake
// (authenticating with cfg.AuthKey if the server asks) and returns a
// Client whose session is open. A nil cfg means [DefaultConfig]. ctx
// bounds the connection and handshake only, together with
// cfg.DialTimeout; it does not bound the Client's life.
//
// If no server answers, the error satisfies errors.Is(err,
// latchkey.ErrUnavailable); a refused key is [ErrAuth].
func Dial(ctx context.Context, cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:      cfg.resolved(),
		pending:  make(map[uint64]*call),
		holds:    make(map[uint64]*holdState),
		cache:    make(map[cacheKey]any),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		quit:     make(chan struct{}),
		closeErr: latchkey.ErrClosed,
	}
	c.host, c.pid = hostAndPID()
	nc, rd, w, err := c.connect(ctx, 0, nil)
	if err != nil {
		return nil, err
	}
	c.sessionID, c.token, c.ttl = w.SessionID, w.Token, w.TTL
	c.maxFrame = maxFrameOf(w.MaxFrame)
	c.gen = 1
	cn := newConn(c, nc, rd, c.gen)
	c.conn = cn
	c.cfg.Logger.Debug("latchkey client connected", "addr", c.cfg.Addr, "session", w.SessionID, "ttl", w.TTL, "server", w.ServerVersion)
	c.wg.Go(func() { c.run(cn) })
	return c, nil
}

func maxFrameOf(n uint32) int {
	if n == 0 {
		return wire.DefaultMaxFrame
	}
	return int(n)
}

// Done returns a channel that is closed when the client's session is over
// for good: after Close, or when the session was lost (the server expired
// it, or could not be reached within its TTL). Everything the session held
// has then been released by the server, or will be. [Client.Err] says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns nil while the session lives, and then why it ended: an
// error satisfying errors.Is(err, latchkey.ErrClosed) after Close, or
// errors.Is(err, latchkey.ErrLost) when the session was lost (which may
// also satisfy latchkey.ErrUnavailable, or be [ErrAuth]).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// SessionID returns the id of the client's session on the server, as
// listings show it.
func (c *Client) SessionID() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// Close ends the session: it sends a Goodbye, so that the server releases
// everything the session holds at once, fails calls still waiting with
// latchkey.ErrClosed, and returns when the client's goroutines have
// exited. Close is idempotent and always returns nil.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.finishLocked(c.closeErr)
		if c.conn != nil {
			b, _ := wire.Append(nil, &wire.Goodbye{Reason: wire.ReasonNormal, Message: "client closing"})
			c.sendq = append(c.sendq, outFrame{b: b, goodbye: true})
			c.wakeLocked()
		}
		c.mu.Unlock()
		close(c.quit)
	})
	c.wg.Wait()
	return nil
}

// finishLocked ends the session with err: later calls fail with it, and
// so do the pending ones; every handle's lost channel closes. c.mu is held.
func (c *Client) finishLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	close(c.done)
	for _, cl := range c.pending {
		c.completeLocked(cl, callResult{err: err})
	}
	c.sendq = nil
	for _, h := range c.holds {
		h.markLost()
	}
	clear(c.holds)
	clear(c.cache)
}

// completeLocked delivers r to cl and forgets cl. c.mu is held.
func (c *Client) completeLocked(cl *call, r callResult) {
	if cl.done {
		return
	}
	cl.done = true
	delete(c.pending, cl.id)
	for c.floor <= c.nextID && c.pending[c.floor] == nil {
		c.floor++
	}
	cl.ch <- r
}

func (c *Client) wakeLocked() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enqueueLocked gives cl the next id, encodes it (with the Ack that lets
// the server forget responses the client has) and queues it for the
// writer. c.mu is held.
func (c *Client) enqueueLocked(cl *call) error {
	if c.floor == 0 {
		c.floor = 1
	}
	cl.req.ID = c.nextID + 1
	cl.req.Flags, cl.req.Ack = wire.FlagAck, c.floor
	b, err := wire.Append(nil, &cl.req)
	if err != nil {
		return latchkey.Errorf(latchkey.KindInvalid, "client: %s %q: %v", cl.req.Op, cl.req.Name, err)
	}
	if n := len(b) - 4; n > c.maxFrame {
		return latchkey.Errorf(latchkey.KindInvalid, "client: %s %q: request of %d bytes exceeds the server's frame limit of %d", cl.req.Op, cl.req.Name, n, c.maxFrame)
	}
	c.nextID++
	cl.id, cl.frame = c.nextID, b
	c.pending[cl.id] = cl
	c.sendq = append(c.sendq, outFrame{b: b, c: cl})
	if c.conn != nil {
		c.wakeLocked()
	}
	return nil
}

// queueControlLocked queues a control frame (Cancel, Ping, Pong). c.mu is
// held.
func (c *Client) queueControlLocked(f wire.Frame) {
	b, err := wire.Append(nil, f)
	if err != nil {
		return // control frames have no variable-length fields
	}
	c.sendq = append(c.sendq, outFrame{b: b})
	if c.conn != nil {
		c.wakeLocked()
	}
}

// do sends req and waits for its response, handling ctx per mode. It
// returns the response (also with an error, for errors that carry
// results, like OwnerDied) or an error: the remote error as a
// *latchkey.Error, ctx.Err() for a call cancelled without effect, or the
// session's or connection's error.
func (c *Client) do(ctx context.Context, req *wire.Request, mode callMode) (*wire.Response, error) {
	if mode != modeAlways {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	cl := &call{req: *req, mode: mode, ch: make(chan callResult, 1)}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	if err := c.enqueueLocked(cl); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	c.mu.Unlock()
	var r callResult
	select {
	case r = <-cl.ch:
	case <-ctx.Done():
		c.cancel(cl)
		r = <-cl.ch
	}
	if r.err != nil {
		return r.resp, r.err
	}
	switch r.resp.Status {
	case wire.StatusOK:
		return r.resp, nil
	case wire.StatusError:
		return r.resp, &latchkey.Error{Kind: r.resp.Kind, Msg: r.resp.Message}
	}
	if cl.canceled {
		return nil, ctx.Err()
	}
	return nil, latchkey.Errorf(latchkey.KindClosed, "client: %s %q: handle closed while waiting", req.Op, req.Name)
}

// cancel asks the server to abandon cl, whose caller's ctx ended; the
// answer still comes through cl.ch. A call never sent is dropped at once.
func (c *Client) cancel(cl *call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl.done || cl.canceled {
		return
	}
	cl.canceled = true
	switch {
	case cl.sentGen == 0 && cl.mode == modeAlways:
		// It must arrive anyway: cancel it right after it.
		b, _ := wire.Append(nil, &wire.Cancel{ID: cl.id})
		c.sendq = append(c.sendq, outFrame{b: b, cancelOf: cl})
		if c.conn != nil {
			c.wakeLocked()
		}
	case cl.sentGen == 0:
		// Still queued: the writer skips done calls.
		c.completeLocked(cl, callResult{resp: &wire.Response{ID: cl.id, Status: wire.StatusCanceled}})
	case cl.sentGen == c.gen && c.conn != nil && !cl.inDoubt:
		c.queueControlLocked(&wire.Cancel{ID: cl.id})
	}
	// Otherwise the call is in doubt: the resume sends it again, then its
	// Cancel.
}

// Waiters returns the number of calls blocked on the object called name
// (see conformance.Waiters for what counts per type). It fails with
// latchkey.ErrNotFound if there is no such object.
func (c *Client) Waiters(ctx context.Context, name string) (int, error) {
	if err := latchkey.CheckName(name); err != nil {
		return 0, err
	}
	resp, err := c.do(ctx, &wire.Request{Op: wire.OpWaiters, Name: name}, modeNormal)
	if err != nil {
		return 0, err
	}
	n, err := intAt(resp, 0)
	return int(n), err
}

// ObjectInfo describes one object of the server, as [Client.Objects]
// lists it.
type ObjectInfo struct {
	Name    string // the object's name
	Type    string // its type: "Lock", "Queue", ...
	Waiters int    // calls blocked on it (see [Client.Waiters])
}

// Objects lists the server's objects whose names start with prefix
// (every object for ""), sorted by name.
func (c *Client) Objects(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	resp, err := c.do(ctx, &wire.Request{Op: wire.OpList, Name: prefix}, modeNormal)
	if err != nil {
		return nil, err
	}
	if len(resp.Ints) != 2*len(resp.Bytes) {
		return nil, malformed(resp, "listing of %d names and %d ints", len(resp.Bytes), len(resp.Ints))
	}
	out := make([]ObjectInfo, len(resp.Bytes))
	for i, n := range resp.Bytes {
		out[i] = ObjectInfo{Name: string(n), Type: wire.ObjectType(resp.Ints[2*i]).String(), Waiters: int(resp.Ints[2*i+1])}
	}
	return out, nil
}

// errMalformed is the Kind-Other error of a response that lacks results.
func malformed(resp *wire.Response, format string, args ...any) error {
	return latchkey.Errorf(latchkey.KindOther, "client: malformed response %d: %s", resp.ID, fmt.Sprintf(format, args...))
}

// intAt returns resp.Ints[i], or an error if the server sent fewer.
func intAt(resp *wire.Response, i int) (int64, error) {
	if resp == nil || i >= len(resp.Ints) {
		if resp == nil {
			resp = &wire.Response{}
		}
		return 0, malformed(resp, "missing result ints[%d]", i)
	}
	return resp.Ints[i], nil
}

// bytesAt returns resp.Bytes[i], or an error if the server sent fewer.
func bytesAt(resp *wire.Response, i int) ([]byte, error) {
	if resp == nil || i >= len(resp.Bytes) {
		if resp == nil {
			resp = &wire.Response{}
		}
		return nil, malformed(resp, "missing result bytes[%d]", i)
	}
	return resp.Bytes[i], nil
}

// unavailable returns an error satisfying errors.Is with
// latchkey.ErrUnavailable and with cause.
func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", latchkey.ErrUnavailable, fmt.Sprintf(format, args...))
}

// isCtxErr reports whether err is a cancellation.
func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
