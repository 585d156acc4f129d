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
	// DataDir is the server's directory; the Unix socket lives there by
	// default. Empty means a per-user directory: $XDG_RUNTIME_DIR/latchkey,
	// or os.TempDir()/latchkey-<uid> when XDG_RUNTIME_DIR is unset. It is
	// created (mode 0700) if missing.
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
	// HandshakeTimeout bounds the handshake of a new connection. Zero
	// means 5s.
	HandshakeTimeout time.Duration
	// Logger receives the server's logs. Nil discards them.
	Logger *slog.Logger
}

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
		if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
			c.DataDir = filepath.Join(d, "latchkey")
		} else {
			c.DataDir = filepath.Join(os.TempDir(), "latchkey-"+strconv.Itoa(os.Getuid()))
		}
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

// Validate reports whether c (with defaults for its zero fields) is
// usable. It refuses a TCP address that is not loopback when AuthKey is
// empty.
func (c *Config) Validate() error {
	d := *c
	d.fill()
	if d.Addr == Disabled && d.SocketPath == Disabled {
		return errors.New("server: both the TCP address and the Unix socket are disabled")
	}
	if d.TTL < 0 || d.MinTTL < 0 || d.MaxTTL < d.MinTTL || d.MaxHandles < 0 || d.MaxPending < 0 || d.HandshakeTimeout < 0 {
		return errors.New("server: negative duration or limit, or MaxTTL below MinTTL")
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
