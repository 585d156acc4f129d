package manager_test

import (
	"context"
	"fmt"

	"github.com/latchkey/latchkey/manager"
)

// Start a manager and share a dict; a child process started with
// m.Env() would reach the same dict with manager.Connect.
func ExampleStart() {
	ctx := context.Background()
	m, err := manager.Start(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	d, _ := m.Dict(ctx, "results")
	d.Store(ctx, "job-1", []byte("done"))
	v, ok, _ := d.Load(ctx, "job-1")
	fmt.Println(string(v), ok)
	// Output: done true
}
