package local_test

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// ExampleDict keeps typed values in a Dict through latchkey.NewDictOf,
// which encodes them as JSON. Like a Python dict, the Dict remembers
// insertion order.
func ExampleDict() {
	ctx := context.Background()
	type stock struct {
		Item  string
		Count int
	}
	var d local.Dict
	supplies := latchkey.NewDictOf[stock](&d, nil)
	_ = supplies.Store(ctx, "b", stock{"bandages", 10})
	_ = supplies.Store(ctx, "a", stock{"aspirin", 3})
	_ = supplies.Store(ctx, "b", stock{"bandages", 9}) // keeps its place

	s, ok, _ := supplies.Load(ctx, "a")
	fmt.Println(s.Item, s.Count, ok)

	all, _ := supplies.All(ctx)
	for k, s := range all {
		fmt.Println(k, s.Item, s.Count)
	}

	// The byte-level Dict has Python's popitem: the newest entry first.
	e, _ := d.PopItem(ctx)
	fmt.Println(e.Key, string(e.Value))
	// Output:
	// aspirin 3 true
	// b bandages 9
	// a aspirin 3
	// a {"Item":"aspirin","Count":3}
}
