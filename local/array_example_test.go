package local_test

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/local"
)

// ExampleNewArray creates a zero-filled array, assigns a slice of it, and
// computes prefix sums in place, as CPython's test_array does.
func ExampleNewArray() {
	ctx := context.Background()
	a, err := local.NewArray[int64](6)
	if err != nil {
		fmt.Println(err)
		return
	}
	zeros, _ := a.LoadRange(ctx, 0, a.Len())
	fmt.Println(zeros)

	_ = a.StoreRange(ctx, 1, []int64{1, 2, 3, 4}) // a[1:5] = [1, 2, 3, 4]
	for i := 1; i < a.Len(); i++ {
		prev, _ := a.Load(ctx, i-1)
		_, _ = a.Add(ctx, i, prev)
	}
	sums, _ := a.LoadRange(ctx, 0, a.Len())
	fmt.Println(sums)
	// Output:
	// [0 0 0 0 0 0]
	// [0 1 3 6 10 10]
}
