package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/latchkey/latchkey/internal/wal"
	"github.com/latchkey/latchkey/internal/wire"
)

// DefaultAddr is the TCP address a server listens on by default.
const DefaultAddr = "127.0.0.1:7459"

// Disabled, as Config.Addr or Config.SocketPath, turns that listener off.
const Disabled = "-"

// Config configures a [Server]. The zero value of every field means its
// default; [DefaultConfig] returns a Config with the defaults filled in.
type Config struct {
	// Addr is the TCP address to listen on. Empty means [DefaultAddr];
	// [Disabled] turns TCP off. A port of 0 picks a free port (see
	// [Server.Addr]). An address that is not loopback requires AuthKey.
	Addr string
	// DataDir is the server's directory: its write-ahead log and
	// snapshots live in DataDir/wal, and the Unix socket in DataDir by
	// default. Empty means $XDG_STATE_HOME/latchkey, or
	// ~/.local/state/latchkey when XDG_STATE_HOME is unset (or
	// os.TempDir()/latchkey-<uid> without a home directory). It is created
	// (mode 0700) if missing.
	DataDir string
	// SocketPath is the Unix socket to listen on. Empty means
	// <DataDir>/latchkey.sock; [Disabled] turns the socket off.
	SocketPath string
	// AuthKey is the shared secret clients prove they know (HMAC-SHA256
	// challenge-response, protocol.md 4.1). Empty turns authentication
	// off, which Validate allows only on loopback TCP addresses.
	AuthKey []byte
	// TTL is the session lease granted to a client that asks for none.
	// Zero means 10s.
	TTL time.Duration
	// MinTTL and MaxTTL bound the lease a client may ask for. Zero means
	// 1s and 10m.
	MinTTL, MaxTTL time.Duration
	// MaxFrame is the largest frame payload the server accepts, in bytes.
	// Zero means 1 MiB; otherwise it is clamped to [4096, 1 GiB].
	MaxFrame int
	// MaxHandles bounds the open handles of one session. Zero means
	// 10000.
	MaxHandles int
	// MaxPending bounds the pending blocking requests of one session.
	// Zero means 10000.
	MaxPending int
	// ResumeLocal keeps the session of a same-host client (Unix socket or
	// loopback TCP) whose connection closed without a Goodbye for its
	// TTL, so that it can resume, as remote clients' sessions are kept.
	// False, the default, ends such a session at once and releases what
	// it held: on one host a connection closes only when its client
	// closed it or died, so waiting out the lease would only delay the
	// next holder.
	ResumeLocal bool
	// Sync says when the server's write-ahead log is fsynced, and so what
	// a crash can lose (docs/operations.md). Empty means [SyncAlways].
	Sync Sync
	// SyncInterval is the longest time between fsyncs under
	// [SyncInterval]. Zero means 100ms.
	SyncInterval time.Duration
	// RepairLog makes the server start on a write-ahead log that is
	// corrupt in the middle (a bad record followed by good ones, which it
	// refuses by default) by cutting the log at the first bad record: the
	// state is what the records before it made, and what came after is
	// lost. For an operator who has read the refusal and kept a copy of
	// the data directory; a torn tail needs no repair.
	RepairLog bool
	// SnapshotEvery is the number of log records after which the server
	// writes a snapshot of its state and drops the log before it. Zero
	// means 100000.
	SnapshotEvery int
	// HandshakeTimeout bounds the handshake of a new connection. Zero
	// means 5s.
	HandshakeTimeout time.Duration
	// Logger receives the server's logs. Nil discards them.
	Logger *slog.Logger

	// walFS is the file system of the write-ahead log; nil means the
	// operating system's. Only this package's tests set it, to inject
	// disk faults and crashes (wal.MemFS).
	walFS wal.FS
}

// Sync is when the server makes what it acknowledges durable.
type Sync string

// The sync modes. Every mode loses nothing when only the server process
// crashes (what was written reached the operating system); they differ on
// power loss or an operating system crash.
const (
	// SyncAlways answers a request only after the log records leading to
	// the answer are fsynced; one fsync covers every request that arrived
	// meanwhile (group commit). Loses nothing acknowledged.
	SyncAlways Sync = "always"
	// SyncInterval answers once the records are written to the operating
	// system and fsyncs at most every Config.SyncInterval. May lose the
	// last interval's acknowledged changes on power loss.
	SyncInterval Sync = "interval"
	// SyncNever writes and leaves flushing to the operating system. May
	// lose what the operating system had not flushed on power loss.
	SyncNever Sync = "never"
	// SyncNone keeps no log: the server's state lives in memory only and
	// a restart starts empty (fences restart at 1).
	SyncNone Sync = "none"
)

// DefaultConfig returns a Config with every default filled in.
func DefaultConfig() *Config {
	c := &Config{}
	c.fill()
	return c
}

// fill replaces zero fields with their defaults.
func (c *Config) fill() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.DataDir == "" {
		c.DataDir = defaultDataDir()
	}
	if c.Sync == "" {
		c.Sync = SyncAlways
	}
	if c.SyncInterval == 0 {
		c.SyncInterval = 100 * time.Millisecond
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = 100000
	}
	if c.SocketPath == "" {
		c.SocketPath = filepath.Join(c.DataDir, "latchkey.sock")
	}
	if c.TTL == 0 {
		c.TTL = 10 * time.Second
	}
	if c.MinTTL == 0 {
		c.MinTTL = time.Second
	}
	if c.MaxTTL == 0 {
		c.MaxTTL = 10 * time.Minute
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = wire.DefaultMaxFrame
	}
	c.MaxFrame = min(max(c.MaxFrame, wire.MinMaxFrame), wire.MaxMaxFrame)
	if c.MaxHandles == 0 {
		c.MaxHandles = 10000
	}
	if c.MaxPending == 0 {
		c.MaxPending = 10000
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// defaultDataDir is Config.DataDir's default.
func defaultDataDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "latchkey")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".local", "state", "latchkey")
	}
	return filepath.Join(os.TempDir(), "latchkey-"+strconv.Itoa(os.Getuid()))
}

// Validate reports whether c (with defaults for its zero fields) is
// usable. It refuses a TCP address that is not loopback when AuthKey is
// empty.
func (c *Config) Validate() error {
	d := *c
	d.fill()
	if d.Addr == Disabled && d.SocketPath == Disabled {
		return errors.New("server: both the TCP address and the Unix socket are disabled")
	}
	if d.TTL < 0 || d.MinTTL < 0 || d.MaxTTL < d.MinTTL || d.MaxHandles < 0 || d.MaxPending < 0 || d.HandshakeTimeout < 0 ||
		d.SyncInterval < 0 || d.SnapshotEvery < 0 {
		return errors.New("server: negative duration or limit, or MaxTTL below MinTTL")
	}
	switch d.Sync {
	case SyncAlways, SyncInterval, SyncNever, SyncNone:
	default:
		return fmt.Errorf("server: unknown Sync mode %q (always, interval, never or none)", d.Sync)
	}
	if d.Addr != Disabled && len(d.AuthKey) == 0 {
		host, _, err := net.SplitHostPort(d.Addr)
		if err != nil {
			return fmt.Errorf("server: bad address %q: %w", d.Addr, err)
		}
		if !isLoopback(host) {
			return fmt.Errorf("server: refusing to listen on non-loopback address %q without authentication: set an AuthKey", d.Addr)
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
