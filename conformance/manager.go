package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey"
)

// managerTests checks the Manager's naming rules: one object per name,
// whichever handle reaches it; one type and one set of parameters per
// name; valid names; Close.
var managerTests = []test{
	{"SameObject", "", mSameObject},
	{"TypeMismatch", "", mTypeMismatch},
	{"ParamMismatch", "", mParamMismatch},
	{"Names", "", mNames},
	{"InvalidNames", "", mInvalidNames},
	{"ConcurrentOpen", "", mConcurrentOpen},
	{"ConcurrentOpenTypes", "", mConcurrentOpenTypes},
	{"Close", "", mClose},
}

// mOpener opens an object of one kind.
type mOpener struct {
	kind string
	open func(ctx context.Context, m latchkey.Manager, name string) error
}

func mOpenErr[T any](_ T, err error) error { return err }

var mOpeners = []mOpener{
	{"Lock", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.Lock(ctx, n)) }},
	{"RLock", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.RLock(ctx, n)) }},
	{"RWLock", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.RWLock(ctx, n)) }},
	{"Semaphore", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.Semaphore(ctx, n, 1)) }},
	{"BoundedSemaphore", func(ctx context.Context, m latchkey.Manager, n string) error {
		return mOpenErr(m.BoundedSemaphore(ctx, n, 1))
	}},
	{"Condition", func(ctx context.Context, m latchkey.Manager, n string) error {
		return mOpenErr(m.Condition(ctx, n, nil))
	}},
	{"Event", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.Event(ctx, n)) }},
	{"Barrier", func(ctx context.Context, m latchkey.Manager, n string) error {
		return mOpenErr(m.Barrier(ctx, n, 2, nil))
	}},
	{"Queue", func(ctx context.Context, m latchkey.Manager, n string) error {
		return mOpenErr(m.Queue(ctx, n, latchkey.QueueOptions{}))
	}},
	{"SimpleQueue", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.SimpleQueue(ctx, n)) }},
	{"Dict", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.Dict(ctx, n)) }},
	{"List", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.List(ctx, n)) }},
	{"Namespace", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.Namespace(ctx, n)) }},
	{"Value", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.Value(ctx, n)) }},
	{"FloatValue", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.FloatValue(ctx, n)) }},
	{"Array", func(ctx context.Context, m latchkey.Manager, n string) error { return mOpenErr(m.Array(ctx, n, 2)) }},
	{"FloatArray", func(ctx context.Context, m latchkey.Manager, n string) error {
		return mOpenErr(m.FloatArray(ctx, n, 2))
	}},
}

// mOpen2 opens two handles with open and fails the test on error.
func mOpen2[T any](t testing.TB, what string, open func() (T, error)) (T, T) {
	t.Helper()
	a, err := open()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	b, err := open()
	if err != nil {
		t.Fatalf("%s again: %v", what, err)
	}
	return a, b
}

// mSameObject: every opener called twice with one name returns handles of
// one object: what one handle does, the other sees.
func mSameObject(t *testing.T, e *Env) {
	ctx := t.Context()
	m := e.M
	// Parts run in sequence (t.Run is not allowed in a synctest bubble).
	part := func(kind string, fn func()) {
		defer func() {
			if t.Failed() {
				t.Logf("(while checking %s)", kind)
			}
		}()
		fn()
	}
	part("Lock", func() {
		a, b := mOpen2(t, "Lock", func() (latchkey.Lock, error) { return m.Lock(ctx, "lock") })
		if _, err := a.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		if held, err := b.Locked(ctx); err != nil || !held {
			t.Fatalf("other handle: Locked = %v, %v", held, err)
		}
		_, err := b.TryLock(ctx)
		kvIs(t, err, latchkey.ErrLocked, "TryLock through the other handle")
		must(t, b.Unlock(ctx)) // a Lock has no owner
		if held, err := a.Locked(ctx); err != nil || held {
			t.Fatalf("Locked = %v, %v after the other handle unlocked", held, err)
		}
	})
	part("RLock", func() {
		a, b := mOpen2(t, "RLock", func() (latchkey.RLock, error) { return m.RLock(ctx, "rlock") })
		if _, err := a.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := b.TryLock(ctx)
		kvIs(t, err, latchkey.ErrLocked, "TryLock through the other handle")
		must(t, a.Unlock(ctx))
		if _, err := b.TryLock(ctx); err != nil {
			t.Fatalf("TryLock after Unlock: %v", err)
		}
		must(t, b.Unlock(ctx))
	})
	part("RWLock", func() {
		a, b := mOpen2(t, "RWLock", func() (latchkey.RWLock, error) { return m.RWLock(ctx, "rwlock") })
		if _, err := a.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := b.TryRLock(ctx)
		kvIs(t, err, latchkey.ErrLocked, "TryRLock through the other handle")
		must(t, a.Unlock(ctx))
		if _, err := b.TryRLock(ctx); err != nil {
			t.Fatalf("TryRLock after Unlock: %v", err)
		}
		_, err = a.TryLock(ctx)
		kvIs(t, err, latchkey.ErrLocked, "TryLock while the other handle reads")
		must(t, b.RUnlock(ctx))
	})
	for _, bounded := range []bool{false, true} {
		kind := map[bool]string{false: "Semaphore", true: "BoundedSemaphore"}[bounded]
		part(kind, func() {
			a, b := mOpen2(t, kind, func() (latchkey.Semaphore, error) {
				if bounded {
					return m.BoundedSemaphore(ctx, "bsem", 1)
				}
				return m.Semaphore(ctx, "sem", 1)
			})
			if _, err := a.TryAcquire(ctx); err != nil {
				t.Fatal(err)
			}
			if v, err := b.Value(ctx); err != nil || v != 0 {
				t.Fatalf("other handle: Value = %d, %v", v, err)
			}
			_, err := b.TryAcquire(ctx)
			kvIs(t, err, latchkey.ErrNoPermit, "TryAcquire through the other handle")
			must(t, b.Release(ctx, 1))
			if v, err := a.Value(ctx); err != nil || v != 1 {
				t.Fatalf("Value = %d, %v after the other handle released", v, err)
			}
		})
	}
	part("Condition", func() {
		a, b := mOpen2(t, "Condition", func() (latchkey.Condition, error) { return m.Condition(ctx, "cond", nil) })
		if _, err := a.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := b.TryLock(ctx)
		kvIs(t, err, latchkey.ErrLocked, "TryLock of the condition's own lock through the other handle")
		must(t, a.Unlock(ctx))
	})
	part("Event", func() {
		a, b := mOpen2(t, "Event", func() (latchkey.Event, error) { return m.Event(ctx, "event") })
		must(t, a.Set(ctx))
		if set, err := b.IsSet(ctx); err != nil || !set {
			t.Fatalf("other handle: IsSet = %v, %v", set, err)
		}
		must(t, b.Clear(ctx))
		if set, err := a.IsSet(ctx); err != nil || set {
			t.Fatalf("IsSet = %v, %v after the other handle cleared", set, err)
		}
	})
	part("Barrier", func() {
		a, b := mOpen2(t, "Barrier", func() (latchkey.Barrier, error) { return m.Barrier(ctx, "barrier", 2, nil) })
		if b.Parties() != 2 {
			t.Fatalf("Parties = %d", b.Parties())
		}
		must(t, a.Abort(ctx))
		if broken, err := b.Broken(ctx); err != nil || !broken {
			t.Fatalf("other handle: Broken = %v, %v", broken, err)
		}
		must(t, b.Reset(ctx))
		if broken, err := a.Broken(ctx); err != nil || broken {
			t.Fatalf("Broken = %v, %v after the other handle reset", broken, err)
		}
	})
	part("Queue", func() {
		opts := latchkey.QueueOptions{Order: latchkey.LIFO, MaxSize: 3}
		a, b := mOpen2(t, "Queue", func() (latchkey.Queue, error) { return m.Queue(ctx, "queue", opts) })
		must(t, a.Put(ctx, kvB("x")))
		qWantLen(t, b, 1)
		if got := qGet(t, e, b); got != "x" {
			t.Fatalf("other handle got %q", got)
		}
		qWantUnfinished(t, a, 1)
		must(t, b.TaskDone(ctx))
		qWantUnfinished(t, a, 0)
	})
	part("SimpleQueue", func() {
		a, b := mOpen2(t, "SimpleQueue", func() (latchkey.SimpleQueue, error) { return m.SimpleQueue(ctx, "squeue") })
		must(t, a.Put(ctx, kvB("x")))
		if got := qGet(t, e, b); got != "x" {
			t.Fatalf("other handle got %q", got)
		}
	})
	part("Dict", func() {
		a, b := mOpen2(t, "Dict", func() (latchkey.Dict, error) { return m.Dict(ctx, "dict") })
		dStore(t, a, "k", "v")
		dWant(t, b, "k", "v")
	})
	part("List", func() {
		a, b := mOpen2(t, "List", func() (latchkey.List, error) { return m.List(ctx, "list") })
		lAppend(t, a, "x")
		lWant(t, b, "x")
	})
	part("Namespace", func() {
		a, b := mOpen2(t, "Namespace", func() (latchkey.Namespace, error) { return m.Namespace(ctx, "ns") })
		must(t, a.Store(ctx, "x", kvB("1")))
		nWantLoad(t, b, "x", "1")
	})
	part("Value", func() {
		a, b := mOpen2(t, "Value", func() (latchkey.Value[int64], error) { return m.Value(ctx, "value") })
		must(t, a.Store(ctx, 42))
		vWant(t, b, 42)
	})
	part("FloatValue", func() {
		a, b := mOpen2(t, "FloatValue", func() (latchkey.Value[float64], error) { return m.FloatValue(ctx, "fvalue") })
		must(t, a.Store(ctx, 4.5))
		vWant(t, b, 4.5)
	})
	part("Array", func() {
		a, b := mOpen2(t, "Array", func() (latchkey.Array[int64], error) { return m.Array(ctx, "array", 2) })
		must(t, a.Store(ctx, 1, 7))
		aWant(t, b, 0, 7)
	})
	part("FloatArray", func() {
		a, b := mOpen2(t, "FloatArray", func() (latchkey.Array[float64], error) { return m.FloatArray(ctx, "farray", 2) })
		must(t, a.Store(ctx, 0, 0.5))
		aWant(t, b, 0.5, 0)
	})
}

// mTypeMismatch: a name used by one type, opened as any other type, is
// ErrMismatch, and the first object is unharmed. (Semaphore and
// BoundedSemaphore are not compared with each other: the contract does not
// say whether they are one type.)
func mTypeMismatch(t *testing.T, e *Env) {
	ctx := t.Context()
	sems := map[string]bool{"Semaphore": true, "BoundedSemaphore": true}
	for _, a := range mOpeners {
		for _, b := range mOpeners {
			if a.kind == b.kind || sems[a.kind] && sems[b.kind] {
				continue
			}
			n := a.kind + "-" + b.kind
			if err := a.open(ctx, e.M, n); err != nil {
				t.Fatalf("%s(%q): %v", a.kind, n, err)
			}
			err := b.open(ctx, e.M, n)
			if !errors.Is(err, latchkey.ErrMismatch) {
				t.Errorf("%s(%q) over a %s: err = %v, want ErrMismatch", b.kind, n, a.kind, err)
			}
			if err := a.open(ctx, e.M, n); err != nil {
				t.Errorf("%s(%q) again after the mismatch: %v", a.kind, n, err)
			}
		}
	}
}

// mParamMismatch: a semaphore of another size or a barrier of other
// parties is ErrMismatch (queue options and array lengths are checked in
// their groups).
func mParamMismatch(t *testing.T, e *Env) {
	ctx := t.Context()
	m := e.M
	cases := []struct {
		what        string
		first, then func() error
	}{
		{"Semaphore 2 then 3",
			func() error { return mOpenErr(m.Semaphore(ctx, "sem", 2)) },
			func() error { return mOpenErr(m.Semaphore(ctx, "sem", 3)) }},
		{"BoundedSemaphore 2 then 1",
			func() error { return mOpenErr(m.BoundedSemaphore(ctx, "bsem", 2)) },
			func() error { return mOpenErr(m.BoundedSemaphore(ctx, "bsem", 1)) }},
		{"Barrier 2 then 3",
			func() error { return mOpenErr(m.Barrier(ctx, "barrier", 2, nil)) },
			func() error { return mOpenErr(m.Barrier(ctx, "barrier", 3, nil)) }},
		{"Array 2 then 3",
			func() error { return mOpenErr(m.Array(ctx, "array", 2)) },
			func() error { return mOpenErr(m.Array(ctx, "array", 3)) }},
		{"Queue FIFO then LIFO",
			func() error { return mOpenErr(m.Queue(ctx, "queue", latchkey.QueueOptions{})) },
			func() error { return mOpenErr(m.Queue(ctx, "queue", latchkey.QueueOptions{Order: latchkey.LIFO})) }},
	}
	for _, c := range cases {
		must(t, c.first())
		kvIs(t, c.then(), latchkey.ErrMismatch, c.what)
		if err := c.first(); err != nil {
			t.Fatalf("%s: reopening with the first parameters: %v", c.what, err)
		}
	}
}

// mNames: any non-empty name of at most 255 bytes is valid, and names are
// compared as bytes.
func mNames(t *testing.T, e *Env) {
	ctx := t.Context()
	long := strings.Repeat("n", latchkey.MaxNameLen)
	for i, op := range mOpeners {
		for _, n := range []string{"x", long, "a/b c", "ключ", "x\x00y", "*", "."} {
			n := fmt.Sprintf("%02d", i) + n
			if len(n) > latchkey.MaxNameLen {
				n = n[:latchkey.MaxNameLen]
			}
			if err := latchkey.CheckName(n); err != nil {
				t.Fatalf("CheckName(%q): %v", n, err)
			}
			if err := op.open(ctx, e.M, n); err != nil {
				t.Errorf("%s(%q): %v", op.kind, n, err)
			}
		}
	}
	// Names are exact: case and trailing spaces make other objects.
	for i, n := range []string{"v", "V", "v ", " v"} {
		v := vOpen(t, e, n)
		must(t, v.Store(ctx, int64(i)))
	}
	for i, n := range []string{"v", "V", "v ", " v"} {
		vWant(t, vOpen(t, e, n), int64(i))
	}
}

// mInvalidNames: the empty name and a 256-byte name are ErrInvalid for
// every opener, as latchkey.CheckName says.
func mInvalidNames(t *testing.T, e *Env) {
	ctx := t.Context()
	for _, n := range []string{"", strings.Repeat("n", latchkey.MaxNameLen+1), strings.Repeat("ü", 128)} {
		if err := latchkey.CheckName(n); !errors.Is(err, latchkey.ErrInvalid) {
			t.Fatalf("CheckName(%d bytes) = %v", len(n), err)
		}
		for _, op := range mOpeners {
			if err := op.open(ctx, e.M, n); !errors.Is(err, latchkey.ErrInvalid) {
				t.Errorf("%s(name of %d bytes): err = %v, want ErrInvalid", op.kind, len(n), err)
			}
		}
	}
}

// mConcurrentOpen: goroutines opening one name at once all get handles of
// one object.
func mConcurrentOpen(t *testing.T, e *Env) {
	const n = 8
	ctx := t.Context()
	start := make(chan struct{})
	wait := kvGoN(t, n, func(int) {
		<-start
		v, err := e.M.Value(ctx, "v")
		if err != nil {
			t.Errorf("Value: %v", err)
			return
		}
		if _, err := v.Add(ctx, 1); err != nil {
			t.Errorf("Add: %v", err)
		}
		q, err := e.M.Queue(ctx, "q", latchkey.QueueOptions{MaxSize: n})
		if err != nil {
			t.Errorf("Queue: %v", err)
			return
		}
		if err := q.TryPut(ctx, kvB("x")); err != nil {
			t.Errorf("TryPut: %v", err)
		}
	})
	close(start)
	wait()
	vWant(t, vOpen(t, e, "v"), n)
	qWantLen(t, qOpen(t, e, "q", latchkey.QueueOptions{MaxSize: n}), n)
}

// mConcurrentOpenTypes: goroutines opening one name as different types at
// once: one type wins, every other opener gets ErrMismatch.
func mConcurrentOpenTypes(t *testing.T, e *Env) {
	ctx := t.Context()
	ops := []mOpener{mOpeners[10], mOpeners[11], mOpeners[12], mOpeners[13]} // Dict, List, Namespace, Value
	for round := range 4 {
		n := fmt.Sprintf("x-%d", round)
		start := make(chan struct{})
		errs := make([]error, 2*len(ops))
		wait := kvGoN(t, len(errs), func(i int) {
			<-start
			errs[i] = ops[(i+round)%len(ops)].open(ctx, e.M, n)
		})
		close(start)
		wait()
		winner := ""
		for i, err := range errs {
			kind := ops[(i+round)%len(ops)].kind
			switch {
			case err == nil && (winner == "" || winner == kind):
				winner = kind
			case err == nil:
				t.Fatalf("both %s and %s opened %q", winner, kind, n)
			case !errors.Is(err, latchkey.ErrMismatch):
				t.Fatalf("%s(%q): %v", kind, n, err)
			}
		}
		if winner == "" {
			t.Fatalf("no opener of %q succeeded", n)
		}
	}
}

// mClose: Close is idempotent, and opening after Close is ErrClosed. (The
// suite closes the manager once more when the test ends, and checks that
// this Close succeeds too.)
func mClose(t *testing.T, e *Env) {
	ctx := t.Context()
	v := vOpen(t, e, "v")
	must(t, v.Store(ctx, 1))
	must(t, e.M.Close())
	must(t, e.M.Close())
	for _, op := range mOpeners {
		if err := op.open(ctx, e.M, "after-close"); !errors.Is(err, latchkey.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", op.kind, err)
		}
	}
}
