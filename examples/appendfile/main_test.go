package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// checkOutput checks run's report for two blocks of n lines in the file
// called name.
func checkOutput(t *testing.T, out string, name string, n int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines of output, want 3:\n%s", len(lines), out)
	}
	want := fmt.Sprintf("%s: appended %d lines in 2 blocks of %d, not interleaved", name, 2*n, n)
	if lines[0] != want {
		t.Errorf("first line = %q, want %q", lines[0], want)
	}
	for _, l := range []string{lineWith, lineNoWith} {
		b := fmt.Sprintf("  %d x %q", n, l)
		if lines[1] != b && lines[2] != b {
			t.Errorf("no block line %q in:\n%s", b, out)
		}
	}
}

func TestRunTempFile(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out, "", 10); err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Logf("output:\n%s", &out)
	checkOutput(t, out.String(), "file.txt", 10)
}

func TestRunNamedFileAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.txt")
	const before = "written before\n"
	if err := os.WriteFile(path, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var out bytes.Buffer
		if err := run(t.Context(), &out, path, 50); err != nil {
			t.Fatalf("run: %v", err)
		}
		checkOutput(t, out.String(), "log.txt", 50)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), before) {
		t.Errorf("the file's previous content was not kept: it starts with %q", data[:min(len(data), 40)])
	}
	if got, want := strings.Count(string(data), "\n"), 1+2*2*50; got != want {
		t.Errorf("the file has %d lines, want %d", got, want)
	}
}

func TestCheck(t *testing.T) {
	w, d := lineWith, lineNoWith
	for _, tc := range []struct {
		name  string
		lines []string
		ok    bool
	}{
		{"with first", []string{w, w, d, d}, true},
		{"directly first", []string{d, d, w, w}, true},
		{"interleaved", []string{w, d, w, d}, false},
		{"one worker only", []string{w, w, w, w}, false},
		{"too short", []string{w, w, d}, false},
		{"foreign line", []string{w, w, d, "x"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := check(tc.lines, 2)
			if (err == nil) != tc.ok {
				t.Errorf("check(%q) = %v, want ok = %v", tc.lines, err, tc.ok)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	if err := run(t.Context(), new(bytes.Buffer), "", 0); err == nil {
		t.Error("run with 0 lines succeeded")
	}
	if err := run(t.Context(), new(bytes.Buffer), t.TempDir(), 1); err == nil {
		t.Error("run on a directory succeeded")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	path := filepath.Join(t.TempDir(), "file.txt")
	if err := run(ctx, new(bytes.Buffer), path, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("run with a cancelled ctx = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run with a cancelled ctx created the file (stat: %v)", err)
	}
}
