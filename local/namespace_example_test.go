package local_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// ExampleNamespace sets, reads and deletes attributes, and lists them
// sorted by name as Python's str(ns) does.
func ExampleNamespace() {
	ctx := context.Background()
	var ns local.Namespace
	_ = ns.Store(ctx, "name", []byte("Bob"))
	_ = ns.Store(ctx, "job", []byte("Builder"))
	_ = ns.Store(ctx, "age", []byte("42"))
	_ = ns.Delete(ctx, "age")

	if _, err := ns.Load(ctx, "age"); errors.Is(err, latchkey.ErrNotFound) {
		fmt.Println("age: not found")
	}
	all, _ := ns.All(ctx)
	for attr, v := range all {
		fmt.Printf("%s=%s\n", attr, v)
	}
	// Output:
	// age: not found
	// job=Builder
	// name=Bob
}
