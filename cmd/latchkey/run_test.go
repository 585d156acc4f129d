package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/server"
)

// mustTryLock fails t unless the lock name is free, and frees it again.
func mustTryLock(t *testing.T, c *client.Client, name string) {
	t.Helper()
	l, err := c.Lock(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.TryLock(t.Context()); err != nil {
		t.Fatalf("TryLock %s: %v", name, err)
	}
	if err := l.Unlock(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestRunStatus: run passes its command's status through (128+N for a
// signal), passes stdin and stdout through, and releases the lock after.
func TestRunStatus(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dialTest(t, addr)
	expect(t, 3, "", addr, "run", "--lock", "L", "--", "sh", "-c", "exit 3")
	mustTryLock(t, c, "L")
	expect(t, 128+int(syscall.SIGKILL), "", addr, "run", "--lock", "L", "--", "sh", "-c", "kill -KILL $$")
	mustTryLock(t, c, "L")

	cmd := latchkeyCmd(t, addr, "run", "--lock", "L", "--", "cat")
	cmd.Stdin = strings.NewReader("through\n")
	stdout, stderr := capture(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if r := wait(t, cmd, stdout, stderr); r.code != 0 || r.stdout != "through\n" {
		t.Fatalf("run cat: %+v", r)
	}
	mustTryLock(t, c, "L")
}

// TestRunFence: the command sees LATCHKEY_FENCE, growing with each grant,
// and LATCHKEY_ADDR.
func TestRunFence(t *testing.T) {
	_, addr := startServer(t, nil)
	for _, obj := range [][]string{{"--lock", "F"}, {"--sem", "S", "--limit", "2"}} {
		var fences []uint64
		for range 2 {
			args := append(append([]string{"run"}, obj...), "--", "sh", "-c", `echo "$LATCHKEY_FENCE $LATCHKEY_ADDR"`)
			f := strings.Fields(must(t, addr, args...))
			if len(f) != 2 || f[1] != addr {
				t.Fatalf("run %v printed %q, want a fence and %s", obj, f, addr)
			}
			n, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			fences = append(fences, n)
		}
		if fences[0] == 0 || fences[1] <= fences[0] {
			t.Errorf("run %v: fences %v do not grow", obj, fences)
		}
	}
}

// TestRunTimeout: a lock or permit that does not come within --timeout
// exits 75 without running the command.
func TestRunTimeout(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dialTest(t, addr)
	l, _ := c.Lock(t.Context(), "held")
	if _, err := l.Lock(t.Context()); err != nil {
		t.Fatal(err)
	}
	s, _ := c.BoundedSemaphore(t.Context(), "one", 1)
	if _, err := s.Acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	expect(t, exitTimeout, "latchkey: run: timed out after 100ms waiting for the lock held", addr,
		"run", "--lock", "held", "--timeout", "100ms", "--", "touch", marker)
	expect(t, exitTimeout, "waiting for the semaphore one", addr,
		"run", "--sem", "one", "--limit", "1", "--timeout", "100ms", "--", "touch", marker)
	if exists(marker) {
		t.Fatal("the command ran without the lock")
	}
	if n := waiters(t, c, "held"); n != 0 {
		t.Fatalf("%d waiters left on the lock", n)
	}
}

// TestRunMutualExclusion: commands run under the same lock never overlap.
func TestRunMutualExclusion(t *testing.T) {
	_, addr := startServer(t, nil)
	log := filepath.Join(t.TempDir(), "log")
	// Each command writes a begin line, spins, then an end line.
	script := `echo "$1 begin" >> "$2"; i=0; while [ $i -lt 300 ]; do i=$((i+1)); done; echo "$1 end" >> "$2"`
	var wg sync.WaitGroup
	for _, id := range []string{"a", "b"} {
		wg.Go(func() {
			for range 3 {
				if r := runLK(t, addr, "run", "--lock", "M", "--", "sh", "-c", script, "sh", id, log); r.code != 0 {
					t.Errorf("run %s: %+v", id, r)
				}
			}
		})
	}
	wg.Wait()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	ls := lines(string(b))
	if len(ls) != 12 {
		t.Fatalf("%d lines, want 12:\n%s", len(ls), b)
	}
	for i := 0; i < len(ls); i += 2 {
		id, _, _ := strings.Cut(ls[i], " ")
		if ls[i] != id+" begin" || ls[i+1] != id+" end" {
			t.Fatalf("interleaved at line %d:\n%s", i+1, b)
		}
	}
}

// TestRunSemaphore: a semaphore of 2 lets two commands run at once (each
// waits for the other to have started); another limit is refused.
func TestRunSemaphore(t *testing.T) {
	_, addr := startServer(t, nil)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	script := `touch "$1"; n=0; while [ ! -e "$2" ]; do n=$((n+1)); [ $n -gt 2000 ] && exit 9; sleep 0.005; done`
	var wg sync.WaitGroup
	for _, files := range [][2]string{{a, b}, {b, a}} {
		wg.Go(func() {
			if r := runLK(t, addr, "run", "--sem", "P", "--limit", "2", "--", "sh", "-c", script, "sh", files[0], files[1]); r.code != 0 {
				t.Errorf("run: %+v", r)
			}
		})
	}
	wg.Wait()
	expect(t, exitFailure, "semaphore P exists with a limit other than 3", addr, "run", "--sem", "P", "--limit", "3", "--", "true")
	expect(t, exitFailure, "another type", addr, "run", "--lock", "P", "--", "true")
}

// TestRunCommandErrors: a command that is not found exits 127, one that
// cannot run 126, as in a shell, a missing "--" 2, and the lock is not
// left held.
func TestRunCommandErrors(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dialTest(t, addr)
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	expect(t, exitNotFound, "latchkey: no-such-command-xyz: command not found", addr, "run", "--lock", "E", "--", "no-such-command-xyz")
	expect(t, exitNotFound, "command not found", addr, "run", "--lock", "E", "--", filepath.Join(dir, "missing"))
	expect(t, exitCannotRun, "cannot run", addr, "run", "--lock", "E", "--", notExec)
	expect(t, exitUsage, "missing -- before the command", addr, "run", "--lock", "E", "true")
	mustTryLock(t, c, "E")
}

// TestRunForwardsSignal: SIGTERM sent to run reaches the command, whose
// status run returns; the lock is released.
func TestRunForwardsSignal(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dialTest(t, addr)
	dir := t.TempDir()
	ready, marker := filepath.Join(dir, "ready"), filepath.Join(dir, "marker")
	script := `trap 'echo got-term > "$2"; exit 7' TERM; sleep 1000 >/dev/null 2>&1 & touch "$1"; wait`
	cmd, stdout, stderr := startLK(t, addr, "run", "--lock", "T", "--", "sh", "-c", script, "sh", ready, marker)
	eventually(t, "the command to start", func() bool { return exists(ready) })
	cmd.Process.Signal(syscall.SIGTERM)
	if r := wait(t, cmd, stdout, stderr); r.code != 7 {
		t.Fatalf("run: %+v, want exit 7", r)
	}
	if b, _ := os.ReadFile(marker); string(b) != "got-term\n" {
		t.Fatalf("marker %q: the command did not get SIGTERM", b)
	}
	mustTryLock(t, c, "T")
}

// TestRunInterruptedWhileWaiting: a signal while run waits for the lock
// ends the wait (128+N), leaves no waiter and runs nothing.
func TestRunInterruptedWhileWaiting(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dialTest(t, addr)
	l, _ := c.Lock(t.Context(), "W")
	if _, err := l.Lock(t.Context()); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	cmd, stdout, stderr := startLK(t, addr, "run", "--lock", "W", "--", "touch", marker)
	eventually(t, "run to wait", func() bool { return waiters(t, c, "W") == 1 })
	cmd.Process.Signal(os.Interrupt)
	if r := wait(t, cmd, stdout, stderr); r.code != 128+int(syscall.SIGINT) || r.stderr != "" {
		t.Fatalf("run: %+v, want a silent exit 130", r)
	}
	if exists(marker) {
		t.Fatal("the command ran")
	}
	if n := waiters(t, c, "W"); n != 0 {
		t.Fatalf("%d waiters left", n)
	}
}

// TestRunLostOwnership: when the server goes away for longer than the
// session's TTL, run terminates its command (SIGTERM, then SIGKILL for a
// command that ignores it), says so and exits 70.
func TestRunLostOwnership(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		marker       string // what the trap writes
	}{
		{"SIGTERM", `trap 'echo got-term > "$2"; exit 0' TERM; sleep 1000 >/dev/null 2>&1 & touch "$1"; wait`, "got-term\n"},
		{"SIGKILL", `trap '' TERM; sleep 1000 >/dev/null 2>&1 & touch "$1"; wait; echo survived > "$2"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, addr := startServer(t, &server.Config{TTL: 300 * time.Millisecond, MinTTL: 100 * time.Millisecond})
			dir := t.TempDir()
			ready, marker := filepath.Join(dir, "ready"), filepath.Join(dir, "marker")
			cmd, stdout, stderr := startLK(t, addr, "run", "--lock", "X", "--kill-after", "200ms", "--", "sh", "-c", tc.script, "sh", ready, marker)
			eventually(t, "the command to start", func() bool { return exists(ready) })
			srv.Close()
			r := wait(t, cmd, stdout, stderr)
			if r.code != exitLost || !strings.HasPrefix(r.stderr, "latchkey: lost the lock X: ") || !strings.HasSuffix(r.stderr, "; terminated sh\n") {
				t.Fatalf("run: %+v, want exit 70 and the lost-lock message", r)
			}
			t.Logf("stderr: %s", r.stderr)
			if b, _ := os.ReadFile(marker); string(b) != tc.marker {
				t.Fatalf("marker %q, want %q", b, tc.marker)
			}
		})
	}
}
