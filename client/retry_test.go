package client_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/server"
)

// cutProxy forwards loopback TCP connections to a server and can cut them
// all at once, as a network failure would.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cuts   atomic.Int64 // connections cut
	wg     sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) accept() {
	for {
		a, err := p.ln.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", p.target)
		if err != nil {
			a.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, a, b)
		p.mu.Unlock()
		p.wg.Go(func() { io.Copy(a, b); a.Close(); b.Close() })
		p.wg.Go(func() { io.Copy(b, a); a.Close(); b.Close() })
	}
}

// cut closes every connection through the proxy.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.cuts.Add(int64(len(p.conns) / 2))
	p.conns = nil
}

func startResumableServer(t *testing.T) string {
	dir := t.TempDir()
	s, err := server.New(&server.Config{Addr: "127.0.0.1:0", DataDir: dir, SocketPath: server.Disabled, ResumeLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background()) }()
	t.Cleanup(func() { s.Close(); <-done })
	return s.Addr().String()
}

// TestExactlyOnceAcrossDrops: calls in flight when the connection drops
// are sent again after the resume and take effect exactly once: no Add is
// lost or counted twice, no queue item is lost or delivered twice.
func TestExactlyOnceAcrossDrops(t *testing.T) {
	p := newCutProxy(t, startResumableServer(t))
	c, err := client.Dial(t.Context(), &client.Config{Addr: p.ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := t.Context()
	v, err := c.Value(ctx, "count")
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.Queue(ctx, "items", latchkey.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const workers, adds, items = 8, 150, 600
	var done atomic.Int64
	tick := make(chan struct{}, 1) // every sixth of the Adds
	var wg sync.WaitGroup
	errs := make(chan error, workers+2)
	for range workers {
		wg.Go(func() {
			for range adds {
				if _, err := v.Add(ctx, 1); err != nil {
					errs <- err
					return
				}
				if n := done.Add(1); n%(workers*adds/6) == 0 {
					select {
					case tick <- struct{}{}:
					default:
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := range items {
			if err := q.Put(ctx, []byte(strconv.Itoa(i))); err != nil {
				errs <- err
				return
			}
		}
	})
	got := make([]int, 0, items)
	wg.Go(func() {
		for range items {
			b, err := q.Get(ctx)
			if err != nil {
				errs <- err
				return
			}
			n, _ := strconv.Atoi(string(b))
			got = append(got, n)
		}
	})
	// Cut the connection five times while the calls flow.
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
cutting:
	for range 5 {
		select {
		case <-tick:
			p.cut()
		case <-finished:
			break cutting
		}
	}
	<-finished
	close(errs)
	for err := range errs {
		t.Fatalf("call across a drop: %v", err)
	}
	if n, err := v.Load(ctx); err != nil || n != workers*adds {
		t.Fatalf("count = %d, %v; want %d (each Add applied exactly once)", n, err, workers*adds)
	}
	for i, n := range got {
		if n != i {
			t.Fatalf("item %d is %d: lost or duplicated around a drop (got %v)", i, n, got[max(0, i-3):min(len(got), i+3)])
		}
	}
	if err := c.Err(); err != nil {
		t.Fatalf("session: %v", err)
	}
	if p.cuts.Load() == 0 {
		t.Fatal("no connection was cut: the test proved nothing")
	}
}
