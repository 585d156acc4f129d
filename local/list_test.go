package local_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// listOf returns a List holding the given strings.
func listOf(t *testing.T, elems ...string) *local.List {
	t.Helper()
	l := new(local.List)
	for _, e := range elems {
		if err := l.Append(t.Context(), []byte(e)); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// listString returns the elements of l joined by spaces, as "[a b c]".
func listString(t *testing.T, l latchkey.List) string {
	t.Helper()
	seq, err := l.All(t.Context())
	if err != nil {
		t.Fatalf("All: %v", err)
	}
	var parts []string
	for _, v := range seq {
		parts = append(parts, string(v))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func bytesListString(bs [][]byte) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = string(b)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestListContainers ports _TestContainers.test_list: slicing, extend,
// indexing, *= 2 and index.
func TestListContainers(t *testing.T) {
	ctx := t.Context()
	a := listOf(t, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
	if got, _ := a.Slice(ctx, 0, 10); bytesListString(got) != "[0 1 2 3 4 5 6 7 8 9]" {
		t.Fatalf("a[:] = %s", bytesListString(got))
	}
	var b local.List
	if got, err := b.Slice(ctx, 0, 0); got == nil || len(got) != 0 || err != nil {
		t.Fatalf("b[:] = %#v, %v; want an empty, non-nil slice", got, err)
	}
	if err := b.Append(ctx, []byte("0"), []byte("1"), []byte("2"), []byte("3"), []byte("4")); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Get(ctx, 2); string(got) != "2" {
		t.Fatalf("b[2] = %q", got)
	}
	if got, _ := b.Slice(ctx, 2, 10); bytesListString(got) != "[2 3 4]" {
		t.Fatalf("b[2:10] = %s", bytesListString(got))
	}
	// b *= 2
	n, _ := b.Len(ctx)
	all, _ := b.Slice(ctx, 0, n)
	if err := b.Append(ctx, all...); err != nil {
		t.Fatal(err)
	}
	if got := listString(t, &b); got != "[0 1 2 3 4 0 1 2 3 4]" {
		t.Fatalf("b *= 2: %s", got)
	}
	if i, err := b.Index(ctx, []byte("3")); i != 3 || err != nil {
		t.Fatalf("b.index(3) = %d, %v", i, err)
	}
	if c, _ := b.Count(ctx, []byte("3")); c != 2 {
		t.Fatalf("b.count(3) = %d", c)
	}
	if got := listString(t, a); got != "[0 1 2 3 4 5 6 7 8 9]" {
		t.Fatalf("a changed: %s", got)
	}
}

// TestListSyncManagerTypes ports TestSyncManagerTypes.test_list.
func TestListSyncManagerTypes(t *testing.T) {
	ctx := t.Context()
	l := listOf(t, "5")
	if v, _ := l.Get(ctx, 0); string(v) != "5" {
		t.Fatalf("obj[0] = %q", v)
	}
	if c, _ := l.Count(ctx, []byte("5")); c != 1 {
		t.Fatalf("count(5) = %d", c)
	}
	if i, _ := l.Index(ctx, []byte("5")); i != 0 {
		t.Fatalf("index(5) = %d", i)
	}
	if err := l.Sort(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Reverse(ctx); err != nil {
		t.Fatal(err)
	}
	if got := listString(t, l); got != "[5]" {
		t.Fatalf("iterate: %s", got)
	}
	if n, _ := l.Len(ctx); n != 1 {
		t.Fatalf("len = %d", n)
	}
	if v, err := l.Pop(ctx, 0); string(v) != "5" || err != nil {
		t.Fatalf("pop(0) = %q, %v", v, err)
	}
	if n, _ := l.Len(ctx); n != 0 {
		t.Fatalf("len after pop = %d", n)
	}
}

// TestListSlice checks Slice against results printed by CPython for
// list(range(5))[lo:hi].
func TestListSlice(t *testing.T) {
	l := listOf(t, "0", "1", "2", "3", "4")
	for _, tc := range []struct {
		lo, hi int
		want   string
	}{
		{0, 5, "[0 1 2 3 4]"},
		{1, 3, "[1 2]"},
		{-2, 5, "[3 4]"},
		{-2, -1, "[3]"},
		{-100, 2, "[0 1]"},
		{3, 100, "[3 4]"},
		{-100, 100, "[0 1 2 3 4]"},
		{4, 2, "[]"},
		{-1, -3, "[]"},
		{5, 5, "[]"},
		{6, 7, "[]"},
		{-6, -5, "[]"},
		{2, -2, "[2]"},
		{0, -5, "[]"},
		{-5, 1, "[0]"},
	} {
		got, err := l.Slice(t.Context(), tc.lo, tc.hi)
		if err != nil || bytesListString(got) != tc.want {
			t.Errorf("l[%d:%d] = %s, %v; want %s", tc.lo, tc.hi, bytesListString(got), err, tc.want)
		}
	}
}

// TestListInsert checks Insert's clamping against CPython's
// list(range(5)).insert(i, 9).
func TestListInsert(t *testing.T) {
	for _, tc := range []struct {
		i    int
		want string
	}{
		{0, "[9 0 1 2 3 4]"},
		{2, "[0 1 9 2 3 4]"},
		{5, "[0 1 2 3 4 9]"},
		{6, "[0 1 2 3 4 9]"},
		{100, "[0 1 2 3 4 9]"},
		{-1, "[0 1 2 3 9 4]"},
		{-2, "[0 1 2 9 3 4]"},
		{-5, "[9 0 1 2 3 4]"},
		{-6, "[9 0 1 2 3 4]"},
		{-100, "[9 0 1 2 3 4]"},
	} {
		l := listOf(t, "0", "1", "2", "3", "4")
		if err := l.Insert(t.Context(), tc.i, []byte("9")); err != nil {
			t.Fatal(err)
		}
		if got := listString(t, l); got != tc.want {
			t.Errorf("insert(%d, 9): %s, want %s", tc.i, got, tc.want)
		}
	}
	var empty local.List
	if err := empty.Insert(t.Context(), -3, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got := listString(t, &empty); got != "[x]" {
		t.Errorf("insert into an empty list: %s", got)
	}
}

// TestListIndexRules checks negative indices and ErrOutOfRange for Get,
// Set and Pop, and ErrEmpty for Pop on an empty list.
func TestListIndexRules(t *testing.T) {
	ctx := t.Context()
	l := listOf(t, "0", "1", "2", "3", "4")
	for i, want := range map[int]string{-1: "4", -5: "0", 4: "4", 0: "0"} {
		if v, err := l.Get(ctx, i); string(v) != want || err != nil {
			t.Errorf("Get(%d) = %q, %v; want %s", i, v, err, want)
		}
	}
	for _, i := range []int{5, -6, 100, -100} {
		if _, err := l.Get(ctx, i); !errors.Is(err, latchkey.ErrOutOfRange) {
			t.Errorf("Get(%d) = %v, want ErrOutOfRange", i, err)
		}
		if err := l.Set(ctx, i, nil); !errors.Is(err, latchkey.ErrOutOfRange) {
			t.Errorf("Set(%d) = %v, want ErrOutOfRange", i, err)
		}
		if _, err := l.Pop(ctx, i); !errors.Is(err, latchkey.ErrOutOfRange) {
			t.Errorf("Pop(%d) = %v, want ErrOutOfRange", i, err)
		}
	}
	if err := l.Set(ctx, -2, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if v, _ := l.Pop(ctx, -1); string(v) != "4" {
		t.Fatalf("Pop(-1) = %q", v)
	}
	if v, _ := l.Pop(ctx, 1); string(v) != "1" {
		t.Fatalf("Pop(1) = %q", v)
	}
	if got := listString(t, l); got != "[0 2 x]" {
		t.Fatalf("after Set and Pops: %s", got)
	}
	if err := l.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{-1, 0, 3} {
		if _, err := l.Pop(ctx, i); !errors.Is(err, latchkey.ErrEmpty) {
			t.Errorf("Pop(%d) on an empty list = %v, want ErrEmpty", i, err)
		}
	}
	if _, err := l.Get(ctx, 0); !errors.Is(err, latchkey.ErrOutOfRange) {
		t.Errorf("Get(0) on an empty list = %v, want ErrOutOfRange", err)
	}
}

func TestListSearch(t *testing.T) {
	ctx := t.Context()
	l := listOf(t, "b", "a", "b", "", "c")
	if i, err := l.Index(ctx, []byte("b")); i != 0 || err != nil {
		t.Fatalf("Index(b) = %d, %v", i, err)
	}
	if i, err := l.Index(ctx, nil); i != 3 || err != nil { // nil equals ""
		t.Fatalf("Index(nil) = %d, %v", i, err)
	}
	if _, err := l.Index(ctx, []byte("z")); !errors.Is(err, latchkey.ErrNotFound) {
		t.Fatalf("Index(z) = %v, want ErrNotFound", err)
	}
	if c, _ := l.Count(ctx, []byte("b")); c != 2 {
		t.Fatalf("Count(b) = %d", c)
	}
	if c, _ := l.Count(ctx, []byte("z")); c != 0 {
		t.Fatalf("Count(z) = %d", c)
	}
	if err := l.Remove(ctx, []byte("b")); err != nil {
		t.Fatal(err)
	}
	if got := listString(t, l); got != "[a b  c]" {
		t.Fatalf("after Remove(b): %s (want the first b removed)", got)
	}
	if err := l.Remove(ctx, []byte("z")); !errors.Is(err, latchkey.ErrNotFound) {
		t.Fatalf("Remove(z) = %v, want ErrNotFound", err)
	}
}

func TestListSortReverse(t *testing.T) {
	ctx := t.Context()
	l := listOf(t, "b", "aa", "", "a", "B", "b")
	if err := l.Sort(ctx); err != nil {
		t.Fatal(err)
	}
	if got := listString(t, l); got != "[ B a aa b b]" {
		t.Fatalf("sorted: %q", got)
	}
	if err := l.Reverse(ctx); err != nil {
		t.Fatal(err)
	}
	if got := listString(t, l); got != "[b b aa a B ]" {
		t.Fatalf("reversed: %q", got)
	}
}

// TestListNoAliasing checks that values are copied in and out.
func TestListNoAliasing(t *testing.T) {
	ctx := t.Context()
	var l local.List
	in := []byte("abc")
	_ = l.Append(ctx, in)
	_ = l.Insert(ctx, 0, in)
	_ = l.Set(ctx, 0, in)
	in[0] = 'X'
	v, _ := l.Get(ctx, 0)
	v[0] = 'Y'
	s, _ := l.Slice(ctx, 0, 2)
	s[1][0] = 'Z'
	seq, _ := l.All(ctx)
	for _, v := range seq {
		v[1] = 'W'
	}
	if got := listString(t, &l); got != "[abc abc]" {
		t.Fatalf("list = %s after modifying slices passed in and out", got)
	}
	p, _ := l.Pop(ctx, 0)
	p[0] = 'P'
	for _, v := range seq {
		if string(v) != "abc" {
			t.Fatalf("snapshot value %q, want abc", v)
		}
	}
}

// TestListAllSnapshot checks that All iterates over the list as it was
// when All was called (unlike a Python ListProxy, which indexes the live
// list) and that the list may be modified while iterating.
func TestListAllSnapshot(t *testing.T) {
	ctx := t.Context()
	l := listOf(t, "a", "b", "c")
	seq, _ := l.All(ctx)
	if err := l.Set(ctx, 0, []byte("100")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, v := range seq {
		got = append(got, fmt.Sprintf("%d:%s", i, v))
		_ = l.Sort(ctx)
		_, _ = l.Pop(ctx, 0)
	}
	if want := []string{"0:a", "1:b", "2:c"}; !slices.Equal(got, want) {
		t.Fatalf("iterated %q, want %q", got, want)
	}
	if l.Waiters() != 0 {
		t.Fatalf("Waiters = %d", l.Waiters())
	}
}

// TestListIgnoresContext checks that a List works with a done ctx.
func TestListIgnoresContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var l local.List
	if err := l.Append(ctx, []byte("x")); err != nil {
		t.Fatalf("Append with a done ctx: %v", err)
	}
	if v, err := l.Pop(ctx, -1); string(v) != "x" || err != nil {
		t.Fatalf("Pop with a done ctx = %q, %v", v, err)
	}
}

// listModel is the reference model of a List: a plain slice, indexed with
// Python's rules written out case by case.
type listModel struct{ items [][]byte }

// pos returns the position of index i, or -1 if i is out of range.
func (m *listModel) pos(i int) int {
	n := len(m.items)
	switch {
	case i >= 0 && i < n:
		return i
	case i < 0 && -i <= n:
		return n + i
	}
	return -1
}

// bound clamps a slice or insert bound as CPython's PySlice_AdjustIndices.
func (m *listModel) bound(i int) int {
	n := len(m.items)
	if i < 0 {
		i += n
		if i < 0 {
			return 0
		}
		return i
	}
	if i > n {
		return n
	}
	return i
}

func (m *listModel) find(v []byte) int {
	for i, e := range m.items {
		if bytes.Equal(e, v) {
			return i
		}
	}
	return -1
}

// TestListModel runs random operations on a List and on listModel and
// compares every result and, after each step, the whole contents.
func TestListModel(t *testing.T) {
	ctx := t.Context()
	r := rand.New(rand.NewPCG(stateTestSeed(t), 0))
	var l local.List
	var m listModel
	val := func() []byte { return []byte(strconv.Itoa(r.IntN(6))) }
	idx := func() int { return r.IntN(16) - 8 }
	fail := func(step int, op string, got, want any) {
		t.Helper()
		t.Fatalf("step %d: %s = %v, want %v (model %s)", step, op, got, want, bytesListString(m.items))
	}
	for step := range 3000 {
		v, i, j := val(), idx(), idx()
		switch r.IntN(13) {
		case 0, 1:
			w := val()
			_ = l.Append(ctx, v, w)
			m.items = append(m.items, v, w)
		case 2:
			_ = l.Insert(ctx, i, v)
			p := m.bound(i)
			m.items = append(m.items[:p], append([][]byte{v}, m.items[p:]...)...)
		case 3:
			got, err := l.Get(ctx, i)
			if p := m.pos(i); p < 0 {
				if !errors.Is(err, latchkey.ErrOutOfRange) {
					fail(step, fmt.Sprintf("Get(%d)", i), err, latchkey.ErrOutOfRange)
				}
			} else if err != nil || !bytes.Equal(got, m.items[p]) {
				fail(step, fmt.Sprintf("Get(%d)", i), fmt.Sprint(got, err), m.items[p])
			}
		case 4:
			err := l.Set(ctx, i, v)
			if p := m.pos(i); p < 0 {
				if !errors.Is(err, latchkey.ErrOutOfRange) {
					fail(step, fmt.Sprintf("Set(%d)", i), err, latchkey.ErrOutOfRange)
				}
			} else {
				m.items[p] = v
			}
		case 5:
			got, err := l.Pop(ctx, i)
			switch p := m.pos(i); {
			case len(m.items) == 0:
				if !errors.Is(err, latchkey.ErrEmpty) {
					fail(step, fmt.Sprintf("Pop(%d)", i), err, latchkey.ErrEmpty)
				}
			case p < 0:
				if !errors.Is(err, latchkey.ErrOutOfRange) {
					fail(step, fmt.Sprintf("Pop(%d)", i), err, latchkey.ErrOutOfRange)
				}
			default:
				want := m.items[p]
				m.items = append(m.items[:p], m.items[p+1:]...)
				if err != nil || !bytes.Equal(got, want) {
					fail(step, fmt.Sprintf("Pop(%d)", i), fmt.Sprint(got, err), want)
				}
			}
		case 6:
			err := l.Remove(ctx, v)
			if p := m.find(v); p < 0 {
				if !errors.Is(err, latchkey.ErrNotFound) {
					fail(step, "Remove "+string(v), err, latchkey.ErrNotFound)
				}
			} else {
				m.items = append(m.items[:p], m.items[p+1:]...)
			}
		case 7:
			got, err := l.Index(ctx, v)
			if p := m.find(v); p < 0 {
				if !errors.Is(err, latchkey.ErrNotFound) {
					fail(step, "Index "+string(v), err, latchkey.ErrNotFound)
				}
			} else if got != p || err != nil {
				fail(step, "Index "+string(v), fmt.Sprint(got, err), p)
			}
		case 8:
			got, _ := l.Count(ctx, v)
			want := 0
			for _, e := range m.items {
				if bytes.Equal(e, v) {
					want++
				}
			}
			if got != want {
				fail(step, "Count "+string(v), got, want)
			}
		case 9:
			got, _ := l.Slice(ctx, i, j)
			var want [][]byte
			for p := m.bound(i); p < m.bound(j); p++ {
				want = append(want, m.items[p])
			}
			if bytesListString(got) != bytesListString(want) {
				fail(step, fmt.Sprintf("Slice(%d, %d)", i, j), bytesListString(got), bytesListString(want))
			}
		case 10:
			_ = l.Reverse(ctx)
			for a, b := 0, len(m.items)-1; a < b; a, b = a+1, b-1 {
				m.items[a], m.items[b] = m.items[b], m.items[a]
			}
		case 11:
			_ = l.Sort(ctx)
			for a := 1; a < len(m.items); a++ { // insertion sort: stable
				for b := a; b > 0 && bytes.Compare(m.items[b-1], m.items[b]) > 0; b-- {
					m.items[b-1], m.items[b] = m.items[b], m.items[b-1]
				}
			}
		case 12:
			if r.IntN(10) == 0 {
				_ = l.Clear(ctx)
				m.items = nil
			}
		}
		if got, want := listString(t, &l), bytesListString(m.items); got != want {
			fail(step, "All", got, want)
		}
		if n, _ := l.Len(ctx); n != len(m.items) {
			fail(step, "Len", n, len(m.items))
		}
	}
}

// TestListConcurrent has goroutines append, pop and read at once; every
// appended element is popped exactly once.
func TestListConcurrent(t *testing.T) {
	const goroutines, items = 8, 200
	ctx := t.Context()
	var l local.List
	var wg sync.WaitGroup
	var mu sync.Mutex
	popped := map[string]int{}
	for g := range goroutines {
		wg.Go(func() {
			for i := range items {
				_ = l.Append(ctx, []byte(fmt.Sprintf("%d/%d", g, i)))
				if i%2 == 1 {
					v, err := l.Pop(ctx, 0)
					if err != nil {
						t.Errorf("Pop: %v", err)
						return
					}
					mu.Lock()
					popped[string(v)]++
					mu.Unlock()
				}
				_, _ = l.Slice(ctx, -3, -1)
			}
		})
	}
	wg.Wait()
	seq, _ := l.All(ctx)
	for _, v := range seq {
		popped[string(v)]++
	}
	if len(popped) != goroutines*items {
		t.Fatalf("%d distinct elements, want %d", len(popped), goroutines*items)
	}
	for v, n := range popped {
		if n != 1 {
			t.Fatalf("element %s seen %d times", v, n)
		}
	}
}
