package local_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// stateSeed is the seed of the randomized tests of Dict and List.
var stateSeed = flag.Uint64("state.seed", 0, "seed of the randomized Dict and List model tests (0: random)")

// stateTestSeed returns the seed of a randomized test of the shared-state
// types: -state.seed if set, else a fresh one. It logs the seed so that a
// failure can be replayed with -state.seed=<seed>.
func stateTestSeed(t *testing.T) uint64 {
	t.Helper()
	seed := *stateSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (replay with -state.seed=%d)", seed, seed)
	return seed
}

// dictItems returns the entries of d in iteration order.
func dictItems(t *testing.T, d latchkey.Dict) []latchkey.Entry {
	t.Helper()
	seq, err := d.All(t.Context())
	if err != nil {
		t.Fatalf("All: %v", err)
	}
	var out []latchkey.Entry
	for k, v := range seq {
		out = append(out, latchkey.Entry{Key: k, Value: v})
	}
	return out
}

// dictKeys returns d.Keys, failing the test on error.
func dictKeys(t *testing.T, d latchkey.Dict) []string {
	t.Helper()
	keys, err := d.Keys(t.Context())
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	return keys
}

func dictMustLoad(t *testing.T, d latchkey.Dict, key string) string {
	t.Helper()
	v, ok, err := d.Load(t.Context(), key)
	if err != nil || !ok {
		t.Fatalf("Load(%q) = %q, %v, %v; want present", key, v, ok, err)
	}
	return string(v)
}

func dictMustStore(t *testing.T, d latchkey.Dict, key, value string) {
	t.Helper()
	if err := d.Store(t.Context(), key, []byte(value)); err != nil {
		t.Fatalf("Store(%q): %v", key, err)
	}
}

func entriesString(es []latchkey.Entry) string {
	s := "{"
	for i, e := range es {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s:%s", e.Key, e.Value)
	}
	return s + "}"
}

// TestDictInsertionOrder checks the Python 3.7+ dict order rules.
func TestDictInsertionOrder(t *testing.T) {
	var d local.Dict
	for _, k := range []string{"c", "a", "b"} {
		dictMustStore(t, &d, k, k+"1")
	}
	dictMustStore(t, &d, "a", "a2") // re-storing keeps the place
	if got, want := entriesString(dictItems(t, &d)), "{c:c1, a:a2, b:b1}"; got != want {
		t.Fatalf("after re-store: %s, want %s", got, want)
	}
	if err := d.Delete(t.Context(), "c"); err != nil {
		t.Fatal(err)
	}
	dictMustStore(t, &d, "c", "c3") // delete then store moves to the end
	if got, want := dictKeys(t, &d), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("Keys = %q, want %q", got, want)
	}
	// Swap and CompareAndSwap on a present key keep its place too.
	if _, _, err := d.Swap(t.Context(), "a", []byte("a4")); err != nil {
		t.Fatal(err)
	}
	if ok, err := d.CompareAndSwap(t.Context(), "b", []byte("b1"), []byte("b5")); !ok || err != nil {
		t.Fatalf("CompareAndSwap = %v, %v", ok, err)
	}
	if got, want := entriesString(dictItems(t, &d)), "{a:a4, b:b5, c:c3}"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestDictContainers ports _TestContainers.test_dict: copy, keys, values
// and items match a plain dict built the same way.
func TestDictContainers(t *testing.T) {
	var d local.Dict
	var want []latchkey.Entry
	for i := 65; i < 70; i++ {
		k, v := strconv.Itoa(i), string(rune(i))
		dictMustStore(t, &d, k, v)
		want = append(want, latchkey.Entry{Key: k, Value: []byte(v)})
	}
	if got := dictItems(t, &d); entriesString(got) != entriesString(want) {
		t.Fatalf("items = %s, want %s", entriesString(got), entriesString(want))
	}
	if got, want := dictKeys(t, &d), []string{"65", "66", "67", "68", "69"}; !slices.Equal(got, want) {
		t.Fatalf("keys = %q, want %q", got, want)
	}
	var values string
	for _, e := range dictItems(t, &d) {
		values += string(e.Value)
	}
	if values != "ABCDE" {
		t.Fatalf("values = %q, want ABCDE", values)
	}
}

// TestDictSyncManagerTypes ports TestSyncManagerTypes.test_dict: len, get,
// items, keys, copy, then popitem returns the only entry and empties it.
func TestDictSyncManagerTypes(t *testing.T) {
	ctx := t.Context()
	var d local.Dict
	dictMustStore(t, &d, "foo", "5")
	if n, err := d.Len(ctx); n != 1 || err != nil {
		t.Fatalf("Len = %d, %v; want 1", n, err)
	}
	if v := dictMustLoad(t, &d, "foo"); v != "5" {
		t.Fatalf("d['foo'] = %q", v)
	}
	if v, ok, err := d.Load(ctx, "bar"); ok || v != nil || err != nil {
		t.Fatalf("d.get('bar') = %q, %v, %v; want absent", v, ok, err)
	}
	if got := entriesString(dictItems(t, &d)); got != "{foo:5}" {
		t.Fatalf("items = %s", got)
	}
	e, err := d.PopItem(ctx)
	if err != nil || e.Key != "foo" || string(e.Value) != "5" {
		t.Fatalf("PopItem = %+v, %v; want foo:5", e, err)
	}
	if n, _ := d.Len(ctx); n != 0 {
		t.Fatalf("Len after popitem = %d", n)
	}
}

func TestDictPopItem(t *testing.T) {
	ctx := t.Context()
	var d local.Dict
	if _, err := d.PopItem(ctx); !errors.Is(err, latchkey.ErrEmpty) {
		t.Fatalf("PopItem on a zero Dict = %v, want ErrEmpty", err)
	}
	if err := d.Update(ctx, latchkey.Entry{Key: "a", Value: []byte("1")}, latchkey.Entry{Key: "b", Value: []byte("2")}, latchkey.Entry{Key: "c", Value: []byte("3")}); err != nil {
		t.Fatal(err)
	}
	dictMustStore(t, &d, "a", "4") // still the oldest
	var got []string
	for {
		e, err := d.PopItem(ctx)
		if errors.Is(err, latchkey.ErrEmpty) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Key+"="+string(e.Value))
	}
	if want := []string{"c=3", "b=2", "a=4"}; !slices.Equal(got, want) {
		t.Fatalf("popped %q, want %q (newest first)", got, want)
	}
	// The dict works again after being emptied.
	dictMustStore(t, &d, "z", "26")
	if keys := dictKeys(t, &d); !slices.Equal(keys, []string{"z"}) {
		t.Fatalf("Keys = %q", keys)
	}
}

// TestDictMethods covers setdefault (LoadOrStore), pop (LoadAndDelete),
// Swap, the compare-and-* methods and Clear.
func TestDictMethods(t *testing.T) {
	ctx := t.Context()
	var d local.Dict

	v, loaded, err := d.LoadOrStore(ctx, "k", []byte("first"))
	if string(v) != "first" || loaded || err != nil {
		t.Fatalf("LoadOrStore(new) = %q, %v, %v", v, loaded, err)
	}
	v, loaded, err = d.LoadOrStore(ctx, "k", []byte("second"))
	if string(v) != "first" || !loaded || err != nil {
		t.Fatalf("LoadOrStore(present) = %q, %v, %v", v, loaded, err)
	}

	prev, loaded, err := d.Swap(ctx, "k", []byte("third"))
	if string(prev) != "first" || !loaded || err != nil {
		t.Fatalf("Swap(present) = %q, %v, %v", prev, loaded, err)
	}
	prev, loaded, err = d.Swap(ctx, "n", []byte("new"))
	if prev != nil || loaded || err != nil {
		t.Fatalf("Swap(new) = %q, %v, %v", prev, loaded, err)
	}

	if ok, _ := d.CompareAndSwap(ctx, "k", []byte("first"), []byte("x")); ok {
		t.Fatal("CompareAndSwap with a stale old value swapped")
	}
	if ok, _ := d.CompareAndSwap(ctx, "missing", nil, []byte("x")); ok {
		t.Fatal("CompareAndSwap on a missing key swapped")
	}
	if ok, _ := d.CompareAndSwap(ctx, "k", []byte("third"), []byte("fourth")); !ok {
		t.Fatal("CompareAndSwap with the current value did not swap")
	}
	if ok, _ := d.CompareAndDelete(ctx, "k", []byte("third")); ok {
		t.Fatal("CompareAndDelete with a stale value deleted")
	}
	if ok, _ := d.CompareAndDelete(ctx, "missing", nil); ok {
		t.Fatal("CompareAndDelete on a missing key deleted")
	}
	if ok, _ := d.CompareAndDelete(ctx, "k", []byte("fourth")); !ok {
		t.Fatal("CompareAndDelete with the current value did not delete")
	}

	v, loaded, err = d.LoadAndDelete(ctx, "n")
	if string(v) != "new" || !loaded || err != nil {
		t.Fatalf("LoadAndDelete(present) = %q, %v, %v", v, loaded, err)
	}
	v, loaded, err = d.LoadAndDelete(ctx, "n")
	if v != nil || loaded || err != nil {
		t.Fatalf("LoadAndDelete(missing) = %q, %v, %v", v, loaded, err)
	}
	if err := d.Delete(ctx, "never-there"); err != nil {
		t.Fatalf("Delete(missing) = %v", err)
	}

	// An empty value is a value: present, and equal to nil.
	dictMustStore(t, &d, "empty", "")
	if v, ok, _ := d.Load(ctx, "empty"); !ok || len(v) != 0 {
		t.Fatalf("Load(empty) = %q, %v", v, ok)
	}
	if ok, _ := d.CompareAndSwap(ctx, "empty", nil, []byte("full")); !ok {
		t.Fatal("CompareAndSwap(nil) did not match an empty value")
	}

	if err := d.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Len(ctx); n != 0 {
		t.Fatalf("Len after Clear = %d", n)
	}
	if keys := dictKeys(t, &d); len(keys) != 0 {
		t.Fatalf("Keys after Clear = %q", keys)
	}
	dictMustStore(t, &d, "after", "clear")
	if got := entriesString(dictItems(t, &d)); got != "{after:clear}" {
		t.Fatalf("after Clear and Store: %s", got)
	}
}

func TestDictUpdate(t *testing.T) {
	ctx := t.Context()
	var d local.Dict
	dictMustStore(t, &d, "b", "old")
	err := d.Update(ctx,
		latchkey.Entry{Key: "a", Value: []byte("1")},
		latchkey.Entry{Key: "b", Value: []byte("2")},
		latchkey.Entry{Key: "a", Value: []byte("3")},
	)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := entriesString(dictItems(t, &d)), "{b:2, a:3}"; got != want {
		t.Fatalf("after Update: %s, want %s", got, want)
	}
	if err := d.Update(ctx); err != nil {
		t.Fatalf("empty Update: %v", err)
	}
}

// TestDictNoAliasing checks that values are copied in and out (Python's
// "values stored in a managed container are copied").
func TestDictNoAliasing(t *testing.T) {
	ctx := t.Context()
	var d local.Dict
	in := []byte("abc")
	dictMustStore(t, &d, "k", string(in))
	if err := d.Store(ctx, "k", in); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	out, _, _ := d.Load(ctx, "k")
	out[1] = 'Y'
	seq, _ := d.All(ctx)
	for _, v := range seq {
		v[2] = 'Z'
	}
	actual, _, _ := d.LoadOrStore(ctx, "k2", in)
	actual[0] = 'Q'
	prev, _, _ := d.Swap(ctx, "k", []byte("abc"))
	prev[0] = 'W'
	if got := dictMustLoad(t, &d, "k"); got != "abc" {
		t.Fatalf("d[k] = %q after modifying slices passed in and out, want abc", got)
	}
	if got := dictMustLoad(t, &d, "k2"); got != "Xbc" {
		t.Fatalf("d[k2] = %q, want Xbc", got)
	}
	popped, _ := d.PopItem(ctx)
	popped.Value[0] = 'P'
	for _, v := range seq { // the snapshot still holds the original values
		if string(v) != "abc" {
			t.Fatalf("snapshot value = %q, want abc", v)
		}
	}
}

// TestDictAllSnapshot checks that All iterates over the dict as it was
// when All was called, and that the dict may be modified while iterating.
func TestDictAllSnapshot(t *testing.T) {
	ctx := t.Context()
	var d local.Dict
	for i := range 5 {
		dictMustStore(t, &d, strconv.Itoa(i), strconv.Itoa(i))
	}
	seq, err := d.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k, v := range seq {
		got = append(got, k+"="+string(v))
		if err := d.Clear(ctx); err != nil { // Python: RuntimeError
			t.Fatal(err)
		}
		dictMustStore(t, &d, "late", "x")
	}
	if want := []string{"0=0", "1=1", "2=2", "3=3", "4=4"}; !slices.Equal(got, want) {
		t.Fatalf("iterated %q, want %q", got, want)
	}
	// Breaking early stops the iterator; it can be used again.
	n := 0
	for range seq {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("broke after %d", n)
	}
	if got := dictKeys(t, &d); !slices.Equal(got, []string{"late"}) {
		t.Fatalf("Keys = %q", got)
	}
}

// TestDictIgnoresContext checks that a Dict, which never blocks, works
// with a context that is already cancelled.
func TestDictIgnoresContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var d local.Dict
	if err := d.Store(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("Store with a done ctx: %v", err)
	}
	if v, ok, err := d.Load(ctx, "k"); string(v) != "v" || !ok || err != nil {
		t.Fatalf("Load with a done ctx = %q, %v, %v", v, ok, err)
	}
	if d.Waiters() != 0 {
		t.Fatalf("Waiters = %d", d.Waiters())
	}
}

// dictModel is the reference model of a Dict: a slice in insertion order,
// searched linearly.
type dictModel struct{ entries []latchkey.Entry }

func (m *dictModel) find(k string) int {
	return slices.IndexFunc(m.entries, func(e latchkey.Entry) bool { return e.Key == k })
}

func (m *dictModel) load(k string) ([]byte, bool) {
	if i := m.find(k); i >= 0 {
		return m.entries[i].Value, true
	}
	return nil, false
}

func (m *dictModel) store(k string, v []byte) {
	if i := m.find(k); i >= 0 {
		m.entries[i].Value = v
		return
	}
	m.entries = append(m.entries, latchkey.Entry{Key: k, Value: v})
}

func (m *dictModel) delete(k string) {
	if i := m.find(k); i >= 0 {
		m.entries = slices.Delete(m.entries, i, i+1)
	}
}

// TestDictModel runs random operations on a Dict and on dictModel and
// compares every result and, after each step, the whole contents.
func TestDictModel(t *testing.T) {
	ctx := t.Context()
	r := rand.New(rand.NewPCG(stateTestSeed(t), 0))
	var d local.Dict
	var m dictModel
	key := func() string { return string(rune('a' + r.IntN(8))) }
	val := func() []byte {
		if r.IntN(8) == 0 {
			return nil
		}
		return []byte(strconv.Itoa(r.IntN(4)))
	}
	fail := func(step int, op string, got, want any) {
		t.Helper()
		t.Fatalf("step %d: %s = %v, want %v (model %s)", step, op, got, want, entriesString(m.entries))
	}
	for step := range 3000 {
		k, v, v2 := key(), val(), val()
		switch op := r.IntN(12); op {
		case 0:
			got, ok, _ := d.Load(ctx, k)
			want, wok := m.load(k)
			if ok != wok || !bytes.Equal(got, want) {
				fail(step, "Load "+k, fmt.Sprint(got, ok), fmt.Sprint(want, wok))
			}
		case 1, 2:
			_ = d.Store(ctx, k, v)
			m.store(k, v)
		case 3:
			got, loaded, _ := d.LoadOrStore(ctx, k, v)
			want, wloaded := m.load(k)
			if !wloaded {
				m.store(k, v)
				want = v
			}
			if loaded != wloaded || !bytes.Equal(got, want) {
				fail(step, "LoadOrStore "+k, fmt.Sprint(got, loaded), fmt.Sprint(want, wloaded))
			}
		case 4:
			got, loaded, _ := d.LoadAndDelete(ctx, k)
			want, wloaded := m.load(k)
			m.delete(k)
			if loaded != wloaded || !bytes.Equal(got, want) {
				fail(step, "LoadAndDelete "+k, fmt.Sprint(got, loaded), fmt.Sprint(want, wloaded))
			}
		case 5:
			_ = d.Delete(ctx, k)
			m.delete(k)
		case 6:
			got, loaded, _ := d.Swap(ctx, k, v)
			want, wloaded := m.load(k)
			m.store(k, v)
			if loaded != wloaded || !bytes.Equal(got, want) {
				fail(step, "Swap "+k, fmt.Sprint(got, loaded), fmt.Sprint(want, wloaded))
			}
		case 7:
			got, _ := d.CompareAndSwap(ctx, k, v, v2)
			cur, ok := m.load(k)
			want := ok && bytes.Equal(cur, v)
			if want {
				m.store(k, v2)
			}
			if got != want {
				fail(step, "CompareAndSwap "+k, got, want)
			}
		case 8:
			got, _ := d.CompareAndDelete(ctx, k, v)
			cur, ok := m.load(k)
			want := ok && bytes.Equal(cur, v)
			if want {
				m.delete(k)
			}
			if got != want {
				fail(step, "CompareAndDelete "+k, got, want)
			}
		case 9:
			got, err := d.PopItem(ctx)
			if len(m.entries) == 0 {
				if !errors.Is(err, latchkey.ErrEmpty) {
					fail(step, "PopItem", err, latchkey.ErrEmpty)
				}
				break
			}
			want := m.entries[len(m.entries)-1]
			m.entries = m.entries[:len(m.entries)-1]
			if err != nil || got.Key != want.Key || !bytes.Equal(got.Value, want.Value) {
				fail(step, "PopItem", fmt.Sprint(got, err), want)
			}
		case 10:
			es := []latchkey.Entry{{Key: k, Value: v}, {Key: key(), Value: v2}}
			_ = d.Update(ctx, es...)
			for _, e := range es {
				m.store(e.Key, e.Value)
			}
		case 11:
			if r.IntN(10) == 0 {
				_ = d.Clear(ctx)
				m.entries = nil
			}
		}
		got := dictItems(t, &d)
		if entriesString(got) != entriesString(m.entries) {
			fail(step, "All", entriesString(got), entriesString(m.entries))
		}
		if n, _ := d.Len(ctx); n != len(m.entries) {
			fail(step, "Len", n, len(m.entries))
		}
		keys := dictKeys(t, &d)
		for i, e := range m.entries {
			if keys[i] != e.Key {
				fail(step, "Keys", keys, entriesString(m.entries))
			}
		}
	}
}

// TestDictConcurrentStore has goroutines store disjoint and shared keys
// at once; every disjoint key ends up present, and the count is exact.
func TestDictConcurrentStore(t *testing.T) {
	const goroutines, keys = 8, 200
	ctx := t.Context()
	var d local.Dict
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range keys {
				_ = d.Store(ctx, fmt.Sprintf("%d/%d", g, i), []byte{byte(i)})
				_ = d.Store(ctx, "shared", []byte{byte(g)})
				if _, ok, _ := d.Load(ctx, fmt.Sprintf("%d/%d", g, i)); !ok {
					t.Errorf("own key %d/%d missing right after storing it", g, i)
				}
			}
		})
	}
	wg.Wait()
	if n, _ := d.Len(ctx); n != goroutines*keys+1 {
		t.Fatalf("Len = %d, want %d", n, goroutines*keys+1)
	}
	// Each goroutine's keys are in its own store order.
	next := make([]int, goroutines)
	for _, k := range dictKeys(t, &d) {
		var g, i int
		if _, err := fmt.Sscanf(k, "%d/%d", &g, &i); err != nil {
			continue
		}
		if i != next[g] {
			t.Fatalf("key %s out of order: want %d/%d", k, g, next[g])
		}
		next[g]++
	}
}

// TestDictLoadOrStoreOneWinner checks that when goroutines race to
// LoadOrStore one key, exactly one stores and all see its value.
func TestDictLoadOrStoreOneWinner(t *testing.T) {
	const goroutines, rounds = 8, 50
	ctx := t.Context()
	var d local.Dict
	for round := range rounds {
		key := strconv.Itoa(round)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := 0
		seen := map[string]bool{}
		for g := range goroutines {
			wg.Go(func() {
				<-start
				v, loaded, err := d.LoadOrStore(ctx, key, []byte(strconv.Itoa(g)))
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if !loaded {
					winners++
					if string(v) != strconv.Itoa(g) {
						t.Errorf("winner %d got %q", g, v)
					}
				}
				seen[string(v)] = true
			})
		}
		close(start)
		wg.Wait()
		if winners != 1 || len(seen) != 1 {
			t.Fatalf("round %d: %d winners, values seen %v; want 1 winner, 1 value", round, winners, seen)
		}
	}
}

// TestDictCompareAndSwapCounter increments a counter stored as text with
// Load + CompareAndSwap retry loops from many goroutines: no update is
// lost.
func TestDictCompareAndSwapCounter(t *testing.T) {
	const goroutines, incs = 8, 200
	ctx := t.Context()
	var d local.Dict
	dictMustStore(t, &d, "n", "0")
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range incs {
				for {
					old, _, _ := d.Load(ctx, "n")
					n, _ := strconv.Atoi(string(old))
					if ok, _ := d.CompareAndSwap(ctx, "n", old, []byte(strconv.Itoa(n+1))); ok {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	if got, want := dictMustLoad(t, &d, "n"), strconv.Itoa(goroutines*incs); got != want {
		t.Fatalf("counter = %s, want %s", got, want)
	}
}

// TestDictConcurrentMixed hammers every method at once, for the race
// detector, and checks that All snapshots are consistent: a snapshot
// never holds a key twice and agrees with Len when nothing else runs.
func TestDictConcurrentMixed(t *testing.T) {
	ctx := t.Context()
	var d local.Dict
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 500 {
				k := strconv.Itoa(r.IntN(16))
				switch r.IntN(7) {
				case 0:
					_ = d.Store(ctx, k, []byte(k))
				case 1:
					_, _, _ = d.LoadAndDelete(ctx, k)
				case 2:
					_, _ = d.PopItem(ctx)
				case 3:
					_ = d.Update(ctx, latchkey.Entry{Key: k, Value: []byte(k)}, latchkey.Entry{Key: k + "x", Value: nil})
				case 4:
					seq, _ := d.All(ctx)
					seen := map[string]bool{}
					for k := range seq {
						if seen[k] {
							t.Errorf("snapshot holds %q twice", k)
						}
						seen[k] = true
					}
				case 5:
					_, _, _ = d.Swap(ctx, k, []byte("s"))
				case 6:
					_, _ = d.Keys(ctx)
				}
			}
		})
	}
	wg.Wait()
	n, _ := d.Len(ctx)
	if items := dictItems(t, &d); len(items) != n {
		t.Fatalf("All has %d entries, Len = %d", len(items), n)
	}
}
