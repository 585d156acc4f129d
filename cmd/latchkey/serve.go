package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/server"
)

// httpShutdownTimeout bounds the shutdown of the HTTP listener.
const httpShutdownTimeout = 5 * time.Second

// serveOptions are the flags of `latchkey serve`.
type serveOptions struct {
	addr, data, socket string
	http               string
	keyFile            string
	ttl                time.Duration
	logLevel           string
	sync               string
	syncInterval       time.Duration
	repair             bool
	cpuProfile         string
}

// serveCmd returns `latchkey serve`.
func (a *cli) serveCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the latchkey server",
		Long: `Run the latchkey server until SIGINT or SIGTERM, then stop cleanly: every
client is told the server is shutting down.

It listens on TCP (--addr, default ` + server.DefaultAddr + `) and on a Unix socket
(--socket, default <data dir>/latchkey.sock); "-" turns either off. Once
listening it prints one line on stdout:
  latchkey: listening on tcp 127.0.0.1:7459, unix /run/user/1000/latchkey/latchkey.sock
A port of 0 picks a free port, which the line shows.

State is durable: every change is logged in <data dir>/wal before it is
acknowledged, and a server started again on the same data directory has
every object, its contents, its fences and its sessions, which clients
resume within their TTL. --sync says when the log is fsynced and so what
a power loss can lose (docs/operations.md):
  always    (default) before answering, one fsync per batch: loses nothing
  interval  every --sync-interval (100ms): may lose the last interval
  never     left to the operating system
  none      no log at all: state in memory, a restart starts empty
A crash of the server process alone loses nothing acknowledged in any
mode but none. A log that is corrupt in the middle (not just cut short
by a crash) is refused with an error naming the file and offset; after
keeping a copy of the data directory, --repair starts the server once
with the log cut at the first bad record, losing what followed it.

A TCP address that is not loopback needs an authentication key
(--auth-key-file, else $LATCHKEY_AUTH_KEY_FILE: a file holding the shared
secret, without a trailing newline); clients give the same key. serve
refuses to start otherwise, with exit code 2, as for any configuration
it refuses; it exits with 1 if it cannot listen (address in use).

--http A (off by default) adds an HTTP listener on A with
  /metrics  Prometheus metrics: latchkey_sessions, latchkey_sessions_attached,
            latchkey_objects, latchkey_waiters, latchkey_requests_total, and the
            Go runtime's and the process's
  /objects  the objects as JSON, the records of "latchkey ls --json"
            (?prefix=P lists the names starting with P)
The HTTP listener has no authentication: keep it on a trusted network.

Logs go to stderr (text), at --log-level debug, info, warn or error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd.Context(), &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", server.DefaultAddr, `TCP address to listen on ("-": no TCP)`)
	f.StringVar(&o.data, "data", "", "data directory: the log, snapshots and socket (default $XDG_STATE_HOME/latchkey, else ~/.local/state/latchkey)")
	f.StringVar(&o.sync, "sync", string(server.SyncAlways), "when the log is fsynced: always, interval, never, or none (no log, memory only)")
	f.DurationVar(&o.syncInterval, "sync-interval", 0, "longest time between fsyncs with --sync interval (default 100ms)")
	f.BoolVar(&o.repair, "repair", false, "cut a log that is corrupt in the middle at its first bad record, losing what follows, instead of refusing to start")
	f.StringVar(&o.socket, "socket", "", `Unix socket to listen on ("-": none) (default <data dir>/latchkey.sock)`)
	f.StringVar(&o.http, "http", "", "address of an HTTP listener for /metrics and /objects (default: none)")
	f.StringVar(&o.keyFile, "auth-key-file", "", "file holding the authentication key clients must prove they know (default $"+envKeyFile+")")
	f.DurationVar(&o.ttl, "ttl", 0, "session lease of clients that ask for none: how long a client's holds outlive its lost connection (default 10s)")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the server's run to this file (for benchmarking)")
	f.MarkHidden("cpuprofile")
	return cmd
}

// serve runs the server of o until ctx is done or a signal stops it.
func (a *cli) serve(ctx context.Context, o *serveOptions) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	if err := checkDuration("--ttl", o.ttl); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	keyFile := o.keyFile
	if keyFile == "" {
		keyFile = a.getenv(envKeyFile)
	}
	var key []byte
	if keyFile != "" {
		k, err := readKeyFile(keyFile)
		if err != nil {
			return &usageError{err}
		}
		key = k
	}
	if err := checkDuration("--sync-interval", o.syncInterval); err != nil {
		return err
	}
	cfg := &server.Config{Addr: o.addr, DataDir: o.data, SocketPath: o.socket, AuthKey: key, TTL: o.ttl, Logger: log,
		Sync: server.Sync(o.sync), SyncInterval: o.syncInterval, RepairLog: o.repair}
	if cfg.TTL > 0 && cfg.TTL < server.DefaultConfig().MinTTL {
		cfg.MinTTL = cfg.TTL
	}
	if err := cfg.Validate(); err != nil {
		return &usageError{err}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	var hln net.Listener
	stopHTTP := func() {} // shuts the HTTP listener down and waits for it
	if o.http != "" {
		hln, err = net.Listen("tcp", o.http)
		if err != nil {
			return fmt.Errorf("--http: %w", err)
		}
		if !isLoopbackAddr(hln.Addr()) {
			log.Warn("the HTTP listener has no authentication and is not on loopback", "addr", hln.Addr().String())
		}
		hs := &http.Server{
			Handler:           httpHandler(srv),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := hs.Serve(hln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("HTTP listener failed", "err", err)
			}
		})
		stopHTTP = sync.OnceFunc(func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownTimeout)
			defer cancel()
			hs.Shutdown(sctx)
			wg.Wait()
		})
		defer stopHTTP() // on the error returns below
	}

	var where []string
	if addr := srv.Addr(); addr != nil {
		where = append(where, "tcp "+addr.String())
	}
	if p := srv.SocketPath(); p != "" {
		where = append(where, "unix "+p)
	}
	if hln != nil {
		where = append(where, "http "+hln.Addr().String())
	}
	fmt.Fprintf(a.stdout, "latchkey: listening on %s\n", strings.Join(where, ", "))
	log.Info("latchkey server started", "version", server.Version, "auth", len(key) > 0)

	if o.cpuProfile != "" {
		pf, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			pf.Close()
			return err
		}
		defer func() { pprof.StopCPUProfile(); pf.Close() }()
	}
	serr := srv.Serve(ctx)
	stopHTTP()
	if serr != nil {
		return fmt.Errorf("serve: %w", serr)
	}
	log.Info("latchkey server stopped")
	return nil
}

// isLoopbackAddr reports whether addr is a loopback TCP address.
func isLoopbackAddr(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// httpHandler serves /metrics and /objects for srv.
func httpHandler(srv *server.Server) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		newStatsCollector(srv),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /objects", func(w http.ResponseWriter, r *http.Request) {
		objs, err := srv.Objects(r.Context(), r.URL.Query().Get("prefix"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		writeJSON(w, objectRecords(objs))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "latchkey server %s\n/metrics  Prometheus metrics\n/objects  the objects, as JSON (?prefix=P)\n", server.Version)
	})
	return mux
}

// statsCollector is a Prometheus collector that reads the server's
// statistics at scrape time.
type statsCollector struct {
	srv                                           *server.Server
	sessions, attached, objects, waiters, reqsTot *prometheus.Desc
}

// newStatsCollector returns a collector of srv's statistics.
func newStatsCollector(srv *server.Server) *statsCollector {
	return &statsCollector{
		srv:      srv,
		sessions: prometheus.NewDesc("latchkey_sessions", "Client sessions, attached or within their TTL.", nil, nil),
		attached: prometheus.NewDesc("latchkey_sessions_attached", "Client sessions with a live connection.", nil, nil),
		objects:  prometheus.NewDesc("latchkey_objects", "Named objects on the server.", nil, nil),
		waiters:  prometheus.NewDesc("latchkey_waiters", "Calls blocked on an object, over all objects.", nil, nil),
		reqsTot:  prometheus.NewDesc("latchkey_requests_total", "Requests applied since the server started.", nil, nil),
	}
}

// Describe sends the descriptions of the collector's metrics.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sessions, c.attached, c.objects, c.waiters, c.reqsTot} {
		ch <- d
	}
}

// Collect reads the server's statistics and sends them as metrics.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.srv.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.sessions, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.sessions, prometheus.GaugeValue, float64(st.Sessions))
	ch <- prometheus.MustNewConstMetric(c.attached, prometheus.GaugeValue, float64(st.Attached))
	ch <- prometheus.MustNewConstMetric(c.objects, prometheus.GaugeValue, float64(st.Objects))
	ch <- prometheus.MustNewConstMetric(c.waiters, prometheus.GaugeValue, float64(st.Waiters))
	ch <- prometheus.MustNewConstMetric(c.reqsTot, prometheus.CounterValue, float64(st.Requests))
}
