package wire

import (
	"encoding/binary"
	"fmt"
)

// Request asks the server to perform one operation. A connection carries
// many requests at once: each has an ID chosen by the client, and its
// [Response] carries the same ID. protocol.md lists, per [Op], what Object,
// Name, Handle, Ints and Bytes hold.
//
// A Request may be reused: Decode overwrites every field and reuses the
// capacity of Ints and Bytes, so that a connection's read loop decodes
// without allocating.
type Request struct {
	// ID identifies the request within its session. Ids increase in the
	// order the client sends requests (a counter from 1); a request sent
	// again with the id of an earlier one is a retry, which the server
	// never applies twice (protocol.md 6.1).
	ID uint64
	// Flags holds [FlagAck] or 0; other bits are undefined.
	Flags uint8
	// Ack, sent when Flags has [FlagAck], tells the server that the client
	// has the response of every request with an id below Ack, or will not
	// ask for it again: the server may forget those responses.
	Ack uint64
	// Op is the operation.
	Op Op
	// Object is the type of the object the op addresses.
	Object ObjectType
	// Handle is the handle the op acts through: the id the client chose
	// when it opened the handle with [OpOpen], or the new handle's id in
	// an OpOpen request. 0 for ops that use no handle.
	Handle uint64
	// Name is the object's name, at most [MaxNameLen] bytes.
	Name string
	// Ints are the op's integer arguments.
	Ints []int64
	// Bytes are the op's byte-string arguments. After Decode they alias
	// the payload: see [Request.Clone].
	Bytes [][]byte
}

// FlagAck in [Request.Flags] says that [Request.Ack] follows the flags.
const FlagAck uint8 = 1

// Type returns [TypeRequest].
func (*Request) Type() Type { return TypeRequest }

func (q *Request) appendBody(b []byte) ([]byte, error) {
	if q.Flags&^FlagAck != 0 {
		return b, fmt.Errorf("wire: encoding request frame: undefined flags %#x: %w", q.Flags, ErrBadValue)
	}
	if err := checkLen(TypeRequest, "name", len(q.Name), MaxNameLen); err != nil {
		return b, err
	}
	if err := checkArgs(TypeRequest, q.Ints, q.Bytes); err != nil {
		return b, err
	}
	b = binary.AppendUvarint(b, q.ID)
	b = append(b, q.Flags)
	if q.Flags&FlagAck != 0 {
		b = binary.AppendUvarint(b, q.Ack)
	}
	b = binary.AppendUvarint(b, uint64(q.Op))
	b = append(b, byte(q.Object))
	b = binary.AppendUvarint(b, q.Handle)
	b = appendString(b, q.Name)
	b = appendInts(b, q.Ints)
	return appendByteList(b, q.Bytes), nil
}

// Decode sets q from payload. The elements of q.Bytes alias payload (each
// with its capacity capped at its length); q.Name is reused without
// allocating when it is unchanged.
func (q *Request) Decode(payload []byte) error {
	d := newDecoder(payload, TypeRequest)
	q.ID = d.uvarint("id", -1)
	q.Flags = d.byte("flags")
	if q.Flags&^FlagAck != 0 {
		d.off--
		d.fail("flags", -1, fmt.Errorf("%w: undefined flags %#x", ErrBadValue, q.Flags))
	}
	q.Ack = 0
	if q.Flags&FlagAck != 0 {
		q.Ack = d.uvarint("ack", -1)
	}
	q.Op = Op(d.uvarintMax("op", 0xFFFF))
	q.Object = ObjectType(d.byte("object"))
	q.Handle = d.uvarint("handle", -1)
	q.Name = d.string("name", MaxNameLen, q.Name)
	q.Ints = d.ints("ints", q.Ints)
	q.Bytes = d.byteList("bytes", q.Bytes)
	return d.finish()
}

// Clone returns a deep copy of q that shares no memory with q or with the
// payload q was decoded from. A server keeps a clone of a request that
// outlives the next read (a blocking op, a value to store).
func (q *Request) Clone() *Request {
	c := *q
	c.Ints = cloneInts(q.Ints)
	c.Bytes = cloneByteList(q.Bytes)
	return &c
}

func cloneInts(v []int64) []int64 {
	if v == nil {
		return nil
	}
	return append(make([]int64, 0, len(v)), v...)
}

// cloneByteList copies v into one new backing array.
func cloneByteList(v [][]byte) [][]byte {
	if v == nil {
		return nil
	}
	n := 0
	for _, p := range v {
		n += len(p)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(v))
	for i, p := range v {
		if p == nil {
			continue
		}
		start := len(buf)
		buf = append(buf, p...)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}
