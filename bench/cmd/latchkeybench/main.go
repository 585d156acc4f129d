package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/bench/internal/kit"
	"github.com/latchkey/latchkey/client"
)

// defaultPeer is the name our records carry in the kit's tables.
const defaultPeer = "ours-go"

// bench holds the settings every figure uses.
type bench struct {
	out       io.Writer
	peer      string // the records' peer name
	addr      string // TCP address
	unix      string // Unix socket path; "" skips the Unix figures
	warm, dur time.Duration
	serverPID int // 0 skips the memory figures
	memObj    int // idle locks created for mem_object
	memSess   int // idle sessions opened for mem_session
}

// figures lists every figure in the order they run. TCP figures come
// before their Unix-socket twins so that the kit's summaries, which pick
// the first record of a (bench, clients) pair, compare TCP with TCP.
var figures = []kit.Figure[*bench]{
	{Name: "get_rtt_1", Doc: "one Dict.Load (a single round trip), 1 client", Run: func(ctx context.Context, b *bench) error { return b.getRTT(ctx, "tcp", 1) }},
	{Name: "lock_1", Doc: "Lock+Unlock of one lock, 1 client", Run: func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, "tcp", 1) }},
	{Name: "lock_4", Doc: "Lock+Unlock of one lock, 4 clients", Run: func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, "tcp", 4) }},
	{Name: "lock_16", Doc: "Lock+Unlock of one lock, 16 clients", Run: func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, "tcp", 16) }},
	{Name: "lock64_1conn", Doc: "64 goroutines on one client, each cycling its own lock", Run: func(ctx context.Context, b *bench) error { return b.lockDistinct(ctx, "tcp", 64) }},
	{Name: "sem4_16", Doc: "Acquire+Release of Semaphore(4), 16 clients", Run: func(ctx context.Context, b *bench) error { return b.semCycle(ctx, "tcp", 16, 4) }},
	{Name: "dict_1", Doc: "Dict Store+Load of the client's own key, 1 client", Run: func(ctx context.Context, b *bench) error { return b.dictCycle(ctx, "tcp", 1) }},
	{Name: "dict_16", Doc: "Dict Store+Load of each client's own key, 16 clients", Run: func(ctx context.Context, b *bench) error { return b.dictCycle(ctx, "tcp", 16) }},
	{Name: "queue_1", Doc: "Queue Put+Get by the same client, 1 client", Run: func(ctx context.Context, b *bench) error { return b.queueCycle(ctx, "tcp", 1) }},
	{Name: "event_handoff", Doc: "Event set->wait ping-pong between two clients (one-way latency)", Run: func(ctx context.Context, b *bench) error { return b.eventHandoff(ctx, "tcp") }},
	{Name: "queue_handoff", Doc: "Queue put->get ping-pong between two clients (one-way latency)", Run: func(ctx context.Context, b *bench) error { return b.queueHandoff(ctx, "tcp") }},
	{Name: "barrier_4", Doc: "Barrier(4) generations, 4 clients", Run: func(ctx context.Context, b *bench) error { return b.barrierCycle(ctx, "tcp", 4) }},
	{Name: "lock_1_unix", Doc: "lock_1 over the Unix socket", Run: func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, "unix", 1) }},
	{Name: "lock64_1conn_unix", Doc: "lock64_1conn over the Unix socket", Run: func(ctx context.Context, b *bench) error { return b.lockDistinct(ctx, "unix", 64) }},
	{Name: "mem", Doc: "server RSS per idle lock and per idle session (needs --server-pid)", Run: func(ctx context.Context, b *bench) error { return b.memory(ctx) }},
}

func main() {
	kit.Exit("latchkeybench", run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := kit.NewCommand("latchkeybench", figures, stderr)
	fs := cmd.Flags
	b := &bench{out: stdout}
	fs.StringVar(&b.peer, "peer", defaultPeer, "peer name of the records (e.g. ours-go-always for a server in a given sync mode)")
	fs.StringVar(&b.addr, "addr", client.DefaultAddr, "TCP address of a running latchkey server (loopback)")
	fs.StringVar(&b.unix, "unix", "", "Unix socket path of the same server; empty skips the *_unix figures")
	fs.IntVar(&b.serverPID, "server-pid", 0, "PID of the server process, for the memory figures; 0 skips them")
	fs.IntVar(&b.memObj, "mem-objects", 10000, "idle locks to create for mem_object")
	fs.IntVar(&b.memSess, "mem-sessions", 1000, "idle sessions to open for mem_session")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for the server to accept a session")
	chosen, ok, err := cmd.Parse(args, stdout, func() error {
		if cmd.Dur <= 0 || cmd.Warm < 0 || b.memObj <= 0 || b.memSess <= 0 || b.serverPID < 0 {
			return errors.New("--dur, --mem-objects and --mem-sessions must be positive, --warmup and --server-pid not negative")
		}
		return nil
	})
	if !ok {
		return err
	}
	b.warm, b.dur = cmd.Warm, cmd.Dur
	if err := b.waitReady(ctx, *wait); err != nil {
		return err
	}
	for _, f := range chosen {
		if strings.HasSuffix(f.Name, "_unix") && b.unix == "" {
			fmt.Fprintf(stderr, "latchkeybench: skipping %s (no --unix)\n", f.Name)
			continue
		}
		if f.Name == "mem" && b.serverPID == 0 {
			fmt.Fprintf(stderr, "latchkeybench: skipping mem (no --server-pid)\n")
			continue
		}
		if err := f.Run(ctx, b); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

// dial opens a new client (connection and session) over network "tcp" or
// "unix".
func (b *bench) dial(ctx context.Context, network string) (*client.Client, error) {
	cfg := client.DefaultConfig()
	cfg.Addr = b.addr
	if network == "unix" {
		cfg.Addr = "unix:" + b.unix
	}
	cfg.Label = "latchkeybench"
	return client.Dial(ctx, cfg)
}

// waitReady dials until the server accepts a session or d has passed.
func (b *bench) waitReady(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := b.dial(ctx, "tcp")
		if err == nil {
			return c.Close()
		}
		if !errors.Is(err, latchkey.ErrUnavailable) || time.Now().After(deadline) {
			return fmt.Errorf("no latchkey server at %s: %w", b.addr, err)
		}
		time.Sleep(50 * time.Millisecond) // polling a server that is starting
	}
}

// pool tracks the clients a figure opens, to close them all at its end.
type pool struct {
	b       *bench
	network string
	clients []*client.Client
}

func (p *pool) dial(ctx context.Context) (*client.Client, error) {
	c, err := p.b.dial(ctx, p.network)
	if err != nil {
		return nil, err
	}
	p.clients = append(p.clients, c)
	return c, nil
}

func (p *pool) close() {
	for _, c := range p.clients {
		c.Close()
	}
	p.clients = nil
}

// transport names the network in a variant.
func transport(network string) string {
	if network == "unix" {
		return "Unix socket"
	}
	return "TCP"
}

// unique returns a fresh object name, so that no figure sees another's state.
func unique(kind string) string {
	return fmt.Sprintf("bench/%s/%d", kind, time.Now().UnixNano())
}
