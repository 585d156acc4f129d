package local_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// Workers proceed in phases; the last to finish a phase runs the action
// before anyone starts the next one.
func ExampleBarrier() {
	ctx := context.Background()
	phase := 0
	b, err := local.NewBarrier(3, &latchkey.BarrierOptions{Action: func() error {
		phase++
		fmt.Println("phase", phase, "done")
		return nil
	}})
	if err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for range 2 {
				// ... this worker's share of the phase ...
				if _, err := b.Wait(ctx); err != nil {
					return
				}
			}
		})
	}
	wg.Wait()

	// Abort breaks the barrier until Reset.
	_ = b.Abort(ctx)
	_, err = b.Wait(ctx)
	fmt.Println(errors.Is(err, latchkey.ErrBrokenBarrier))
	_ = b.Reset(ctx)
	broken, _ := b.Broken(ctx)
	fmt.Println("broken:", broken)
	// Output:
	// phase 1 done
	// phase 2 done
	// true
	// broken: false
}
