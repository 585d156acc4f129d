// Command prodcons is the producer–consumer model with OS processes: a
// producer process puts numbered items into a queue in shared memory, an
// [shm.Queue] (Python's multiprocessing.JoinableQueue), and a consumer
// process takes them out, until the producer says there are no more.
//
// It is the tutorials' 生产者消费者模型 (the seeds' "use the queues and
// pipes of the previous section to communicate between processes"), with
// each role in a process of its own:
//
//   - the producer makes items 0 to n-1 (-items), printing each before it
//     puts it, with a pause after each (-delay, the tutorials'
//     time.sleep); the queue holds at most 4 items, and a Put waits while
//     it is full;
//   - each consumer (one by default, -consumers) gets items, prints each
//     as it eats it, and marks it done (task_done);
//   - the producer then waits until every item has been marked done
//     (JoinableQueue.join), and ends the consumers: by default with
//     Shutdown (Python 3.13's Queue.shutdown), after which each consumer's
//     Get fails with [latchkey.ErrShutDown] once the queue is empty; with
//     -sentinel the classic way, one None per consumer, each consumer
//     stopping at the first it gets. Forgetting a sentinel leaves a
//     consumer waiting for ever; Shutdown ends them all.
//
// Items travel as JSON through [latchkey.QueueOf], so a nil *int is
// Python's None. The children are this program started again (see
// [proc.Main]) and open the queue by name: the name holds the parent's
// pid, so that two runs do not share it, and the parent removes it at the
// end.
//
// The parent then checks the delivery: every item reached exactly one
// consumer, each consumer got its items in the order they were put, and
// the queue is empty with no task left unfinished. It prints how many
// items each consumer ate.
//
// The children write straight to the parent's standard output (the same
// open file, not a pipe that the parent copies), one write per line, so
// the output is in the order things happened: a Put synchronizes before
// the Get that returns its item, so "made item i" always comes before
// "ate item i".
//
// Usage:
//
//	go run ./examples/prodcons [-items 10] [-consumers 1] [-delay 100ms] [-sentinel]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/examples/internal/children"
	"github.com/latchkey/latchkey/proc"
	"github.com/latchkey/latchkey/shm"
)

// config is what the flags choose.
type config struct {
	items     int           // items the producer makes (≥ 0)
	consumers int           // consumer processes (≥ 1)
	delay     time.Duration // the producer's pause after each item
	sentinel  bool          // end the consumers with sentinels instead of Shutdown
	dir       string        // directory of the shared-memory objects; "" is /dev/shm
}

func main() {
	proc.Main() // in a child: runs the producer or a consumer and exits
	var cfg config
	flag.IntVar(&cfg.items, "items", 10, "items the producer makes")
	flag.IntVar(&cfg.consumers, "consumers", 1, "consumer processes")
	flag.DurationVar(&cfg.delay, "delay", 100*time.Millisecond, "the producer's pause after each item")
	flag.BoolVar(&cfg.sentinel, "sentinel", false, "end the consumers with one sentinel (None) each instead of Shutdown")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "prodcons:", err)
		os.Exit(1)
	}
}

// queueOptions are the queue's: at most 4 items of at most 64 bytes. The
// parent creates the queue, and the children open it, with these.
var queueOptions = shm.QueueOptions{MaxSize: 4, MaxMessage: 64}

// role is the argument of the producer and consumer functions.
type role struct {
	Dir       string        `json:"dir"`   // the shm directory ("" is /dev/shm)
	Queue     string        `json:"queue"` // the queue's name
	Items     int           `json:"items"`
	Consumers int           `json:"consumers"`
	Delay     time.Duration `json:"delay"`
	Sentinel  bool          `json:"sentinel"`
	Consumer  int           `json:"consumer"` // which consumer this is
}

// The functions the children run, registered during initialization so that
// the children (this program, started again) know them too.
var (
	// producer makes the items and ends the consumers; it returns the
	// items it put, in order.
	producer = proc.Register("prodcons.producer", func(ctx context.Context, r role) ([]int, error) {
		return withQueue(ctx, r, produce)
	})
	// consumer eats items until the end; it returns the items it got, in
	// the order it got them.
	consumer = proc.Register("prodcons.consumer", func(ctx context.Context, r role) ([]int, error) {
		return withQueue(ctx, r, consume)
	})
)

// run starts the consumers and the producer on a new queue, waits for
// them, checks that every item was delivered exactly once, and reports to
// out. out is shared with the children as it is (a file descriptor, not a
// pipe), so that their lines reach it in the order they print them.
func run(ctx context.Context, out *os.File, cfg config) (err error) {
	if cfg.items < 0 || cfg.consumers < 1 || cfg.delay < 0 {
		return fmt.Errorf("invalid settings: %d items, %d consumers, delay %v", cfg.items, cfg.consumers, cfg.delay)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := shm.NewManager(&shm.Config{Dir: cfg.dir})
	if err != nil {
		return err
	}
	defer m.Close()
	name := fmt.Sprintf("prodcons-%d", os.Getpid())
	q, err := m.OpenQueue(ctx, name, queueOptions) // Python's q = JoinableQueue(4)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, m.Remove(name)) }()

	r := role{Dir: cfg.dir, Queue: name, Items: cfg.items, Consumers: cfg.consumers, Delay: cfg.delay, Sentinel: cfg.sentinel}
	ps := []*proc.Process[role, []int]{proc.NewProcess(producer, r, &proc.ProcessConfig{Name: "producer", Daemon: true, Stdout: out})}
	for i := range cfg.consumers {
		r.Consumer = i
		ps = append(ps, proc.NewProcess(consumer, r, &proc.ProcessConfig{Name: fmt.Sprintf("consumer %d", i), Daemon: true, Stdout: out}))
	}
	if err := children.StartAll(ctx, ps...); err != nil {
		return err
	}
	if err := children.JoinAll(ctx, ps...); err != nil {
		return err
	}

	made, _ := ps[0].Result() // JoinAll checked the errors
	if len(made) != cfg.items {
		return fmt.Errorf("the producer made %d items, want %d", len(made), cfg.items)
	}
	consumers := ps[1:]
	got := make([][]int, len(consumers))
	for i, p := range consumers {
		got[i], _ = p.Result() // JoinAll checked the error
	}
	if err := checkDelivery(got, cfg.items); err != nil {
		return err
	}
	if n, err := q.Len(ctx); err != nil || n != 0 {
		return fmt.Errorf("the queue holds %d messages at the end (%v)", n, err)
	}
	if n, err := q.Unfinished(ctx); err != nil || n != 0 {
		return fmt.Errorf("%d tasks are unfinished at the end (%v)", n, err)
	}
	counts := make([]string, len(got))
	for i, items := range got {
		counts[i] = fmt.Sprintf("consumer %d ate %d", i, len(items))
	}
	_, err = fmt.Fprintf(out, "%s: each of the %d items was delivered exactly once, in order\n", strings.Join(counts, ", "), cfg.items)
	return err
}

// checkDelivery checks that the consumers, which got the items of got,
// got each of the items 0 to n-1 exactly once, each consumer in
// increasing order.
func checkDelivery(got [][]int, n int) error {
	seen := make([]int, n) // consumer+1 that got each item
	for c, items := range got {
		for k, x := range items {
			switch {
			case x < 0 || x >= n:
				return fmt.Errorf("consumer %d got item %d, which was never made", c, x)
			case seen[x] != 0:
				return fmt.Errorf("item %d was delivered twice: to consumer %d and to consumer %d", x, seen[x]-1, c)
			case k > 0 && x < items[k-1]:
				return fmt.Errorf("consumer %d got item %d after item %d", c, x, items[k-1])
			}
			seen[x] = c + 1
		}
	}
	for x, c := range seen {
		if c == 0 {
			return fmt.Errorf("item %d was never delivered", x)
		}
	}
	return nil
}

// withQueue opens the queue of r in a child and runs f on it, typed: items
// are *int in JSON, and nil is the sentinel.
func withQueue[R any](ctx context.Context, r role, f func(context.Context, role, *shm.Queue, *latchkey.QueueOf[*int]) (R, error)) (R, error) {
	var zero R
	m, err := shm.NewManager(&shm.Config{Dir: r.Dir})
	if err != nil {
		return zero, err
	}
	defer m.Close()
	q, err := m.OpenQueue(ctx, r.Queue, queueOptions)
	if err != nil {
		return zero, err
	}
	return f(ctx, r, q, latchkey.NewQueueOf[*int](q, nil))
}

// produce is the producer: it puts the items, waits until the consumers
// have marked every one done, and ends them.
func produce(ctx context.Context, r role, q *shm.Queue, items *latchkey.QueueOf[*int]) ([]int, error) {
	var made []int
	for i := range r.Items {
		if _, err := fmt.Printf("producer: made item %d\n", i); err != nil {
			return made, err
		}
		if err := items.Put(ctx, &i); err != nil { // q.put(i)
			return made, err
		}
		made = append(made, i)
		if err := children.Pause(ctx, r.Delay); err != nil {
			return made, err
		}
	}
	if err := q.Join(ctx); err != nil { // q.join(): every item marked done
		return made, err
	}
	if _, err := fmt.Println("producer: every item was eaten"); err != nil {
		return made, err
	}
	if !r.Sentinel {
		_, err := fmt.Println("producer: shutting the queue down")
		return made, errors.Join(err, q.Shutdown(ctx, false)) // q.shutdown()
	}
	for range r.Consumers {
		if err := items.Put(ctx, nil); err != nil { // q.put(None)
			return made, err
		}
	}
	_, err := fmt.Printf("producer: put %d sentinels\n", r.Consumers)
	return made, err
}

// consume is a consumer: it gets items and marks each done, until the
// queue is shut down or it gets a sentinel.
func consume(ctx context.Context, r role, q *shm.Queue, items *latchkey.QueueOf[*int]) ([]int, error) {
	var got []int
	for {
		x, err := items.Get(ctx)
		switch {
		case errors.Is(err, latchkey.ErrShutDown):
			_, err := fmt.Printf("consumer %d: the queue is shut down\n", r.Consumer)
			return got, err
		case err != nil:
			return got, err
		case x == nil: // the sentinel
			_, err := fmt.Printf("consumer %d: got the sentinel\n", r.Consumer)
			return got, errors.Join(err, q.TaskDone(ctx))
		}
		if _, err := fmt.Printf("consumer %d: ate item %d\n", r.Consumer, *x); err != nil {
			return got, err
		}
		got = append(got, *x)
		if err := q.TaskDone(ctx); err != nil { // q.task_done()
			return got, err
		}
	}
}
