package local_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

func ExampleLock() {
	ctx := context.Background()
	var mu local.Lock // the zero value is an unlocked lock
	total := 0
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := mu.Lock(ctx); err != nil {
				return
			}
			defer mu.Unlock(ctx)
			total++
		})
	}
	wg.Wait()
	fmt.Println("total:", total)

	fence, _ := mu.TryLock(ctx) // the 11th grant
	fmt.Println("fence:", fence)
	_, err := mu.TryLock(ctx)
	fmt.Println("second TryLock is ErrLocked:", errors.Is(err, latchkey.ErrLocked))
	fmt.Println("unlock:", mu.Unlock(ctx))
	fmt.Println("unlock again:", mu.Unlock(ctx))
	// Output:
	// total: 10
	// fence: 11
	// second TryLock is ErrLocked: true
	// unlock: <nil>
	// unlock again: latchkey: lock not held
}

func ExampleLock_Locker() {
	var mu local.Lock
	cond := sync.NewCond(mu.Locker()) // in-process code that wants a sync.Locker
	ready := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		cond.L.Lock()
		for !ready {
			cond.Wait()
		}
		cond.L.Unlock()
		fmt.Println("ready")
	}()
	cond.L.Lock()
	ready = true
	cond.Broadcast()
	cond.L.Unlock()
	<-done
	// Output: ready
}
