//go:build linux

package shm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
	"github.com/latchkey/latchkey/shm"
)

// procQueueOpts are the options of the multi-process tests' queues.
var procQueueOpts = shm.QueueOptions{MaxSize: 16, MaxMessage: 64}

// message returns producer p's i-th message: 64 bytes whose tail depends
// on its head, so that a message written in part is told apart.
func message(p, i int) []byte {
	b := fmt.Appendf(nil, "p%d-%06d-", p, i)
	for len(b) < 64 {
		b = append(b, 'a'+byte((p*7+i+len(b))%26))
	}
	return b
}

// checkMessage reports whether b is a whole message, and its name.
func checkMessage(b []byte) (string, bool) {
	var p, i int
	if _, err := fmt.Sscanf(string(b), "p%d-%06d-", &p, &i); err != nil {
		return "", false
	}
	return fmt.Sprintf("p%d-%06d", p, i), bytes.Equal(b, message(p, i))
}

// roleProduce puts the messages of producer n/100000, n%100000 of them,
// into the queue name, printing "put <name>" after each.
func roleProduce(ctx context.Context, m *shm.Manager, name string, n int) error {
	q, err := m.OpenQueue(ctx, name, procQueueOpts)
	if err != nil {
		return err
	}
	p := n / 100000
	for i := range n % 100000 {
		v := message(p, i)
		if err := q.Put(ctx, v); err != nil {
			return err
		}
		s, _ := checkMessage(v)
		say("put %s", s)
	}
	say("done")
	return nil
}

// roleConsume gets messages from the queue name until it is shut down,
// printing "got <name>" for each, or "bad <message>" for one that is not
// whole, then "end".
func roleConsume(ctx context.Context, m *shm.Manager, name string, _ int) error {
	q, err := m.OpenQueue(ctx, name, procQueueOpts)
	if err != nil {
		return err
	}
	say("ready")
	for {
		v, err := q.Get(ctx)
		if errors.Is(err, latchkey.ErrShutDown) {
			say("end")
			return nil
		}
		if err != nil {
			return err
		}
		if s, ok := checkMessage(v); ok {
			say("got %s", s)
		} else {
			say("bad %q", v)
		}
	}
}

// roleGetQueue blocks in one Get on the queue name.
func roleGetQueue(ctx context.Context, m *shm.Manager, name string, _ int) error {
	q, err := m.OpenQueue(ctx, name, procQueueOpts)
	if err != nil {
		return err
	}
	say("waiting")
	v, err := q.Get(ctx)
	say("got %s %v", v, err)
	return block()
}

func roleCrashMidPut(ctx context.Context, m *shm.Manager, name string, _ int) error {
	q, err := m.OpenQueue(ctx, name, procQueueOpts)
	if err != nil {
		return err
	}
	shm.CrashMidPut(q, message(9, 1))
	return nil
}

func roleCrashAfterPut(ctx context.Context, m *shm.Manager, name string, _ int) error {
	q, err := m.OpenQueue(ctx, name, procQueueOpts)
	if err != nil {
		return err
	}
	shm.CrashAfterPutCommit(q, message(9, 2))
	return nil
}

// collect reads the lines of children until every one has printed "end",
// and returns the names they got, failing on a message not whole.
func collect(t *testing.T, cs []*child) []string {
	t.Helper()
	var got []string
	for _, c := range cs {
		for {
			line := c.expect(t, "")
			if line == "end" {
				break
			}
			if !strings.HasPrefix(line, "got ") {
				t.Fatalf("consumer printed %q", line)
			}
			got = append(got, strings.TrimPrefix(line, "got "))
		}
	}
	return got
}

// readAll reads the lines of a child that has been killed, to EOF.
func readAll(c *child) []string {
	var lines []string
	for line := range c.lines {
		lines = append(lines, line)
	}
	return lines
}

// TestProcQueue: two producer children and the parent put into a small
// queue that two consumer children drain; every message arrives exactly
// once, whole, and each producer's in order.
func TestProcQueue(t *testing.T) {
	const each = 400
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	q, err := m.OpenQueue(ctx, "q", procQueueOpts)
	must(t, err)
	var cons []*child
	for range 2 {
		c := startChild(t, "consume", dir, "q", 0)
		c.expect(t, "ready")
		cons = append(cons, c)
	}
	var prods []*child
	for p := 1; p <= 2; p++ {
		prods = append(prods, startChild(t, "produce", dir, "q", p*100000+each))
	}
	for i := range each {
		must(t, q.Put(ctx, message(0, i)))
	}
	for _, c := range prods {
		for range each {
			c.expect(t, "put")
		}
		c.expect(t, "done")
		must(t, c.wait(t))
	}
	must(t, q.Shutdown(ctx, false))
	seen := map[string]bool{}
	for _, c := range cons {
		// Each producer's messages reach each consumer in order.
		last := map[string]string{}
		for _, s := range collect(t, []*child{c}) {
			if seen[s] {
				t.Fatalf("%s delivered twice", s)
			}
			seen[s] = true
			p, _, _ := strings.Cut(s, "-")
			if s <= last[p] {
				t.Fatalf("%s after %s", s, last[p])
			}
			last[p] = s
		}
	}
	if len(seen) != 3*each {
		t.Fatalf("%d messages delivered, want %d", len(seen), 3*each)
	}
	if n, _ := q.Unfinished(ctx); n != 3*each {
		t.Fatalf("Unfinished = %d, want %d", n, 3*each)
	}
}

// TestProcQueueKillConsumer: a consumer is killed at a random moment; the
// other drains the rest. No message is delivered twice, and at most one
// (the one the killed consumer had taken and not yet printed) is lost.
func TestProcQueueKillConsumer(t *testing.T) {
	const n = 300
	r := testRand(t)
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	q, err := m.OpenQueue(ctx, "q", procQueueOpts)
	must(t, err)
	victim := startChild(t, "consume", dir, "q", 0)
	victim.expect(t, "ready")
	var fromVictim []string
	putDone := make(chan struct{})
	go func() {
		defer close(putDone)
		for i := range n {
			if err := q.Put(ctx, message(0, i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 1 + r.IntN(n/2) {
		fromVictim = append(fromVictim, strings.TrimPrefix(victim.expect(t, "got"), "got "))
	}
	victim.kill()
	victim.wait(t)
	for _, line := range readAll(victim) {
		fromVictim = append(fromVictim, strings.TrimPrefix(line, "got "))
	}
	other := startChild(t, "consume", dir, "q", 0)
	other.expect(t, "ready")
	deadline := time.Now().Add(procTimeout)
	var fromOther []string
	for len(fromVictim)+len(fromOther) < n-1 {
		fromOther = append(fromOther, strings.TrimPrefix(other.expect(t, "got"), "got "))
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
	// One more may come, or may have been lost with the victim.
	<-putDone
	waitWaiters(t, m, "q", 1)
	if n, _ := q.Len(ctx); n != 0 {
		t.Fatalf("Len = %d with a consumer waiting", n)
	}
	must(t, q.Shutdown(ctx, false))
	fromOther = append(fromOther, collect(t, []*child{other})...)
	seen := map[string]bool{}
	for _, s := range append(fromVictim, fromOther...) {
		if seen[s] {
			t.Fatalf("%s delivered twice", s)
		}
		seen[s] = true
	}
	if lost := n - len(seen); lost > 1 {
		t.Fatalf("%d messages lost, at most 1 may be", lost)
	} else {
		t.Logf("victim got %d messages, the other %d, %d lost", len(fromVictim), len(fromOther), lost)
	}
}

// TestProcQueueKillProducer: a producer is killed at a random moment;
// every message that arrives is whole and was put at most once, and each
// message the producer saw put arrives.
func TestProcQueueKillProducer(t *testing.T) {
	const n = 2000
	r := testRand(t)
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	q, err := m.OpenQueue(ctx, "q", procQueueOpts)
	must(t, err)
	cons := startChild(t, "consume", dir, "q", 0)
	cons.expect(t, "ready")
	prod := startChild(t, "produce", dir, "q", 100000+n)
	var put []string
	for range 1 + r.IntN(n/2) {
		put = append(put, strings.TrimPrefix(prod.expect(t, "put"), "put "))
	}
	prod.kill()
	prod.wait(t)
	for _, line := range readAll(prod) {
		if s, ok := strings.CutPrefix(line, "put "); ok {
			put = append(put, s)
		}
	}
	// Drain: the consumer waits on an empty queue once all is delivered.
	waitWaiters(t, m, "q", 1)
	must(t, q.Shutdown(ctx, false))
	got := collect(t, []*child{cons})
	if len(got) != len(put) && len(got) != len(put)+1 {
		t.Fatalf("%d messages put and printed, %d got; want as many or one more", len(put), len(got))
	}
	for i, s := range got {
		if want := string(message(1, i)[:9]); s != want {
			t.Fatalf("message %d is %s, want %s", i, s, want)
		}
	}
}

// TestProcQueueCrashInPut: a producer killed while it writes a message,
// before committing, leaves no trace; one killed after committing leaves
// the whole message.
func TestProcQueueCrashInPut(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	q, err := m.OpenQueue(ctx, "q", procQueueOpts)
	must(t, err)
	must(t, q.Put(ctx, message(0, 0)))
	c := startChild(t, "crash-mid-put", dir, "q", 0)
	c.wait(t)
	must(t, q.Put(ctx, message(0, 1)))
	c = startChild(t, "crash-after-put", dir, "q", 0)
	c.wait(t)
	var got []string
	for range 3 {
		v, err := q.Get(ctx)
		must(t, err)
		s, ok := checkMessage(v)
		if !ok {
			t.Fatalf("got %q, not a whole message", v)
		}
		got = append(got, s)
	}
	if want := "p0-000000 p0-000001 p9-000002"; strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	_, err = q.TryGet(ctx)
	wantErr(t, "TryGet", err, latchkey.ErrEmpty)
	if n, _ := q.Unfinished(ctx); n != 3 {
		t.Fatalf("Unfinished = %d, want 3", n)
	}
}

// TestProcQueueKillGetter: a message handed to a getter that was killed
// while it waited goes back to the queue, for the next getter.
func TestProcQueueKillGetter(t *testing.T) {
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	q, err := m.OpenQueue(ctx, "q", procQueueOpts)
	must(t, err)
	c := startChild(t, "get-queue", dir, "q", 0)
	c.expect(t, "waiting")
	waitWaiters(t, m, "q", 1)
	c.kill()
	c.wait(t)
	must(t, q.Put(ctx, message(0, 7))) // handed to the dead getter
	v, err := q.Get(ctx)
	must(t, err)
	if s, ok := checkMessage(v); !ok || s != "p0-000007" {
		t.Fatalf("Get = %q", v)
	}
}

// TestQueueModel runs random non-blocking operations on a queue of each
// order and on local.Queue, the reference, and compares every result.
func TestQueueModel(t *testing.T) {
	r := testRand(t)
	ctx := t.Context()
	m := newManager(t)
	for _, o := range []latchkey.Order{latchkey.FIFO, latchkey.LIFO, latchkey.Priority} {
		opts := latchkey.QueueOptions{Order: o, MaxSize: 1 + r.IntN(6)}
		q, err := m.OpenQueue(ctx, o.String(), shm.QueueOptions{Order: o, MaxSize: opts.MaxSize, MaxMessage: 8})
		must(t, err)
		ref, err := local.NewQueue(opts)
		must(t, err)
		for step := range 3000 {
			var got, want string
			switch op := r.IntN(10); {
			case op < 4:
				v := []byte(strconv.Itoa(r.IntN(20)))
				if r.IntN(10) == 0 {
					v = nil
				}
				got, want = fmt.Sprint(q.TryPut(ctx, v)), fmt.Sprint(ref.TryPut(ctx, v))
			case op < 8:
				v1, err1 := q.TryGet(ctx)
				v2, err2 := ref.TryGet(ctx)
				got, want = fmt.Sprintf("%q %v", v1, err1), fmt.Sprintf("%q %v", v2, err2)
			case op < 9:
				got, want = fmt.Sprint(q.TaskDone(ctx)), fmt.Sprint(ref.TaskDone(ctx))
			default:
				n1, _ := q.Len(ctx)
				n2, _ := ref.Len(ctx)
				u1, _ := q.Unfinished(ctx)
				u2, _ := ref.Unfinished(ctx)
				got, want = fmt.Sprint(n1, u1), fmt.Sprint(n2, u2)
			}
			if got != want {
				t.Fatalf("%v queue, step %d: got %s, want %s", o, step, got, want)
			}
		}
	}
}

// TestQueueOverflow: more getters than waiter slots all get one message.
func TestQueueOverflow(t *testing.T) {
	const n = 80
	ctx := t.Context()
	m := newManager(t)
	q, err := m.OpenQueue(ctx, "q", shm.QueueOptions{MaxSize: 4, MaxMessage: 8})
	must(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]bool{}
	for range n {
		wg.Go(func() {
			v, err := q.Get(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got[string(v)] = true
			mu.Unlock()
		})
	}
	waitWaiters(t, m, "q", n)
	for i := range n {
		must(t, q.Put(ctx, []byte(strconv.Itoa(i))))
	}
	wg.Wait()
	if len(got) != n {
		t.Fatalf("%d distinct messages got, want %d", len(got), n)
	}
}

// TestQueueOptions: sizes and orders are checked, and are part of a
// queue's identity, which a SimpleQueue does not share.
func TestQueueOptions(t *testing.T) {
	ctx := t.Context()
	m := newManager(t)
	for _, o := range []shm.QueueOptions{{Order: 7}, {MaxSize: 1 << 25}, {MaxMessage: 1 << 31}} {
		_, err := m.OpenQueue(ctx, "bad", o)
		wantErr(t, fmt.Sprintf("OpenQueue(%+v)", o), err, latchkey.ErrInvalid)
	}
	q, err := m.OpenQueue(ctx, "q", shm.QueueOptions{MaxSize: 2, MaxMessage: 3})
	must(t, err)
	if q.Cap() != 2 || q.MaxMessage() != 3 || q.Name() != "q" {
		t.Fatalf("Cap = %d, MaxMessage = %d, Name = %q", q.Cap(), q.MaxMessage(), q.Name())
	}
	wantErr(t, "Put of 4 bytes", q.Put(ctx, []byte("abcd")), latchkey.ErrInvalid)
	wantErr(t, "TryPut of 4 bytes", q.TryPut(ctx, []byte("abcd")), latchkey.ErrInvalid)
	must(t, q.Put(ctx, []byte("abc")))
	_, err = m.OpenQueue(ctx, "q", shm.QueueOptions{MaxSize: 2, MaxMessage: 4})
	wantErr(t, "Queue with another MaxMessage", err, latchkey.ErrMismatch)
	_, err = m.OpenSimpleQueue(ctx, "q")
	wantErr(t, "SimpleQueue over a Queue", err, latchkey.ErrMismatch)
	u, err := m.OpenQueue(ctx, "u", shm.QueueOptions{})
	must(t, err)
	if u.Cap() != 0 || u.MaxMessage() != shm.DefaultMaxMessage {
		t.Fatalf("unbounded queue: Cap = %d, MaxMessage = %d", u.Cap(), u.MaxMessage())
	}
	s, err := m.OpenSimpleQueue(ctx, "s")
	must(t, err)
	must(t, s.Put(ctx, []byte("x")))
	if v, err := s.Get(ctx); string(v) != "x" || err != nil || s.Name() != "s" || s.Waiters() != 0 {
		t.Fatalf("SimpleQueue Get = %q, %v", v, err)
	}
}

// roleQueueChurn puts and gets messages on the queue name in n
// goroutines, forever, with random timeouts; it prints a line every 64
// rounds of its first goroutine.
func roleQueueChurn(ctx context.Context, m *shm.Manager, name string, n int) error {
	return churn(n, func(g int) (func(int) error, error) {
		q, err := m.OpenQueue(ctx, name, shm.QueueOptions{MaxSize: 4, MaxMessage: 64})
		if err != nil {
			return nil, err
		}
		return func(i int) error {
			tctx, cancel := context.WithTimeout(ctx, time.Duration(rand.IntN(200))*time.Microsecond)
			defer cancel()
			err := q.Put(tctx, message(g, i))
			if err == nil {
				_, err = q.Get(tctx)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			return err
		}, nil
	})
}

// TestProcQueueKillRandom kills a child that churns a queue in four
// goroutines at a random moment, four times; each time the queue holds
// only whole messages, serves the parent, and is left with no waiter.
func TestProcQueueKillRandom(t *testing.T) {
	r := testRand(t)
	dir := testDir(t)
	m := procManager(t, dir)
	ctx := procCtx(t)
	q, err := m.OpenQueue(ctx, "q", shm.QueueOptions{MaxSize: 4, MaxMessage: 64})
	must(t, err)
	for round := range 4 {
		c := startChild(t, "queue-churn", dir, "q", 4)
		for range 1 + r.IntN(4) {
			c.expect(t, "round")
		}
		c.kill()
		c.wait(t)
		// The dead child's messages stay, whole.
		for {
			v, err := q.TryGet(ctx)
			if errors.Is(err, latchkey.ErrEmpty) {
				break
			}
			must(t, err)
			if _, ok := checkMessage(v); !ok {
				t.Fatalf("round %d: got %q, not a whole message", round, v)
			}
		}
		// Put and Get work. (A message handed to a getter that died
		// comes back once the getter is found dead.)
		for range 3 {
			must(t, q.Put(ctx, message(7, round)))
		}
		for range 3 {
			v, err := q.Get(ctx)
			must(t, err)
			if _, ok := checkMessage(v); !ok {
				t.Fatalf("round %d: got %q, not a whole message", round, v)
			}
		}
		waitWaiters(t, m, "q", 0)
	}
}
