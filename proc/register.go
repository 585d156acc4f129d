package proc

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/latchkey/latchkey"
)

// entry is a registered function with its argument and result decoded and
// encoded, as a child runs it.
type entry struct {
	// run decodes arg, calls the function, and appends the encoded result
	// to dst; on error, what it returns in place of dst is garbage.
	run func(ctx context.Context, arg, dst []byte) ([]byte, error)
}

var (
	regMu    sync.RWMutex
	registry = map[string]*entry{} // guarded by regMu

	// mainCalled is set by Main. A Func registered after it is late: a
	// child, which runs Main before it could register it, cannot see it.
	mainCalled atomic.Bool
)

func lookup(name string) *entry {
	regMu.RLock()
	defer regMu.RUnlock()
	return registry[name]
}

// Func is a function registered with [Register]: a name that every process
// started from this binary resolves to the same code, with its argument
// and result codecs. Pass it to [NewProcess] or a [Pool]'s functions
// ([Apply], [Map], ...) to run the function in another process. A Func is
// a small value, safe to copy and to use from several goroutines; its zero
// value is not registered.
type Func[A, R any] struct {
	name string
	argc wireCodec[A]
	resc wireCodec[R]
	late bool // registered after Main ran
}

// Name returns the name the function was registered under.
func (f Func[A, R]) Name() string { return f.name }

// check reports why f cannot be run in a child, if it cannot.
func (f Func[A, R]) check() error {
	switch {
	case f.name == "":
		return fmt.Errorf("%w: the zero Func (use proc.Register)", ErrNotRegistered)
	case f.late:
		return fmt.Errorf("%w: %q was registered after proc.Main ran, so a child process cannot see it; register functions in package-level variables or init functions", ErrNotRegistered, f.name)
	case !mainCalled.Load():
		return fmt.Errorf("%w: call proc.Main first thing in main (or TestMain) before starting processes; without it a child would run this program's main again", ErrNoMain)
	}
	return nil
}

// Register registers fn under name, with [latchkey.JSON] codecs for its
// argument and result, and returns the handle to run it in other processes.
// JSON of a bool, an integer, a float, a string or a [Pair] of them is
// written and read by hand, byte for byte as encoding/json does, without
// reflection.
//
// Go cannot send a closure to another process, so a child finds the
// function by name: it is the same binary, started again, and its
// registry is filled by the same package initialization. Register must
// therefore run during initialization (in a package-level variable or an
// init function), before [Main]; a Func registered later is refused by
// the functions that would start it, with [ErrNotRegistered].
//
//	var square = proc.Register("square", func(ctx context.Context, x int) (int, error) {
//		return x * x, nil
//	})
//
// fn receives a ctx that is cancelled when the parent cancels the task
// (a cancelled [Apply] or [Map], an abandoned [Imap]) or goes away. An
// error fn returns reaches the parent as a [*RemoteError]; a panic is
// recovered and reaches it as one that matches [ErrPanic].
//
// Like http.Handle, Register panics on an empty name, a nil fn, or a name
// registered twice: these are programming errors found at start-up, not
// runtime conditions.
func Register[A, R any](name string, fn func(ctx context.Context, arg A) (R, error)) Func[A, R] {
	return RegisterCodec(name, fn, nil, nil)
}

// RegisterCodec is [Register] with the codecs for the argument and the
// result; a nil codec means [latchkey.JSON].
func RegisterCodec[A, R any](name string, fn func(ctx context.Context, arg A) (R, error), argCodec latchkey.Codec[A], resultCodec latchkey.Codec[R]) Func[A, R] {
	if name == "" || fn == nil {
		panic("proc: Register with an empty name or a nil function")
	}
	if argCodec == nil {
		argCodec = latchkey.JSON[A]{}
	}
	if resultCodec == nil {
		resultCodec = latchkey.JSON[R]{}
	}
	argc, resc := wireCodecOf(argCodec), wireCodecOf(resultCodec)
	e := &entry{run: func(ctx context.Context, b, dst []byte) ([]byte, error) {
		a, err := argc.decode(b)
		if err != nil {
			return nil, fmt.Errorf("proc: %s: decoding the argument: %w", name, err)
		}
		r, err := fn(ctx, a)
		if err != nil {
			return nil, err
		}
		if dst, err = resc.append(dst, r); err != nil {
			return nil, fmt.Errorf("proc: %s: encoding the result: %w", name, err)
		}
		return dst, nil
	}}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("proc: function %q registered twice", name))
	}
	registry[name] = e
	return Func[A, R]{name: name, argc: argc, resc: resc, late: mainCalled.Load()}
}

// Pair is the argument of a function of two arguments registered with
// [Register2], the Go form of the tuples that Python's starmap unpacks.
type Pair[A, B any] struct {
	First  A
	Second B
}

// Register2 registers a function of two arguments, for [Starmap]: it is
// [Register] of a function taking a [Pair].
func Register2[A, B, R any](name string, fn func(ctx context.Context, a A, b B) (R, error)) Func[Pair[A, B], R] {
	return Register(name, func(ctx context.Context, p Pair[A, B]) (R, error) {
		return fn(ctx, p.First, p.Second)
	})
}
