package main

import (
	"sync"
	"testing"
)

// TestValue: get, set, add with negative numbers, and concurrent adds
// that lose no update.
func TestValue(t *testing.T) {
	_, addr := startServer(t, nil)
	if out := must(t, addr, "value", "get", "n"); out != "0\n" {
		t.Fatalf("initial value = %q", out)
	}
	if out := must(t, addr, "value", "add", "n", "-5"); out != "-5\n" {
		t.Fatalf("add -5 = %q", out)
	}
	must(t, addr, "value", "set", "n", "-42")
	if out := must(t, addr, "value", "get", "n"); out != "-42\n" {
		t.Fatalf("get = %q", out)
	}
	must(t, addr, "value", "set", "n", "0")
	const procs = 6
	var wg sync.WaitGroup
	codes := make([]int, procs)
	for i := range procs {
		wg.Go(func() { codes[i] = runLK(t, addr, "value", "add", "n", "1").code })
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Fatalf("add %d: exit %d", i, c)
		}
	}
	if out := must(t, addr, "value", "get", "n"); out != "6\n" {
		t.Fatalf("after %d concurrent adds: %q", procs, out)
	}
}
