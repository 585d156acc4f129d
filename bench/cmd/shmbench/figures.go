package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/bench/internal/kit"
	"github.com/latchkey/latchkey/proc"
	"github.com/latchkey/latchkey/shm"
)

// child is one process of a figure: a role and its job.
type child struct {
	role proc.Func[job, tally]
	job  job
}

// spawn runs each child in a process of its own and returns their
// tallies, in order. If one fails, the others are killed, so that none
// waits for ever at the start barrier; so are all of them if they have not
// finished within a minute after warm-up and measured time.
func (b *bench) spawn(ctx context.Context, children []child) ([]tally, error) {
	ctx, cancel := context.WithTimeout(ctx, b.warm+b.dur+time.Minute)
	defer cancel()
	var ps []*proc.Process[job, tally]
	stop := func() {
		for _, p := range ps {
			p.Kill() // an error means it has exited already
		}
		for _, p := range ps {
			jctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			p.Join(jctx)
			cancel()
		}
	}
	for i, c := range children {
		p := proc.NewProcess(c.role, c.job, &proc.ProcessConfig{Daemon: true, Stdout: b.log})
		if err := p.Start(ctx); err != nil {
			stop()
			return nil, fmt.Errorf("starting process %d of %d: %w", i+1, len(children), err)
		}
		ps = append(ps, p)
	}
	type exit struct {
		i   int
		err error
	}
	exits := make(chan exit, len(ps))
	for i, p := range ps {
		go func() {
			err := p.Join(ctx)
			if err == nil {
				_, err = p.Result()
			}
			exits <- exit{i, err}
		}()
	}
	var first error
	for range ps {
		e := <-exits
		if e.err != nil && first == nil {
			first = fmt.Errorf("process %d of %d: %w", e.i+1, len(ps), e.err)
			cancel()
			for _, p := range ps {
				p.Kill()
			}
		}
	}
	if first != nil {
		stop()
		return nil, first
	}
	out := make([]tally, len(ps))
	for i, p := range ps {
		out[i], _ = p.Result()
	}
	return out, nil
}

// merge returns the tallies' latencies, timed cycles and span (earliest
// start to latest end).
func merge(ts []tally) (*hist, int64, time.Duration, error) {
	h := new(hist)
	var n int64
	start, end := ts[0].Start, ts[0].End
	for _, t := range ts {
		if err := h.merge(t.Hist); err != nil {
			return nil, 0, 0, err
		}
		n += t.N
		start, end = min(start, t.Start), max(end, t.End)
	}
	return h, n, time.Duration(end - start), nil
}

// name returns a fresh object name, so that no figure sees another's
// state.
func name(kind string) string { return fmt.Sprintf("%s-%d", kind, time.Now().UnixNano()) }

// job returns the job of one of the n processes of a figure on object
// name.
func (b *bench) job(name string, n int) job {
	return job{Dir: b.dir, Name: name, Parties: n, Warm: b.warm, Dur: b.dur}
}

// processes describes n processes in a variant.
func processes(n int) string {
	if n == 1 {
		return "1 process"
	}
	return fmt.Sprintf("%d processes", n)
}

// spawnN runs n processes of role on job j and returns their tallies.
func (b *bench) spawnN(ctx context.Context, role proc.Func[job, tally], j job, n int) ([]tally, error) {
	children := make([]child, n)
	for i := range children {
		children[i] = child{role, j}
	}
	return b.spawn(ctx, children)
}

// spawnPair runs the two sides of a queue figure, roles a and b, on the
// same job (objects named after kind) and returns their tallies.
func (b *bench) spawnPair(ctx context.Context, kind string, a, bside proc.Func[job, tally]) (ta, tb tally, err error) {
	j := b.job(name(kind), 2)
	ts, err := b.spawn(ctx, []child{{a, j}, {bside, j}})
	if err != nil {
		return tally{}, tally{}, err
	}
	return ts[0], ts[1], nil
}

// emitCycles writes the record of a figure whose processes ran timed
// cycles (see cycles) and returned the tallies ts.
func (b *bench) emitCycles(bench, variant string, ts []tally) error {
	h, ops, el, err := merge(ts)
	if err != nil {
		return err
	}
	n := len(ts)
	return kit.Emit(b.out, kit.Record{Peer: peerShm, Bench: bench, Clients: n,
		Variant: fmt.Sprintf("%s, %s; cpus=%s", variant, processes(n), b.cpus),
		Lat:     h, Ops: ops, Elapsed: el,
		Extra: map[string]any{"note": "one clock reading per cycle (~35 ns) is included"}})
}

// lockCycle measures Lock+Unlock of one shm.Lock by n processes.
func (b *bench) lockCycle(ctx context.Context, n int) error {
	ts, err := b.spawnN(ctx, lockRole, b.job(name("lock"), n), n)
	if err != nil {
		return err
	}
	return b.emitCycles("lock_cycle", "shm.Lock Lock+Unlock", ts)
}

// valueAdd measures Add(1) on one Value[int64] by n processes, with its
// attached lock or raw, and checks that no add was lost.
func (b *bench) valueAdd(ctx context.Context, n int, raw bool) error {
	j := b.job(name("value"), n)
	j.Raw = raw
	m, err := shm.NewManager(&shm.Config{Dir: b.dir})
	if err != nil {
		return err
	}
	defer m.Close()
	v, err := openValue(ctx, m, j)
	if err != nil {
		return err
	}
	ts, err := b.spawnN(ctx, valueRole, j, n)
	if err != nil {
		return err
	}
	var adds int64
	for _, t := range ts {
		adds += t.Total
	}
	if got, err := v.Load(ctx); err != nil {
		return err
	} else if got != adds {
		return fmt.Errorf("value is %d after %d adds", got, adds)
	}
	variant := "Value[int64].Add(1), attached shm.Lock"
	if raw {
		variant = "raw Value[int64].Add(1) (Options.Raw: one atomic add)"
	}
	return b.emitCycles("value_add", variant, ts)
}

// queueHandoff measures the ping-pong of a 64-byte message between two
// processes over two Queues.
func (b *bench) queueHandoff(ctx context.Context) error {
	a, bside, err := b.spawnPair(ctx, "qhand", pingRole, pongRole)
	if err != nil {
		return err
	}
	var rtt, oneway hist
	if err := rtt.merge(a.Hist); err != nil {
		return err
	}
	if err := oneway.merge(bside.Hist); err != nil {
		return err
	}
	if oneway.n != a.N {
		return fmt.Errorf("side B saw %d timed messages, side A sent %d", oneway.n, a.N)
	}
	return kit.Emit(b.out, kit.Record{Peer: peerShm, Bench: "queue_handoff", Clients: 2,
		Variant: fmt.Sprintf("shm.Queue put->get, 64 B, 2 processes; cpus=%s", b.cpus),
		Lat:     &oneway, Ops: a.N, Elapsed: time.Duration(a.End - a.Start),
		Extra: map[string]any{
			"rtt_p50_us": kit.US(rtt.Quantile(0.5)), "rtt_p99_us": kit.US(rtt.Quantile(0.99)),
			"note": "p50/p99 = one-way handoff; ops_per_s = round trips/s",
		}})
}

// queueThroughput measures 64-byte messages from a producer process to
// a consumer process: timed from the producer's first timed Put to the
// consumer finding the queue shut down after the last message.
func (b *bench) queueThroughput(ctx context.Context) error {
	p, c, err := b.spawnPair(ctx, "qthru", produceRole, consumeRole)
	if err != nil {
		return err
	}
	if c.N != p.N || c.Total != p.Total {
		return fmt.Errorf("consumer got %d timed messages of %d, producer put %d of %d", c.N, c.Total, p.N, p.Total)
	}
	el := time.Duration(c.End - p.Start)
	var h hist // mean time per message, as the kit's mean-only records
	if c.N > 0 {
		h.add(int64(el) / c.N)
	}
	return kit.Emit(b.out, kit.Record{Peer: peerShm, Bench: "queue_throughput", Clients: 2,
		Variant: fmt.Sprintf("shm.Queue(1024) 64 B, 1 producer + 1 consumer process; cpus=%s", b.cpus),
		Lat:     &h, Ops: c.N, Elapsed: el,
		Extra: map[string]any{"mean_only": true, "note": "ops_per_s = messages/s; p50/p99 = mean time per message"}})
}

// The pool figures' batches, as in proc/pool_bench_test.go.
const (
	applyBatch = 1000
	mapBatch   = 10_000
)

// pool measures a Pool of b.workers processes running square: batches of
// ApplyAsync then Get of every result, or (mapped) batches of Map with the
// default chunk size.
func (b *bench) pool(ctx context.Context, mapped bool) error {
	p, err := proc.NewPool(ctx, b.workers, &proc.PoolConfig{Stdout: b.log, Stderr: b.log})
	if err != nil {
		return err
	}
	defer func() {
		p.Terminate()
		jctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p.Join(jctx)
	}()
	size := applyBatch
	if mapped {
		size = mapBatch
	}
	xs := make([]int, size)
	for i := range xs {
		xs[i] = i
	}
	rs := make([]*proc.AsyncResult[int], size)
	batch := func() error {
		if mapped {
			ys, err := proc.Map(ctx, p, square, xs, 0)
			if err != nil {
				return err
			}
			return checkSquares(ys)
		}
		for i, x := range xs {
			r, err := proc.ApplyAsync(p, square, x, nil, nil)
			if err != nil {
				return err
			}
			rs[i] = r
		}
		for i, r := range rs {
			y, err := r.Get(ctx)
			if err != nil {
				return err
			}
			if y != i*i {
				return fmt.Errorf("square(%d) = %d", i, y)
			}
		}
		return nil
	}
	for end := time.Now().Add(b.warm); ; {
		if err := batch(); err != nil { // at least one: every worker has started
			return err
		}
		if !time.Now().Before(end) {
			break
		}
	}
	var h hist // per-task time of each batch
	var tasks int64
	start := time.Now()
	for time.Since(start) < b.dur {
		t := time.Now()
		if err := batch(); err != nil {
			return err
		}
		h.add(int64(time.Since(t)) / int64(size))
		tasks += int64(size)
	}
	el := time.Since(start)
	bench, variant := "pool_apply_async", fmt.Sprintf("proc.Pool(%d) ApplyAsync x%d then Get all", b.workers, size)
	if mapped {
		bench, variant = "pool_map", fmt.Sprintf("proc.Pool(%d) Map over %d ints, default chunks", b.workers, size)
	}
	return kit.Emit(b.out, kit.Record{Peer: peerProc, Bench: bench, Clients: b.workers,
		Variant: variant + "; cpus=" + b.cpus, Lat: &h, Ops: tasks, Elapsed: el,
		Extra: map[string]any{"batch": size, "note": "ops_per_s = tasks/s; p50/p99 = per-task time of a batch (batch time / batch size)"}})
}

// checkSquares checks Map's results.
func checkSquares(ys []int) error {
	for i, y := range ys {
		if y != i*i {
			return fmt.Errorf("square(%d) = %d", i, y)
		}
	}
	if len(ys) != mapBatch {
		return errors.New("Map returned the wrong number of results")
	}
	return nil
}
