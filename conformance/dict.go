package conformance

import (
	"bytes"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/latchkey/latchkey"
)

// dictTests mirrors the dict parts of _test_multiprocessing
// (_TestContainers, TestSyncManagerTypes) and our own rules: insertion
// order, atomic read-modify-write methods and copies in and out.
// _TestContainers.test_dict_proxy_nested and test_nested_queue have no
// counterpart: values are byte strings, never proxies of other objects.
var dictTests = []test{
	{"Dict", "_test_multiprocessing._TestContainers.test_dict", dDict},
	{"Iter", "_test_multiprocessing._TestContainers.test_dict_iter", dIter},
	{"SyncManagerDict", "_test_multiprocessing.TestSyncManagerTypes.test_dict", dSyncManagerDict},
	{"LoadStoreDelete", "", dLoadStoreDelete},
	{"InsertionOrder", "", dInsertionOrder},
	{"PopItem", "", dPopItem},
	{"LoadOrStore", "", dLoadOrStore},
	{"LoadAndDelete", "", dLoadAndDelete},
	{"Swap", "", dSwap},
	{"CompareAndSwap", "", dCompareAndSwap},
	{"CompareAndDelete", "", dCompareAndDelete},
	{"Update", "", dUpdate},
	{"UpdateAtomic", "", dUpdateAtomic},
	{"Clear", "", dClear},
	{"Copies", "", dCopies},
	{"EmptyValue", "", dEmptyValue},
	{"ConcurrentLoadOrStore", "", dConcurrentLoadOrStore},
	{"Typed", "", dTyped},
}

func dOpen(t testing.TB, e *Env, name string) latchkey.Dict {
	t.Helper()
	d, err := e.M.Dict(t.Context(), name)
	if err != nil {
		t.Fatalf("Dict(%q): %v", name, err)
	}
	return d
}

func dStore(t testing.TB, d latchkey.Dict, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		must(t, d.Store(t.Context(), kv[i], kvB(kv[i+1])))
	}
}

// dEntries returns the dict's entries as alternating keys and values.
func dEntries(t testing.TB, d latchkey.Dict) []string {
	t.Helper()
	seq, err := d.All(t.Context())
	if err != nil {
		t.Fatalf("All: %v", err)
	}
	return dFlatten(seq)
}

func dFlatten(seq iter.Seq2[string, []byte]) []string {
	out := []string{}
	for k, v := range seq {
		out = append(out, k, string(v))
	}
	return out
}

// dWant checks All, Keys and Len against kv (alternating keys and values).
func dWant(t testing.TB, d latchkey.Dict, kv ...string) {
	t.Helper()
	if kv == nil {
		kv = []string{}
	}
	if got := dEntries(t, d); !slices.Equal(got, kv) {
		t.Fatalf("All = %q, want %q", got, kv)
	}
	keys, err := d.Keys(t.Context())
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	var wantKeys []string
	for i := 0; i < len(kv); i += 2 {
		wantKeys = append(wantKeys, kv[i])
	}
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("Keys = %q, want %q", keys, wantKeys)
	}
	if n, err := d.Len(t.Context()); err != nil || n != len(kv)/2 {
		t.Fatalf("Len = %d, %v; want %d", n, err, len(kv)/2)
	}
}

func dLoad(t testing.TB, d latchkey.Dict, key string) (string, bool) {
	t.Helper()
	v, ok, err := d.Load(t.Context(), key)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	return string(v), ok
}

func dWantLoad(t testing.TB, d latchkey.Dict, key, want string) {
	t.Helper()
	if v, ok := dLoad(t, d, key); !ok || v != want {
		t.Fatalf("Load(%q) = %q, %v; want %q", key, v, ok, want)
	}
}

func dWantMissing(t testing.TB, d latchkey.Dict, key string) {
	t.Helper()
	if v, ok := dLoad(t, d, key); ok {
		t.Fatalf("Load(%q) = %q, true; want missing", key, v)
	}
}

// dDict: copy(), keys(), values() and items() of a filled dict.
func dDict(t *testing.T, e *Env) {
	d := dOpen(t, e, "d")
	var want []string
	for i := 65; i < 70; i++ {
		k := strconv.Itoa(i)
		dStore(t, d, k, string(rune(i)))
		want = append(want, k, string(rune(i)))
	}
	dWant(t, d, want...)
	for i := 65; i < 70; i++ {
		dWantLoad(t, d, strconv.Itoa(i), string(rune(i)))
	}
}

// dIter: iteration yields the keys in order and can stop early. Unlike
// Python, where clearing a dict during iteration raises RuntimeError, All
// iterates over a snapshot: a Clear after All does not change what it
// yields.
func dIter(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	var want []string
	for i := 65; i < 70; i++ {
		k := strconv.Itoa(i)
		dStore(t, d, k, string(rune(i)))
		want = append(want, k, string(rune(i)))
	}
	seq, err := d.All(ctx)
	must(t, err)
	if got := dFlatten(seq); !slices.Equal(got, want) {
		t.Fatalf("All = %q, want %q", got, want)
	}
	seq, err = d.All(ctx)
	must(t, err)
	n := 0
	for range seq {
		if n++; n == 2 {
			break
		}
	}
	seq, err = d.All(ctx)
	must(t, err)
	must(t, d.Clear(ctx))
	if got := dFlatten(seq); !slices.Equal(got, want) {
		t.Fatalf("snapshot after Clear = %q, want %q", got, want)
	}
	dWant(t, d)
}

// dSyncManagerDict: a "child" with its own handle reads and pops the entry
// the parent stored; the parent then sees the dict empty.
func dSyncManagerDict(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	dStore(t, d, "foo", "5")
	child := kvAsync(t, func() error {
		c, err := e.M.Dict(ctx, "d")
		if err != nil {
			return err
		}
		if n, err := c.Len(ctx); err != nil || n != 1 {
			return fmt.Errorf("Len = %d, %v", n, err)
		}
		if v, ok, err := c.Load(ctx, "foo"); err != nil || !ok || string(v) != "5" {
			return fmt.Errorf("Load = %q, %v, %v", v, ok, err)
		}
		seq, err := c.All(ctx)
		if err != nil {
			return err
		}
		if got := dFlatten(seq); !slices.Equal(got, []string{"foo", "5"}) {
			return fmt.Errorf("All = %q", got)
		}
		if keys, err := c.Keys(ctx); err != nil || !slices.Equal(keys, []string{"foo"}) {
			return fmt.Errorf("Keys = %q, %v", keys, err)
		}
		ent, err := c.PopItem(ctx)
		if err != nil || ent.Key != "foo" || string(ent.Value) != "5" {
			return fmt.Errorf("PopItem = %+v, %v", ent, err)
		}
		return nil
	})
	must(t, kvRecv(t, e, child))
	dWant(t, d)
}

func dLoadStoreDelete(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	dWantMissing(t, d, "a")
	dWant(t, d)
	dStore(t, d, "a", "1")
	dWantLoad(t, d, "a", "1")
	dStore(t, d, "a", "2")
	dWantLoad(t, d, "a", "2")
	must(t, d.Delete(ctx, "a"))
	dWantMissing(t, d, "a")
	must(t, d.Delete(ctx, "a")) // deleting a missing key is not an error
	must(t, d.Delete(ctx, "never"))
	dWant(t, d)
}

// dInsertionOrder: keys keep the order they were first stored in; storing
// an existing key keeps its place; deleting and storing again moves it to
// the end.
func dInsertionOrder(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	dStore(t, d, "c", "1", "a", "2", "b", "3")
	dWant(t, d, "c", "1", "a", "2", "b", "3")
	dStore(t, d, "c", "4")
	dWant(t, d, "c", "4", "a", "2", "b", "3")
	must(t, d.Delete(ctx, "c"))
	dStore(t, d, "c", "5")
	dWant(t, d, "a", "2", "b", "3", "c", "5")
	if _, _, err := d.LoadAndDelete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Swap(ctx, "a", kvB("6")); err != nil {
		t.Fatal(err)
	}
	dWant(t, d, "b", "3", "c", "5", "a", "6")
	if _, _, err := d.Swap(ctx, "b", kvB("7")); err != nil { // existing: stays
		t.Fatal(err)
	}
	if _, _, err := d.LoadOrStore(ctx, "z", kvB("8")); err != nil {
		t.Fatal(err)
	}
	dWant(t, d, "b", "7", "c", "5", "a", "6", "z", "8")
}

// dPopItem removes the newest entry first (Python's popitem), then fails
// with ErrEmpty.
func dPopItem(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	_, err := d.PopItem(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "PopItem on an empty dict")
	dStore(t, d, "a", "1", "b", "2", "c", "3")
	dStore(t, d, "a", "4") // re-store keeps a's place
	for _, want := range []latchkey.Entry{{Key: "c", Value: kvB("3")}, {Key: "b", Value: kvB("2")}, {Key: "a", Value: kvB("4")}} {
		ent, err := d.PopItem(ctx)
		if err != nil || ent.Key != want.Key || !bytes.Equal(ent.Value, want.Value) {
			t.Fatalf("PopItem = %q=%q, %v; want %q=%q", ent.Key, ent.Value, err, want.Key, want.Value)
		}
	}
	_, err = d.PopItem(ctx)
	kvIs(t, err, latchkey.ErrEmpty, "PopItem on an emptied dict")
	dWant(t, d)
}

func dLoadOrStore(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	v, loaded, err := d.LoadOrStore(ctx, "k", kvB("1"))
	if err != nil || loaded || string(v) != "1" {
		t.Fatalf("LoadOrStore on a missing key = %q, %v, %v; want \"1\", false", v, loaded, err)
	}
	v, loaded, err = d.LoadOrStore(ctx, "k", kvB("2"))
	if err != nil || !loaded || string(v) != "1" {
		t.Fatalf("LoadOrStore on a present key = %q, %v, %v; want \"1\", true", v, loaded, err)
	}
	dWant(t, d, "k", "1")
}

func dLoadAndDelete(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	v, loaded, err := d.LoadAndDelete(ctx, "k")
	if err != nil || loaded || len(v) != 0 {
		t.Fatalf("LoadAndDelete on a missing key = %q, %v, %v", v, loaded, err)
	}
	dStore(t, d, "k", "1", "j", "2")
	v, loaded, err = d.LoadAndDelete(ctx, "k")
	if err != nil || !loaded || string(v) != "1" {
		t.Fatalf("LoadAndDelete = %q, %v, %v; want \"1\", true", v, loaded, err)
	}
	dWant(t, d, "j", "2")
}

func dSwap(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	prev, loaded, err := d.Swap(ctx, "k", kvB("1"))
	if err != nil || loaded || len(prev) != 0 {
		t.Fatalf("Swap on a missing key = %q, %v, %v", prev, loaded, err)
	}
	prev, loaded, err = d.Swap(ctx, "k", kvB("2"))
	if err != nil || !loaded || string(prev) != "1" {
		t.Fatalf("Swap = %q, %v, %v; want \"1\", true", prev, loaded, err)
	}
	dWant(t, d, "k", "2")
}

func dCompareAndSwap(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	if ok, err := d.CompareAndSwap(ctx, "k", kvB("1"), kvB("2")); err != nil || ok {
		t.Fatalf("CompareAndSwap on a missing key = %v, %v", ok, err)
	}
	dWant(t, d)
	dStore(t, d, "k", "1", "j", "0")
	if ok, err := d.CompareAndSwap(ctx, "k", kvB("9"), kvB("2")); err != nil || ok {
		t.Fatalf("CompareAndSwap with the wrong old value = %v, %v", ok, err)
	}
	dWantLoad(t, d, "k", "1")
	if ok, err := d.CompareAndSwap(ctx, "k", kvB("1"), kvB("2")); err != nil || !ok {
		t.Fatalf("CompareAndSwap = %v, %v; want true", ok, err)
	}
	dWant(t, d, "k", "2", "j", "0") // keeps its place
}

func dCompareAndDelete(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	if ok, err := d.CompareAndDelete(ctx, "k", kvB("1")); err != nil || ok {
		t.Fatalf("CompareAndDelete on a missing key = %v, %v", ok, err)
	}
	dStore(t, d, "k", "1")
	if ok, err := d.CompareAndDelete(ctx, "k", kvB("2")); err != nil || ok {
		t.Fatalf("CompareAndDelete with the wrong old value = %v, %v", ok, err)
	}
	dWantLoad(t, d, "k", "1")
	if ok, err := d.CompareAndDelete(ctx, "k", kvB("1")); err != nil || !ok {
		t.Fatalf("CompareAndDelete = %v, %v; want true", ok, err)
	}
	dWant(t, d)
}

// dUpdate stores the entries in order: new keys are appended in argument
// order, existing ones keep their place, a repeated key ends with its last
// value.
func dUpdate(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	dStore(t, d, "b", "0")
	must(t, d.Update(ctx,
		latchkey.Entry{Key: "x", Value: kvB("1")},
		latchkey.Entry{Key: "b", Value: kvB("2")},
		latchkey.Entry{Key: "a", Value: kvB("3")},
		latchkey.Entry{Key: "x", Value: kvB("4")},
	))
	dWant(t, d, "b", "2", "x", "4", "a", "3")
	must(t, d.Update(ctx)) // no entries: nothing changes
	dWant(t, d, "b", "2", "x", "4", "a", "3")
}

// dUpdateAtomic: a reader never sees half of an Update.
func dUpdateAtomic(t *testing.T, e *Env) {
	const rounds = 40
	ctx := t.Context()
	d := dOpen(t, e, "d")
	w := kvAsync(t, func() error {
		for i := range rounds {
			v := kvB(strconv.Itoa(i))
			if err := d.Update(ctx, latchkey.Entry{Key: "a", Value: v}, latchkey.Entry{Key: "b", Value: v}); err != nil {
				return err
			}
		}
		return nil
	})
	r := kvAsync(t, func() error {
		for range rounds {
			seq, err := d.All(ctx)
			if err != nil {
				return err
			}
			got := dFlatten(seq)
			switch {
			case len(got) == 0:
			case len(got) == 4 && got[0] == "a" && got[2] == "b" && got[1] == got[3]:
			default:
				return fmt.Errorf("All saw %q: half an Update", got)
			}
			runtime.Gosched()
		}
		return nil
	})
	must(t, kvRecv(t, e, w))
	must(t, kvRecv(t, e, r))
	last := strconv.Itoa(rounds - 1)
	dWant(t, d, "a", last, "b", last)
}

func dClear(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	must(t, d.Clear(ctx)) // clearing an empty dict is fine
	dStore(t, d, "a", "1", "b", "2")
	must(t, d.Clear(ctx))
	dWant(t, d)
	dWantMissing(t, d, "a")
	dStore(t, d, "b", "3", "a", "4")
	dWant(t, d, "b", "3", "a", "4")
}

// dCopies: values are copied in and out.
func dCopies(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	b := kvB("abc")
	must(t, d.Store(ctx, "k", b))
	b[0] = 'X'
	dWantLoad(t, d, "k", "abc")
	v, _, err := d.Load(ctx, "k")
	must(t, err)
	v[0] = 'Y'
	dWantLoad(t, d, "k", "abc")

	b = kvB("new")
	actual, loaded, err := d.LoadOrStore(ctx, "n", b)
	if err != nil || loaded {
		t.Fatalf("LoadOrStore = %v, %v", loaded, err)
	}
	b[0] = 'X'
	actual[1] = 'Y'
	dWantLoad(t, d, "n", "new")
	actual, _, err = d.LoadOrStore(ctx, "n", kvB("other"))
	must(t, err)
	actual[0] = 'Z'
	dWantLoad(t, d, "n", "new")

	prev, _, err := d.Swap(ctx, "k", kvB("def"))
	must(t, err)
	prev[0] = 'Q'
	dWantLoad(t, d, "k", "def")

	oldv, newv := kvB("def"), kvB("ghi")
	if ok, err := d.CompareAndSwap(ctx, "k", oldv, newv); err != nil || !ok {
		t.Fatalf("CompareAndSwap = %v, %v", ok, err)
	}
	newv[0] = 'W'
	dWantLoad(t, d, "k", "ghi")

	ent := latchkey.Entry{Key: "u", Value: kvB("upd")}
	must(t, d.Update(ctx, ent))
	ent.Value[0] = 'V'
	dWantLoad(t, d, "u", "upd")

	seq, err := d.All(ctx)
	must(t, err)
	for _, v := range seq {
		if len(v) > 0 {
			v[0] = '!'
		}
	}
	dWant(t, d, "k", "ghi", "n", "new", "u", "upd")
}

// dEmptyValue: an empty value is a present value.
func dEmptyValue(t *testing.T, e *Env) {
	ctx := t.Context()
	d := dOpen(t, e, "d")
	must(t, d.Store(ctx, "nil", nil))
	must(t, d.Store(ctx, "empty", []byte{}))
	for _, k := range []string{"nil", "empty"} {
		if v, ok := dLoad(t, d, k); !ok || v != "" {
			t.Fatalf("Load(%q) = %q, %v; want an empty present value", k, v, ok)
		}
	}
	if _, loaded, err := d.LoadOrStore(ctx, "nil", kvB("x")); err != nil || !loaded {
		t.Fatalf("LoadOrStore over an empty value: loaded = %v, %v", loaded, err)
	}
	if ok, err := d.CompareAndDelete(ctx, "empty", []byte{}); err != nil || !ok {
		t.Fatalf("CompareAndDelete of an empty value = %v, %v", ok, err)
	}
	dWant(t, d, "nil", "")
}

// dConcurrentLoadOrStore: of N goroutines racing to LoadOrStore one key
// (each through its own handle), exactly one stores, and all see its value.
func dConcurrentLoadOrStore(t *testing.T, e *Env) {
	const n = 8
	ctx := t.Context()
	start := make(chan struct{})
	type res struct {
		v      string
		loaded bool
		err    error
	}
	results := make([]res, n)
	wait := kvGoN(t, n, func(i int) {
		h, err := e.M.Dict(ctx, "d")
		if err != nil {
			results[i].err = err
			return
		}
		<-start
		v, loaded, err := h.LoadOrStore(ctx, "k", kvB(strconv.Itoa(i)))
		results[i] = res{string(v), loaded, err}
	})
	close(start)
	wait()
	stored := -1
	for i, r := range results {
		must(t, r.err)
		if !r.loaded {
			if stored >= 0 {
				t.Fatalf("goroutines %d and %d both stored", stored, i)
			}
			stored = i
		}
	}
	if stored < 0 {
		t.Fatal("no goroutine stored")
	}
	for i, r := range results {
		if r.v != strconv.Itoa(stored) {
			t.Fatalf("goroutine %d saw %q, want %q", i, r.v, strconv.Itoa(stored))
		}
	}
	dWant(t, dOpen(t, e, "d"), "k", strconv.Itoa(stored))
}

// dTyped: DictOf round-trips values through the default JSON codec.
func dTyped(t *testing.T, e *Env) {
	ctx := t.Context()
	type point struct {
		X, Y int
		Tag  string
	}
	d := latchkey.NewDictOf[point](dOpen(t, e, "d"), nil)
	must(t, d.Store(ctx, "p", point{1, -2, "a"}))
	must(t, d.Store(ctx, "q", point{3, 4, "b"}))
	p, ok, err := d.Load(ctx, "p")
	if err != nil || !ok || p != (point{1, -2, "a"}) {
		t.Fatalf("Load = %+v, %v, %v", p, ok, err)
	}
	if _, ok, err := d.Load(ctx, "missing"); err != nil || ok {
		t.Fatalf("Load(missing) = %v, %v", ok, err)
	}
	seq, err := d.All(ctx)
	must(t, err)
	var keys []string
	var vals []point
	for k, v := range seq {
		keys, vals = append(keys, k), append(vals, v)
	}
	if !slices.Equal(keys, []string{"p", "q"}) || !slices.Equal(vals, []point{{1, -2, "a"}, {3, 4, "b"}}) {
		t.Fatalf("All = %v %v", keys, vals)
	}
	must(t, d.Delete(ctx, "p"))
	if _, ok, _ := d.Load(ctx, "p"); ok {
		t.Fatal("p still there after Delete")
	}
	// The raw dict holds JSON that a handle without the codec can read.
	raw, ok, err := d.D.Load(ctx, "q")
	if err != nil || !ok || string(raw) != `{"X":3,"Y":4,"Tag":"b"}` {
		t.Fatalf("raw Load = %s, %v, %v", raw, ok, err)
	}
}
