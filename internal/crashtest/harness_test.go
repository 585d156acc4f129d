//go:build unix

package crashtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/internal/reexec"
	"github.com/latchkey/latchkey/server"
)

// waitLimit bounds every wait of the parent: for a report, a waiter
// count, a session's end. It is far above the children's TTL, so that a
// session the server keeps for its TTL (TCPResume) ends well within it.
const waitLimit = 20 * time.Second

// transport is one way of reaching the server.
type transport struct {
	name string
	unix bool // the Unix socket, else loopback TCP
	// resume sets server.Config.ResumeLocal: a dropped session waits out
	// its TTL before it ends, as a remote client's does.
	resume bool
	// ttl is the lease the children ask for. A dead child's session ends
	// when its connection closes, except with resume, where it ends a TTL
	// later: short there, and longer elsewhere so that a child starved
	// of CPU under -race does not lose its session.
	ttl time.Duration
}

var transports = []transport{
	{name: "Unix", unix: true, ttl: 5 * time.Second},
	{name: "TCP", ttl: 5 * time.Second},
	{name: "TCPResume", resume: true, ttl: time.Second},
}

// eachTransport runs f as a parallel subtest per transport, each with its
// own server and children. The tests run in parallel because they mostly
// wait: for children to start, and with TCPResume for leases to run out.
func eachTransport(t *testing.T, f func(t *testing.T, h *harness)) {
	t.Helper()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			f(t, newHarness(t, tr))
		})
	}
}

// event is one line of the shared report pipe: "ID VERB ARGS...". ID 0
// is the parent's markers: "kill N" before it kills child N, "dead N"
// once it has reaped it.
type event struct {
	id   int
	verb string
	args []string
	line string
}

func parseEvent(line string) event {
	f := strings.Fields(line)
	if len(f) < 2 {
		return event{id: -1, verb: "fail", line: line}
	}
	id, err := strconv.Atoi(f[0])
	if err != nil {
		return event{id: -1, verb: "fail", line: line}
	}
	return event{id: id, verb: f[1], args: f[2:], line: line}
}

// arg returns argument i, or "" if there is none.
func (e event) arg(i int) string {
	if i < len(e.args) {
		return e.args[i]
	}
	return ""
}

// fence parses a grant report "verb F [died]" and returns F and whether
// the grant came with ErrOwnerDied.
func (e event) fence(t testing.TB) (latchkey.Fence, bool) {
	t.Helper()
	f, err := strconv.ParseUint(e.arg(0), 10, 64)
	if err != nil || f == 0 {
		t.Fatalf("bad grant report %q", e.line)
	}
	return latchkey.Fence(f), e.arg(1) == "died"
}

// child is a child process.
type child struct {
	*reexec.Child
	id    int
	alive string // its sentinel lock
}

// harness is one test's server, the parent's client and its children.
type harness struct {
	t       *testing.T
	tr      transport
	addr    string
	c       *client.Client // the parent's own client
	w       *os.File       // the write end of the report pipe
	events  chan event     // lines read from the pipe, in order
	backlog []event        // events read but not consumed yet, in order
	kids    int            // children started
}

func newHarness(t *testing.T, tr transport) *harness {
	h := &harness{t: t, tr: tr, events: make(chan event)}
	h.addr = startServer(t, tr)
	c, err := client.Dial(t.Context(), &client.Config{Addr: h.addr, Label: "crashtest-parent"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	h.c = c
	// The children, started later, are killed before the pipe closes.
	h.w = reexec.Pipe(t, func(line string) {
		select {
		case h.events <- parseEvent(line):
		case <-t.Context().Done():
		}
	})
	return h
}

// startServer starts a server for tr and returns the address to dial.
func startServer(t *testing.T, tr transport) string {
	t.Helper()
	sock, err := os.MkdirTemp("", "lkcrash") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sock) })
	s, err := server.New(&server.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), SocketPath: filepath.Join(sock, "s"), ResumeLocal: tr.resume,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background()) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil && !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	if tr.unix {
		return "unix:" + s.SocketPath()
	}
	return s.Addr().String()
}

// start starts a child in role on the object called name, and returns
// once its session is open.
func (h *harness) start(role, name string, args ...string) *child {
	t := h.t
	t.Helper()
	h.kids++
	c := &child{id: h.kids}
	c.alive = fmt.Sprintf("crashtest-alive-%d", c.id)
	l, err := h.c.Lock(t.Context(), c.alive)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.TryLock(t.Context()); err != nil {
		t.Fatalf("taking child %d's sentinel: %v", c.id, err)
	}
	c.Child = reexec.Start(t, fmt.Sprintf("child %d", c.id), h.w,
		envRole+"="+role, envAddr+"="+h.addr, envTTL+"="+h.tr.ttl.String(), envID+"="+strconv.Itoa(c.id),
		envName+"="+name, envArgs+"="+strings.Join(args, " "), envAlive+"="+c.alive)
	h.waiters(c.alive, 1) // the child waits for "go" before it can end
	h.send(c, "go")
	return c
}

// send writes the command cmd to c's stdin.
func (h *harness) send(c *child, cmd string) {
	h.t.Helper()
	if err := c.Send(cmd); err != nil {
		h.t.Fatal(err)
	}
}

// mark writes a marker of the parent into the report pipe.
func (h *harness) mark(format string, args ...any) {
	h.t.Helper()
	if _, err := fmt.Fprintf(h.w, "0 %s\n", fmt.Sprintf(format, args...)); err != nil {
		h.t.Fatal(err)
	}
}

// kill SIGKILLs c and reaps it, between the markers "kill N" and
// "dead N". It returns false if c had exited by itself first.
func (h *harness) kill(c *child) bool {
	h.t.Helper()
	h.mark("kill %d", c.id)
	killed, err := c.Kill()
	if err != nil {
		h.t.Fatal(err)
	}
	h.mark("dead %d", c.id)
	return killed
}

// mustKill is kill for a child that must still have been running.
func (h *harness) mustKill(c *child) {
	h.t.Helper()
	if !h.kill(c) {
		h.t.Fatalf("child %d had exited (%v) before it was killed; stderr:\n%s", c.id, c.Status(), c.Stderr())
	}
}

// freeze stops c with SIGSTOP and returns once it is stopped: it runs no
// more, reads nothing, until killed.
func (h *harness) freeze(c *child) {
	h.t.Helper()
	pid := c.Cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		h.t.Fatalf("stopping child %d: %v", c.id, err)
	}
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			h.t.Fatalf("waiting for child %d to stop: %v", c.id, err)
		}
		break
	}
	if !ws.Stopped() {
		h.t.Fatalf("child %d did not stop: %v", c.id, ws)
	}
}

// next returns the oldest unconsumed event, reading the pipe if there is
// none, or fails the test at deadline; what says what the test was
// waiting for.
func (h *harness) next(deadline time.Time, what string) event {
	h.t.Helper()
	if len(h.backlog) > 0 {
		ev := h.backlog[0]
		h.backlog = h.backlog[1:]
		return ev
	}
	return h.read1(deadline, what)
}

// read1 reads the next event of the pipe, or fails the test at deadline.
func (h *harness) read1(deadline time.Time, what string) event {
	h.t.Helper()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case ev := <-h.events:
		return ev
	case <-timer.C:
		h.t.Fatalf("timed out after %v waiting for %s; unconsumed reports: %q", waitLimit, what, h.lines(h.backlog))
		return event{}
	}
}

// expect returns the first report of c with verb, which may have been
// read already; a "fail" report of any child fails the test.
func (h *harness) expect(c *child, verb string) event {
	h.t.Helper()
	return h.await(fmt.Sprintf("%q from child %d", verb, c.id), func(ev event) bool { return ev.id == c.id && ev.verb == verb })
}

// await returns the first event that match accepts, keeping the others
// in the backlog.
func (h *harness) await(what string, match func(event) bool) event {
	h.t.Helper()
	for i, ev := range h.backlog {
		if match(ev) {
			h.backlog = append(h.backlog[:i], h.backlog[i+1:]...)
			return ev
		}
	}
	deadline := time.Now().Add(waitLimit)
	for {
		ev := h.read1(deadline, what)
		h.checkFail(ev)
		if match(ev) {
			return ev
		}
		h.backlog = append(h.backlog, ev)
	}
}

// checkFail fails the test if ev is a child's report of a failure.
func (h *harness) checkFail(ev event) {
	h.t.Helper()
	if ev.verb == "fail" {
		h.t.Fatalf("child reported a failure: %q", ev.line)
	}
}

// drain moves the events ready in the pipe to the backlog, failing the
// test on a child's report of a failure.
func (h *harness) drain() {
	h.t.Helper()
	for {
		select {
		case ev := <-h.events:
			h.checkFail(ev)
			h.backlog = append(h.backlog, ev)
		default:
			return
		}
	}
}

// reportsOf returns every report of the reaped child c not consumed
// yet, reading the pipe up to the marker of its death.
func (h *harness) reportsOf(c *child) []event {
	h.t.Helper()
	dead := strconv.Itoa(c.id)
	h.await(fmt.Sprintf("the marker of child %d's death", c.id), func(ev event) bool {
		return ev.id == 0 && ev.verb == "dead" && ev.arg(0) == dead
	})
	var out []event
	for _, ev := range h.backlog {
		if ev.id == c.id {
			out = append(out, ev)
		}
	}
	return out
}

func (h *harness) lines(evs []event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.line)
	}
	return out
}

// poll calls cond until it returns true, or fails the test after
// waitLimit with what and cond's last state, or at once if a child
// reports a failure meanwhile.
func (h *harness) poll(what string, cond func() (bool, string)) {
	h.t.Helper()
	deadline := time.Now().Add(waitLimit)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return
		}
		h.drain() // a child that failed says so
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %v waiting for %s; last: %s", waitLimit, what, state)
		}
		<-tick.C
	}
}

// waiters waits until exactly n calls are blocked on the object called
// name.
func (h *harness) waiters(name string, n int) {
	h.t.Helper()
	h.poll(fmt.Sprintf("%d waiters on %q", n, name), func() (bool, string) {
		got, err := h.c.Waiters(h.t.Context(), name)
		return err == nil && got == n, fmt.Sprintf("%d waiters, err %v", got, err)
	})
}

// gone waits until the server has ended c's session: its sentinel lock
// has no waiter left.
func (h *harness) gone(c *child) {
	h.t.Helper()
	h.poll(fmt.Sprintf("the end of child %d's session", c.id), func() (bool, string) {
		got, err := h.c.Waiters(h.t.Context(), c.alive)
		return err == nil && got == 0, fmt.Sprintf("%d waiters on its sentinel, err %v", got, err)
	})
}

// count returns Waiters(name) and fails the test on error.
func (h *harness) count(name string) int {
	h.t.Helper()
	n, err := h.c.Waiters(h.t.Context(), name)
	if err != nil {
		h.t.Fatalf("Waiters(%q): %v", name, err)
	}
	return n
}

// ctx returns a context that ends after waitLimit, for a blocking call of
// the parent.
func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(h.t.Context(), waitLimit)
	h.t.Cleanup(cancel)
	return ctx
}
