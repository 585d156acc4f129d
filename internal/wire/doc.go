// Package wire is the codec of latchkey's manager protocol: the frames a
// client and the server exchange over a stream (TCP, a Unix socket), how
// they are laid out byte by byte, and the limits a decoder enforces. The
// specification is docs/protocol.md at the root of the module; this
// package implements it, and the two change together.
//
// # Frames
//
// A frame is a 4-byte big-endian payload length and the payload; the
// payload's first byte is the frame [Type]. Each frame type has a struct:
// the handshake ([Hello], [Challenge], [Auth], [Welcome]), the operations
// ([Request], [Response], [Cancel]), heartbeats ([Ping], [Pong]), server
// notices ([Event]) and the orderly close ([Goodbye]). Every struct
// implements [Frame].
//
// # Encoding and decoding
//
// [Append] appends a frame, length prefix included, to a byte slice; it
// checks every field limit and returns an error rather than produce a
// frame the peer would refuse. A frame type's Decode method (or [Decode],
// which allocates the frame) reads a payload. Decoding is strict and
// canonical: every malformed input is a [*FormatError] naming the frame,
// field and offset (truncation, trailing bytes, non-minimal varints,
// over-long fields, undefined values), never a panic, and a payload that
// decodes re-encodes to the same bytes. Lengths and counts are checked
// against the bytes left before anything is allocated, so decoding a
// payload allocates at most a small multiple of its size.
//
// Decoding does not copy byte strings: a decoded frame's []byte fields
// alias the payload. A [Request] or [Response] decoded into the same
// struct again reuses its slices, so a connection's read loop decodes
// without allocating; Clone detaches one that must outlive the payload.
//
// # Streams
//
// A [Reader] reads frames from an io.Reader with one reusable buffer and a
// frame size limit that it checks before allocating ([*FrameSizeError]). A
// [Writer] gathers encoded frames and writes them with one call on
// [Writer.Flush], so that pipelined requests cost one system call.
// Neither is safe for concurrent use; the client and server own one of
// each per connection.
//
// # Compatibility
//
// Frame types, object types, ops, statuses, event codes and goodbye
// reasons are append-only numbers; error kinds are the root package's
// wire-stable [latchkey.Kind]. [Version] changes when a layout changes;
// the first six bytes of a [Hello] body and the [Goodbye] layout never do,
// so that any client can learn that the server speaks another version.
package wire
