package local_test

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/local"
)

// A producer and a consumer share a bounded buffer guarded by one lock,
// with a condition for "not full" and one for "not empty".
func ExampleCondition() {
	ctx := context.Background()
	var mu local.Lock
	notFull, _ := local.NewCondition(&mu)
	notEmpty, _ := local.NewCondition(&mu)
	var buf []int // guarded by mu
	const capacity, items = 2, 5

	done := make(chan struct{})
	go func() { // producer
		defer close(done)
		for i := 1; i <= items; i++ {
			notFull.Lock(ctx)
			notFull.WaitFor(ctx, func() bool { return len(buf) < capacity })
			buf = append(buf, i*i)
			notEmpty.Notify(ctx, 1)
			notFull.Unlock(ctx)
		}
	}()

	for range items { // consumer
		notEmpty.Lock(ctx)
		notEmpty.WaitFor(ctx, func() bool { return len(buf) > 0 })
		v := buf[0]
		buf = buf[1:]
		notFull.Notify(ctx, 1)
		notEmpty.Unlock(ctx)
		fmt.Println("got", v)
	}
	<-done
	// Output:
	// got 1
	// got 4
	// got 9
	// got 16
	// got 25
}
