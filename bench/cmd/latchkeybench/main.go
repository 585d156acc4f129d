package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/latchkey/latchkey"
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

// figure is one named measurement (one or more records).
type figure struct {
	name string
	doc  string
	run  func(ctx context.Context, b *bench) error
}

// figures lists every figure in the order they run. TCP figures come
// before their Unix-socket twins so that the kit's summaries, which pick
// the first record of a (bench, clients) pair, compare TCP with TCP.
var figures = []figure{
	{"get_rtt_1", "one Dict.Load (a single round trip), 1 client", func(ctx context.Context, b *bench) error { return b.getRTT(ctx, "tcp", 1) }},
	{"lock_1", "Lock+Unlock of one lock, 1 client", func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, "tcp", 1) }},
	{"lock_4", "Lock+Unlock of one lock, 4 clients", func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, "tcp", 4) }},
	{"lock_16", "Lock+Unlock of one lock, 16 clients", func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, "tcp", 16) }},
	{"lock64_1conn", "64 goroutines on one client, each cycling its own lock", func(ctx context.Context, b *bench) error { return b.lockDistinct(ctx, "tcp", 64) }},
	{"sem4_16", "Acquire+Release of Semaphore(4), 16 clients", func(ctx context.Context, b *bench) error { return b.semCycle(ctx, "tcp", 16, 4) }},
	{"dict_1", "Dict Store+Load of the client's own key, 1 client", func(ctx context.Context, b *bench) error { return b.dictCycle(ctx, "tcp", 1) }},
	{"dict_16", "Dict Store+Load of each client's own key, 16 clients", func(ctx context.Context, b *bench) error { return b.dictCycle(ctx, "tcp", 16) }},
	{"queue_1", "Queue Put+Get by the same client, 1 client", func(ctx context.Context, b *bench) error { return b.queueCycle(ctx, "tcp", 1) }},
	{"event_handoff", "Event set->wait ping-pong between two clients (one-way latency)", func(ctx context.Context, b *bench) error { return b.eventHandoff(ctx, "tcp") }},
	{"queue_handoff", "Queue put->get ping-pong between two clients (one-way latency)", func(ctx context.Context, b *bench) error { return b.queueHandoff(ctx, "tcp") }},
	{"barrier_4", "Barrier(4) generations, 4 clients", func(ctx context.Context, b *bench) error { return b.barrierCycle(ctx, "tcp", 4) }},
	{"lock_1_unix", "lock_1 over the Unix socket", func(ctx context.Context, b *bench) error { return b.lockCycle(ctx, "unix", 1) }},
	{"lock64_1conn_unix", "lock64_1conn over the Unix socket", func(ctx context.Context, b *bench) error { return b.lockDistinct(ctx, "unix", 64) }},
	{"mem", "server RSS per idle lock and per idle session (needs --server-pid)", func(ctx context.Context, b *bench) error { return b.memory(ctx) }},
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "latchkeybench:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errUsage marks command-line errors.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("latchkeybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	b := &bench{out: stdout}
	fs.StringVar(&b.peer, "peer", defaultPeer, "peer name of the records (e.g. ours-go-always for a server in a given sync mode)")
	fs.StringVar(&b.addr, "addr", client.DefaultAddr, "TCP address of a running latchkey server (loopback)")
	fs.StringVar(&b.unix, "unix", "", "Unix socket path of the same server; empty skips the *_unix figures")
	fs.DurationVar(&b.dur, "dur", 3*time.Second, "measured time per figure")
	fs.DurationVar(&b.warm, "warmup", 300*time.Millisecond, "warm-up per figure")
	only := fs.String("only", "", "comma-separated figures to run (default: all; see --list)")
	list := fs.Bool("list", false, "list the figures and exit")
	fs.IntVar(&b.serverPID, "server-pid", 0, "PID of the server process, for the memory figures; 0 skips them")
	fs.IntVar(&b.memObj, "mem-objects", 10000, "idle locks to create for mem_object")
	fs.IntVar(&b.memSess, "mem-sessions", 1000, "idle sessions to open for mem_session")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for the server to accept a session")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *list {
		for _, f := range figures {
			fmt.Fprintf(stdout, "%-18s %s\n", f.name, f.doc)
		}
		return nil
	}
	if b.dur <= 0 || b.warm < 0 || b.memObj <= 0 || b.memSess <= 0 || b.serverPID < 0 {
		return fmt.Errorf("%w: --dur, --mem-objects and --mem-sessions must be positive, --warmup and --server-pid not negative", errUsage)
	}
	chosen := figures
	if *only != "" {
		chosen = nil
		for name := range strings.SplitSeq(*only, ",") {
			name = strings.TrimSpace(name)
			i := slices.IndexFunc(figures, func(f figure) bool { return f.name == name })
			if i < 0 {
				return fmt.Errorf("%w: unknown figure %q (see --list)", errUsage, name)
			}
			chosen = append(chosen, figures[i])
		}
	}
	if err := b.waitReady(ctx, *wait); err != nil {
		return err
	}
	for _, f := range chosen {
		if strings.HasSuffix(f.name, "_unix") && b.unix == "" {
			fmt.Fprintf(stderr, "latchkeybench: skipping %s (no --unix)\n", f.name)
			continue
		}
		if f.name == "mem" && b.serverPID == 0 {
			fmt.Fprintf(stderr, "latchkeybench: skipping mem (no --server-pid)\n")
			continue
		}
		if err := f.run(ctx, b); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
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
