package main

import (
	"slices"
	"testing"
)

// TestDict: set, get, keys (sorted), del, and a missing key (exit 1).
func TestDict(t *testing.T) {
	_, addr := startServer(t, nil)
	must(t, addr, "dict", "set", "cfg", "zeta", "last")
	must(t, addr, "dict", "set", "cfg", "alpha", "first value")
	must(t, addr, "dict", "set", "cfg", "--", "-k", "-1")
	if out := must(t, addr, "dict", "get", "cfg", "alpha"); out != "first value\n" {
		t.Fatalf("get = %q", out)
	}
	if out := must(t, addr, "dict", "get", "cfg", "--", "-k"); out != "-1\n" {
		t.Fatalf("get = %q", out)
	}
	if got := lines(must(t, addr, "dict", "keys", "cfg")); !slices.Equal(got, []string{"-k", "alpha", "zeta"}) {
		t.Fatalf("keys = %q", got)
	}
	must(t, addr, "dict", "del", "cfg", "zeta")
	must(t, addr, "dict", "del", "cfg", "zeta") // missing: not an error
	r := expect(t, exitFailure, `latchkey: dict get cfg: no key "zeta"`, addr, "dict", "get", "cfg", "zeta")
	if r.stdout != "" {
		t.Fatalf("missing key printed %q", r.stdout)
	}
	if out := must(t, addr, "dict", "keys", "empty"); out != "" {
		t.Fatalf("keys of an empty dict = %q", out)
	}
}
