package conformance

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/latchkey/latchkey"
)

// listTests mirrors the list parts of _test_multiprocessing
// (_TestContainers, TestSyncManagerTypes) and our own rules: Python's
// indexing, insert and slice clamping, the errors, atomic methods and
// copies in and out. _TestContainers.test_list_proxy_in_list and the
// nested-proxy half of test_list have no counterpart: elements are byte
// strings, never proxies of other lists.
var listTests = []test{
	{"List", "_test_multiprocessing._TestContainers.test_list", lList},
	{"Iter", "_test_multiprocessing._TestContainers.test_list_iter", lIter},
	{"SyncManagerList", "_test_multiprocessing.TestSyncManagerTypes.test_list", lSyncManagerList},
	{"Indexing", "", lIndexing},
	{"Insert", "", lInsert},
	{"Slice", "", lSlice},
	{"Pop", "", lPop},
	{"IndexCountRemove", "", lIndexCountRemove},
	{"Sort", "", lSort},
	{"Reverse", "", lReverse},
	{"Clear", "", lClear},
	{"Copies", "", lCopies},
	{"EmptyElement", "", lEmptyElement},
	{"ConcurrentAppend", "", lConcurrentAppend},
	{"Typed", "", lTyped},
}

func lOpen(t testing.TB, e *Env, name string) latchkey.List {
	t.Helper()
	l, err := e.M.List(t.Context(), name)
	if err != nil {
		t.Fatalf("List(%q): %v", name, err)
	}
	return l
}

func lAppend(t testing.TB, l latchkey.List, vs ...string) {
	t.Helper()
	bs := make([][]byte, len(vs))
	for i, v := range vs {
		bs[i] = kvB(v)
	}
	must(t, l.Append(t.Context(), bs...))
}

func lRange(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// lWant checks All, Len and Slice(0, Len) against want.
func lWant(t testing.TB, l latchkey.List, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	seq, err := l.All(t.Context())
	if err != nil {
		t.Fatalf("All: %v", err)
	}
	got := []string{}
	for i, v := range seq {
		if i != len(got) {
			t.Fatalf("All yielded index %d at position %d", i, len(got))
		}
		got = append(got, string(v))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("All = %q, want %q", got, want)
	}
	if n, err := l.Len(t.Context()); err != nil || n != len(want) {
		t.Fatalf("Len = %d, %v; want %d", n, err, len(want))
	}
	lWantSlice(t, l, 0, len(want), want...)
}

func lWantSlice(t testing.TB, l latchkey.List, lo, hi int, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	bs, err := l.Slice(t.Context(), lo, hi)
	if err != nil {
		t.Fatalf("Slice(%d, %d): %v", lo, hi, err)
	}
	if got := kvStrs(bs); !slices.Equal(got, want) {
		t.Fatalf("Slice(%d, %d) = %q, want %q", lo, hi, got, want)
	}
}

func lWantGet(t testing.TB, l latchkey.List, i int, want string) {
	t.Helper()
	v, err := l.Get(t.Context(), i)
	if err != nil || string(v) != want {
		t.Fatalf("Get(%d) = %q, %v; want %q", i, v, err, want)
	}
}

// lList: slicing, extend, index and repetition of a ListProxy.
func lList(t *testing.T, e *Env) {
	ctx := t.Context()
	a := lOpen(t, e, "a")
	lAppend(t, a, lRange(10)...)
	lWant(t, a, lRange(10)...)
	b := lOpen(t, e, "b")
	lWant(t, b)
	lAppend(t, b, lRange(5)...) // extend
	lWant(t, b, lRange(5)...)
	lWantGet(t, b, 2, "2")
	lWantSlice(t, b, 2, 10, "2", "3", "4")
	cur, err := b.Slice(ctx, 0, 5) // b *= 2
	must(t, err)
	must(t, b.Append(ctx, cur...))
	lWant(t, b, append(lRange(5), lRange(5)...)...)
	if i, err := b.Index(ctx, kvB("3")); err != nil || i != 3 {
		t.Fatalf("Index = %d, %v", i, err)
	}
	lWant(t, a, lRange(10)...)
}

// lIter: iteration yields the elements in order. Unlike a ListProxy, whose
// iteration reads the live list element by element, All iterates over a
// snapshot: a Set after All does not change what it yields.
func lIter(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	lAppend(t, l, lRange(10)...)
	lWant(t, l, lRange(10)...)
	seq, err := l.All(ctx)
	must(t, err)
	must(t, l.Set(ctx, 0, kvB("100")))
	must(t, l.Append(ctx, kvB("10")))
	var got []string
	for _, v := range seq {
		got = append(got, string(v))
	}
	if !slices.Equal(got, lRange(10)) {
		t.Fatalf("snapshot = %q, want %q", got, lRange(10))
	}
	n := 0
	for range seq {
		if n++; n == 3 {
			break
		}
	}
	lWantGet(t, l, 0, "100")
}

// lSyncManagerList: a "child" with its own handle uses the list the parent
// filled and pops its only element; the parent sees it empty.
func lSyncManagerList(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	lAppend(t, l, "5")
	child := kvAsync(t, func() error {
		c, err := e.M.List(ctx, "l")
		if err != nil {
			return err
		}
		if v, err := c.Get(ctx, 0); err != nil || string(v) != "5" {
			return fmt.Errorf("Get(0) = %q, %v", v, err)
		}
		if n, err := c.Count(ctx, kvB("5")); err != nil || n != 1 {
			return fmt.Errorf("Count = %d, %v", n, err)
		}
		if i, err := c.Index(ctx, kvB("5")); err != nil || i != 0 {
			return fmt.Errorf("Index = %d, %v", i, err)
		}
		if err := c.Sort(ctx); err != nil {
			return err
		}
		if err := c.Reverse(ctx); err != nil {
			return err
		}
		seq, err := c.All(ctx)
		if err != nil {
			return err
		}
		var got []string
		for _, v := range seq {
			got = append(got, string(v))
		}
		if !slices.Equal(got, []string{"5"}) {
			return fmt.Errorf("All = %q", got)
		}
		if n, err := c.Len(ctx); err != nil || n != 1 {
			return fmt.Errorf("Len = %d, %v", n, err)
		}
		if v, err := c.Pop(ctx, 0); err != nil || string(v) != "5" {
			return fmt.Errorf("Pop(0) = %q, %v", v, err)
		}
		return nil
	})
	must(t, kvRecv(t, e, child))
	lWant(t, l)
}

func lIndexing(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	_, err := l.Get(ctx, 0)
	kvIs(t, err, latchkey.ErrOutOfRange, "Get(0) on an empty list")
	kvIs(t, l.Set(ctx, 0, kvB("x")), latchkey.ErrOutOfRange, "Set(0) on an empty list")
	lAppend(t, l, "a", "b", "c")
	for i, want := range map[int]string{0: "a", 1: "b", 2: "c", -1: "c", -2: "b", -3: "a"} {
		lWantGet(t, l, i, want)
	}
	for _, i := range []int{3, 4, -4, -100} {
		_, err := l.Get(ctx, i)
		kvIs(t, err, latchkey.ErrOutOfRange, fmt.Sprintf("Get(%d)", i))
		kvIs(t, l.Set(ctx, i, kvB("x")), latchkey.ErrOutOfRange, fmt.Sprintf("Set(%d)", i))
	}
	must(t, l.Set(ctx, -1, kvB("C")))
	must(t, l.Set(ctx, 0, kvB("A")))
	must(t, l.Set(ctx, -2, kvB("B")))
	lWant(t, l, "A", "B", "C")
}

// lInsert: Insert clamps its index as Python's list.insert does.
func lInsert(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	steps := []struct {
		i    int
		v    string
		want []string
	}{
		{5, "x", []string{"x"}},
		{-10, "y", []string{"y", "x"}},
		{1, "z", []string{"y", "z", "x"}},
		{-1, "w", []string{"y", "z", "w", "x"}},
		{4, "e", []string{"y", "z", "w", "x", "e"}},
		{0, "f", []string{"f", "y", "z", "w", "x", "e"}},
		{-6, "g", []string{"g", "f", "y", "z", "w", "x", "e"}},
		{100, "h", []string{"g", "f", "y", "z", "w", "x", "e", "h"}},
	}
	for _, s := range steps {
		must(t, l.Insert(ctx, s.i, kvB(s.v)))
		lWant(t, l, s.want...)
	}
}

// lSlice: Slice follows Python's slice rules.
func lSlice(t *testing.T, e *Env) {
	l := lOpen(t, e, "l")
	lWantSlice(t, l, 0, 0)
	lWantSlice(t, l, -1, 5)
	lAppend(t, l, lRange(5)...)
	cases := []struct {
		lo, hi int
		want   []string
	}{
		{1, 3, []string{"1", "2"}},
		{0, 5, lRange(5)},
		{0, 100, lRange(5)},
		{-100, 100, lRange(5)},
		{-2, 5, []string{"3", "4"}},
		{-10, 2, []string{"0", "1"}},
		{2, -1, []string{"2", "3"}},
		{-3, -1, []string{"2", "3"}},
		{3, 1, nil},
		{-1, -3, nil},
		{5, 10, nil},
		{2, 2, nil},
		{4, 5, []string{"4"}},
	}
	for _, c := range cases {
		lWantSlice(t, l, c.lo, c.hi, c.want...)
	}
}

func lPop(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	for _, i := range []int{0, -1, 3} {
		_, err := l.Pop(ctx, i)
		kvIs(t, err, latchkey.ErrEmpty, fmt.Sprintf("Pop(%d) on an empty list", i))
	}
	lAppend(t, l, "a", "b", "c", "d")
	pop := func(i int, want string) {
		t.Helper()
		v, err := l.Pop(ctx, i)
		if err != nil || string(v) != want {
			t.Fatalf("Pop(%d) = %q, %v; want %q", i, v, err, want)
		}
	}
	pop(0, "a")
	pop(-1, "d")
	lWant(t, l, "b", "c")
	for _, i := range []int{2, 5, -3} {
		_, err := l.Pop(ctx, i)
		kvIs(t, err, latchkey.ErrOutOfRange, fmt.Sprintf("Pop(%d) on a list of 2", i))
	}
	lWant(t, l, "b", "c")
	pop(1, "c")
	pop(-1, "b")
	_, err := l.Pop(ctx, -1)
	kvIs(t, err, latchkey.ErrEmpty, "Pop(-1) on an emptied list")
}

func lIndexCountRemove(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	_, err := l.Index(ctx, kvB("a"))
	kvIs(t, err, latchkey.ErrNotFound, "Index on an empty list")
	kvIs(t, l.Remove(ctx, kvB("a")), latchkey.ErrNotFound, "Remove on an empty list")
	lAppend(t, l, "a", "b", "a", "c")
	for v, want := range map[string]int{"a": 0, "b": 1, "c": 3} {
		if i, err := l.Index(ctx, kvB(v)); err != nil || i != want {
			t.Fatalf("Index(%q) = %d, %v; want %d", v, i, err, want)
		}
	}
	_, err = l.Index(ctx, kvB("z"))
	kvIs(t, err, latchkey.ErrNotFound, "Index of a missing value")
	for v, want := range map[string]int{"a": 2, "b": 1, "z": 0, "": 0} {
		if n, err := l.Count(ctx, kvB(v)); err != nil || n != want {
			t.Fatalf("Count(%q) = %d, %v; want %d", v, n, err, want)
		}
	}
	must(t, l.Remove(ctx, kvB("a")))
	lWant(t, l, "b", "a", "c")
	kvIs(t, l.Remove(ctx, kvB("z")), latchkey.ErrNotFound, "Remove of a missing value")
	lWant(t, l, "b", "a", "c")
	must(t, l.Remove(ctx, kvB("a")))
	kvIs(t, l.Remove(ctx, kvB("a")), latchkey.ErrNotFound, "Remove of a removed value")
	lWant(t, l, "b", "c")
}

// lSort sorts by byte order (equal elements are equal byte strings, so the
// stability the contract promises cannot be observed here).
func lSort(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	must(t, l.Sort(ctx)) // an empty list sorts
	in := []string{"b", "a", "ab", "", "B", "a", "\xff", "\x00", "10", "9"}
	lAppend(t, l, in...)
	must(t, l.Sort(ctx))
	want := slices.Clone(in)
	slices.Sort(want) // Go compares strings bytewise
	lWant(t, l, want...)
	if want[0] != "" || want[len(want)-1] != "\xff" {
		t.Fatalf("bad expectation %q", want)
	}
}

func lReverse(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	must(t, l.Reverse(ctx))
	lWant(t, l)
	lAppend(t, l, "a", "b", "c", "d")
	must(t, l.Reverse(ctx))
	lWant(t, l, "d", "c", "b", "a")
	must(t, l.Insert(ctx, 2, kvB("x")))
	must(t, l.Reverse(ctx))
	lWant(t, l, "a", "b", "x", "c", "d")
}

func lClear(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	must(t, l.Clear(ctx))
	lAppend(t, l, "a", "b")
	must(t, l.Clear(ctx))
	lWant(t, l)
	lAppend(t, l, "c")
	lWant(t, l, "c")
	must(t, l.Append(ctx)) // appending nothing is fine
	lWant(t, l, "c")
}

// lCopies: elements are copied in and out.
func lCopies(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	a, b := kvB("abc"), kvB("def")
	must(t, l.Append(ctx, a, b))
	a[0], b[0] = 'X', 'X'
	lWant(t, l, "abc", "def")
	v, err := l.Get(ctx, 0)
	must(t, err)
	v[0] = 'Y'
	s := kvB("ghi")
	must(t, l.Set(ctx, 1, s))
	s[0] = 'Z'
	in := kvB("jkl")
	must(t, l.Insert(ctx, 0, in))
	in[0] = 'W'
	bs, err := l.Slice(ctx, 0, 3)
	must(t, err)
	for _, b := range bs {
		b[0] = '!'
	}
	seq, err := l.All(ctx)
	must(t, err)
	for _, v := range seq {
		v[0] = '?'
	}
	lWant(t, l, "jkl", "abc", "ghi")
}

// lEmptyElement: an empty element is an element; nil and empty are equal.
func lEmptyElement(t *testing.T, e *Env) {
	ctx := t.Context()
	l := lOpen(t, e, "l")
	must(t, l.Append(ctx, nil, []byte{}, kvB("x")))
	lWant(t, l, "", "", "x")
	if n, err := l.Count(ctx, nil); err != nil || n != 2 {
		t.Fatalf("Count(nil) = %d, %v", n, err)
	}
	if i, err := l.Index(ctx, []byte{}); err != nil || i != 0 {
		t.Fatalf("Index(empty) = %d, %v", i, err)
	}
	must(t, l.Remove(ctx, []byte{}))
	lWant(t, l, "", "x")
}

// lConcurrentAppend: appends from N goroutines (each through its own
// handle) are all kept, and each Append's values stay together, in order.
func lConcurrentAppend(t *testing.T, e *Env) {
	const n, rounds = 8, 10
	ctx := t.Context()
	kvGoN(t, n, func(g int) {
		h, err := e.M.List(ctx, "l")
		if err != nil {
			t.Errorf("List: %v", err)
			return
		}
		for r := range rounds {
			var vs [][]byte
			for k := range 3 {
				vs = append(vs, kvB(fmt.Sprintf("%d-%d-%d", g, r, k)))
			}
			if err := h.Append(ctx, vs...); err != nil {
				t.Errorf("Append: %v", err)
				return
			}
		}
	})()
	l := lOpen(t, e, "l")
	bs, err := l.Slice(ctx, 0, n*rounds*3)
	must(t, err)
	got := kvStrs(bs)
	if len(got) != n*rounds*3 {
		t.Fatalf("list has %d elements, want %d", len(got), n*rounds*3)
	}
	var want []string
	next := make([]int, n) // next round expected from each goroutine
	for i := 0; i < len(got); i += 3 {
		var g, r, k int
		if _, err := fmt.Sscanf(got[i], "%d-%d-%d", &g, &r, &k); err != nil || g < 0 || g >= n {
			t.Fatalf("element %d = %q", i, got[i])
		}
		for k := range 3 {
			if w := fmt.Sprintf("%d-%d-%d", g, next[g], k); got[i+k] != w {
				t.Fatalf("element %d = %q, want %q (appends interleaved or reordered)", i+k, got[i+k], w)
			}
		}
		next[g]++
	}
	for g := range n {
		for r := range rounds {
			for k := range 3 {
				want = append(want, fmt.Sprintf("%d-%d-%d", g, r, k))
			}
		}
	}
	kvSameMultiset(t, got, want, "elements")
}

// lTyped: ListOf round-trips values through the default JSON codec.
func lTyped(t *testing.T, e *Env) {
	ctx := t.Context()
	l := latchkey.NewListOf[int](lOpen(t, e, "l"), nil)
	must(t, l.Append(ctx, 1, 2, 3))
	if v, err := l.Get(ctx, -1); err != nil || v != 3 {
		t.Fatalf("Get(-1) = %d, %v", v, err)
	}
	must(t, l.Set(ctx, 0, 10))
	if vs, err := l.Slice(ctx, 0, 10); err != nil || !slices.Equal(vs, []int{10, 2, 3}) {
		t.Fatalf("Slice = %v, %v", vs, err)
	}
	if raw, err := l.L.Get(ctx, 1); err != nil || string(raw) != "2" {
		t.Fatalf("raw Get = %s, %v", raw, err)
	}
}
