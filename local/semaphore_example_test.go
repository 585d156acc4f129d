package local_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// A semaphore bounds how many goroutines work at once.
func ExampleSemaphore() {
	ctx := context.Background()
	sem, err := local.NewSemaphore(2)
	if err != nil {
		panic(err)
	}
	squares := make([]int, 5)
	var wg sync.WaitGroup
	for i := range squares {
		wg.Go(func() {
			if _, err := sem.Acquire(ctx); err != nil {
				return
			}
			defer sem.Release(ctx, 1)
			squares[i] = i * i // at most two goroutines are here at a time
		})
	}
	wg.Wait()
	fmt.Println(squares)

	// TryAcquire never waits, and each permit carries a growing fence.
	f1, _ := sem.TryAcquire(ctx)
	f2, _ := sem.TryAcquire(ctx)
	_, err = sem.TryAcquire(ctx)
	fmt.Println(f2 > f1, errors.Is(err, latchkey.ErrNoPermit))
	// Output:
	// [0 1 4 9 16]
	// true true
}

// A bounded semaphore refuses to be released past its initial value and
// is left unchanged.
func ExampleNewBoundedSemaphore() {
	ctx := context.Background()
	sem, err := local.NewBoundedSemaphore(2)
	if err != nil {
		panic(err)
	}
	if _, err := sem.Acquire(ctx); err != nil {
		panic(err)
	}
	err = sem.Release(ctx, 2) // one permit is out, not two
	fmt.Println(errors.Is(err, latchkey.ErrOverRelease))
	v, _ := sem.Value(ctx)
	fmt.Println("value:", v)
	fmt.Println(sem.Release(ctx, 1))
	v, _ = sem.Value(ctx)
	fmt.Printf("value: %d/%d\n", v, sem.Initial())
	// Output:
	// true
	// value: 1
	// <nil>
	// value: 2/2
}
