package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
)

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{errors.New("boom"), exitFailure},
		{latchkey.ErrMismatch, exitFailure},
		{usagef("bad"), exitUsage},
		{fmt.Errorf("queue get q: %w", usagef("bad")), exitUsage},
		{fmt.Errorf("connecting: %w", fmt.Errorf("%w: refused", latchkey.ErrUnavailable)), exitNoServer},
		{timedOut(time.Second, "x"), exitTimeout},
		{fmt.Errorf("run: %w", timedOut(time.Second, "x")), exitTimeout},
		{fmt.Errorf("wait: %w", context.DeadlineExceeded), exitTimeout},
		{silentExit(3), 3},
		{silentExit(exitSignalBase + 15), 143},
		{&exitError{code: exitNotFound, err: errors.New("x: command not found")}, exitNotFound},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestReport(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{silentExit(3), ""},
		{errors.New("dict get d: no key \"k\""), "latchkey: dict get d: no key \"k\"\n"},
		{errors.New("latchkey: locked"), "latchkey: locked\n"},
		{errors.New("two\nlines"), "latchkey: two lines\n"},
		{usagef("no command after --"), "latchkey: no command after --\nRun 'latchkey run --help' for usage.\n"},
		{timedOut(100*time.Millisecond, "an item"), "latchkey: timed out after 100ms waiting for an item\n"},
	} {
		var b bytes.Buffer
		report(&b, tc.err, "latchkey run")
		if b.String() != tc.want {
			t.Errorf("report(%v) wrote %q, want %q", tc.err, b.String(), tc.want)
		}
	}
}

func TestSignalExitCode(t *testing.T) {
	for _, s := range interruptSignals {
		if got := signalExitCode(s); got <= exitSignalBase || got > exitSignalBase+64 {
			t.Errorf("signalExitCode(%v) = %d", s, got)
		}
	}
}
