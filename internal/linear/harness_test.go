package linear

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/server"
)

// status is how a recorded call ended.
type status uint8

const (
	stOK       status = iota // it succeeded
	stErr                    // it failed with a latchkey error (output.Kind)
	stCanceled               // its ctx ended first: the call had no effect
	stUnknown                // no answer: it may or may not have taken effect
)

// output is what a call returned, for every model: how it ended and its
// results. Each model reads the fields its operations fill in. It is
// comparable, as porcupine's default equality wants.
type output struct {
	St   status        `json:"st"`
	Kind latchkey.Kind `json:"kind,omitempty"` // the error's Kind, when St is stErr
	N    int64         `json:"n,omitempty"`    // a number: a fence, a value, a length
	B    bool          `json:"b,omitempty"`    // a flag: locked, loaded, swapped
	S    string        `json:"s,omitempty"`    // a byte string: an item, a dict value
}

// describe renders out for a visualization; res is the success result.
func (o output) describe(res string) string {
	switch o.St {
	case stOK:
		if res == "" {
			return "ok"
		}
		return res
	case stErr: // ErrNotHeld for "not held"
		var b strings.Builder
		b.WriteString("Err")
		for w := range strings.FieldsSeq(strings.ReplaceAll(o.Kind.String(), "-", " ")) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
		return b.String()
	case stCanceled:
		return "canceled"
	}
	return "unknown"
}

// classify maps a call's error to how the call ended. A context error
// means the call had no effect: the client returns one only when the
// server dropped the call, or when the call was never sent (client
// package doc, "Cancellation"). Errors that leave the outcome open (the
// session was lost, no server answered, a malformed response) are
// unknown.
func classify(err error) (status, latchkey.Kind) {
	if err == nil {
		return stOK, 0
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return stCanceled, 0
	}
	switch k := latchkey.KindOf(err); k {
	case latchkey.KindUnavailable, latchkey.KindLost, latchkey.KindClosed, latchkey.KindOther:
		return stUnknown, k
	default:
		return stErr, k
	}
}

// A variant is a configuration of the server a history is recorded on.
type variant struct {
	name     string
	sync     server.Sync
	restarts int // server restarts during the run
}

// variants are the configurations every model is checked on.
var variants = []variant{
	{"always", server.SyncAlways, 0},
	{"restarts", server.SyncAlways, 2},
	{"none", server.SyncNone, 0},
}

const (
	workers  = 8 // concurrent workers, ClientId 0..7 in the histories
	nClients = 6 // sessions: workers 0-4 dial their own, 5-7 share one
)

// clientOf returns the index of worker w's client.
func clientOf(w int) int { return min(w, nClients-1) }

// runSize returns how many operations a run records, how long it may
// take at most, and how long the check may take.
func runSize() (ops int, limit, checkTimeout time.Duration) {
	if *longFlag {
		return 30000, 10 * time.Minute, 10 * time.Minute
	}
	return 2000, time.Minute, 30 * time.Second
}

// seedFor returns the seed of a run: -linear.seed, or a new one.
func seedFor(t *testing.T) uint64 {
	seed := *seedFlag
	if seed == 0 {
		seed = rand.Uint64()%1_000_000_000 + 1
	}
	t.Logf("seed %d (replay the choices with -run '^%s$' -linear.seed=%d)", seed,
		strings.ReplaceAll(t.Name(), "/", "$/^"), seed)
	return seed
}

// debugLogger returns the logger of the server and the clients of a run:
// one that discards everything, unless $LATCHKEY_LINEAR_LOG names a
// directory, where the run's debug log is written.
func debugLogger(t *testing.T, seed uint64) *slog.Logger {
	dir := os.Getenv("LATCHKEY_LINEAR_LOG")
	if dir == "" {
		return slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "-")+fmt.Sprintf("-%d.log", seed))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() }) // after the server and the clients
	t.Logf("debug log: %s", path)
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// cluster is an in-process server that can be restarted on the same data
// directory and address.
type cluster struct {
	t    *testing.T
	cfg  server.Config
	srv  *server.Server // nil while stopped
	done chan error     // Serve's result
}

// startCluster starts a server for v on a free loopback port and stops it
// when the test ends.
func startCluster(t *testing.T, v variant, logger *slog.Logger) *cluster {
	c := &cluster{t: t, cfg: server.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), SocketPath: server.Disabled, Sync: v.sync,
		Logger: logger.With("side", "server"),
	}}
	if v.restarts > 0 {
		// Snapshots now and then, so that restarts recover from a
		// snapshot and the log after it.
		c.cfg.SnapshotEvery = 97
	}
	c.start()
	c.cfg.Addr = c.srv.Addr().String()
	t.Cleanup(c.stop)
	return c
}

// start starts the server, retrying for a while if its port is not free
// yet.
func (c *cluster) start() {
	deadline := time.Now().Add(10 * time.Second)
	retry := time.NewTimer(0)
	defer retry.Stop()
	for {
		s, err := server.New(&c.cfg)
		if err == nil {
			c.srv, c.done = s, make(chan error, 1)
			go func() { c.done <- s.Serve(context.Background()) }()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("starting the server: %v", err)
		}
		retry.Reset(20 * time.Millisecond)
		<-retry.C
	}
}

// stop stops the server and waits for it.
func (c *cluster) stop() {
	if c.srv == nil {
		return
	}
	c.srv.Close()
	if err := <-c.done; err != nil && !errors.Is(err, server.ErrServerClosed) {
		c.t.Errorf("Serve: %v", err)
	}
	c.srv = nil
}

// restart stops the server and starts a new one on the same directory
// and address.
func (c *cluster) restart() {
	c.stop()
	c.start()
}

// recorder collects the operations of a run, timed by one monotonic
// clock.
type recorder struct {
	start time.Time

	mu        sync.Mutex             // guards the fields below
	ops       []porcupine.Operation  // the history
	notes     []porcupine.Annotation // the restarts
	surprises []string               // errors no model expects
	waitN     int                    // waitCh is closed when len(ops) reaches waitN
	waitCh    chan struct{}
}

// now returns the time since the run started, in nanoseconds.
func (r *recorder) now() int64 { return int64(time.Since(r.start)) }

func (r *recorder) add(op porcupine.Operation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, op)
	if r.waitCh != nil && len(r.ops) >= r.waitN {
		close(r.waitCh)
		r.waitCh = nil
	}
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ops)
}

func (r *recorder) surprise(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.surprises = append(r.surprises, fmt.Sprintf(format, args...))
}

// waitFor returns when n operations are recorded or stop is closed.
func (r *recorder) waitFor(n int, stop <-chan struct{}) {
	r.mu.Lock()
	if len(r.ops) >= n {
		r.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	r.waitN, r.waitCh = n, ch
	r.mu.Unlock()
	select {
	case <-ch:
	case <-stop:
	}
}

// worker is one concurrent client of a run: a goroutine with its own
// random choices, on its own session or one it shares.
type worker struct {
	id      int
	c       *client.Client
	rng     *rand.Rand
	rec     *recorder
	ctx     context.Context // the run's
	stopped bool            // an outcome was unknown: the worker stops
}

// blockFor returns a random bound for a blocking call.
func (w *worker) blockFor() time.Duration {
	return time.Duration(1+w.rng.IntN(30)) * time.Millisecond
}

// do runs f as one operation with input in and records it. A positive
// wait bounds the call with a ctx of that timeout (blocking calls);
// otherwise the call has the run's ctx. An operation whose outcome is
// unknown gets an infinite return time, as porcupine models a call that
// never returned, and stops the worker: what it holds is unknown.
func (w *worker) do(in any, wait time.Duration, f func(ctx context.Context) (output, error)) output {
	ctx := w.ctx
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	call := w.rec.now()
	out, err := f(ctx)
	ret := w.rec.now()
	out.St, out.Kind = classify(err)
	var meta string
	if err != nil {
		meta = err.Error()
	}
	if out.St == stUnknown {
		ret = math.MaxInt64
		w.stopped = true
		if out.Kind == latchkey.KindOther {
			w.rec.surprise("worker %d: %v: unexpected error %v", w.id, in, err)
		}
	}
	w.rec.add(porcupine.Operation{ClientId: w.id, Input: in, Call: call, Output: out, Return: ret, Metadata: meta})
	return out
}

// fenced adapts a call that returns a fence (Lock, TryLock, Acquire,
// TryAcquire) to [worker.do]: the fence is the output's N.
func fenced(f func(context.Context) (latchkey.Fence, error)) func(context.Context) (output, error) {
	return func(ctx context.Context) (output, error) {
		fence, err := f(ctx)
		return output{N: int64(fence)}, err
	}
}

// workload starts worker w: it opens the worker's handles and returns
// the function that performs one random operation.
type workload func(w *worker) (step func(), err error)

// history is a recorded run.
type history struct {
	model string // its name in models
	seed  uint64
	v     variant
	ops   []porcupine.Operation
	notes []porcupine.Annotation // the restarts, tagged "server"
}

// record runs wl on workers concurrent workers against a server
// configured by v, restarting it v.restarts times (five times as many
// with -linear.long) at even intervals of the history, and returns the
// history.
func record(t *testing.T, v variant, seed uint64, wl workload) *history {
	target, limit, _ := runSize()
	logger := debugLogger(t, seed)
	cl := startCluster(t, v, logger)
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	clients := make([]*client.Client, nClients)
	for i := range clients {
		c, err := client.Dial(ctx, &client.Config{
			Addr: cl.cfg.Addr, TTL: time.Minute, Label: fmt.Sprintf("linear-%d", i),
			ReconnectMin: 2 * time.Millisecond, ReconnectMax: 50 * time.Millisecond,
			Logger: logger.With("side", "client", "client", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
		t.Cleanup(func() { c.Close() }) // before the server stops
	}

	rec := &recorder{start: time.Now()}
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{id: i, c: clients[clientOf(i)], rng: rand.New(rand.NewPCG(seed, uint64(i))), rec: rec, ctx: ctx}
		wg.Go(func() {
			step, err := wl(w)
			if err != nil {
				rec.surprise("worker %d: opening its objects: %v", w.id, err)
				return
			}
			for !w.stopped && ctx.Err() == nil && rec.len() < target {
				step()
			}
		})
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	defer func() { // also when a restart fails: unblock the workers
		cancel()
		for _, c := range clients {
			c.Close()
		}
		<-finished
	}()
	var notes []porcupine.Annotation
	restarts := v.restarts
	if *longFlag {
		restarts *= 5
	}
	for i := 1; i <= restarts; i++ {
		rec.waitFor(target*i/(restarts+1), finished)
		from := rec.now()
		cl.restart()
		notes = append(notes, porcupine.Annotation{
			Tag: "server", Start: from, End: rec.now(), Description: fmt.Sprintf("restart %d", i),
			BackgroundColor: "#fbe3b4",
		})
	}
	<-finished
	elapsed := time.Since(rec.start)

	for i, c := range clients {
		if err := c.Err(); err != nil {
			t.Errorf("the session of client %d ended during the run: %v", i, err)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, s := range rec.surprises {
		t.Error(s)
	}
	if ctx.Err() != nil && t.Context().Err() == nil {
		t.Logf("the run stopped at its time limit (%v)", limit)
	}
	h := &history{seed: seed, v: v, ops: rec.ops, notes: notes}
	t.Logf("recorded %d operations in %v: %s", len(h.ops), elapsed.Round(time.Millisecond), h.summary())
	return h
}

// summary counts h's operations by how they ended, and those that were
// in flight during a restart.
func (h *history) summary() string {
	var n [4]int
	spanning := 0
	for _, op := range h.ops {
		n[op.Output.(output).St]++
		for _, r := range h.notes {
			if op.Call <= r.End && op.Return >= r.Start {
				spanning++
				break
			}
		}
	}
	s := fmt.Sprintf("%d ok, %d failed with an error, %d canceled, %d unknown", n[stOK], n[stErr], n[stCanceled], n[stUnknown])
	if len(h.notes) > 0 {
		s += fmt.Sprintf("; %d restarts, %d operations in flight during one", len(h.notes), spanning)
	}
	return s
}

// partitionBy returns a Partition function that splits a history by the
// key of each operation's input.
func partitionBy(key func(in any) string) func([]porcupine.Operation) [][]porcupine.Operation {
	return func(h []porcupine.Operation) [][]porcupine.Operation {
		idx := map[string]int{}
		var parts [][]porcupine.Operation
		for _, op := range h {
			k := key(op.Input)
			i, ok := idx[k]
			if !ok {
				i = len(parts)
				idx[k] = i
				parts = append(parts, nil)
			}
			parts[i] = append(parts[i], op)
		}
		return parts
	}
}

// op builds an operation of a hand-made history; ret < 0 means it never
// returned.
func op(w int, call, ret int64, in any, out output) porcupine.Operation {
	if ret < 0 {
		ret = math.MaxInt64
	}
	return porcupine.Operation{ClientId: w, Input: in, Call: call, Output: out, Return: ret}
}

// selfTest checks m on hand-made histories: each of bad must be refused,
// each of good accepted, so that the model is neither vacuous nor too
// strict.
func selfTest(t *testing.T, m porcupine.Model, bad, good map[string][]porcupine.Operation) {
	t.Helper()
	for name, h := range bad {
		if res := porcupine.CheckOperationsTimeout(m, h, 10*time.Second); res != porcupine.Illegal {
			t.Errorf("bad history %q: %s, want Illegal", name, res)
		}
	}
	for name, h := range good {
		if res := porcupine.CheckOperationsTimeout(m, h, 10*time.Second); res != porcupine.Ok {
			t.Errorf("good history %q: %s, want Ok", name, res)
		}
	}
}

// Outputs of hand-made histories.
var (
	okOut       = output{}
	canceledOut = output{St: stCanceled}
	unknownOut  = output{St: stUnknown, Kind: latchkey.KindLost}
)

func errOut(k latchkey.Kind) output { return output{St: stErr, Kind: k} }
func nOut(n int64) output           { return output{N: n} }
func bOut(b bool) output            { return output{B: b} }
