package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/internal/wal"
	"github.com/latchkey/latchkey/internal/wire"
)

// Fault tests: the write-ahead log of a running server fails (an fsync
// error, a write error, a short write) or the machine loses its power,
// through a wal.MemFS set with Config.walFS, while real clients keep the
// server busy. They check what docs/operations.md promises: the server
// acknowledges nothing that is not durable, stops on a disk failure
// (Serve's error wraps it, clients get a Goodbye), and a server started
// again on what the disk holds has every acknowledged change, once,
// while the clients resume their sessions and their in-flight calls take
// effect exactly once.
//
// The tests are randomized (the load's values and how much of it runs
// before the fault); they print their seed, which -seed=N replays.

// faultWait bounds every wait of these tests.
const faultWait = 20 * time.Second

// faultRand returns a generator seeded with -seed, or a random seed, and
// logs the seed.
func faultRand(t *testing.T) *rand.Rand {
	seed := *seedFlag
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -run '%s' -seed=%d)", seed, t.Name(), seed)
	return rand.New(rand.NewPCG(seed, seed^0x5eed))
}

// syncBuf is a bytes.Buffer safe for concurrent use, for server logs.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// faultEnv is a data directory whose log lives on a MemFS, and the
// servers started on it, one at a time, on one address.
type faultEnv struct {
	t    *testing.T
	m    *wal.MemFS
	dir  string
	addr string // "127.0.0.1:0" until the first server has a port
	sync Sync
	logs *syncBuf
}

func newFaultEnv(t *testing.T, mode Sync) *faultEnv {
	e := &faultEnv{t: t, m: wal.NewMemFS(), dir: t.TempDir(), addr: "127.0.0.1:0", sync: mode, logs: &syncBuf{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", e.logs.String())
		}
	})
	return e
}

// start starts a server on e and returns it with the channel of Serve's
// result. The test's cleanup closes it.
func (e *faultEnv) start() (*Server, <-chan error) {
	e.t.Helper()
	cfg := &Config{
		Addr: e.addr, DataDir: e.dir, SocketPath: Disabled, Sync: e.sync, SnapshotEvery: 50,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	cfg.walFS = e.m
	s, err := New(cfg)
	if err != nil {
		e.t.Fatalf("starting the server: %v", err)
	}
	e.addr = s.Addr().String()
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(context.Background()) }()
	e.t.Cleanup(func() { s.Close() })
	return s, errc
}

// stopped waits for Serve's result.
func (e *faultEnv) stopped(errc <-chan error) error {
	e.t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(faultWait):
		e.t.Fatalf("the server did not stop within %v after the disk failed", faultWait)
		return nil
	}
}

// stop closes the clients of the load and s, and checks that Serve
// returns ErrServerClosed.
func (e *faultEnv) stop(s *Server, errc <-chan error) {
	e.t.Helper()
	s.Close()
	if err := <-errc; !errors.Is(err, ErrServerClosed) {
		e.t.Errorf("Serve = %v after Close, want ErrServerClosed", err)
	}
}

// recovered returns the server's "state recovered" and torn-tail log
// lines, for the test's log.
func (e *faultEnv) recovered() string {
	var out []string
	for line := range strings.Lines(e.logs.String()) {
		if strings.Contains(line, "state recovered") || strings.Contains(line, "torn tail") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return strings.Join(out, "\n")
}

// poll calls cond until it is true, or fails the test after faultWait.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(faultWait)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", faultWait, what)
		}
		<-tick.C
	}
}

// addRec is an acknowledged Value.Add: its delta and the value it
// returned.
type addRec struct{ delta, result int64 }

// faultLoad is clients adding to the Value "v" and storing unique keys in
// the Dict "d" until stopped, recording what the server acknowledged.
type faultLoad struct {
	t       *testing.T
	clients []*client.Client
	stop    chan struct{}
	wg      sync.WaitGroup
	acked   atomic.Int64 // operations acknowledged

	mu     sync.Mutex // guards adds, stores, errs
	adds   []addRec
	stores map[string]string
	errs   []error
}

// dialFault dials addr with the settings of these tests: a TTL that
// outlives a restart, quick reconnections.
func dialFault(t *testing.T, addr, label string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), faultWait)
	defer cancel()
	c, err := client.Dial(ctx, &client.Config{
		Addr: addr, TTL: 30 * time.Second, Label: label, ReconnectMin: 5 * time.Millisecond, ReconnectMax: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// startLoad starts n clients, each with an adder and a storer.
func startLoad(t *testing.T, addr string, n int, rng *rand.Rand) *faultLoad {
	l := &faultLoad{t: t, stop: make(chan struct{}), stores: map[string]string{}}
	t.Cleanup(l.halt) // after the clients' Close, which ends their calls
	for i := range n {
		c := dialFault(t, addr, fmt.Sprintf("fault-load-%d", i))
		l.clients = append(l.clients, c)
		ctx := t.Context()
		v, err := c.Value(ctx, "v")
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Dict(ctx, "d")
		if err != nil {
			t.Fatal(err)
		}
		seed := rng.Uint64()
		l.wg.Go(func() { l.adder(v, rand.New(rand.NewPCG(seed, 1))) })
		l.wg.Go(func() { l.storer(i, d, rand.New(rand.NewPCG(seed, 2))) })
	}
	return l
}

// opCtx is the context of one operation of the load: it is not cancelled
// when the load stops, so that every call ends with its result.
func (l *faultLoad) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*faultWait)
}

func (l *faultLoad) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

func (l *faultLoad) fail(op string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, fmt.Errorf("%s: %w", op, err))
}

func (l *faultLoad) adder(v latchkey.Value[int64], rng *rand.Rand) {
	for !l.stopped() {
		delta := 1 + rng.Int64N(1000)
		ctx, cancel := l.opCtx()
		got, err := v.Add(ctx, delta)
		cancel()
		if err != nil {
			l.fail(fmt.Sprintf("Add(%d)", delta), err)
			return
		}
		l.mu.Lock()
		l.adds = append(l.adds, addRec{delta, got})
		l.mu.Unlock()
		l.acked.Add(1)
	}
}

func (l *faultLoad) storer(id int, d latchkey.Dict, rng *rand.Rand) {
	for n := 0; !l.stopped(); n++ {
		key, val := fmt.Sprintf("k%d-%d", id, n), fmt.Sprintf("v%d", rng.Uint32())
		ctx, cancel := l.opCtx()
		err := d.Store(ctx, key, []byte(val))
		cancel()
		if err != nil {
			l.fail("Store("+key+")", err)
			return
		}
		l.mu.Lock()
		l.stores[key] = val
		l.mu.Unlock()
		l.acked.Add(1)
	}
}

// waitAcked waits until n operations more than now are acknowledged.
func (l *faultLoad) waitAcked(n int64) {
	l.t.Helper()
	want := l.acked.Load() + n
	poll(l.t, fmt.Sprintf("%d acknowledged operations", want), func() bool { return l.acked.Load() >= want })
}

// halt stops the load and waits for its calls to end.
func (l *faultLoad) halt() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// check compares the state that c reads with what was acknowledged. With
// strict, everything acknowledged must be there exactly once, and no
// client may have failed; otherwise it reports what was lost.
func (l *faultLoad) check(c *client.Client, strict bool) string {
	t := l.t
	t.Helper()
	l.halt()
	ctx := t.Context()
	var problems []string
	if strict {
		for _, err := range l.errs {
			problems = append(problems, "load: "+err.Error())
		}
		for i, lc := range l.clients {
			if err := lc.Err(); err != nil {
				problems = append(problems, fmt.Sprintf("client %d lost its session: %v", i, err))
			}
		}
	}
	v, err := c.Value(ctx, "v")
	if err != nil {
		t.Fatal(err)
	}
	final, err := v.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	adds := slices.Clone(l.adds)
	slices.SortFunc(adds, func(a, b addRec) int { return int(a.result - b.result) })
	// Exactly once: sorted by the value they returned, the acknowledged
	// Adds are every Add the server applied, in its order.
	var sum, prev int64
	lostAdds := 0
	for i, a := range adds {
		sum += a.delta
		if a.result != prev+a.delta && len(problems) < 20 {
			problems = append(problems, fmt.Sprintf("Add %d of %d: returned %d after %d, delta %d", i, len(adds), a.result, prev, a.delta))
		}
		if a.result > final {
			lostAdds++
		}
		prev = a.result
	}
	if final != sum {
		problems = append(problems, fmt.Sprintf("Value = %d, the acknowledged Adds sum to %d (%d Adds)", final, sum, len(adds)))
	}
	d, err := c.Dict(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	n, err := d.Len(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lostStores := 0
	for key, want := range l.stores {
		got, ok, err := d.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || string(got) != want {
			lostStores++
			if strict && len(problems) < 40 {
				problems = append(problems, fmt.Sprintf("acknowledged Store(%s, %s) lost: %q, %v", key, want, got, ok))
			}
		}
	}
	if n != len(l.stores) && strict {
		problems = append(problems, fmt.Sprintf("Dict has %d keys, %d Stores were acknowledged", n, len(l.stores)))
	}
	if strict && len(problems) > 0 {
		t.Fatalf("state after the restart:\n%s", strings.Join(problems, "\n"))
	}
	lost := 0
	for _, lc := range l.clients {
		if lc.Err() != nil {
			lost++
		}
	}
	return fmt.Sprintf("%d of %d acknowledged Adds lost (Value %d, acknowledged sum %d), %d of %d acknowledged Stores lost (Dict has %d keys), %d of %d sessions lost, %d calls failed",
		lostAdds, len(adds), final, sum, lostStores, len(l.stores), n, lost, len(l.clients), len(l.errs))
}

// rawUntilGoodbye reads c's frames until a Goodbye and returns the responses
// before it, by id, and the Goodbye.
func rawUntilGoodbye(t *testing.T, c *tclient) (map[uint64]*wire.Response, *wire.Goodbye) {
	t.Helper()
	resps := map[uint64]*wire.Response{}
	for {
		_, p, err := c.rd.ReadFrame()
		if err != nil {
			t.Fatalf("no Goodbye from the failed server: %v (responses %v)", err, resps)
		}
		f, err := wire.Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		switch f := f.(type) {
		case *wire.Response:
			resps[f.ID] = f.Clone()
		case *wire.Goodbye:
			return resps, &wire.Goodbye{Reason: f.Reason, Message: strings.Clone(f.Message)}
		}
	}
}

// readPong reads c's frames until the Pong of value, keeping the
// responses before it.
func readPong(t *testing.T, c *tclient, value uint64) {
	t.Helper()
	for {
		switch f := c.read().(type) {
		case *wire.Pong:
			if f.Value == value {
				return
			}
		case *wire.Response:
			c.stash[f.ID] = f
		case *wire.Goodbye:
			t.Fatalf("Goodbye %v %q before the Pong", f.Reason, f.Message)
		}
	}
}

// diskFault is a failure of the log's disk, injected into segment files
// only.
type diskFault struct {
	name  string
	write func(p []byte) (int, error) // fails writes, or nil
	sync  error                       // fails fsyncs, or nil
	cause error                       // what Serve's error must wrap
}

var diskFaults = []diskFault{
	{name: "fsync", sync: syscall.EIO, cause: syscall.EIO},
	{name: "write", write: func([]byte) (int, error) { return 0, syscall.ENOSPC }, cause: syscall.ENOSPC},
	{name: "short write", write: func(p []byte) (int, error) { return len(p) / 2, syscall.EIO }, cause: syscall.EIO},
}

func isSegment(name string) bool { return strings.HasSuffix(name, ".wal") }

// TestLogFailure: under SyncAlways, a disk failure of the log (an fsync
// error, a write error, a short write) stops the server: a request in
// flight gets no answer, Serve returns an error wrapping the disk's,
// clients get a Goodbye; a server started again (after a crash that drops
// what was not fsynced, or on the files as the failure left them) has
// every change the first one acknowledged, clients resume their sessions,
// and the calls that were in flight take effect exactly once.
func TestLogFailure(t *testing.T) {
	for _, f := range diskFaults {
		for _, crash := range []bool{false, true} {
			name := f.name + "/reopen"
			if crash {
				name = f.name + "/crash"
			}
			t.Run(name, func(t *testing.T) { testLogFailure(t, f, crash) })
		}
	}
}

func testLogFailure(t *testing.T, f diskFault, crash bool) {
	rng := faultRand(t)
	e := newFaultEnv(t, SyncAlways)
	_, errc := e.start()

	// A raw client, whose frames the test sees, with a Value "rv" of its
	// own.
	rc := mustConnect(t, "tcp", e.addr, &wire.Hello{TTL: 30 * time.Second})
	rc.open(1, wire.ObjectValue, "rv")

	load := startLoad(t, e.addr, 3, rng)
	load.waitAcked(int64(20 + rng.IntN(150)))

	// Block the next fsync of a segment, so that what the raw client
	// sends now is written (or waits to be) but not durable.
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var armed atomic.Bool
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(open)
	e.m.SetBeforeSync(func(name string) {
		if armed.Load() && isSegment(name) {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
		}
	})
	armed.Store(true)
	id0 := rc.req(wire.OpValueAdd, wire.ObjectValue, 1, "rv", []int64{1})
	select {
	case <-entered:
	case <-time.After(faultWait):
		t.Fatal("no fsync of the log")
	}
	// The owner applies the raw client's frames in order: once the Pong
	// is back, its second Add was appended behind the blocked fsync.
	id1 := rc.req(wire.OpValueAdd, wire.ObjectValue, 1, "rv", []int64{2})
	rc.write(&wire.Ping{Value: 42})
	readPong(t, rc, 42)
	if len(rc.stash) > 0 {
		t.Fatalf("responses before their records were fsynced: %v", rc.stash)
	}

	// The disk fails.
	acked := load.acked.Load()
	e.m.SetFaults(func(name string, p []byte) (int, error) {
		if f.write != nil && isSegment(name) {
			return f.write(p)
		}
		return len(p), nil
	}, func(name string) error {
		if isSegment(name) {
			return f.sync
		}
		return nil
	})
	open()
	err := e.stopped(errc)
	if !errors.Is(err, wal.ErrFailed) || !errors.Is(err, f.cause) {
		t.Fatalf("Serve = %v, want an error wrapping wal.ErrFailed and %v", err, f.cause)
	}
	resps, bye := rawUntilGoodbye(t, rc)
	if bye.Reason != wire.ReasonShutdown {
		t.Errorf("Goodbye %v %q, want %v", bye.Reason, bye.Message, wire.ReasonShutdown)
	}
	if r := resps[id1]; r != nil {
		t.Fatalf("the Add appended after the fsync it waited behind was answered (%v %v) by the failed server", r.Status, r.Ints)
	}
	if r := resps[id0]; r != nil && f.sync != nil {
		t.Fatalf("the Add whose fsync failed was answered (%v %v)", r.Status, r.Ints)
	}
	t.Logf("the load had %d operations acknowledged when the disk failed, %d when the server stopped", acked, load.acked.Load())

	// Start again: the disk is repaired; after a crash, what was not
	// fsynced is gone.
	e.m.SetFaults(nil, nil)
	e.m.SetBeforeSync(nil)
	if crash {
		e.m.Crash(wal.CrashDrop, nil)
	}
	s2, errc2 := e.start()
	t.Logf("restart:\n%s", e.recovered())

	// The raw client resumes and sends its Adds again, with their ids:
	// each takes effect once, in order, whether its record survived or
	// not.
	rc2 := mustConnect(t, "tcp", e.addr, &wire.Hello{TTL: 30 * time.Second, SessionID: rc.welcome.SessionID, Token: rc.welcome.Token})
	if !rc2.welcome.Resumed {
		t.Fatal("the raw client's session was not resumed")
	}
	rc2.write(&wire.Request{ID: id0, Op: wire.OpValueAdd, Object: wire.ObjectValue, Handle: 1, Name: "rv", Ints: []int64{1}},
		&wire.Request{ID: id1, Op: wire.OpValueAdd, Object: wire.ObjectValue, Handle: 1, Name: "rv", Ints: []int64{2}})
	for id, want := range map[uint64]int64{id0: 1, id1: 3} {
		r := rc2.resp(id)
		if r.Status != wire.StatusOK || len(r.Ints) != 1 || r.Ints[0] != want {
			t.Errorf("retry of request %d: %v %v %v, want the value %d", id, r.Status, r.Ints, r.Err(), want)
		}
	}
	rc2.next = id1
	if r := rc2.call(wire.OpValueLoad, wire.ObjectValue, 1, "rv", nil); r.Err() != nil || r.Ints[0] != 3 {
		t.Errorf("rv = %v %v after both Adds, want 3", r.Ints, r.Err())
	}

	// The load goes on, then stops: everything acknowledged is there,
	// exactly once.
	load.waitAcked(20)
	checker := dialFault(t, e.addr, "fault-check")
	t.Log(load.check(checker, true))
	rc2.write(&wire.Goodbye{Reason: wire.ReasonNormal})
	rc2.expectGoodbye(wire.ReasonNormal)
	e.stop(s2, errc2)
}

// TestPowerLoss cuts the power of the log's disk under load, at a random
// moment, and starts a server again on what a reboot finds: under
// SyncAlways every acknowledged change is there, whatever the crash left
// of the unsynced bytes (nothing, a torn prefix, zeros), and the clients
// resume with their in-flight calls taking effect exactly once. Under
// SyncInterval the last interval's acknowledged changes may be lost
// (docs/operations.md): the test logs what was, and asserts nothing more.
func TestPowerLoss(t *testing.T) {
	for _, tc := range []struct {
		sync Sync
		mode wal.CrashMode
	}{
		{SyncAlways, wal.CrashDrop}, {SyncAlways, wal.CrashPrefix}, {SyncAlways, wal.CrashZeros}, {SyncInterval, wal.CrashDrop},
	} {
		t.Run(fmt.Sprintf("%s/%v", tc.sync, tc.mode), func(t *testing.T) { testPowerLoss(t, tc.sync, tc.mode) })
	}
}

func testPowerLoss(t *testing.T, mode Sync, cm wal.CrashMode) {
	rng := faultRand(t)
	e := newFaultEnv(t, mode)
	_, errc := e.start()
	load := startLoad(t, e.addr, 3, rng)
	load.waitAcked(int64(50 + rng.IntN(300)))

	e.m.PowerCut()
	acked := load.acked.Load()
	err := e.stopped(errc)
	if !errors.Is(err, wal.ErrPowerCut) {
		t.Fatalf("Serve = %v, want an error wrapping wal.ErrPowerCut", err)
	}
	t.Logf("power cut with %d operations acknowledged; %d when the server stopped", acked, load.acked.Load())
	e.m.Crash(cm, rng)
	s2, errc2 := e.start()
	t.Logf("restart:\n%s", e.recovered())

	checker := dialFault(t, e.addr, "fault-check")
	if mode != SyncAlways {
		// Sessions may be gone: let the load run into that, or on.
		poll(t, "the load to resume or fail", func() bool {
			load.mu.Lock()
			defer load.mu.Unlock()
			return load.acked.Load() > acked+10 || len(load.errs) > 0
		})
		t.Logf("power loss under %s: %s", mode, load.check(checker, false))
	} else {
		load.waitAcked(20)
		t.Log(load.check(checker, true))
	}
	e.stop(s2, errc2)
}

// TestSnapshotFailure: a snapshot whose fsync fails does not stop the
// server nor lose anything: the log keeps its segments, later snapshots
// succeed once the disk is back, and after a power loss under SyncAlways
// every acknowledged change is there.
func TestSnapshotFailure(t *testing.T) {
	rng := faultRand(t)
	e := newFaultEnv(t, SyncAlways)
	_, errc := e.start()
	load := startLoad(t, e.addr, 3, rng)
	load.waitAcked(int64(20 + rng.IntN(100)))

	e.m.SetFaults(nil, func(name string) error {
		if strings.Contains(name, ".snap") {
			return syscall.EIO
		}
		return nil
	})
	poll(t, "a failed snapshot", func() bool { return strings.Contains(e.logs.String(), "snapshot failed") })
	load.waitAcked(100) // two more snapshots' worth of records, which fail too
	select {
	case err := <-errc:
		t.Fatalf("the server stopped after a failed snapshot: %v", err)
	default:
	}
	e.m.SetFaults(nil, nil)
	load.waitAcked(int64(100 + rng.IntN(100)))

	e.m.PowerCut()
	if err := e.stopped(errc); !errors.Is(err, wal.ErrPowerCut) {
		t.Fatalf("Serve = %v, want an error wrapping wal.ErrPowerCut", err)
	}
	e.m.Crash(wal.CrashDrop, nil)
	s2, errc2 := e.start()
	t.Logf("restart:\n%s", e.recovered())
	load.waitAcked(20)
	t.Log(load.check(dialFault(t, e.addr, "fault-check"), true))
	e.stop(s2, errc2)
}

// TestGoodbyeIsDurable: the Goodbye that answers a client's Goodbye says
// that its session has ended and released what it held (protocol.md
// 4.5); like every other answer, it must wait until the log has made the
// end durable, or a crash after it brings the session back, holding its
// locks until its TTL runs out.
func TestGoodbyeIsDurable(t *testing.T) {
	e := newFaultEnv(t, SyncAlways)
	_, errc := e.start()
	rc := mustConnect(t, "tcp", e.addr, &wire.Hello{TTL: 30 * time.Second})
	rc.open(1, wire.ObjectLock, "L")
	if r := rc.call(wire.OpLockLock, wire.ObjectLock, 1, "L", nil); r.Err() != nil {
		t.Fatalf("Lock: %v", r.Err())
	}

	// Block the log's fsyncs, then say Goodbye.
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(open)
	e.m.SetBeforeSync(func(name string) {
		if isSegment(name) {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
		}
	})
	rc.write(&wire.Goodbye{Reason: wire.ReasonNormal})
	select {
	case <-entered:
	case <-time.After(faultWait):
		t.Fatal("no fsync of the session's end")
	}
	// The end is not durable while the fsync is blocked: a Goodbye
	// arriving now acknowledges what a crash can take back.
	got := make(chan wire.Frame, 1)
	go func() {
		_, p, err := rc.rd.ReadFrame()
		if err != nil {
			got <- nil
			return
		}
		f, _ := wire.Decode(p)
		got <- f
	}()
	var early wire.Frame
	select {
	case early = <-got:
	case <-time.After(200 * time.Millisecond):
	}
	e.m.PowerCut()
	open()
	e.stopped(errc)
	if early == nil {
		<-got
	}
	e.m.Crash(wal.CrashDrop, nil)
	s2, errc2 := e.start()
	defer e.stop(s2, errc2)
	sessions, err := s2.Sessions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := early.(*wire.Goodbye); ok {
		t.Errorf("the server answered Goodbye %v before the session's end was durable; after a power loss it has sessions %+v", g.Reason, sessions)
	}
}

// TestReadsDoNotWaitForTheLog: under SyncAlways, a read-only request is
// answered without waiting for an fsync when every change it reports on
// is durable; a write after it waits for its own.
func TestReadsDoNotWaitForTheLog(t *testing.T) {
	e := newFaultEnv(t, SyncAlways)
	e.start()
	rc := mustConnect(t, "tcp", e.addr, nil)
	rc.open(1, wire.ObjectValue, "v")
	if r := rc.call(wire.OpValueAdd, wire.ObjectValue, 1, "v", []int64{5}); r.Err() != nil {
		t.Fatal(r.Err())
	}
	gate := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(open)
	e.m.SetBeforeSync(func(string) { <-gate }) // every fsync from now on blocks
	syncs := e.m.SyncCount()
	if r := rc.call(wire.OpValueLoad, wire.ObjectValue, 1, "v", nil); r.Err() != nil || r.Ints[0] != 5 {
		t.Fatalf("Load while fsyncs are blocked: %+v", r)
	}
	id := rc.req(wire.OpValueAdd, wire.ObjectValue, 1, "v", []int64{1})
	open()
	if r := rc.resp(id); r.Err() != nil || r.Ints[0] != 6 {
		t.Fatalf("Add: %+v", r)
	}
	if e.m.SyncCount() == syncs {
		t.Fatal("the Add was answered without an fsync")
	}
}
