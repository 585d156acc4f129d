package wire

import (
	"errors"
	"fmt"
	"strings"
)

// The reasons a payload is malformed. A [*FormatError] wraps one of them,
// so errors.Is(err, ErrTruncated) and the like work on any decode error.
var (
	// ErrTruncated means the payload ends inside a field.
	ErrTruncated = errors.New("wire: payload ends inside a field")
	// ErrTrailing means bytes follow the last field of the frame.
	ErrTrailing = errors.New("wire: bytes after the last field")
	// ErrOverflow means a number does not fit its field.
	ErrOverflow = errors.New("wire: number too large for its field")
	// ErrNonCanonical means a varint is not in its shortest form.
	ErrNonCanonical = errors.New("wire: varint not in its shortest form")
	// ErrTooLong means a string or byte string is longer than its limit.
	ErrTooLong = errors.New("wire: field longer than its limit")
	// ErrTooMany means a list has more elements than [MaxArgs].
	ErrTooMany = errors.New("wire: more list elements than allowed")
	// ErrBadValue means a field holds a value the protocol does not
	// define: an unknown frame type, status or flag bit, a bad magic, a
	// boolean other than 0 or 1.
	ErrBadValue = errors.New("wire: invalid value")
)

// ErrCanceled is what [Response.Err] returns for a response of status
// [StatusCanceled]. A client reports its own ctx.Err() instead.
var ErrCanceled = errors.New("wire: request canceled")

// FormatError describes a malformed payload. The stream itself is intact
// (the frame was read whole), but the peer broke the protocol: a server
// answers with a [Goodbye] of reason [ReasonProtocol] and closes.
type FormatError struct {
	Frame  Type   // the frame being decoded; 0 if its type byte is missing
	Field  string // the field, e.g. "name" or "bytes"
	Index  int    // the element of a list field, or -1
	Offset int    // the field's byte offset in the payload
	Err    error  // the reason, wrapping one of ErrTruncated, ErrTooLong, ...
}

// Error returns "wire: malformed <frame>: <field> at offset N: <reason>".
func (e *FormatError) Error() string {
	field := e.Field
	if e.Index >= 0 {
		field = fmt.Sprintf("%s[%d]", e.Field, e.Index)
	}
	return fmt.Sprintf("wire: malformed %v frame: %s at offset %d: %s", e.Frame, field, e.Offset, strings.TrimPrefix(e.Err.Error(), "wire: "))
}

// Unwrap returns the reason.
func (e *FormatError) Unwrap() error { return e.Err }

// FrameSizeError reports a frame whose payload length is zero or above the
// limit. A [Reader] returns it before it allocates anything for the frame;
// the stream cannot be resynchronised and must be closed. A [Writer]
// returns it without writing anything.
type FrameSizeError struct {
	Size  uint64 // the payload length, type byte included
	Limit int    // the limit in force
}

// Error returns a message naming the size and the limit.
func (e *FrameSizeError) Error() string {
	if e.Size == 0 {
		return "wire: frame of length 0: a payload holds at least its type byte"
	}
	return fmt.Sprintf("wire: frame of %d bytes exceeds the limit of %d", e.Size, e.Limit)
}

// VersionError is returned when decoding a [Hello] whose protocol version
// is not [Version]. The Hello's Version field is set; the rest of it is not
// decoded. A server answers with a [Goodbye] of reason [ReasonVersion].
type VersionError struct {
	Version uint16 // the version the client asked for
}

// Error names the version asked for and the one spoken.
func (e *VersionError) Error() string {
	return fmt.Sprintf("wire: unsupported protocol version %d (this side speaks %d)", e.Version, Version)
}
