package client

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
	"log/slog"
)

// DefaultAddr is the server address a client uses when neither
// [Config.Addr] nor the LATCHKEY_ADDR environment variable names one.
const DefaultAddr = "127.0.0.1:7459"

// AddrEnv is the environment variable that names the server's address
// when [Config.Addr] is empty.
const AddrEnv = "LATCHKEY_ADDR"

// Config configures a [Client]. The zero value of every field means the
// default given in its comment; a nil *Config passed to [Dial] means
// [DefaultConfig]().
type Config struct {
	// Addr is the server's address: "host:port" for TCP, or the path of a
	// Unix socket, written either as an absolute path ("/run/latchkey.sock")
	// or with the prefix "unix:" ("unix:latchkey.sock"). Empty means the
	// LATCHKEY_ADDR environment variable, or [DefaultAddr] if that is
	// empty too.
	Addr string
	// AuthKey is the shared secret the server was configured with. It
	// never crosses the wire: the client proves it knows it with an
	// HMAC-SHA256 of the server's challenge. Empty means no key: a server
	// that asks for authentication refuses the client.
	AuthKey []byte
	// TTL is the session lease the client asks for: how long the server
	// keeps the session (and everything it holds) after the connection
	// drops, and how long a silent connection lives. Zero leaves it to the
	// server, which may also clamp a requested value into its own bounds.
	TTL time.Duration
	// Label names the client in the server's listings (latchkey ls); at
	// most 255 bytes. Empty means the program's name (os.Args[0] without
	// its directory).
	Label string
	// DialTimeout bounds each connection attempt, handshake included.
	// Zero means 5 seconds.
	DialTimeout time.Duration
	// HeartbeatInterval is how often the client pings the server. It is
	// also how often the client checks that the server is alive: a
	// connection on which nothing arrived for the session's TTL is
	// dropped and resumed. Zero means a third of the TTL the server
	// granted.
	HeartbeatInterval time.Duration
	// ReconnectMin is the first delay between reconnection attempts after
	// a connection dropped; each failed attempt doubles it, up to
	// ReconnectMax, with random jitter of up to half the delay. Zero means
	// 50 milliseconds.
	ReconnectMin time.Duration
	// ReconnectMax bounds the delay between reconnection attempts. Zero
	// means 2 seconds.
	ReconnectMax time.Duration
	// Logger receives the client's diagnostics (reconnections, protocol
	// errors, lost ownership). Nil means no logging.
	Logger *slog.Logger
}

// Default values of [Config] fields.
const (
	defaultDialTimeout  = 5 * time.Second
	defaultReconnectMin = 50 * time.Millisecond
	defaultReconnectMax = 2 * time.Second
)

// DefaultConfig returns a Config with every defaulted field set to its
// default value, except Addr and Label, which stay empty and are resolved
// by [Dial] (from the environment and the program's name).
func DefaultConfig() *Config {
	return &Config{
		DialTimeout:  defaultDialTimeout,
		ReconnectMin: defaultReconnectMin,
		ReconnectMax: defaultReconnectMax,
	}
}

// Validate reports whether c is usable: no negative durations, a
// ReconnectMin not above ReconnectMax, a Label and a TTL the protocol can
// carry. It returns an error satisfying errors.Is(err,
// latchkey.ErrInvalid) otherwise. [Dial] calls it.
func (c *Config) Validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"TTL", c.TTL}, {"DialTimeout", c.DialTimeout}, {"HeartbeatInterval", c.HeartbeatInterval},
		{"ReconnectMin", c.ReconnectMin}, {"ReconnectMax", c.ReconnectMax},
	} {
		if d.v < 0 {
			return latchkey.Errorf(latchkey.KindInvalid, "client: negative %s %v", d.name, d.v)
		}
	}
	if c.ReconnectMin > 0 && c.ReconnectMax > 0 && c.ReconnectMin > c.ReconnectMax {
		return latchkey.Errorf(latchkey.KindInvalid, "client: ReconnectMin %v above ReconnectMax %v", c.ReconnectMin, c.ReconnectMax)
	}
	if len(c.Label) > wire.MaxLabelLen {
		return latchkey.Errorf(latchkey.KindInvalid, "client: label of %d bytes is longer than %d", len(c.Label), wire.MaxLabelLen)
	}
	if c.TTL > 0 && c.TTL < time.Millisecond {
		return latchkey.Errorf(latchkey.KindInvalid, "client: TTL %v is below one millisecond", c.TTL)
	}
	if strings.TrimPrefix(c.Addr, "unix:") == "" && c.Addr != "" {
		return latchkey.Errorf(latchkey.KindInvalid, "client: address %q names no socket", c.Addr)
	}
	return nil
}

// resolved returns a copy of c with every default applied.
func (c *Config) resolved() Config {
	r := *c
	if r.Addr == "" {
		r.Addr = os.Getenv(AddrEnv)
	}
	if r.Addr == "" {
		r.Addr = DefaultAddr
	}
	if r.Label == "" && len(os.Args) > 0 {
		r.Label = filepath.Base(os.Args[0])
		if len(r.Label) > wire.MaxLabelLen {
			r.Label = r.Label[:wire.MaxLabelLen]
		}
	}
	if r.DialTimeout == 0 {
		r.DialTimeout = defaultDialTimeout
	}
	if r.ReconnectMin == 0 {
		r.ReconnectMin = defaultReconnectMin
	}
	if r.ReconnectMax == 0 {
		r.ReconnectMax = max(defaultReconnectMax, r.ReconnectMin)
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return r
}

// network returns the network and address to dial for addr.
func network(addr string) (string, string) {
	switch {
	case strings.HasPrefix(addr, "unix:"):
		return "unix", strings.TrimPrefix(addr, "unix:")
	case strings.HasPrefix(addr, "/"):
		return "unix", addr
	}
	return "tcp", addr
}

// String describes the config without its key.
func (c *Config) String() string {
	key := "none"
	if len(c.AuthKey) > 0 {
		key = "set"
	}
	return fmt.Sprintf("client.Config{Addr: %q, Key: %s, TTL: %v, Label: %q}", c.Addr, key, c.TTL, c.Label)
}
