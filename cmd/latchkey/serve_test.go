package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestServeProcess runs `latchkey serve` as a process on free ports,
// uses it over TCP, the Unix socket and HTTP, and stops it with SIGTERM.
func TestServeProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := latchkeyCmd(t, "", "serve", "--addr", "127.0.0.1:0", "--data", dir, "--http", "127.0.0.1:0", "--log-level", "debug")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("reading the listening line: %v; stderr %q", err, stderr.String())
	}
	m := regexp.MustCompile(`^latchkey: listening on tcp (\S+), unix (\S+), http (\S+)\n$`).FindStringSubmatch(line)
	if m == nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("listening line %q", line)
	}
	tcp, sock, web := m[1], m[2], m[3]

	must(t, tcp, "value", "add", "hits", "5")
	if got := must(t, sock, "value", "get", "hits"); got != "5\n" {
		t.Errorf("value over the Unix socket: %q", got)
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) string {
		t.Helper()
		resp, err := hc.Get("http://" + web + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s, %v", path, resp.Status, err)
		}
		return string(b)
	}
	// The sessions of the two commands end as they exit.
	eventually(t, "the sessions to end", func() bool { return strings.Contains(get("/metrics"), "\nlatchkey_sessions 0\n") })
	metrics := get("/metrics")
	for _, want := range []string{"\nlatchkey_objects 1\n", "\nlatchkey_sessions_attached 0\n", "\nlatchkey_waiters 0\n", "\nlatchkey_requests_total ", "\ngo_goroutines "} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	var recs []objectRecord
	if err := json.Unmarshal([]byte(get("/objects")), &recs); err != nil {
		t.Fatal(err)
	}
	if want := []objectRecord{{"hits", "Value", 0}}; !slices.Equal(recs, want) {
		t.Errorf("/objects: %+v, want %+v", recs, want)
	}
	if got := strings.TrimSpace(get("/objects?prefix=zz")); got != "[]" {
		t.Errorf("/objects?prefix=zz: %q", got)
	}
	if got := must(t, tcp, "ls", "--json"); strings.TrimSpace(got) != strings.TrimSpace(get("/objects")) {
		t.Errorf("ls --json %q differs from /objects", got)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v; stderr %q", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "latchkey server stopped") {
		t.Errorf("stderr %q lacks the stop message", stderr.String())
	}
	expect(t, exitNoServer, "server unavailable", tcp, "value", "get", "hits")
}

// TestServeAddressInUse: serve exits 1 when it cannot listen.
func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := runInProcess(t, nil, "serve", "--addr", ln.Addr().String(), "--data", t.TempDir())
	if r.code != exitFailure || !strings.Contains(r.stderr, "address already in use") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestServeStopsHTTPOnError: when serve fails after its HTTP listener
// started (here: the CPU profile cannot be created), it closes the
// listener and waits for its goroutine before it returns.
func TestServeStopsHTTPOnError(t *testing.T) {
	dir := t.TempDir()
	r := runInProcess(t, nil, "serve", "--addr", "127.0.0.1:0", "--socket", "-", "--data", dir, "--http", "127.0.0.1:0",
		"--cpuprofile", filepath.Join(dir, "missing", "cpu.prof"))
	if r.code != exitFailure || !strings.Contains(r.stderr, "no such file or directory") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	m := regexp.MustCompile(`, http (\S+)\n$`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("stdout %q lacks the listening line", r.stdout)
	}
	if c, err := net.Dial("tcp", m[1]); err == nil {
		c.Close()
		t.Fatalf("the HTTP listener %s is still open after serve returned", m[1])
	}
}
