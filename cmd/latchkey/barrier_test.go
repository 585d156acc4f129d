package main

import (
	"slices"
	"testing"
)

// TestBarrier: two parties pass with indices 0 and 1; a wait that times
// out breaks the barrier (75), and later waits fail (1); reset mends it
// and abort breaks it.
func TestBarrier(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dialTest(t, addr)
	first, fout, ferr := startLK(t, addr, "barrier", "wait", "b", "--parties", "2")
	eventually(t, "the first party to wait", func() bool { return waiters(t, c, "b") == 1 })
	second := must(t, addr, "barrier", "wait", "b", "--parties", "2")
	r := wait(t, first, fout, ferr)
	if r.code != 0 {
		t.Fatalf("first party: %+v", r)
	}
	if got := []string{r.stdout, second}; !slices.Equal(got, []string{"0\n", "1\n"}) {
		t.Fatalf("indices %q, want 0 then 1", got)
	}
	expect(t, exitTimeout, "timed out after 100ms", addr, "barrier", "wait", "lonely", "--parties", "2", "--timeout", "100ms")
	expect(t, exitFailure, "barrier wait lonely: the barrier is broken", addr, "barrier", "wait", "lonely", "--parties", "2", "--timeout", "1s")
	expect(t, exitFailure, "another type or with other parameters", addr, "barrier", "wait", "b", "--parties", "3")

	// reset mends the broken barrier; abort breaks it again.
	b, err := c.Barrier(t.Context(), "lonely", 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	broken := func() bool {
		t.Helper()
		x, err := b.Broken(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	must(t, addr, "barrier", "reset", "lonely", "--parties", "2")
	if broken() {
		t.Fatal("barrier still broken after barrier reset")
	}
	must(t, addr, "barrier", "abort", "lonely", "--parties", "2")
	if !broken() {
		t.Fatal("barrier not broken after barrier abort")
	}
	expect(t, exitFailure, "another type or with other parameters", addr, "barrier", "reset", "lonely", "--parties", "3")
}
