//go:build linux

package shm_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

// Processes that open the same names in the same directory share the
// objects. Here one process plays both parts, with two Managers.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "shm-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	a, err := shm.NewManager(&shm.Config{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	b, err := shm.NewManager(&shm.Config{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	la, _ := a.OpenLock(ctx, "jobs")
	lb, _ := b.OpenLock(ctx, "jobs")
	fence, _ := la.Lock(ctx)
	_, err = lb.TryLock(ctx)
	fmt.Println("fence", fence, "then TryLock:", err)
	la.Unlock(ctx)

	hits, _ := shm.OpenValue[int64](ctx, a, "hits", nil)
	same, _ := shm.OpenValue[int64](ctx, b, "hits", nil)
	hits.Add(ctx, 2)
	n, _ := same.Add(ctx, 3)
	fmt.Println("hits:", n)

	_, err = b.OpenSemaphore(ctx, "hits", 1)
	fmt.Println(errors.Is(err, latchkey.ErrMismatch))
	// Output:
	// fence 1 then TryLock: latchkey: locked
	// hits: 5
	// true
}

// With a Value's lock held, every method of the Value waits, in every
// process; the holder uses Raw (Python's get_obj()).
func ExampleValue_GetLock() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "shm-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	m, err := shm.NewManager(&shm.Config{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	balance, _ := shm.OpenArray[int64](ctx, m, "balance", 2, nil)
	balance.StoreRange(ctx, 0, []int64{100, 0})

	// Move half of account 0 to account 1, as one step.
	l := balance.GetLock()
	l.Lock(ctx)
	raw := balance.Raw()
	x, _ := raw.Load(ctx, 0)
	raw.Store(ctx, 0, x-x/2)
	raw.Add(ctx, 1, x/2)
	l.Unlock(ctx)

	fmt.Println(balance.LoadRange(ctx, 0, 2))
	// Output: [50 50] <nil>
}

// exampleManagers returns two Managers on one new directory, as two
// processes would have, and a function that removes it.
func exampleManagers() (a, b *shm.Manager, done func()) {
	dir, err := os.MkdirTemp("", "shm-example")
	if err != nil {
		log.Fatal(err)
	}
	if a, err = shm.NewManager(&shm.Config{Dir: dir}); err != nil {
		log.Fatal(err)
	}
	if b, err = shm.NewManager(&shm.Config{Dir: dir}); err != nil {
		log.Fatal(err)
	}
	return a, b, func() {
		a.Close()
		b.Close()
		os.RemoveAll(dir)
	}
}

// A producer and a consumer, which would be two processes, share a queue
// of at most 8 messages of at most 256 bytes; Join waits for every job to
// be marked done.
func ExampleQueue() {
	ctx := context.Background()
	a, b, done := exampleManagers()
	defer done()
	opts := shm.QueueOptions{MaxSize: 8, MaxMessage: 256}
	jobs, _ := a.OpenQueue(ctx, "jobs", opts)
	worker, _ := b.OpenQueue(ctx, "jobs", opts)

	go func() {
		for {
			job, err := worker.Get(ctx)
			if err != nil {
				return // ErrShutDown
			}
			fmt.Printf("did %s\n", job)
			worker.TaskDone(ctx)
		}
	}()
	jobs.Put(ctx, []byte("job 1"))
	jobs.Put(ctx, []byte("job 2"))
	jobs.Join(ctx)
	jobs.Shutdown(ctx, false)
	n, _ := jobs.Unfinished(ctx)
	fmt.Println("unfinished:", n)
	// Output:
	// did job 1
	// did job 2
	// unfinished: 0
}

// A Set in one process wakes the waiters of every process.
func ExampleEvent() {
	ctx := context.Background()
	a, b, done := exampleManagers()
	defer done()
	ready, _ := a.OpenEvent(ctx, "ready")
	waiter, _ := b.OpenEvent(ctx, "ready")

	woke := make(chan error)
	go func() { woke <- waiter.Wait(ctx) }()
	ready.Set(ctx)
	fmt.Println("Wait:", <-woke)
	// Output: Wait: <nil>
}

// Three parties, which would be three processes, meet at a barrier; the
// last to arrive runs the action before any is released.
func ExampleBarrier() {
	ctx := context.Background()
	a, b, done := exampleManagers()
	defer done()
	action := &latchkey.BarrierOptions{Action: func() error {
		fmt.Println("all three arrived")
		return nil
	}}
	indices := make(chan int, 3)
	for _, m := range []*shm.Manager{a, b, b} {
		bar, err := m.OpenBarrier(ctx, "start", 3, action)
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			i, _ := bar.Wait(ctx)
			indices <- i
		}()
	}
	sum := <-indices + <-indices + <-indices
	fmt.Println("indices sum to", sum)
	// Output:
	// all three arrived
	// indices sum to 3
}

// Readers in two processes share an RWLock; a writer would wait for both.
func ExampleRWLock() {
	ctx := context.Background()
	a, b, done := exampleManagers()
	defer done()
	r1, _ := a.OpenRWLock(ctx, "config")
	r2, _ := b.OpenRWLock(ctx, "config")
	w, _ := b.OpenRWLock(ctx, "config")
	r1.RLock(ctx)
	r2.RLock(ctx)
	_, err := w.TryLock(ctx)
	fmt.Println("readers:", r1.Readers(), "writer's TryLock:", err)
	r1.RUnlock(ctx)
	r2.RUnlock(ctx)
	_, err = w.TryLock(ctx)
	fmt.Println("after the readers left:", err)
	w.Unlock(ctx)
	// Output:
	// readers: 2 writer's TryLock: latchkey: locked
	// after the readers left: <nil>
}

// A condition with a lock of its own: a consumer waits for a counter,
// kept in a raw Value, to reach 3.
func ExampleCondition() {
	ctx := context.Background()
	a, b, done := exampleManagers()
	defer done()
	cond, _ := a.OpenCondition(ctx, "count-changed", nil)
	count, _ := shm.OpenValue[int64](ctx, a, "count", &shm.Options{Raw: true})

	other, _ := b.OpenCondition(ctx, "count-changed", nil)
	otherCount, _ := shm.OpenValue[int64](ctx, b, "count", &shm.Options{Raw: true})
	go func() {
		for range 3 {
			other.Lock(ctx)
			otherCount.Add(ctx, 1)
			other.NotifyAll(ctx)
			other.Unlock(ctx)
		}
	}()

	cond.Lock(ctx)
	cond.WaitFor(ctx, func() bool {
		n, _ := count.Load(ctx)
		return n == 3
	})
	n, _ := count.Load(ctx)
	cond.Unlock(ctx)
	fmt.Println("count:", n)
	// Output: count: 3
}
