package conformance

import (
	"fmt"
	"slices"
	"testing"

	"github.com/latchkey/latchkey"
)

// namespaceTests mirrors _test_multiprocessing's namespace tests and our
// own rules. Python keeps attributes whose names begin with "_" on the
// local proxy (test_namespace's n._hidden); a Namespace has no local part,
// so that half of the test has no counterpart and such names are ordinary.
var namespaceTests = []test{
	{"Namespace", "_test_multiprocessing._TestContainers.test_namespace", nNamespace},
	{"SyncManagerNamespace", "_test_multiprocessing.TestSyncManagerTypes.test_namespace", nSyncManagerNamespace},
	{"Missing", "", nMissing},
	{"AllSorted", "", nAllSorted},
	{"Copies", "", nCopies},
	{"Typed", "", nTyped},
}

func nOpen(t testing.TB, e *Env, name string) latchkey.Namespace {
	t.Helper()
	n, err := e.M.Namespace(t.Context(), name)
	if err != nil {
		t.Fatalf("Namespace(%q): %v", name, err)
	}
	return n
}

func nWantLoad(t testing.TB, n latchkey.Namespace, attr, want string) {
	t.Helper()
	v, err := n.Load(t.Context(), attr)
	if err != nil || string(v) != want {
		t.Fatalf("Load(%q) = %q, %v; want %q", attr, v, err, want)
	}
}

// nWant checks All against kv (alternating names and values).
func nWant(t testing.TB, n latchkey.Namespace, kv ...string) {
	t.Helper()
	if kv == nil {
		kv = []string{}
	}
	seq, err := n.All(t.Context())
	if err != nil {
		t.Fatalf("All: %v", err)
	}
	if got := dFlatten(seq); !slices.Equal(got, kv) {
		t.Fatalf("All = %q, want %q", got, kv)
	}
}

// nNamespace: attributes are set, read and deleted; All lists them sorted
// (Python's str(n) == "Namespace(name='Bob')").
func nNamespace(t *testing.T, e *Env) {
	ctx := t.Context()
	n := nOpen(t, e, "n")
	must(t, n.Store(ctx, "name", kvB("Bob")))
	must(t, n.Store(ctx, "job", kvB("Builder")))
	nWantLoad(t, n, "name", "Bob")
	nWantLoad(t, n, "job", "Builder")
	must(t, n.Delete(ctx, "job"))
	_, err := n.Load(ctx, "job")
	kvIs(t, err, latchkey.ErrNotFound, "Load of a deleted attribute")
	nWant(t, n, "name", "Bob")
}

// nSyncManagerNamespace: a "child" with its own handle reads what the
// parent set.
func nSyncManagerNamespace(t *testing.T, e *Env) {
	ctx := t.Context()
	n := nOpen(t, e, "n")
	must(t, n.Store(ctx, "x", kvB("0")))
	must(t, n.Store(ctx, "y", kvB("1")))
	child := kvAsync(t, func() error {
		c, err := e.M.Namespace(ctx, "n")
		if err != nil {
			return err
		}
		for attr, want := range map[string]string{"x": "0", "y": "1"} {
			if v, err := c.Load(ctx, attr); err != nil || string(v) != want {
				return fmt.Errorf("Load(%q) = %q, %v", attr, v, err)
			}
		}
		return c.Store(ctx, "z", kvB("2"))
	})
	must(t, kvRecv(t, e, child))
	nWant(t, n, "x", "0", "y", "1", "z", "2")
}

func nMissing(t *testing.T, e *Env) {
	ctx := t.Context()
	n := nOpen(t, e, "n")
	_, err := n.Load(ctx, "missing")
	kvIs(t, err, latchkey.ErrNotFound, "Load of a missing attribute")
	kvIs(t, n.Delete(ctx, "missing"), latchkey.ErrNotFound, "Delete of a missing attribute")
	nWant(t, n)
	must(t, n.Store(ctx, "a", kvB("1")))
	must(t, n.Store(ctx, "a", kvB("2")))
	nWantLoad(t, n, "a", "2")
	must(t, n.Delete(ctx, "a"))
	kvIs(t, n.Delete(ctx, "a"), latchkey.ErrNotFound, "second Delete")
	must(t, n.Store(ctx, "e", nil))
	if v, err := n.Load(ctx, "e"); err != nil || len(v) != 0 {
		t.Fatalf("Load of an empty attribute = %q, %v", v, err)
	}
	nWant(t, n, "e", "")
}

// nAllSorted: All is sorted by name whatever the order of stores, and is
// a snapshot.
func nAllSorted(t *testing.T, e *Env) {
	ctx := t.Context()
	n := nOpen(t, e, "n")
	for _, a := range []string{"b", "_hidden", "c", "a", "B", "aa"} {
		must(t, n.Store(ctx, a, kvB("v"+a)))
	}
	want := []string{"B", "vB", "_hidden", "v_hidden", "a", "va", "aa", "vaa", "b", "vb", "c", "vc"}
	nWant(t, n, want...)
	seq, err := n.All(ctx)
	must(t, err)
	must(t, n.Delete(ctx, "a"))
	must(t, n.Store(ctx, "0", kvB("new")))
	if got := dFlatten(seq); !slices.Equal(got, want) {
		t.Fatalf("snapshot = %q, want %q", got, want)
	}
}

func nCopies(t *testing.T, e *Env) {
	ctx := t.Context()
	n := nOpen(t, e, "n")
	b := kvB("abc")
	must(t, n.Store(ctx, "a", b))
	b[0] = 'X'
	v, err := n.Load(ctx, "a")
	must(t, err)
	v[1] = 'Y'
	seq, err := n.All(ctx)
	must(t, err)
	for _, v := range seq {
		v[2] = 'Z'
	}
	nWantLoad(t, n, "a", "abc")
}

func nTyped(t *testing.T, e *Env) {
	ctx := t.Context()
	n := latchkey.NewNamespaceOf[[]string](nOpen(t, e, "n"), nil)
	must(t, n.Store(ctx, "list", []string{"a", "b"}))
	if v, err := n.Load(ctx, "list"); err != nil || !slices.Equal(v, []string{"a", "b"}) {
		t.Fatalf("Load = %q, %v", v, err)
	}
	_, err := n.Load(ctx, "missing")
	kvIs(t, err, latchkey.ErrNotFound, "typed Load of a missing attribute")
}
