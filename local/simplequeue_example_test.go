package local_test

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/local"
)

// A producer goroutine feeds a consumer through a SimpleQueue; items
// arrive in the order they were put.
func ExampleSimpleQueue() {
	ctx := context.Background()
	var q local.SimpleQueue // the zero value is ready to use

	go func() {
		for _, s := range []string{"one", "two", "three", "done"} {
			q.Put(ctx, []byte(s)) // never blocks
		}
	}()
	for {
		v, err := q.Get(ctx) // blocks until an item comes
		if err != nil || string(v) == "done" {
			break
		}
		fmt.Println(string(v))
	}
	// Output:
	// one
	// two
	// three
}
