package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	const n = 20_000
	var out bytes.Buffer
	if err := run(t.Context(), &out, n); err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Logf("output:\n%s", &out)

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), &out)
	}
	var racy, lost, locked, added int64
	scan := func(line, format string, args ...any) {
		t.Helper()
		if _, err := fmt.Sscanf(line, format, args...); err != nil {
			t.Fatalf("line %q does not match %q: %v", line, format, err)
		}
	}
	scan(lines[0], "without a lock: %d (%d updates lost)", &racy, &lost)
	scan(lines[1], "with local.Lock: %d", &locked)
	scan(lines[2], "with local.Value.Add: %d", &added)

	const want = workers * n
	if racy < 1 || racy > want || racy+lost != want {
		t.Errorf("without a lock: total %d, lost %d; want a total in [1, %d] and total+lost = %d", racy, lost, want, want)
	}
	if locked != want {
		t.Errorf("with local.Lock: total %d, want %d", locked, want)
	}
	if added != want {
		t.Errorf("with local.Value.Add: total %d, want %d", added, want)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out bytes.Buffer
	err := run(ctx, &out, 10)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run with a cancelled ctx = %v, want context.Canceled", err)
	}
	if out.Len() != 0 {
		t.Errorf("run with a cancelled ctx printed %q", &out)
	}
}

func TestRunNegative(t *testing.T) {
	if err := run(t.Context(), new(bytes.Buffer), -1); err == nil {
		t.Fatal("run with n = -1 succeeded")
	}
}

// TestLostUpdates checks that the version without a lock does lose
// updates. Whether it does in one run depends on the scheduler, so it
// tries a few times.
func TestLostUpdates(t *testing.T) {
	const n = 20_000
	for range 10 {
		if got := withoutLock(n); got < workers*n {
			t.Logf("%d of %d updates lost", workers*n-got, workers*n)
			return
		}
	}
	t.Errorf("no update was lost in 10 runs of %d increments", workers*n)
}
