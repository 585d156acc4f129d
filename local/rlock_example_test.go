package local_test

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/local"
)

func ExampleRLock() {
	ctx := context.Background()
	var r local.RLock // r is an owner handle on a new lock

	// A recursive function may lock again what it already holds.
	var walk func(depth int)
	walk = func(depth int) {
		fence, err := r.Lock(ctx)
		if err != nil {
			return
		}
		defer r.Unlock(ctx)
		n, _ := r.Count(ctx)
		fmt.Printf("depth %d: count %d, fence %d\n", depth, n, fence)
		if depth < 3 {
			walk(depth + 1)
		}
	}
	walk(1)

	// Another handle is another owner.
	other := r.Handle()
	r.Lock(ctx)
	_, err := other.TryLock(ctx)
	fmt.Println("other TryLock:", err)
	fmt.Println("other Unlock:", other.Unlock(ctx))
	r.Unlock(ctx)
	fence, _ := other.TryLock(ctx)
	fmt.Println("other got fence", fence)
	other.Unlock(ctx)
	// Output:
	// depth 1: count 1, fence 1
	// depth 2: count 2, fence 1
	// depth 3: count 3, fence 1
	// other TryLock: latchkey: locked
	// other Unlock: latchkey: lock not owned by this handle
	// other got fence 3
}
