package proc_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/proc"
)

// The functions of the examples, registered during initialization so that
// the children (this test binary, started again) know them too.
var (
	// overTask is the seed's pool task: it returns "over".
	overTask = proc.Register("example.over", func(ctx context.Context, _ struct{}) (string, error) {
		return "over", nil
	})
	// upper answers each message of its inherited Conn with the message in
	// upper case, until end of file.
	upper = proc.Register("example.upper", func(ctx context.Context, _ struct{}) (int, error) {
		c, err := proc.InheritedConn(0)
		if err != nil {
			return 0, err
		}
		conn := proc.NewConnOf[string](c, nil)
		n := 0
		for {
			s, err := conn.Recv(ctx)
			if err != nil {
				return n, nil // io.EOF: the parent is done
			}
			if err := conn.Send(ctx, strings.ToUpper(s)); err != nil {
				return n, err
			}
			n++
		}
	})
	cube = proc.Register("example.cube", func(ctx context.Context, x int) (int, error) {
		return x * x * x, nil
	})
)

// ExampleProcess runs a function in a child process and reads its result
// and exit code, like Python's Process(target=f, args=(x,)).
func ExampleProcess() {
	ctx := context.Background()
	p := proc.NewProcess(cube, 3, nil)
	if err := p.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	p.Join(ctx)
	v, err := p.Result()
	code, _ := p.ExitCode()
	fmt.Println(v, err, code, p.Pid() != os.Getpid())
	// Output: 27 <nil> 0 true
}

// ExampleApplyAsync is the seed's Pool.apply_async with a callback: the
// callback runs in this process, on the pool's result goroutine, once the
// worker has returned "over".
func ExampleApplyAsync() {
	ctx := context.Background()
	pool, err := proc.NewPool(ctx, 3, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := proc.ApplyAsync(pool, overTask, struct{}{}, func(s string) {
		fmt.Println("callback:", s)
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	r.Wait(ctx) // Python's time.sleep(5): here, wait for the result itself
	fmt.Println("main process")
	pool.Close()
	pool.Join(ctx)
	// Output:
	// callback: over
	// main process
}

// ExampleMap squares a list on a pool, then streams cubes with Imap.
func ExampleMap() {
	ctx := context.Background()
	pool, err := proc.NewPool(ctx, 2, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Join(ctx)
	defer pool.Close()
	sq, err := proc.Map(ctx, pool, square, []int{1, 2, 3, 4}, 0)
	fmt.Println(sq, err)
	for v, err := range proc.Imap(ctx, pool, cube, slices.Values([]int{1, 2, 3}), 1) {
		fmt.Println(v, err)
	}
	// Output:
	// [1 4 9 16] <nil>
	// 1 <nil>
	// 8 <nil>
	// 27 <nil>
}

// ExamplePipe hands one end of a pipe to a child process, which answers
// each message; closing this end ends the child's loop with io.EOF.
func ExamplePipe() {
	ctx := context.Background()
	mine, theirs, err := proc.Pipe(true)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := proc.NewProcess(upper, struct{}{}, &proc.ProcessConfig{Conns: []*proc.Conn{theirs}})
	if err := p.Start(ctx); err != nil { // moves theirs into the child
		fmt.Println(err)
		return
	}
	conn := proc.NewConnOf[string](mine, nil)
	for _, s := range []string{"hello", "pipe"} {
		conn.Send(ctx, s)
		reply, err := conn.Recv(ctx)
		fmt.Println(reply, err)
	}
	mine.Close()
	p.Join(ctx)
	fmt.Println(p.Result())
	// Output:
	// HELLO <nil>
	// PIPE <nil>
	// 2 <nil>
}
