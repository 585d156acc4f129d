package wire

import "fmt"

// Version is the protocol version this package speaks. A client sends it in
// its [Hello]; a server that does not speak it answers with a [Goodbye] of
// reason [ReasonVersion].
const Version uint16 = 2

// Magic is the four bytes that open every [Hello] body, after the frame
// type byte.
const Magic = "LKEY"

// Frame size limits. The limit counts the payload: the type byte and the
// body, not the 4-byte length prefix.
const (
	// DefaultMaxFrame is the frame size limit when none is configured or
	// negotiated: 1 MiB.
	DefaultMaxFrame = 1 << 20
	// MinMaxFrame is the smallest limit a peer may announce. Every
	// handshake and control frame fits in it.
	MinMaxFrame = 4096
	// MaxMaxFrame is the largest limit a peer may announce: 1 GiB.
	MaxMaxFrame = 1 << 30
)

// Field limits. A decoder rejects a longer field before it copies or
// allocates anything for it.
const (
	// MaxNameLen is the longest object name in a [Request], in bytes (the
	// root package's MaxNameLen).
	MaxNameLen = 255
	// MaxLabelLen is the longest client label, host name and server
	// version string, in bytes.
	MaxLabelLen = 255
	// MaxMessageLen is the longest message of a [Response], [Event] or
	// [Goodbye], in bytes. [Response.SetErr] truncates longer messages.
	MaxMessageLen = 1024
	// MaxTokenLen is the longest session token, in bytes.
	MaxTokenLen = 64
	// MaxArgs is the largest number of elements in each of a request's or
	// response's Ints and Bytes lists.
	MaxArgs = 1 << 16
	// NonceLen is the length of a [Challenge] nonce.
	NonceLen = 32
	// MACLen is the length of an [Auth] MAC (HMAC-SHA256).
	MACLen = 32
)

// Type is a frame type: the first byte of every payload. Frame types are
// append-only and frozen across protocol versions: do not reorder or
// renumber them.
type Type uint8

// The frame types. Zero is never a valid frame type.
const (
	TypeHello     Type = 1  // client → server: opens a connection
	TypeChallenge Type = 2  // server → client: auth nonce
	TypeAuth      Type = 3  // client → server: auth MAC
	TypeWelcome   Type = 4  // server → client: the session is ready
	TypeRequest   Type = 5  // client → server: one operation
	TypeResponse  Type = 6  // server → client: a request's outcome
	TypeCancel    Type = 7  // client → server: abandon a pending request
	TypePing      Type = 8  // either way: heartbeat probe
	TypePong      Type = 9  // either way: heartbeat answer
	TypeEvent     Type = 10 // server → client: unsolicited notice
	TypeGoodbye   Type = 11 // either way: orderly close, with a reason
)

var typeNames = [...]string{
	TypeHello: "hello", TypeChallenge: "challenge", TypeAuth: "auth",
	TypeWelcome: "welcome", TypeRequest: "request", TypeResponse: "response",
	TypeCancel: "cancel", TypePing: "ping", TypePong: "pong",
	TypeEvent: "event", TypeGoodbye: "goodbye",
}

// String returns the frame type's lower-case name, or "type(N)" for an
// unknown type.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}
