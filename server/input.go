package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/wire"
)

// inputKind is the kind of an input of the owner's state: one record of
// the write-ahead log.
type inputKind uint8

const (
	inHello   inputKind = 1 // a new session
	inAttach  inputKind = 2 // a connection resumed a session
	inDetach  inputKind = 3 // a session's connection dropped; the session waits for its TTL
	inRequest inputKind = 4 // a Request
	inCancel  inputKind = 5 // a Cancel
	inEnd     inputKind = 6 // a session ended (Goodbye, same-host close, expiry)
	inRestart inputKind = 7 // the server restarted: every session is detached
	inEpoch   inputKind = 8 // raise every fence counter to base (fence.go)
)

// input is one change of the owner's state. The owner applies the same
// inputs in the same order live and when replaying its log, so the state
// after a restart is the state before it.
type input struct {
	kind     inputKind
	sid      uint64
	ttl      time.Duration // hello, attach
	maxFrame uint32        // hello, attach
	token    []byte        // hello
	pid      uint64        // hello
	host     string        // hello
	label    string        // hello
	req      *wire.Request // request
	rid      uint64        // cancel
	base     uint64        // epoch
}

// appendInput appends the record of in to b.
func appendInput(b []byte, in *input) ([]byte, error) {
	b = append(b, byte(in.kind))
	b = binary.AppendUvarint(b, in.sid)
	switch in.kind {
	case inHello:
		b = binary.AppendUvarint(b, uint64(in.ttl.Milliseconds()))
		b = binary.AppendUvarint(b, uint64(in.maxFrame))
		b = appendBytes(b, in.token)
		b = binary.AppendUvarint(b, in.pid)
		b = appendBytes(b, []byte(in.host))
		b = appendBytes(b, []byte(in.label))
	case inAttach:
		b = binary.AppendUvarint(b, uint64(in.ttl.Milliseconds()))
		b = binary.AppendUvarint(b, uint64(in.maxFrame))
	case inRequest:
		// The frame without its length prefix.
		return wire.AppendPayload(b, in.req)
	case inCancel:
		b = binary.AppendUvarint(b, in.rid)
	case inEpoch:
		b = binary.AppendUvarint(b, in.base)
	}
	return b, nil
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// errBadRecord is wrapped by every decoding error of a log record.
var errBadRecord = errors.New("server: malformed log record")

// decodeInput decodes a record made by appendInput. The request's byte
// arguments alias rec.
func decodeInput(rec []byte) (*input, error) {
	d := recDecoder{b: rec}
	in := &input{kind: inputKind(d.byte())}
	in.sid = d.uvarint()
	switch in.kind {
	case inHello:
		in.ttl = time.Duration(d.uvarint()) * time.Millisecond
		in.maxFrame = uint32(d.uvarint())
		in.token = d.bytes()
		in.pid = d.uvarint()
		in.host = string(d.bytes())
		in.label = string(d.bytes())
	case inAttach:
		in.ttl = time.Duration(d.uvarint()) * time.Millisecond
		in.maxFrame = uint32(d.uvarint())
	case inRequest:
		if d.err == nil {
			f, err := wire.Decode(d.b)
			q, ok := f.(*wire.Request)
			if err != nil || !ok {
				return nil, fmt.Errorf("%w: request: %v", errBadRecord, err)
			}
			in.req = q // rec is not reused (wal.Replay passes fresh slices)
			d.b = nil
		}
	case inCancel:
		in.rid = d.uvarint()
	case inEpoch:
		in.base = d.uvarint()
	case inDetach, inEnd, inRestart:
	default:
		return nil, fmt.Errorf("%w: unknown kind %d", errBadRecord, in.kind)
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w (kind %d): %v", errBadRecord, in.kind, d.err)
	}
	return in, nil
}

// recDecoder reads the fields of a record, remembering the first error.
type recDecoder struct {
	b   []byte
	err error
}

func (d *recDecoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *recDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recDecoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	p := append([]byte(nil), d.b[:n]...)
	d.b = d.b[n:]
	return p
}

func (d *recDecoder) fail() {
	if d.err == nil {
		d.err = errors.New("record ends inside a field")
	}
}
