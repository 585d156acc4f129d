package local_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/latchkey/latchkey/local"
)

// ExampleValue shares a counter between goroutines. Add is atomic, so no
// increment is lost, unlike Python's v.value += 1.
func ExampleValue() {
	ctx := context.Background()
	var hits local.Value[int64]
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				_, _ = hits.Add(ctx, 1)
			}
		})
	}
	wg.Wait()
	n, _ := hits.Load(ctx)
	fmt.Println("hits:", n)

	var temp local.Value[float64]
	_ = temp.Store(ctx, 20.5)
	swapped, _ := temp.CompareAndSwap(ctx, 20.5, 21)
	t, _ := temp.Load(ctx)
	fmt.Println("swapped:", swapped, "temp:", t)
	// Output:
	// hits: 4000
	// swapped: true temp: 21
}
