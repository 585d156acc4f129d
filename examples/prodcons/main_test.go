package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/examples/internal/children"
	"github.com/latchkey/latchkey/examples/internal/childtest"
	"github.com/latchkey/latchkey/proc"
	"github.com/latchkey/latchkey/shm"
)

// TestMain lets the test binary be the children (proc.Main runs their
// function and exits), then runs the tests with a goroutine leak check.
func TestMain(m *testing.M) { childtest.Main(m) }

// checkOutput checks run's output for cfg: the producer made every item
// in order; each item was eaten by exactly one consumer, after it was
// made, and each consumer ate in increasing order; the producer saw every
// item eaten before it ended the consumers, each of which says how it
// ended; the summary counts what each consumer ate.
func checkOutput(t *testing.T, lines []string, cfg config) {
	t.Helper()
	index := func(line string) int {
		t.Helper()
		i := slices.Index(lines, line)
		if i < 0 {
			t.Fatalf("no line %q in:\n%s", line, strings.Join(lines, "\n"))
		}
		return i
	}

	made := make([]int, cfg.items) // line of "made item x"
	prev := -1
	for x := range cfg.items {
		made[x] = index(fmt.Sprintf("producer: made item %d", x))
		if made[x] < prev {
			t.Errorf("item %d was made before item %d", x, x-1)
		}
		prev = made[x]
	}
	eaten := index("producer: every item was eaten")

	ate := make([][]int, cfg.consumers) // the items each consumer ate
	lastAte := -1
	seen := make(map[int]bool)
	for j, l := range lines {
		var c, x int
		if _, err := fmt.Sscanf(l, "consumer %d: ate item %d", &c, &x); err != nil {
			continue
		}
		if c < 0 || c >= cfg.consumers || x < 0 || x >= cfg.items {
			t.Fatalf("line %q: no such consumer or item", l)
		}
		if seen[x] {
			t.Errorf("item %d was eaten twice", x)
		}
		seen[x] = true
		if j < made[x] {
			t.Errorf("item %d was eaten (line %d) before it was made (line %d)", x, j+1, made[x]+1)
		}
		if n := len(ate[c]); n > 0 && ate[c][n-1] > x {
			t.Errorf("consumer %d ate item %d after item %d", c, x, ate[c][n-1])
		}
		ate[c] = append(ate[c], x)
		lastAte = j
	}
	if len(seen) != cfg.items {
		t.Errorf("%d items were eaten, want %d", len(seen), cfg.items)
	}
	if lastAte > eaten {
		t.Errorf("the producer saw every item eaten (line %d) before the last was (line %d)", eaten+1, lastAte+1)
	}

	end, consumerEnd := "producer: shutting the queue down", "consumer %d: the queue is shut down"
	if cfg.sentinel {
		end, consumerEnd = fmt.Sprintf("producer: put %d sentinels", cfg.consumers), "consumer %d: got the sentinel"
	}
	endAt := index(end)
	if endAt < eaten {
		t.Errorf("the producer ended the consumers before every item was eaten")
	}
	counts := make([]string, cfg.consumers)
	for c := range cfg.consumers {
		at := index(fmt.Sprintf(consumerEnd, c))
		if at < eaten {
			t.Errorf("consumer %d ended before every item was eaten", c)
		}
		if !cfg.sentinel && at < endAt {
			// The producer says it shuts the queue down before it does.
			t.Errorf("consumer %d saw the queue shut down before the producer shut it down", c)
		}
		counts[c] = fmt.Sprintf("consumer %d ate %d", c, len(ate[c]))
	}
	want := fmt.Sprintf("%s: each of the %d items was delivered exactly once, in order", strings.Join(counts, ", "), cfg.items)
	if last := lines[len(lines)-1]; last != want {
		t.Errorf("last line = %q, want %q", last, want)
	}
	if want := 2*cfg.items + 2 + cfg.consumers + 1; len(lines) != want {
		t.Errorf("got %d lines, want %d", len(lines), want)
	}
}

func TestRun(t *testing.T) {
	for _, cfg := range []config{
		{items: 10, consumers: 1},
		{items: 10, consumers: 1, sentinel: true},
		{items: 300, consumers: 3},
		{items: 300, consumers: 3, sentinel: true},
		{items: 0, consumers: 2},
		{items: 0, consumers: 2, sentinel: true},
		{items: 5, consumers: 2, delay: time.Millisecond},
	} {
		t.Run(fmt.Sprintf("%dx%d,sentinel=%v,%v", cfg.items, cfg.consumers, cfg.sentinel, cfg.delay), func(t *testing.T) {
			cfg.dir = t.TempDir()
			out := childtest.OutFile(t)
			if err := run(t.Context(), out, cfg); err != nil {
				t.Fatalf("run: %v", err)
			}
			lines := childtest.ReadLines(t, out)
			if cfg.items <= 10 {
				t.Logf("output:\n%s", strings.Join(lines, "\n"))
			}
			checkOutput(t, lines, cfg)
			childtest.CheckRemoved(t, cfg.dir)
		})
	}
}

func TestCheckDelivery(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  [][]int
		ok   bool
	}{
		{"one consumer", [][]int{{0, 1, 2, 3}}, true},
		{"two consumers", [][]int{{0, 2, 3}, {1}}, true},
		{"one ate nothing", [][]int{{}, {0, 1, 2, 3}}, true},
		{"lost", [][]int{{0, 1, 3}}, false},
		{"twice", [][]int{{0, 1, 2, 3}, {2}}, false},
		{"twice to one", [][]int{{0, 1, 1, 2, 3}}, false},
		{"out of order", [][]int{{0, 2, 1, 3}}, false},
		{"never made", [][]int{{0, 1, 2, 3, 4}}, false},
		{"negative", [][]int{{-1, 0, 1, 2, 3}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkDelivery(tc.got, 4); (err == nil) != tc.ok {
				t.Errorf("checkDelivery(%v, 4) = %v, want ok = %v", tc.got, err, tc.ok)
			}
		})
	}
}

// TestJoinAllStopsTheOthers runs a producer with a consumer that fails at
// once: the producer, which would block on the full queue for ever, is
// terminated, and JoinAll returns the consumer's error.
func TestJoinAllStopsTheOthers(t *testing.T) {
	dir := t.TempDir()
	m, err := shm.NewManager(&shm.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.OpenQueue(t.Context(), "q", queueOptions); err != nil {
		t.Fatal(err)
	}
	r := role{Dir: dir, Queue: "q", Items: 10, Consumers: 1}
	bad := r
	bad.Queue = "" // an invalid name
	ps := []*proc.Process[role, []int]{
		proc.NewProcess(producer, r, &proc.ProcessConfig{Name: "producer", Daemon: true, Stdout: childtest.OutFile(t)}),
		proc.NewProcess(consumer, bad, &proc.ProcessConfig{Name: "consumer", Daemon: true, Stdout: childtest.OutFile(t)}),
	}
	if err := children.StartAll(t.Context(), ps...); err != nil {
		t.Fatal(err)
	}
	err = children.JoinAll(t.Context(), ps...)
	if !errors.Is(err, latchkey.ErrInvalid) || !strings.HasPrefix(err.Error(), "consumer: ") {
		t.Fatalf("JoinAll = %v, want the consumer's ErrInvalid only", err)
	}
	if code, _ := ps[0].ExitCode(); code != -15 {
		t.Errorf("the producer's exit code is %d, want -15 (terminated)", code)
	}
}

// TestRunCancelWhileRunning cancels the run while the producer pauses and
// the consumer waits for an item: run returns context.Canceled after
// terminating both, and removes the queue.
func TestRunCancelWhileRunning(t *testing.T) {
	cfg := config{items: 3, consumers: 1, delay: time.Hour, dir: t.TempDir()}
	out := childtest.OutFile(t)
	lines := childtest.CancelWhen(t, out,
		func(ctx context.Context) error { return run(ctx, out, cfg) },
		"item 0 eaten",
		func(lines []string) bool { return slices.Contains(lines, "consumer 0: ate item 0") })
	if want := []string{"producer: made item 0", "consumer 0: ate item 0"}; !slices.Equal(lines, want) {
		t.Errorf("output = %q, want %q", lines, want)
	}
	childtest.CheckRemoved(t, cfg.dir)
}

func TestRunCancelled(t *testing.T) {
	dir := t.TempDir()
	childtest.RunCancelled(t, func(ctx context.Context, out *os.File) error {
		return run(ctx, out, config{items: 3, consumers: 1, dir: dir})
	})
	childtest.CheckRemoved(t, dir)
}

func TestRunInvalid(t *testing.T) {
	for _, cfg := range []config{
		{items: -1, consumers: 1},
		{items: 3, consumers: 0},
		{items: 3, consumers: 1, delay: -time.Second},
	} {
		if err := run(t.Context(), os.Stdout, cfg); err == nil {
			t.Errorf("run(%+v) succeeded", cfg)
		}
	}
}
