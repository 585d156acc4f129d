// Command sharedvalue shows numbers in shared memory that a child process
// changes and its parent reads: an [shm.Value] and an [shm.Array], the
// counterparts of Python's multiprocessing.Value and Array.
//
// First it runs seed 004 (使用 Value和Array将数据存储在共享内存映射中):
// the parent creates num = Value('d', 0.0) and arr = Array('i', range(10)),
// a child process sets num to 3.1415927 and negates every element of arr,
// and the parent, after joining the child, prints what it sees:
//
//	num.value = 3.1415927
//	arr[:]    = [0 -1 -2 -3 -4 -5 -6 -7 -8 -9]
//
// Then it shows what the lock of a Value is for, as examples/counter does
// with goroutines: two child processes add 1 to a shared number n times
// each (100,000 by default), four ways:
//
//  1. a raw Value (Python's lock=False, RawValue) read with Load and
//     written with Store: "v.value += 1". Another process's increment that
//     lands between the Load and the Store is lost, and the total comes
//     out below 2n;
//  2. a Value with its lock (Python's default, lock=True), the same way:
//     the lock makes each Load and each Store atomic, not the two
//     together, so updates are still lost. This is the classic surprise
//     of multiprocessing.Value;
//  3. a Value with its lock, the increment done while holding GetLock and
//     through Raw: Python's "with v.get_lock(): v.value += 1". Exactly 2n;
//  4. a raw Value and its Add, one atomic instruction: exactly 2n, without
//     a lock.
//
// The children are this program started again (see [proc.Main]). They open
// the objects by name: the names hold the parent's pid, so that two runs
// do not share them, and the parent removes them at the end (Python's
// SharedMemory.unlink). The two counting children meet at an [shm.Barrier]
// before each count, so that they count at the same time rather than one
// after the other.
//
// Usage:
//
//	go run ./examples/sharedvalue [-n 100000]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/examples/internal/children"
	"github.com/latchkey/latchkey/proc"
	"github.com/latchkey/latchkey/shm"
)

func main() {
	proc.Main() // in a child: runs the requested function and exits
	n := flag.Int("n", 100_000, "increments per process")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, "", *n); err != nil {
		fmt.Fprintln(os.Stderr, "sharedvalue:", err)
		os.Exit(1)
	}
}

// workers is the number of processes incrementing the counter.
const workers = 2

// The ways the counting processes increment the counter.
const (
	rawLoadStore    = "raw Value, Load then Store"
	lockedLoadStore = "locked Value, Load then Store"
	lockedGetLock   = "locked Value, under GetLock"
	rawAdd          = "raw Value, Add"
)

// modes lists the ways in the order run shows them.
var modes = []string{rawLoadStore, lockedLoadStore, lockedGetLock, rawAdd}

// seedArgs is the argument of seedChild: where the objects are.
type seedArgs struct {
	Dir string `json:"dir"` // the shm directory ("" is /dev/shm)
	Num string `json:"num"` // the float64 Value's name
	Arr string `json:"arr"` // the int32 Array's name
}

// seedChild is the seed's f(n, a), run in a child process: it sets n to
// 3.1415927 and negates every element of a.
var seedChild = proc.Register("sharedvalue.seed", func(ctx context.Context, args seedArgs) (struct{}, error) {
	m, err := shm.NewManager(&shm.Config{Dir: args.Dir})
	if err != nil {
		return struct{}{}, err
	}
	defer m.Close()
	num, err := shm.OpenValue[float64](ctx, m, args.Num, nil)
	if err != nil {
		return struct{}{}, err
	}
	arr, err := shm.OpenArray[int32](ctx, m, args.Arr, 10, nil)
	if err != nil {
		return struct{}{}, err
	}
	if err := num.Store(ctx, 3.1415927); err != nil { // n.value = 3.1415927
		return struct{}{}, err
	}
	for i := range arr.Len() { // a[i] = -a[i]
		x, err := arr.Load(ctx, i)
		if err != nil {
			return struct{}{}, err
		}
		if err := arr.Store(ctx, i, -x); err != nil {
			return struct{}{}, err
		}
	}
	return struct{}{}, nil
})

// countArgs is the argument of countChild.
type countArgs struct {
	Dir     string `json:"dir"`     // the shm directory ("" is /dev/shm)
	Value   string `json:"value"`   // the counter's name
	Barrier string `json:"barrier"` // the starting line's name
	Mode    string `json:"mode"`    // one of modes
	N       int    `json:"n"`       // increments
}

// countChild runs in a child process: it waits at the barrier for the
// other counting process, then increments the counter N times in the way
// Mode says.
var countChild = proc.Register("sharedvalue.count", func(ctx context.Context, args countArgs) (struct{}, error) {
	return struct{}{}, count(ctx, args)
})

// run shows the seed's Value and Array, then counts with two processes n
// times each in the four ways of the package doc, printing to w. dir is
// the directory of the shared-memory objects ("" is /dev/shm); run removes
// the objects it creates.
func run(ctx context.Context, w io.Writer, dir string, n int) (err error) {
	if n < 0 {
		return fmt.Errorf("negative increment count %d", n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := shm.NewManager(&shm.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer m.Close()
	var created []string // names to remove at the end (if they were created)
	defer func() {
		for _, name := range created {
			if rerr := m.Remove(name); !errors.Is(rerr, latchkey.ErrNotFound) {
				err = errors.Join(err, rerr)
			}
		}
	}()
	name := func(what string) string {
		s := fmt.Sprintf("sharedvalue-%d-%s", os.Getpid(), what)
		created = append(created, s)
		return s
	}

	num, arr, err := seed(ctx, m, seedArgs{Dir: dir, Num: name("num"), Arr: name("arr")})
	if err != nil {
		return fmt.Errorf("seed 004: %w", err)
	}
	if _, err := fmt.Fprintf(w, "num.value = %v\narr[:]    = %v\n", num, arr); err != nil {
		return err
	}

	want := int64(workers * n)
	if _, err := fmt.Fprintf(w, "\n%d processes add 1 to a shared number %d times each (%d in all):\n", workers, n, want); err != nil {
		return err
	}
	// The counting processes' starting line, one cycle per count.
	barrier := name("start")
	if _, err := m.OpenBarrier(ctx, barrier, workers, nil); err != nil {
		return err
	}
	for i, mode := range modes {
		args := countArgs{Dir: dir, Value: name(fmt.Sprintf("counter%d", i)), Barrier: barrier, Mode: mode, N: n}
		total, err := countWith(ctx, m, args)
		if err != nil {
			return fmt.Errorf("%s: %w", mode, err)
		}
		line := fmt.Sprintf("%-31s %d", mode+":", total)
		if mode == rawLoadStore || mode == lockedLoadStore {
			line += fmt.Sprintf(" (%d updates lost)", want-total)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// seed creates the seed's Value and Array, lets a child process change
// them, and returns what the parent reads afterwards.
func seed(ctx context.Context, m *shm.Manager, args seedArgs) (float64, []int32, error) {
	num, err := shm.OpenValue[float64](ctx, m, args.Num, nil) // Value('d', 0.0)
	if err != nil {
		return 0, nil, err
	}
	arr, err := shm.OpenArray[int32](ctx, m, args.Arr, 10, nil) // Array('i', range(10))
	if err != nil {
		return 0, nil, err
	}
	if err := arr.StoreRange(ctx, 0, []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}); err != nil {
		return 0, nil, err
	}
	p := proc.NewProcess(seedChild, args, &proc.ProcessConfig{Daemon: true})
	if err := children.StartAll(ctx, p); err != nil {
		return 0, nil, err
	}
	if err := children.JoinAll(ctx, p); err != nil {
		return 0, nil, err
	}
	x, err := num.Load(ctx) // num.value
	if err != nil {
		return 0, nil, err
	}
	xs, err := arr.LoadRange(ctx, 0, arr.Len()) // arr[:]
	return x, xs, err
}

// countWith creates the counter args.Value as args.Mode needs it, runs the
// counting processes, and returns the counter's final value.
func countWith(ctx context.Context, m *shm.Manager, args countArgs) (int64, error) {
	v, err := shm.OpenValue[int64](ctx, m, args.Value, options(args.Mode))
	if err != nil {
		return 0, err
	}
	ps := make([]*proc.Process[countArgs, struct{}], workers)
	for i := range ps {
		ps[i] = proc.NewProcess(countChild, args, &proc.ProcessConfig{Daemon: true})
	}
	if err := children.StartAll(ctx, ps...); err != nil {
		return 0, err
	}
	if err := children.JoinAll(ctx, ps...); err != nil {
		return 0, err
	}
	return v.Load(ctx)
}

// options returns how the counter of mode is synchronized: raw (Python's
// lock=False) or with its attached lock (nil, Python's lock=True).
func options(mode string) *shm.Options {
	if mode == rawLoadStore || mode == rawAdd {
		return &shm.Options{Raw: true}
	}
	return nil
}

// count is what each counting process does.
func count(ctx context.Context, args countArgs) error {
	if !slices.Contains(modes, args.Mode) {
		return fmt.Errorf("unknown mode %q: %w", args.Mode, latchkey.ErrInvalid)
	}
	m, err := shm.NewManager(&shm.Config{Dir: args.Dir})
	if err != nil {
		return err
	}
	defer m.Close()
	v, err := shm.OpenValue[int64](ctx, m, args.Value, options(args.Mode))
	if err != nil {
		return err
	}
	start, err := m.OpenBarrier(ctx, args.Barrier, workers, nil)
	if err != nil {
		return err
	}
	if _, err := start.Wait(ctx); err != nil {
		return err
	}
	switch args.Mode {
	case rawLoadStore, lockedLoadStore:
		return loadStore(ctx, v, args.N)
	case lockedGetLock:
		return underLock(ctx, v, args.N)
	default: // rawAdd
		for range args.N {
			if _, err := v.Add(ctx, 1); err != nil {
				return err
			}
		}
		return nil
	}
}

// loadStore is Python's "v.value += 1": a read, then a separate write.
// With the Value's lock, each of them takes the lock, but nothing holds it
// from the read to the write.
//
// The runtime.Gosched between the two stands for the thread switch that
// Python may make there. It widens the window between the load and the
// store, so that updates are lost even when the two processes do not run
// at the same moment (one core, or a busy machine): an increment is lost
// whenever the OS switches processes inside the window.
func loadStore(ctx context.Context, v *shm.Value[int64], n int) error {
	for range n {
		x, err := v.Load(ctx)
		if err != nil {
			return err
		}
		runtime.Gosched() // Python may switch here
		if err := v.Store(ctx, x+1); err != nil {
			return err
		}
	}
	return nil
}

// underLock is Python's "with v.get_lock(): v.value += 1". The methods of
// a Value with its lock take that lock, so code that holds it uses Raw
// (Python's get_obj()) to read and write the number. The window of
// loadStore is still there, but no other process can enter it.
func underLock(ctx context.Context, v *shm.Value[int64], n int) error {
	l, raw := v.GetLock(), v.Raw()
	for range n {
		err := latchkey.With(ctx, l, func(latchkey.Fence) error {
			x, err := raw.Load(ctx)
			if err != nil {
				return err
			}
			runtime.Gosched()
			return raw.Store(ctx, x+1)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
