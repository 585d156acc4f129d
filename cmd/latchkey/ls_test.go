package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestLs: the table, the JSON records, the prefix, and waiters.
func TestLs(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dialTest(t, addr)
	if got := lines(must(t, addr, "ls")); len(got) != 1 || strings.Fields(got[0])[0] != "NAME" {
		t.Fatalf("ls of an empty server: %q", got)
	}
	if out := must(t, addr, "ls", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("ls --json of an empty server: %q", out)
	}
	must(t, addr, "value", "set", "app.count", "1")
	must(t, addr, "dict", "set", "app.cfg", "k", "v")
	must(t, addr, "event", "set", "other")
	w, _, _ := startLK(t, addr, "queue", "get", "app.jobs")
	eventually(t, "the get to wait", func() bool { return waiters(t, c, "app.jobs") == 1 })

	var table [][]string
	for _, l := range lines(must(t, addr, "ls")) {
		table = append(table, strings.Fields(l))
	}
	want := [][]string{{"NAME", "TYPE", "WAITERS"}, {"app.cfg", "Dict", "0"}, {"app.count", "Value", "0"}, {"app.jobs", "Queue", "1"}, {"other", "Event", "0"}}
	if !slices.EqualFunc(table, want, slices.Equal) {
		t.Fatalf("ls:\n%q\nwant\n%q", table, want)
	}
	var recs []objectRecord
	if err := json.Unmarshal([]byte(must(t, addr, "ls", "--json", "app.")), &recs); err != nil {
		t.Fatal(err)
	}
	wantRecs := []objectRecord{{"app.cfg", "Dict", 0}, {"app.count", "Value", 0}, {"app.jobs", "Queue", 1}}
	if !slices.Equal(recs, wantRecs) {
		t.Fatalf("ls --json app.: %+v, want %+v", recs, wantRecs)
	}
	must(t, addr, "queue", "put", "app.jobs", "x")
	if err := w.Wait(); err != nil {
		t.Fatal(err)
	}
}
