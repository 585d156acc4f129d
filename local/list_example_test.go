package local_test

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/local"
)

// ExampleList uses a List with Python's indexing rules.
func ExampleList() {
	ctx := context.Background()
	var l local.List
	_ = l.Append(ctx, []byte("pear"), []byte("apple"), []byte("fig"))
	_ = l.Insert(ctx, -1, []byte("kiwi")) // before the last element

	last, _ := l.Get(ctx, -1)
	fmt.Println("last:", string(last))

	middle, _ := l.Slice(ctx, 1, -1) // l[1:-1]
	fmt.Printf("l[1:-1]: %q\n", middle)

	_ = l.Sort(ctx)
	first, _ := l.Pop(ctx, 0)
	fmt.Println("popped:", string(first))

	all, _ := l.All(ctx)
	for i, v := range all {
		fmt.Println(i, string(v))
	}
	// Output:
	// last: fig
	// l[1:-1]: ["apple" "kiwi"]
	// popped: apple
	// 0 fig
	// 1 kiwi
	// 2 pear
}
