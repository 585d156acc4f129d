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
