package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Hello is the first frame a client sends on a connection: it names the
// protocol version, describes the client, and asks for a new session or to
// resume one.
type Hello struct {
	// Version is the protocol version the client speaks; set it to
	// [Version].
	Version uint16
	// MaxFrame is the largest payload the client accepts; 0 means
	// [DefaultMaxFrame]. Otherwise it is in [MinMaxFrame, MaxMaxFrame].
	MaxFrame uint32
	// TTL is the session lease the client asks for; 0 leaves it to the
	// server. It travels in whole milliseconds (sub-millisecond parts are
	// dropped) and must not be negative.
	TTL time.Duration
	// SessionID is the session to resume, 0 for a new session.
	SessionID uint64
	// Token is the resumed session's token from its [Welcome]; empty for
	// a new session. At most [MaxTokenLen] bytes.
	Token []byte
	// PID is the client's process id, for inspection (0 if unknown).
	PID uint64
	// Host is the client's host name, for inspection. At most
	// [MaxLabelLen] bytes.
	Host string
	// Label is a free-form client name chosen by the user, for
	// inspection. At most [MaxLabelLen] bytes.
	Label string
}

// Type returns [TypeHello].
func (*Hello) Type() Type { return TypeHello }

func (h *Hello) appendBody(b []byte) ([]byte, error) {
	if err := checkMaxFrame(TypeHello, h.MaxFrame); err != nil {
		return b, err
	}
	if err := checkTTL(TypeHello, h.TTL); err != nil {
		return b, err
	}
	if err := checkLen(TypeHello, "token", len(h.Token), MaxTokenLen); err != nil {
		return b, err
	}
	if err := checkLen(TypeHello, "host", len(h.Host), MaxLabelLen); err != nil {
		return b, err
	}
	if err := checkLen(TypeHello, "label", len(h.Label), MaxLabelLen); err != nil {
		return b, err
	}
	b = append(b, Magic...)
	b = binary.BigEndian.AppendUint16(b, h.Version)
	b = binary.AppendUvarint(b, uint64(h.MaxFrame))
	b = binary.AppendUvarint(b, uint64(h.TTL/time.Millisecond))
	b = binary.AppendUvarint(b, h.SessionID)
	b = appendBytes(b, h.Token)
	b = binary.AppendUvarint(b, h.PID)
	b = appendString(b, h.Host)
	return appendString(b, h.Label), nil
}

// Decode sets h from payload. If the version is not [Version], it sets
// only h.Version and returns a [*VersionError]. Token aliases payload.
func (h *Hello) Decode(payload []byte) error {
	d := newDecoder(payload, TypeHello)
	if m := d.fixed("magic", len(Magic)); d.err == nil && string(m) != Magic {
		d.off -= len(Magic)
		d.fail("magic", -1, fmt.Errorf("%w: magic %q, want %q", ErrBadValue, m, Magic))
	}
	v := d.fixed("version", 2)
	if d.err != nil {
		return d.err
	}
	h.Version = binary.BigEndian.Uint16(v)
	if h.Version != Version {
		return &VersionError{Version: h.Version}
	}
	h.MaxFrame = d.maxFrame()
	h.TTL = d.millis("ttl")
	h.SessionID = d.uvarint("session_id", -1)
	h.Token = d.bytes("token", -1, MaxTokenLen)
	h.PID = d.uvarint("pid", -1)
	h.Host = d.string("host", MaxLabelLen, h.Host)
	h.Label = d.string("label", MaxLabelLen, h.Label)
	return d.finish()
}

// AuthMethod is the authentication method a [Challenge] asks for.
type AuthMethod uint8

// The authentication methods.
const (
	// AuthHMAC is HMAC-SHA256 over a nonce and the Hello (see [AuthMAC]).
	AuthHMAC AuthMethod = 1
)

// Challenge is the server's answer to a [Hello] when authentication is
// on: the client must prove it knows the shared key by answering with an
// [Auth]. When authentication is off the server answers the Hello with a
// [Welcome] directly.
type Challenge struct {
	// Method is the authentication method; [AuthHMAC] is the only one.
	Method AuthMethod
	// Nonce is fresh random bytes, never reused by the server.
	Nonce [NonceLen]byte
}

// Type returns [TypeChallenge].
func (*Challenge) Type() Type { return TypeChallenge }

func (c *Challenge) appendBody(b []byte) ([]byte, error) {
	if c.Method != AuthHMAC {
		return b, fmt.Errorf("wire: encoding challenge frame: auth method %d: %w", c.Method, ErrBadValue)
	}
	return append(append(b, byte(c.Method)), c.Nonce[:]...), nil
}

// Decode sets c from payload.
func (c *Challenge) Decode(payload []byte) error {
	d := newDecoder(payload, TypeChallenge)
	c.Method = AuthMethod(d.byte("method"))
	if d.err == nil && c.Method != AuthHMAC {
		d.off--
		d.fail("method", -1, fmt.Errorf("%w: auth method %d", ErrBadValue, c.Method))
	}
	copy(c.Nonce[:], d.fixed("nonce", NonceLen))
	return d.finish()
}

// Auth is the client's answer to a [Challenge]: the MAC computed by
// [AuthMAC]. The key itself never crosses the wire.
type Auth struct {
	// MAC is AuthMAC(key, nonce, hello payload).
	MAC [MACLen]byte
}

// Type returns [TypeAuth].
func (*Auth) Type() Type { return TypeAuth }

func (a *Auth) appendBody(b []byte) ([]byte, error) { return append(b, a.MAC[:]...), nil }

// Decode sets a from payload.
func (a *Auth) Decode(payload []byte) error {
	d := newDecoder(payload, TypeAuth)
	copy(a.MAC[:], d.fixed("mac", MACLen))
	return d.finish()
}

// authContext separates latchkey's MACs from any other use of the key.
const authContext = "latchkey-auth-v1"

// AuthMAC returns HMAC-SHA256(key, "latchkey-auth-v1" || nonce || hello),
// where hello is the client's [Hello] payload exactly as it crossed the
// wire (type byte included, length prefix excluded). Binding the Hello
// means the MAC also vouches for the session id and token it resumes.
func AuthMAC(key []byte, nonce *[NonceLen]byte, hello []byte) [MACLen]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(authContext))
	m.Write(nonce[:])
	m.Write(hello)
	var out [MACLen]byte
	m.Sum(out[:0])
	return out
}

// CheckAuth reports whether mac is AuthMAC(key, nonce, hello), in
// constant time.
func CheckAuth(key []byte, nonce *[NonceLen]byte, hello []byte, mac *[MACLen]byte) bool {
	want := AuthMAC(key, nonce, hello)
	return hmac.Equal(want[:], mac[:])
}

// Welcome ends a successful handshake: the session is open and requests
// may flow.
type Welcome struct {
	// SessionID identifies the session (never 0).
	SessionID uint64
	// Token is the secret that, with SessionID, resumes the session on a
	// new connection. At most [MaxTokenLen] bytes.
	Token []byte
	// TTL is the granted session lease, in whole milliseconds on the
	// wire. The client sends a frame (a [Ping] if nothing else) at least
	// every TTL/3.
	TTL time.Duration
	// MaxFrame is the largest payload the server accepts; 0 means
	// [DefaultMaxFrame]. Otherwise it is in [MinMaxFrame, MaxMaxFrame].
	MaxFrame uint32
	// Resumed reports that the Hello's session was resumed: its handles,
	// holds and pending requests carry on. False after a resume attempt
	// means a new session: everything of the old one is gone.
	Resumed bool
	// ServerVersion is the server's software version, for inspection. At
	// most [MaxLabelLen] bytes.
	ServerVersion string
}

// Type returns [TypeWelcome].
func (*Welcome) Type() Type { return TypeWelcome }

const welcomeResumed = 1 << 0

func (w *Welcome) appendBody(b []byte) ([]byte, error) {
	if err := checkMaxFrame(TypeWelcome, w.MaxFrame); err != nil {
		return b, err
	}
	if err := checkTTL(TypeWelcome, w.TTL); err != nil {
		return b, err
	}
	if err := checkLen(TypeWelcome, "token", len(w.Token), MaxTokenLen); err != nil {
		return b, err
	}
	if err := checkLen(TypeWelcome, "server_version", len(w.ServerVersion), MaxLabelLen); err != nil {
		return b, err
	}
	b = binary.AppendUvarint(b, w.SessionID)
	b = appendBytes(b, w.Token)
	b = binary.AppendUvarint(b, uint64(w.TTL/time.Millisecond))
	b = binary.AppendUvarint(b, uint64(w.MaxFrame))
	var flags byte
	if w.Resumed {
		flags |= welcomeResumed
	}
	b = append(b, flags)
	return appendString(b, w.ServerVersion), nil
}

// Decode sets w from payload. Token aliases payload.
func (w *Welcome) Decode(payload []byte) error {
	d := newDecoder(payload, TypeWelcome)
	w.SessionID = d.uvarint("session_id", -1)
	w.Token = d.bytes("token", -1, MaxTokenLen)
	w.TTL = d.millis("ttl")
	w.MaxFrame = d.maxFrame()
	flags := d.byte("flags")
	if flags&^welcomeResumed != 0 {
		d.off--
		d.fail("flags", -1, fmt.Errorf("%w: undefined flag bits %#x", ErrBadValue, flags&^welcomeResumed))
	}
	w.Resumed = flags&welcomeResumed != 0
	w.ServerVersion = d.string("server_version", MaxLabelLen, w.ServerVersion)
	return d.finish()
}

func checkMaxFrame(t Type, n uint32) error {
	if n != 0 && (n < MinMaxFrame || n > MaxMaxFrame) {
		return fmt.Errorf("wire: encoding %v frame: max frame %d outside [%d, %d]: %w", t, n, MinMaxFrame, MaxMaxFrame, ErrBadValue)
	}
	return nil
}

func checkTTL(t Type, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("wire: encoding %v frame: negative ttl %v: %w", t, ttl, ErrBadValue)
	}
	return nil
}

// maxFrame reads a max frame size: 0 or in [MinMaxFrame, MaxMaxFrame].
func (d *decoder) maxFrame() uint32 {
	off := d.off
	n := d.uvarint("max_frame", -1)
	if d.err == nil && n != 0 && (n < MinMaxFrame || n > MaxMaxFrame) {
		d.off = off
		d.fail("max_frame", -1, fmt.Errorf("%w: max frame %d outside [%d, %d]", ErrBadValue, n, MinMaxFrame, MaxMaxFrame))
		return 0
	}
	return uint32(n)
}

// millis reads a duration in milliseconds.
func (d *decoder) millis(field string) time.Duration {
	return time.Duration(d.uvarintMax(field, math.MaxInt64/uint64(time.Millisecond))) * time.Millisecond
}
