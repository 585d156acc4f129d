package local_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/latchkey/latchkey/local"
)

// An event releases every waiting goroutine at once.
func ExampleEvent() {
	ctx := context.Background()
	var start local.Event // the zero Event is clear
	var wg sync.WaitGroup
	results := make([]string, 3)
	for i := range results {
		wg.Go(func() {
			if err := start.Wait(ctx); err != nil {
				return
			}
			results[i] = fmt.Sprintf("worker %d started", i)
		})
	}
	_ = start.Set(ctx)
	wg.Wait()
	for _, r := range results {
		fmt.Println(r)
	}

	// A Wait on a clear event ends with its ctx (Python's timeout).
	_ = start.Clear(ctx)
	tctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	fmt.Println(start.Wait(tctx))
	// Output:
	// worker 0 started
	// worker 1 started
	// worker 2 started
	// context deadline exceeded
}
