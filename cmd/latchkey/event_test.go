package main

import "testing"

// TestEvent: is-set, wait's timeout, a wait woken by set, clear.
func TestEvent(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dialTest(t, addr)
	if out := must(t, addr, "event", "is-set", "go"); out != "false\n" {
		t.Fatalf("is-set = %q", out)
	}
	expect(t, exitTimeout, "event wait go: timed out after 100ms", addr, "event", "wait", "go", "--timeout", "100ms")
	w, wout, werr := startLK(t, addr, "event", "wait", "go")
	eventually(t, "the wait to block", func() bool { return waiters(t, c, "go") == 1 })
	must(t, addr, "event", "set", "go")
	if r := wait(t, w, wout, werr); r.code != 0 {
		t.Fatalf("wait: %+v", r)
	}
	if out := must(t, addr, "event", "is-set", "go"); out != "true\n" {
		t.Fatalf("is-set = %q", out)
	}
	must(t, addr, "event", "wait", "go", "--timeout", "100ms")
	must(t, addr, "event", "clear", "go")
	if out := must(t, addr, "event", "is-set", "go"); out != "false\n" {
		t.Fatalf("is-set after clear = %q", out)
	}
}
