//go:build unix

package faulttest

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/reexec"
	"github.com/latchkey/latchkey/server"
)

// waitLimit bounds every wait of the parent: for a child to start, for a
// number of acknowledgements, for a child to exit.
const waitLimit = 60 * time.Second

// event is one line of the shared report pipe: "WHO VERB ARGS...", WHO
// being "s" for a server, a client's id otherwise.
type event struct {
	who  string
	verb string
	args []string
	line string
}

func parseEvent(line string) event {
	f := strings.Fields(line)
	if len(f) < 2 {
		return event{verb: "garbled", line: line}
	}
	return event{who: f[0], verb: f[1], args: f[2:], line: line}
}

// arg returns argument i, or "" if there is none.
func (e event) arg(i int) string {
	if i < len(e.args) {
		return e.args[i]
	}
	return ""
}

// int returns argument i as an integer, and false if it is not one.
func (e event) int(i int) (int64, bool) {
	n, err := strconv.ParseInt(e.arg(i), 10, 64)
	return n, err == nil
}

// ackVerbs are the reports of acknowledged operations.
var ackVerbs = map[string]bool{"add": true, "store": true, "put": true, "got": true, "locked": true}

// harness is one test's children, the report pipe and what the children
// reported.
type harness struct {
	t    *testing.T
	mode server.Sync
	addr string
	data string
	w    *os.File // the write end of the report pipe

	mu     sync.Mutex    // guards events, acks, errs
	events []event       // every report, in pipe order
	acks   int           // acknowledged operations reported
	errs   []string      // "error" and garbled reports
	notify chan struct{} // cap 1: a report arrived

	server  *reexec.Child   // the running server
	gen     int             // the server's generation
	servers []*reexec.Child // every server started, for their logs
	clients []*reexec.Child
}

func newHarness(t *testing.T, mode server.Sync) *harness {
	h := &harness{t: t, mode: mode, data: t.TempDir(), notify: make(chan struct{}, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	ln.Close()
	h.w = reexec.Pipe(t, h.record) // the children, started later, are killed first
	return h
}

// record records a line of the pipe.
func (h *harness) record(line string) {
	ev := parseEvent(line)
	h.mu.Lock()
	h.events = append(h.events, ev)
	switch {
	case ackVerbs[ev.verb]:
		h.acks++
	case ev.verb == "error" || ev.verb == "garbled":
		h.errs = append(h.errs, ev.line)
	}
	h.mu.Unlock()
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

// start starts the test binary as a child with the extra environment env.
func (h *harness) start(name string, env ...string) *reexec.Child {
	h.t.Helper()
	return reexec.Start(h.t, name, h.w, env...)
}

// await waits until cond, called with h.mu held, returns true. It fails
// the test at waitLimit, on a child's error report, or when a child that
// must run has exited.
func (h *harness) await(what string, cond func() bool) {
	h.t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for {
		h.mu.Lock()
		ok, errs := cond(), h.errs
		h.mu.Unlock()
		if len(errs) > 0 {
			h.t.Fatalf("while waiting for %s, children reported failures:\n%s", what, strings.Join(errs, "\n"))
		}
		if ok {
			return
		}
		for _, p := range append([]*reexec.Child{h.server}, h.clients...) {
			select {
			case <-p.Exited():
				h.t.Fatalf("while waiting for %s, %s exited (%v); stderr:\n%s", what, p.Name, p.Status(), p.Stderr())
			default:
			}
		}
		select {
		case <-h.notify:
		case <-timer.C:
			h.t.Fatalf("timed out after %v waiting for %s", waitLimit, what)
		}
	}
}

// seen reports whether who has reported verb; h.mu is held.
func (h *harness) seen(who, verb string) bool {
	for _, ev := range h.events {
		if ev.who == who && ev.verb == verb {
			return true
		}
	}
	return false
}

// find returns the first report of who with verb; h.mu is not held.
func (h *harness) find(who, verb string) event {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if ev.who == who && ev.verb == verb {
			return ev
		}
	}
	h.t.Fatalf("no %q report of %s", verb, who)
	return event{}
}

// ackCount returns the number of acknowledged operations reported.
func (h *harness) ackCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.acks
}

// startServer starts the next generation of the server on the data
// directory and address, and waits until it listens.
func (h *harness) startServer() {
	h.t.Helper()
	h.gen++
	gen := strconv.Itoa(h.gen)
	h.server = h.start("server "+gen, envRole+"=server", envAddr+"="+h.addr, envData+"="+h.data,
		envSync+"="+string(h.mode), envSnap+"=50", envGen+"="+gen)
	h.servers = append(h.servers, h.server)
	h.await("server "+gen+" to listen", func() bool {
		for _, ev := range h.events {
			if ev.who == "s" && ev.verb == "ready" && ev.arg(0) == gen {
				return true
			}
		}
		return false
	})
}

// killServer SIGKILLs the server and reaps it.
func (h *harness) killServer() {
	h.t.Helper()
	p := h.server
	killed, err := p.Kill()
	if err != nil {
		h.t.Fatal(err)
	}
	if !killed {
		h.t.Fatalf("%s had exited (%v) before it was killed; stderr:\n%s", p.Name, p.Status(), p.Stderr())
	}
}

// stopServer closes the server's stdin, which makes it close the server
// and exit, and checks that it exited cleanly.
func (h *harness) stopServer() {
	h.t.Helper()
	p := h.server
	p.CloseStdin()
	h.exited(p)
}

// exited waits for p to exit and checks that it exited with status 0.
func (h *harness) exited(p *reexec.Child) {
	h.t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	select {
	case <-p.Exited():
	case <-timer.C:
		h.t.Fatalf("%s did not exit within %v", p.Name, waitLimit)
	}
	if ws := p.Status(); !ws.Exited() || ws.ExitStatus() != 0 {
		h.t.Fatalf("%s exited with %v; stderr:\n%s", p.Name, ws, p.Stderr())
	}
}

// recovery returns the server's "state recovered" and torn-tail log
// lines, for the test's log.
func (h *harness) recovery(p *reexec.Child) string {
	var out []string
	for line := range strings.Lines(p.Stderr()) {
		if strings.Contains(line, "state recovered") || strings.Contains(line, "torn tail") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return strings.Join(out, "; ")
}

// startClient starts client id with the workload seed seed, holding the
// lock "held" if hold, and waits until it is ready.
func (h *harness) startClient(id int, seed uint64, hold bool) {
	h.t.Helper()
	who := strconv.Itoa(id)
	env := []string{envRole + "=client", envAddr + "=" + h.addr, envID + "=" + who, envRng + "=" + strconv.FormatUint(seed, 10)}
	if hold {
		env = append(env, envHold+"=1")
	}
	h.clients = append(h.clients, h.start("client "+who, env...))
	h.await("client "+who+" to be ready", func() bool { return h.seen(who, "ready") })
}

// send writes cmd to the stdin of client id.
func (h *harness) send(id int, cmd string) {
	h.t.Helper()
	if err := h.clients[id-1].Send(cmd); err != nil {
		h.t.Fatal(err)
	}
}

// reports returns a copy of the reports so far.
func (h *harness) reports() []event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]event(nil), h.events...)
}

func (h *harness) String() string {
	return fmt.Sprintf("%s server on %s, data in %s", h.mode, h.addr, h.data)
}
