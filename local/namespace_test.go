package local_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// namespaceString renders n as Python's str(ns) does: Namespace(a='1', b='2').
func namespaceString(t *testing.T, n latchkey.Namespace) string {
	t.Helper()
	seq, err := n.All(t.Context())
	if err != nil {
		t.Fatalf("All: %v", err)
	}
	var parts []string
	for k, v := range seq {
		parts = append(parts, fmt.Sprintf("%s='%s'", k, v))
	}
	return "Namespace(" + strings.Join(parts, ", ") + ")"
}

// TestNamespaceContainers ports _TestContainers.test_namespace: set and
// read attributes, delete one, str lists the rest sorted, hasattr reflects
// the deletion.
func TestNamespaceContainers(t *testing.T) {
	ctx := t.Context()
	var n local.Namespace
	for attr, v := range map[string]string{"name": "Bob", "job": "Builder"} {
		if err := n.Store(ctx, attr, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := n.Load(ctx, "name"); string(v) != "Bob" || err != nil {
		t.Fatalf("n.name = %q, %v", v, err)
	}
	if v, err := n.Load(ctx, "job"); string(v) != "Builder" || err != nil {
		t.Fatalf("n.job = %q, %v", v, err)
	}
	if got, want := namespaceString(t, &n), "Namespace(job='Builder', name='Bob')"; got != want {
		t.Fatalf("str(n) = %s, want %s", got, want)
	}
	if err := n.Delete(ctx, "job"); err != nil {
		t.Fatal(err)
	}
	if got, want := namespaceString(t, &n), "Namespace(name='Bob')"; got != want {
		t.Fatalf("str(n) = %s, want %s", got, want)
	}
	if _, err := n.Load(ctx, "job"); !errors.Is(err, latchkey.ErrNotFound) { // hasattr(n, 'job') is False
		t.Fatalf("n.job after del = %v, want ErrNotFound", err)
	}
	if _, err := n.Load(ctx, "name"); err != nil { // hasattr(n, 'name')
		t.Fatalf("n.name after del n.job = %v", err)
	}
}

// TestNamespaceSyncManagerTypes ports TestSyncManagerTypes.test_namespace:
// another goroutine reads x=0 and y=1 set first.
func TestNamespaceSyncManagerTypes(t *testing.T) {
	ctx := t.Context()
	var n local.Namespace
	_ = n.Store(ctx, "x", []byte("0"))
	_ = n.Store(ctx, "y", []byte("1"))
	done := make(chan string)
	go func() {
		x, _ := n.Load(ctx, "x")
		y, _ := n.Load(ctx, "y")
		done <- string(x) + string(y)
	}()
	if got := <-done; got != "01" {
		t.Fatalf("child read x, y = %q, want 01", got)
	}
}

func TestNamespaceMissing(t *testing.T) {
	ctx := t.Context()
	var n local.Namespace
	if _, err := n.Load(ctx, "missing"); !errors.Is(err, latchkey.ErrNotFound) {
		t.Fatalf("Load(missing) = %v, want ErrNotFound", err)
	}
	if err := n.Delete(ctx, "missing"); !errors.Is(err, latchkey.ErrNotFound) {
		t.Fatalf("Delete(missing) = %v, want ErrNotFound", err)
	}
	if got := namespaceString(t, &n); got != "Namespace()" {
		t.Fatalf("empty namespace: %s", got)
	}
	// Underscore names are shared like any other (Python keeps them local
	// to the proxy); an empty value is a value.
	if err := n.Store(ctx, "_hidden", nil); err != nil {
		t.Fatal(err)
	}
	if v, err := n.Load(ctx, "_hidden"); err != nil || len(v) != 0 {
		t.Fatalf("Load(_hidden) = %q, %v", v, err)
	}
	if n.Waiters() != 0 {
		t.Fatalf("Waiters = %d", n.Waiters())
	}
}

// TestNamespaceNoAliasing checks copies in and out and that All is a
// snapshot.
func TestNamespaceNoAliasing(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // a Namespace ignores its ctx
	var n local.Namespace
	in := []byte("abc")
	if err := n.Store(ctx, "a", in); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	out, _ := n.Load(ctx, "a")
	out[1] = 'Y'
	seq, _ := n.All(ctx)
	_ = n.Store(ctx, "a", []byte("new"))
	_ = n.Store(ctx, "b", []byte("b"))
	for k, v := range seq {
		if k != "a" || string(v) != "abc" {
			t.Fatalf("snapshot has %s=%q, want only a=abc", k, v)
		}
		v[0] = 'Z'
	}
	if got := namespaceString(t, &n); got != "Namespace(a='new', b='b')" {
		t.Fatalf("namespace = %s", got)
	}
}

func TestNamespaceConcurrent(t *testing.T) {
	const goroutines, attrs = 8, 100
	ctx := t.Context()
	var n local.Namespace
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range attrs {
				attr := fmt.Sprintf("g%d_%03d", g, i)
				_ = n.Store(ctx, attr, []byte(attr))
				if v, err := n.Load(ctx, attr); string(v) != attr || err != nil {
					t.Errorf("Load(%s) = %q, %v", attr, v, err)
				}
				if i%2 == 0 {
					if err := n.Delete(ctx, attr); err != nil {
						t.Errorf("Delete(%s) = %v", attr, err)
					}
				}
				seq, _ := n.All(ctx)
				prev := ""
				for k := range seq {
					if k <= prev {
						t.Errorf("All not sorted: %q after %q", k, prev)
					}
					prev = k
				}
			}
		})
	}
	wg.Wait()
	seq, _ := n.All(ctx)
	count := 0
	for range seq {
		count++
	}
	if count != goroutines*attrs/2 {
		t.Fatalf("%d attributes, want %d", count, goroutines*attrs/2)
	}
}
