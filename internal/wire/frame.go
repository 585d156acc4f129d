package wire

import (
	"encoding/binary"
	"fmt"
)

// Frame is one decoded frame: a pointer to [Hello], [Challenge], [Auth],
// [Welcome], [Request], [Response], [Cancel], [Ping], [Pong], [Event] or
// [Goodbye]. The set is closed: only this package's types implement it.
type Frame interface {
	// Type returns the frame's type.
	Type() Type
	// Decode sets the frame from payload (the frame without its length
	// prefix, starting with the type byte). Byte-slice fields alias
	// payload. On error the frame's contents are unspecified.
	Decode(payload []byte) error

	appendBody(dst []byte) ([]byte, error)
}

// Append appends f as a complete frame, length prefix included, to dst and
// returns the extended slice. It checks the field limits (a string too
// long, a list too large, an undefined flag) and returns an error without
// extending dst if f breaks one. It does not check a frame size limit:
// [Writer.Write] does. The payload, for [AuthMAC], is the result's bytes
// from len(dst)+4 on.
func Append(dst []byte, f Frame) ([]byte, error) {
	start := len(dst)
	dst, err := AppendPayload(append(dst, 0, 0, 0, 0), f)
	if err != nil {
		return dst[:start], err
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst, nil
}

// AppendPayload is [Append] without the length prefix: it appends f's
// payload, what [Decode] takes, for a caller that stores frames with a
// length of its own (the server's log and snapshots). It checks what
// Append checks and returns an error without extending dst.
func AppendPayload(dst []byte, f Frame) ([]byte, error) {
	start := len(dst)
	dst, err := f.appendBody(append(dst, byte(f.Type())))
	if err != nil {
		return dst[:start], err
	}
	if n := len(dst) - start; n > MaxMaxFrame {
		return dst[:start], &FrameSizeError{Size: uint64(n), Limit: MaxMaxFrame}
	}
	return dst, nil
}

// Decode decodes one payload (a frame without its length prefix, as
// [Reader.ReadFrame] returns it) into a newly allocated frame of the type
// its first byte names. Byte-slice fields alias payload. For a [Hello] of
// another protocol version it returns a [*VersionError] and no frame.
func Decode(payload []byte) (Frame, error) {
	if len(payload) == 0 {
		return nil, &FormatError{Field: "type", Index: -1, Err: ErrTruncated}
	}
	f := newFrame(Type(payload[0]))
	if f == nil {
		return nil, &FormatError{Field: "type", Index: -1, Err: fmt.Errorf("%w: unknown frame type %d", ErrBadValue, payload[0])}
	}
	if err := f.Decode(payload); err != nil {
		return nil, err
	}
	return f, nil
}

// newFrame returns a new zero frame of type t, or nil for an unknown type.
func newFrame(t Type) Frame {
	switch t {
	case TypeHello:
		return new(Hello)
	case TypeChallenge:
		return new(Challenge)
	case TypeAuth:
		return new(Auth)
	case TypeWelcome:
		return new(Welcome)
	case TypeRequest:
		return new(Request)
	case TypeResponse:
		return new(Response)
	case TypeCancel:
		return new(Cancel)
	case TypePing:
		return new(Ping)
	case TypePong:
		return new(Pong)
	case TypeEvent:
		return new(Event)
	case TypeGoodbye:
		return new(Goodbye)
	}
	return nil
}
