package local_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/latchkey/latchkey/local"
)

func ExampleRWLock() {
	ctx := context.Background()
	var rw local.RWLock
	config := map[string]string{"mode": "fast"} // guarded by rw

	// Readers share the lock; each goroutine uses its own handle.
	var wg sync.WaitGroup
	reads := make(chan string, 3)
	for range 3 {
		h := rw.Handle()
		wg.Go(func() {
			if _, err := h.RLock(ctx); err != nil {
				return
			}
			defer h.RUnlock(ctx)
			reads <- config["mode"]
		})
	}
	wg.Wait()
	close(reads)
	for mode := range reads {
		fmt.Println("read", mode)
	}

	// A writer is alone.
	w := rw.Handle()
	if _, err := w.Lock(ctx); err != nil {
		return
	}
	config["mode"] = "safe"
	_, err := rw.TryRLock(ctx)
	fmt.Println("TryRLock while writing:", err)
	fmt.Println("Unlock by a handle without the write hold:", rw.Unlock(ctx))
	w.Unlock(ctx)

	fence, _ := rw.RLock(ctx)
	fmt.Println("read", config["mode"], "with fence", fence)
	rw.RUnlock(ctx)
	// Output:
	// read fast
	// read fast
	// read fast
	// TryRLock while writing: latchkey: locked
	// Unlock by a handle without the write hold: latchkey: lock not held
	// read safe with fence 5
}
