package main

import (
	"slices"
	"testing"
)

// TestQueue: put, len, get (which marks done), join, and get's timeout.
func TestQueue(t *testing.T) {
	_, addr := startServer(t, nil)
	must(t, addr, "queue", "put", "jobs", "a", "b c", "--", "-x")
	if out := must(t, addr, "queue", "len", "jobs"); out != "3\n" {
		t.Fatalf("len = %q", out)
	}
	for _, want := range []string{"a\n", "b c\n"} {
		if out := must(t, addr, "queue", "get", "jobs"); out != want {
			t.Fatalf("get = %q, want %q", out, want)
		}
	}
	// One item is not done yet.
	expect(t, exitTimeout, "timed out after 100ms", addr, "queue", "join", "jobs", "--timeout", "100ms")
	if out := must(t, addr, "queue", "get", "jobs", "--timeout", "5s"); out != "-x\n" {
		t.Fatalf("get = %q", out)
	}
	must(t, addr, "queue", "join", "jobs")
	r := expect(t, exitTimeout, "queue get jobs: timed out after 100ms waiting for an item", addr, "queue", "get", "jobs", "--timeout", "100ms")
	if r.stdout != "" {
		t.Fatalf("get on timeout printed %q", r.stdout)
	}
	if out := must(t, addr, "queue", "len", "jobs"); out != "0\n" {
		t.Fatalf("len = %q", out)
	}
}

// TestQueueGetWaits: a get on an empty queue waits for a put, and a join
// waits for that get.
func TestQueueGetWaits(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dialTest(t, addr)
	must(t, addr, "queue", "len", "q") // creates it
	get, gout, gerr := startLK(t, addr, "queue", "get", "q")
	eventually(t, "the get to wait", func() bool { return waiters(t, c, "q") == 1 })
	must(t, addr, "queue", "put", "q", "item")
	join, jout, jerr := startLK(t, addr, "queue", "join", "q")
	if r := wait(t, get, gout, gerr); r.code != 0 || r.stdout != "item\n" {
		t.Fatalf("get: %+v", r)
	}
	if r := wait(t, join, jout, jerr); r.code != 0 {
		t.Fatalf("join: %+v", r)
	}
}

// TestQueueMismatch: a queue a program opened with other options is
// refused with exit 1.
func TestQueueMismatch(t *testing.T) {
	_, addr := startServer(t, nil)
	must(t, addr, "dict", "set", "taken", "k", "v")
	expect(t, exitFailure, "another type", addr, "queue", "put", "taken", "x")
	if !slices.Equal(lines(must(t, addr, "dict", "keys", "taken")), []string{"k"}) {
		t.Fatal("dict changed")
	}
}
