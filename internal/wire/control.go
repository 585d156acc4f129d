package wire

import (
	"encoding/binary"
	"fmt"
)

// Cancel asks the server to abandon a pending blocking request. If the
// request is still waiting, the server ends it and answers it with
// [StatusCanceled]; if it already completed (the cancel lost the race), its
// normal response stands. A Cancel for an unknown, finished or
// non-blocking request is ignored. Either way the request gets exactly one
// [Response].
type Cancel struct {
	// ID is the ID of the request to cancel.
	ID uint64
}

// Type returns [TypeCancel].
func (*Cancel) Type() Type { return TypeCancel }

func (c *Cancel) appendBody(b []byte) ([]byte, error) { return binary.AppendUvarint(b, c.ID), nil }

// Decode sets c from payload.
func (c *Cancel) Decode(payload []byte) error {
	d := newDecoder(payload, TypeCancel)
	c.ID = d.uvarint("id", -1)
	return d.finish()
}

// Ping is a heartbeat probe. Either side may send one; the other answers
// with a [Pong] carrying the same Value.
type Ping struct {
	// Value is opaque to the receiver; a sequence number or a timestamp.
	Value uint64
}

// Type returns [TypePing].
func (*Ping) Type() Type { return TypePing }

func (p *Ping) appendBody(b []byte) ([]byte, error) { return binary.AppendUvarint(b, p.Value), nil }

// Decode sets p from payload.
func (p *Ping) Decode(payload []byte) error {
	d := newDecoder(payload, TypePing)
	p.Value = d.uvarint("value", -1)
	return d.finish()
}

// Pong answers a [Ping].
type Pong struct {
	// Value is the Ping's Value.
	Value uint64
}

// Type returns [TypePong].
func (*Pong) Type() Type { return TypePong }

func (p *Pong) appendBody(b []byte) ([]byte, error) { return binary.AppendUvarint(b, p.Value), nil }

// Decode sets p from payload.
func (p *Pong) Decode(payload []byte) error {
	d := newDecoder(payload, TypePong)
	p.Value = d.uvarint("value", -1)
	return d.finish()
}

// EventCode says what an [Event] reports. Codes are append-only: do not
// reorder or renumber them. A client ignores events with codes it does not
// know.
type EventCode uint16

// The event codes.
const (
	// EventLost: the server released the holds of the event's handle (or,
	// with Handle 0, of every handle of the session) without the client
	// asking, for the reason in Message. The handle stays open.
	EventLost EventCode = 1
)

// String returns "lost", or "event(N)" for an unknown code.
func (c EventCode) String() string {
	if c == EventLost {
		return "lost"
	}
	return fmt.Sprintf("event(%d)", uint16(c))
}

// Event is a notice the server pushes without a request.
type Event struct {
	// Code says what happened.
	Code EventCode
	// Handle is the handle concerned, 0 for the whole session.
	Handle uint64
	// Name is the name of the handle's object, empty with Handle 0. At
	// most [MaxNameLen] bytes.
	Name string
	// Message says why, for people. At most [MaxMessageLen] bytes.
	Message string
}

// Type returns [TypeEvent].
func (*Event) Type() Type { return TypeEvent }

func (e *Event) appendBody(b []byte) ([]byte, error) {
	if err := checkLen(TypeEvent, "name", len(e.Name), MaxNameLen); err != nil {
		return b, err
	}
	if err := checkLen(TypeEvent, "message", len(e.Message), MaxMessageLen); err != nil {
		return b, err
	}
	b = binary.AppendUvarint(b, uint64(e.Code))
	b = binary.AppendUvarint(b, e.Handle)
	b = appendString(b, e.Name)
	return appendString(b, e.Message), nil
}

// Decode sets e from payload.
func (e *Event) Decode(payload []byte) error {
	d := newDecoder(payload, TypeEvent)
	e.Code = EventCode(d.uvarintMax("code", 0xFFFF))
	e.Handle = d.uvarint("handle", -1)
	e.Name = d.string("name", MaxNameLen, e.Name)
	e.Message = d.string("message", MaxMessageLen, e.Message)
	return d.finish()
}

// Reason is why a [Goodbye] closes a connection. Reasons are append-only:
// do not reorder or renumber them.
type Reason uint16

// The reasons.
const (
	// ReasonNormal: an orderly close. From the client it ends the session
	// at once (no resume); from the server it follows a client's Goodbye.
	ReasonNormal Reason = 0
	// ReasonProtocol: the peer sent a malformed or unexpected frame.
	ReasonProtocol Reason = 1
	// ReasonVersion: the server does not speak the Hello's version.
	ReasonVersion Reason = 2
	// ReasonAuth: authentication is required and failed or was skipped.
	ReasonAuth Reason = 3
	// ReasonShutdown: the server is shutting down.
	ReasonShutdown Reason = 4
	// ReasonExpired: the session's lease expired.
	ReasonExpired Reason = 5
	// ReasonLimit: the client exceeded a per-session limit (pending
	// requests, handles).
	ReasonLimit Reason = 6
	// ReasonSuperseded: the session was resumed on another connection.
	ReasonSuperseded Reason = 7
)

var reasonNames = [...]string{
	"normal", "protocol error", "unsupported version", "authentication failed",
	"server shutting down", "session expired", "limit exceeded", "superseded",
}

// String returns a short lower-case description, or "reason(N)".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint16(r))
}

// Goodbye closes a connection in order. The sender sends nothing after it
// and closes its side; the receiver stops sending and closes too. Its
// layout is frozen across protocol versions, so that a client of any
// version can read why the server refused its Hello.
type Goodbye struct {
	// Reason is why the connection closes.
	Reason Reason
	// Message says more, for people. At most [MaxMessageLen] bytes.
	Message string
}

// Type returns [TypeGoodbye].
func (*Goodbye) Type() Type { return TypeGoodbye }

func (g *Goodbye) appendBody(b []byte) ([]byte, error) {
	if err := checkLen(TypeGoodbye, "message", len(g.Message), MaxMessageLen); err != nil {
		return b, err
	}
	b = binary.AppendUvarint(b, uint64(g.Reason))
	return appendString(b, g.Message), nil
}

// Decode sets g from payload.
func (g *Goodbye) Decode(payload []byte) error {
	d := newDecoder(payload, TypeGoodbye)
	g.Reason = Reason(d.uvarintMax("reason", 0xFFFF))
	g.Message = d.string("message", MaxMessageLen, g.Message)
	return d.finish()
}
