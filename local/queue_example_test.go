package local_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// A pool of workers takes jobs from a queue and marks each one done; Join
// waits until every job put has been done, and Shutdown stops the workers.
func ExampleQueue() {
	ctx := context.Background()
	var jobs local.Queue // the zero value is an unbounded FIFO queue

	var (
		mu      sync.Mutex
		results []string
		workers sync.WaitGroup
	)
	for range 3 {
		workers.Go(func() {
			for {
				job, err := jobs.Get(ctx)
				if err != nil { // latchkey.ErrShutDown once drained
					return
				}
				mu.Lock()
				results = append(results, strings.ToUpper(string(job)))
				mu.Unlock()
				jobs.TaskDone(ctx)
			}
		})
	}

	for _, job := range []string{"alpha", "beta", "gamma", "delta"} {
		if err := jobs.Put(ctx, []byte(job)); err != nil {
			fmt.Println(err)
		}
	}
	if err := jobs.Join(ctx); err != nil { // every job is done
		fmt.Println(err)
	}
	mu.Lock()
	slices.Sort(results)
	fmt.Println(results)
	mu.Unlock()

	jobs.Shutdown(ctx, false)
	workers.Wait()
	// Output:
	// [ALPHA BETA DELTA GAMMA]
}

// A priority queue of typed values: PriorityCodec encodes the priority so
// that byte order is priority order, lowest first.
func ExampleNewQueue() {
	ctx := context.Background()
	q, err := local.NewQueue(latchkey.QueueOptions{Order: latchkey.Priority})
	if err != nil {
		fmt.Println(err)
		return
	}
	tasks := latchkey.NewQueueOf(q, latchkey.PriorityCodec[string](nil))
	for _, t := range []latchkey.Prioritized[string]{
		{Priority: 3, Value: "write the report"},
		{Priority: 1, Value: "fix the outage"},
		{Priority: -5, Value: "page the on-call"},
		{Priority: 2, Value: "review the change"},
	} {
		if err := tasks.Put(ctx, t); err != nil {
			fmt.Println(err)
		}
	}
	for {
		t, err := tasks.TryGet(ctx)
		if errors.Is(err, latchkey.ErrEmpty) {
			break
		}
		fmt.Println(t.Priority, t.Value)
	}
	// Output:
	// -5 page the on-call
	// 1 fix the outage
	// 2 review the change
	// 3 write the report
}

// After Shutdown, Puts fail and Gets drain the items left before failing;
// an immediate Shutdown discards the items and counts them done.
func ExampleQueue_Shutdown() {
	ctx := context.Background()
	q, _ := local.NewQueue(latchkey.QueueOptions{MaxSize: 3})
	q.Put(ctx, []byte("a"))
	q.Put(ctx, []byte("b"))

	q.Shutdown(ctx, false)
	fmt.Println("put:", q.Put(ctx, []byte("c")))
	for {
		v, err := q.Get(ctx)
		if err != nil {
			fmt.Println("get:", err)
			break
		}
		fmt.Println("get:", string(v))
	}

	var r local.Queue
	r.Put(ctx, []byte("x"))
	r.Put(ctx, []byte("y"))
	r.Shutdown(ctx, true)
	n, _ := r.Unfinished(ctx)
	fmt.Println("unfinished after immediate shutdown:", n)
	_, err := r.Get(ctx)
	fmt.Println("get:", err)
	// Output:
	// put: latchkey: queue is shut down
	// get: a
	// get: b
	// get: latchkey: queue is shut down
	// unfinished after immediate shutdown: 0
	// get: latchkey: queue is shut down
}
