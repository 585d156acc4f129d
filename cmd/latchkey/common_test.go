package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/server"
)

// runInProcess runs latchkey with args in this process, with env as its
// environment, and returns its result.
func runInProcess(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := execute(t.Context(), args, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// TestUsageErrors: bad commands, flags, arguments, numbers and durations
// exit with 2 and say what is wrong, without reaching any server.
func TestUsageErrors(t *testing.T) {
	noServer := map[string]string{envAddr: "127.0.0.1:1"} // never dialled
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{nil, "missing subcommand"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"queue"}, "missing subcommand (one of: get, join, len, put)"},
		{[]string{"queue", "bogus"}, `unknown command "bogus" for "latchkey queue"`},
		{[]string{"queue", "get"}, "accepts 1 arg(s), received 0"},
		{[]string{"queue", "get", "q", "extra"}, "accepts 1 arg(s), received 2"},
		{[]string{"queue", "get", "q", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{[]string{"queue", "get", "q", "--timeout", "-1s"}, "--timeout -1s is negative"},
		{[]string{"queue", "put", "q"}, "requires at least 2 arg(s)"},
		{[]string{"queue", "len", ""}, "empty object name"},
		{[]string{"queue", "join", "q", "--timeout", "1"}, `invalid argument "1"`},
		{[]string{"dict", "set", "d", "k"}, "accepts 3 arg(s), received 2"},
		{[]string{"dict", "get", "d"}, "accepts 2 arg(s), received 1"},
		{[]string{"value", "set", "v", "abc"}, `value "abc" is not an integer`},
		{[]string{"value", "add", "v", "1.5"}, `delta "1.5" is not an integer`},
		{[]string{"value", "add", "v", "99999999999999999999"}, "is not an integer"},
		{[]string{"event", "wait"}, "accepts 1 arg(s)"},
		{[]string{"event", "wait", "e", "--timeout", "x"}, "invalid argument"},
		{[]string{"barrier", "wait", "b"}, `required flag(s) "parties" not set`},
		{[]string{"barrier", "wait", "b", "--parties", "0"}, "--parties 0: want 1 or more"},
		{[]string{"barrier", "wait", "b", "--parties", "two"}, "invalid argument"},
		{[]string{"barrier", "reset", "b"}, `required flag(s) "parties" not set`},
		{[]string{"barrier", "abort", "b", "--parties", "0"}, "--parties 0: want 1 or more"},
		{[]string{"barrier", "reset"}, "accepts 1 arg(s), received 0"},
		{[]string{"ls", "a", "b"}, "accepts at most 1 arg(s)"},
		{[]string{"ls", "--table"}, "unknown flag: --table"},
		{[]string{"run", "--lock", "l", "true"}, "missing -- before the command"},
		{[]string{"run", "--lock", "l", "x", "--", "true"}, `unexpected argument "x" before --`},
		{[]string{"run", "--lock", "l", "--"}, "no command after --"},
		{[]string{"run", "--", "true"}, "give --lock NAME or --sem NAME --limit N"},
		{[]string{"run", "--lock", "l", "--sem", "s", "--limit", "1", "--", "true"}, "not both"},
		{[]string{"run", "--sem", "s", "--", "true"}, "--sem needs --limit N"},
		{[]string{"run", "--sem", "s", "--limit", "0", "--", "true"}, "--limit 0: want 1 or more"},
		{[]string{"run", "--lock", "l", "--limit", "2", "--", "true"}, "--limit goes with --sem"},
		{[]string{"run", "--lock", "l", "--timeout", "-5s", "--", "true"}, "--timeout -5s is negative"},
		{[]string{"run", "--lock", "l", "--kill-after", "later", "--", "true"}, "invalid argument"},
		{[]string{"value", "get", "v", "--addr", "no-port"}, `bad server address "no-port"`},
		{[]string{"value", "get", "v", "--addr", "unix:"}, "names no socket"},
		{[]string{"serve", "--log-level", "loud"}, `--log-level "loud"`},
		{[]string{"serve", "--ttl", "-1s"}, "--ttl -1s is negative"},
		{[]string{"serve", "extra"}, `unknown command "extra"`},
	} {
		r := runInProcess(t, noServer, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.msg) || !strings.HasPrefix(r.stderr, "latchkey: ") {
			t.Errorf("latchkey %q: exit %d, stderr %q; want exit 2 and %q", tc.args, r.code, r.stderr, tc.msg)
		}
		if r.stdout != "" {
			t.Errorf("latchkey %q wrote %q on stdout", tc.args, r.stdout)
		}
	}
}

// TestServeRefusesPublicAddrWithoutKey: serve on a non-loopback address
// without a key fails with the server's Validate error and exit 2.
func TestServeRefusesPublicAddrWithoutKey(t *testing.T) {
	r := runInProcess(t, nil, "serve", "--addr", "0.0.0.0:0", "--data", t.TempDir())
	if r.code != exitUsage || !strings.Contains(r.stderr, "refusing to listen on non-loopback address") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	empty := filepath.Join(t.TempDir(), "key")
	os.WriteFile(empty, []byte("\n"), 0o600)
	r = runInProcess(t, nil, "serve", "--addr", "0.0.0.0:0", "--data", t.TempDir(), "--auth-key-file", empty)
	if r.code != exitUsage || !strings.Contains(r.stderr, "is empty") {
		t.Fatalf("empty key: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestHelp: help exits 0 and documents the exit codes and the environment.
func TestHelp(t *testing.T) {
	r := runInProcess(t, nil, "--help")
	for _, want := range []string{"Exit codes:", "69", "75", "LATCHKEY_ADDR", "LATCHKEY_AUTH_KEY_FILE", "LATCHKEY_FENCE", "serve", "run", "queue", "dict", "value", "event", "barrier", "ls"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("latchkey --help lacks %q", want)
		}
	}
	if r.code != 0 {
		t.Errorf("latchkey --help: exit %d", r.code)
	}
	for _, args := range [][]string{{"help", "run"}, {"run", "--help"}, {"queue", "get", "--help"}, {"serve", "--help"}} {
		if r := runInProcess(t, nil, args...); r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("latchkey %q: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
	if r := runInProcess(t, nil, "--version"); r.code != 0 || !strings.Contains(r.stdout, server.Version) {
		t.Errorf("latchkey --version: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestNoServer: with no server at the address, client commands exit 69.
func TestNoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	noSocket := filepath.Join(t.TempDir(), "none.sock")
	for _, args := range [][]string{
		{"value", "get", "v"},
		{"queue", "get", "q", "--timeout", "1s"},
		{"ls"},
		{"run", "--lock", "l", "--", "true"},
		{"value", "get", "v", "--addr", noSocket},
		{"event", "is-set", "e", "--addr", "unix:" + noSocket},
	} {
		r := expect(t, exitNoServer, "server unavailable", closed, args...)
		if r.stdout != "" {
			t.Errorf("latchkey %q wrote %q", args, r.stdout)
		}
	}
}

// TestAuthKey: a server with a key accepts clients giving it by flag or
// by environment, and refuses the others (exit 1).
func TestAuthKey(t *testing.T) {
	_, addr := startServer(t, &server.Config{AuthKey: []byte("s3cret")})
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	os.WriteFile(good, []byte("s3cret\n"), 0o600)
	os.WriteFile(bad, []byte("guess"), 0o600)
	must(t, addr, "value", "set", "--auth-key-file", good, "v", "7")
	cmd := latchkeyCmd(t, addr, "value", "get", "v")
	cmd.Env = append(cmd.Env, envKeyFile+"="+good)
	out, err := cmd.Output()
	if err != nil || string(out) != "7\n" {
		t.Fatalf("value get with $%s: %q, %v", envKeyFile, out, err)
	}
	expect(t, exitFailure, "authentication failed", addr, "value", "get", "v", "--auth-key-file", bad)
	expect(t, exitFailure, "authentication failed", addr, "value", "get", "v")
	expect(t, exitFailure, "reading the auth key", addr, "value", "get", "v", "--auth-key-file", filepath.Join(dir, "missing"))
}

// TestCancelOnSignal: a signal on the channel cancels the ctx, and stop
// returns the signal's silent exit; once stopped, the watch leaves the
// signals that come on the channel (run forwards them to its command).
func TestCancelOnSignal(t *testing.T) {
	sigs := make(chan os.Signal, 1)
	ctx, stop := cancelOnSignal(t.Context(), sigs)
	sigs <- os.Interrupt
	<-ctx.Done()
	err := stop()
	var msg bytes.Buffer
	report(&msg, err, "latchkey")
	if exitCode(err) != signalExitCode(os.Interrupt) || msg.Len() != 0 {
		t.Fatalf("stop after a signal: exit %d, report %q; want a silent exit %d", exitCode(err), msg.String(), signalExitCode(os.Interrupt))
	}

	ctx, stop = cancelOnSignal(t.Context(), sigs)
	if err := ctx.Err(); err != nil {
		t.Fatalf("ctx done before any signal: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop without a signal: %v", err)
	}
	sigs <- os.Interrupt
	select {
	case <-sigs:
	default:
		t.Fatal("a signal sent after stop did not stay on the channel")
	}
}
